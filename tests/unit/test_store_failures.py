"""Store failures are classified in one place that cannot raise (storage/failures.py)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError, ReadTimeoutError
from pynamodb.exceptions import GetError, PutError, QueryError, TransactWriteError

from shortlinks.domain.errors import StorageUnavailable
from shortlinks.storage.budget import BudgetSpent
from shortlinks.storage.failures import cancellation_codes, failure_code, unavailable


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}}, "GetItem")


THROUGHPUT = "ProvisionedThroughputExceededException"


class _NoResponse(Exception):
    """Like botocore's errors raised before any answer: a ``response`` attribute that is ``None``."""

    response = None


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            GetError("x", _client_error("ProvisionedThroughputExceededException")),
            "ProvisionedThroughputExceededException",
        ),
        (PutError("x", _client_error("ConditionalCheckFailedException")), "ConditionalCheckFailedException"),
        (GetError("x", ReadTimeoutError(endpoint_url="http://127.0.0.1:1/")), "ReadTimeoutError"),
        (QueryError("x", ConnectionClosedError(endpoint_url="http://127.0.0.1:1/")), "ConnectionClosedError"),
        (PutError("x", EndpointConnectionError(endpoint_url="http://127.0.0.1:1/")), "EndpointConnectionError"),
        (GetError("x", _NoResponse()), "_NoResponse"),
        (GetError("x", BudgetSpent(remaining_ms=12)), "BudgetSpent"),
        (GetError("x"), "GetError"),
        (_client_error("ThrottlingException"), "ThrottlingException"),
        (ReadTimeoutError(endpoint_url="http://127.0.0.1:1/"), "ReadTimeoutError"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_failure_code_names_the_cause_and_never_raises(error: Exception, expected: str) -> None:
    # GIVEN any failure a store call can raise, including causes whose response is None
    # WHEN it is classified
    # THEN it is named by DynamoDB's code, else by the transport failure's class
    assert failure_code(error) == expected


def test_pynamodbs_own_classification_is_what_crashed() -> None:
    """The defect this module exists for: pynamodb's property raises on a cause without a response."""
    error = GetError("x", _NoResponse())
    with pytest.raises(AttributeError):
        _ = error.cause_response_code
    assert failure_code(error) == "_NoResponse"


def test_a_throttled_store_asks_callers_to_wait_longer_than_a_dropped_connection() -> None:
    throttled = unavailable(GetError("x", _client_error("ProvisionedThroughputExceededException")))
    dropped = unavailable(GetError("x", ConnectionClosedError(endpoint_url="http://127.0.0.1:1/")))
    assert isinstance(throttled, StorageUnavailable)
    assert throttled.retry_after == 2
    assert dropped.retry_after == 1
    assert "ConnectionClosedError" in dropped.message


def test_cancellation_codes_are_read_without_assuming_they_exist() -> None:
    assert cancellation_codes(TransactWriteError("x", _client_error("TransactionCanceledException"))) == []
    assert cancellation_codes(ValueError("not a store error")) == []
