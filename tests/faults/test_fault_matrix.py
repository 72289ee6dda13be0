"""Every function route under every DynamoDB fault: a quick, honest 503, nothing half-written, and recovery.

The required behaviour (issue 8, section 5): whatever DynamoDB or the network does, refusing, resetting, hanging
or throttling, each function answers ``503 service_unavailable`` with ``Retry-After`` (whole seconds) and
``Cache-Control: no-store``, before its timeout with room to spare (here the functions' timeout is 2 s, and the
answer must come within 1.75 s), writes nothing it does not report, and serves the same request again as soon as
DynamoDB is back.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from local.template import load_template, routes
from tests.faults.conftest import DOMAIN_SETTINGS, FUNCTION_TIMEOUT_S, Deployment
from tests.faults.proxy import FAULTS, Mode

# The budget keeps 0.6 s (test_store_budget.py proves the arithmetic); a shared CI core may add 0.1-0.2 s of its own.
ANSWER_WITHIN_S = FUNCTION_TIMEOUT_S - 0.25
CLIENT_TIMEOUT_S = FUNCTION_TIMEOUT_S + 1.0  # wait a little past the timeout, to report how late an answer was


@dataclass(frozen=True)
class Call:
    """One HTTP request to the local server."""

    method: str
    path: str
    key: str | None = None  # None: the admin key (which every authorizer has cached); "": no key
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None

    def send(self, deployment: Deployment, timeout: float = 30.0) -> httpx.Response:
        extra: dict[str, Any] = {"headers": self.headers, "params": self.params}
        if self.json is not None:
            extra["json"] = self.json
        return deployment.send(self.method, self.path, key=self.key, timeout=timeout, **extra)


@dataclass(frozen=True)
class Route:
    """A route (its template route key), how to make a request that succeeds on it, and the status it succeeds
    with."""

    name: str
    key: str
    request: Callable[[Deployment], Call]
    succeeds_with: int
    html: bool = False  # the 503 is the redirect's page for browsers, not the JSON error


def _fresh(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def _create(deployment: Deployment) -> Call:
    alias = _fresh("c")
    return Call("POST", "/v1/links", json={"url": f"https://example.org/{alias}", "alias": alias})


def _redirect(accept: str) -> Callable[[Deployment], Call]:
    return lambda d: Call("GET", f"/{d.link_code}", key="", headers={"Accept": accept})


ROUTES = [
    Route("create", "POST /v1/links", _create, 201),
    Route("redirect", "GET /{code}", _redirect("application/json"), 302),
    Route("redirect_html", "GET /{code}", _redirect("text/html,*/*;q=0.8"), 302, html=True),
    Route("expand", "GET /v1/expand", lambda d: Call("GET", "/v1/expand", params={"code": d.link_code}), 200),
    Route("list", "GET /v1/links", lambda d: Call("GET", "/v1/links"), 200),
    Route("read", "GET /v1/links/{code}", lambda d: Call("GET", f"/v1/links/{d.link_code}"), 200),
    Route(
        "patch",
        "PATCH /v1/links/{code}",
        lambda d: Call("PATCH", f"/v1/links/{d.link_code}", json={"url": f"https://example.org/{_fresh('p')}"}),
        200,
    ),
    Route("delete", "DELETE /v1/links/{code}", lambda d: Call("DELETE", f"/v1/links/{d.new_link()}"), 204),
    Route("history", "GET /v1/links/{code}/history", lambda d: Call("GET", f"/v1/links/{d.link_code}/history"), 200),
    Route("stats", "GET /v1/links/{code}/stats", lambda d: Call("GET", f"/v1/links/{d.link_code}/stats"), 200),
    Route("overview", "GET /v1/stats", lambda d: Call("GET", "/v1/stats"), 200),
    Route("qr", "GET /v1/links/{code}/qr", lambda d: Call("GET", f"/v1/links/{d.link_code}/qr", key=""), 200),
    Route("keys_list", "GET /v1/keys", lambda d: Call("GET", "/v1/keys"), 200),
    Route(
        "keys_create",
        "POST /v1/keys",
        lambda d: Call("POST", "/v1/keys", json={"name": _fresh("key "), "role": "member"}),
        201,
    ),
    Route(
        "keys_revoke", "DELETE /v1/keys/{key_id}", lambda d: Call("DELETE", f"/v1/keys/{d.new_key()['key_id']}"), 204
    ),
    Route("domains_list", "GET /v1/domains", lambda d: Call("GET", "/v1/domains"), 200),
    Route("domains_read", "GET /v1/domains/{domain}", lambda d: Call("GET", f"/v1/domains/{d.domain}"), 200),
    Route(
        "domains_put",
        "PUT /v1/domains/{domain}",
        lambda d: Call("PUT", f"/v1/domains/{d.domain}", json=DOMAIN_SETTINGS),
        200,
    ),
    Route(
        "domains_patch",
        "PATCH /v1/domains/{domain}",
        lambda d: Call("PATCH", f"/v1/domains/{d.domain}", json={"default_redirect_type": 302}),
        200,
    ),
    Route(
        "domains_remove", "DELETE /v1/domains/{domain}", lambda d: Call("DELETE", f"/v1/domains/{d.new_domain()}"), 204
    ),
    # A key no authorizer has seen: the authorizer must read it, through the fault.
    Route("authorizer", "GET /v1/links", lambda d: Call("GET", "/v1/links", key=d.new_key()["key"]), 200),
]
BULK_ROUTE = "POST /v1/links/bulk"  # its own test: its answer may list a 503 per item
# Same function and same lookups as a route above, or no lookup at all: the domain's root answers from the
# registry every function holds in memory.
NOT_IN_MATRIX = {
    "HEAD /{code}": "as GET /{code}",
    "GET /": "the cached registry",
    "HEAD /": "the cached registry",
    "GET /v1/openapi.json": "no store: the docs function reads only its package",
    "GET /docs": "no store",
    "GET /docs/assets/{version}/{name}": "no store",
    "GET /console": "no store: the console serves files read at cold start",
    "GET /console/assets/{name}": "no store: the console serves files read at cold start",
}

MATRIX = [pytest.param(route, fault, id=f"{route.name}-{fault.value}") for route in ROUTES for fault in FAULTS]


@dataclass(frozen=True)
class Attempt:
    """What the client saw during the fault."""

    response: httpx.Response | None  # None: no answer within CLIENT_TIMEOUT_S
    elapsed: float
    failure: str = ""  # why there was no response

    def describe(self) -> str:
        if self.response is None:
            return f"no answer ({self.failure}) after {self.elapsed:.2f} s"
        return f"{self.response.status_code} after {self.elapsed:.2f} s: {self.response.text[:300]}"


def attempt_during(deployment: Deployment, fault: Mode, call: Call) -> Attempt:
    """Send ``call`` while DynamoDB suffers ``fault``, then put DynamoDB back and wait for the server to settle."""
    deployment.proxy.set_mode(fault)
    try:
        started = time.monotonic()
        try:
            response: httpx.Response | None = call.send(deployment, timeout=CLIENT_TIMEOUT_S)
            failure = ""
        except httpx.TransportError as exc:
            response, failure = None, type(exc).__name__
        elapsed = time.monotonic() - started
    finally:
        deployment.proxy.set_mode(Mode.PASS)
    deployment.wait_until_idle()
    return Attempt(response, elapsed, failure)


def positive_seconds(value: str | None) -> bool:
    return value is not None and value.isdigit() and int(value) > 0


def error_code(response: httpx.Response) -> str | None:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None


def unavailable_answer(response: httpx.Response | None, *, html: bool = False) -> dict[str, Any]:
    """The facts a fault's answer must show, from what came back."""
    if response is None:
        return {"status": None}
    body = response.headers.get("content-type", "").split(";")[0] if html else error_code(response)
    return {
        "status": response.status_code,
        "retry_after_seconds": positive_seconds(response.headers.get("retry-after")),
        "cache_control": response.headers.get("cache-control"),
        "body": body,
    }


