"""``/v1/keys``: the keys function on real HTTP API events (with the authorizer's context) against the template's
table, and the key records as the table holds them."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest

from shortlinks.domain.access import Role
from shortlinks.domain.keys import KEY_ID_PATTERN, create_key, hash_key, looks_like_key
from shortlinks.storage.api_keys import DynamoKeyRepository
from tests.conftest import FakeLambdaContext
from tests.events import load_event
from tests.integration.harness import (
    REGION,
    TABLE_NAME,
    CapturedLogs,
    HttpResponse,
    LambdaFunction,
    LinkStore,
    calls_granted,
    calls_made,
    recording_dynamodb_calls,
)

ADMIN = {"auth": "key", "key_id": "key_AdminFixture", "role": "admin", "create_rate_limit": 0}
MEMBER = {"auth": "key", "key_id": "key_Member000001", "role": "member", "create_rate_limit": 0}
ANONYMOUS = {"auth": "anonymous"}
INVALID = {"auth": "invalid"}
UNAVAILABLE = {"auth": "unavailable"}
NOW = datetime.now(UTC)


def as_caller(event: dict[str, Any], context: dict[str, Any] | None) -> dict[str, Any]:
    """``event`` as the authorizer's ``context`` would leave it (``None``: a request no authorizer ran for)."""
    if context is None:
        event["requestContext"].pop("authorizer", None)
    else:
        event["requestContext"]["authorizer"] = {"lambda": context}
    return event


def create_request(body: object, caller: dict[str, Any] | None = ADMIN) -> dict[str, Any]:
    return as_caller(load_event("create_key", body=body), caller)


def list_request(caller: dict[str, Any] | None = ADMIN) -> dict[str, Any]:
    return as_caller(load_event("list_keys"), caller)


def revoke_request(key_id: str, caller: dict[str, Any] | None = ADMIN) -> dict[str, Any]:
    return as_caller(load_event("revoke_key", path_parameters={"key_id": key_id}), caller)


def assert_error(response: HttpResponse, status: int, code: str) -> None:
    assert response.status == status, response.body
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["code"] == code


@pytest.fixture
def repository() -> DynamoKeyRepository:
    return DynamoKeyRepository(TABLE_NAME, REGION)


# --- create ---------------------------------------------------------------------------------------------------------


def test_an_admin_creates_a_key_and_sees_it_once(keys: LambdaFunction, store: LinkStore) -> None:
    # WHEN an admin creates a key with the create_key fixture's body
    response = keys(load_event("create_key"))

    # THEN the answer has the record and, this once, the key
    assert response.status == 201, response.body
    assert response.headers["cache-control"] == "no-store"
    created = response.json()
    plaintext = created.pop("key")
    assert looks_like_key(plaintext)
    assert KEY_ID_PATTERN.fullmatch(created["key_id"])
    assert created == {
        "key_id": created["key_id"],
        "name": "Campaigns team",
        "role": "member",
        "created_at": created["created_at"],
        "last_used_day": None,
        "revoked": False,
        "create_rate_limit": 120,
    }
    assert abs(datetime.fromisoformat(created["created_at"]) - datetime.now(UTC)) < timedelta(minutes=1)
    # AND the table holds its record under the key's SHA-256, listed through gsi1, and never the key
    [item] = store.items()
    assert item["pk"] == {"S": f"APIKEY#{hashlib.sha256(plaintext.encode()).hexdigest()}"}
    assert item["sk"] == {"S": "APIKEY"}
    assert item["entity"] == {"S": "apikey"}
    assert item["gsi1pk"] == {"S": "APIKEYS"}
    assert item["gsi1sk"] == {"S": f"{created['created_at']}#{created['key_id']}"}
    assert plaintext not in json.dumps(store.items())


def test_the_table_never_holds_a_plaintext_key(keys: LambdaFunction, store: LinkStore) -> None:
    # GIVEN several keys created through the API and one through the domain service directly
    plaintexts = [keys(create_request({"name": f"team {n}", "role": "member"})).json()["key"] for n in range(3)]
    plaintexts.append(create_key(DynamoKeyRepository(TABLE_NAME, REGION), "ops", Role.ADMIN, NOW)[1])

    # WHEN the whole table is scanned
    dump = json.dumps(store.items())

    # THEN no key appears in it, not even in part, while every key's hash does
    for plaintext in plaintexts:
        assert plaintext not in dump
        assert plaintext[3:23] not in dump
        assert hash_key(plaintext) in dump


@pytest.mark.parametrize(
    ("caller", "status", "code"),
    [
        (MEMBER, 403, "forbidden"),
        (ANONYMOUS, 401, "unauthorized"),
        (None, 401, "unauthorized"),
        (INVALID, 401, "unauthorized"),
        (UNAVAILABLE, 503, "service_unavailable"),
    ],
)
@pytest.mark.parametrize("request_of", [lambda c: create_request({"name": "x", "role": "admin"}, c), list_request])
def test_only_admins_may_use_the_keys_routes(
    keys: LambdaFunction, store: LinkStore, request_of: Any, caller: dict[str, Any] | None, status: int, code: str
) -> None:
    response = keys(request_of(caller))

    assert_error(response, status, code)
    assert store.items() == []


