"""Concurrent callers: uniqueness holds, and nobody gets somebody else's answer."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

pytestmark = pytest.mark.e2e

CALLERS = 20


def test_twenty_concurrent_creates_of_one_alias_yield_one_201_and_nineteen_409(
    base_url: str, admin_key: str, unique_alias: Callable[[str], str]
) -> None:
    # GIVEN twenty callers who all want the same alias, each with its own destination
    alias = unique_alias("race")
    start = threading.Barrier(CALLERS, timeout=30)

    def claim(caller: int) -> httpx.Response:
        with httpx.Client(base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {admin_key}"}) as http:
            start.wait()
            return http.post("/v1/links", json={"url": f"https://example.org/caller/{caller}", "alias": alias})

    # WHEN they ask at the same moment
    with ThreadPoolExecutor(CALLERS) as pool:
        responses = list(pool.map(claim, range(CALLERS)))

    # THEN exactly one gets it, the others are told it is taken, and the link leads to the winner's destination
    assert Counter(r.status_code for r in responses) == {201: 1, 409: CALLERS - 1}
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"code_taken"}
    winner = next(r.json() for r in responses if r.status_code == 201)
    assert httpx.get(f"{base_url}/{alias}").headers["location"] == winner["url"]


def test_concurrent_requests_are_each_answered_about_their_own_link(base_url: str, admin_key: str) -> None:
    # GIVEN creates and expands in flight at the same time
    start = threading.Barrier(CALLERS, timeout=30)

    def create(caller: int) -> tuple[str, httpx.Response]:
        url = f"https://example.org/own/{caller}"
        with httpx.Client(base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {admin_key}"}) as http:
            start.wait()
            if caller % 2:
                return "expand", http.get("/v1/expand", params={"code": f"missing{caller}"})
            return url, http.post("/v1/links", json={"url": url})

    with ThreadPoolExecutor(CALLERS) as pool:
        results = list(pool.map(create, range(CALLERS)))

    # THEN every create answers with its own destination, and every expand with its own miss
    for asked, response in results:
        if asked == "expand":
            assert response.status_code == 404
        else:
            assert response.status_code == 201
            assert response.json()["url"] == asked
