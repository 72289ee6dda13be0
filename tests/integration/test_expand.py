"""GET /v1/expand: the expand function on real HTTP API events against the template's table."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shortlinks.domain.target import LinkState
from tests.events import load_event
from tests.integration.harness import (
    ADMIN,
    ANONYMOUS,
    INVALID,
    MEMBER,
    MEMBER_ID,
    OTHER_MEMBER,
    CapturedLogs,
    HttpResponse,
    LambdaFunction,
    LinkStore,
    as_caller,
    recording_dynamodb_calls,
)

DESTINATION = "https://example.org/resources?lang=en"
PUBLIC_FIELDS = {"code", "domain", "short_url", "url", "status"}


def ask(expand: LambdaFunction, query: str | dict[str, str], caller: dict[str, Any] = ANONYMOUS) -> HttpResponse:
    return expand(as_caller(load_event("expand", query=query), caller))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def assert_json_error(response: HttpResponse, status: int, code: str) -> None:
    assert response.status == status, response.body
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["error"]["code"] == code


def test_the_fixture_event_expands_a_short_url_for_anyone(expand: LambdaFunction, store: LinkStore) -> None:
    # GIVEN a member's link AbC1234, and the expand fixture asking about https://sho.rt/AbC1234 without a key
    store.add("AbC1234", DESTINATION, redirect_type=301, forward_query=False, title="Resources", owner=MEMBER_ID)

    # WHEN the function handles the event
    response = expand(load_event("expand"))

    # THEN it shows where the link leads and whether it still does, and nothing about who made it or how
    assert response.status == 200, response.body
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "code": "AbC1234",
        "domain": "sho.rt",
        "short_url": "https://sho.rt/AbC1234",
        "url": DESTINATION,
        "status": "active",
    }


@pytest.mark.parametrize("caller", [MEMBER, ADMIN], ids=["owner", "admin"])
def test_the_owner_or_an_admin_sees_every_field(
    expand: LambdaFunction, store: LinkStore, caller: dict[str, Any]
) -> None:
    link = store.add(
        "AbC1234",
        DESTINATION,
        redirect_type=301,
        forward_query=False,
        title="Resources",
        owner=MEMBER_ID,
        tags=("artists", "spring-sale"),
    )

    response = ask(expand, {"code": "AbC1234"}, caller)

    assert response.status == 200, response.body
    assert response.json() == {
        "code": "AbC1234",
        "domain": "sho.rt",
        "short_url": "https://sho.rt/AbC1234",
        "url": DESTINATION,
        "utm": None,
        "destination": DESTINATION,
        "title": "Resources",
        "tags": ["artists", "spring-sale"],
        "redirect_type": 301,
        "forward_query": False,
        "status": "active",
        "owner": MEMBER_ID,
        "version": 1,
        "created_at": iso(link.created_at),
        "updated_at": None,
        "expires_at": None,
    }


@pytest.mark.parametrize(
    ("owner", "caller"),
    [(MEMBER_ID, OTHER_MEMBER), (MEMBER_ID, ANONYMOUS), (None, MEMBER)],
    ids=["another member", "anonymous", "a member on an anonymous link"],
)
def test_anyone_but_the_owner_or_an_admin_sees_only_the_public_preview(
    expand: LambdaFunction, store: LinkStore, owner: str | None, caller: dict[str, Any]
) -> None:
    store.add("AbC1234", DESTINATION, title="Internal campaign name", owner=owner)

    response = ask(expand, {"code": "AbC1234"}, caller)

    assert response.status == 200, response.body
    assert set(response.json()) == PUBLIC_FIELDS
    assert "Internal campaign name" not in response.body


def test_an_admin_sees_every_field_of_an_anonymous_link(expand: LambdaFunction, store: LinkStore) -> None:
    store.add("AbC1234", DESTINATION)

    response = ask(expand, {"code": "AbC1234"}, ADMIN)

    assert response.json()["owner"] is None
    assert set(response.json()) > PUBLIC_FIELDS


def test_a_deleted_link_is_shown_as_deleted_without_its_old_destination(
    expand: LambdaFunction, store: LinkStore
) -> None:
    store.add("gone123", DESTINATION, owner=MEMBER_ID, state=LinkState.DELETED)

    anyone = ask(expand, {"code": "gone123"})
    owner = ask(expand, {"code": "gone123"}, MEMBER)

    assert anyone.status == 200, anyone.body
    assert anyone.json() == {
        "code": "gone123",
        "domain": "sho.rt",
        "short_url": "https://sho.rt/gone123",
        "url": None,
        "status": "deleted",
    }
    assert (owner.json()["status"], owner.json()["url"]) == ("deleted", DESTINATION)  # the owner keeps its record


def test_a_disabled_link_is_shown_as_disabled_without_its_destination(expand: LambdaFunction, store: LinkStore) -> None:
    # GIVEN a member's disabled link (disabled, perhaps, because of where it led)
    store.add("off1234", DESTINATION, owner=MEMBER_ID, state=LinkState.DISABLED)

    # WHEN anyone, another member, and its owner expand it
    anyone = ask(expand, {"code": "off1234"})
    other = ask(expand, {"code": "off1234"}, OTHER_MEMBER)
    owner = ask(expand, {"code": "off1234"}, MEMBER)

    # THEN only the owner sees where it led; the others learn that it is disabled
    assert anyone.status == 200, anyone.body
    assert anyone.json() == {
        "code": "off1234",
        "domain": "sho.rt",
        "short_url": "https://sho.rt/off1234",
        "url": None,
        "status": "disabled",
    }
    assert other.json() == anyone.json()
    assert (owner.json()["status"], owner.json()["url"]) == ("disabled", DESTINATION)


def test_an_invalid_key_is_refused_even_though_expand_is_public(expand: LambdaFunction, store: LinkStore) -> None:
    store.add("AbC1234", DESTINATION)

    response = ask(expand, {"code": "AbC1234"}, INVALID)

    assert_json_error(response, 401, "unauthorized")


@pytest.mark.parametrize(
    "query", [{"code": "favicon.ico"}, {"url": "https://bit.ly/AbC1234"}, {}], ids=["junk code", "not ours", "none"]
)
def test_an_invalid_key_is_refused_whatever_else_is_wrong_with_the_request(
    expand: LambdaFunction, query: dict[str, str]
) -> None:
    assert_json_error(ask(expand, query, INVALID), 401, "unauthorized")


def test_a_key_the_authorizer_could_not_check_is_503_not_a_preview(expand: LambdaFunction, store: LinkStore) -> None:
    store.add("AbC1234", DESTINATION)

    response = ask(expand, {"code": "AbC1234"}, {"auth": "unavailable"})

    assert_json_error(response, 503, "service_unavailable")


def test_a_link_can_be_expanded_by_code(expand: LambdaFunction, store: LinkStore) -> None:
    store.add("AbC1234", DESTINATION)

    response = ask(expand, {"code": "AbC1234"})

    assert response.status == 200, response.body
    assert (response.json()["code"], response.json()["url"]) == ("AbC1234", DESTINATION)


@pytest.mark.parametrize(
    "short_url",
    [
        "https://sho.rt/AbC1234",
        "http://sho.rt/AbC1234",
        "sho.rt/AbC1234",
        "https://SHO.RT:443/AbC1234",
        "https://sho.rt/AbC1234?utm_source=x#top",
    ],
)
def test_any_spelling_of_our_short_url_names_the_link(expand: LambdaFunction, store: LinkStore, short_url: str) -> None:
    store.add("AbC1234", DESTINATION)

    response = ask(expand, {"url": short_url})

    assert response.status == 200, response.body
    assert response.json()["code"] == "AbC1234"


def test_an_expired_link_is_shown_as_expired(expand: LambdaFunction, store: LinkStore) -> None:
    expired_at = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    store.add("old1234", DESTINATION, expires_at=expired_at, owner=MEMBER_ID)

    anyone = ask(expand, {"code": "old1234"})
    owner = ask(expand, {"code": "old1234"}, MEMBER)

    assert anyone.status == 200, anyone.body
    assert (anyone.json()["status"], anyone.json()["url"]) == ("expired", DESTINATION)
    assert owner.json()["status"] == "expired"
    assert owner.json()["expires_at"] == expired_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_a_link_that_expires_later_is_active_and_shows_when(expand: LambdaFunction, store: LinkStore) -> None:
    expires_at = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    store.add("soon123", DESTINATION, expires_at=expires_at, owner=MEMBER_ID)

    link = ask(expand, {"code": "soon123"}, MEMBER).json()

    assert (link["status"], link["expires_at"]) == ("active", expires_at.isoformat().replace("+00:00", ".000Z"))


@pytest.mark.parametrize(
    "query", [{"code": "Nope123"}, {"url": "https://sho.rt/Nope123"}, {"url": "https://sho.rt/a/b"}]
)
def test_an_unknown_link_is_a_json_404(expand: LambdaFunction, store: LinkStore, query: dict[str, str]) -> None:
    store.add("AbC1234", DESTINATION)

    assert_json_error(ask(expand, query), 404, "not_found")


def test_codes_are_case_sensitive(expand: LambdaFunction, store: LinkStore) -> None:
    store.add("AbC1234", DESTINATION)

    assert_json_error(ask(expand, {"code": "abc1234"}), 404, "not_found")


@pytest.mark.parametrize(
    "short_url", ["https://bit.ly/AbC1234", "https://sho.rt.evil.example/AbC1234", "https://t.co/x"]
)
def test_a_short_url_on_another_host_is_followed_not_looked_up(
    expand: LambdaFunction, store: LinkStore, short_url: str
) -> None:
    # GIVEN a link with the same code on our domain, and a URL on another host (no name resolution in tests)
    store.add("AbC1234", DESTINATION)
    # WHEN it is expanded
    response = ask(expand, {"url": short_url})
    # THEN the expander follows it (here: the host cannot be resolved), never answering with our link
    assert response.status == 200
    body = response.json()
    assert body["url"] == short_url
    assert body["stopped"] == "connection_failed"
    assert body["hops"] == []
    assert "code" not in body


def test_with_third_party_expansion_switched_off_another_host_is_not_ours(
    expand: LambdaFunction, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(expand.module, "settings", replace(expand.module.settings, expander_enabled=False))
    assert_json_error(ask(expand, {"url": "https://bit.ly/AbC1234"}), 422, "not_our_short_url")


@pytest.mark.parametrize(
    "query",
    [
        "",
        "utm_source=x",
        "url=https%3A%2F%2Fsho.rt%2FAbC1234&code=AbC1234",
        {"url": "https://sho.rt/" + "a" * 2100},
    ],
)
def test_a_request_without_exactly_one_usable_parameter_is_422(
    expand: LambdaFunction, query: str | dict[str, str]
) -> None:
    assert_json_error(ask(expand, query), 422, "validation_error")


@pytest.mark.parametrize("code", ["favicon.ico", "a" * 100, "../etc"])
def test_a_junk_code_is_404_without_touching_dynamodb(expand: LambdaFunction, code: str) -> None:
    with recording_dynamodb_calls() as calls:
        response = ask(expand, {"code": code})

    assert_json_error(response, 404, "not_found")
    assert calls == []


def test_expanding_reads_once_and_writes_nothing(expand: LambdaFunction, store: LinkStore) -> None:
    store.add("AbC1234", DESTINATION)

    with recording_dynamodb_calls() as calls:
        ask(expand, {"code": "AbC1234"})

    assert [call.operation for call in calls] == ["GetItem"]


def test_expanding_is_not_a_click(expand: LambdaFunction, store: LinkStore, logs: CapturedLogs) -> None:
    # GIVEN a link
    store.add("AbC1234", DESTINATION)

    # WHEN it is expanded
    assert expand(load_event("expand")).status == 200

    # THEN the function's output holds no click record and no redirect count
    assert logs.records(), "nothing captured: the absence of a click would prove nothing"
    assert logs.clicks() == []
    assert "Redirects" not in logs.metrics()


@pytest.mark.parametrize(
    "short_url",
    [
        "https://[::1/AbC1234",
        "http://",
        "://",
        "https://sho.rt",
        "https://sho.rt/",
        "https://sho.rt:99999/AbC1234",
        "https://user:pw@sho.rt/AbC1234",
        "https://sho.rt/%00",
        "https://sho.rt/" + "%E2%82%AC" * 10,
        "javascript:alert(1)",
        " ",
        "",
    ],
)
def test_no_url_is_a_server_error(expand: LambdaFunction, short_url: str) -> None:
    response = ask(expand, {"url": short_url})

    assert response.status < 500, response.body
    assert set(response.json()) == {"error"} or response.status == 200
