"""Following short links: statuses, Location, query forwarding, caching and refusals."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e

CreateLink = Callable[..., dict[str, Any]]

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


def test_following_a_short_url_lands_on_the_destination(
    create_link: CreateLink, browser: httpx.Client, destination: str
) -> None:
    # GIVEN a link to a page of the destination site
    link = create_link(url=f"{destination}/articles/42?ref=newsletter")

    # WHEN a browser follows the short URL
    response = browser.get(link["short_url"])

    # THEN it ends up on that page, having been redirected once
    assert response.status_code == 200
    assert str(response.url) == f"{destination}/articles/42?ref=newsletter"
    assert response.json() == {"method": "GET", "path": "/articles/42", "query": "ref=newsletter"}
    assert [r.status_code for r in response.history] == [302]


@pytest.mark.parametrize(("redirect_type", "cache_control"), [(301, 300), (302, 0), (307, 0), (308, 300)])
def test_each_redirect_type_is_answered_with_its_status_and_location(
    create_link: CreateLink, client: httpx.Client, destination: str, redirect_type: int, cache_control: int
) -> None:
    link = create_link(url=f"{destination}/landing", redirect_type=redirect_type)

    response = client.get(f"/{link['code']}")

    assert response.status_code == redirect_type
    assert response.headers["location"] == f"{destination}/landing"
    # permanent redirects may be cached for a while, temporary ones not at all (template defaults)
    assert response.headers["cache-control"] == f"private, max-age={cache_control}"
    assert response.content == b""


def test_redirects_are_kept_out_of_search_engines_and_leak_only_the_origin(
    create_link: CreateLink, client: httpx.Client
) -> None:
    link = create_link(url="https://example.org/private/page")

    response = client.get(f"/{link['code']}")

    assert response.headers["x-robots-tag"] == "noindex"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "cache-control" in response.headers


def test_the_request_query_is_merged_into_the_destination_and_wins_on_a_clash(
    create_link: CreateLink, browser: httpx.Client, destination: str
) -> None:
    # GIVEN a destination that already has a query
    link = create_link(url=f"{destination}/landing?a=1&b=2")

    # WHEN the short URL is followed with a query of its own, one name clashing
    response = browser.get(f"{link['short_url']}?b=3&c=4")

    # THEN the destination receives both, the request's value for the clashing name
    assert response.json()["query"] == "a=1&b=3&c=4"


def test_forwarded_query_keeps_its_encoding(create_link: CreateLink, client: httpx.Client, destination: str) -> None:
    link = create_link(url=f"{destination}/search")

    response = client.get(f"/{link['code']}?q=caf%C3%A9%20au%20lait&path=%2Fa%2Fb")

    assert response.headers["location"] == f"{destination}/search?q=caf%C3%A9%20au%20lait&path=%2Fa%2Fb"


def test_forward_query_false_ignores_the_request_query(
    create_link: CreateLink, client: httpx.Client, destination: str
) -> None:
    link = create_link(url=f"{destination}/fixed?x=1", forward_query=False)

    response = client.get(f"/{link['code']}?x=2&utm_source=mail")

    assert response.headers["location"] == f"{destination}/fixed?x=1"


def test_head_answers_the_redirect_without_a_body(create_link: CreateLink, client: httpx.Client) -> None:
    link = create_link(url="https://example.org/head", redirect_type=308)

    response = client.head(f"/{link['code']}")

    assert response.status_code == 308
    assert response.headers["location"] == "https://example.org/head"
    assert response.content == b""


def test_an_unknown_code_is_a_json_404_for_api_clients(client: httpx.Client) -> None:
    response = client.get("/NoSuchCode1", headers={"accept": "application/json"})

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"
    assert response.headers["cache-control"] == "no-store"
    assert "location" not in response.headers


def test_an_unknown_code_is_an_html_page_for_browsers(client: httpx.Client) -> None:
    response = client.get("/NoSuchCode2", headers={"accept": BROWSER_ACCEPT})

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>Link not found</title>" in response.text
    assert response.headers["cache-control"] == "no-store"


def test_codes_are_case_sensitive(
    create_link: CreateLink, client: httpx.Client, unique_alias: Callable[[str], str]
) -> None:
    # GIVEN two links whose aliases differ only in case
    upper = unique_alias("CASE")
    lower = upper.lower()
    create_link(url="https://example.org/upper", alias=upper)
    create_link(url="https://example.org/lower", alias=lower)

    # THEN each code leads to its own destination, and a third spelling to none
    assert client.get(f"/{upper}").headers["location"] == "https://example.org/upper"
    assert client.get(f"/{lower}").headers["location"] == "https://example.org/lower"
    assert client.get(f"/{upper.swapcase()}").status_code == 404


@pytest.fixture(scope="module")
def expired_link(base_url: str, admin_key: str) -> dict[str, Any]:
    """A link that expired a moment ago: created with an expiry two seconds ahead, then waited out."""
    expires_at = datetime.now(UTC) + timedelta(seconds=2)
    created = httpx.post(
        f"{base_url}/v1/links",
        json={"url": "https://example.org/sale", "expires_at": expires_at.isoformat()},
        headers={"Authorization": f"Bearer {admin_key}"},
    )
    assert created.status_code == 201, created.text
    link: dict[str, Any] = created.json()
    assert httpx.get(f"{base_url}/{link['code']}").status_code == 302  # live until then
    time.sleep(max(0.0, (expires_at - datetime.now(UTC)).total_seconds()) + 0.05)
    return link


def test_an_expired_link_is_gone(expired_link: dict[str, Any], client: httpx.Client) -> None:
    response = client.get(f"/{expired_link['code']}", headers={"accept": "application/json"})

    assert response.status_code == 410
    assert response.json()["error"]["code"] == "link_expired"
    assert response.headers["cache-control"] == "no-store"
    assert "location" not in response.headers


def test_an_expired_link_shows_browsers_a_page(expired_link: dict[str, Any], client: httpx.Client) -> None:
    response = client.get(f"/{expired_link['code']}", headers={"accept": BROWSER_ACCEPT})

    assert response.status_code == 410
    assert "<title>Link expired</title>" in response.text


def test_expand_reports_an_expired_link_as_expired(expired_link: dict[str, Any], client: httpx.Client) -> None:
    response = client.get("/v1/expand", params={"code": expired_link["code"]})

    assert response.status_code == 200
    assert response.json()["status"] == "expired"
