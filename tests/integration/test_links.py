"""``GET /v1/links``, ``GET|PATCH|DELETE /v1/links/{code}``, ``GET /v1/links/{code}/history``: the links function on
real HTTP API events (with the authorizer's context) against the template's table."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shortlinks.domain.errors import EditConflict
from shortlinks.domain.links import HistoryEntry, Link
from shortlinks.domain.target import LinkState
from shortlinks.storage.repository import DynamoRateLimiter
from tests.events import KEEP, load_event
from tests.integration.harness import (
    ADMIN,
    ADMIN_ID,
    ANONYMOUS,
    INVALID,
    MEMBER,
    MEMBER_ID,
    OTHER_MEMBER,
    OTHER_MEMBER_ID,
    REGION,
    SHORT_BASE_URL,
    TABLE_NAME,
    ApiCall,
    HttpResponse,
    LambdaFunction,
    LinkStore,
    as_caller,
    calls_granted,
    calls_made,
    recording_dynamodb_calls,
    redirect_cache_expires,
)

CODE = "AbC1234"  # the code the link fixtures name
DESTINATION = "https://example.org/resources?lang=en"
NEW_DESTINATION = "https://example.org/support"
FIXTURE_DESTINATION = "https://example.org/resources/artists/support?lang=en"  # update_link.json's body


def request(
    fixture: str,
    caller: dict[str, Any] = MEMBER,
    *,
    code: str | None = None,
    body: object = KEEP,
    query: str | dict[str, str] | None = None,
    headers: dict[str, str | None] | None = None,
) -> dict[str, Any]:
    """The ``fixture`` event, about ``code`` (default: the fixture's), as ``caller`` sends it."""
    path = {"code": code} if code is not None else None
    event = load_event(fixture, body=body, path_parameters=path, query=query, headers=headers)
    return as_caller(event, caller)


def get(links: LambdaFunction, code: str = CODE, caller: dict[str, Any] = MEMBER) -> HttpResponse:
    return links(request("get_link", caller, code=code))


def patch(
    links: LambdaFunction,
    body: object,
    code: str = CODE,
    caller: dict[str, Any] = MEMBER,
    headers: dict[str, str | None] | None = None,
) -> HttpResponse:
    return links(request("update_link", caller, code=code, body=body, headers=headers))


def delete(links: LambdaFunction, code: str = CODE, caller: dict[str, Any] = MEMBER) -> HttpResponse:
    return links(request("delete_link", caller, code=code))


def history(links: LambdaFunction, code: str = CODE, caller: dict[str, Any] = MEMBER) -> HttpResponse:
    return links(request("link_history", caller, code=code))


def list_links(
    links: LambdaFunction, query: str | dict[str, str] | None = None, caller: dict[str, Any] = MEMBER
) -> HttpResponse:
    return links(request("list_links", caller, query={} if query is None else query))


def assert_error(response: HttpResponse, status: int, code: str) -> None:
    assert response.status == status, response.body
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["error"]["code"] == code


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def codes(response: HttpResponse) -> list[str]:
    assert response.status == 200, response.body
    return [link["code"] for link in response.json()["links"]]


# --- the fixtures, as API Gateway delivers them -------------------------------------------------------------------


def test_the_get_fixture_shows_the_member_its_link_with_an_etag(links: LambdaFunction, store: LinkStore) -> None:
    # GIVEN the member's link AbC1234
    link = store.add(CODE, DESTINATION, owner=MEMBER_ID, title="Resources", tags=("artists",))

    # WHEN the get_link event reaches the function
    response = links(load_event("get_link"))

    # THEN the owner sees every field, and the version as the ETag to send back in If-Match
    assert response.status == 200, response.body
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["etag"] == '"1"'
    assert response.json() == {
        "code": CODE,
        "domain": "sho.rt",
        "short_url": f"{SHORT_BASE_URL}/{CODE}",
        "url": DESTINATION,
        "utm": None,
        "destination": DESTINATION,
        "title": "Resources",
        "tags": ["artists"],
        "redirect_type": 302,
        "forward_query": True,
        "status": "active",
        "owner": MEMBER_ID,
        "version": 1,
        "created_at": iso(link.created_at),
        "updated_at": None,
        "expires_at": None,
    }


def test_the_update_fixture_changes_the_link_and_records_the_new_destination(
    links: LambdaFunction, store: LinkStore
) -> None:
    store.add(CODE, DESTINATION, owner=MEMBER_ID)

    response = links(load_event("update_link"))

    assert response.status == 200, response.body
    assert response.headers["etag"] == '"2"'
    changed = response.json()
    assert (changed["url"], changed["title"], changed["tags"], changed["version"]) == (
        FIXTURE_DESTINATION,
        "Support for artists",
        ["spring-sale"],
        2,
    )
    assert abs(datetime.fromisoformat(changed["updated_at"]) - datetime.now(UTC)) < timedelta(minutes=1)
    [entry] = history(links).json()["history"]
    assert (entry["changed_by"], entry["old_url"], entry["new_url"]) == (MEMBER_ID, DESTINATION, FIXTURE_DESTINATION)


def test_the_delete_fixture_answers_204_without_a_body(links: LambdaFunction, store: LinkStore) -> None:
    store.add(CODE, DESTINATION, owner=MEMBER_ID)

    response = links(load_event("delete_link"))

    assert (response.status, response.body) == (204, "")


def test_the_history_fixture_lists_the_changes(links: LambdaFunction, store: LinkStore) -> None:
    store.add(CODE, DESTINATION, owner=MEMBER_ID)

    response = links(load_event("link_history"))

    assert response.status == 200, response.body
    assert response.json() == {"history": []}


def test_the_list_fixture_lists_the_members_links_with_its_tag(links: LambdaFunction, store: LinkStore) -> None:
    # GIVEN the member's links, one of them tagged spring-sale, and another member's tagged link
    store.add("tagged1", owner=MEMBER_ID, tags=("spring-sale",))
    store.add("plain01", owner=MEMBER_ID)
    store.add("theirs1", owner=OTHER_MEMBER_ID, tags=("spring-sale",))

    # WHEN the list_links event (?limit=20&tag=spring-sale) reaches the function
    response = links(load_event("list_links"))

    # THEN only the member's tagged link is listed, and there is no further page
    assert codes(response) == ["tagged1"]
    assert response.json()["next_cursor"] is None


# --- who may do what: member/admin x own/other link x every route -------------------------------------------------

ROUTES = ["get", "patch", "delete", "history"]


def call_route(links: LambdaFunction, route: str, caller: dict[str, Any], code: str = CODE) -> HttpResponse:
    if route == "get":
        return get(links, code, caller)
    if route == "patch":
        return patch(links, {"title": "Changed"}, code, caller)
    if route == "delete":
        return delete(links, code, caller)
    return history(links, code, caller)


def assert_route_worked(route: str, response: HttpResponse, store: LinkStore) -> None:
    [item] = store.link_items()
    if route == "get":
        assert response.status == 200, response.body
        assert response.json()["code"] == CODE
    elif route == "patch":
        assert response.status == 200, response.body
        assert item["title"] == {"S": "Changed"}
    elif route == "delete":
        assert (response.status, response.body) == (204, "")
        assert item["state"] == {"S": "deleted"}
    else:
        assert response.status == 200, response.body
        assert response.json() == {"history": []}


ALLOWED = [
    pytest.param(MEMBER, MEMBER_ID, id="member-own"),
    pytest.param(ADMIN, ADMIN_ID, id="admin-own"),
    pytest.param(ADMIN, MEMBER_ID, id="admin-members"),
    pytest.param(ADMIN, None, id="admin-anonymous"),
]
HIDDEN = [
    pytest.param(MEMBER, OTHER_MEMBER_ID, id="member-others"),
    pytest.param(OTHER_MEMBER, MEMBER_ID, id="other-members"),
    pytest.param(MEMBER, None, id="member-anonymous"),
]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("caller", "owner"), ALLOWED)
def test_the_owner_and_admins_may_use_every_route(
    links: LambdaFunction, store: LinkStore, route: str, caller: dict[str, Any], owner: str | None
) -> None:
    store.add(CODE, DESTINATION, owner=owner, title="Original")

    assert_route_worked(route, call_route(links, route, caller), store)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("caller", "owner"), HIDDEN)
