"""``POST /v1/links`` and ``POST /v1/links/bulk`` as API keys use them: keys required (unless anonymous creation is
allowed), ownership, the per-key rate limit, ``Idempotency-Key``, ``reuse`` and bulk creation, on real HTTP API
events (with the authorizer's context) against the template's table."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from shortlinks.domain.target import LinkState
from shortlinks.storage.repository import DynamoRateLimiter
from tests.events import load_event
from tests.integration.harness import (
    ADMIN,
    ANONYMOUS,
    INVALID,
    MEMBER,
    MEMBER_ID,
    OTHER_MEMBER,
    OTHER_MEMBER_ID,
    REGION,
    TABLE_NAME,
    ApiCall,
    HttpResponse,
    LambdaFunction,
    LinkStore,
    as_caller,
    calls_granted,
    calls_made,
    key_context,
    recording_dynamodb_calls,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from tests.integration.conftest import ColdStart

URL = "https://example.org/resources/artists/mental-health?lang=en"
LIMITED_ID = "key_Limited00001"


def post(
    create: LambdaFunction,
    body: object,
    caller: dict[str, Any] = MEMBER,
    headers: dict[str, str | None] | None = None,
) -> HttpResponse:
    return create(as_caller(load_event("create_link", body=body, headers=headers), caller))


def post_bulk(create: LambdaFunction, body: object, caller: dict[str, Any] = MEMBER) -> HttpResponse:
    return create(as_caller(load_event("create_links_bulk", body=body), caller))


def assert_error(response: HttpResponse, status: int, code: str) -> None:
    assert response.status == status, response.body
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["code"] == code


def rate_counters(store: LinkStore) -> dict[str, int]:
    """``key id -> creations counted`` in the current windows."""
    return {
        item["pk"]["S"].removeprefix("RATE#"): int(item["hits"]["N"])
        for item in store.items()
        if item["pk"]["S"].startswith("RATE#")
    }


@pytest.fixture
def frozen_minute(create: LambdaFunction, monkeypatch: pytest.MonkeyPatch) -> datetime:
    """The create function's clock stopped 10 s into a minute, so a test's creates share one rate window."""
    now = datetime.now(UTC).replace(second=10, microsecond=0)
    monkeypatch.setattr(create.module, "utc_now", lambda: now)
    return now


# --- a key is required --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("caller", "status", "code"),
    [
        (ANONYMOUS, 401, "unauthorized"),
        (INVALID, 401, "unauthorized"),
        ({"auth": "unavailable"}, 503, "service_unavailable"),
        ({"auth": "key", "key_id": MEMBER_ID, "role": "owner"}, 401, "unauthorized"),
    ],
    ids=["no key", "invalid key", "unchecked key", "unknown role"],
)
def test_creating_needs_a_valid_key_and_a_refusal_touches_nothing(
    create: LambdaFunction, store: LinkStore, caller: dict[str, Any], status: int, code: str
) -> None:
    with recording_dynamodb_calls() as calls:
        single = post(create, {"url": URL}, caller)
        bulk = post_bulk(create, {"links": [{"url": URL}]}, caller)

    assert_error(single, status, code)
    assert_error(bulk, status, code)
    assert calls == []
    assert store.items() == []


def test_the_key_is_checked_before_the_body(create: LambdaFunction) -> None:
    assert_error(post(create, "not json", ANONYMOUS), 401, "unauthorized")


@pytest.fixture(scope="module")
def open_create_module(start_function: ColdStart) -> ModuleType:
    """The create function cold-started with ALLOW_ANONYMOUS_CREATE=true."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ALLOW_ANONYMOUS_CREATE", "true")
        return start_function("CreateFunction")


@pytest.fixture
def open_create(open_create_module: ModuleType, lambda_context: LambdaContext) -> LambdaFunction:
    return LambdaFunction(open_create_module, lambda_context)


def test_when_allowed_anonymous_links_are_created_without_an_owner_or_a_counter(
    open_create: LambdaFunction, store: LinkStore
) -> None:
    response = post(open_create, {"url": URL}, ANONYMOUS)

    assert response.status == 201, response.body
    assert response.json()["owner"] is None
    [item] = store.items()
    assert "owner" not in item
    assert "gsi1pk" not in item  # listed under no key: only admins see it, through owner=*


def test_when_anonymous_creation_is_allowed_an_invalid_key_is_still_refused(
    open_create: LambdaFunction, store: LinkStore
) -> None:
    assert_error(post(open_create, {"url": URL}, INVALID), 401, "unauthorized")
    assert store.items() == []


