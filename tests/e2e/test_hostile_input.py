"""The hostile input corpus (issue 8, section 5): every case in ``hostile_cases.CASES`` against the local server.

For each case: no 5xx; exactly the expected status and error code, in the documented shape (the service's
``{"error": {"code", "message", "details"?}}`` JSON, API Gateway's own ``{"message"}``, or the redirect's HTML
page); and nothing written: the table holds as many items after the request as before, and the items its route
could change are as they were (WRITTEN_BY_DESIGN says which items are not counted, and why).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import boto3
import httpx
import pytest

from tests.e2e.conftest import LocalServerProcess
from tests.e2e.hostile_cases import ABSENT, CASES, FRESH, FULL_DOMAIN, LOCKED, NOBODY_KEY_ID, HostileCase

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.e2e

# What "nothing written" means. Every item kind the service writes (functions/shortlinks/storage/keys.py) is
# counted, except those that a refused request may write by design, left out by their partition key's prefix:
# - RATE#<key_id>: the create rate limit's counter for the minute. A create is counted once it passes every rule,
#   just before its write, and stays counted when the write then fails (docs/api.md, Rate limit): the cases with
#   a taken alias (409 code_taken) count.
# - IDEMPOTENCY#create: Powertools' idempotency record. A create with an Idempotency-Key saves it as INPROGRESS
#   before the create runs and deletes it when the create raises, so a refused create leaves none; it is the
#   utility's bookkeeping all the same, and it expires through its ttl should the delete ever fail.
# - STATS#, BATCH# and SECRET#visitor: the click statistics. Every request to the redirect, refused or not, writes
#   a click record that the aggregator (fed by the local server as the log subscription is in AWS) counts a moment
#   later, asynchronously: a 404 is a domain's miss. That is the statistics working, not the request writing.
# A count sees items added or removed; an item changed in place is compared whole, for the items a case's route
# can change: a link (PATCH, DELETE: its record and its history share its partition), the domains (PUT, PATCH,
# DELETE), the API keys (DELETE revokes).
WRITTEN_BY_DESIGN = ("RATE#", "IDEMPOTENCY#", "STATS#", "BATCH#", "SECRET#")
# The authorizer records the day a key is first used each day (docs/api.md, /v1/keys: last_used_day): an update
# of the key's record made for any request, refused or not, so it is not compared.
UNCOMPARED_ATTRIBUTES = ("last_used_day",)

GATEWAY_MESSAGES = {404: "Not Found", 413: "Request Entity Too Large"}
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
LOCKED_DOMAIN = FULL_DOMAIN | {"allowed_keys": [NOBODY_KEY_ID]}
EXPIRY_WAIT = timedelta(seconds=2)


@dataclass(frozen=True)
class World:
    """What the cases' placeholders stand for, made through the API before the first case runs."""

    values: dict[str, str]
    admin_key: str
    member_key: str

    def fill(self, text: str) -> str:
        for placeholder in sorted(self.values, key=len, reverse=True):  # $ADMIN_KEY before a shorter $ADMIN...
            text = text.replace(placeholder, self.values[placeholder])
        return text

    def fill_bytes(self, data: bytes) -> bytes:
        for placeholder in sorted(self.values, key=len, reverse=True):
            data = data.replace(placeholder.encode(), self.values[placeholder].encode())
        return data

    def fill_json(self, value: object) -> object:
        if isinstance(value, str):
            return self.fill(value)
        if isinstance(value, list):
            return [self.fill_json(item) for item in value]
        if isinstance(value, dict):
            return {self.fill(str(key)): self.fill_json(item) for key, item in value.items()}
        return value