def test_a_link_the_caller_may_not_manage_answers_exactly_as_a_missing_one(
    links: LambdaFunction, store: LinkStore, route: str, caller: dict[str, Any], owner: str | None
) -> None:
    # GIVEN what the caller is told about a code that does not exist
    missing = call_route(links, route, caller)
    # AND then a link with that code that the caller may not manage
    store.add(CODE, DESTINATION, owner=owner, title="Original")
    before = store.items()

    # WHEN the caller uses the route on it
    response = call_route(links, route, caller)

    # THEN the answer is the same 404, and nothing changed
    assert_error(response, 404, "not_found")
    assert response.json() == missing.json()
    assert store.items() == before


@pytest.mark.parametrize("route", [*ROUTES, "list"])
@pytest.mark.parametrize("caller", [ANONYMOUS, INVALID], ids=["no key", "invalid key"])
def test_every_route_needs_a_valid_key(
    links: LambdaFunction, store: LinkStore, route: str, caller: dict[str, Any]
) -> None:
    store.add(CODE, DESTINATION, owner=MEMBER_ID, title="Original")
    before = store.items()

    response = list_links(links, caller=caller) if route == "list" else call_route(links, route, caller)

    assert_error(response, 401, "unauthorized")
    assert store.items() == before


@pytest.mark.parametrize("route", [*ROUTES, "list"])
def test_a_key_the_authorizer_could_not_check_is_503(links: LambdaFunction, store: LinkStore, route: str) -> None:
    store.add(CODE, DESTINATION, owner=MEMBER_ID)
    unchecked = {"auth": "unavailable"}

    response = list_links(links, caller=unchecked) if route == "list" else call_route(links, route, unchecked)

    assert_error(response, 503, "service_unavailable")


