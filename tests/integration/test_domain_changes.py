"""``PUT /v1/domains/{domain}`` replaces every setting and so needs every field; ``PATCH /v1/domains/{domain}``
changes only the fields it names. A restricted domain can no longer be opened to every key by a PUT that merely
forgot ``allowed_keys`` (issue 8)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from local.template import routes
from shortlinks.domain.domains import register_domain
from shortlinks.storage.domains import DynamoDomainRepository
from tests.domain_settings import DOMAIN_DEFAULTS
from tests.events import KEEP, load_event
from tests.integration.harness import (
    ADMIN,
    ANONYMOUS,
    MEMBER,
    MEMBER_ID,
    REGION,
    TABLE_NAME,
    CapturedLogs,
    HttpResponse,
    LambdaFunction,
    LinkStore,
    as_caller,
    calls_granted,
    calls_made,
    recording_dynamodb_calls,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from tests.integration.conftest import ColdStart

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
EVERY_FIELD = ["allowed_keys", "base_url", "default_redirect_type", "is_default", "not_found_url", "root_url"]


@pytest.fixture(scope="module")
def domains_module(start_function: ColdStart) -> ModuleType:
    return start_function("DomainsFunction")


@pytest.fixture
def domains(domains_module: ModuleType, lambda_context: LambdaContext) -> LambdaFunction:
    return LambdaFunction(domains_module, lambda_context)


@pytest.fixture
def repository() -> DynamoDomainRepository:
    return DynamoDomainRepository(TABLE_NAME, REGION)


@pytest.fixture
def restricted(repository: DynamoDomainRepository, store: LinkStore) -> None:
    """care.link: the default, 301, a homepage and a not-found page, and only MEMBER_ID (and admins) create on it."""
    register_domain(
        repository,
        "care.link",
        default_redirect_type=301,
        root_url="https://www.care.example/",
        not_found_url="https://www.care.example/missing",
        allowed_keys=[MEMBER_ID],
        now=NOW,
    )


def patch_request(host: str = "care.link", body: object = KEEP, caller: dict[str, Any] = ADMIN) -> dict[str, Any]:
    return as_caller(load_event("patch_domain", path_parameters={"domain": host}, body=body), caller)


def put_request(host: str, body: object) -> dict[str, Any]:
    return as_caller(load_event("put_domain", path_parameters={"domain": host}, body=body), ADMIN)


def assert_error(response: HttpResponse, status: int, code: str) -> None:
    assert response.status == status, response.body
    assert response.json()["error"]["code"] == code


# --- PATCH: only what is named changes --------------------------------------------------------------------------


@pytest.mark.usefixtures("restricted")
def test_a_patch_changes_only_the_fields_it_names(domains: LambdaFunction) -> None:
    # WHEN an admin sends a new root page and nothing else
    response = domains(patch_request(body={"root_url": "https://www.care.example/welcome"}))

    # THEN the root page changed, and above all the domain is still restricted to its key
    assert response.status == 200, response.body
    body = response.json()
    assert body == {
        "host": "care.link",
        "base_url": "https://care.link",
        "default_redirect_type": 301,
        "root_url": "https://www.care.example/welcome",
        "not_found_url": "https://www.care.example/missing",
        "allowed_keys": [MEMBER_ID],
        "is_default": True,
        "created_at": "2026-11-25T12:00:00.000Z",
    }
    assert domains(as_caller(load_event("get_domain"), ADMIN)).json() == body


@pytest.mark.usefixtures("restricted")
def test_the_patch_fixture_clears_what_it_sends_as_null(domains: LambdaFunction) -> None:
    # WHEN the patch_domain fixture (a new root page, "allowed_keys": null) is sent
    response = domains(load_event("patch_domain"))

    # THEN null opened the domain to every key, as asked for explicitly
    assert response.status == 200, response.body
    assert (response.json()["root_url"], response.json()["allowed_keys"]) == ("https://www.care.example/welcome", None)
    assert response.json()["default_redirect_type"] == 301


@pytest.mark.usefixtures("restricted")
def test_null_is_no_change_for_fields_that_cannot_be_empty(domains: LambdaFunction) -> None:
    response = domains(patch_request(body={"default_redirect_type": None, "is_default": None}))

    assert response.status == 200, response.body
    assert (response.json()["default_redirect_type"], response.json()["is_default"]) == (301, True)


@pytest.mark.usefixtures("restricted")
@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"colour": "blue"}, "validation_error"),
        ({"default_redirect_type": "301"}, "validation_error"),
        ({"default_redirect_type": 303}, "invalid_domain"),
        ({"allowed_keys": []}, "invalid_domain"),
        ({"base_url": "https://give.link"}, "invalid_domain"),
        ({"root_url": "https://care.link/home"}, "url_is_short_link"),
        ({"not_found_url": "javascript:alert(1)"}, "unsupported_scheme"),
    ],
)
def test_a_bad_patch_is_refused_and_changes_nothing(
    domains: LambdaFunction, store: LinkStore, body: dict[str, object], code: str
) -> None:
    before = store.items()

    assert_error(domains(patch_request(body=body)), 422, code)
    assert store.items() == before


def test_patching_an_unregistered_domain_is_404_and_registers_nothing(
    domains: LambdaFunction, store: LinkStore
) -> None:
    assert_error(domains(patch_request("nope.link", {"root_url": None})), 404, "unknown_domain")
    assert_error(domains(patch_request("not a host", {"root_url": None})), 404, "unknown_domain")
    assert store.items() == []


@pytest.mark.usefixtures("restricted")
@pytest.mark.parametrize(("caller", "status"), [(MEMBER, 403), (ANONYMOUS, 401)], ids=["member", "anonymous"])
def test_only_admins_may_patch_a_domain(
    domains: LambdaFunction, store: LinkStore, caller: dict[str, Any], status: int
) -> None:
    before = store.items()

    response = domains(patch_request(body={"allowed_keys": None}, caller=caller))

    assert response.status == status, response.body
    assert store.items() == before


@pytest.mark.usefixtures("restricted")
def test_a_patch_makes_only_calls_the_functions_policy_allows(domains: LambdaFunction) -> None:
    with recording_dynamodb_calls() as calls:
        assert domains(patch_request(body={"is_default": True})).status == 200

    assert calls_made(calls) <= calls_granted("DomainsFunction")


@pytest.mark.usefixtures("restricted")
def test_a_patch_logs_who_made_it(domains: LambdaFunction, logs: CapturedLogs) -> None:
    domains(patch_request(body={"root_url": None}))

    [changed] = [record for record in logs.records() if record.get("message") == "domain changed"]
    assert (changed["domain"], changed["by"]) == ("care.link", "key_AdminFixture")


def test_the_template_routes_patch_to_the_domains_function() -> None:
    [route] = [route for route in routes() if (route.method, route.path) == ("PATCH", "/v1/domains/{domain}")]

    assert route.function == "DomainsFunction"


# --- PUT: every field, or nothing ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("restricted")
@pytest.mark.parametrize(
    ("body", "missing"),
    [
        ({}, EVERY_FIELD),
        ({"root_url": "https://www.care.example/"}, [name for name in EVERY_FIELD if name != "root_url"]),
        (
            {
                "base_url": None,
                "default_redirect_type": 301,
                "root_url": "https://www.care.example/",
                "not_found_url": None,
                "is_default": True,
            },
            ["allowed_keys"],
        ),
    ],
)
def test_a_put_that_leaves_out_a_field_is_refused_naming_each_and_changes_nothing(
    domains: LambdaFunction, store: LinkStore, body: dict[str, object], missing: list[str]
) -> None:
    # GIVEN the restricted care.link
    before = store.items()

    # WHEN a PUT leaves out some settings (the last one: allowed_keys, which used to open the domain to every key)
    response = domains(put_request("care.link", body))

    # THEN it is refused, naming every missing field, and the domain is still restricted
    assert_error(response, 422, "validation_error")
    details = response.json()["error"]["details"]
    assert sorted(detail["field"] for detail in details) == missing
    assert store.items() == before


def test_a_put_with_every_field_registers_the_domain(domains: LambdaFunction) -> None:
    body = dict(DOMAIN_DEFAULTS)

    response = domains(put_request("give.link", body))

    assert response.status == 200, response.body
    assert (response.json()["host"], response.json()["base_url"]) == ("give.link", "https://give.link")


def test_an_internationalised_domain_is_registered_as_browsers_address_it(domains: LambdaFunction) -> None:
    body = {
        "base_url": "https://faß.de",
        "default_redirect_type": 302,
        "root_url": None,
        "not_found_url": None,
        "allowed_keys": None,
        "is_default": False,
    }

    response = domains(put_request("faß.de", body))

    # IDNA 2008 (xn--fa-hia.de), not IDNA 2003's fass.de: the host a browser sends for faß.de
    assert response.status == 200, response.body
    assert (response.json()["host"], response.json()["base_url"]) == ("xn--fa-hia.de", "https://xn--fa-hia.de")
    assert domains(as_caller(load_event("get_domain", path_parameters={"domain": "FAß.de"}), ADMIN)).status == 200
