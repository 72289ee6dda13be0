"""What the redirect does with a request's URL: the query it forwards onto the destination, the QR marker it takes
out of it first, and the referrer's host it records.

Kept apart from domain/urls.py (the destination rules, with the patterns they compile) so that the redirect's cold
start compiles only the one pattern it uses (docs/benchmarks.md, issue 13).
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus, urlsplit

# In a forwarded query: a "%" that starts no escape, and every character RFC 3986 does not allow in a query
# (pchar / "/" / "?"), plus "'", which browsers encode in an http(s) query too (the WHATWG special-query set).
_NOT_QUERY = re.compile(r"%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&()*+,;=:@/?%]")


def host_of(url: str) -> str:
    """The lower-case host of ``url`` without port, or ``""`` when it has none or cannot be parsed."""
    try:
        return str(urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""


# What a QR code's short URL carries (``https://sho.rt/AbC1234?_sl=qr``) so the redirect can tell a scan from a
# click. The redirect takes it out of the query before anything is forwarded: it never reaches a destination.
QR_MARKER = "_sl=qr"


def without_qr_marker(raw_query: str) -> tuple[str, bool]:
    """``raw_query`` without the ``QR_MARKER`` pair (wherever it is, however often), and whether it was there.
    The other pairs keep their order and spelling."""
    if QR_MARKER not in raw_query:
        return raw_query, False
    pairs = raw_query.split("&")
    kept = [pair for pair in pairs if pair != QR_MARKER]
    return "&".join(kept), len(kept) != len(pairs)


def merge_query(destination: str, raw_query: str) -> str:
    """Forward a request's query string onto ``destination``.

    Parameters of the request replace those of the destination with the same name (the request wins);
    everything else keeps its order and its encoding. The destination's fragment stays last. The request's query
    is the visitor's to write, so what RFC 3986 does not allow in a query (a space, a quote, ``<``, ``#``, a
    control or non-ASCII character, a ``%`` that starts no escape) is percent-encoded before it reaches
    ``Location``; its valid escapes are kept as they are.
    """
    if not raw_query:
        return destination
    base, hash_mark, fragment = destination.partition("#")
    path, _, dest_query = base.partition("?")
    incoming = [pair for pair in _NOT_QUERY.sub(_escape, raw_query).split("&") if pair]
    if not incoming:
        return destination
    overridden = {_param_name(pair) for pair in incoming}
    kept = [pair for pair in dest_query.split("&") if pair and _param_name(pair) not in overridden]
    merged = f"{path}?{'&'.join(kept + incoming)}"
    return f"{merged}#{fragment}" if hash_mark else merged


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    if "\ud800" <= character <= "\udfff":  # a lone surrogate has no UTF-8: U+FFFD, as a browser would send
        character = "\ufffd"
    return "".join(f"%{byte:02X}" for byte in character.encode("utf-8"))


def _param_name(pair: str) -> str:
    return unquote_plus(pair.partition("=")[0])
