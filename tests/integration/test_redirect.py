"""GET|HEAD /{code}: the redirect function on real HTTP API events against the template's table."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shortlinks.domain import click_format
from shortlinks.domain.target import LinkState
from shortlinks.storage.repository import DynamoLinkRepository
from tests.events import load_event
from tests.fake_clock import FakeClock
from tests.integration.harness import (
    REGION,
    CapturedLogs,
    HttpResponse,
    LambdaFunction,
    LinkStore,
    cold_start_modules,
    recording_dynamodb_calls,
)
from tests.metric_filters import counted

DESTINATION = "https://example.org/resources?lang=en"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def visit(
    redirect: LambdaFunction,
    code: str,
    *,
    query: str = "",
    headers: dict[str, str | None] | None = None,
    fixture: str = "redirect",
) -> HttpResponse:
    return redirect(load_event(fixture, path_parameters={"code": code}, query=query, headers=headers))


def assert_not_cacheable_refusal(response: HttpResponse, status: int) -> None:
    assert response.status == status
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-robots-tag"] == "noindex"
    assert "location" not in response.headers


# --- redirects ----------------------------------------------------------------------------------------------------


def test_the_fixture_event_is_redirected_with_its_query_forwarded(redirect: LambdaFunction, store: LinkStore) -> None:
    # GIVEN the link AbC1234 and a browser following it with utm parameters (the redirect fixture)
    store.add("AbC1234", DESTINATION)

    # WHEN the function handles the event
    response = redirect(load_event("redirect"))

    # THEN the browser is sent on, with the click's query after the destination's own
    assert response.status == 302
    assert response.headers["location"] == f"{DESTINATION}&utm_source=newsletter&utm_medium=email"
    assert response.body == ""


@pytest.mark.parametrize(
    ("redirect_type", "cache_control"),
    [
        (301, "private, max-age=300"),
        (302, "private, max-age=0"),
        (307, "private, max-age=0"),
        (308, "private, max-age=300"),
    ],
)
def test_each_redirect_type_answers_its_status_and_cache_policy(
    redirect: LambdaFunction, store: LinkStore, redirect_type: int, cache_control: str
) -> None:
    store.add("typed01", DESTINATION, redirect_type=redirect_type)

    response = visit(redirect, "typed01")

    assert response.status == redirect_type
    assert response.headers["location"] == DESTINATION
    assert response.headers["cache-control"] == cache_control


def test_a_redirect_keeps_search_engines_and_referrers_in_their_place(
    redirect: LambdaFunction, store: LinkStore
) -> None:
    store.add("AbC1234", DESTINATION)

    response = visit(redirect, "AbC1234")

    assert response.headers["x-robots-tag"] == "noindex"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_the_request_query_wins_over_the_destinations_on_a_clash(redirect: LambdaFunction, store: LinkStore) -> None:
    store.add("AbC1234", "https://example.org/p?lang=en&ref=shortlink#top")

    response = visit(redirect, "AbC1234", query="ref=newsletter&q=a%20b+c")

    assert response.headers["location"] == "https://example.org/p?lang=en&ref=newsletter&q=a%20b+c#top"


def test_a_link_that_does_not_forward_the_query_ignores_it(redirect: LambdaFunction, store: LinkStore) -> None:
    store.add("AbC1234", DESTINATION, forward_query=False)

    response = visit(redirect, "AbC1234", query="utm_source=newsletter")

    assert response.headers["location"] == DESTINATION


def test_without_a_query_the_destination_is_used_as_stored(redirect: LambdaFunction, store: LinkStore) -> None:
    store.add("AbC1234", DESTINATION)

    assert visit(redirect, "AbC1234").headers["location"] == DESTINATION


def test_head_answers_the_redirect_without_a_body(redirect: LambdaFunction, store: LinkStore) -> None:
    store.add("AbC1234", DESTINATION, redirect_type=301)

    response = redirect(load_event("redirect_head"))

    assert (response.status, response.headers["location"], response.body) == (301, DESTINATION, "")


def test_head_of_an_unknown_code_is_404_without_a_body(redirect: LambdaFunction) -> None:
    response = redirect(load_event("redirect_head", path_parameters={"code": "Nope123"}))

    assert_not_cacheable_refusal(response, 404)
    assert response.body == ""


def test_codes_are_case_sensitive(redirect: LambdaFunction, store: LinkStore) -> None:
    store.add("AbC1234", DESTINATION)

    assert visit(redirect, "abc1234", headers={"accept": "application/json"}).status == 404
    assert visit(redirect, "ABC1234", headers={"accept": "application/json"}).status == 404
    assert visit(redirect, "AbC1234").status == 302


def test_a_link_on_another_short_domain_is_not_ours_to_follow(redirect: LambdaFunction, store: LinkStore) -> None:
    store.add("AbC1234", DESTINATION, domain="other.example")

    assert visit(redirect, "AbC1234", headers={"accept": "application/json"}).status == 404


# --- not found and expired ---------------------------------------------------------------------------------------


def test_an_unknown_code_is_a_json_404_for_api_clients(redirect: LambdaFunction) -> None:
    response = visit(redirect, "Nope123", headers={"accept": "application/json"})

    assert_not_cacheable_refusal(response, 404)
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


def test_an_unknown_code_is_an_html_page_for_browsers(redirect: LambdaFunction) -> None:
    response = visit(redirect, "Nope123", headers={"accept": BROWSER_ACCEPT})

    assert_not_cacheable_refusal(response, 404)
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "<title>Link not found</title>" in response.body


def test_an_expired_link_is_410_for_api_clients(redirect: LambdaFunction, store: LinkStore) -> None:
    store.add("old1234", DESTINATION, expires_at=datetime.now(UTC) - timedelta(seconds=1))

    response = visit(redirect, "old1234", headers={"accept": "application/json"})

    assert_not_cacheable_refusal(response, 410)
    assert response.json()["error"]["code"] == "link_expired"


def test_an_expired_link_is_an_html_410_for_browsers(redirect: LambdaFunction, store: LinkStore) -> None:
    store.add("old1234", DESTINATION, redirect_type=301, expires_at=datetime.now(UTC) - timedelta(days=1))

    response = visit(redirect, "old1234", headers={"accept": BROWSER_ACCEPT})

    assert_not_cacheable_refusal(response, 410)
    assert "<title>Link expired</title>" in response.body


@pytest.mark.parametrize(
    ("state", "code"), [(LinkState.DISABLED, "link_disabled"), (LinkState.DELETED, "link_deleted")]
)
def test_a_disabled_or_deleted_link_is_410_for_api_clients(
    redirect: LambdaFunction, store: LinkStore, state: LinkState, code: str
) -> None:
    store.add("gone123", DESTINATION, state=state)

    response = visit(redirect, "gone123", headers={"accept": "application/json"})

    assert_not_cacheable_refusal(response, 410)
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize("state", [LinkState.DISABLED, LinkState.DELETED])
def test_a_disabled_or_deleted_link_is_an_html_410_that_does_not_say_expired(
    redirect: LambdaFunction, store: LinkStore, state: LinkState
) -> None:
    store.add("gone123", DESTINATION, redirect_type=301, state=state)

    response = visit(redirect, "gone123", headers={"accept": BROWSER_ACCEPT})

    assert_not_cacheable_refusal(response, 410)
    assert "<title>Link no longer available</title>" in response.body
    assert "expired" not in response.body


def test_a_disabled_link_that_has_also_expired_says_disabled(redirect: LambdaFunction, store: LinkStore) -> None:
    store.add("both123", DESTINATION, expires_at=datetime.now(UTC) - timedelta(days=1), state=LinkState.DISABLED)

    response = visit(redirect, "both123", headers={"accept": "application/json"})

    assert response.json()["error"]["code"] == "link_disabled"


def test_a_link_expiring_in_the_future_still_redirects(redirect: LambdaFunction, store: LinkStore) -> None:
    store.add("soon123", DESTINATION, expires_at=datetime.now(UTC) + timedelta(minutes=5))

    assert visit(redirect, "soon123").status == 302


def test_an_unavailable_store_is_a_503_nobody_caches(redirect: LambdaFunction, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the function's table does not answer (here: it does not exist)
    monkeypatch.setattr(redirect.module.targets, "_source", DynamoLinkRepository("no-such-table", REGION))

    # WHEN a link is followed
    response = visit(redirect, "AbC1234", headers={"accept": "application/json"})

    # THEN the visitor is told to come back, and no cache keeps the failure
    assert_not_cacheable_refusal(response, 503)
    assert response.json()["error"]["code"] == "service_unavailable"


# --- reads: at most one GetItem -----------------------------------------------------------------------------------


def holds_secret_and_registry(redirect: LambdaFunction) -> None:
    """The container as after its first requests: it holds the day's visitor secret and a fresh domain registry."""
    redirect.module.daily_secret.for_moment(datetime.now(UTC))
    redirect.module.domains.of_request("sho.rt")
    assert redirect.module.domains._registry.is_fresh()