def test_a_junk_code_is_404_without_touching_dynamodb(links: LambdaFunction) -> None:
    with recording_dynamodb_calls() as calls:
        response = get(links, "favicon.ico")

    assert_error(response, 404, "not_found")
    assert calls == []


# --- GET /v1/links: the caller's links, newest first, in pages ----------------------------------------------------

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def seed(store: LinkStore, owner: str | None, count: int, *, prefix: str, offset: int = 0) -> list[str]:
    """``count`` links of ``owner`` created a minute apart (interleaved with other seeds by ``offset``);
    returns their codes newest first."""
    made = []
    for number in range(count):
        code = f"{prefix}{number:03d}"
        store.add(
            code, f"https://example.org/{code}", owner=owner, created_at=START + timedelta(minutes=2 * number + offset)
        )
        made.append(code)
    return made[::-1]


def follow(links: LambdaFunction, query: dict[str, str], caller: dict[str, Any] = MEMBER) -> list[list[str]]:
    """Every page of a listing, following ``next_cursor`` to the end."""
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        response = list_links(links, query | ({"cursor": cursor} if cursor else {}), caller)
        pages.append(codes(response))
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) <= 20, "the cursor never ran out"


def test_pages_follow_the_cursor_through_every_link_newest_first_without_duplicates(
    links: LambdaFunction, store: LinkStore
) -> None:
    # GIVEN 7 links of the member and 5 of another member, created in between
    mine = seed(store, MEMBER_ID, 7, prefix="mine")
    seed(store, OTHER_MEMBER_ID, 5, prefix="them", offset=1)

    # WHEN the member follows the pages of 3
    pages = follow(links, {"limit": "3"})

    # THEN it sees each of its links exactly once, newest first, and nobody else's
    listed = [code for page in pages for code in page]
    assert listed == mine
    assert pages[:3] == [mine[0:3], mine[3:6], mine[6:7]]
    assert all(len(page) <= 3 for page in pages)


def test_the_default_page_is_50_links(links: LambdaFunction, store: LinkStore) -> None:
    mine = seed(store, MEMBER_ID, 51, prefix="many")

    first = list_links(links)

    assert codes(first) == mine[:50]
    assert codes(list_links(links, {"cursor": first.json()["next_cursor"]})) == mine[50:]


@pytest.mark.parametrize("limit", ["1", "100"])
def test_a_limit_from_1_to_100_is_accepted(links: LambdaFunction, store: LinkStore, limit: str) -> None:
    mine = seed(store, MEMBER_ID, 2, prefix="lim")

    assert codes(list_links(links, {"limit": limit})) == mine[: int(limit)]


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5", "", " 5", "1e2", "99999999999999999999"])
def test_a_limit_outside_1_to_100_is_422(links: LambdaFunction, limit: str) -> None:
    response = list_links(links, {"limit": limit})

    assert_error(response, 422, "validation_error")
    assert response.json()["error"]["details"][0]["field"] == "limit"


