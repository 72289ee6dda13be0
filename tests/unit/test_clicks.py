"""Click records (domain/clicks.py): parsing what the redirect wrote, classifying it, adding it to a rollup."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from local.template import ROOT
from shortlinks.domain import click_format as wire
from shortlinks.domain.clicks import (
    DIRECT,
    MAX_USER_AGENT_LENGTH,
    UNKNOWN,
    ClassifiedClick,
    ClickKind,
    ClickRecord,
    DeviceType,
    add_to_rollup,
    batch_totals,
    classify,
    count_clicks,
    parse_click,
)
from shortlinks.domain.rollups import BucketCounts, BucketKey, Granularity, Rollup, Scope, ScopeKind

TS = 1796116443.118  # 2026-12-01T09:14:03.118Z
DAY, HOUR = "2026-12-01", "2026-12-01T09"
DOMAIN = "sho.rt"
CODE = "AbC1234"
VISITOR = "3f2a9c0d1e4b5a67"
OWNER = "key_Campaigns001"

CHROME_DESKTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1"
)
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
    "Mobile Safari/537.36"
)
CHROME_ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
SAFARI_IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
    "Mobile/15E148 Safari/604.1"
)
PINTEREST_APP = (  # a person in Pinterest's in-app browser, not Pinterest's preview fetcher
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 [Pinterest/iOS]"
)

PREVIEW_AGENTS = [
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Twitterbot/1.0",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 "
    "Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",  # iMessage
    "WhatsApp/2.23.20.0 A",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "TelegramBot (like TwitterBot)",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 "
    "Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com",
    "Iframely/1.3.1 (+https://iframely.com/docs/about)",
    "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)",
    "Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)",
    "Pinterest/0.2 (+https://www.pinterest.com/bot.html)",
    "Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)",
]
BOT_AGENTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "curl/8.5.0",
    "python-requests/2.32.3",
]


LONG_NAMES = {long: short for short, long in wire.FORMAT_1_NAMES.items()}
FIELDS: dict[str, Any] = {
    "method": "GET",
    "code": CODE,
    "domain": DOMAIN,
    "status": 302,
    "referrer_host": "t.co",
    "user_agent": CHROME_DESKTOP,
    "country": "FR",
    "visitor": VISITOR,
}


def ms(ts: float) -> int:
    """A log event's ``timestamp``: epoch milliseconds."""
    return round(ts * 1000)


def line(**fields: Any) -> str:
    """A click record as the redirect writes it (format 4, domain/click_format.py ``line``), its fields named by
    their long names and replaced by ``fields`` (``None`` leaves one out)."""
    return wire.line({LONG_NAMES[name]: value for name, value in (FIELDS | fields).items()})


def format_3_line(**fields: Any) -> str:
    """A click record as the redirect wrote it in format 3: format 4's, the user agent as it came."""
    record: dict[str, Any] = {"click": 3}
    record.update((LONG_NAMES[name], value) for name, value in (FIELDS | fields).items() if value is not None)
    if record.get("m") == "GET":
        del record["m"]
    return json.dumps(record, separators=(",", ":"))


def format_2_line(**fields: Any) -> str:
    """A click record as the redirect wrote it in format 2: its own time and request id, the method always."""
    record = {"click": 2, "t": TS, "id": "8Zq1hQ2aIAMEVXA="}
    record.update((LONG_NAMES[name], value) for name, value in (FIELDS | fields).items() if value is not None)
    return json.dumps(record, separators=(",", ":"))


def format_1_line(**fields: Any) -> str:
    """A click record as the redirect wrote it in format 1, long names and nulls included."""
    record: dict[str, Any] = {"record": "click", "ts": TS, "request_id": "8Zq1hQ2aIAMEVXA="} | FIELDS | fields
    return json.dumps(record, separators=(",", ":"))


def parsed(message: str, ts: float = TS) -> ClickRecord | None:
    """``parse_click`` of a log event holding ``message``, logged at ``ts``."""
    return parse_click(message, ms(ts))


def click(**fields: Any) -> ClickRecord:
    record = parsed(line(**fields))
    assert record is not None
    return record


def agent_read(message: str) -> str | None:
    """The user agent the aggregator reads in ``message``, a click record."""
    record = parsed(message)
    assert record is not None
    return record.user_agent


def classified(ts: float = TS, **fields: Any) -> ClassifiedClick:
    record = parsed(line(**fields), ts)
    assert record is not None
    return classify(record)