def assert_one_projected_eventually_consistent_get_item(call: Any, code: str) -> None:
    """No strongly consistent read, only the attributes a redirect needs."""
    assert call.operation == "GetItem"
    assert call.params.get("ConsistentRead") is not True
    assert call.params["ProjectionExpression"]
    assert call.params["Key"] == {"pk": {"S": f"LINK#sho.rt#{code}"}, "sk": {"S": "LINK"}}
    projected = {
        call.params["ExpressionAttributeNames"].get(p.strip(), p.strip())
        for p in call.params["ProjectionExpression"].split(",")
    }
    assert projected == {"url", "redirect_type", "forward_query", "expires_at", "state", "destination"}


@pytest.mark.parametrize("code", ["AbC1234", "Nope123", "old1234", "gone123"])
def test_a_redirect_reads_once_then_serves_from_its_cache_until_the_ttl(
    redirect: LambdaFunction, store: LinkStore, monkeypatch: pytest.MonkeyPatch, code: str
) -> None:
    # GIVEN a live link, an expired one and a deleted one, the function's own hot-link cache with the template's
    # times (a link 5 s, a miss 1 s) on a clock the test moves, and a container that already holds the day's visitor
    # secret and the domain registry (so a read is the link's alone)
    store.add("AbC1234", DESTINATION)
    store.add("old1234", DESTINATION, expires_at=datetime.now(UTC) - timedelta(days=1))
    store.add("gone123", DESTINATION, state=LinkState.DELETED)
    settings = redirect.module.settings
    clock = FakeClock()
    monkeypatch.setattr(redirect.module.targets.cache, "clock", clock)
    holds_secret_and_registry(redirect)
    ttl = settings.redirect_miss_cache_seconds if code == "Nope123" else settings.redirect_cache_seconds
    assert ttl > 0

    # WHEN a code is followed on a cold container, again at once (a hit), and again once its entry has expired
    with recording_dynamodb_calls() as first:
        answer = visit(redirect, code)
    with recording_dynamodb_calls() as hit:
        again = visit(redirect, code)
    clock.advance(ttl)
    with recording_dynamodb_calls() as expired:
        visit(redirect, code)

    # THEN the first and the expired visit made one GetItem each, the hit none, and no visit wrote anything
    [read] = first
    assert_one_projected_eventually_consistent_get_item(read, code)
    assert hit == []
    [read] = expired
    assert_one_projected_eventually_consistent_get_item(read, code)
    assert (again.status, again.headers.get("location")) == (answer.status, answer.headers.get("location"))


