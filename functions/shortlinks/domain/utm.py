"""UTM tagging: a link's ``utm`` fields merged into its destination's query, once, when the link is written.

The redirect never runs this: it reads the tagged URL the write stored (``Target.tagged_url``), so tagging costs it
no work and no import. Pure Python.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from urllib.parse import quote, unquote_plus

from shortlinks.domain.errors import InvalidUtm, TaggedUrlTooLong
from shortlinks.domain.links import UTM_FIELDS, Utm
from shortlinks.domain.urls import MAX_URL_LENGTH, normalise_destination

MAX_UTM_VALUE_LENGTH = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def check_utm(utm: Utm | None) -> Utm | None:
    """``utm`` when every field given is 1-``MAX_UTM_VALUE_LENGTH`` characters without control characters;
    ``None`` for no tagging (``None``, or no field given). ``InvalidUtm`` names the first field that fails."""
    if utm is None or not utm.parameters():
        return None
    for name in UTM_FIELDS:
        value = getattr(utm, name)
        if value is None:
            continue
        if not 0 < len(value) <= MAX_UTM_VALUE_LENGTH:
            raise InvalidUtm(f"utm.{name} must be 1 to {MAX_UTM_VALUE_LENGTH} characters")
        if _CONTROL.search(value):
            raise InvalidUtm(f"utm.{name} contains a control character")
    return utm


def tag_url(url: str, utm: Utm) -> str:
    """``url`` (normalised) with ``utm``'s ``utm_*`` parameters merged into its query.

    A parameter of ``url`` with the same name (``utm_source=old``, in any of its spellings: ``utm%5Fsource``) is
    replaced; every other parameter keeps its place and its encoding; the new ones follow, in ``UTM_FIELDS`` order,
    each value percent-encoded as UTF-8 (only RFC 3986's unreserved characters are left as they are). The fragment
    stays last."""
    parameters = utm.parameters()
    if not parameters:
        return url
    base, hash_mark, fragment = url.partition("#")
    path, _, query = base.partition("?")
    replaced = {name for name, _ in parameters}
    kept = [pair for pair in query.split("&") if pair and unquote_plus(pair.partition("=")[0]) not in replaced]
    added = [f"{name}={quote(value, safe='')}" for name, value in parameters]
    tagged = f"{path}?{'&'.join(kept + added)}"
    return f"{tagged}#{fragment}" if hash_mark else tagged


def tagged_destination(url: str, utm: Utm | None, *, own_hosts: Collection[str]) -> str | None:
    """Where visitors of a link to ``url`` (normalised) with ``utm`` land, or ``None`` without tagging.

    The tagged URL obeys every destination rule as the URL does (it is checked again: the same host, so the same
    loop and scheme answers), and the length limit with its own code, ``tagged_url_too_long``."""
    if utm is None:
        return None
    tagged = tag_url(url, utm)
    if len(tagged) > MAX_URL_LENGTH:
        raise TaggedUrlTooLong.over(MAX_URL_LENGTH)
    return normalise_destination(tagged, own_hosts=own_hosts)