class FakeLinkOwners:
    """``LinkOwners`` over a dict: the links that exist, and their owners."""

    def __init__(self, owners: dict[Scope, str | None]) -> None:
        self._owners = owners
        self.asked: list[list[Scope]] = []

    def owners(self, links: Iterable[Scope]) -> dict[Scope, str | None]:
        asked = list(links)
        self.asked.append(asked)
        return {link: self._owners[link] for link in asked if link in self._owners}


LINK = Scope.link(DOMAIN, CODE)


def key(scope: Scope, granularity: Granularity, start: str = "") -> BucketKey:
    return BucketKey(scope, granularity, start)


# --- parse_click -------------------------------------------------------------------------------------------------


def test_a_redirect_record_parses_with_every_field_and_its_log_events_time() -> None:
    record = parsed(line())  # CloudWatch Logs keeps the newline the redirect wrote

    assert record == ClickRecord(
        ts=TS,
        method="GET",
        code=CODE,
        domain=DOMAIN,
        status=302,
        referrer_host="t.co",
        user_agent=CHROME_DESKTOP,
        country="FR",
        visitor=VISITOR,
    )
    assert record.at == datetime(2026, 12, 1, 9, 14, 3, 118000, tzinfo=UTC)


def test_a_format_4_record_carries_no_time_no_request_id_and_no_get_and_its_agents_boilerplate_as_tokens() -> None:
    # WHEN the redirect writes the record of a GET
    record = json.loads(line())

    # THEN the log event's timestamp is its time, GET is what an absent method means, and the user agent's phrases
    # are two characters each (domain/click_format.py AGENT_PHRASES 0 and 1 around Chrome's version)
    assert record == {"click": 4, "c": CODE, "d": DOMAIN, "s": 302, "ref": "t.co", "ua": "~0131~1", "cc": "FR",
                      "v": VISITOR}  # fmt: skip
    assert line().endswith("}\n")
    assert line(method="HEAD").startswith('{"click":4,"m":"HEAD",')
    assert parsed(line(method="HEAD")) == replace(click(), method="HEAD")


@pytest.mark.parametrize(
    "agent",
    [CHROME_DESKTOP, SAFARI_IPHONE, CHROME_ANDROID, CHROME_ANDROID_TABLET, SAFARI_IPAD, PINTEREST_APP, "",
     "~", "~~~0", "SemrushBot/7~bl", *PREVIEW_AGENTS, *BOT_AGENTS],
    ids=lambda agent: agent[:40],
)  # fmt: skip
def test_a_format_4_record_is_read_and_classified_exactly_as_the_same_format_3_record(agent: str) -> None:
    # GIVEN one request's record as format 4 writes it, and as format 3 wrote it (the agent as it came)
    written, before = line(user_agent=agent), format_3_line(user_agent=agent)
    assert json.loads(before)["click"] == 3

    # WHEN the aggregator reads each
    # THEN they are the same click, the same agent, and count the same way
    record, record_before = parsed(written), parsed(before)
    assert record is not None
    assert record_before == record
    assert record.user_agent == (agent or None)
    assert classify(record) == classify(record_before)


def test_a_format_3_record_written_during_a_deployment_is_read_with_its_agent_as_it_is() -> None:
    # GIVEN a format 3 record whose agent happens to hold what format 4 would read as a token
    # WHEN the aggregator reads it  THEN the agent is taken as written: only format 4's is decoded
    assert agent_read(format_3_line(user_agent="curl ~0 ~~")) == "curl ~0 ~~"


def test_a_format_4_agent_within_the_bound_as_written_but_beyond_it_decoded_is_not_a_click() -> None:
    # GIVEN an agent of tokens only: 512 characters written, far more decoded (the redirect writes at most 256)
    record = json.loads(line())
    record["ua"] = "~0" * 256

    # WHEN the aggregator reads it  THEN the line did not come from the redirect
    assert parsed(json.dumps(record)) is None
    assert parsed(json.dumps(record | {"ua": "~0131~1"})) is not None


def test_a_256_character_agent_of_tildes_written_as_512_is_still_a_click() -> None:
    # GIVEN the longest agent the redirect keeps (256 characters), every one a "~": written doubled
    written = line(user_agent="~" * 256)
    assert len(json.loads(written)["ua"]) == 512 == MAX_USER_AGENT_LENGTH

    # WHEN the aggregator reads it  THEN it is the agent as received
    assert agent_read(written) == "~" * 256