def required_answer(*, html: bool = False) -> dict[str, Any]:
    return {
        "status": 503,
        "retry_after_seconds": True,
        "cache_control": "no-store",
        "body": "text/html" if html else "service_unavailable",
    }


@pytest.mark.parametrize(("route", "fault"), MATRIX)
def test_every_route_answers_503_quickly_writes_nothing_and_recovers(
    deployment: Deployment, route: Route, fault: Mode
) -> None:
    # GIVEN a request that succeeds when DynamoDB answers, and the table as it is
    call = route.request(deployment)
    before = deployment.items()

    # WHEN DynamoDB suffers the fault while the request is served
    attempt = attempt_during(deployment, fault, call)
    changed = _changes(before, deployment.items())
    _report(route.name, fault, attempt)

    # ... and then the same request is sent again with DynamoDB back
    recovery = call.send(deployment)

    # THEN the answer was a quick 503 to retry later, nothing was written, and the retry succeeds
    observed = {
        **unavailable_answer(attempt.response, html=route.html),
        "answered_in_time": attempt.elapsed < ANSWER_WITHIN_S,
        "items_changed": changed,
        "recovery_status": recovery.status_code,
    }
    expected = {
        **required_answer(html=route.html),
        "answered_in_time": True,
        "items_changed": [],
        "recovery_status": route.succeeds_with,
    }
    assert observed == expected, f"{route.name} under {fault.value}: {attempt.describe()}"


