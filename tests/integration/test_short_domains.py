"""Custom short domains through the functions: links namespaced per domain, redirects resolved by the request's
host, each domain's root and not-found behaviour, who may create links on which domain, and the loop guard
across every registered domain (issue 5)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shortlinks.domain.domains import register_domain
from shortlinks.domain.target import LinkState
from shortlinks.storage.domains import DynamoDomainRepository
from tests.events import load_event
from tests.integration.harness import (
    ADMIN,
    MEMBER,
    MEMBER_ID,
    OTHER_MEMBER,
    REGION,
    TABLE_NAME,
    HttpResponse,
    LambdaFunction,
    LinkStore,
    as_caller,
    recording_dynamodb_calls,
    redirect_cache_expires,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
CARE = "care.link"  # the default domain: 301 by default, a homepage, a not-found page, open to every key
HELP = "help.example"  # another domain: 302 by default, no homepage, our 404 page, only MEMBER_ID may create
CARE_HOME = "https://www.care.example/"
CARE_MISSING = "https://www.care.example/missing"


@pytest.fixture
def every_function(
    create: LambdaFunction, redirect: LambdaFunction, expand: LambdaFunction, links: LambdaFunction
) -> tuple[LambdaFunction, ...]:
    return create, redirect, expand, links


def refresh(functions: tuple[LambdaFunction, ...]) -> None:
    """Make each function read the domain registry again (each keeps it DOMAIN_CACHE_SECONDS per container)."""
    for function in functions:
        function.module.domains._registry.refresh()


@pytest.fixture
def two_domains(every_function: tuple[LambdaFunction, ...], store: LinkStore) -> None:
    """care.link (the default) and help.example registered, and every function aware of them."""
    repository = DynamoDomainRepository(TABLE_NAME, REGION)
    register_domain(
        repository,
        CARE,
        default_redirect_type=301,
        root_url=CARE_HOME,
        not_found_url=CARE_MISSING,
        is_default=True,
        now=NOW,
    )
    register_domain(repository, HELP, allowed_keys=[MEMBER_ID], now=NOW)
    refresh(every_function)


@pytest.fixture
def no_domains(every_function: tuple[LambdaFunction, ...], store: LinkStore) -> None:
    """An empty registry (a fresh stack), and every function aware of it."""
    assert store.items() == []
    refresh(every_function)


def visit(
    redirect: LambdaFunction, host: str, code: str | None, headers: dict[str, str | None] | None = None
) -> HttpResponse:
    headers = {"host": host, "accept": "application/json", **(headers or {})}
    if code is None:
        return redirect(load_event("redirect_root", headers=headers))
    return redirect(load_event("redirect", path_parameters={"code": code}, query="", headers=headers))


def create_request(body: dict[str, Any], caller: dict[str, Any] = ADMIN) -> dict[str, Any]:
    return as_caller(load_event("create_link", body=body), caller)


def assert_error(response: HttpResponse, status: int, code: str) -> None:
    assert response.status == status, response.body
    assert response.json()["error"]["code"] == code


# --- the same code on two domains -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("two_domains")
def test_the_same_code_on_two_domains_is_two_links(
    create: LambdaFunction, redirect: LambdaFunction, expand: LambdaFunction
) -> None:
    # GIVEN the alias "help" created on each domain, leading to different places
    on_care = create(create_request({"url": "https://care.example/help", "alias": "help", "domain": CARE}))
    on_help = create(create_request({"url": "https://help.example.org/faq", "alias": "help", "domain": HELP}))
    assert (on_care.status, on_help.status) == (201, 201), (on_care.body, on_help.body)
    assert on_care.json()["short_url"] == "https://care.link/help"
    assert on_help.json()["short_url"] == "https://help.example/help"
    assert (on_care.json()["domain"], on_help.json()["domain"]) == (CARE, HELP)

    # WHEN each is visited on its own host (any case, any port) THEN each lands on its own destination
    care_visit = visit(redirect, "Care.Link:443", "help")
    help_visit = visit(redirect, HELP, "help")
    assert (care_visit.status, care_visit.headers["location"]) == (301, "https://care.example/help")
    assert (help_visit.status, help_visit.headers["location"]) == (302, "https://help.example.org/faq")

    # AND expanding each short URL shows each
    for asked, url, short_url in [
        ("https://care.link/help", "https://care.example/help", "https://care.link/help"),
        ("help.example/help", "https://help.example.org/faq", "https://help.example/help"),
    ]:
        response = expand(load_event("expand", query={"url": asked}))
        assert response.status == 200, response.body
        assert (response.json()["url"], response.json()["short_url"]) == (url, short_url)

    # AND by code, on the default domain unless ?domain= names another
    by_code = expand(load_event("expand", query={"code": "help"}))
    assert by_code.json()["url"] == "https://care.example/help"
    by_code = expand(load_event("expand", query={"code": "help", "domain": HELP}))
    assert by_code.json()["url"] == "https://help.example.org/faq"


@pytest.mark.usefixtures("two_domains")
def test_a_short_url_on_an_unregistered_host_is_not_ours(expand: LambdaFunction, store: LinkStore) -> None:
    store.add("help", domain="sho.rt")

    response = expand(load_event("expand", query={"url": "https://sho.rt/help"}))

    # Not resolved from our table: followed as another service's link (no name resolution in tests).
    assert response.status == 200
    assert response.json()["stopped"] == "connection_failed"


# --- the request's host ---------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("two_domains")
def test_an_unregistered_host_is_404_without_reading_a_link(redirect: LambdaFunction, store: LinkStore) -> None:
    # GIVEN a link "help" on care.link, and the redirect function's registry already read (a miss reads it; not the
    # link: its cached copy has expired)
    store.add("help", "https://care.example/help", domain=CARE)
    assert visit(redirect, CARE, "help").status == 302
    assert visit(redirect, CARE, "nope123").status == 302  # care.link's not-found page
    redirect_cache_expires(redirect)

    # WHEN the same code is asked for on a host that is not registered
    with recording_dynamodb_calls() as calls:
        response = visit(redirect, "sho.rt", "help")
        registered = visit(redirect, CARE, "help")

    # THEN it is 404, not cacheable, and only the registered host's request read the table
    assert response.status == 404, response.body
    assert response.headers["cache-control"] == "no-store"
    assert "location" not in response.headers
    assert response.json()["error"]["code"] == "not_found"
    assert registered.status == 302
    assert [call.operation for call in calls] == ["GetItem"]
    assert calls[0].params["Key"]["pk"] == {"S": "LINK#care.link#help"}


# --- root and not-found ---------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("two_domains")
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_the_root_goes_to_the_domains_homepage_or_is_404(redirect: LambdaFunction, method: str) -> None:
    def root(host: str) -> HttpResponse:
        event = load_event("redirect_root", headers={"host": host, "accept": "application/json"})
        event["requestContext"]["http"]["method"] = method
        return redirect(event)

    with_home = root(CARE)
    assert (with_home.status, with_home.headers["location"]) == (302, CARE_HOME)
    assert with_home.body == ""

    without = root(HELP)
    assert without.status == 404
    assert without.headers["cache-control"] == "no-store"
    assert "location" not in without.headers


@pytest.mark.usefixtures("two_domains")
def test_an_unknown_code_goes_to_the_domains_not_found_page_or_is_our_404(redirect: LambdaFunction) -> None:
    # WHEN an unknown code is visited on care.link THEN the visitor goes to its not-found page, uncached
    response = visit(redirect, CARE, "nope123", {"accept": BROWSER_ACCEPT})
    assert (response.status, response.headers["location"]) == (302, CARE_MISSING)
    assert response.headers["cache-control"] == "no-store"

    # WHEN on help.example, which has none THEN our own 404 page
    response = visit(redirect, HELP, "nope123", {"accept": BROWSER_ACCEPT})
    assert response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert "location" not in response.headers


@pytest.mark.usefixtures("two_domains")
def test_a_deleted_link_stays_gone_rather_than_going_to_the_not_found_page(
    redirect: LambdaFunction, store: LinkStore
) -> None:
    store.add("old1234", domain=CARE, state=LinkState.DELETED)

    assert visit(redirect, CARE, "old1234").status == 410


# --- who may create links where -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("two_domains")
@pytest.mark.parametrize(
    ("caller", "status"),
    [(MEMBER, 201), (OTHER_MEMBER, 403), (ADMIN, 201)],
    ids=["allowed-key", "other-member", "admin"],
)
def test_only_the_allowed_keys_and_admins_create_links_on_a_restricted_domain(
    create: LambdaFunction, store: LinkStore, caller: dict[str, Any], status: int
) -> None:
    response = create(create_request({"url": "https://help.example.org/faq", "domain": HELP}, caller))

    assert response.status == status, response.body
    if status == 403:
        assert response.json()["error"]["code"] == "domain_not_allowed"
        assert store.link_items() == []
    else:
        assert response.json()["short_url"].startswith("https://help.example/")


@pytest.mark.usefixtures("two_domains")
def test_every_key_creates_links_on_an_open_domain(create: LambdaFunction) -> None:
    response = create(create_request({"url": "https://care.example/give"}, OTHER_MEMBER))

    assert response.status == 201, response.body
    assert response.json()["domain"] == CARE


@pytest.mark.usefixtures("two_domains")
def test_an_unregistered_domain_in_the_body_is_404(create: LambdaFunction, store: LinkStore) -> None:
    response = create(create_request({"url": "https://care.example/give", "domain": "nope.example"}))

    assert_error(response, 404, "unknown_domain")
    assert store.link_items() == []


@pytest.mark.usefixtures("two_domains")
def test_a_bulk_create_refuses_each_item_on_a_domain_the_caller_may_not_use(create: LambdaFunction) -> None:
    event = as_caller(
        load_event(
            "create_links_bulk",
            body={"links": [{"url": "https://care.example/a"}, {"url": "https://care.example/b", "domain": HELP}]},
        ),
        OTHER_MEMBER,
    )

    results = create(event).json()["results"]

    assert [result["status"] for result in results] == [201, 403]
    assert results[1]["error"]["code"] == "domain_not_allowed"


# --- the loop guard -------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("two_domains")
@pytest.mark.parametrize("url", ["https://care.link/x", "https://HELP.example/x", "http://help.example:8080/"])
def test_a_destination_on_any_registered_domain_is_refused(create: LambdaFunction, store: LinkStore, url: str) -> None:
    for domain in (CARE, HELP):
        assert_error(create(create_request({"url": url, "domain": domain})), 422, "url_is_short_link")
    assert store.link_items() == []


@pytest.mark.usefixtures("two_domains")
def test_a_link_may_not_be_changed_to_point_at_a_registered_domain(links: LambdaFunction, store: LinkStore) -> None:
    store.add("help", "https://care.example/help", domain=CARE)
    event = load_event(
        "update_link", path_parameters={"code": "help"}, body={"url": "https://help.example/faq"}, query={}
    )

    assert_error(links(as_caller(event, ADMIN)), 422, "url_is_short_link")


# --- redirect types -------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("two_domains")
def test_the_domains_default_redirect_type_applies_unless_the_body_names_one(
    create: LambdaFunction, redirect: LambdaFunction
) -> None:
    default = create(create_request({"url": "https://care.example/a", "alias": "type-default"}))
    explicit = create(create_request({"url": "https://care.example/b", "alias": "type-explicit", "redirect_type": 302}))
    on_help = create(create_request({"url": "https://care.example/c", "alias": "type-help", "domain": HELP}))

    assert default.json()["redirect_type"] == 301
    assert explicit.json()["redirect_type"] == 302
    assert on_help.json()["redirect_type"] == 302
    assert visit(redirect, CARE, "type-default").status == 301
    assert visit(redirect, CARE, "type-explicit").status == 302


# --- management routes ----------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("two_domains")
def test_management_routes_address_a_link_by_domain_and_code(links: LambdaFunction, store: LinkStore) -> None:
    store.add("help", "https://care.example/help", domain=CARE)
    store.add("help", "https://help.example.org/faq", domain=HELP)

    def get(query: dict[str, str]) -> HttpResponse:
        return links(as_caller(load_event("get_link", path_parameters={"code": "help"}, query=query), ADMIN))

    on_help = get({"domain": HELP}).json()
    on_default = get({}).json()
    assert (on_help["url"], on_help["short_url"]) == ("https://help.example.org/faq", "https://help.example/help")
    assert (on_default["url"], on_default["short_url"]) == ("https://care.example/help", "https://care.link/help")
    assert_error(get({"domain": "nope.example"}), 404, "unknown_domain")

    # AND deleting one leaves the other
    delete = as_caller(load_event("delete_link", path_parameters={"code": "help"}, query={"domain": HELP}), ADMIN)
    assert links(delete).status == 204
    assert get({}).json()["status"] == "active"
    assert get({"domain": HELP}).json()["status"] == "deleted"


@pytest.mark.usefixtures("two_domains")
def test_a_link_left_on_a_removed_domain_is_written_on_that_domain(links: LambdaFunction, store: LinkStore) -> None:
    # GIVEN the tombstone a forced removal of give.link left
    store.add("give", domain="give.link", state=LinkState.DELETED, owner=MEMBER_ID)

    response = links(as_caller(load_event("list_links", query={"status": "deleted"}), MEMBER))

    assert [link["short_url"] for link in response.json()["links"]] == ["https://give.link/give"]


# --- no domain registered -------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("no_domains")
def test_without_registered_domains_the_service_runs_on_its_one_domain(
    create: LambdaFunction, redirect: LambdaFunction, expand: LambdaFunction, links: LambdaFunction
) -> None:
    created = create(create_request({"url": "https://care.example/help", "alias": "help"}))
    assert created.status == 201, created.body
    assert (created.json()["domain"], created.json()["short_url"]) == ("sho.rt", "https://sho.rt/help")

    response = visit(redirect, "sho.rt", "help")
    assert (response.status, response.headers["location"]) == (302, "https://care.example/help")
    assert expand(load_event("expand", query={"url": "https://sho.rt/help"})).json()["url"] == (
        "https://care.example/help"
    )
    fetched = links(as_caller(load_event("get_link", path_parameters={"code": "help"}), ADMIN))
    assert fetched.json()["short_url"] == "https://sho.rt/help"
    assert_error(create(create_request({"url": "https://care.example/x", "domain": CARE})), 404, "unknown_domain")
    assert_error(create(create_request({"url": "https://sho.rt/x"})), 422, "url_is_short_link")


@pytest.mark.usefixtures("two_domains")
def test_a_fresh_containers_first_redirect_reads_its_link_and_not_the_registry(
    redirect: LambdaFunction, store: LinkStore
) -> None:
    # GIVEN a link "help" on care.link, the day's visitor secret in the table (as on every request of the day but the
    # first anywhere), and a redirect function that has read nothing yet (no registry, no secret)
    store.add("help", "https://care.example/help", domain=CARE)
    redirect.module.repository.visitor_secret(datetime.now(UTC).date())
    redirect.module.domains._registry.refresh()
    redirect.module.daily_secret.forget()
    redirect_cache_expires(redirect)

    # WHEN its first request asks for the link, and a second asks for a code care.link does not have
    with recording_dynamodb_calls() as calls:
        found = visit(redirect, CARE, "help")
        first = list(calls)
        missed = visit(redirect, CARE, "nope123")

    # THEN the link was answered after one read of the link alone (with the day's visitor secret), and only the
    # miss read the registry, to learn what care.link answers for an unknown code (its not-found page)
    assert found.status == 302
    assert found.headers["location"] == "https://care.example/help"
    [read] = first
    assert read.operation == "BatchGetItem"  # the link, with the day's visitor secret
    [request] = read.params["RequestItems"].values()
    assert {"pk": {"S": "LINK#care.link#help"}, "sk": {"S": "LINK"}} in request["Keys"]
    assert (missed.status, missed.headers["location"]) == (302, CARE_MISSING)
    assert [call.operation for call in calls][1:] == ["GetItem", "Query"]


@pytest.mark.usefixtures("two_domains")
def test_a_tombstone_on_a_host_that_is_not_ours_is_a_404_whatever_the_registrys_age(
    redirect: LambdaFunction, store: LinkStore
) -> None:
    # GIVEN a link left as a tombstone on give.link, a domain no longer registered (a forced removal), and a live link
    # gone on care.link
    store.add("give", "https://give.example/", domain="give.link", state=LinkState.DELETED)
    store.add("old1234", "https://care.example/old", domain=CARE, state=LinkState.DELETED)

    # WHEN each is visited by a container whose registry is stale (it looks the link up under the host first), and
    # again once the registry is fresh
    answers = []
    for registry in ("stale", "fresh"):
        if registry == "stale":
            redirect.module.domains._registry.refresh()
        else:
            assert visit(redirect, CARE, "nope123").status == 302  # a miss reads the registry
        redirect_cache_expires(redirect)
        answers.append((visit(redirect, "give.link", "give").status, visit(redirect, CARE, "old1234").status))

    # THEN the host that is not ours answers 404, and our domain's deleted link 410, either way
    assert answers == [(404, 410), (404, 410)]
