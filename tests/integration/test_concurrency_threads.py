"""Concurrent invocations of the handlers themselves, from threads, against a DynamoDB served over HTTP.

moto's in-process mock (what the other integration tests use) is not safe to call from several threads at once,
so this module runs the embedded DynamoDB of the local server instead. It serves one request at a time, so a
conditional write is checked and applied atomically, as DynamoDB does. Each thread stands for one Lambda
invocation with its own context and deadline; a ``threading.Barrier`` makes them start together.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest
from aws_lambda_powertools import Metrics

from local.functions import LambdaContext
from tests.events import load_event
from tests.integration.harness import (
    MEMBER_ID,
    TABLE_NAME,
    HttpResponse,
    as_caller,
    cold_start,
    embedded_table,
    key_context,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CALLERS = 20
EDITORS = 10
INVOCATION_SECONDS = 5.0  # each invocation's remaining time when it starts, as Lambda's context reports it
# The member every request comes from, allowed enough creates a minute for every test here.
CALLER = key_context(MEMBER_ID, create_rate_limit=1000)


@pytest.fixture(autouse=True)
def store() -> None:
    """Replaces the integration suite's moto table (and its ``mock_aws``): this module's table is served over
    HTTP, and every test uses codes of its own."""


@pytest.fixture(scope="module")
def table() -> Iterator[DynamoDBClient]:
    """The template's table in an embedded DynamoDB; the environment points every cold start at it."""
    with embedded_table() as client:
        yield client


@pytest.fixture(scope="module")
def handlers(table: DynamoDBClient) -> Iterator[dict[str, ModuleType]]:
    """The create and links functions, cold-started against the embedded table."""
    with pytest.MonkeyPatch.context() as env:
        # Powertools keeps one metric set per process and flushes it unguarded; Lambda never runs two
        # invocations in one process, these threads do. The metrics are not what this module tests. Whatever
        # earlier modules left unflushed, or this one accumulates, must not be flushed into another test's logs.
        env.setenv("POWERTOOLS_METRICS_DISABLED", "true")
        Metrics().clear_metrics()
        yield {name: cold_start(f"{name.capitalize()}Function", env) for name in ("create", "links")}
        Metrics().clear_metrics()


def context() -> LambdaContext:
    """A fresh invocation's context, its deadline ``INVOCATION_SECONDS`` away."""
    return LambdaContext(
        function_name="shortlinks-threads",
        function_version="$LATEST",
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:shortlinks-threads",
        memory_limit_in_mb=256,
        aws_request_id=str(uuid.uuid4()),
        log_group_name="/aws/lambda/shortlinks-threads",
        log_stream_name="2026/11/25/[$LATEST]threads",
        deadline=time.monotonic() + INVOCATION_SECONDS,
    )


def invoke(handler: ModuleType, event: dict[str, Any]) -> HttpResponse:
    result = handler.lambda_handler(event, context())
    assert isinstance(result, dict), f"a handler must answer API Gateway with a dict, not {type(result)}"
    return HttpResponse.from_lambda(result)


def all_at_once(handler: ModuleType, events: list[dict[str, Any]]) -> list[HttpResponse]:
    """Invoke ``handler`` on every event from its own thread, all released together; answers in event order."""
    start = threading.Barrier(len(events), timeout=30)

    def invocation(event: dict[str, Any]) -> HttpResponse:
        start.wait()
        return invoke(handler, event)

    with ThreadPoolExecutor(len(events)) as pool:
        return list(pool.map(invocation, events))


def create_event(alias: str, url: str) -> dict[str, Any]:
    return as_caller(load_event("create_link", body={"url": url, "alias": alias}), CALLER)


def link_event(fixture: str, code: str, **parts: Any) -> dict[str, Any]:
    return as_caller(load_event(fixture, path_parameters={"code": code}, **parts), CALLER)


