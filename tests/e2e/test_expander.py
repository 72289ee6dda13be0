"""Expanding other services' links: ``GET /v1/expand?url=`` follows a chain of real HTTP servers on loopback.

The sites are ``chain_servers`` (chain_server.py): ``chain`` (127.0.0.1) is in the local server's
``EXPANDER_ALLOWED_ADDRESSES``, ``outsider`` (127.0.0.1, another port) is not. Each test scripts its own paths under
a fresh prefix, so no test sees another's requests, and the expansion cache never answers with another's chain.
"""

from __future__ import annotations

import functools
import re
import time
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.chain_server import ChainServer, ChainServers, Reply, unique_prefix
from tests.e2e.conftest import CreateLink, LocalServerProcess

pytestmark = pytest.mark.e2e

HopView = tuple[str, int | None, str | None, str]

CHECKED_AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
PAGE = "<html><head><title>The page</title></head><body>Where the link leads</body></html>"


@pytest.fixture
def chain(chain_servers: ChainServers) -> ChainServer:
    return chain_servers.allowed


@pytest.fixture
def prefix() -> str:
    return unique_prefix()


def expand(http: httpx.Client, url: str, **params: str) -> dict[str, Any]:
    response = http.get("/v1/expand", params={"url": url, **params})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert CHECKED_AT.match(answer["checked_at"]), answer["checked_at"]
    assert all(isinstance(hop["ms"], int) and hop["ms"] >= 0 for hop in answer["hops"]), answer["hops"]
    return answer


def hops(answer: dict[str, Any]) -> list[HopView]:
    """The hops without their timings: (url, status, location, kind)."""
    return [(hop["url"], hop["status"], hop["location"], hop["kind"]) for hop in answer["hops"]]


def outcome(answer: dict[str, Any]) -> dict[str, Any]:
    """Everything but the hops and the time of the check."""
    return {k: v for k, v in answer.items() if k not in ("hops", "checked_at")}


def redirects(chain: ChainServer, prefix: str, names: list[str], status: int = 302) -> list[str]:
    """Script ``names[0] -> names[1] -> ...`` as ``status`` redirects (the last one a page); their URLs."""
    urls = [chain.url(f"{prefix}/{name}") for name in names]
    for name, following in zip(names, urls[1:], strict=False):
        chain.script(f"{prefix}/{name}", Reply.redirect(status, following))
    chain.script(f"{prefix}/{names[-1]}", Reply.html(PAGE))
    return urls


def test_every_kind_of_redirect_is_followed_to_the_page(client: httpx.Client, chain: ChainServer, prefix: str) -> None:
    # GIVEN 301 -> 302 -> 307 -> 308 -> a page with a meta refresh (relative) -> the page
    url = {name: chain.url(f"{prefix}/{name}") for name in "abcdef"}
    for name, status, following in (("a", 301, "b"), ("b", 302, "c"), ("c", 307, "d"), ("d", 308, "e")):
        chain.script(f"{prefix}/{name}", Reply.redirect(status, url[following]))
    refresh = f'<html><head><meta http-equiv="refresh" content="0; url={prefix}/f"></head><body></body></html>'
    chain.script(f"{prefix}/e", Reply.html(refresh))
    chain.script(f"{prefix}/f", Reply.html(PAGE))

    # WHEN it is expanded
    answer = expand(client, url["a"])

    # THEN every hop is listed, and the chain ends on the page
    assert outcome(answer) == {
        "url": url["a"],
        "final_url": url["f"],
        "final_status": 200,
        "stopped": None,
        "cached": False,
    }
    assert hops(answer) == [
        (url["a"], 301, url["b"], "http"),
        (url["b"], 302, url["c"], "http"),
        (url["c"], 307, url["d"], "http"),
        (url["d"], 308, url["e"], "http"),
        (url["e"], 200, url["f"], "meta-refresh"),
        (url["f"], 200, None, "final"),
    ]
    assert chain.paths()[-6:] == [f"{prefix}/{name}" for name in "abcdef"]


def test_a_loop_stops_where_it_comes_back(client: httpx.Client, chain: ChainServer, prefix: str) -> None:
    a, b = chain.url(f"{prefix}/a"), chain.url(f"{prefix}/b")
    chain.script(f"{prefix}/a", Reply.redirect(302, b))
    chain.script(f"{prefix}/b", Reply.redirect(302, a))

    answer = expand(client, a)

    assert outcome(answer) == {"url": a, "final_url": a, "final_status": 302, "stopped": "loop", "cached": False}
    assert hops(answer) == [(a, 302, b, "http"), (b, 302, a, "http")]
    assert [path for path in chain.paths() if path.startswith(prefix)] == [f"{prefix}/a", f"{prefix}/b"]


