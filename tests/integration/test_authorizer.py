"""The Lambda authorizer on real authorizer events (payload 2.0, simple responses) against the template's table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

import pytest

from shortlinks.domain.access import Principal, Role
from shortlinks.domain.keys import create_key, generate_key, hash_key, revoke_key
from shortlinks.storage.api_keys import DynamoKeyRepository
from shortlinks.web.auth import principal_of
from tests.conftest import FakeLambdaContext
from tests.events import load_event
from tests.integration.harness import (
    REGION,
    TABLE_NAME,
    CapturedLogs,
    LinkStore,
    calls_granted,
    calls_made,
    capture_function_logs,
    cold_start,
    invoke,
    recording_dynamodb_calls,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

NOW = datetime.now(UTC)
Authorize = Callable[..., dict[str, Any]]


@dataclass
class Clock:
    """A monotonic clock the test moves by hand."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def repository() -> DynamoKeyRepository:
    return DynamoKeyRepository(TABLE_NAME, REGION)


@pytest.fixture
def clock(authorizer_module: ModuleType, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A fresh 60-second answer cache for each test, on a clock the test controls."""
    clock = Clock()
    monkeypatch.setattr(authorizer_module, "answers", authorizer_module.AnswerCache(60, clock=clock))
    return clock


@pytest.fixture
def authorize(authorizer_module: ModuleType, clock: Clock) -> Authorize:
    """``authorize(**headers)``: the authorizer's whole answer to the authorizer fixture with these key headers."""

    def call(**headers: str) -> dict[str, Any]:
        sent = {"authorization": None, **{name.replace("_", "-"): value for name, value in headers.items()}}
        event = load_event("authorizer", headers=sent)
        result: dict[str, Any] = invoke(authorizer_module, event, cast("LambdaContext", FakeLambdaContext()))
        return result

    return call


@pytest.fixture
def member(repository: DynamoKeyRepository) -> tuple[str, str]:
    """A member key: ``(key_id, plaintext)``."""
    key, plaintext = create_key(repository, "Campaigns team", Role.MEMBER, NOW, rate_limit=120)
    return key.key_id, plaintext


def test_a_bearer_key_is_the_key_in_the_context(authorize: Authorize, member: tuple[str, str]) -> None:
    key_id, plaintext = member

    answer = authorize(authorization=f"Bearer {plaintext}")

    assert answer == {
        "isAuthorized": True,
        "context": {"auth": "key", "key_id": key_id, "role": "member", "create_rate_limit": 120},
    }


def test_an_x_api_key_header_works_the_same(authorize: Authorize, member: tuple[str, str]) -> None:
    key_id, plaintext = member

    assert authorize(x_api_key=plaintext)["context"]["key_id"] == key_id
    assert authorize(authorization=f"bearer  {plaintext} ")["context"]["key_id"] == key_id  # scheme is any case


def test_a_key_without_its_own_rate_limit_says_0_for_the_default(
    authorize: Authorize, repository: DynamoKeyRepository
) -> None:
    key, plaintext = create_key(repository, "ops", Role.ADMIN, NOW)

    context = authorize(x_api_key=plaintext)["context"]

    assert context == {"auth": "key", "key_id": key.key_id, "role": "admin", "create_rate_limit": 0}


def test_no_key_header_is_anonymous_and_reads_nothing(authorize: Authorize) -> None:
    with recording_dynamodb_calls() as calls:
        answer = authorize()

    assert answer == {"isAuthorized": True, "context": {"auth": "anonymous"}}
    assert calls == []


@pytest.mark.parametrize(
    "headers",
    [
        {"authorization": "Bearer not-a-key"},
        {"authorization": "Bearer "},
        {"x_api_key": ""},
        {"x_api_key": "sl_tooshort"},
        {"authorization": "Basic dXNlcjpwYXNz"},
    ],
)
def test_a_malformed_key_is_invalid_without_a_read(authorize: Authorize, headers: dict[str, str]) -> None:
    with recording_dynamodb_calls() as calls:
        answer = authorize(**headers)

    assert answer == {"isAuthorized": True, "context": {"auth": "invalid"}}
    assert calls == []


def test_an_unknown_key_is_invalid(authorize: Authorize) -> None:
    assert authorize(x_api_key=generate_key())["context"] == {"auth": "invalid"}


def test_two_headers_must_hold_the_same_key(authorize: Authorize, member: tuple[str, str]) -> None:
    _, plaintext = member

    assert authorize(authorization=f"Bearer {plaintext}", x_api_key=plaintext)["context"]["auth"] == "key"
    assert authorize(authorization=f"Bearer {plaintext}", x_api_key=generate_key())["context"]["auth"] == "invalid"


def test_answers_are_cached_for_the_cache_time_valid_and_invalid_alike(
    authorize: Authorize, member: tuple[str, str], clock: Clock
) -> None:
    _, plaintext = member
    unknown = generate_key()
    authorize(x_api_key=plaintext)
    authorize(x_api_key=unknown)

    with recording_dynamodb_calls() as cached:
        clock.now += 59
        assert authorize(authorization=f"Bearer {plaintext}")["context"]["auth"] == "key"
        assert authorize(x_api_key=unknown)["context"]["auth"] == "invalid"
    with recording_dynamodb_calls() as expired:
        clock.now += 1
        authorize(x_api_key=plaintext)
        authorize(x_api_key=unknown)

    assert cached == []
    assert [call.operation for call in expired] == ["GetItem", "GetItem"]


def test_a_revoked_key_is_refused_once_the_cache_time_has_passed(
    authorize: Authorize, member: tuple[str, str], repository: DynamoKeyRepository, clock: Clock
) -> None:
    # GIVEN a key this container has just accepted
    key_id, plaintext = member
    assert authorize(x_api_key=plaintext)["context"]["auth"] == "key"

    # WHEN it is revoked
    revoke_key(repository, key_id)

    # THEN the cached answer stands for the rest of the cache time, and the key is refused after it
    clock.now += 30
    assert authorize(x_api_key=plaintext)["context"]["auth"] == "key"
    clock.now += 30
    assert authorize(x_api_key=plaintext)["context"] == {"auth": "invalid"}


def test_without_a_cache_every_request_reads_the_key(
    authorizer_module: ModuleType, authorize: Authorize, member: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(authorizer_module, "answers", authorizer_module.AnswerCache(0))  # AUTH_CACHE_SECONDS=0
    _, plaintext = member

    with recording_dynamodb_calls() as calls:
        for _ in range(3):
            authorize(x_api_key=plaintext)

    assert [call.operation for call in calls if call.operation == "GetItem"] == ["GetItem"] * 3


def test_the_last_used_day_is_written_once_a_day(
    authorizer_module: ModuleType,
    authorize: Authorize,
    member: tuple[str, str],
    store: LinkStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(authorizer_module, "answers", authorizer_module.AnswerCache(0))
    _, plaintext = member

    with recording_dynamodb_calls() as calls:
        for _ in range(4):
            authorize(x_api_key=plaintext)

    assert [call.operation for call in calls] == ["GetItem", "UpdateItem", "GetItem", "GetItem", "GetItem"]
    [item] = [item for item in store.items() if item["pk"] == {"S": f"APIKEY#{hash_key(plaintext)}"}]
    assert item["last_used_day"] == {"S": datetime.now(UTC).date().isoformat()}


def test_a_key_last_used_yesterday_is_touched_again(
    authorize: Authorize, repository: DynamoKeyRepository, store: LinkStore
) -> None:
    _, plaintext = create_key(repository, "ops", Role.MEMBER, NOW - timedelta(days=3))
    repository.touch(hash_key(plaintext), (NOW - timedelta(days=1)).date())

    authorize(x_api_key=plaintext)

    [item] = store.items()
    assert item["last_used_day"] == {"S": datetime.now(UTC).date().isoformat()}


def test_an_unavailable_table_is_unavailable_not_invalid_and_not_cached(
    authorizer_module: ModuleType, authorize: Authorize, member: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, plaintext = member
    working = authorizer_module.repository
    monkeypatch.setattr(authorizer_module, "repository", DynamoKeyRepository("no-such-table", REGION))

    assert authorize(x_api_key=plaintext)["context"] == {"auth": "unavailable", "retry_after": 1}

    monkeypatch.setattr(authorizer_module, "repository", working)
    assert authorize(x_api_key=plaintext)["context"]["auth"] == "key"


def test_the_authorizer_only_reads_keys_and_touches_them_as_its_policy_allows(
    authorizer_module: ModuleType, authorize: Authorize, member: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(authorizer_module, "answers", authorizer_module.AnswerCache(0))
    _, plaintext = member

    with recording_dynamodb_calls() as calls:
        authorize(x_api_key=plaintext)
        authorize(x_api_key=generate_key())
        authorize()

    assert calls_made(calls) == calls_granted("AuthorizerFunction") == {("GetItem", "table"), ("UpdateItem", "table")}


def test_every_context_is_one_the_functions_understand(authorize: Authorize, member: tuple[str, str]) -> None:
    key_id, plaintext = member

    def principal(**headers: str) -> Principal | None:
        return principal_of({"requestContext": {"authorizer": {"lambda": authorize(**headers)["context"]}}})

    assert principal(x_api_key=plaintext) == Principal(key_id, Role.MEMBER, 120)
    assert principal() is None


def test_no_key_material_is_ever_logged(
    authorizer_module: ModuleType,
    authorize: Authorize,
    member: tuple[str, str],
    repository: DynamoKeyRepository,
    logs: CapturedLogs,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN every path the authorizer can take
    monkeypatch.setattr(authorizer_module, "answers", authorizer_module.AnswerCache(0))
    key_id, plaintext = member
    unknown, malformed = generate_key(), "sl_malformed-key-material"
    authorize(x_api_key=plaintext)
    authorize(authorization=f"Bearer {unknown}")
    authorize(x_api_key=malformed)
    revoke_key(repository, key_id)
    authorize(x_api_key=plaintext)
    monkeypatch.setattr(authorizer_module, "repository", DynamoKeyRepository("no-such-table", REGION))
    authorize(x_api_key=plaintext)

    # THEN the log lines are there, and not one holds a key, a key's hash or a key header
    records = logs.records()
    captured = capsys.readouterr()
    output = str(records) + captured.out + captured.err
    assert {record.get("message") for record in records} >= {"api key accepted", "api key refused"}
    assert any(record.get("key_id") == key_id for record in records)
    for secret in (plaintext, unknown, malformed, hash_key(plaintext), hash_key(unknown), "Bearer"):
        assert secret not in output


def test_the_event_is_not_logged_even_when_powertools_is_told_to(
    dynamodb: object,
    repository: DynamoKeyRepository,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN an authorizer cold-started with POWERTOOLS_LOGGER_LOG_EVENT=true (which logs every event it handles)
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")
    module = cold_start("AuthorizerFunction", monkeypatch)
    logs = capture_function_logs(capsys, monkeypatch)
    _, plaintext = create_key(repository, "ops", Role.ADMIN, NOW)

    # WHEN it authorizes a request carrying a key
    module.lambda_handler(
        load_event("authorizer", headers={"authorization": f"Bearer {plaintext}"}), FakeLambdaContext()
    )

    # THEN it logged, but neither the event nor the key
    records = logs.records()
    assert records
    assert plaintext not in str(records) + capsys.readouterr().out
