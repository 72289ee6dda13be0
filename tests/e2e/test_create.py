"""Creating short links over HTTP."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

import httpx
import pytest

pytestmark = pytest.mark.e2e


def test_create_answers_201_with_the_link_and_where_it_lives(client: httpx.Client, base_url: str) -> None:
    # WHEN a link is created without an alias
    response = client.post("/v1/links", json={"url": "https://example.org/some/long/path"})

    # THEN it is created under a generated code, and the answer says where the short link is
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    link = response.json()
    assert re.fullmatch(r"[0-9A-Za-z]{7}", link["code"])
    assert link["short_url"] == f"{base_url}/{link['code']}"
    assert link["url"] == "https://example.org/some/long/path"
    assert link["redirect_type"] == 302
    assert link["expires_at"] is None
    assert datetime.fromisoformat(link["created_at"]).tzinfo is not None
    assert response.headers["location"] == f"/v1/links/{link['code']}"


def test_create_with_an_alias_uses_it_as_the_code(
    client: httpx.Client, base_url: str, unique_alias: Callable[[str], str]
) -> None:
    alias = unique_alias("Team")

    response = client.post(
        "/v1/links",
        json={
            "url": "https://example.org/",
            "alias": alias,
            "redirect_type": 301,
            "expires_at": "2099-12-31T23:59:59Z",
        },
    )

    assert response.status_code == 201
    link = response.json()
    assert (link["code"], link["short_url"]) == (alias, f"{base_url}/{alias}")
    assert link["redirect_type"] == 301
    assert link["expires_at"] == "2099-12-31T23:59:59.000Z"


def test_generated_codes_differ_for_the_same_destination(client: httpx.Client) -> None:
    codes = {client.post("/v1/links", json={"url": "https://example.org/same"}).json()["code"] for _ in range(3)}

    assert len(codes) == 3
