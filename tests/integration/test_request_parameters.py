"""Query parameters and headers that once answered 500 or the wrong code: numbers in other scripts (``limit``,
``If-Match``), a malformed ``domain`` (body or ``?domain=``), and short URLs with another scheme given to expand."""

from __future__ import annotations

from typing import Any

import pytest

from shortlinks.domain.target import LinkState
from tests.events import load_event
from tests.integration.harness import (
    MEMBER,
    MEMBER_ID,
    HttpResponse,
    LambdaFunction,
    LinkStore,
    as_caller,
)

CODE = "AbC1234"  # the code the link fixtures name
DESTINATION = "https://example.org/resources?lang=en"
# Each passes str.isdigit() (or int()), none is an ASCII number: superscript two, circled one, Arabic-Indic
# twenty, fullwidth five, and one that int() refuses for its length.
NOT_ASCII_NUMBERS = ["²", "①", "\u0662\u0660", "\uff15", "9" * 5000]
MALFORMED_DOMAINS = ["care link", "-care.link", "care..link", "exa%41mple.org", "1.2.3.4.5", "care.link?x"]


def assert_error(response: HttpResponse, status: int, code: str, field: str | None = None) -> None:
    assert response.status == status, response.body
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code
    if field is not None:
        assert [detail["field"] for detail in error["details"]] == [field]


def links_request(
    fixture: str,
    *,
    query: str | dict[str, str] | None = None,
    headers: dict[str, str | None] | None = None,
    caller: dict[str, Any] = MEMBER,
) -> dict[str, Any]:
    return as_caller(load_event(fixture, query=query, headers=headers), caller)


# --- numbers: ASCII digits only ---------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", NOT_ASCII_NUMBERS)
def test_a_limit_that_is_not_an_ascii_number_is_a_validation_error(links: LambdaFunction, limit: str) -> None:
    response = links(links_request("list_links", query={"limit": limit}))

    assert_error(response, 422, "validation_error", "limit")


def test_a_limit_of_ascii_digits_is_read(links: LambdaFunction, store: LinkStore) -> None:
    store.add(CODE, DESTINATION, owner=MEMBER_ID)

    response = links(links_request("list_links", query={"limit": "007"}))

    assert response.status == 200, response.body
    assert [link["code"] for link in response.json()["links"]] == [CODE]


@pytest.mark.parametrize("version", NOT_ASCII_NUMBERS)
@pytest.mark.parametrize("spelling", ['"{}"', 'W/"{}"', "{}"])
def test_an_if_match_that_is_not_an_ascii_number_is_a_validation_error_and_changes_nothing(
    links: LambdaFunction, store: LinkStore, version: str, spelling: str
) -> None:
    # GIVEN a member's link
    store.add(CODE, DESTINATION, owner=MEMBER_ID)
    before = store.items()

    # WHEN a PATCH carries an If-Match whose version is digits of another kind
    response = links(links_request("update_link", headers={"if-match": spelling.format(version)}))

    # THEN it is refused as a malformed header, and the link is untouched
    assert_error(response, 422, "validation_error", "If-Match")
    assert store.items() == before


# --- a malformed domain is invalid_domain, wherever it is named ----------------------------------------------------


@pytest.mark.parametrize("domain", MALFORMED_DOMAINS)
def test_a_malformed_domain_in_the_create_body_is_invalid_domain(
    create: LambdaFunction, store: LinkStore, domain: str
) -> None:
    response = create(load_event("create_link", body={"url": DESTINATION, "domain": domain}))

    assert_error(response, 422, "invalid_domain")
    assert store.items() == []


@pytest.mark.parametrize("domain", MALFORMED_DOMAINS)
@pytest.mark.parametrize("fixture", ["get_link", "update_link", "delete_link", "link_history"])
def test_a_malformed_domain_parameter_on_a_link_route_is_invalid_domain(
    links: LambdaFunction, store: LinkStore, fixture: str, domain: str
) -> None:
    store.add(CODE, DESTINATION, owner=MEMBER_ID)
    before = store.items()

    response = links(links_request(fixture, query={"domain": domain}))

    assert_error(response, 422, "invalid_domain")
    assert store.items() == before


@pytest.mark.parametrize("domain", MALFORMED_DOMAINS)
def test_a_malformed_domain_parameter_on_expand_is_invalid_domain(expand: LambdaFunction, domain: str) -> None:
    response = expand(load_event("expand", query={"code": CODE, "domain": domain}))

    assert_error(response, 422, "invalid_domain")


def test_a_domain_parameter_in_another_spelling_of_our_host_names_our_domain(
    links: LambdaFunction, store: LinkStore
) -> None:
    store.add(CODE, DESTINATION, owner=MEMBER_ID)

    response = links(links_request("get_link", query={"domain": "SHO.RT."}))

    assert response.status == 200, response.body
    assert response.json()["domain"] == "sho.rt"


# --- expand: a short URL is http(s) or has no scheme ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "ftp://sho.rt/AbC1234",
        "javascript://sho.rt/AbC1234",
    ],
)
def test_expanding_a_url_with_another_scheme_is_unsupported_scheme(
    expand: LambdaFunction, store: LinkStore, url: str
) -> None:
    store.add(CODE, DESTINATION)

    response = expand(load_event("expand", query={"url": url}))

    assert_error(response, 422, "unsupported_scheme")


@pytest.mark.parametrize("url", ["sho.rt/AbC1234", "sho.rt:443/AbC1234", "https://sho.rt/AbC1234"])
def test_expanding_a_url_without_a_scheme_or_with_https_finds_the_link(
    expand: LambdaFunction, store: LinkStore, url: str
) -> None:
    store.add(CODE, DESTINATION, state=LinkState.ACTIVE)

    response = expand(load_event("expand", query={"url": url}))

    assert response.status == 200, response.body
    assert response.json()["code"] == CODE