def _report(route: str, fault: Mode, attempt: Attempt) -> None:
    """One line of the measured matrix (``pytest tests/faults -s | grep '^fault-matrix'``: docs/benchmarks.md)."""
    status = attempt.response.status_code if attempt.response is not None else "none"
    retry_after = attempt.response.headers.get("retry-after", "-") if attempt.response is not None else "-"
    print(f"fault-matrix {route} {fault.value} {status} {retry_after} {attempt.elapsed * 1000:.0f}")


def test_the_matrix_covers_every_route_of_the_template() -> None:
    declared = {f"{route.method} {route.path}" for route in routes(load_template())}
    covered = {route.key for route in ROUTES} | {BULK_ROUTE} | set(NOT_IN_MATRIX)
    assert declared - covered == set(), "a route with no fault case: add it to ROUTES"


@pytest.mark.parametrize("fault", FAULTS, ids=[f"create_bulk-{fault.value}" for fault in FAULTS])
def test_bulk_create_reports_every_item_unavailable_writes_only_what_it_reports_and_recovers(
    deployment: Deployment, fault: Mode
) -> None:
    # GIVEN a bulk create of two aliases
    aliases = [_fresh("b"), _fresh("b")]
    call = Call(
        "POST", "/v1/links/bulk", json={"links": [{"url": f"https://example.org/{a}", "alias": a} for a in aliases]}
    )
    before = deployment.items()

    # WHEN DynamoDB suffers the fault while it is served
    attempt = attempt_during(deployment, fault, call)
    written = {
        str(item["code"]["S"]) for key, item in deployment.items().items() if key not in before and "code" in item
    }
    reported = _reported_created(attempt.response, aliases)
    _report("create_bulk", fault, attempt)
    recovery = call.send(deployment)

    # THEN the answer is a 503 as a whole, or a 200 whose every item is a 503 to retry; an item that was written
    # anyway says so; and the retry creates what was not created
    shape = _bulk_shape(attempt.response)
    observed = {
        "answer": shape in ("503 as a whole", "200, every item 503 with retry_after"),
        "cache_control": attempt.response.headers.get("cache-control") if attempt.response else None,
        "answered_in_time": attempt.elapsed < ANSWER_WITHIN_S,
        "written_unreported": sorted(written - reported),
        "recovery": _bulk_statuses(recovery, aliases),
    }
    expected = {
        "answer": True,
        "cache_control": "no-store",
        "answered_in_time": True,
        "written_unreported": [],
        "recovery": {alias: 409 if alias in written else 201 for alias in aliases},
    }
    assert observed == expected, f"bulk under {fault.value}: {shape}; {attempt.describe()}"


def _changes(before: dict[tuple[str, str], Any], after: dict[tuple[str, str], Any]) -> list[str]:
    """Keys of the items added, removed or changed."""
    keys = set(before) | set(after)
    return sorted(f"{pk} {sk}" for pk, sk in keys if before.get((pk, sk)) != after.get((pk, sk)))


def _bulk_shape(response: httpx.Response | None) -> str:
    if response is None:
        return "no answer"
    if response.status_code == 503:
        whole = error_code(response) == "service_unavailable"
        return "503 as a whole" if whole and positive_seconds(response.headers.get("retry-after")) else "a bare 503"
    if response.status_code != 200:
        return f"{response.status_code}"
    results = response.json().get("results", [])
    unavailable = [
        result
        for result in results
        if result.get("status") == 503
        and result.get("error", {}).get("code") == "service_unavailable"
        and positive_seconds(result.get("error", {}).get("retry_after"))
    ]
    if results and len(unavailable) == len(results):
        return "200, every item 503 with retry_after"
    return f"200 with item statuses {[result.get('status') for result in results]}"


def _reported_created(response: httpx.Response | None, aliases: list[str]) -> set[str]:
    """The aliases a bulk answer says were created."""
    if response is None or response.status_code != 200:
        return set()
    results = response.json().get("results", [])
    return {aliases[r["index"]] for r in results if r.get("status") in (200, 201) and r.get("index") is not None}


def _bulk_statuses(response: httpx.Response, aliases: list[str]) -> dict[str, int] | str:
    if response.status_code != 200:
        return f"{response.status_code}: {response.text[:200]}"
    return {aliases[r["index"]]: int(r["status"]) for r in response.json()["results"]}
