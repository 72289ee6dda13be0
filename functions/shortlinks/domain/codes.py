"""Short codes: generation and the rules a custom alias must follow."""

from __future__ import annotations

import re
import secrets
import string

from shortlinks.domain.errors import AliasReserved, InvalidAlias

BASE62 = string.digits + string.ascii_letters
ALIAS_MIN_LENGTH = 3
ALIAS_MAX_LENGTH = 64
ALIAS_PATTERN = re.compile(rf"^[A-Za-z0-9_-]{{{ALIAS_MIN_LENGTH},{ALIAS_MAX_LENGTH}}}$")
# Anything a request path may be, including generated codes and aliases of any length.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# Paths the service, its future routes or browsers already claim. Compared case-insensitively.
RESERVED_WORDS = frozenset(
    {
        "v1", "v2", "v3", "api", "apis", "health", "healthz", "status", "static", "assets", "public",
        "admin", "login", "logout", "signin", "signup", "account", "settings", "dashboard", "docs",
        "about", "www", "app", "auth", "oauth", "callback", "expand", "links", "keys",
        "domains", "stats", "metrics", "favicon.ico", "robots.txt", "sitemap.xml", "humans.txt",
        "security.txt", ".well-known", "apple-app-site-association", "manifest.json", "index", "null",
        "undefined", "console",
    }
)  # fmt: skip


def generate_code(length: int) -> str:
    """A random base62 code of ``length`` characters from the OS's CSPRNG."""
    return "".join(secrets.choice(BASE62) for _ in range(length))


def is_reserved(code: str) -> bool:
    return code.lower() in RESERVED_WORDS


def check_alias(alias: str) -> str:
    """Return ``alias`` when it may be used as a custom code, else raise ``InvalidAlias``."""
    if not ALIAS_PATTERN.fullmatch(alias):  # fullmatch: with match(), "$" also accepts a trailing newline
        raise InvalidAlias(
            f"an alias is {ALIAS_MIN_LENGTH} to {ALIAS_MAX_LENGTH} characters of A-Z, a-z, 0-9, '_' and '-'"
        )
    if is_reserved(alias):
        raise AliasReserved.word(alias)
    return alias


def looks_like_code(path_segment: str) -> bool:
    """Whether a request path could name a link at all (saves a database read for junk paths)."""
    return bool(CODE_PATTERN.fullmatch(path_segment))