def _cursor(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _their_cursor(links: LambdaFunction, store: LinkStore) -> str:
    seed(store, OTHER_MEMBER_ID, 3, prefix="them")
    cursor: str = list_links(links, {"limit": "1"}, OTHER_MEMBER).json()["next_cursor"]
    assert cursor
    return cursor


def _everyones_cursor(links: LambdaFunction, store: LinkStore) -> str:
    seed(store, None, 3, prefix="anon")
    cursor: str = list_links(links, {"limit": "1", "owner": "*"}, ADMIN).json()["next_cursor"]
    assert cursor
    return cursor


@pytest.mark.parametrize(
    "make_cursor",
    [
        lambda links, store: "not a cursor!",
        lambda links, store: "%%%%",
        lambda links, store: _cursor({}),
        lambda links, store: _cursor([1, 2, 3]),
        lambda links, store: _cursor("just a string"),
        lambda links, store: _cursor({"pk": "LINK#x", "sk": "LINK", "gsi1pk": f"OWNER#{MEMBER_ID}", "gsi1sk": "x"}),
        lambda links, store: _cursor(
            {"pk": {"N": "1"}, "sk": {"S": "LINK"}, "gsi1pk": {"S": f"OWNER#{MEMBER_ID}"}, "gsi1sk": {"S": "x"}}
        ),
        lambda links, store: _cursor(
            {"pk": {"S": "a"}, "sk": {"S": "b"}, "gsi1pk": {"S": f"OWNER#{MEMBER_ID}"}, "gsi1sk": {"S": "c"}, "x": 1}
        ),
        lambda links, store: base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        _their_cursor,
        _everyones_cursor,
    ],
    ids=[
        "not base64",
        "percent signs",
        "empty object",
        "a list",
        "a string",
        "keys without types",
        "a number key",
        "an extra key",
        "not UTF-8",
        "another owner's cursor",
        "the everyone listing's cursor",
    ],
)
def test_a_cursor_this_listing_did_not_issue_is_400(
    links: LambdaFunction, store: LinkStore, make_cursor: Callable[[LambdaFunction, LinkStore], str]
) -> None:
    seed(store, MEMBER_ID, 3, prefix="mine")
    cursor = make_cursor(links, store)

    response = list_links(links, {"cursor": cursor})

    assert_error(response, 400, "invalid_cursor")


def test_a_cursor_longer_than_any_we_issue_is_422(links: LambdaFunction) -> None:
    assert_error(list_links(links, {"cursor": "a" * 2049}), 422, "validation_error")


def test_the_listing_is_filtered_by_tag(links: LambdaFunction, store: LinkStore) -> None:
    store.add("sale001", owner=MEMBER_ID, tags=("sale",), created_at=START)
    store.add("both001", owner=MEMBER_ID, tags=("artists", "sale"), created_at=START + timedelta(minutes=1))
    store.add("arts001", owner=MEMBER_ID, tags=("artists",), created_at=START + timedelta(minutes=2))
    store.add("none001", owner=MEMBER_ID, created_at=START + timedelta(minutes=3))

    assert codes(list_links(links, {"tag": "sale"})) == ["both001", "sale001"]
    assert codes(list_links(links, {"tag": "artists"})) == ["arts001", "both001"]
    assert codes(list_links(links, {"tag": "nothing"})) == []


def test_a_tag_filter_pages_through_links_it_does_not_match(links: LambdaFunction, store: LinkStore) -> None:
    # GIVEN 9 links, only every third one tagged
    for number in range(9):
        tags = ("sale",) if number % 3 == 0 else ()
        store.add(f"tag{number:03d}", owner=MEMBER_ID, tags=tags, created_at=START + timedelta(minutes=number))

    # WHEN pages of 2 tagged links are followed
    pages = follow(links, {"tag": "sale", "limit": "2"})

    # THEN every tagged link is listed once, newest first
    assert [code for page in pages for code in page] == ["tag006", "tag003", "tag000"]


def test_the_listing_is_filtered_by_status(links: LambdaFunction, store: LinkStore) -> None:
    now = datetime.now(UTC)
    store.add("live001", owner=MEMBER_ID, created_at=START)
    store.add("soon001", owner=MEMBER_ID, expires_at=now + timedelta(days=1), created_at=START + timedelta(minutes=1))
    store.add("past001", owner=MEMBER_ID, expires_at=now - timedelta(days=1), created_at=START + timedelta(minutes=2))
    store.add("off0001", owner=MEMBER_ID, state=LinkState.DISABLED, created_at=START + timedelta(minutes=3))
    store.add("gone001", owner=MEMBER_ID, state=LinkState.DELETED, created_at=START + timedelta(minutes=4))

    assert codes(list_links(links, {"status": "active"})) == ["soon001", "live001"]
    assert codes(list_links(links, {"status": "expired"})) == ["past001"]
    assert codes(list_links(links, {"status": "disabled"})) == ["off0001"]
    assert codes(list_links(links, {"status": "deleted"})) == ["gone001"]
    # AND without a status filter, everything but the deleted
    assert codes(list_links(links)) == ["off0001", "past001", "soon001", "live001"]
    assert [link["status"] for link in list_links(links).json()["links"]] == ["disabled", "expired", "active", "active"]


@pytest.mark.parametrize("status", ["gone", "ACTIVE", ""])
def test_an_unknown_status_is_422(links: LambdaFunction, status: str) -> None:
    response = list_links(links, {"status": status})

    assert_error(response, 422, "validation_error")
    assert response.json()["error"]["details"][0]["field"] == "status"


def test_a_member_cannot_list_another_owners_links_or_everyones(links: LambdaFunction, store: LinkStore) -> None:
    seed(store, OTHER_MEMBER_ID, 2, prefix="them")

    assert_error(list_links(links, {"owner": OTHER_MEMBER_ID}), 403, "forbidden")
    assert_error(list_links(links, {"owner": "*"}), 403, "forbidden")
    assert codes(list_links(links, {"owner": MEMBER_ID})) == []


def test_an_admin_lists_its_own_another_keys_or_every_link(links: LambdaFunction, store: LinkStore) -> None:
    # GIVEN links of two members, anonymous links, and the other items the table holds (history, rate counters)
    mine = seed(store, MEMBER_ID, 3, prefix="mine")
    theirs = seed(store, OTHER_MEMBER_ID, 2, prefix="them", offset=1)
    anonymous = seed(store, None, 2, prefix="anon")
    store.repository.replace(_moved(store.repository.get("sho.rt", "mine000")), 1, _history_of("mine000"))
    DynamoRateLimiter(TABLE_NAME, REGION).hit(MEMBER_ID, 10, datetime.now(UTC))

    # WHEN an admin lists its own links, a member's, and everyone's (in pages of 2)
    own = list_links(links, caller=ADMIN)
    members = list_links(links, {"owner": MEMBER_ID}, ADMIN)
    everyone = follow(links, {"owner": "*", "limit": "2"}, ADMIN)

    # THEN it gets exactly those: everyone's is every link on the default domain once, newest first, nothing else
    assert codes(own) == []
    assert codes(members) == mine
    listed = [code for page in everyone for code in page]
    assert sorted(listed) == sorted(mine + theirs + anonymous)
    created = {code: store.repository.get("sho.rt", code) for code in listed}
    assert listed == sorted(listed, key=lambda code: created[code].created_at, reverse=True)  # type: ignore[union-attr]


def test_everyones_listing_is_one_domains_named_by_the_domain_parameter(
    links: LambdaFunction, store: LinkStore
) -> None:
    # GIVEN links on the default domain (sho.rt) and on another host the table holds links for
    on_default = seed(store, MEMBER_ID, 2, prefix="here")
    elsewhere = [store.add("away001", domain="elsewhere.example", owner=None).code]

    # WHEN an admin lists every owner's links without a domain, and on the other host
    default = codes(list_links(links, {"owner": "*"}, ADMIN))
    named = codes(list_links(links, {"owner": "*", "domain": "elsewhere.example"}, ADMIN))

    # THEN each is that domain's links only
    assert default == on_default
    assert named == elsewhere


def test_a_domain_is_only_for_everyones_listing(links: LambdaFunction, store: LinkStore) -> None:
    seed(store, MEMBER_ID, 1, prefix="mine")

    for query, caller in (({"domain": "sho.rt"}, MEMBER), ({"domain": "sho.rt", "owner": MEMBER_ID}, ADMIN)):
        response = list_links(links, query, caller)
        assert_error(response, 422, "validation_error")
        assert response.json()["error"]["details"][0]["field"] == "domain"


def test_everyones_listing_filters_by_status_and_tag_through_the_domain_index(
    links: LambdaFunction, store: LinkStore
) -> None:
    # GIVEN a tagged link, a deleted one and a plain one, of different owners
    store.add("tagged1", owner=MEMBER_ID, tags=("sale",))
    store.add("deleted", owner=None, state=LinkState.DELETED)
    store.add("plain01", owner=OTHER_MEMBER_ID)

    # WHEN an admin filters everyone's listing
    tagged = codes(list_links(links, {"owner": "*", "tag": "sale"}, ADMIN))
    deleted = codes(list_links(links, {"owner": "*", "status": "deleted"}, ADMIN))
    everything = list_links(links, {"owner": "*"}, ADMIN).json()["links"]

    # THEN the filters apply, and each listed link is whole (read by key after the index's page)
    assert tagged == ["tagged1"]
    assert deleted == ["deleted"]
    assert {link["code"] for link in everything} == {"tagged1", "plain01"}
    assert all(link["url"] and link["short_url"] for link in everything)
    assert {link["code"]: link["owner"] for link in everything} == {"tagged1": MEMBER_ID, "plain01": OTHER_MEMBER_ID}


def test_a_cursor_of_one_domains_listing_is_refused_on_another(links: LambdaFunction, store: LinkStore) -> None:
    seed(store, None, 3, prefix="anon")
    cursor = list_links(links, {"owner": "*", "limit": "1"}, ADMIN).json()["next_cursor"]
    assert cursor

    response = list_links(links, {"owner": "*", "domain": "elsewhere.example", "cursor": cursor}, ADMIN)

    assert_error(response, 400, "invalid_cursor")


def _moved(link: Link | None) -> Link:
    assert link is not None
    return replace(link, target=replace(link.target, url=NEW_DESTINATION), version=link.version + 1)


def _history_of(code: str) -> HistoryEntry:
    return HistoryEntry(datetime.now(UTC), MEMBER_ID, f"https://example.org/{code}", NEW_DESTINATION, 2)


# --- PATCH /v1/links/{code} ---------------------------------------------------------------------------------------


def test_null_clears_the_title_and_the_expiry(links: LambdaFunction, store: LinkStore) -> None:
    store.add(CODE, DESTINATION, owner=MEMBER_ID, title="Title", expires_at=datetime.now(UTC) + timedelta(days=1))

    response = patch(links, {"title": None, "expires_at": None})

    assert response.status == 200, response.body
    assert (response.json()["title"], response.json()["expires_at"]) == (None, None)
    [item] = store.link_items()
    assert "title" not in item
    assert "expires_at" not in item


def test_fields_left_out_are_left_alone(links: LambdaFunction, store: LinkStore) -> None:
    expires_at = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    store.add(
        CODE,
        DESTINATION,
        owner=MEMBER_ID,
        title="Title",
        expires_at=expires_at,
        redirect_type=301,
        forward_query=False,
        tags=("keep",),
    )

    changed = patch(links, {"title": "New"}).json()

    assert (changed["url"], changed["expires_at"], changed["redirect_type"], changed["forward_query"]) == (
        DESTINATION,
        iso(expires_at),
        301,
        False,
    )
    assert changed["tags"] == ["keep"]


def test_every_field_can_be_changed(links: LambdaFunction, store: LinkStore) -> None:
    store.add(CODE, DESTINATION, owner=MEMBER_ID)
    expires_at = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    body = {
        "url": NEW_DESTINATION,
        "title": "New",
        "tags": ["b", "a"],
        "expires_at": expires_at.isoformat(),
        "redirect_type": 308,
        "forward_query": False,
        "disabled": True,
        "utm": {"source": "news letter", "campaign": "spring"},
    }

    changed = patch(links, body).json()

    assert changed | {"created_at": None, "updated_at": None} == {
        "code": CODE,
        "domain": "sho.rt",
        "short_url": f"{SHORT_BASE_URL}/{CODE}",
        "url": NEW_DESTINATION,
        "utm": {"source": "news letter", "medium": None, "campaign": "spring", "term": None, "content": None},
        "destination": f"{NEW_DESTINATION}?utm_source=news%20letter&utm_campaign=spring",
        "title": "New",
        "tags": ["a", "b"],
        "redirect_type": 308,
        "forward_query": False,
        "status": "disabled",
        "owner": MEMBER_ID,
        "version": 2,
        "created_at": None,
        "updated_at": None,
        "expires_at": iso(expires_at),
    }


def test_tags_changed_are_what_the_tag_filter_finds(links: LambdaFunction, store: LinkStore) -> None:
    store.add(CODE, DESTINATION, owner=MEMBER_ID, tags=("old",))

    patch(links, {"tags": ["new"]})

    assert codes(list_links(links, {"tag": "new"})) == [CODE]
    assert codes(list_links(links, {"tag": "old"})) == []
    patch(links, {"tags": []})
    assert "tags" not in store.link_items()[0]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"custom_domain": "evil.example"}, 422, "validation_error"),
        ({"url": "javascript:alert(document.cookie)"}, 422, "unsupported_scheme"),
        ({"url": "https://sho.rt/elsewhere"}, 422, "url_is_short_link"),
        ({"url": "https://bank.example@evil.example/"}, 422, "url_has_credentials"),
        ({"url": "not a url"}, 422, "invalid_url"),
        ({"expires_at": "2020-01-01T00:00:00Z"}, 422, "invalid_expires_at"),
        ({"expires_at": "2030-01-01T00:00:00"}, 422, "validation_error"),
        ({"redirect_type": 303}, 422, "validation_error"),
        ({"disabled": "yes"}, 422, "validation_error"),
        ({"tags": ["Not A Tag"]}, 422, "invalid_tags"),
        ({"tags": [f"t{i}" for i in range(21)]}, 422, "validation_error"),
        ({"title": "t" * 201}, 422, "validation_error"),
        ("[]", 400, "malformed_json"),
        ("", 400, "malformed_json"),
    ],
    ids=[
        "unknown field",
        "javascript:",
        "loop",
        "credentials",
        "not a URL",
        "past expiry",
        "naive expiry",
        "redirect 303",
        "disabled as a string",
        "bad tag",
        "21 tags",
        "long title",
        "array body",
        "empty body",
    ],
)
def test_a_refused_change_changes_nothing(
    links: LambdaFunction, store: LinkStore, body: object, status: int, code: str
) -> None:
    store.add(CODE, DESTINATION, owner=MEMBER_ID, title="Original")
    before = store.items()

    response = patch(links, body)

    assert_error(response, status, code)
    assert store.items() == before


