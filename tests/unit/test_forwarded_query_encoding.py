"""The visitor's query string on its way into ``Location`` (domain/urls.merge_query): whatever RFC 3986 does not
allow in a query is percent-encoded, so no request can put raw spaces, quotes, angle brackets, a fragment or
control characters into the redirect's header."""

from __future__ import annotations

import re

import pytest

from shortlinks.domain.forwarding import merge_query

DESTINATION = "https://e.org/p?a=1#top"
# RFC 3986: query = *( pchar / "/" / "?" ), pchar = unreserved / pct-encoded / sub-delims / ":" / "@"
RFC_3986_QUERY = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-F]{2})*")


@pytest.mark.parametrize(
    ("raw_query", "forwarded"),
    [
        ("q=a b", "q=a%20b"),
        ('q="x"', "q=%22x%22"),
        ("q='x'", "q=%27x%27"),  # browsers encode "'" in an http(s) query too
        ("q=<script>", "q=%3Cscript%3E"),
        ("q=a\\b", "q=a%5Cb"),
        ("q=a\r\nSet-Cookie:x=1", "q=a%0D%0ASet-Cookie:x=1"),
        ("q=\x00\x1f\x7f", "q=%00%1F%7F"),
        ("q=über", "q=%C3%BCber"),
        ("q=\U0001f600", "q=%F0%9F%98%80"),
        ("q=a#b", "q=a%23b"),
        ("q=a|b^c`d{e}", "q=a%7Cb%5Ec%60d%7Be%7D"),
        ("q[]=1", "q%5B%5D=1"),
        ("q=\ud800", "q=%EF%BF%BD"),  # a lone surrogate has no UTF-8: U+FFFD, as a browser would send
    ],
)
def test_what_rfc_3986_does_not_allow_in_a_query_is_percent_encoded(raw_query: str, forwarded: str) -> None:
    assert merge_query(DESTINATION, raw_query) == f"https://e.org/p?a=1&{forwarded}#top"


@pytest.mark.parametrize(
    ("raw_query", "forwarded"),
    [
        ("q=100%", "q=100%25"),
        ("q=%zz", "q=%25zz"),
        ("q=%4", "q=%254"),
        ("q=%%41", "q=%25%41"),
    ],
)
def test_a_percent_sign_that_starts_no_escape_is_encoded(raw_query: str, forwarded: str) -> None:
    assert merge_query(DESTINATION, raw_query) == f"https://e.org/p?a=1&{forwarded}#top"


def test_valid_escapes_and_allowed_characters_are_forwarded_exactly() -> None:
    raw_query = "q=a%20b&r=x+y&s=%2f&t=/path?x:y@z!$()*,;=~-._"

    assert merge_query(DESTINATION, raw_query) == f"https://e.org/p?a=1&{raw_query}#top"


def test_an_encoded_name_still_replaces_the_destinations_parameter() -> None:
    # GIVEN a destination with "a b" (written a%20b) and a visitor sending a raw "a b"
    # WHEN the query is forwarded THEN the visitor's parameter wins, encoded
    assert merge_query("https://e.org/p?a%20b=1&c=2", "a b=3") == "https://e.org/p?c=2&a%20b=3"


def test_a_forwarded_fragment_cannot_replace_the_destinations_fragment() -> None:
    merged = merge_query("https://e.org/p#top", "x=1#evil")

    assert merged == "https://e.org/p?x=1%23evil#top"
    assert merged.count("#") == 1


@pytest.mark.parametrize(
    "raw_query",
    [
        "".join(chr(code) for code in range(0x00, 0x80)),
        "q=" + "".join(chr(code) for code in range(0x80, 0x800, 7)),
        "%" * 5 + "%4" + "%G0" + "%41",
    ],
)
def test_every_forwarded_query_is_a_valid_rfc_3986_query(raw_query: str) -> None:
    merged = merge_query("https://e.org/p", raw_query)

    _, _, query = merged.partition("?")
    assert RFC_3986_QUERY.fullmatch(query), query