def fresh_alias(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def link_items(table: DynamoDBClient, code: str) -> list[dict[str, Any]]:
    """The link items stored under ``code`` (on any domain)."""
    found: list[dict[str, Any]] = []
    for page in table.get_paginator("scan").paginate(TableName=TABLE_NAME, ConsistentRead=True):
        found += [item for item in page["Items"] if item["sk"] == {"S": "LINK"} and item["code"] == {"S": code}]
    return found


@pytest.fixture
def link(handlers: dict[str, ModuleType]) -> str:
    """A link of ``CALLER``'s at version 1; its code."""
    code = fresh_alias("edit")
    created = invoke(handlers["create"], create_event(code, "https://example.org/original"))
    assert created.status == 201, created.body
    return code


def test_twenty_threads_creating_one_alias_get_one_201_and_nineteen_409(
    handlers: dict[str, ModuleType], table: DynamoDBClient
) -> None:
    # GIVEN twenty invocations that all want the same alias, each for its own destination
    alias = fresh_alias("race")
    events = [create_event(alias, f"https://example.org/caller/{n}") for n in range(CALLERS)]

    # WHEN they run at the same moment
    responses = all_at_once(handlers["create"], events)

    # THEN exactly one creates the link, the others are told the alias is taken, and one item holds the winner's
    assert Counter(response.status for response in responses) == {201: 1, 409: CALLERS - 1}
    assert {response.json()["error"]["code"] for response in responses if response.status == 409} == {"code_taken"}
    winner = next(response.json() for response in responses if response.status == 201)
    assert [item["url"]["S"] for item in link_items(table, alias)] == [winner["url"]]


def test_concurrent_edits_without_if_match_each_land_or_conflict_and_history_counts_those_that_landed(
    handlers: dict[str, ModuleType], link: str
) -> None:
    # GIVEN ten editors each changing the same link's destination to their own, without If-Match
    events = [link_event("update_link", link, body={"url": f"https://example.org/editor/{n}"}) for n in range(EDITORS)]

    # WHEN they send their changes at the same moment
    responses = all_at_once(handlers["links"], events)

    # THEN each change either landed or was refused as a conflict (never a server error)
    assert {response.status for response in responses} <= {200, 409}
    assert {response.json()["error"]["code"] for response in responses if response.status == 409} <= {"conflict"}
    landed = sorted((response.json() for response in responses if response.status == 200), key=lambda b: b["version"])
    assert landed, "at least one change must land"
    # ... each one that landed made exactly one new version, and one history entry
    assert [body["version"] for body in landed] == list(range(2, 2 + len(landed)))
    history = invoke(handlers["links"], link_event("link_history", link)).json()["history"]
    assert sorted(entry["version"] for entry in history) == [body["version"] for body in landed]
    current = invoke(handlers["links"], link_event("get_link", link)).json()
    assert (current["version"], current["url"]) == (1 + len(landed), landed[-1]["url"])


def test_concurrent_edits_of_the_same_version_with_if_match_let_exactly_one_land(
    handlers: dict[str, ModuleType], link: str
) -> None:
    # GIVEN ten editors who all read version 1 and send their change with If-Match: "1"
    events = [
        link_event("update_link", link, body={"url": f"https://example.org/editor/{n}"}, headers={"if-match": '"1"'})
        for n in range(EDITORS)
    ]

    # WHEN they send them at the same moment
    responses = all_at_once(handlers["links"], events)

    # THEN exactly one lands; every other is refused, as a failed precondition (the link is no longer at
    # version 1) or, when it read version 1 before the winner wrote, as a conflict (docs/api.md)
    statuses = Counter(response.status for response in responses)
    assert statuses[200] == 1
    assert set(statuses) <= {200, 409, 412}
    refusals = {(response.status, response.json()["error"]["code"]) for response in responses if response.status != 200}
    assert refusals <= {(412, "precondition_failed"), (409, "conflict")}
    winner = next(response.json() for response in responses if response.status == 200)
    history = invoke(handlers["links"], link_event("link_history", link)).json()["history"]
    assert [(entry["version"], entry["new_url"]) for entry in history] == [(2, winner["url"])]
    current = invoke(handlers["links"], link_event("get_link", link)).json()
    assert (current["version"], current["url"]) == (2, winner["url"])
