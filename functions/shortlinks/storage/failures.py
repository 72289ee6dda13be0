"""What went wrong with a store call, told in one place that cannot itself fail.

pynamodb's ``cause_response_code`` raises ``AttributeError`` when botocore's error has ``response=None`` (read
timeouts, closed connections), which turned an outage into a crash. ``failure_code`` never raises, and
``unavailable`` turns any failure of the store into the one domain error callers see: ``StorageUnavailable``,
answered as ``503`` with ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from shortlinks.domain.errors import StorageUnavailable

# Every failure a store call can raise: pynamodb's wrappers, and botocore's own when a call bypasses pynamodb.
STORE_FAILURES: tuple[type[Exception], ...] = (PynamoDBException, BotoCoreError, ClientError)

CONDITION_FAILED = "ConditionalCheckFailedException"
THROTTLED = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "LimitExceededException"}
)
# Seconds a caller is asked to wait: long enough for DynamoDB's adaptive capacity or a reconnect, short enough
# that a visitor's retry lands soon.
RETRY_AFTER_SECONDS = 1
RETRY_AFTER_THROTTLED_SECONDS = 2


def failure_code(error: BaseException) -> str:
    """DynamoDB's error code (``ConditionalCheckFailedException``, ...) when the store answered, else the name of the
    transport failure (``ReadTimeoutError``, ``EndpointConnectionError``, ...). Never raises."""
    cause: Any = getattr(error, "cause", None) if isinstance(error, PynamoDBException) else error
    if cause is None:
        return type(error).__name__
    response = getattr(cause, "response", None)
    if isinstance(response, dict):
        details = response.get("Error")
        if isinstance(details, dict):
            code = details.get("Code")
            if isinstance(code, str) and code:
                return code
    return type(cause).__name__


def cancellation_codes(error: BaseException) -> list[str]:
    """The per-item reasons of a cancelled transaction (``ConditionalCheckFailed``, ...); ``[]`` when there are none."""
    reasons = getattr(error, "cancellation_reasons", None) or []
    return [str(getattr(reason, "code", "")) for reason in reasons if reason is not None]


def unavailable(error: BaseException) -> StorageUnavailable:
    """The ``StorageUnavailable`` to raise for ``error`` (any store or transport failure)."""
    code = failure_code(error)
    retry_after = RETRY_AFTER_THROTTLED_SECONDS if code in THROTTLED else RETRY_AFTER_SECONDS
    return StorageUnavailable.because(code, retry_after=retry_after)