def test_a_format_3_records_time_is_its_log_events_to_the_millisecond() -> None:
    assert parse_click(line(), 1796169600000) == replace(click(), ts=1796169600.0)
    assert parse_click(line(), 1796169599999.0) is not None  # a float of whole milliseconds is a timestamp too


@pytest.mark.parametrize("event_ms", [None, "1796116443118", True, -1, 1e20, float("nan"), float("inf")], ids=repr)
def test_a_format_3_record_without_a_valid_log_event_time_is_not_a_click(event_ms: object) -> None:
    assert parse_click(line(), event_ms) is None


def test_format_2_and_format_1_records_written_during_a_deployment_keep_their_own_time() -> None:
    # GIVEN the same request's record as versions before format 3 wrote it, logged a second later
    later = TS + 1.0

    # WHEN the aggregator reads them with their log events' time
    # THEN each is the same click, at the time the record itself says, as the format 3 line is at its event's time
    assert parsed(format_2_line(), later) == parsed(format_1_line(), later) == parsed(line(), TS) is not None
    assert parse_click(format_2_line()) == parse_click(format_1_line()) is not None  # no event time needed


def test_the_format_3_line_is_shorter_than_format_2_by_its_time_request_id_and_method() -> None:
    assert len(format_3_line()) == len(format_2_line()) - len(f'"t":{TS},"id":"8Zq1hQ2aIAMEVXA=","m":"GET",')


def test_the_format_4_line_is_shorter_than_format_3_by_its_agents_phrases_less_their_tokens() -> None:
    assert len(line()) == len(format_3_line()) + 1 - len(CHROME_DESKTOP) + len("~0131~1")


@pytest.mark.parametrize(
    "marker", ['"click":"3"', '"click":true', '"click":1', '"click":5', '"record":"clicks"'], ids=lambda m: m
)
def test_a_line_without_a_known_format_marker_is_not_a_click(marker: str) -> None:
    fields = f'"t":{TS},"id":"r","m":"GET","c":"{CODE}","d":"{DOMAIN}","s":302'

    assert parsed(f"{{{marker},{fields}}}") is None
    assert parsed(f'{{"click":4,{fields}}}') is not None
    assert parsed(f'{{"click":3,{fields}}}') is not None
    assert parsed(f'{{"click":2,{fields}}}') is not None


def test_a_record_without_a_visitor_field_is_still_a_click() -> None:
    record = parsed(line(visitor=None))

    assert record is not None
    assert record.visitor is None


def test_unknown_fields_are_ignored_so_the_redirect_may_add_some() -> None:
    assert parsed(line().replace("{", '{"new_field":{"nested":true},', 1)) is not None


@pytest.mark.parametrize(
    "message",
    [
        "",
        "not json",
        "[1, 2]",
        '{"click": 3',
        json.dumps({"level": "INFO", "message": "redirect failed"}),
        line(status="302"),
        line(status=True),
        line(status=302.0),
        line(status=99),
        line(code=None),
        line(code=7),
        line(code="x" * 65),
        line(domain=""),
        line(domain="d" * 254),
        line(method=["GET"]),
        line(user_agent=12),
        line(user_agent="u" * 513),
        line(referrer_host={"host": "t.co"}),
        line(country=["FR"]),
        line(visitor="3F2A9C0D1E4B5A67"),
        line(visitor="3f2a9c0d"),
        line(visitor=1234567890123456),
        line(user_agent="u" * 500, referrer_host="r" * 253) + " " * 4000,
        format_1_line(record="visit"),
        format_1_line(ts="1796116443.118"),
        format_1_line(ts=True),
        format_1_line(ts=-1),
        format_1_line(ts=1e20),
        format_1_line(status="302"),
        format_1_line(method=None),
        format_2_line().replace(f'"t":{TS}', '"t":"now"'),
        format_2_line().replace(f'"t":{TS},', ""),
        format_2_line(method=None),
    ],
    ids=lambda message: message[:40],
)
def test_a_line_that_is_not_a_valid_click_record_is_none(message: str) -> None:
    assert parsed(message) is None


def test_nan_is_not_a_timestamp() -> None:
    assert parsed(format_1_line().replace(f'"ts":{TS}', '"ts":NaN')) is None
    assert parsed(format_2_line().replace(f'"t":{TS}', '"t":NaN')) is None