@pytest.fixture(scope="module")
def http(base_url: str) -> Iterator[httpx.Client]:
    """One client for the whole corpus, sending no key unless a case asks for one; it does not follow redirects."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


class Table:
    """The embedded DynamoDB's table, read the way the checks need it."""

    def __init__(self, client: DynamoDBClient, name: str) -> None:
        self._client, self._name = client, name

    def count(self) -> int:
        """How many items it holds, those written by design (WRITTEN_BY_DESIGN) left out."""
        total = 0
        pages = self._client.get_paginator("scan").paginate(
            TableName=self._name,
            Select="COUNT",
            FilterExpression=" AND ".join(f"NOT begins_with(pk, :p{i})" for i in range(len(WRITTEN_BY_DESIGN))),
            ExpressionAttributeValues={f":p{i}": {"S": prefix} for i, prefix in enumerate(WRITTEN_BY_DESIGN)},
        )
        for page in pages:
            total += page["Count"]
        return total

    def items(self, partition: str, index: str | None = None) -> list[dict[str, Any]]:
        """Every item of one partition (of the table, or of a global secondary index), as stored."""
        key = "gsi1pk" if index else "pk"
        query: dict[str, Any] = {
            "TableName": self._name,
            "KeyConditionExpression": f"{key} = :partition",
            "ExpressionAttributeValues": {":partition": {"S": partition}},
        }
        if index:
            query["IndexName"] = index
        found = []
        for page in self._client.get_paginator("query").paginate(**query):
            for item in page.get("Items", []):
                found.append({name: value for name, value in item.items() if name not in UNCOMPARED_ATTRIBUTES})
        return found


