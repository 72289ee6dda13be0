"""Destination URL rules, and hosts as browsers read them (what the redirect does with a request's query is
domain/forwarding.py).

Rules, in the order they are checked (docs/api.md lists them for callers):

1. Surrounding whitespace is trimmed; whitespace or control characters inside the URL are refused.
2. At most ``MAX_URL_LENGTH`` characters, before and after normalisation.
3. Absolute ``http`` or ``https`` only (so no ``javascript:``, ``data:``, ``file:`` ...); a host is required.
4. No user-info (``https://bank.example@evil.example``) and no backslash, which browsers read as ``/``.
5. The host is read as browsers read it (``canonical_host``): an internationalised name is mapped (UTS #46) and
   stored as IDNA 2008 punycode, any spelling of an IPv4 address becomes a dotted quad, IPv6 is compressed; ``%``
   (escapes, IPv6 zone identifiers) is refused. A port must be 1-65535.
6. Non-ASCII characters in path, query and fragment are percent-encoded as UTF-8; existing escapes are kept.
7. A destination on one of our own hosts is refused (it would redirect to ourselves), hosts compared canonically.

``canonical_host`` follows the WHATWG URL standard's host parser (https://url.spec.whatwg.org/#host-parsing):
what a browser would connect to is what the loop guard compares and what is stored. ``http://0x7f000001/`` is
``http://127.0.0.1/`` to a browser, so it must be to us too.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Iterable
from urllib.parse import quote, urlsplit, urlunsplit

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
# What may follow "host:" when the colon starts a port, not a scheme ("care.link:8080/help").
_PORT_AND_REST = re.compile(r"^[0-9]*(?:[/?#]|$)")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
# Characters left as they are when percent-encoding: RFC 3986 reserved + unreserved, and "%" for existing escapes.
_SAFE = "/:@!$&'()*+,;=-._~%?#[]"
# The digits of an IPv4 address part in each radix the WHATWG IPv4 parser reads: ASCII only, where int() would
# also take Arabic-Indic digits, "1_0" or surrounding spaces.
_RADIX_DIGITS = {10: re.compile(r"[0-9]+"), 8: re.compile(r"[0-7]*"), 16: re.compile(r"[0-9A-Fa-f]*")}


def normalise_destination(raw: str, *, own_hosts: Collection[str] = ()) -> str:
    """Check ``raw`` against every destination rule and return its normalised form.

    ``own_hosts`` are the names we answer on (short domains, the API's host, ``BLOCKED_HOSTS``), in any spelling
    a host may have: a destination whose host is one of them, once both are canonical, is refused. Raises an
    ``InvalidUrl`` subclass naming the rule that failed.
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
    host = canonical_host(_raw_host(parts.netloc))
    if _loop_identity(host) in _identities(own_hosts):
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


def with_web_scheme(url: str) -> str:
    """``url`` with ``https://`` in front when it names no scheme (``care.link/help``, or ``care.link:8080/help``,
    whose colon starts a port); ``UnsupportedScheme`` when it names one other than http(s) (``javascript:``)."""
    match = _SCHEME.match(url)
    rest = url[match.end() :] if match else ""
    if match is None or (not rest.startswith("//") and _PORT_AND_REST.match(rest)):
        return f"https://{url}"
    scheme = match.group(1).lower()
    if scheme not in _ALLOWED_SCHEMES:
        raise UnsupportedScheme.of(scheme)
    return url


def canonical_host(host: str) -> str:
    """``host`` as a browser reads it, the way it is stored and compared; ``InvalidUrl`` when a browser would not
    accept it either (or when it breaks a rule of ours: ``%``, whitespace or invisible characters, a label outside
    ``a-z 0-9 _ -``).

    The WHATWG URL standard's host parser: ``[...]`` (or a bare address with ``:``) is IPv6, compressed and without
    brackets, zone identifiers refused; a name is mapped with UTS #46 and made IDNA 2008 punycode (``faß.de`` ->
    ``xn--fa-hia.de``, as browsers do, not IDNA 2003's ``fass.de``); a name whose last label is a number is an IPv4
    address in one of its many spellings (``127.1``, ``2130706433``, ``0x7f000001``, ``0177.0.0.1``), returned
    as a dotted quad. One trailing dot is dropped.
    """
    if host.startswith("[") and host.endswith("]"):
        return _ipv6(host[1:-1])
    if ":" in host:
        return _ipv6(host)
    if not host:
        raise InvalidUrl("the URL must have a host, as in https://example.org/")
    if "%" in host:
        raise InvalidUrl("percent-encoded characters are not allowed in the host")
    if _FORBIDDEN_CHARS.search(host):  # UTS #46 would drop some silently (U+200B): rule 1 refuses them instead
        raise InvalidUrl("the host contains whitespace, a control or an invisible character")
    ascii_host = host.lower() if host.isascii() else _idna(host)
    if _ends_in_a_number(ascii_host):
        return _ipv4(ascii_host)
    name = ascii_host.removesuffix(".")
    if not name or len(name) > _MAX_HOST_LENGTH:
        raise InvalidUrl("the host name is empty or too long")
    if not all(_HOST_LABEL.match(label) for label in name.split(".")):
        raise InvalidUrl(f"{host[:64]!r} is not a valid host name")
    return name


def _raw_host(netloc: str) -> str:
    """The host of a user-info-free ``netloc`` exactly as written (``urlsplit``'s ``hostname`` lower-cases it
    with ``str.lower``, which is not UTS #46's mapping, and drops what follows an IPv6 literal's ``]``)."""
    if netloc.startswith("["):
        literal, bracket, after = netloc.partition("]")
        if not bracket or (after and not after.startswith(":")):
            raise InvalidUrl("the URL has text after its IPv6 address")
        return f"{literal}]"
    return netloc.partition(":")[0]


def _ipv6(text: str) -> str:
    if "%" in text:
        raise InvalidUrl("an IPv6 zone identifier (%) only means something on the machine that wrote it")
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        raise InvalidUrl(f"{text[:64]!r} is not a valid IPv6 address") from None
    mapped = address.ipv4_mapped
    if mapped is not None:  # Python writes these with a dotted quad, browsers in hex: ::ffff:7f00:1
        return f"::ffff:{int(mapped) >> 16:x}:{int(mapped) & 0xFFFF:x}"
    return address.compressed


def _idna(host: str) -> str:
    """UTS #46 mapping, then IDNA 2008 for each non-ASCII label (ASCII labels, ``xn--`` ones included, stay as
    written, as ``_`` does in them: browsers accept both)."""
    # Imported here: its tables cost cold-start time, and only the write path ever meets a non-ASCII host.
    import idna

    try:
        labels = idna.uts46_remap(host, std3_rules=False).split(".")
        return ".".join(label if label.isascii() else idna.alabel(label).decode("ascii") for label in labels)
    except UnicodeError:  # idna.IDNAError and its kin are UnicodeErrors
        raise InvalidUrl(f"{host[:64]!r} is not a valid internationalised host name") from None


def _ends_in_a_number(host: str) -> bool:
    """The WHATWG "ends in a number" check: whether ``host`` must be read as an IPv4 address."""
    parts = host.split(".")
    if parts[-1] == "":
        if len(parts) == 1:
            return False
        parts.pop()
    last = parts[-1]
    return bool(_RADIX_DIGITS[10].fullmatch(last)) or _ipv4_number(last) is not None


def _ipv4(host: str) -> str:
    """The WHATWG IPv4 parser: 1 to 4 parts, each decimal, octal (``0`` first) or hex (``0x``), the last filling
    the bytes the others left; a part too large for its place is an error, not a wrap-around."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    numbers = [_ipv4_number(part) for part in parts]
    if len(parts) > 4 or None in numbers:
        raise InvalidUrl(f"{host[:64]!r} ends in a number but is not an IPv4 address")
    values = [number for number in numbers if number is not None]
    if any(value > 255 for value in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise InvalidUrl(f"{host[:64]!r} is out of range for an IPv4 address")
    address = values[-1] + sum(value * 256 ** (3 - place) for place, value in enumerate(values[:-1]))
    return str(ipaddress.IPv4Address(address))


def _ipv4_number(part: str) -> int | None:
    """One part of an IPv4 address (the WHATWG IPv4 number parser); ``None`` when it is not a number."""
    if not part:
        return None
    radix = 10
    if part[:2] in ("0x", "0X"):
        part, radix = part[2:], 16
    elif len(part) > 1 and part[0] == "0":
        part, radix = part[1:], 8
    if not _RADIX_DIGITS[radix].fullmatch(part):
        return None
    return int(part, radix) if part else 0


def _loop_identity(host: str) -> str:
    """What a canonical host reaches: an IPv4-mapped IPv6 address (``::ffff:127.0.0.1``) is its IPv4 address."""
    if ":" in host:
        mapped = ipaddress.IPv6Address(host).ipv4_mapped
        if mapped is not None:
            return str(mapped)
    return host


def _identities(own_hosts: Iterable[str]) -> set[str]:
    """``own_hosts`` made comparable with a canonical destination host (whatever spelling each was given in)."""
    identities = set()
    for own in own_hosts:
        try:
            identities.add(_loop_identity(canonical_host(own)))
        except InvalidUrl:  # not a host a browser could reach: compare it as written, which can do no harm
            identities.add(own.lower())
    return identities