def test_a_disabled_link_is_refused_once_the_cached_copy_has_expired(
    redirect: LambdaFunction, store: LinkStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a followed link, held in the function's own hot-link cache, on a clock the test moves
    store.add("AbC1234", DESTINATION)
    clock = FakeClock()
    monkeypatch.setattr(redirect.module.targets.cache, "clock", clock)
    assert visit(redirect, "AbC1234").status == 302

    # WHEN it is disabled, and followed within the cache time and after it
    store.clear()
    store.add("AbC1234", DESTINATION, state=LinkState.DISABLED)
    within = visit(redirect, "AbC1234")
    clock.advance(redirect.module.settings.redirect_cache_seconds)
    after = visit(redirect, "AbC1234")

    # THEN the change reached the container within the cache time (docs/api.md)
    assert within.status == 302
    assert after.status == 410


def test_a_cached_link_that_expires_meanwhile_is_gone_at_once(redirect: LambdaFunction, store: LinkStore) -> None:
    # GIVEN a link that expires in a second, followed once (so the container holds it)
    store.add("AbC1234", DESTINATION, expires_at=datetime.now(UTC) + timedelta(seconds=1))
    assert visit(redirect, "AbC1234").status == 302

    # WHEN it is followed after its expiry, well within the cache time
    time.sleep(1.1)
    with recording_dynamodb_calls() as calls:
        response = visit(redirect, "AbC1234")

    # THEN the expiry is honoured from the cached copy, without a read
    assert response.status == 410
    assert calls == []


@pytest.mark.parametrize(
    "code", ["favicon.ico", "robots.txt", "a" * 100, "wp-login.php", "..%2F..%2Fetc", "c\u00f6de", ""]
)
def test_a_junk_code_is_404_without_touching_dynamodb(redirect: LambdaFunction, code: str) -> None:
    with recording_dynamodb_calls() as calls:
        response = visit(redirect, code, headers={"accept": "application/json"})

    assert_not_cacheable_refusal(response, 404)
    assert calls == []


# --- the click log ------------------------------------------------------------------------------------------------


def test_each_redirect_logs_one_structured_click(
    redirect: LambdaFunction, store: LinkStore, logs: CapturedLogs
) -> None:
    # GIVEN a link, followed by the browser in the redirect fixture (referer, user agent, CloudFront country)
    store.add("AbC1234", DESTINATION)
    event = load_event("redirect")

    # WHEN it is followed
    redirect(event)

    # THEN exactly one click record says what happened, without the visitor's address
    [click] = logs.clicks()
    assert abs(click.pop("ts") - time.time()) < 60
    assert re.fullmatch(r"[0-9a-f]{16}", click.pop("visitor"))  # tests/integration/test_visitor_ids.py
    assert click == {
        "method": "GET",
        "code": "AbC1234",
        "domain": "sho.rt",
        "status": 302,
        "referrer_host": "news.example.com",
        "user_agent": event["headers"]["user-agent"],
        "country": "GB",
        "source": None,  # a click through the link itself: only a QR scan names its source
    }
    [line] = logs.click_lines()
    assert event["headers"]["x-forwarded-for"] not in line
    assert event["requestContext"]["http"]["sourceIp"] not in line


def test_a_click_record_is_one_short_line_with_no_metric_line_beside_it(
    redirect: LambdaFunction, store: LinkStore, logs: CapturedLogs
) -> None:
    # GIVEN a link followed by a visitor with no referrer and no country header
    store.add("AbC1234", DESTINATION)

    # WHEN it is followed
    visit(redirect, "AbC1234", headers={"referer": None, "cloudfront-viewer-country": None})

    # THEN the request wrote exactly one line: the click record in format 4, its empty fields left out, neither a
    # time (its log event's), a request id (nothing reads it) nor the method of a GET, and the agent's boilerplate
    # as tokens
    [line] = logs.lines()
    record = json.loads(line)
    assert line.startswith('{"click":4,')
    assert set(record) == {"click", "c", "d", "s", "ua", "v"}
    agent = click_format.decode_agent(record["ua"])
    assert len(record["ua"]) < len(agent)
    assert line + "\n" == click_format.line(
        {name: value for name, value in record.items() if name != "click"} | {"ua": agent}
    )


def test_a_refused_visit_is_logged_as_a_click_with_its_status(redirect: LambdaFunction, logs: CapturedLogs) -> None:
    visit(redirect, "Nope123", headers={"referer": None, "cloudfront-viewer-country": None})

    [click] = logs.clicks()
    assert (click["code"], click["status"], click["referrer_host"], click["country"]) == ("Nope123", 404, None, None)


def test_a_head_request_is_logged_as_a_click_too(
    redirect: LambdaFunction, store: LinkStore, logs: CapturedLogs
) -> None:
    store.add("AbC1234", DESTINATION)

    redirect(load_event("redirect_head"))

    [click] = logs.clicks()
    assert click["user_agent"].startswith("Slackbot-LinkExpanding")
    assert (click["method"], click["status"]) == ("HEAD", 302)


def test_a_very_long_user_agent_is_cut_in_the_click_log(redirect: LambdaFunction, logs: CapturedLogs) -> None:
    visit(redirect, "Nope123", headers={"user-agent": "x" * 5000})

    [click] = logs.clicks()
    assert click["user_agent"] == "x" * 256


def test_each_redirect_counts_in_the_redirects_metric_filter_only(
    redirect: LambdaFunction, store: LinkStore, logs: CapturedLogs
) -> None:
    store.add("AbC1234", DESTINATION)

    redirect(load_event("redirect"))

    assert counted(logs.click_lines()) == ["Redirects"]


def test_an_unknown_code_counts_in_the_link_missed_metric_filter(redirect: LambdaFunction, logs: CapturedLogs) -> None:
    visit(redirect, "Nope123")

    assert counted(logs.click_lines()) == ["LinkMissed"]


@pytest.mark.parametrize(
    ("expires_at", "state"),
    [
        (datetime.now(UTC) - timedelta(days=1), LinkState.ACTIVE),
        (None, LinkState.DISABLED),
        (None, LinkState.DELETED),
    ],
    ids=["expired", "disabled", "deleted"],
)
def test_every_410_counts_once_in_the_link_gone_metric_filter(
    redirect: LambdaFunction, store: LinkStore, logs: CapturedLogs, expires_at: datetime | None, state: LinkState
) -> None:
    store.add("gone123", DESTINATION, expires_at=expires_at, state=state)

    assert visit(redirect, "gone123").status == 410
    assert counted(logs.click_lines()) == ["LinkGone"]


def test_an_unavailable_store_counts_in_the_redirect_server_errors_metric_filter(
    redirect: LambdaFunction, logs: CapturedLogs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redirect.module.targets, "_source", DynamoLinkRepository("no-such-table", REGION))

    assert visit(redirect, "AbC1234").status == 503
    assert counted(logs.click_lines()) == ["RedirectServerErrors"]


# --- a small cold start -------------------------------------------------------------------------------------------


def test_the_redirect_function_imports_neither_pydantic_nor_powertools_nor_pynamodb_models() -> None:
    # GIVEN a fresh interpreter with the redirect function's environment from the template
    # WHEN the handler module is imported, as Lambda does at cold start
    modules = cold_start_modules("RedirectFunction")

    # THEN none of the heavy packages came along: no validation, no tracer, no Powertools at all (the click record is
    # its log), and of pynamodb only its exception classes (storage/failures.py), never its models or connection
    heavy = {
        module
        for module in modules
        if module.split(".")[0] in {"pydantic", "pydantic_core", "aws_xray_sdk", "aws_lambda_powertools"}
        or (module.startswith("pynamodb") and module not in {"pynamodb", "pynamodb.exceptions"})
    }
    assert heavy == set()


@pytest.mark.parametrize(
    "code", ["%00", "\u0000", "..", "a b", "%ED%A0%80", "AbC1234/extra", "<script>", "' OR 1=1 --", "x" * 10_000]
)
def test_no_code_is_a_server_error(redirect: LambdaFunction, code: str) -> None:
    response = visit(redirect, code, headers={"accept": "application/json"})

    assert response.status == 404, response.body