def test_when_anonymous_creation_is_allowed_a_key_still_owns_its_links(open_create: LambdaFunction) -> None:
    assert post(open_create, {"url": URL}, MEMBER).json()["owner"] == MEMBER_ID


def test_each_link_records_the_key_that_created_it(create: LambdaFunction, store: LinkStore) -> None:
    mine = post(create, {"url": URL}, MEMBER).json()
    admins = post(create, {"url": URL}, ADMIN).json()

    assert (mine["owner"], admins["owner"]) == (MEMBER_ID, ADMIN["key_id"])
    owners = {item["code"]["S"]: item["owner"]["S"] for item in store.link_items()}
    assert owners == {mine["code"]: MEMBER_ID, admins["code"]: ADMIN["key_id"]}


# --- the per-key rate limit ---------------------------------------------------------------------------------------


def test_over_its_rate_limit_a_key_gets_429_with_retry_after_and_nothing_is_written(
    create: LambdaFunction, store: LinkStore, frozen_minute: datetime
) -> None:
    # GIVEN a key allowed 2 links a minute, which has created 2 this minute
    limited = key_context(LIMITED_ID, create_rate_limit=2)
    assert post(create, {"url": URL}, limited).status == 201
    assert post(create, {"url": URL}, limited).status == 201
    before = store.items()

    # WHEN it asks for a third in the same minute
    with recording_dynamodb_calls() as calls:
        response = post(create, {"url": URL, "alias": "third"}, limited)

    # THEN it is told to wait until the minute is over, and nothing was written: not the link, not the counter
    assert_error(response, 429, "rate_limited")
    assert response.headers["retry-after"] == "50"
    assert [call.operation for call in calls] == ["UpdateItem"]  # the conditional count, which refused
    assert store.items() == before
    assert rate_counters(store) == {LIMITED_ID: 2}


