"""Destination URL rules and query forwarding.

Rules, in the order they are checked (docs/api.md lists them for callers):

1. Surrounding whitespace is trimmed; whitespace or control characters inside the URL are refused.
2. At most ``MAX_URL_LENGTH`` characters, before and after normalisation.
3. Absolute ``http`` or ``https`` only (so no ``javascript:``, ``data:``, ``file:`` ...); a host is required.
4. No user-info (``https://bank.example@evil.example``) and no backslash, which browsers read as ``/``.
5. The host is lower-cased; an internationalised host is stored as punycode (IDNA); a port must be 1-65535.
6. Non-ASCII characters in path, query and fragment are percent-encoded as UTF-8; existing escapes are kept.
7. A destination on one of our own short domains is refused (it would redirect to ourselves).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

from shortlinks.domain.errors import (
    InvalidUrl,
    UnsupportedScheme,
    UrlHasCredentials,
    UrlIsShortLink,
    UrlTooLong,
)

MAX_URL_LENGTH = 2048
_MAX_HOST_LENGTH = 253
_ALLOWED_SCHEMES = frozenset({"http", "https"})
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f\u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f\u3000\ufeff\\]")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
# Characters left as they are when percent-encoding: RFC 3986 reserved + unreserved, and "%" for existing escapes.
_SAFE = "/:@!$&'()*+,;=-._~%?#[]"


def normalise_destination(raw: str, *, own_hosts: Collection[str] = ()) -> str:
    """Check ``raw`` against every destination rule and return its normalised form.

    ``own_hosts`` are our short domains (lower-case, no port): a destination on one of them is refused.
    Raises an ``InvalidUrl`` subclass naming the rule that failed.
    """
    url = raw.strip(" \t\r\n")
    if not url:
        raise InvalidUrl("the URL is empty")
    if len(url) > MAX_URL_LENGTH:
        raise UrlTooLong.over(MAX_URL_LENGTH)
    forbidden = _FORBIDDEN_CHARS.search(url)
    if forbidden:
        what = "backslash" if forbidden.group() == "\\" else f"character U+{ord(forbidden.group()):04X}"
        raise InvalidUrl(f"the URL contains a {what}; percent-encode it")
    scheme_match = _SCHEME.match(url)
    if not scheme_match:
        raise InvalidUrl("the URL must be absolute, starting with http:// or https://")
    scheme = scheme_match.group(1).lower()
    if scheme not in _ALLOWED_SCHEMES:
        raise UnsupportedScheme.of(scheme)
    if not url[len(scheme) + 1 :].startswith("//"):
        raise InvalidUrl("the URL must have a host, as in https://example.org/")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidUrl(f"the URL cannot be parsed: {exc}") from None
    if "@" in parts.netloc:
        raise UrlHasCredentials.found()
    host = _normalise_host(parts.hostname or "")
    if host in own_hosts:
        raise UrlIsShortLink.on(host)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        if not 0 < port <= 65535:
            raise InvalidUrl("the port must be between 1 and 65535")
        netloc = f"{netloc}:{port}"
    elif parts.netloc.endswith(":"):
        raise InvalidUrl("the URL has an empty port")
    path = quote(parts.path, safe=_SAFE) or "/"
    query, fragment = quote(parts.query, safe=_SAFE), quote(parts.fragment, safe=_SAFE)
    normalised = str(urlunsplit((scheme, netloc, path, query, fragment)))
    if len(normalised) > MAX_URL_LENGTH:
        raise UrlTooLong.over(MAX_URL_LENGTH)
    return normalised


def _normalise_host(host: str) -> str:
    if not host:
        raise InvalidUrl("the URL must have a host, as in https://example.org/")
    if ":" in host:  # urlsplit only yields ":" in the host for bracketed IPv6 literals
        try:
            return ipaddress.IPv6Address(host).compressed
        except ValueError:
            raise InvalidUrl(f"{host[:64]!r} is not a valid IPv6 address") from None
    if "%" in host:
        raise InvalidUrl("percent-encoded characters are not allowed in the host")
    try:
        ascii_host = host.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidUrl(f"{host[:64]!r} is not a valid host name") from None
    if not ascii_host or len(ascii_host) > _MAX_HOST_LENGTH:
        raise InvalidUrl("the host name is empty or too long")
    if not all(_HOST_LABEL.match(label) for label in ascii_host.split(".")):
        raise InvalidUrl(f"{host[:64]!r} is not a valid host name")
    return ascii_host


def host_of(url: str) -> str:
    """The lower-case host of ``url`` without port, or ``""`` when it has none or cannot be parsed."""
    try:
        return str(urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""


def merge_query(destination: str, raw_query: str) -> str:
    """Forward a request's query string onto ``destination``.

    Parameters of the request replace those of the destination with the same name (the request wins);
    everything else keeps its order and its exact encoding. The destination's fragment stays last.
    """
    if not raw_query:
        return destination
    base, hash_mark, fragment = destination.partition("#")
    path, _, dest_query = base.partition("?")
    incoming = [pair for pair in raw_query.split("&") if pair]
    if not incoming:
        return destination
    overridden = {_param_name(pair) for pair in incoming}
    kept = [pair for pair in dest_query.split("&") if pair and _param_name(pair) not in overridden]
    merged = f"{path}?{'&'.join(kept + incoming)}"
    return f"{merged}#{fragment}" if hash_mark else merged


def _param_name(pair: str) -> str:
    return unquote_plus(pair.partition("=")[0])
