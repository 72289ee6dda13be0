"""GET /v1/expand of another service's link: the expand handler, the guard and client against a chain server on
127.0.0.1, and the cache and rate counters in the (moto) table."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from shortlinks.expander.third_party import ThirdPartyExpander
from shortlinks.web.hosts import ShortDomains
from tests.events import load_event
from tests.integration.harness import (
    ANONYMOUS,
    MEMBER_ID,
    HttpResponse,
    LambdaFunction,
    LinkStore,
    as_caller,
    key_context,
)

SOURCE_IP = "192.0.2.10"  # only ever a value in an event: nothing connects to it


class ChainServer:
    """Scripted answers by path; counts what it was asked."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.routes: dict[str, Response] = {}

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.seen.append(request.path)
        response = self.routes.get(request.path, Response("no such page", status=404))
        return response(environ, start_response)


@pytest.fixture(scope="module")
def chain() -> Iterator[ChainServer]:
    server = ChainServer()
    server.thread.start()
    yield server
    server.server.shutdown()


@pytest.fixture
def expand_elsewhere(expand: LambdaFunction, chain: ChainServer, monkeypatch: pytest.MonkeyPatch) -> LambdaFunction:
    """The expand function, its expander allowed to reach exactly the chain server (as EXPANDER_ALLOWED_ADDRESSES
    would allow it), with a small anonymous rate limit."""
    module = expand.module
    settings = replace(
        module.settings,
        expander_allowed_addresses=f"127.0.0.1:{chain.server.server_port}",
        expand_rate_limit_anonymous=3,
    )
    monkeypatch.setattr(module, "settings", settings)
    monkeypatch.setattr(module, "_expander", ThirdPartyExpander.build(settings, share_with=module.repository))
    chain.seen.clear()
    chain.routes = {
        "/a": Response(status=301, headers={"Location": "/b"}),
        "/b": Response("<html><head><title>b</title></head><body>landing</body></html>", content_type="text/html"),
    }
    return expand


def ask(expand: LambdaFunction, query: dict[str, str], caller: dict[str, Any] = ANONYMOUS) -> HttpResponse:
    event = as_caller(load_event("expand", query=query), caller)
    event["requestContext"]["http"]["sourceIp"] = SOURCE_IP
    return expand(event)


def test_another_services_link_is_followed_and_then_answered_from_the_cache(
    expand_elsewhere: LambdaFunction, chain: ChainServer, store: LinkStore
) -> None:
    # GIVEN a third-party short link that redirects once to a page
    url = f"{chain.base}/a"
    # WHEN it is expanded twice
    first = ask(expand_elsewhere, {"url": url})
    second = ask(expand_elsewhere, {"url": url})
    # THEN the first answer followed it hop by hop, the second came from the table without any request
    assert first.status == 200, first.body
    body = first.json()
    assert [(h["url"], h["status"], h["location"], h["kind"]) for h in body["hops"]] == [
        (url, 301, f"{chain.base}/b", "http"),
        (f"{chain.base}/b", 200, None, "final"),
    ]
    assert (body["final_url"], body["final_status"], body["stopped"], body["cached"]) == (
        f"{chain.base}/b",
        200,
        None,
        False,
    )
    assert chain.seen == ["/a", "/b"]
    assert second.json()["cached"] is True
    assert second.json()["hops"] == body["hops"]
    assert second.json()["checked_at"] == body["checked_at"]
    assert chain.seen == ["/a", "/b"]
    cached = [item for item in store.items() if item["pk"]["S"].startswith("EXPAND#")]
    assert len(cached) == 1
    assert url not in cached[0]["pk"]["S"]  # keyed by a hash, never by the URL