def test_the_limit_is_per_key_and_per_minute(
    create: LambdaFunction, store: LinkStore, frozen_minute: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    limited = key_context(LIMITED_ID, create_rate_limit=1)
    assert post(create, {"url": URL}, limited).status == 201
    assert_error(post(create, {"url": URL}, limited), 429, "rate_limited")

    # another key is not held back by it
    assert post(create, {"url": URL}, key_context("key_Unlimited001", create_rate_limit=1)).status == 201
    # and the next minute the key may create again
    monkeypatch.setattr(create.module, "utc_now", lambda: frozen_minute + timedelta(minutes=1))
    assert post(create, {"url": URL}, limited).status == 201


def test_a_key_without_its_own_limit_gets_the_default_of_60_a_minute(
    create: LambdaFunction, store: LinkStore, frozen_minute: datetime
) -> None:
    # GIVEN the member key (no limit of its own) has created 59 links this minute
    counter = DynamoRateLimiter(TABLE_NAME, REGION)
    for _ in range(59):
        counter.hit(MEMBER_ID, 60, frozen_minute)

    # THEN the 60th is created and the 61st refused
    assert post(create, {"url": URL}).status == 201
    assert_error(post(create, {"url": URL}), 429, "rate_limited")


def test_a_refused_request_is_not_counted(create: LambdaFunction, store: LinkStore, frozen_minute: datetime) -> None:
    limited = key_context(LIMITED_ID, create_rate_limit=1)

    assert_error(post(create, {"url": "javascript:alert(1)"}, limited), 422, "unsupported_scheme")
    assert_error(post(create, {"url": URL, "alias": "admin"}, limited), 422, "alias_reserved")

    assert post(create, {"url": URL}, limited).status == 201


def test_each_link_of_a_bulk_counts_and_those_over_the_limit_are_refused_one_by_one(
    create: LambdaFunction, store: LinkStore, frozen_minute: datetime
) -> None:
    limited = key_context(LIMITED_ID, create_rate_limit=2)

    response = post_bulk(create, {"links": [{"url": f"{URL}&n={n}"} for n in range(3)]}, limited)

    assert response.status == 200, response.body
    results = response.json()["results"]
    assert [result["status"] for result in results] == [201, 201, 429]
    assert results[2]["error"]["code"] == "rate_limited"
    assert 1 <= int(results[2]["error"]["retry_after"]) <= 60
    assert len(store.link_items()) == 2


# --- Idempotency-Key ------------------------------------------------------------------------------------------------


def test_a_retry_with_the_same_idempotency_key_gets_the_same_link(create: LambdaFunction, store: LinkStore) -> None:
    # GIVEN a create sent with an Idempotency-Key
    first = post(create, {"url": URL}, headers={"idempotency-key": "order-42"})

    # WHEN it is sent again, as a client retrying after a timeout would
    retry = post(create, {"url": URL}, headers={"idempotency-key": "order-42"})

    # THEN the retry gets the first answer, and only one link exists
    assert first.status == retry.status == 201, (first.body, retry.body)
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    assert [item["code"]["S"] for item in store.link_items()] == [first.json()["code"]]


def test_the_idempotency_record_is_kept_in_the_links_table_for_24_hours(
    create: LambdaFunction, store: LinkStore
) -> None:
    post(create, {"url": URL}, headers={"idempotency-key": "order-42"})

    [record] = [item for item in store.items() if item["pk"]["S"].startswith("IDEMPOTENCY#")]
    expires = datetime.fromtimestamp(int(record["ttl"]["N"]), UTC)
    assert abs(expires - (datetime.now(UTC) + timedelta(hours=24))) < timedelta(minutes=1)


def test_a_replayed_answer_does_not_count_against_the_rate_limit(
    create: LambdaFunction, store: LinkStore, frozen_minute: datetime
) -> None:
    limited = key_context(LIMITED_ID, create_rate_limit=2)

    for _ in range(3):
        assert post(create, {"url": URL}, limited, headers={"idempotency-key": "same"}).status == 201

    assert post(create, {"url": URL}, limited).status == 201
    assert_error(post(create, {"url": URL}, limited), 429, "rate_limited")


def test_the_same_idempotency_key_with_another_body_is_422(create: LambdaFunction, store: LinkStore) -> None:
    post(create, {"url": URL}, headers={"idempotency-key": "order-42"})

    response = post(create, {"url": URL, "title": "Different"}, headers={"idempotency-key": "order-42"})

    assert_error(response, 422, "idempotency_key_reused")
    assert len(store.link_items()) == 1


def test_idempotency_keys_of_different_api_keys_are_independent(create: LambdaFunction, store: LinkStore) -> None:
    mine = post(create, {"url": URL}, MEMBER, headers={"idempotency-key": "order-42"})
    theirs = post(create, {"url": URL}, OTHER_MEMBER, headers={"idempotency-key": "order-42"})

    assert mine.status == theirs.status == 201
    assert mine.json()["code"] != theirs.json()["code"]
    assert (mine.json()["owner"], theirs.json()["owner"]) == (MEMBER_ID, OTHER_MEMBER_ID)
    assert len(store.link_items()) == 2


def test_without_an_idempotency_key_a_retry_makes_another_link(create: LambdaFunction, store: LinkStore) -> None:
    first = post(create, {"url": URL})
    retry = post(create, {"url": URL})

    assert first.json()["code"] != retry.json()["code"]
    assert len(store.link_items()) == 2


def test_a_refused_create_is_not_remembered_under_its_idempotency_key(create: LambdaFunction, store: LinkStore) -> None:
    # GIVEN a create refused by a rule, sent with an Idempotency-Key
    assert_error(
        post(create, {"url": "javascript:alert(1)"}, headers={"idempotency-key": "k1"}), 422, "unsupported_scheme"
    )

    # WHEN the corrected request is sent with the same key
    corrected = post(create, {"url": URL}, headers={"idempotency-key": "k1"})

    # THEN it is created, not refused as a reuse of the key
    assert corrected.status == 201, corrected.body


@pytest.mark.parametrize("key", ["", "k" * 256, "tab\there"], ids=["empty", "256 characters", "control character"])
def test_an_unusable_idempotency_key_is_422(create: LambdaFunction, store: LinkStore, key: str) -> None:
    response = post(create, {"url": URL}, headers={"idempotency-key": key})

    assert_error(response, 422, "validation_error")
    assert response.json()["error"]["details"][0]["field"] == "Idempotency-Key"
    assert store.items() == []


# --- reuse ----------------------------------------------------------------------------------------------------------


def test_reuse_returns_the_callers_active_link_to_the_same_url_with_200(
    create: LambdaFunction, store: LinkStore
) -> None:
    # GIVEN the member made a link to the URL
    original = post(create, {"url": URL}).json()

    # WHEN it asks again, spelling the URL differently, with reuse
    with recording_dynamodb_calls() as calls:
        response = post(create, {"url": "HTTPS://EXAMPLE.ORG/resources/artists/mental-health?lang=en", "reuse": True})

    # THEN it gets the same link (200, not 201), and nothing was written or counted
    assert response.status == 200, response.body
    assert response.json() == original
    assert response.headers["location"] == f"/v1/links/{original['code']}"
    assert [call.operation for call in calls] == ["Query"]
    assert len(store.link_items()) == 1


def test_without_reuse_the_same_url_gets_a_new_link(create: LambdaFunction, store: LinkStore) -> None:
    original = post(create, {"url": URL}).json()

    response = post(create, {"url": URL, "reuse": False})

    assert response.status == 201, response.body
    assert response.json()["code"] != original["code"]


def test_reuse_never_returns_another_keys_link(create: LambdaFunction, store: LinkStore) -> None:
    theirs = post(create, {"url": URL}, OTHER_MEMBER).json()

    response = post(create, {"url": URL, "reuse": True}, MEMBER)

    assert response.status == 201, response.body
    assert response.json()["code"] != theirs["code"]
    assert response.json()["owner"] == MEMBER_ID


@pytest.mark.parametrize(
    "seeded",
    [
        {"state": LinkState.DISABLED},
        {"state": LinkState.DELETED},
        {"expires_at": datetime.now(UTC) - timedelta(days=1)},
    ],
    ids=["disabled", "deleted", "expired"],
)
def test_reuse_skips_a_link_that_no_longer_redirects(
    create: LambdaFunction, store: LinkStore, seeded: dict[str, Any]
) -> None:
    store.add("old1234", URL, owner=MEMBER_ID, **seeded)

    response = post(create, {"url": URL, "reuse": True})

    assert response.status == 201, response.body
    assert response.json()["code"] != "old1234"


def test_reuse_with_an_alias_creates_the_alias(create: LambdaFunction, store: LinkStore) -> None:
    post(create, {"url": URL})

    response = post(create, {"url": URL, "alias": "spring", "reuse": True})

    assert (response.status, response.json()["code"]) == (201, "spring")


def test_a_reused_link_is_returned_again_under_an_idempotency_key_with_200(
    create: LambdaFunction, store: LinkStore
) -> None:
    original = post(create, {"url": URL}).json()

    first = post(create, {"url": URL, "reuse": True}, headers={"idempotency-key": "r1"})
    retry = post(create, {"url": URL, "reuse": True}, headers={"idempotency-key": "r1"})

    assert (first.status, retry.status) == (200, 200)
    assert first.json()["code"] == retry.json()["code"] == original["code"]


# --- bulk -----------------------------------------------------------------------------------------------------------


def test_the_bulk_fixture_creates_each_link(create: LambdaFunction, store: LinkStore) -> None:
    response = create(load_event("create_links_bulk"))

    assert response.status == 200, response.body
    body = response.json()
    assert (body["created"], body["failed"]) == (2, 0)
    assert [(result["index"], result["status"]) for result in body["results"]] == [(0, 201), (1, 201)]
    housing, grants = (result["link"] for result in body["results"])
    assert (housing["tags"], housing["owner"]) == (["spring-sale"], MEMBER_ID)
    assert grants["code"] == "artist-grants"
    assert {item["code"]["S"] for item in store.link_items()} == {housing["code"], "artist-grants"}


def test_each_bulk_item_is_answered_in_order_and_one_items_error_never_stops_the_others(
    create: LambdaFunction, store: LinkStore
) -> None:
    # GIVEN an alias already taken and a link the member already has
    store.add("taken", "https://example.org/original")
    existing = post(create, {"url": "https://example.org/existing"}).json()
    items: list[object] = [
        {"url": "https://example.org/one"},
        {"url": "javascript:alert(1)"},
        {"url": "https://example.org/two", "alias": "taken"},
        {"url": "https://example.org/three", "colour": "red"},
        {"url": "https://example.org/existing", "reuse": True},
        {"url": "https://example.org/four", "alias": "dup-alias"},
        {"url": "https://example.org/five", "alias": "dup-alias"},
        {"alias": "no-url"},
        {"url": "https://example.org/six", "tags": ["Bad Tag"]},
        {"url": "https://example.org/seven", "expires_at": "2020-01-01T00:00:00Z"},
    ]

    # WHEN they are created in one bulk request
    response = post_bulk(create, {"links": items})

    # THEN each item has its own outcome, in order, and every valid one was created
    assert response.status == 200, response.body
    body = response.json()
    outcomes = [(result["index"], result["status"], result.get("error", {}).get("code")) for result in body["results"]]
    assert outcomes == [
        (0, 201, None),
        (1, 422, "unsupported_scheme"),
        (2, 409, "code_taken"),
        (3, 422, "validation_error"),
        (4, 200, None),
        (5, 201, None),
        (6, 409, "code_taken"),
        (7, 422, "validation_error"),
        (8, 422, "invalid_tags"),
        (9, 422, "invalid_expires_at"),
    ]
    assert (body["created"], body["failed"]) == (3, 7)
    assert body["results"][4]["link"]["code"] == existing["code"]
    destinations = {item["url"]["S"] for item in store.link_items()}
    assert destinations == {
        "https://example.org/original",
        "https://example.org/existing",
        "https://example.org/one",
        "https://example.org/four",
    }


def test_a_bulk_items_field_errors_are_named_as_for_a_single_create(create: LambdaFunction) -> None:
    item = {"url": 42, "colour": "red"}

    single = post(create, item).json()["error"]
    [result] = post_bulk(create, {"links": [item]}).json()["results"]

    assert result["error"] == single


def test_a_bulk_of_100_links_is_created(create: LambdaFunction, store: LinkStore) -> None:
    # GIVEN 100 links with realistic, long destinations, from a key allowed to create them all this minute
    roomy = key_context("key_BulkLoader01", create_rate_limit=1000)
    items = [{"url": f"https://example.org/campaigns/2026/spring/{n:03d}?{'x' * 150}"} for n in range(100)]

    response = post_bulk(create, {"links": items}, roomy)

    assert response.status == 200, response.body
    assert (response.json()["created"], response.json()["failed"]) == (100, 0)
    assert len(store.link_items()) == 100


def test_a_bulk_body_over_500_kib_is_too_large(create: LambdaFunction, store: LinkStore) -> None:
    body = json.dumps({"links": [{"url": URL}]})
    padded = body + " " * (500 * 1024 + 1 - len(body))

    assert_error(post_bulk(create, padded), 413, "payload_too_large")
    assert store.items() == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"links": [{"url": URL}] * 101}, 422, "validation_error"),
        ({"links": []}, 422, "validation_error"),
        ({}, 422, "validation_error"),
        ({"links": {"url": URL}}, 422, "validation_error"),
        ({"links": [{"url": URL}], "reuse": True}, 422, "validation_error"),
        ([{"url": URL}], 400, "malformed_json"),
        ("", 400, "malformed_json"),
    ],
    ids=["101 items", "no items", "no links", "links not a list", "unknown field", "a bare list", "empty body"],
)
def test_a_bulk_request_refused_as_a_whole_writes_nothing(
    create: LambdaFunction, store: LinkStore, body: object, status: int, code: str
) -> None:
    with recording_dynamodb_calls() as calls:
        response = post_bulk(create, body)

    assert_error(response, status, code)
    assert calls == []
    assert store.items() == []


