"""The time budget of store calls: every invocation answers before Lambda stops it, even when DynamoDB hangs.

A handler runs inside ``invocation_budget(context)``: the budget ends ``MARGIN_SECONDS`` before the invocation's
own deadline (``context.get_remaining_time_in_millis()``), and every store call of that invocation shares it. Two
hooks on each botocore client enforce it:

* ``before-send``: an attempt starts only when at least ``CONNECT_TIMEOUT_SECONDS`` of the budget is left (so
  even a connection that never completes cannot overrun it), and its read timeout is what is left (at most
  ``DEFAULT_SECONDS``).
* ``needs-retry``: our retry policy replaces botocore's (whose clients are built with a single attempt): a
  throttled, 5xx or dropped attempt is retried after a short jittered back-off, at most ``MAX_ATTEMPTS`` times in
  all, and only while the back-off still leaves room for another attempt.

When the budget is spent the call fails with ``BudgetSpent`` (a botocore error, so pynamodb wraps it like any
other), which ``storage.failures.unavailable`` turns into ``503`` with ``Retry-After``. Outside an invocation (the
CLI, the local server's start-up) ``DEFAULT_SECONDS`` applies to each call.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ConnectionError, HTTPClientError, ReadTimeoutError

from shortlinks.storage.failures import THROTTLED

MARGIN_SECONDS = 0.6  # left for the handler to answer 503 (and Lambda to return it) after the last store call
CONNECT_TIMEOUT_SECONDS = 0.5  # DynamoDB in the same Region connects in milliseconds; a SYN lost 0.5 s is down
MAX_ATTEMPTS = 3
BACKOFF_BASE_SECONDS = 0.05  # full jitter: attempt n waits up to 0.05 * 2**(n-1) s
DEFAULT_SECONDS = 5.0  # the longest any one attempt may wait for an answer, and a call's budget outside invocations
COLD_START_SECONDS = 1.5  # what a cold start may spend loading what it can also load on the first request

# Errors worth another attempt: DynamoDB's throttling and its own transient failures.
RETRYABLE_CODES = THROTTLED | {"InternalServerError", "ServiceUnavailable", "TransactionInProgressException"}

_deadline: ContextVar[float | None] = ContextVar("store_deadline", default=None)
_INSTALLED = "_shortlinks_budget"


class BudgetSpent(BotoCoreError):
    """Not enough of the invocation's time is left to start (or retry) a store call."""

    fmt = "the store call was not attempted: {remaining_ms} ms of the time budget left"


class HasRemainingTime(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


def remaining_seconds() -> float:
    """Seconds left in the current budget (``DEFAULT_SECONDS`` outside any)."""
    deadline = _deadline.get()
    if deadline is None:
        return DEFAULT_SECONDS
    return deadline - time.monotonic()


@contextmanager
def limited(seconds: float) -> Iterator[None]:
    """Store calls inside the block share ``seconds`` (or what is left of an enclosing budget, if less)."""
    deadline = time.monotonic() + seconds
    outer = _deadline.get()
    token = _deadline.set(deadline if outer is None else min(outer, deadline))
    try:
        yield
    finally:
        _deadline.reset(token)


def invocation_budget(context: HasRemainingTime | None) -> Any:
    """The budget of one invocation: what Lambda gives it, less ``MARGIN_SECONDS``."""
    remaining = _remaining_ms(context)
    if remaining is None:
        return limited(DEFAULT_SECONDS)
    return limited(max(0.0, remaining / 1000 - MARGIN_SECONDS))


def within_budget[**P, R](handler: Callable[P, R]) -> Callable[P, R]:
    """Decorate a ``lambda_handler(event, context)``: its store calls share the invocation's budget."""

    @wraps(handler)
    def budgeted(*args: P.args, **kwargs: P.kwargs) -> R:
        context = args[1] if len(args) > 1 else kwargs.get("context")
        with invocation_budget(context):  # type: ignore[arg-type]
            return handler(*args, **kwargs)

    return budgeted


def install(client: Any) -> Any:
    """Put ``client`` (a botocore DynamoDB client built with one attempt per call) under the budget; idempotent."""
    if not getattr(client, _INSTALLED, False):
        client.meta.events.register_first("before-send.dynamodb", _before_send, unique_id="shortlinks-budget-send")
        client.meta.events.register_first("needs-retry.dynamodb", _needs_retry, unique_id="shortlinks-budget-retry")
        setattr(client, _INSTALLED, True)
    return client


def _before_send(request: Any, **_: Any) -> None:
    remaining = remaining_seconds()
    if remaining < CONNECT_TIMEOUT_SECONDS:
        raise BudgetSpent(remaining_ms=max(0, int(remaining * 1000)))
    context = getattr(request, "context", None)
    if isinstance(context, dict):
        context["read_timeout"] = min(remaining, DEFAULT_SECONDS)


def _needs_retry(
    attempts: int, response: Any = None, caught_exception: BaseException | None = None, **_: Any
) -> float | None:
    """The back-off before another attempt, or ``None``: no retry (botocore then raises what it has)."""
    if attempts >= MAX_ATTEMPTS or not _retryable(response, caught_exception):
        return None
    delay = random.uniform(0, BACKOFF_BASE_SECONDS * 2 ** (attempts - 1))  # noqa: S311 - jitter, not a secret
    if remaining_seconds() - delay < CONNECT_TIMEOUT_SECONDS:
        return None
    return delay


def _retryable(response: Any, caught_exception: BaseException | None) -> bool:
    if caught_exception is not None:
        # Refused, reset or dropped connections are worth another try; a read timeout has spent its time already.
        if isinstance(caught_exception, (BudgetSpent, ReadTimeoutError)):
            return False
        return isinstance(caught_exception, (ConnectionError, HTTPClientError))
    if response is None:
        return False
    http, parsed = response
    status = getattr(http, "status_code", 200)
    if status < 400:
        return False
    code = (parsed or {}).get("Error", {}).get("Code", "")
    return status >= 500 or code in RETRYABLE_CODES


def _remaining_ms(context: HasRemainingTime | None) -> int | None:
    getter = getattr(context, "get_remaining_time_in_millis", None)
    if getter is None:
        return None
    try:
        return int(getter())
    except (TypeError, ValueError):
        return None