def test_a_hop_through_one_of_our_links_is_read_from_the_table(
    expand_elsewhere: LambdaFunction, chain: ChainServer, store: LinkStore
) -> None:
    store.add("help", url=f"{chain.base}/b", redirect_type=301)
    chain.routes["/to-ours"] = Response(status=302, headers={"Location": "https://sho.rt/help"})

    body = ask(expand_elsewhere, {"url": f"{chain.base}/to-ours"}).json()

    assert [(h["kind"], h["status"]) for h in body["hops"]] == [("http", 302), ("ours", 301), ("final", 200)]
    assert body["hops"][1]["location"] == f"{chain.base}/b"
    assert chain.seen == ["/to-ours", "/b"]


def test_another_port_of_a_loopback_host_is_blocked_without_connecting(
    expand_elsewhere: LambdaFunction, chain: ChainServer
) -> None:
    chain.routes["/away"] = Response(status=301, headers={"Location": "http://127.0.0.1:9001/2018-06-01/runtime"})

    body = ask(expand_elsewhere, {"url": f"{chain.base}/away"}).json()

    assert body["stopped"] == "blocked_port"
    assert body["final_url"] == "http://127.0.0.1:9001/2018-06-01/runtime"
    assert [h["kind"] for h in body["hops"]] == ["http"]


def test_a_loopback_address_on_an_ordinary_port_is_blocked(expand_elsewhere: LambdaFunction) -> None:
    body = ask(expand_elsewhere, {"url": "http://127.0.0.2/"}).json()
    assert body["stopped"] == "blocked_address"
    assert body["hops"] == []


def test_anonymous_expansions_are_rate_limited_per_source_address(
    expand_elsewhere: LambdaFunction, chain: ChainServer
) -> None:
    answers = [ask(expand_elsewhere, {"url": f"{chain.base}/a"}) for _ in range(4)]

    assert [answer.status for answer in answers] == [200, 200, 200, 429]
    assert answers[-1].json()["error"]["code"] == "rate_limited"
    assert 1 <= int(answers[-1].headers["retry-after"]) <= 60


def test_a_key_holder_may_refresh_an_expansion_and_nobody_else_may(
    expand_elsewhere: LambdaFunction, chain: ChainServer
) -> None:
    url = f"{chain.base}/a"
    ask(expand_elsewhere, {"url": url})

    refreshed = ask(expand_elsewhere, {"url": url, "refresh": "true"}, key_context(MEMBER_ID))
    refused = ask(expand_elsewhere, {"url": url, "refresh": "true"})
    malformed = ask(expand_elsewhere, {"url": url, "refresh": "yes"}, key_context(MEMBER_ID))

    assert refreshed.json()["cached"] is False
    assert chain.seen == ["/a", "/b", "/a", "/b"]
    assert (refused.status, refused.json()["error"]["code"]) == (422, "validation_error")
    assert (malformed.status, malformed.json()["error"]["code"]) == (422, "validation_error")


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://127.0.0.1/x", "unsupported_scheme"),
        ("javascript:alert(1)", "unsupported_scheme"),
        ("https://user:pw@bit.example/x", "url_has_credentials"),
        ("https://bit.example/" + "a" * 2100, "validation_error"),
    ],
)
def test_a_url_no_browser_should_follow_is_refused(expand_elsewhere: LambdaFunction, url: str, code: str) -> None:
    response = ask(expand_elsewhere, {"url": url})
    assert (response.status, response.json()["error"]["code"]) == (422, code)


def test_without_a_short_base_url_only_the_request_host_is_ours(
    expand_elsewhere: LambdaFunction, chain: ChainServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a fresh stack: no domain registered, no SHORT_BASE_URL (short links live on the host asked)
    module = expand_elsewhere.module
    single = ShortDomains(replace(module.settings, short_base_url=None), module.domains._registry)
    monkeypatch.setattr(module, "domains", single)
    # WHEN another service's link is expanded
    body = ask(expand_elsewhere, {"url": f"{chain.base}/a"}).json()
    # THEN it is followed over HTTP, not mistaken for one of ours
    assert [h["kind"] for h in body["hops"]] == ["http", "final"]
    assert body["final_status"] == 200