# --- classify: what a record counts as ----------------------------------------------------------------------------


def test_a_head_request_is_a_preview_whatever_asked() -> None:
    assert classified(method="HEAD").kind is ClickKind.PREVIEW
    assert classified(method="HEAD", user_agent=None).kind is ClickKind.PREVIEW


@pytest.mark.parametrize("agent", PREVIEW_AGENTS, ids=lambda agent: agent[:30])
def test_each_link_preview_agent_is_a_preview_not_a_bot(agent: str) -> None:
    click = classified(user_agent=agent)

    assert click.kind is ClickKind.PREVIEW
    assert click.visitor is None


@pytest.mark.parametrize("agent", BOT_AGENTS, ids=lambda agent: agent[:30])
def test_crawlers_are_bots(agent: str) -> None:
    click = classified(user_agent=agent)

    assert click.kind is ClickKind.BOT
    assert click.device == DeviceType.BOT
    assert click.visitor is None


@pytest.mark.parametrize("agent", [None, "", "   "])
def test_a_click_without_a_user_agent_is_a_bot(agent: str | None) -> None:
    click = classified(user_agent=agent)

    assert (click.kind, click.device, click.browser, click.os) == (ClickKind.BOT, "bot", UNKNOWN, UNKNOWN)


@pytest.mark.parametrize(
    ("agent", "device", "browser", "os"),
    [
        (CHROME_DESKTOP, "desktop", "Chrome", "Windows"),
        (SAFARI_IPHONE, "mobile", "Mobile Safari", "iOS"),
        (CHROME_ANDROID, "mobile", "Chrome Mobile", "Android"),
        (CHROME_ANDROID_TABLET, "tablet", "Chrome", "Android"),
        (SAFARI_IPAD, "tablet", "Mobile Safari", "iOS"),
        (PINTEREST_APP, "mobile", "Pinterest", "iOS"),
    ],
    ids=["desktop-chrome", "iphone-safari", "android-phone", "android-tablet", "ipad", "pinterest-in-app"],
)
def test_people_are_humans_with_their_device_browser_and_os(agent: str, device: str, browser: str, os: str) -> None:
    click = classified(user_agent=agent)

    assert click.kind is ClickKind.HUMAN
    assert (click.device, click.browser, click.os) == (device, browser, os)
    assert click.visitor == VISITOR


def test_an_agent_nothing_recognises_is_a_human_on_an_unknown_device() -> None:
    click = classified(user_agent="SomethingNew/1.0")

    assert (click.kind, click.device, click.browser, click.os) == (ClickKind.HUMAN, "other", UNKNOWN, UNKNOWN)


def test_the_referrer_is_the_recorded_host_or_direct() -> None:
    assert classified(referrer_host="T.CO").referrer == "t.co"
    assert classified(referrer_host=None).referrer == DIRECT
    assert classified(referrer_host="").referrer == DIRECT


@pytest.mark.parametrize(("country", "expected"), [("FR", "FR"), ("de", "DE"), (None, UNKNOWN), ("XYZ", UNKNOWN)])
def test_the_country_is_the_viewer_country_or_unknown(country: str | None, expected: str) -> None:
    assert classified(country=country).country == expected


@pytest.mark.parametrize("status", [404, 410])
def test_not_found_and_gone_are_misses_whatever_asked(status: int) -> None:
    assert classified(status=status).kind is ClickKind.MISS
    assert classified(status=status, method="HEAD", user_agent=BOT_AGENTS[0]).kind is ClickKind.MISS


@pytest.mark.parametrize(
    "fields",
    [{"status": 503}, {"status": 200}, {"status": 400}, {"method": "POST"}, {"code": ""}, {"code": "", "status": 404}],
    ids=["unavailable", "ok", "bad-request", "post", "domain-root", "domain-root-404"],
)
def test_other_records_are_ignored(fields: dict[str, Any]) -> None:
    assert classified(**fields).kind is ClickKind.IGNORED


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_every_redirect_status_is_a_click(status: int) -> None:
    assert classified(status=status).kind is ClickKind.HUMAN


def test_only_humans_carry_a_visitor_id() -> None:
    assert classified().visitor == VISITOR
    assert classified(user_agent=BOT_AGENTS[0]).visitor is None
    assert classified(user_agent=PREVIEW_AGENTS[0]).visitor is None
    assert classified(status=404).visitor is None