def test_an_unknown_field_is_named(links: LambdaFunction, store: LinkStore) -> None:
    store.add(CODE, DESTINATION, owner=MEMBER_ID)

    details = patch(links, {"owner": ADMIN_ID}).json()["error"]["details"]

    assert details == [{"field": "owner", "message": "unknown field"}]


def test_the_etag_is_the_version_on_every_read_and_change(links: LambdaFunction, store: LinkStore) -> None:
    store.add(CODE, DESTINATION, owner=MEMBER_ID)

    assert get(links).headers["etag"] == '"1"'
    assert patch(links, {"title": "a"}).headers["etag"] == '"2"'
    assert patch(links, {"title": "b"}).headers["etag"] == '"3"'
    assert get(links).headers["etag"] == '"3"'
    assert get(links).json()["version"] == 3


@pytest.mark.parametrize("if_match", ['"1"', 'W/"1"', "1"])
def test_if_match_with_the_current_etag_applies_the_change(
    links: LambdaFunction, store: LinkStore, if_match: str
) -> None:
    store.add(CODE, DESTINATION, owner=MEMBER_ID)

    response = patch(links, {"title": "Mine"}, headers={"if-match": if_match})

    assert response.status == 200, response.body
    assert response.headers["etag"] == '"2"'


def test_if_match_with_a_stale_etag_is_412_and_changes_nothing(links: LambdaFunction, store: LinkStore) -> None:
    # GIVEN a caller read the link at version 1, then someone else changed it
    store.add(CODE, DESTINATION, owner=MEMBER_ID)
    etag = get(links).headers["etag"]
    patch(links, {"title": "Theirs"}, caller=ADMIN)
    before = store.items()

    # WHEN the caller sends its change conditionally on what it read
    response = patch(links, {"url": NEW_DESTINATION}, headers={"if-match": etag})

    # THEN it is told to read again, and the other change stands
    assert_error(response, 412, "precondition_failed")
    assert store.items() == before