def test_eleven_redirects_stop_after_ten_hops(client: httpx.Client, chain: ChainServer, prefix: str) -> None:
    # GIVEN h1 -> h2 -> ... -> h12: eleven redirects before the page
    urls = redirects(chain, prefix, [f"h{n}" for n in range(1, 13)])

    answer = expand(client, urls[0])

    # THEN ten hops are made; the eleventh URL is named but never requested
    assert outcome(answer) == {
        "url": urls[0],
        "final_url": urls[10],
        "final_status": 302,
        "stopped": "too_many_hops",
        "cached": False,
    }
    assert hops(answer) == [(urls[n], 302, urls[n + 1], "http") for n in range(10)]
    assert [path for path in chain.paths() if path.startswith(prefix)] == [f"{prefix}/h{n}" for n in range(1, 11)]


def test_ten_hops_are_still_followed(client: httpx.Client, chain: ChainServer, prefix: str) -> None:
    urls = redirects(chain, prefix, [f"h{n}" for n in range(1, 11)])  # nine redirects and the page

    answer = expand(client, urls[0])

    assert answer["stopped"] is None
    assert (answer["final_url"], answer["final_status"]) == (urls[9], 200)
    assert [hop["kind"] for hop in answer["hops"]] == ["http"] * 9 + ["final"]