# --- least privilege --------------------------------------------------------------------------------------------


def test_the_create_function_uses_only_what_it_is_granted(
    create: LambdaFunction, store: LinkStore, frozen_minute: datetime
) -> None:
    create.module.domains._registry.refresh()  # as once a minute: the next request reads the domain registry
    with recording_dynamodb_calls() as calls:
        post(create, {"url": URL})
        post(create, {"url": URL, "reuse": True})
        post(create, {"url": URL}, headers={"idempotency-key": "a"})
        post(create, {"url": URL}, headers={"idempotency-key": "a"})
        post(create, {"url": "javascript:x"}, headers={"idempotency-key": "b"})
        post_bulk(create, {"links": [{"url": URL}]})
        post(create, {"url": URL}, key_context(LIMITED_ID, create_rate_limit=1))
        post(create, {"url": URL}, key_context(LIMITED_ID, create_rate_limit=1))

    used = calls_made(calls)
    granted = calls_granted("CreateFunction")
    assert used <= granted
    # GetItem is Powertools idempotency's fallback read of an existing record, for a DynamoDB answer without it
    assert granted - used == {("GetItem", "table")}


def _operations(calls: list[ApiCall]) -> list[str]:
    return [call.operation for call in calls]


def test_an_idempotent_create_writes_its_record_around_the_link(create: LambdaFunction) -> None:
    with recording_dynamodb_calls() as calls:
        post(create, {"url": URL}, headers={"idempotency-key": "a"})
    with recording_dynamodb_calls() as replay:
        post(create, {"url": URL}, headers={"idempotency-key": "a"})

    # in progress, counted, written, completed; then a replay is one refused put that returns the record
    assert _operations(calls) == ["PutItem", "UpdateItem", "PutItem", "UpdateItem"]
    assert _operations(replay) == ["PutItem"]
    assert json.loads(json.dumps(replay[0].params["Item"]))["pk"] == {"S": "IDEMPOTENCY#create"}


def test_the_rate_limiter_and_the_links_share_one_botocore_client(create: LambdaFunction) -> None:
    # A second client would cost ~60 ms on the first request of every container (docs/benchmarks.md).
    module = create.module
    links_client = module.repository.botocore_client()

    assert module.rate_limiter._table.client is links_client
    assert module.repository._item._get_connection().connection.client is links_client  # its pynamodb model's too