@pytest.mark.parametrize(("caller", "status"), [(MEMBER, 403), (ANONYMOUS, 401), (INVALID, 401)])
def test_only_admins_may_revoke(
    keys: LambdaFunction, repository: DynamoKeyRepository, caller: dict[str, Any], status: int
) -> None:
    key, _ = create_key(repository, "ops", Role.ADMIN, NOW)

    assert keys(revoke_request(key.key_id, caller)).status == status
    assert not repository.list_all()[0].revoked


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "x", "role": "owner"}, 422, "validation_error"),
        ({"name": "x"}, 422, "validation_error"),
        ({"name": "x", "role": "member", "key": "sl_" + "a" * 43}, 422, "validation_error"),
        ({"name": "x", "role": "member", "create_rate_limit": "10"}, 422, "validation_error"),
        ({"name": "", "role": "member"}, 422, "invalid_key_spec"),
        ({"name": "x" * 101, "role": "member"}, 422, "invalid_key_spec"),
        ({"name": "x", "role": "member", "create_rate_limit": 0}, 422, "invalid_key_spec"),
        ("[]", 400, "malformed_json"),
    ],
)
def test_a_bad_create_request_creates_nothing(
    keys: LambdaFunction, store: LinkStore, body: object, status: int, code: str
) -> None:
    response = keys(create_request(body))

    assert_error(response, status, code)
    assert store.items() == []


# --- list -----------------------------------------------------------------------------------------------------------


def test_an_admin_lists_every_key_newest_first_without_key_material(
    keys: LambdaFunction, repository: DynamoKeyRepository
) -> None:
    # GIVEN three keys, one of them revoked
    oldest, oldest_plaintext = create_key(repository, "ops", Role.ADMIN, NOW - timedelta(days=2))
    middle, middle_plaintext = create_key(repository, "old team", Role.MEMBER, NOW - timedelta(days=1), 30)
    newest, newest_plaintext = create_key(repository, "new team", Role.MEMBER, NOW)
    keys(revoke_request(middle.key_id))

    # WHEN an admin lists them
    response = keys(load_event("list_keys"))

    # THEN every key is there, newest first, as records only
    assert response.status == 200, response.body
    listed = response.json()["keys"]
    assert [key["key_id"] for key in listed] == [newest.key_id, middle.key_id, oldest.key_id]
    assert listed[1] == {
        "key_id": middle.key_id,
        "name": "old team",
        "role": "member",
        "created_at": listed[1]["created_at"],
        "last_used_day": None,
        "revoked": True,
        "create_rate_limit": 30,
    }
    for plaintext in (oldest_plaintext, middle_plaintext, newest_plaintext):
        assert plaintext not in response.body
        assert hash_key(plaintext) not in response.body


def test_an_empty_table_lists_no_keys(keys: LambdaFunction) -> None:
    assert keys(load_event("list_keys")).json() == {"keys": []}


def test_links_in_the_index_are_not_listed_as_keys(
    keys: LambdaFunction, store: LinkStore, repository: DynamoKeyRepository
) -> None:
    store.add("AbC1234")
    key, _ = create_key(repository, "ops", Role.ADMIN, NOW)

    assert [listed["key_id"] for listed in keys(load_event("list_keys")).json()["keys"]] == [key.key_id]


# --- revoke ---------------------------------------------------------------------------------------------------------


def test_an_admin_revokes_a_key_and_the_authorizer_then_refuses_it(
    keys: LambdaFunction,
    authorizer_module: ModuleType,
    repository: DynamoKeyRepository,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(authorizer_module, "answers", authorizer_module.AnswerCache(0))  # AUTH_CACHE_SECONDS=0
    key, plaintext = create_key(repository, "Campaigns team", Role.MEMBER, NOW)
    authorizer_event = load_event("authorizer", headers={"authorization": f"Bearer {plaintext}"})
    assert authorizer_module.lambda_handler(authorizer_event, FakeLambdaContext())["context"]["auth"] == "key"

    response = keys(revoke_request(key.key_id))

    assert response.status == 204, response.body
    assert response.body == ""
    assert repository.list_all()[0].revoked
    assert authorizer_module.lambda_handler(authorizer_event, FakeLambdaContext())["context"] == {"auth": "invalid"}
    assert keys(revoke_request(key.key_id)).status == 204  # again: nothing changes


@pytest.mark.parametrize("key_id", ["key_000000000000", "key_nope", "APIKEY", "sl_" + "a" * 43])
def test_revoking_an_unknown_or_malformed_id_is_404(
    keys: LambdaFunction, repository: DynamoKeyRepository, key_id: str
) -> None:
    create_key(repository, "ops", Role.ADMIN, NOW)

    assert_error(keys(revoke_request(key_id)), 404, "key_not_found")


def test_an_admin_may_revoke_its_own_key(keys: LambdaFunction, repository: DynamoKeyRepository) -> None:
    key, _ = create_key(repository, "ops", Role.ADMIN, NOW)
    caller = {**ADMIN, "key_id": key.key_id}

    assert keys(revoke_request(key.key_id, caller)).status == 204


# --- least privilege and logs -------------------------------------------------------------------------------------


def test_the_keys_function_makes_exactly_the_calls_its_policy_allows(
    keys: LambdaFunction, repository: DynamoKeyRepository
) -> None:
    with recording_dynamodb_calls() as calls:
        created = keys(create_request({"name": "ops", "role": "admin"})).json()
        keys(load_event("list_keys"))
        keys(revoke_request(created["key_id"]))

    assert calls_made(calls) == calls_granted("KeysFunction")
    assert calls_granted("KeysFunction") == {("PutItem", "table"), ("UpdateItem", "table"), ("Query", "index/gsi1")}


def test_creating_a_key_logs_its_id_and_never_the_key(
    keys: LambdaFunction, logs: CapturedLogs, capsys: pytest.CaptureFixture[str]
) -> None:
    plaintext = keys(load_event("create_key")).json()["key"]
    records = logs.records()

    [created] = [record for record in records if record.get("message") == "api key created"]
    assert created["by"] == "key_AdminFixture"
    assert plaintext not in json.dumps(records) + capsys.readouterr().out
    assert load_event("create_key")["headers"]["authorization"].removeprefix("Bearer ") not in json.dumps(records)
