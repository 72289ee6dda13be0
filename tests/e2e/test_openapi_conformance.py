"""The local server fuzzed against docs/openapi.json with schemathesis: no route answers a 5xx, and every answer
conforms to the document (a documented status, media type and headers, a body its schema accepts).

A server of its own (in-process, its own embedded DynamoDB), so what the fuzzer creates, changes or deletes
(links, keys, domains) touches no other test. It fuzzes with an admin key it creates through
``POST /v1/keys``, so the admin routes are reached too. Bounded and repeatable: a fixed number of examples per
operation, derandomized. Nothing leaves loopback: third-party expansion is off (``GET /v1/expand`` of another
service's link answers ``422 not_our_short_url`` without any lookup).

Destructive operations stay harmless: revoking needs a ``key_id``, and the fuzzer's own is never in the document,
so it cannot guess it; deleting a domain answers ``404`` for the made-up hosts it sends, never the default domain's
``127.0.0.1`` (a case naming it is skipped below).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local.openapi import DOCUMENT_PATH
from local.server import LocalServer
from shortlinks.domain.keys import generate_key

DOCUMENT: dict[str, Any] = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
OPERATIONS = [(method.upper(), path) for path, item in DOCUMENT["paths"].items() for method in item]
# Those with something a request can break: a body, or a query parameter or header with a schema (a path parameter
# is any non-empty segment, and every other input is ignored).
BREAKABLE = [
    (method, path)
    for method, path in OPERATIONS
    if "requestBody" in (operation := DOCUMENT["paths"][path][method.lower()])
    or any(parameter["in"] != "path" for parameter in operation.get("parameters", []))
]
EXAMPLES_PER_OPERATION = 20  # about 500 requests in all: well under a minute alone
MALFORMED_EXAMPLES_PER_OPERATION = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
DEFAULT_DOMAIN = "127.0.0.1"


@pytest.fixture(scope="module")
def fuzzed_server() -> Iterator[tuple[str, dict[str, str]]]:
    """A local server of its own and the headers of an admin key made for the fuzzer through the API."""
    bootstrap = generate_key()
    overrides = {"EXPANDER_ENABLED": "false", "EXPANDER_RESOLVE_NAMES": "false", "DOMAIN_CACHE_SECONDS": "0"}
    with LocalServer(admin_key=bootstrap, env_overrides=overrides, feed_clicks=False) as server:
        created = httpx.post(
            f"{server.url}/v1/keys",
            headers={"Authorization": f"Bearer {bootstrap}"},
            json={"name": "schemathesis", "role": "admin", "create_rate_limit": 100000},
        )
        assert created.status_code == 201, created.text
        yield server.url, {"Authorization": f"Bearer {created.json()['key']}"}


# What each mode checks, and how many requests it sends per operation.
ALLOWED = (GenerationMode.POSITIVE, EXAMPLES_PER_OPERATION, CHECKS)  # every answer conforms, none is a 5xx
FORBIDDEN = (GenerationMode.NEGATIVE, MALFORMED_EXAMPLES_PER_OPERATION, [not_a_server_error])  # bad input: a 4xx
RUNS = [(ALLOWED, method, path) for method, path in OPERATIONS] + [
    (FORBIDDEN, method, path) for method, path in BREAKABLE
]


@pytest.mark.parametrize(("run", "method", "path"), RUNS, ids=[f"{r[0][0].value} {r[1]} {r[2]}" for r in RUNS])
def test_the_document_describes_every_answer_and_none_is_a_server_error(
    fuzzed_server: tuple[str, dict[str, str]], run: tuple[GenerationMode, int, list[Any]], method: str, path: str
) -> None:
    # GIVEN the document as committed, and the local server with the fuzzer's key
    base_url, headers = fuzzed_server
    mode, examples, checks = run
    operation = schemathesis.openapi.from_dict(DOCUMENT)[path][method]

    # WHEN schemathesis sends the operation requests the document allows (positive) or forbids (negative: wrong
    # types, missing or extra fields, bad parameters)
    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        if (case.path_parameters or {}).get("domain", "").rstrip(".").lower() == DEFAULT_DOMAIN:
            return  # the one domain every other operation runs on stays registered
        # THEN no answer is a 5xx, and an allowed request's answer is one the document describes
        case.call_and_validate(base_url=base_url, headers=headers, checks=checks)

    check()
