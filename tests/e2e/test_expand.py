"""Expanding short links: where they lead, without following them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e

CreateLink = Callable[..., dict[str, Any]]


def test_expand_by_short_url_shows_the_link_without_redirecting(create_link: CreateLink, client: httpx.Client) -> None:
    link = create_link(url="https://example.org/annual-report", title="Annual report")

    response = client.get("/v1/expand", params={"url": link["short_url"]})

    assert response.status_code == 200
    assert "location" not in response.headers
    expanded = response.json()
    assert expanded["status"] == "active"
    assert expanded["url"] == "https://example.org/annual-report"
    assert expanded["title"] == "Annual report"
    assert {k: expanded[k] for k in ("code", "short_url", "created_at")} == {
        k: link[k] for k in ("code", "short_url", "created_at")
    }


def test_expand_by_code(create_link: CreateLink, client: httpx.Client) -> None:
    link = create_link(url="https://example.org/by-code", redirect_type=307, forward_query=False)

    response = client.get("/v1/expand", params={"code": link["code"]})

    assert response.status_code == 200
    assert response.json() == link | {"status": "active"}


def test_expand_accepts_a_short_url_without_its_scheme(create_link: CreateLink, client: httpx.Client) -> None:
    link = create_link(url="https://example.org/no-scheme")

    response = client.get("/v1/expand", params={"url": link["short_url"].removeprefix("http://")})

    assert response.status_code == 200
    assert response.json()["code"] == link["code"]


def test_expanding_an_unknown_code_is_404(client: httpx.Client) -> None:
    response = client.get("/v1/expand", params={"code": "NoSuchCode3"})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_another_services_short_url_is_followed_not_looked_up(client: httpx.Client) -> None:
    # The suite resolves no names (tests/conftest.py): the chain stops at once, and nothing of ours is answered.
    response = client.get("/v1/expand", params={"url": "https://bit.ly/abc"})

    assert response.status_code == 200
    assert response.json()["stopped"] == "connection_failed"
    assert response.json()["hops"] == []
