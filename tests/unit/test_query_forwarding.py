"""Query forwarding (domain/urls.merge_query): a click's query string is carried onto the destination."""

from __future__ import annotations

import pytest

from shortlinks.domain.forwarding import merge_query


@pytest.mark.parametrize("destination", ["https://e.org/p", "https://e.org/p?a=1", "https://e.org/p?a=1#frag"])
def test_an_empty_request_query_leaves_the_destination_untouched(destination: str) -> None:
    assert merge_query(destination, "") == destination


@pytest.mark.parametrize("raw_query", ["&", "&&&"])
def test_a_request_query_of_only_separators_leaves_the_destination_untouched(raw_query: str) -> None:
    assert merge_query("https://e.org/p?a=1", raw_query) == "https://e.org/p?a=1"


def test_the_request_query_is_appended_to_a_destination_without_one() -> None:
    assert merge_query("https://e.org/p", "utm_source=mail&utm_medium=email") == (
        "https://e.org/p?utm_source=mail&utm_medium=email"
    )


def test_an_empty_destination_query_does_not_leave_a_stray_separator() -> None:
    assert merge_query("https://e.org/p?", "x=1") == "https://e.org/p?x=1"


def test_the_request_wins_when_a_parameter_is_in_both() -> None:
    # GIVEN a destination with a, b, c and a click carrying its own b
    # WHEN the query is forwarded
    merged = merge_query("https://e.org/p?a=1&b=2&c=3", "b=9")

    # THEN the destination's b is gone, a and c keep their order, and the request's b follows them
    assert merged == "https://e.org/p?a=1&c=3&b=9"


def test_every_repetition_of_a_clashing_parameter_is_replaced() -> None:
    assert merge_query("https://e.org/p?a=1&x=0&a=2", "a=3&a=4") == "https://e.org/p?x=0&a=3&a=4"


def test_a_valueless_parameter_clashes_by_name() -> None:
    assert merge_query("https://e.org/p?flag&keep=1", "flag=on") == "https://e.org/p?keep=1&flag=on"


def test_names_are_compared_decoded() -> None:
    # "[" and "]" are not allowed in a query (RFC 3986): forwarded encoded, they still name the same parameter
    assert merge_query("https://e.org/p?a%5B%5D=1&q+r=2", "a[]=3&q%20r=4") == "https://e.org/p?a%5B%5D=3&q%20r=4"


def test_the_exact_encoding_of_every_kept_parameter_is_preserved() -> None:
    # Re-encoding would change what the destination receives: "+" is not "%20" to every server.
    merged = merge_query("https://e.org/p?q=a%20b&r=x+y&s=%2F", "t=%C3%BC+z&u=a%26b")

    assert merged == "https://e.org/p?q=a%20b&r=x+y&s=%2F&t=%C3%BC+z&u=a%26b"


def test_empty_pairs_in_either_query_are_dropped() -> None:
    assert merge_query("https://e.org/p?a=1&&b=2&", "&c=3&&") == "https://e.org/p?a=1&b=2&c=3"


def test_the_fragment_stays_last() -> None:
    assert merge_query("https://e.org/p?a=1#section-2", "x=1") == "https://e.org/p?a=1&x=1#section-2"
    assert merge_query("https://e.org/p#section-2", "x=1") == "https://e.org/p?x=1#section-2"


def test_a_question_mark_inside_the_fragment_is_not_a_query() -> None:
    assert merge_query("https://e.org/app#/route?tab=2", "x=1") == "https://e.org/app?x=1#/route?tab=2"


def test_an_empty_fragment_is_kept() -> None:
    assert merge_query("https://e.org/p#", "x=1") == "https://e.org/p?x=1#"
