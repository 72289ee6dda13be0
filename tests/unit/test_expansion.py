"""Following any short link (domain/expansion.py): hops, stops, meta refreshes and script redirects, with fakes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shortlinks.domain.errors import StorageUnavailable
from shortlinks.domain.expansion import (
    CachePolicy,
    CheckedExpansion,
    Fetched,
    FetchRefused,
    HopKind,
    OurHop,
    StopReason,
    expand_url,
    follow,
    meta_refresh_target,
    script_redirect_target,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class FakeWeb:
    """Answers from a script of URL -> Fetched (or a refusal); records what was fetched and with what timeout."""

    def __init__(self, pages: dict[str, Fetched | StopReason]) -> None:
        self.pages = pages
        self.fetched: list[tuple[str, float]] = []

    def fetch(self, url: str, timeout: float) -> Fetched:
        self.fetched.append((url, timeout))
        answer = self.pages.get(url, Fetched(404))
        if isinstance(answer, StopReason):
            raise FetchRefused(answer)
        return answer


def not_ours(url: str) -> OurHop | None:
    return None


def redirect(location: str, status: int = 301) -> Fetched:
    return Fetched(status, location=location)


def test_a_chain_of_redirects_is_followed_to_the_page_it_reaches() -> None:
    # GIVEN a short link that redirects twice, once relatively, then reaches a page
    web = FakeWeb(
        {
            "https://sho.rt/a": redirect("https://mid.example/b", 301),
            "https://mid.example/b": redirect("/c?x=1", 302),
            "https://mid.example/c?x=1": Fetched(200, html="<html><head></head><body>hi</body></html>"),
        }
    )
    # WHEN it is expanded
    expansion = follow("https://sho.rt/a", web, not_ours)
    # THEN every hop is listed, relative locations resolved, and the chain completed
    assert [(h.url, h.status, h.location, h.kind) for h in expansion.hops] == [
        ("https://sho.rt/a", 301, "https://mid.example/b", HopKind.HTTP),
        ("https://mid.example/b", 302, "https://mid.example/c?x=1", HopKind.HTTP),
        ("https://mid.example/c?x=1", 200, None, HopKind.FINAL),
    ]
    assert expansion.final_url == "https://mid.example/c?x=1"
    assert expansion.final_status == 200
    assert expansion.stopped is None
    assert expansion.completed


def test_a_meta_refresh_is_a_hop_and_is_followed() -> None:
    page = '<html><head><meta http-equiv="Refresh" content="0; URL=\'/landing\'"></head></html>'
    web = FakeWeb({"https://a.example/": Fetched(200, html=page), "https://a.example/landing": Fetched(200)})
    expansion = follow("https://a.example/", web, not_ours)
    assert [h.kind for h in expansion.hops] == [HopKind.META_REFRESH, HopKind.FINAL]
    assert expansion.hops[0].location == "https://a.example/landing"
    assert expansion.final_url == "https://a.example/landing"


def test_a_script_redirect_is_reported_but_never_followed() -> None:
    page = '<html><head><script>window.location.href = "https://elsewhere.example/x";</script></head></html>'
    web = FakeWeb({"https://a.example/": Fetched(200, html=page)})
    expansion = follow("https://a.example/", web, not_ours)
    assert [(h.kind, h.location) for h in expansion.hops] == [(HopKind.JAVASCRIPT, "https://elsewhere.example/x")]
    assert [url for url, _ in web.fetched] == ["https://a.example/"]
    assert expansion.final_url == "https://a.example/"
    assert expansion.stopped is None


def test_a_loop_stops_at_the_first_url_seen_twice() -> None:
    web = FakeWeb({"https://a.example/": redirect("https://b.example/"), "https://b.example/": redirect("/x")})
    web.pages["https://b.example/x"] = redirect("https://a.example/")
    expansion = follow("https://a.example/", web, not_ours)
    assert expansion.stopped is StopReason.LOOP
    assert expansion.final_url == "https://a.example/"
    assert len(expansion.hops) == 3


def test_more_than_ten_hops_stop_the_chain() -> None:
    web = FakeWeb({f"https://a.example/{n}": redirect(f"/{n + 1}") for n in range(20)})
    expansion = follow("https://a.example/0", web, not_ours)
    assert expansion.stopped is StopReason.TOO_MANY_HOPS
    assert len(expansion.hops) == 10
    assert expansion.final_url == "https://a.example/10"
    assert len(web.fetched) == 10


@pytest.mark.parametrize(
    "reason",
    [
        StopReason.BLOCKED_ADDRESS,
        StopReason.BLOCKED_PORT,
        StopReason.TIMEOUT,
        StopReason.TOO_LARGE,
        StopReason.CONNECTION_FAILED,
    ],
)
def test_a_refused_fetch_stops_the_chain_at_the_last_url_reached(reason: StopReason) -> None:
    web = FakeWeb({"https://a.example/": redirect("https://b.example/"), "https://b.example/": reason})
    expansion = follow("https://a.example/", web, not_ours)
    assert expansion.stopped is reason
    assert expansion.final_url == "https://b.example/"
    assert expansion.final_status == 301
    assert [h.url for h in expansion.hops] == ["https://a.example/"]


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("javascript:alert(1)", StopReason.NOT_HTTP),
        ("ftp://files.example/x", StopReason.NOT_HTTP),
        ("data:text/html,hi", StopReason.NOT_HTTP),
        ("https://user:pw@evil.example/", StopReason.INVALID_LOCATION),
        ("http://[::1", StopReason.INVALID_LOCATION),
        ("https://exa mple.org/", StopReason.INVALID_LOCATION),
        ("   ", StopReason.INVALID_LOCATION),
    ],
)
def test_a_location_that_is_not_a_web_url_stops_the_chain(location: str, reason: StopReason) -> None:
    web = FakeWeb({"https://a.example/": redirect(location)})
    expansion = follow("https://a.example/", web, not_ours)
    assert expansion.stopped is reason
    assert expansion.hops[-1].location == location
    assert len(web.fetched) == 1


def test_a_numeric_spelling_of_a_host_is_made_canonical_before_the_next_hop() -> None:
    web = FakeWeb({"https://a.example/": redirect("http://0x7f000001/")})
    follow("https://a.example/", web, not_ours)
    assert web.fetched[1][0] == "http://127.0.0.1/"


def test_a_hop_through_one_of_our_links_is_resolved_without_fetching_it() -> None:
    def ours(url: str) -> OurHop | None:
        if url == "https://care.link/help":
            return OurHop(302, "https://help.example/")
        if url == "https://care.link/gone":
            return OurHop(410, None)
        return None

    web = FakeWeb({"https://bit.example/x": redirect("https://care.link/help"), "https://help.example/": Fetched(200)})
    expansion = follow("https://bit.example/x", web, ours)
    assert [(h.url, h.kind, h.status) for h in expansion.hops] == [
        ("https://bit.example/x", HopKind.HTTP, 301),
        ("https://care.link/help", HopKind.OURS, 302),
        ("https://help.example/", HopKind.FINAL, 200),
    ]
    assert "https://care.link/help" not in [url for url, _ in web.fetched]

    gone = follow("https://care.link/gone", web, ours)
    assert (gone.final_status, gone.stopped, gone.hops[0].kind) == (410, None, HopKind.OURS)


def test_the_whole_expansion_shares_one_deadline() -> None:
    # deadline set; hop 1: time left, sent, answered 6 s later; hop 2: time left (4 s), sent, answered
    ticks = iter([0.0, 0.0, 0.0, 6.0, 6.0, 6.0, 7.0])

    def clock() -> float:
        return next(ticks, 11.0)

    web = FakeWeb({"https://a.example/": redirect("https://b.example/"), "https://b.example/": Fetched(200)})
    expansion = follow("https://a.example/", web, not_ours, max_seconds=10, clock=clock)
    assert web.fetched[0][1] == 10
    assert web.fetched[1][1] == pytest.approx(4.0)
    assert expansion.hops[0].ms == 6000


def test_no_time_left_stops_before_any_fetch() -> None:
    web = FakeWeb({})
    expansion = follow("https://a.example/", web, not_ours, max_seconds=0)
    assert expansion.stopped is StopReason.TIMEOUT
    assert web.fetched == []


@pytest.mark.parametrize(
    ("html", "target"),
    [
        ('<meta http-equiv="refresh" content="0;url=https://x.example/">', "https://x.example/"),
        ("<META HTTP-EQUIV=REFRESH CONTENT='5; URL=/next'>", "/next"),
        ('<meta content="3, url=&quot;/q?a=1&amp;b=2&quot;" http-equiv="refresh">', "/q?a=1&b=2"),
        ('<meta http-equiv="refresh" content="0; https://bare.example/">', "https://bare.example/"),
        ('<meta http-equiv="refresh" content="30">', None),
        ('<meta name="refresh" content="0;url=/not-http-equiv">', None),
        ("<p>no refresh here</p>", None),
        ("<meta http-equiv='refresh' content='0;url=/a'><meta http-equiv='refresh' content='0;url=/b'>", "/a"),
        ("<<<meta http-equiv=refresh content='0;url=/broken'", None),
    ],
)
def test_meta_refresh_targets_are_read_as_browsers_write_them(html: str, target: str | None) -> None:
    assert meta_refresh_target(html) == target


@pytest.mark.parametrize(
    ("html", "target"),
    [
        ('<script>location.href="/x"</script>', "/x"),
        ("<script>window.location = 'https://y.example/'</script>", "https://y.example/"),
        (
            '<script type="text/javascript">\n  document.location.replace("https://z.example/");\n</script>',
            "https://z.example/",
        ),
        ('<script>location.replace("https://z.example/")</script>', "https://z.example/"),
        ('<script>top.location.assign("/w")</script>', "/w"),
        ("<script>var x = location.href;</script>", None),
        ('<p>location.href="/not-in-a-script"</p>', None),
    ],
)
def test_script_redirects_are_recognised_only_in_scripts(html: str, target: str | None) -> None:
    assert script_redirect_target(html) == target


class FakeCache:
    def __init__(self, fail_writes: bool = False) -> None:
        self.items: dict[str, tuple[CheckedExpansion, int]] = {}
        self.fail_writes = fail_writes

    def get(self, url: str, now: datetime) -> CheckedExpansion | None:
        found = self.items.get(url)
        return found[0] if found else None

    def put(self, checked: CheckedExpansion, ttl_seconds: int) -> None:
        if self.fail_writes:
            raise StorageUnavailable.because("test")
        self.items[checked.expansion.url] = (checked, ttl_seconds)


def test_an_expansion_is_cached_and_answered_from_the_cache_until_refreshed() -> None:
    web = FakeWeb({"https://a.example/": Fetched(200)})
    cache = FakeCache()
    made: list[int] = []

    def fetcher() -> FakeWeb:
        made.append(1)
        return web

    first = expand_url("https://a.example/", fetcher=fetcher, ours=not_ours, cache=cache, now=NOW)
    second = expand_url("https://a.example/", fetcher=fetcher, ours=not_ours, cache=cache, now=NOW)
    third = expand_url("https://a.example/", fetcher=fetcher, ours=not_ours, cache=cache, now=NOW, refresh=True)

    assert (first.cached, second.cached, third.cached) == (False, True, False)
    assert second.expansion == first.expansion
    assert len(web.fetched) == 2
    assert len(made) == 2  # no client is built for a cached answer
    assert cache.items["https://a.example/"][1] == CachePolicy().completed_seconds


def test_a_chain_that_stopped_early_is_cached_briefly() -> None:
    web = FakeWeb({"https://a.example/": StopReason.TIMEOUT})
    cache = FakeCache()
    policy = CachePolicy(completed_seconds=86400, failed_seconds=600)
    expand_url("https://a.example/", fetcher=lambda: web, ours=not_ours, cache=cache, now=NOW, policy=policy)
    assert cache.items["https://a.example/"][1] == 600


def test_a_cache_that_cannot_be_written_does_not_cost_the_answer() -> None:
    web = FakeWeb({"https://a.example/": Fetched(200)})
    checked = expand_url("https://a.example/", fetcher=lambda: web, ours=not_ours, cache=FakeCache(True), now=NOW)
    expansion = checked.expansion
    assert (expansion.final_url, expansion.final_status, expansion.stopped) == ("https://a.example/", 200, None)
    assert [(h.url, h.status, h.location, h.kind) for h in expansion.hops] == [
        ("https://a.example/", 200, None, HopKind.FINAL)
    ]
