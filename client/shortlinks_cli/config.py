"""Where the API is and which key to send: ``SHORTLINKS_URL`` and ``SHORTLINKS_API_KEY``, over a profile of
``$XDG_CONFIG_HOME/shortlinks/config.toml`` (``~/.config/shortlinks/config.toml`` without it).

The file holds one table per profile::

    [default]
    url = "https://abc123.execute-api.eu-west-1.amazonaws.com"
    api_key = "sl_..."

The profile is ``--profile NAME``, else ``SHORTLINKS_PROFILE``, else ``default``. A variable set in the environment
wins over the profile's value. The file holds a secret, so it is refused while its mode lets group or others read
or write it. The key is never printed: not in errors, not in ``repr``.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from shortlinks_cli.exits import config_error

URL_VARIABLE = "SHORTLINKS_URL"
KEY_VARIABLE = "SHORTLINKS_API_KEY"
PROFILE_VARIABLE = "SHORTLINKS_PROFILE"
DEFAULT_PROFILE = "default"
MAX_FILE_BYTES = 64 * 1024  # a profile file is a few lines; anything larger is not one
MAX_URL_LENGTH = 2048
PROFILE_FIELDS = frozenset({"url", "api_key"})
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# The API's key format (shortlinks.domain.keys.KEY_PATTERN); repeated, not imported, so the client needs nothing
# of the functions' package. Checked so a pasted key with a stray space or newline fails here, not as a 401.
_KEY = re.compile(r"sl_[0-9A-Za-z]{43}")
_PROFILE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


@dataclass(frozen=True)
class ClientConfig:
    """The API's base URL (no trailing slash) and the key, if any; ``source`` says where they came from."""

    url: str
    api_key: str | None = field(repr=False)
    source: str

    def key_in_clear(self) -> bool:
        """Whether the key would cross a network unencrypted: ``http://`` to a host other than this machine."""
        parts = urlsplit(self.url)
        return bool(self.api_key) and parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS


def config_path(environ: Mapping[str, str]) -> Path:
    """The profile file: ``$XDG_CONFIG_HOME/shortlinks/config.toml``, else ``~/.config/shortlinks/config.toml``."""
    base = environ.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if Path(base).is_absolute() else Path.home() / ".config"  # the spec ignores a relative one
    return root / "shortlinks" / "config.toml"


def load_config(environ: Mapping[str, str], profile: str | None = None) -> ClientConfig:
    """The configuration for ``profile`` (``None``: ``SHORTLINKS_PROFILE`` or ``default``); raises a usage
    ``CliError`` when the URL is missing or anything is malformed."""
    named = profile if profile is not None else environ.get(PROFILE_VARIABLE)
    name = named or DEFAULT_PROFILE
    if not _PROFILE_NAME.fullmatch(name):
        raise config_error("a profile name is 1-64 characters of A-Z a-z 0-9 _ . -")
    path = config_path(environ)
    values = _read_profile(path, name, required=named is not None)
    url = environ.get(URL_VARIABLE) or values.get("url")
    key = environ.get(KEY_VARIABLE) or values.get("api_key")
    if not url:
        raise config_error(
            f"no API URL: set {URL_VARIABLE} (and {KEY_VARIABLE}), or write profile [{name}] in {path}; see docs/cli.md"
        )
    source = "environment" if environ.get(URL_VARIABLE) else f"{path} [{name}]"
    return ClientConfig(url=_checked_url(url), api_key=_checked_key(key) if key else None, source=source)


def _read_profile(path: Path, name: str, *, required: bool) -> dict[str, str]:
    try:
        with path.open("rb") as file:
            mode = os.fstat(file.fileno()).st_mode
            if stat.S_IMODE(mode) & 0o077:
                raise config_error(f"{path} holds an API key and group or others may read it: run chmod 600 {path}")
            raw = file.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        if required:
            raise config_error(f"profile {name!r} asked for, but there is no {path}") from None
        return {}
    except OSError as error:
        raise config_error(f"cannot read {path}: {error.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise config_error(f"{path} is over {MAX_FILE_BYTES // 1024} KiB: not a profile file")
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise config_error(f"{path} is not valid TOML: {error}") from None
    table = document.get(name)
    if table is None:
        if required:
            raise config_error(f"{path} has no profile [{name}]")
        return {}
    if not isinstance(table, dict):
        raise config_error(f"{path}: [{name}] must be a table")
    unknown = sorted(set(table) - PROFILE_FIELDS)
    if unknown:
        raise config_error(f"{path}: [{name}] has unknown setting(s) {', '.join(unknown)} (known: api_key, url)")
    if not all(isinstance(value, str) for value in table.values()):
        raise config_error(f"{path}: [{name}]: url and api_key are strings")
    return dict(table)


def _checked_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if len(url) > MAX_URL_LENGTH or parts.scheme not in ("http", "https") or not parts.hostname:
        raise config_error(
            "the API URL must be an http(s) URL such as https://abc123.execute-api.eu-west-1.amazonaws.com"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise config_error("the API URL takes no query, fragment or user name: only scheme, host, port and path")
    return url.strip().rstrip("/")


def _checked_key(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise config_error("the API key does not look like one (sl_ and 43 letters and digits); it is not shown")
    return key
