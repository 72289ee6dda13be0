"""Managing links through the local server with real API keys: ownership, and concurrent edits that lose nothing.

The local server runs one invocation at a time (local/functions.py), so here concurrent requests never interleave
a read and a write; that race, and its 409, is proven against moto in tests/integration/test_links.py.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ClientFor, NewKey

pytestmark = pytest.mark.e2e

EDITORS = 20


def test_a_members_link_is_its_own_and_the_admins(
    member_client: httpx.Client, client_for: ClientFor, new_key: NewKey, client: httpx.Client, anonymous: httpx.Client
) -> None:
    # GIVEN a link created with a member's key
    created = member_client.post("/v1/links", json={"url": "https://example.org/mine"})
    assert created.status_code == 201, created.text
    path = f"/v1/links/{created.json()['code']}"

    # THEN another member is told it does not exist, an admin sees it, and nobody without a key gets in
    other = client_for(new_key("member")["key"])
    assert other.get(path).status_code == 404
    assert other.patch(path, json={"title": "Mine now"}).status_code == 404
    assert client.get(path).json()["owner"] == created.json()["owner"]
    assert anonymous.get(path).status_code == 401
    # AND its owner manages it: the change is kept in the history, and the delete answers visitors 410
    assert member_client.patch(path, json={"url": "https://example.org/moved"}).status_code == 200
    [change] = member_client.get(f"{path}/history").json()["history"]
    assert (change["old_url"], change["new_url"]) == ("https://example.org/mine", "https://example.org/moved")
    assert member_client.delete(path).status_code == 204
    assert anonymous.get(f"/{created.json()['code']}").status_code == 410


def _edit_at_once(base_url: str, key: str, path: str, headers: dict[str, str]) -> list[tuple[str, httpx.Response]]:
    """EDITORS callers each PATCH ``path`` to their own destination at the same moment."""
    start = threading.Barrier(EDITORS, timeout=30)

    def edit(editor: int) -> tuple[str, httpx.Response]:
        url = f"https://example.org/editor/{editor}"
        with httpx.Client(base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {key}"}) as http:
            start.wait()
            return url, http.patch(path, json={"url": url}, headers=headers)

    with ThreadPoolExecutor(EDITORS) as pool:
        return list(pool.map(edit, range(EDITORS)))


def test_concurrent_edits_never_lose_an_update(base_url: str, member_key: dict[str, Any]) -> None:
    # GIVEN a link
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {member_key['key']}"}) as http:
        created = http.post("/v1/links", json={"url": "https://example.org/start"}).json()
        path = f"/v1/links/{created['code']}"

        # WHEN twenty callers change its destination at once
        results = _edit_at_once(base_url, member_key["key"], path, {})

        # THEN each was either applied or refused as a conflict
        assert set(Counter(response.status_code for _, response in results)) <= {200, 409}
        assert {response.json()["error"]["code"] for _, response in results if response.status_code == 409} <= {
            "conflict"
        }
        applied = [url for url, response in results if response.status_code == 200]
        assert applied
        # AND every applied change is in the history, each one starting where the previous one left off
        link = http.get(path).json()
        history = http.get(f"{path}/history").json()["history"][::-1]
    assert link["version"] == 1 + len(applied)
    assert sorted(entry["new_url"] for entry in history) == sorted(applied)
    assert [entry["old_url"] for entry in history] == ["https://example.org/start"] + [
        entry["new_url"] for entry in history[:-1]
    ]
    assert link["url"] == history[-1]["new_url"]


def test_of_concurrent_edits_of_one_version_exactly_one_wins(base_url: str, member_key: dict[str, Any]) -> None:
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {member_key['key']}"}) as http:
        created = http.post("/v1/links", json={"url": "https://example.org/start"}).json()
        path = f"/v1/links/{created['code']}"
        etag = http.get(path).headers["etag"]

        # WHEN twenty callers who all read version 1 send their change conditionally on it
        results = _edit_at_once(base_url, member_key["key"], path, {"If-Match": etag})

        # THEN one change is applied; the others learn the link moved on (412 before their write, 409 during it)
        statuses = Counter(response.status_code for _, response in results)
        assert statuses[200] == 1
        assert set(statuses) <= {200, 409, 412}
        [winner] = [url for url, response in results if response.status_code == 200]
        assert http.get(path).json()["url"] == winner
        assert len(http.get(f"{path}/history").json()["history"]) == 1