@pytest.mark.parametrize("if_match", ['"abc"', "*", '"-1"', '"' + "9" * 13 + '"'])
def test_an_if_match_that_is_not_one_of_our_etags_is_422(
    links: LambdaFunction, store: LinkStore, if_match: str
) -> None:
    store.add(CODE, DESTINATION, owner=MEMBER_ID)

    response = patch(links, {"title": "x"}, headers={"if-match": if_match})

    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize(
    "body", [{"title": "Mine"}, {"url": NEW_DESTINATION}], ids=["plain write", "write with history"]
)
def test_two_concurrent_changes_cannot_both_win(
    links: LambdaFunction, store: LinkStore, monkeypatch: pytest.MonkeyPatch, body: dict[str, str]
) -> None:
    # GIVEN another caller's change lands between this request's read and its write
    store.add(CODE, DESTINATION, owner=MEMBER_ID)
    repository = links.module.repository
    read: Callable[..., Link | None] = repository.get

    def read_then_lose_the_race(domain: str, code: str, *, consistent: bool = False) -> Link | None:
        link = read(domain, code, consistent=consistent)
        assert link is not None
        store.repository.replace(replace(link, title="Theirs", version=link.version + 1), link.version)
        return link

    monkeypatch.setattr(repository, "get", read_then_lose_the_race)

    # WHEN this request's change is written
    response = patch(links, body)

    # THEN it is a conflict, not a lost update: the other change stands, and no history claims this one
    assert_error(response, 409, "conflict")
    monkeypatch.undo()
    current = get(links).json()
    assert (current["title"], current["url"], current["version"]) == ("Theirs", DESTINATION, 2)
    assert history(links).json() == {"history": []}