@pytest.fixture(scope="module")
def table(local_server: LocalServerProcess) -> Table:
    """The server's table, at the endpoint and with the name its banner prints."""
    banner = local_server.log_path.read_text(errors="replace")
    found = re.search(r"\btable (\S+)", banner)
    assert found, "the server did not print its table name"
    client = boto3.client(
        "dynamodb",
        endpoint_url=local_server.dynamodb_endpoint(),
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return Table(client, found.group(1))


@pytest.fixture(scope="module")
def world(http: httpx.Client, admin_key: str, local_server: LocalServerProcess) -> Iterator[World]:
    """An admin's links (active, deleted, disabled, expired), a member key, a revoked key, and the LOCKED domain."""
    admin = {"Authorization": f"Bearer {admin_key}"}
    tag = uuid.uuid4().hex[:10]

    def call(method: str, path: str, status: int, body: object = None) -> dict[str, Any]:
        response = http.request(method, path, headers=admin, json=body)
        assert response.status_code == status, f"{method} {path}: {response.text}"
        return response.json() if response.content else {}

    def new_link(alias: str, **fields: object) -> dict[str, Any]:
        return call("POST", "/v1/links", 201, {"url": f"https://example.org/{alias}", "alias": alias, **fields})

    expires_at = datetime.now(UTC) + EXPIRY_WAIT
    expired = new_link(f"hostile-expired-{tag}", expires_at=expires_at.isoformat())
    link = new_link(f"hostile-{tag}")
    gone = new_link(f"hostile-gone-{tag}")
    call("DELETE", f"/v1/links/{gone['code']}", 204)
    off = new_link(f"hostile-off-{tag}")
    call("PATCH", f"/v1/links/{off['code']}", 200, {"disabled": True})
    member = call("POST", "/v1/keys", 201, {"name": f"hostile member {tag}", "role": "member"})
    revoked = call("POST", "/v1/keys", 201, {"name": f"hostile revoked {tag}", "role": "member"})
    call("DELETE", f"/v1/keys/{revoked['key_id']}", 204)  # never used before: no authorizer remembers it valid
    call("PUT", f"/v1/domains/{LOCKED}", 200, LOCKED_DOMAIN)
    assert http.get(f"/v1/domains/{FRESH}", headers=admin).status_code == 404, f"{FRESH} must not be registered"
    time.sleep(max(0.0, (expires_at - datetime.now(UTC)).total_seconds()) + 0.1)
    world = World(
        values={
            "$LINK": link["code"],
            "$UPPER_LINK": link["code"].upper(),
            "$GONE": gone["code"],
            "$OFF": off["code"],
            "$EXPIRED": expired["code"],
            "$PORT": str(httpx.URL(local_server.url).port),
            "$ADMIN_KEY": admin_key,
            "$MEMBER_KEY": member["key"],
            "$REVOKED_KEY": revoked["key"],
            "$ADMIN_ID": link["owner"],
            "$MEMBER_ID": member["key_id"],
        },
        admin_key=admin_key,
        member_key=member["key"],
    )
    yield world
    http.delete(f"/v1/domains/{LOCKED}", params={"force": "true"}, headers=admin)
    for code in {link["code"], world.values["$LINK"], off["code"], expired["code"]}:
        http.delete(f"/v1/links/{code}", headers=admin)
    http.delete(f"/v1/keys/{member['key_id']}", headers=admin)


def watched(case: HostileCase, world: World) -> list[tuple[str, str | None]]:
    """The partitions (and their index) whose items ``case``'s route could change in place."""
    path = world.fill(case.path).partition("?")[0]
    if case.method in ("PATCH", "DELETE") and path.startswith("/v1/links/"):
        code = unquote(path.removeprefix("/v1/links/"))
        return [(f"LINK#127.0.0.1#{code}", None)]
    if case.method in ("PUT", "PATCH", "DELETE") and path.startswith("/v1/domains/"):
        return [("DOMAINS", None)]
    if case.method == "DELETE" and path.startswith("/v1/keys/"):
        return [("APIKEYS", "gsi1")]
    return []


Snapshot = tuple[int, list[list[dict[str, Any]]]]


def snapshot(table: Table, partitions: list[tuple[str, str | None]]) -> Snapshot:
    """How many items the table holds, and every item of ``partitions``."""
    return table.count(), [table.items(partition, index) for partition, index in partitions]


def send(http: httpx.Client, case: HostileCase, world: World) -> httpx.Response:
    """``case``'s request, with exactly the headers it names (and the key its ``auth`` names)."""
    headers: list[tuple[bytes, bytes]] = []
    if case.auth != "none":
        key = world.admin_key if case.auth == "admin" else world.member_key
        headers.append((b"Authorization", f"Bearer {key}".encode()))
    names = {name.lower() for name, _ in case.headers}
    content: bytes | None = None
    if case.raw is not None:
        content = world.fill_bytes(case.raw)
    elif case.body is not ABSENT:
        content = json.dumps(world.fill_json(case.body), ensure_ascii=False).encode()  # UTF-8, as clients send it
    if content is not None and "content-type" not in names:
        headers.append((b"Content-Type", b"application/json"))
    for name, value in case.headers:
        raw_value = world.fill_bytes(value) if isinstance(value, bytes) else world.fill(value).encode()
        headers.append((name.encode(), raw_value))
    request = http.build_request(case.method, world.fill(case.path), headers=headers, content=content)
    if "accept" not in names:
        del request.headers["Accept"]  # httpx's default "*/*": a case without Accept sends none
    return http.send(request)


def check_error(error: object, code: str, detail: str | None) -> None:
    """The service's error object: ``code`` and ``message``, and ``details`` with (only with) validation_error."""
    assert isinstance(error, dict), error
    assert set(error) <= {"code", "message", "details"}, error
    assert error.get("code") == code, f"expected code {code!r}, got {error}"
    assert isinstance(error.get("message"), str), error
    assert error["message"], error
    if code != "validation_error":
        assert "details" not in error, error
        return
    details = error.get("details")
    assert isinstance(details, list), error
    assert details, error
    for item in details:
        assert isinstance(item, dict), error
        assert set(item) == {"field", "message"}, error
        assert all(isinstance(value, str) for value in item.values()), error
    if detail is not None:  # the field itself or a part of it ("tags.0")
        named = [item["field"] for item in details if item["field"] == detail or item["field"].startswith(f"{detail}.")]
        assert named, f"details do not name {detail!r}: {details}"


def check_answer(case: HostileCase, response: httpx.Response) -> None:
    where = f"{case.method} {response.request.url.raw_path.decode(errors='replace')[:200]}"
    assert response.status_code < 500, f"{where} answered {response.status_code}: {response.text[:500]}"
    assert response.status_code == case.status, (
        f"{where}: expected {case.status} {case.code}, got {response.status_code}: {response.text[:500]}"
    )
    content_type = response.headers.get("content-type")
    if case.answer == "gateway":
        assert content_type == "application/json"
        assert response.json() == {"message": GATEWAY_MESSAGES[case.status]}
        return
    assert response.headers.get("cache-control") == "no-store", response.headers
    if case.answer == "html":
        assert content_type == "text/html; charset=utf-8"
        assert response.headers.get("content-security-policy") == PAGE_CSP
        title = {404: "Link not found", 410: "Link no longer available"}[case.status]
        title = "Link expired" if case.code == "link_expired" else title
        assert f"<title>{title}</title>" in response.text
        assert "<script" not in response.text.lower(), "the page reflects markup from the request"
        return
    assert content_type == "application/json"
    assert response.headers.get("x-content-type-options") == "nosniff", response.headers
    if case.answer == "head":
        assert response.content == b""
        return
    body = response.json()
    assert isinstance(body, dict), body
    if case.answer == "bulk":
        assert (body.get("created"), body.get("failed")) == (0, len(case.items)), body
        results = body.get("results")
        assert isinstance(results, list), body
        assert [(r.get("index"), r.get("status")) for r in results] == [
            (index, status) for index, (status, _) in enumerate(case.items)
        ], results
        for result, (_, code) in zip(results, case.items, strict=True):
            assert "link" not in result, result
            check_error(result.get("error"), code, None)
        return
    assert set(body) == {"error"}, body
    assert case.code is not None
    check_error(body["error"], case.code, case.detail)


def check_nothing_written(before: Snapshot, after: Snapshot, partitions: list[tuple[str, str | None]]) -> None:
    assert after[0] == before[0], f"the table held {before[0]} items and now holds {after[0]}"
    for (partition, _), was, now in zip(partitions, before[1], after[1], strict=True):
        assert now == was, f"items of {partition} changed: {was} -> {now}"


def undo(http: httpx.Client, case: HostileCase, response: httpx.Response, world: World) -> None:
    """Put back what a wrongly accepted request changed that later cases rely on, so one defect fails one case:
    ``$LINK`` (a deleted one is replaced by a new link), and the domains (a domain registered by mistake makes
    every destination on it a loop; LOCKED must keep admitting no member; 127.0.0.1 must stay the default)."""
    admin = {"Authorization": f"Bearer {world.admin_key}"}
    if case.method == "DELETE" and case.path.startswith("/v1/links/$LINK") and response.status_code == 204:
        alias = f"hostile-{uuid.uuid4().hex[:10]}"
        created = http.post("/v1/links", json={"url": f"https://example.org/{alias}", "alias": alias}, headers=admin)
        assert created.status_code == 201, created.text
        world.values.update({"$LINK": alias, "$UPPER_LINK": alias.upper()})
        return
    if not case.path.startswith("/v1/domains/") or response.status_code not in (200, 204):
        return
    host = (
        str(response.json().get("host", "")) if case.method in ("PUT", "PATCH") and response.status_code == 200 else ""
    )
    if host == LOCKED or (case.method == "DELETE" and LOCKED in case.path):
        http.put(f"/v1/domains/{LOCKED}", json=LOCKED_DOMAIN, headers=admin)
    elif case.method == "DELETE" and "/v1/domains/127.0.0.1" in case.path:  # the server's own, default domain
        own = FULL_DOMAIN | {"base_url": f"http://127.0.0.1:{world.values['$PORT']}", "is_default": True}
        http.put("/v1/domains/127.0.0.1", json=own, headers=admin)
    elif host and host != "127.0.0.1":
        http.delete(f"/v1/domains/{host}", params={"force": "true"}, headers=admin)


def test_the_corpus_covers_at_least_300_cases_with_unique_ids() -> None:
    ids = [case.id for case in CASES]

    assert len(ids) >= 300
    assert len(set(ids)) == len(ids), [i for i in ids if ids.count(i) > 1]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_hostile_request_is_refused_cleanly_and_writes_nothing(
    case: HostileCase, http: httpx.Client, world: World, table: Table
) -> None:
    # GIVEN the table as it is
    partitions = watched(case, world)
    before = snapshot(table, partitions)

    # WHEN the hostile request is sent
    response = send(http, case, world)

    # THEN it gets exactly its refusal, in the documented shape, and the table is as it was
    try:
        after = snapshot(table, partitions)
        check_answer(case, response)
        check_nothing_written(before, after, partitions)
    finally:
        undo(http, case, response, world)
