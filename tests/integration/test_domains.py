"""``/v1/domains``: the domains function on real HTTP API events against the template's table, and domain records
and link tombstones as the storage adapter writes them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from shortlinks.domain.domains import register_domain
from shortlinks.domain.short_domain import ShortDomain
from shortlinks.domain.target import LinkState
from shortlinks.storage.domains import TOMBSTONE_ATTRIBUTES, DynamoDomainRepository, load_domains
from tests.domain_settings import DOMAIN_DEFAULTS
from tests.events import load_event
from tests.integration.harness import (
    ADMIN,
    ANONYMOUS,
    INVALID,
    MEMBER,
    REGION,
    TABLE_NAME,
    CapturedLogs,
    HttpResponse,
    LambdaFunction,
    LinkStore,
    as_caller,
    calls_granted,
    calls_made,
    calls_refused,
    recording_dynamodb_calls,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from tests.integration.conftest import ColdStart

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def domains_module(start_function: ColdStart) -> ModuleType:
    return start_function("DomainsFunction")


@pytest.fixture
def domains(domains_module: ModuleType, lambda_context: LambdaContext) -> LambdaFunction:
    return LambdaFunction(domains_module, lambda_context)


@pytest.fixture
def repository() -> DynamoDomainRepository:
    return DynamoDomainRepository(TABLE_NAME, REGION)


DEFAULTS = DOMAIN_DEFAULTS


def put_request(host: str, body: object = DEFAULTS, caller: dict[str, Any] = ADMIN) -> dict[str, Any]:
    return as_caller(load_event("put_domain", path_parameters={"domain": host}, body=body), caller)


def get_request(host: str, caller: dict[str, Any] = ADMIN) -> dict[str, Any]:
    return as_caller(load_event("get_domain", path_parameters={"domain": host}), caller)


def remove_request(host: str, *, force: bool | None = None, caller: dict[str, Any] = ADMIN) -> dict[str, Any]:
    query = {} if force is None else {"force": str(force).lower()}
    return as_caller(load_event("remove_domain", path_parameters={"domain": host}, query=query), caller)


def assert_error(response: HttpResponse, status: int, code: str) -> None:
    assert response.status == status, response.body
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["code"] == code


# --- storage --------------------------------------------------------------------------------------------------------


def test_a_domain_round_trips_through_the_table(repository: DynamoDomainRepository, store: LinkStore) -> None:
    # GIVEN a domain with every setting
    domain = ShortDomain(
        host="care.link",
        base_url="https://care.link",
        default_redirect_type=301,
        root_url="https://care.example/",
        not_found_url="https://care.example/missing",
        allowed_keys=frozenset({"key_Campaigns001", "key_Volunteers01"}),
        is_default=True,
        created_at=NOW,
    )

    # WHEN it is stored and read back
    repository.put(domain)

    # THEN it is the same domain, by GetItem and by the registry's load, and the item has the documented keys
    assert repository.get("care.link") == domain
    assert repository.list_all() == [domain]
    assert load_domains(TABLE_NAME, REGION) == [domain]
    [item] = store.items()
    assert {name: item[name] for name in ("pk", "sk", "entity", "created_at")} == {
        "pk": {"S": "DOMAINS"},
        "sk": {"S": "DOMAIN#care.link"},
        "entity": {"S": "domain"},
        "created_at": {"S": "2026-11-25T12:00:00.000Z"},
    }
    assert "gsi1pk" not in item
    assert item["allowed_keys"]["SS"]


def test_a_domain_open_to_every_key_stores_no_allowed_keys(
    repository: DynamoDomainRepository, store: LinkStore
) -> None:
    repository.put(ShortDomain(host="care.link", base_url="https://care.link", created_at=NOW))

    [item] = store.items()
    assert "allowed_keys" not in item
    assert repository.get("care.link") == ShortDomain(host="care.link", base_url="https://care.link", created_at=NOW)


def test_a_new_default_domain_clears_the_previous_default(repository: DynamoDomainRepository) -> None:
    repository.put(ShortDomain(host="care.link", base_url="https://care.link", is_default=True, created_at=NOW))
    repository.put(ShortDomain(host="give.link", base_url="https://give.link", is_default=True, created_at=NOW))

    assert [(domain.host, domain.is_default) for domain in repository.list_all()] == [
        ("care.link", False),
        ("give.link", True),
    ]


def test_only_domains_are_in_the_registry(repository: DynamoDomainRepository, store: LinkStore) -> None:
    # GIVEN a domain, and a link
    store.add("help", domain="care.link", owner="key_Campaigns001")
    repository.put(ShortDomain(host="care.link", base_url="https://care.link", created_at=NOW))

    assert [domain.host for domain in repository.list_all()] == ["care.link"]
    assert repository.get("nope.link") is None


def test_has_links_sees_only_links_on_that_domain(repository: DynamoDomainRepository, store: LinkStore) -> None:
    # GIVEN links on care.link (one deleted) and on care.link.example, whose key merely starts alike
    store.add("old", domain="care.link", state=LinkState.DELETED)
    store.add("help", domain="care.link.example")

    assert repository.has_links("care.link")
    assert repository.has_links("care.link.example")
    assert not repository.has_links("give.link")
    assert not repository.has_links("care.lin")


def test_tombstone_links_marks_each_live_link_on_the_domain_deleted(
    repository: DynamoDomainRepository, store: LinkStore
) -> None:
    # GIVEN two live links and a deleted one on care.link, and a link with the same code on give.link
    store.add("help", "https://care.example/help", domain="care.link")
    store.add("give", "https://care.example/give", domain="care.link", owner="key_Campaigns001")
    store.add("old", domain="care.link", state=LinkState.DELETED)
    store.add("help", "https://give.example/help", domain="give.link")

    # WHEN care.link's links are tombstoned
    marked = repository.tombstone_links("care.link", LATER)

    # THEN the two live ones are deleted, a version later, and give.link's link is untouched
    assert marked == 2
    links = store.repository
    for code in ("help", "give"):
        link = links.get("care.link", code, consistent=True)
        assert link is not None
        assert (link.target.state, link.version, link.updated_at) == (LinkState.DELETED, 2, LATER)
    old = links.get("care.link", "old", consistent=True)
    assert old is not None
    assert old.version == 1
    other = links.get("give.link", "help", consistent=True)
    assert other is not None
    assert (other.target.state, other.version) == (LinkState.ACTIVE, 1)
    # AND nothing but the links changed: no history entries, the owner's index keys kept
    assert len(store.items()) == 4
    [owned] = [item for item in store.items() if item["pk"]["S"] == "LINK#care.link#give"]
    assert owned["gsi1pk"] == {"S": "OWNER#key_Campaigns001"}
    assert repository.tombstone_links("care.link", LATER) == 0


def test_a_tombstone_keeps_an_edit_made_since_the_links_were_found(
    repository: DynamoDomainRepository, store: LinkStore
) -> None:
    # GIVEN a link on care.link changed once already (version 2, a new destination)
    link = store.add("help", "https://care.example/help", domain="care.link", created_at=NOW)
    moved = replace(link, target=replace(link.target, url="https://care.example/new"), version=2, updated_at=NOW)
    store.repository.replace(moved, 1)

    # WHEN care.link's links are tombstoned
    marked = repository.tombstone_links("care.link", LATER)

    # THEN the tombstone is the next version of what is stored, edit included, and nothing else of it changed
    assert marked == 1
    stored = store.repository.get("care.link", "help", consistent=True)
    assert stored == replace(moved, target=replace(moved.target, state=LinkState.DELETED), version=3, updated_at=LATER)


def test_finding_and_tombstoning_links_asks_only_what_the_domains_policy_allows(
    repository: DynamoDomainRepository, store: LinkStore
) -> None:
    store.add("help", domain="care.link", owner="key_Campaigns001")

    with recording_dynamodb_calls() as calls:
        assert repository.has_links("care.link")
        assert repository.tombstone_links("care.link", LATER) == 1

    assert [call.operation for call in calls] == ["Query", "Query", "UpdateItem"]
    assert calls_refused("DomainsFunction", calls) == []
    [update] = [call.params for call in calls if call.operation == "UpdateItem"]
    assert update["ReturnValues"] == "NONE"
    assert set(update["ExpressionAttributeNames"].values()) == {"pk", *TOMBSTONE_ATTRIBUTES}


def test_remove_deletes_only_the_record(repository: DynamoDomainRepository, store: LinkStore) -> None:
    store.add("help", domain="care.link")
    repository.put(ShortDomain(host="care.link", base_url="https://care.link", created_at=NOW))

    repository.remove("care.link")

    assert repository.get("care.link") is None
    assert [item["pk"]["S"] for item in store.items()] == ["LINK#care.link#help"]


# --- the function ---------------------------------------------------------------------------------------------------


def test_an_admin_registers_a_domain_and_reads_it_back(domains: LambdaFunction) -> None:
    # WHEN an admin PUTs the put_domain fixture (care.link with every setting)
    response = domains(load_event("put_domain"))

    # THEN the domain is answered as stored, and GET and the list show the same
    assert response.status == 200, response.body
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body == {
        "host": "care.link",
        "base_url": "https://care.link",
        "default_redirect_type": 302,
        "root_url": "https://www.care.example/",
        "not_found_url": "https://www.care.example/missing",
        "allowed_keys": ["key_Campaigns001"],
        "is_default": True,
        "created_at": body["created_at"],
    }
    assert domains(load_event("get_domain")).json() == body
    assert domains(load_event("list_domains")).json() == {"domains": [body]}


def test_replacing_a_domain_keeps_its_creation_time(domains: LambdaFunction) -> None:
    first = domains(put_request("care.link")).json()

    second = domains(put_request("care.link", DEFAULTS | {"default_redirect_type": 301})).json()

    assert second["created_at"] == first["created_at"]
    assert (second["default_redirect_type"], second["allowed_keys"], second["is_default"]) == (301, None, True)


@pytest.mark.parametrize(
    ("host", "body", "status", "code"),
    [
        ("care.link", DEFAULTS | {"root_url": "https://care.link/"}, 422, "url_is_short_link"),
        ("care.link", DEFAULTS | {"not_found_url": "https://sho.rt/x"}, 422, "url_is_short_link"),  # the API's host
        ("care.link", DEFAULTS | {"base_url": "https://give.link"}, 422, "invalid_domain"),
        ("care.link", DEFAULTS | {"default_redirect_type": 303}, 422, "invalid_domain"),
        ("care.link", DEFAULTS | {"allowed_keys": []}, 422, "invalid_domain"),
        ("care.link", DEFAULTS | {"colour": "blue"}, 422, "validation_error"),
        ("care.link", DEFAULTS | {"is_default": "yes"}, 422, "validation_error"),
        ("care link", DEFAULTS, 422, "invalid_domain"),
    ],
)
def test_a_bad_domain_is_refused_and_nothing_is_stored(
    domains: LambdaFunction, store: LinkStore, host: str, body: object, status: int, code: str
) -> None:
    assert_error(domains(put_request(host, body)), status, code)
    assert store.items() == []


def test_a_domain_may_not_send_visitors_to_another_registered_domain(domains: LambdaFunction) -> None:
    domains(put_request("give.link"))

    response = domains(put_request("care.link", DEFAULTS | {"root_url": "https://give.link/"}))

    assert_error(response, 422, "url_is_short_link")


def test_getting_or_removing_an_unknown_domain_is_404(domains: LambdaFunction) -> None:
    assert_error(domains(get_request("nope.link")), 404, "unknown_domain")
    assert_error(domains(remove_request("nope.link")), 404, "unknown_domain")


def test_a_domain_without_links_is_removed(domains: LambdaFunction, store: LinkStore) -> None:
    domains(put_request("care.link"))

    response = domains(remove_request("care.link"))

    assert response.status == 204, response.body
    assert response.body == ""
    assert store.items() == []


def test_a_domain_with_links_is_removed_only_when_forced(domains: LambdaFunction, store: LinkStore) -> None:
    # GIVEN a registered domain with a link
    domains(put_request("care.link"))
    store.add("help", domain="care.link")

    # WHEN it is removed without force THEN it is refused and stays
    assert_error(domains(remove_request("care.link")), 409, "domain_in_use")
    assert_error(domains(remove_request("care.link", force=False)), 409, "domain_in_use")
    assert domains(get_request("care.link")).status == 200

    # WHEN it is removed with force THEN it is gone and its link is a tombstone
    assert domains(remove_request("care.link", force=True)).status == 204
    assert_error(domains(get_request("care.link")), 404, "unknown_domain")
    [item] = store.items()
    assert (item["pk"]["S"], item["state"]["S"], item["version"]["N"]) == ("LINK#care.link#help", "deleted", "2")


def test_force_must_be_true_or_false(domains: LambdaFunction) -> None:
    domains(put_request("care.link"))

    assert_error(
        domains(remove_request("care.link") | {"queryStringParameters": {"force": "1"}}), 422, "validation_error"
    )


@pytest.mark.parametrize(
    "event",
    [
        lambda caller: as_caller(load_event("list_domains"), caller),
        lambda caller: get_request("care.link", caller),
        lambda caller: put_request("care.link", DEFAULTS, caller),
        lambda caller: remove_request("care.link", force=True, caller=caller),
    ],
    ids=["list", "get", "put", "remove"],
)
@pytest.mark.parametrize(
    ("caller", "status", "code"),
    [(MEMBER, 403, "forbidden"), (ANONYMOUS, 401, "unauthorized"), (INVALID, 401, "unauthorized")],
    ids=["member", "anonymous", "invalid"],
)
def test_only_admins_may_use_the_domains_routes(
    domains: LambdaFunction,
    store: LinkStore,
    repository: DynamoDomainRepository,
    event: Any,
    caller: dict[str, Any],
    status: int,
    code: str,
) -> None:
    register_domain(repository, "care.link", root_url="https://care.example/", now=NOW)
    before = store.items()

    assert_error(domains(event(caller)), status, code)
    assert store.items() == before


def test_the_domains_function_makes_exactly_the_calls_its_policy_allows(
    domains: LambdaFunction, store: LinkStore
) -> None:
    store.add("help", domain="care.link")
    with recording_dynamodb_calls() as calls:
        domains(put_request("give.link"))
        domains(put_request("care.link", DEFAULTS | {"is_default": True}))
        domains(load_event("list_domains"))
        domains(get_request("care.link"))
        domains(remove_request("care.link", force=True))

    assert calls_made(calls) == calls_granted("DomainsFunction")
    assert calls_granted("DomainsFunction") == {
        ("GetItem", "table"),
        ("PutItem", "table"),
        ("UpdateItem", "table"),
        ("DeleteItem", "table"),
        ("Query", "table"),
        ("Query", "index/gsi3"),
    }


def test_registering_a_domain_logs_who_did_it(domains: LambdaFunction, logs: CapturedLogs) -> None:
    domains(load_event("put_domain"))

    [registered] = [record for record in logs.records() if record.get("message") == "domain registered"]
    assert (registered["domain"], registered["by"]) == ("care.link", "key_AdminFixture")