def test_replacing_a_stale_version_through_the_repository_is_an_edit_conflict(store: LinkStore) -> None:
    # GIVEN two callers read version 1 and the first wrote version 2
    link = store.add(CODE, DESTINATION, owner=MEMBER_ID)
    store.repository.replace(replace(link, title="First", version=2), 1)

    # WHEN the second writes its own version 2, with or without a history entry
    with pytest.raises(EditConflict):
        store.repository.replace(replace(link, title="Second", version=2), 1)
    with pytest.raises(EditConflict):
        store.repository.replace(
            replace(link, target=replace(link.target, url=NEW_DESTINATION), version=2), 1, _history_of(CODE)
        )

    # THEN the first write stands and no history entry was written
    [item] = store.link_items()
    assert (item["title"], item["version"]) == ({"S": "First"}, {"N": "2"})
    assert [item for item in store.items() if item["sk"]["S"].startswith("HIST#")] == []


# --- history --------------------------------------------------------------------------------------------------------


def test_history_lists_each_destination_change_newest_first_with_who_and_when(
    links: LambdaFunction, store: LinkStore
) -> None:
    # GIVEN the owner and then an admin changed the destination, and someone changed only the title
    store.add(CODE, DESTINATION, owner=MEMBER_ID)
    first = patch(links, {"url": NEW_DESTINATION}).json()
    patch(links, {"title": "Not a destination change"})
    second = patch(links, {"url": "https://example.org/third"}, caller=ADMIN).json()

    # WHEN the owner asks for the history
    response = history(links)

    # THEN it has both destination changes, newest first, each saying who, when, from and to
    assert response.status == 200, response.body
    assert response.json() == {
        "history": [
            {
                "changed_at": second["updated_at"],
                "changed_by": ADMIN_ID,
                "old_url": NEW_DESTINATION,
                "new_url": "https://example.org/third",
                "version": 4,
            },
            {
                "changed_at": first["updated_at"],
                "changed_by": MEMBER_ID,
                "old_url": DESTINATION,
                "new_url": NEW_DESTINATION,
                "version": 2,
            },
        ]
    }


def test_the_same_destination_again_is_not_a_change(links: LambdaFunction, store: LinkStore) -> None:
    store.add(CODE, DESTINATION, owner=MEMBER_ID)

    response = patch(links, {"url": "HTTPS://EXAMPLE.ORG/resources?lang=en"})

    assert response.status == 200, response.body
    assert history(links).json() == {"history": []}