@pytest.mark.parametrize(
    ("location", "reached", "stopped"),
    [
        # An allowed address on another port stays blocked: only exact ip:port pairs are let through.
        pytest.param("{outsider}/x", "{outsider}/x", "blocked_port", id="allowed-ip-on-another-port"),
        pytest.param(
            "http://127.0.0.1:9001/2018-06-01/runtime/invocation/next",
            "http://127.0.0.1:9001/2018-06-01/runtime/invocation/next",
            "blocked_port",
            id="lambda-runtime-api",
        ),
        pytest.param("http://127.0.0.2/", "http://127.0.0.2/", "blocked_address", id="loopback-on-port-80"),
        pytest.param("http://0x7f000001/admin", "http://127.0.0.1/admin", "blocked_address", id="hex-loopback"),
        pytest.param("http://[::1]/", "http://[::1]/", "blocked_address", id="ipv6-loopback"),
        pytest.param("http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "blocked_address", id="ipv4-mapped"),
    ],
)
def test_a_location_into_a_blocked_address_stops_without_connecting(
    client: httpx.Client,
    chain: ChainServer,
    chain_servers: ChainServers,
    prefix: str,
    location: str,
    reached: str,
    stopped: str,
) -> None:
    outsider = chain_servers.outsider
    location, reached = (text.format(outsider=outsider.origin) for text in (location, reached))
    start = chain.script(f"{prefix}/start", Reply.redirect(302, location))

    answer = expand(client, start)

    assert outcome(answer) == {
        "url": start,
        "final_url": reached,
        "final_status": 302,
        "stopped": stopped,
        "cached": False,
    }
    assert hops(answer) == [(start, 302, reached, "http")]
    assert outsider.connections == 0


def test_a_meta_refresh_is_held_to_the_guard_too(
    client: httpx.Client, chain: ChainServer, chain_servers: ChainServers, prefix: str
) -> None:
    outsider = chain_servers.outsider.url(f"{prefix}/x")
    page = f'<html><head><meta http-equiv="refresh" content="0;URL=\'{outsider}\'"></head></html>'
    start = chain.script(f"{prefix}/start", Reply.html(page))

    answer = expand(client, start)

    assert answer["stopped"] == "blocked_port"
    assert hops(answer) == [(start, 200, outsider, "meta-refresh")]
    assert chain_servers.outsider.connections == 0


def test_a_blocked_url_given_directly_is_never_requested(
    client: httpx.Client, chain_servers: ChainServers, prefix: str
) -> None:
    url = chain_servers.outsider.url(f"{prefix}/direct")

    answer = expand(client, url)

    assert outcome(answer) == {
        "url": url,
        "final_url": url,
        "final_status": None,
        "stopped": "blocked_port",
        "cached": False,
    }
    assert answer["hops"] == []
    assert chain_servers.outsider.connections == 0


def test_relative_locations_are_resolved_against_the_hop(client: httpx.Client, chain: ChainServer, prefix: str) -> None:
    url = {
        "page": chain.url(f"{prefix}/dir/page"),
        "up": chain.url(f"{prefix}/up"),
        "next": chain.url(f"{prefix}/next"),
        "sibling": chain.url(f"{prefix}/sibling?from=next"),
        "end": chain.url(f"{prefix}/end"),
    }
    chain.script(f"{prefix}/dir/page", Reply.redirect(301, "../up"))
    chain.script(f"{prefix}/up", Reply.redirect(302, f"{prefix}/next"))
    chain.script(f"{prefix}/next", Reply.redirect(307, "sibling?from=next"))
    chain.script(f"{prefix}/sibling?from=next", Reply.redirect(308, f"//{chain.address}{prefix}/end"))
    chain.script(f"{prefix}/end", Reply.html(PAGE))

    answer = expand(client, url["page"])

    assert answer["stopped"] is None
    assert hops(answer) == [
        (url["page"], 301, url["up"], "http"),
        (url["up"], 302, url["next"], "http"),
        (url["next"], 307, url["sibling"], "http"),
        (url["sibling"], 308, url["end"], "http"),
        (url["end"], 200, None, "final"),
    ]


def test_a_server_slower_than_the_read_timeout_stops_the_chain(
    client: httpx.Client, chain: ChainServer, prefix: str
) -> None:
    # The fetcher's read timeout (5 s) is fixed: no setting lowers it for tests, so this test waits it out. The
    # server stays silent 5.5 s, just past it (the whole expansion's 10 s cap is not reached).
    slow = chain.script(f"{prefix}/slow", Reply(200, {"Content-Type": "text/html"}, PAGE.encode(), delay=5.5))
    start = chain.script(f"{prefix}/start", Reply.redirect(302, slow))

    started = time.monotonic()
    answer = expand(client, start)
    elapsed = time.monotonic() - started

    assert outcome(answer) == {
        "url": start,
        "final_url": slow,
        "final_status": 302,
        "stopped": "timeout",
        "cached": False,
    }
    assert hops(answer) == [(start, 302, slow, "http")]
    assert 4.5 < elapsed < 8, elapsed
    assert f"{prefix}/slow" in chain.paths()  # it was reached, and did not answer in time


def _endless_page() -> Iterator[bytes]:
    """An HTML page whose head never ends: 16 MiB, or until the reader hangs up."""
    yield b"<!doctype html><html><head><title>Big</title>"
    filler = b"<!-- " + b"x" * (64 * 1024 - 9) + b" -->"
    for _ in range(256):
        yield filler


@functools.cache
def _gzip_bomb() -> bytes:
    """128 MiB of an HTML head that never ends, gzip-compressed to about 130 KB."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: the gzip format
    parts = [compressor.compress(b"<!doctype html><html><head><title>Bomb</title>")]
    parts += [compressor.compress(b" " * (1 << 20)) for _ in range(128)]
    parts.append(compressor.flush())
    return b"".join(parts)


@pytest.mark.parametrize("body", ["huge", "gzip-bomb"])
def test_a_page_too_large_to_read_stops_the_chain_quickly(
    client: httpx.Client, chain: ChainServer, prefix: str, body: str
) -> None:
    if body == "huge":
        reply = Reply(200, {"Content-Type": "text/html"}, stream=_endless_page)
    else:
        bomb = _gzip_bomb()
        assert len(bomb) < 256 * 1024  # small on the wire, 128 MiB once inflated
        reply = Reply(200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, bomb)
    page = chain.script(f"{prefix}/page", reply)
    start = chain.script(f"{prefix}/start", Reply.redirect(301, page))

    started = time.monotonic()
    answer = expand(client, start)
    elapsed = time.monotonic() - started

    assert outcome(answer) == {
        "url": start,
        "final_url": page,
        "final_status": 301,
        "stopped": "too_large",
        "cached": False,
    }
    assert hops(answer) == [(start, 301, page, "http")]
    assert elapsed < 3, elapsed


def test_a_script_redirect_is_reported_not_followed(client: httpx.Client, chain: ChainServer, prefix: str) -> None:
    page = f'<html><head><title>Moved</title></head><body><script>location.href="{prefix}/x"</script></body></html>'
    start = chain.script(f"{prefix}/start", Reply.html(page))
    chain.script(f"{prefix}/x", Reply.html(PAGE))

    answer = expand(client, start)

    assert outcome(answer) == {"url": start, "final_url": start, "final_status": 200, "stopped": None, "cached": False}
    assert hops(answer) == [(start, 200, chain.url(f"{prefix}/x"), "javascript")]
    assert f"{prefix}/x" not in chain.paths()


def test_a_second_expansion_is_answered_from_the_cache_until_a_key_holder_refreshes(
    client: httpx.Client, anonymous: httpx.Client, chain: ChainServer, prefix: str
) -> None:
    start, end = redirects(chain, prefix, ["start", "end"], status=301)

    # GIVEN an expansion made once
    first = expand(client, start)
    assert first["cached"] is False

    # WHEN anyone expands the same URL again, THEN the same chain comes from the cache, without a request
    second = expand(anonymous, start)
    assert second == first | {"cached": True}
    assert chain.paths().count(f"{prefix}/start") == 1

    # WHEN a key holder asks for a refresh, THEN the chain is followed again
    refreshed = expand(client, start, refresh="true")
    assert refreshed["cached"] is False
    assert hops(refreshed) == hops(first) == [(start, 301, end, "http"), (end, 200, None, "final")]
    assert refreshed["checked_at"] >= first["checked_at"]
    assert chain.paths().count(f"{prefix}/start") == 2

    # AND a refresh without a key is refused
    refused = anonymous.get("/v1/expand", params={"url": start, "refresh": "true"})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "validation_error"
    assert [detail["field"] for detail in refused.json()["error"]["details"]] == ["refresh"]
    assert chain.paths().count(f"{prefix}/start") == 2


def test_a_hop_through_one_of_our_links_is_resolved_from_the_table(
    client: httpx.Client,
    create_link: CreateLink,
    chain: ChainServer,
    chain_servers: ChainServers,
    local_server: LocalServerProcess,
    prefix: str,
) -> None:
    # Our own links may not lead to our own host (127.0.0.1), so the link leads to the IPv6 loopback site.
    if chain_servers.allowed_v6 is None:
        pytest.skip("this machine has no IPv6 loopback")
    landing = chain_servers.allowed_v6.script(f"{prefix}/landing", Reply.html(PAGE))
    link = create_link(url=landing)
    start = chain.script(f"{prefix}/start", Reply.redirect(301, link["short_url"]))

    answer = expand(client, start)

    assert outcome(answer) == {
        "url": start,
        "final_url": landing,
        "final_status": 200,
        "stopped": None,
        "cached": False,
    }
    assert hops(answer) == [
        (start, 301, link["short_url"], "http"),
        (link["short_url"], 302, landing, "ours"),
        (landing, 200, None, "final"),
    ]
    assert answer["hops"][1]["ms"] == 0
    assert f"GET /{link['code']} " not in local_server.log_path.read_text(errors="replace")  # no HTTP to ourselves


def test_requests_carry_an_honest_user_agent_and_nothing_of_the_caller(
    client: httpx.Client, chain: ChainServer, prefix: str
) -> None:
    # GIVEN a site that sets a cookie on its redirect, expanded by a caller who sends an API key
    end = chain.url(f"{prefix}/end")
    start = chain.script(f"{prefix}/start", Reply.redirect(302, end, **{"Set-Cookie": "session=s3cret; Path=/"}))
    chain.script(f"{prefix}/end", Reply.html(PAGE))

    expand(client, start)

    # THEN each request names the service, and carries no cookie, no credential, no body
    seen = [request for request in chain.received if request.path.startswith(prefix)]
    assert [request.path for request in seen] == [f"{prefix}/start", f"{prefix}/end"]
    for request in seen:
        assert "shortlinks" in request.headers["user-agent"]
        assert not {"cookie", "authorization", "x-api-key", "proxy-authorization"} & request.headers.keys()
        assert request.headers["host"] == chain.address
        assert request.headers.get("content-length", "0") == "0"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        pytest.param("ftp://{chain}/file", "unsupported_scheme", id="ftp"),
        pytest.param("javascript:alert(1)", "unsupported_scheme", id="javascript"),
        pytest.param("http://user:secret@{chain}/x", "url_has_credentials", id="credentials"),
        pytest.param("http:///x", "validation_error", id="no-host"),
        pytest.param("http://{chain}/" + "a" * 2049, "validation_error", id="over-2048-characters"),
    ],
)
def test_bad_input_is_refused_before_anything_is_fetched(
    client: httpx.Client, chain: ChainServer, url: str, code: str
) -> None:
    connections = chain.connections

    response = client.get("/v1/expand", params={"url": url.format(chain=chain.address)})

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
    assert chain.connections == connections
