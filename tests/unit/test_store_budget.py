"""The invocation's time budget for store calls (storage/budget.py): pure decisions, no sockets."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError, ReadTimeoutError

from shortlinks.storage import budget


class _Context:
    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


class _Request:
    def __init__(self) -> None:
        self.context: dict[str, Any] = {}


class _Http:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code


def _answer(status: int, code: str = "") -> tuple[_Http, dict[str, Any]]:
    return _Http(status), ({"Error": {"Code": code}} if code else {})


def test_an_invocation_budget_is_lambdas_remaining_time_less_the_margin() -> None:
    # GIVEN an invocation with 5 s left
    with budget.invocation_budget(_Context(5000)):
        # THEN store calls may use what is left minus the margin kept for answering
        assert 5.0 - budget.MARGIN_SECONDS - 0.1 < budget.remaining_seconds() <= 5.0 - budget.MARGIN_SECONDS
    # AND outside any invocation each call gets the default
    assert budget.remaining_seconds() == budget.DEFAULT_SECONDS


def test_a_nested_limit_never_extends_the_enclosing_budget() -> None:
    with budget.invocation_budget(_Context(1500)), budget.limited(60):
        assert budget.remaining_seconds() <= 1.5 - budget.MARGIN_SECONDS


def test_each_attempt_reads_for_at_most_what_is_left() -> None:
    request = _Request()
    with budget.invocation_budget(_Context(2000)):
        budget._before_send(request)
    assert 0 < request.context["read_timeout"] <= 2.0 - budget.MARGIN_SECONDS


def test_no_attempt_starts_when_a_connection_could_outlive_the_budget() -> None:
    # GIVEN less time left than a connection may take to fail
    short = _Context(int((budget.MARGIN_SECONDS + 0.2) * 1000))
    # WHEN an attempt is about to be sent THEN it is refused before any socket is opened
    with budget.invocation_budget(short), pytest.raises(budget.BudgetSpent):
        budget._before_send(_Request())


@pytest.mark.parametrize(
    ("response", "exception", "retried"),
    [
        (_answer(400, "ProvisionedThroughputExceededException"), None, True),
        (_answer(400, "ThrottlingException"), None, True),
        (_answer(500, "InternalServerError"), None, True),
        (_answer(400, "ConditionalCheckFailedException"), None, False),
        (_answer(400, "ValidationException"), None, False),
        (_answer(200), None, False),
        (None, ConnectionClosedError(endpoint_url="http://127.0.0.1:1/"), True),
        (None, EndpointConnectionError(endpoint_url="http://127.0.0.1:1/"), True),
        (None, ReadTimeoutError(endpoint_url="http://127.0.0.1:1/"), False),
        (None, budget.BudgetSpent(remaining_ms=0), False),
    ],
    ids=[
        "throughput",
        "throttling",
        "internal",
        "condition",
        "validation",
        "ok",
        "reset",
        "refused",
        "read-timeout",
        "spent",
    ],
)
def test_only_transient_failures_are_retried(response: Any, exception: Exception | None, retried: bool) -> None:
    with budget.invocation_budget(_Context(5000)):
        delay = budget._needs_retry(attempts=1, response=response, caught_exception=exception)
    assert (delay is not None) is retried
    if delay is not None:
        assert 0 <= delay <= budget.BACKOFF_BASE_SECONDS


def test_retries_stop_at_the_attempt_limit_and_when_time_runs_short() -> None:
    throttled = _answer(400, "ThrottlingException")
    with budget.invocation_budget(_Context(5000)):
        assert budget._needs_retry(attempts=budget.MAX_ATTEMPTS, response=throttled) is None
    with budget.invocation_budget(_Context(int((budget.MARGIN_SECONDS + budget.CONNECT_TIMEOUT_SECONDS) * 1000))):
        assert budget._needs_retry(attempts=1, response=throttled) is None


def test_the_handler_decorator_runs_the_handler_inside_its_budget() -> None:
    seen: list[float] = []

    @budget.within_budget
    def handler(event: dict[str, Any], context: Any) -> None:
        seen.append(budget.remaining_seconds())

    started = time.monotonic()
    handler({}, _Context(3000))
    assert seen[0] <= 3.0 - budget.MARGIN_SECONDS
    assert time.monotonic() - started < 1
    assert budget.remaining_seconds() == budget.DEFAULT_SECONDS


def test_install_is_idempotent() -> None:
    registered: list[str] = []

    class _Events:
        def register_first(self, name: str, handler: Any, unique_id: str) -> None:
            registered.append(unique_id)

    class _Meta:
        events = _Events()

    class _Client:
        meta = _Meta()

    client = _Client()
    budget.install(client)
    budget.install(client)
    assert sorted(registered) == ["shortlinks-budget-retry", "shortlinks-budget-send"]