def test_a_new_destination_is_followed_at_once_and_listed_by_reuse(
    links: LambdaFunction, store: LinkStore, redirect: LambdaFunction
) -> None:
    store.add(CODE, DESTINATION, owner=MEMBER_ID)

    patch(links, {"url": NEW_DESTINATION})

    followed = redirect(load_event("redirect", path_parameters={"code": CODE}, query=""))
    assert followed.headers["location"] == NEW_DESTINATION
    assert [link.code for link in store.repository.find_by_url(MEMBER_ID, "sho.rt", NEW_DESTINATION)] == [CODE]
    assert store.repository.find_by_url(MEMBER_ID, "sho.rt", DESTINATION) == []


# --- DELETE, and disabled links -----------------------------------------------------------------------------------


def test_a_deleted_link_is_gone_everywhere_but_its_code_stays_taken(
    links: LambdaFunction,
    store: LinkStore,
    redirect: LambdaFunction,
    expand: LambdaFunction,
    create: LambdaFunction,
) -> None:
    # GIVEN the member's link, deleted
    store.add(CODE, DESTINATION, owner=MEMBER_ID)
    assert delete(links).status == 204

    # THEN a visitor is told it was deleted
    followed = redirect(load_event("redirect", path_parameters={"code": CODE}, headers={"accept": "application/json"}))
    assert (followed.status, followed.json()["error"]["code"]) == (410, "link_deleted")
    # AND expand says deleted, without the old destination
    expanded = expand(as_caller(load_event("expand", query={"code": CODE}), ANONYMOUS)).json()
    assert (expanded["status"], expanded["url"]) == ("deleted", None)
    # AND the listing hides it unless deleted links are asked for
    assert codes(list_links(links)) == []
    assert codes(list_links(links, {"status": "deleted"})) == [CODE]
    # AND its owner can still read it (and its history) but not change it
    assert get(links).json()["status"] == "deleted"
    assert history(links).status == 200
    assert_error(patch(links, {"disabled": False}), 410, "link_deleted")
    # AND nobody can have its code again
    taken = create(as_caller(load_event("create_link", body={"url": NEW_DESTINATION, "alias": CODE}), ADMIN))
    assert_error(taken, 409, "code_taken")


def test_deleting_twice_is_204_both_times_and_writes_once(links: LambdaFunction, store: LinkStore) -> None:
    store.add(CODE, DESTINATION, owner=MEMBER_ID)
    assert delete(links).status == 204

    with recording_dynamodb_calls() as calls:
        again = delete(links)

    assert (again.status, again.body) == (204, "")
    assert [call.operation for call in calls] == ["GetItem"]
    assert store.link_items()[0]["version"] == {"N": "2"}


def test_a_disabled_link_answers_410_until_it_is_enabled_again(
    links: LambdaFunction, store: LinkStore, redirect: LambdaFunction
) -> None:
    store.add(CODE, DESTINATION, owner=MEMBER_ID)

    def follow_link() -> HttpResponse:
        return redirect(load_event("redirect", path_parameters={"code": CODE}, query="", headers={"accept": "*/*"}))

    disabled = patch(links, {"disabled": True})
    assert disabled.json()["status"] == "disabled"
    refused = follow_link()
    assert (refused.status, refused.json()["error"]["code"]) == (410, "link_disabled")

    enabled = patch(links, {"disabled": False})
    assert enabled.json()["status"] == "active"
    redirect_cache_expires(redirect)
    assert (follow_link().status, follow_link().headers["location"]) == (302, DESTINATION)


# --- least privilege --------------------------------------------------------------------------------------------


_TRANSACTION_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def actions_used(calls: list[ApiCall]) -> set[tuple[str, str]]:
    """``calls_made``, with a transaction counted as the actions IAM checks for its items."""
    used = calls_made([call for call in calls if call.operation != "TransactWriteItems"])
    for call in calls:
        if call.operation == "TransactWriteItems":
            for item in call.params["TransactItems"]:
                used |= {(_TRANSACTION_ACTIONS[kind], "table") for kind in item}
    return used


def test_the_links_function_is_granted_exactly_what_its_routes_use(links: LambdaFunction, store: LinkStore) -> None:
    store.add(CODE, DESTINATION, owner=MEMBER_ID)

    with recording_dynamodb_calls() as calls:
        list_links(links)
        list_links(links, {"owner": "*"}, ADMIN)
        get(links)
        patch(links, {"title": "plain write"})
        patch(links, {"url": NEW_DESTINATION})
        history(links)
        delete(links)

    assert actions_used(calls) == calls_granted("LinksFunction")


def test_history_and_transactions_go_through_the_links_botocore_client(links: LambdaFunction) -> None:
    repository = links.module.repository
    links_client = repository._item._get_connection().connection.client

    assert repository._history._get_connection().connection.client is links_client
    assert repository._connection().client is links_client