def test_the_module_imports_neither_user_agent_package_until_it_classifies() -> None:
    code = (
        "import sys; import shortlinks.domain.clicks; "
        "print(sorted(m for m in sys.modules if m.startswith(('crawlerdetect', 'ua_parser'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT / "functions", capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"


# --- add_to_rollup: which buckets a record adds to ----------------------------------------------------------------


def counters(counts: BucketCounts) -> tuple[int, int, int, int]:
    return counts.human, counts.bots, counts.previews, counts.misses


def test_a_human_click_counts_on_the_links_hour_day_and_total_its_owners_day_and_its_domains_day() -> None:
    rollup = Rollup()

    add_to_rollup(rollup, classified(), OWNER)

    assert set(rollup.buckets) == {
        key(LINK, Granularity.HOUR, HOUR),
        key(LINK, Granularity.DAY, DAY),
        key(LINK, Granularity.TOTAL),
        key(Scope.of_owner(OWNER), Granularity.DAY, DAY),
        key(Scope.of_domain(DOMAIN), Granularity.DAY, DAY),
    }
    assert all(counters(counts) == (1, 0, 0, 0) for counts in rollup.buckets.values())


def test_the_links_day_holds_the_breakdowns_and_the_visitor() -> None:
    rollup = Rollup()

    add_to_rollup(rollup, classified(user_agent=SAFARI_IPHONE, referrer_host=None, country="CA"), None)

    day = rollup.buckets[key(LINK, Granularity.DAY, DAY)]
    assert day.breakdowns == {
        "referrers": {DIRECT: 1},
        "countries": {"CA": 1},
        "devices": {"mobile": 1},
        "browsers": {"Mobile Safari": 1},
        "os": {"iOS": 1},
        "sources": {"link": 1},
    }
    assert day.visitors == {VISITOR}
    assert not rollup.buckets[key(LINK, Granularity.HOUR, HOUR)].breakdowns  # hours count, nothing more
    assert not rollup.buckets[key(LINK, Granularity.HOUR, HOUR)].visitors


def test_an_anonymous_links_click_has_no_owner_bucket() -> None:
    rollup = Rollup()

    add_to_rollup(rollup, classified(), None)

    assert all(bucket.scope.kind is not ScopeKind.OWNER for bucket in rollup.buckets)


def test_the_owners_day_counts_clicks_per_link() -> None:
    rollup = Rollup()

    variants: list[dict[str, Any]] = [{}, {"user_agent": BOT_AGENTS[0]}, {"code": "help"}, {"method": "HEAD"}]
    for fields in variants:
        add_to_rollup(rollup, classified(**fields), OWNER)

    owner_day = rollup.buckets[key(Scope.of_owner(OWNER), Granularity.DAY, DAY)]
    assert counters(owner_day) == (2, 1, 1, 0)
    assert owner_day.links == {f"{DOMAIN}/{CODE}": 2, f"{DOMAIN}/help": 1}  # clicks: previews are not


def test_a_bot_click_counts_in_the_breakdowns_but_brings_no_visitor() -> None:
    rollup = Rollup()

    add_to_rollup(rollup, classified(user_agent=BOT_AGENTS[0]), None)

    day = rollup.buckets[key(LINK, Granularity.DAY, DAY)]
    assert counters(day) == (0, 1, 0, 0)
    assert day.breakdowns["devices"] == {"bot": 1}
    assert day.visitors == set()
    assert counters(rollup.buckets[key(LINK, Granularity.TOTAL)]) == (0, 1, 0, 0)


def test_a_preview_counts_on_the_links_buckets_but_not_its_total_nor_its_breakdowns() -> None:
    rollup = Rollup()

    add_to_rollup(rollup, classified(method="HEAD"), OWNER)

    assert key(LINK, Granularity.TOTAL) not in rollup.buckets
    day = rollup.buckets[key(LINK, Granularity.DAY, DAY)]
    assert counters(day) == (0, 0, 1, 0)
    assert not day.breakdowns
    assert not day.visitors
    assert counters(rollup.buckets[key(Scope.of_owner(OWNER), Granularity.DAY, DAY)]) == (0, 0, 1, 0)
    assert counters(rollup.buckets[key(Scope.of_domain(DOMAIN), Granularity.DAY, DAY)]) == (0, 0, 1, 0)


def test_a_miss_counts_on_its_domains_day_only() -> None:
    rollup = Rollup()

    add_to_rollup(rollup, classified(status=404, code="nope"), OWNER)

    assert list(rollup.buckets) == [key(Scope.of_domain(DOMAIN), Granularity.DAY, DAY)]
    assert counters(rollup.buckets[key(Scope.of_domain(DOMAIN), Granularity.DAY, DAY)]) == (0, 0, 0, 1)


def test_an_ignored_record_counts_nowhere() -> None:
    rollup = Rollup()

    add_to_rollup(rollup, classified(status=503), OWNER)

    assert rollup.buckets == {}


def test_buckets_follow_the_records_utc_time() -> None:
    rollup = Rollup()

    add_to_rollup(rollup, classified(ts=1796169599.999), None)  # 2026-12-01T23:59:59.999Z
    add_to_rollup(rollup, classified(ts=1796169600.0), None)  # 2026-12-02T00:00:00Z

    assert {k.start for k in rollup.buckets if k.granularity is Granularity.HOUR} == {"2026-12-01T23", "2026-12-02T00"}
    assert {k.start for k in rollup.buckets if k.granularity is Granularity.DAY} == {"2026-12-01", "2026-12-02"}
    assert counters(rollup.buckets[key(LINK, Granularity.TOTAL)]) == (2, 0, 0, 0)


def test_a_visitor_clicking_twice_is_one_visitor_of_the_day() -> None:
    rollup = Rollup()

    for _ in range(2):
        add_to_rollup(rollup, classified(), None)

    day = rollup.buckets[key(LINK, Granularity.DAY, DAY)]
    assert day.human == 2
    assert day.visitors == {VISITOR}


# --- count_clicks: a batch ----------------------------------------------------------------------------------------


def test_a_batch_is_parsed_classified_and_counted_with_one_owner_lookup() -> None:
    owners = FakeLinkOwners({LINK: OWNER, Scope.link(DOMAIN, "help"): None})
    lines = [
        line(),
        line(user_agent=SAFARI_IPHONE),
        line(user_agent=BOT_AGENTS[0]),
        line(method="HEAD"),
        line(code="help"),
        line(code="gone", status=410),
        line(status=503),
        "not a click record",
        line(status="302"),
    ]

    rollup = count_clicks([(message, ms(TS)) for message in lines], owners)

    assert owners.asked == [[LINK, Scope.link(DOMAIN, "help")]]
    assert rollup.skipped == 2
    assert counters(rollup.buckets[key(LINK, Granularity.DAY, DAY)]) == (2, 1, 1, 0)
    assert counters(rollup.buckets[key(Scope.link(DOMAIN, "help"), Granularity.DAY, DAY)]) == (1, 0, 0, 0)
    assert counters(rollup.buckets[key(Scope.of_owner(OWNER), Granularity.DAY, DAY)]) == (2, 1, 1, 0)
    assert counters(rollup.buckets[key(Scope.of_domain(DOMAIN), Granularity.DAY, DAY)]) == (3, 1, 1, 1)
    assert counters(batch_totals(rollup)) == (3, 1, 1, 1)
    assert batch_totals(rollup).clicks == 4


def test_a_redirect_for_a_link_that_is_not_in_the_table_is_a_miss() -> None:
    # GIVEN a domain whose not_found_url answered an unknown code with a 302
    owners = FakeLinkOwners({})

    rollup = count_clicks(
        [(line(code="wp-login.php"), ms(TS)), (line(code="wp-login.php", method="HEAD"), ms(TS))], owners
    )

    # THEN the unknown code gets no buckets of its own: the domain counts two misses
    assert list(rollup.buckets) == [key(Scope.of_domain(DOMAIN), Granularity.DAY, DAY)]
    assert counters(rollup.buckets[key(Scope.of_domain(DOMAIN), Granularity.DAY, DAY)]) == (0, 0, 0, 2)


def test_a_batch_of_misses_and_junk_asks_for_no_owners() -> None:
    owners = FakeLinkOwners({})

    rollup = count_clicks([(line(status=404), ms(TS)), (line(status=503), ms(TS)), ("junk", ms(TS))], owners)

    assert owners.asked == []
    assert rollup.skipped == 1
    assert counters(batch_totals(rollup)) == (0, 0, 0, 1)
