"""Click statistics end to end: create a link, follow it over real HTTP as people, bots and link previews do, and
read the statistics the aggregator made of the click records (the local server feeds them to it as the log
subscription does in AWS, at most a second late)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e

CreateLink = Callable[..., dict[str, Any]]

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
SLACKBOT = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"


def wait_for_stats(client: httpx.Client, code: str, expected_clicks: int) -> dict[str, Any]:
    """The link's statistics once the aggregator has counted ``expected_clicks`` (within a few seconds)."""
    deadline = time.monotonic() + 10
    while True:
        response = client.get(f"/v1/links/{code}/stats")
        assert response.status_code == 200, response.text
        stats: dict[str, Any] = response.json()
        if stats["totals"]["clicks"] >= expected_clicks or time.monotonic() > deadline:
            return stats
        time.sleep(0.25)


def test_people_bots_and_previews_are_counted_apart(
    create_link: CreateLink, client: httpx.Client, base_url: str
) -> None:
    # GIVEN a new link
    link = create_link(url="https://example.org/help")
    short_url = link["short_url"]

    # WHEN two people follow it (one of them twice, from a tweet), a crawler follows it, and two previews fetch it
    with httpx.Client(follow_redirects=False, timeout=10) as visitor:
        for agent, referer in [(FIREFOX, "https://t.co/x"), (FIREFOX, "https://t.co/x"), (IPHONE, None)]:
            headers = {"user-agent": agent} | ({"referer": referer} if referer else {})
            assert visitor.get(short_url, headers=headers).status_code == 302
        assert visitor.get(short_url, headers={"user-agent": GOOGLEBOT}).status_code == 302
        assert visitor.head(short_url, headers={"user-agent": FIREFOX}).status_code == 302
        assert visitor.get(short_url, headers={"user-agent": SLACKBOT}).status_code == 302

    # THEN the statistics tell them apart: 3 human clicks by 2 visitors, 1 bot, 2 previews (never clicks)
    stats = wait_for_stats(client, link["code"], expected_clicks=4)
    assert stats["totals"] == {"clicks": 4, "human": 3, "bots": 1, "previews": 2, "unique_visitors": 2}
    assert sum(bucket["clicks"] for bucket in stats["series"]) == 4
    referrers = {entry["value"]: entry["clicks"] for entry in stats["referrers"]}
    assert referrers["t.co"] == 2
    assert referrers["(direct)"] == 2
    devices = {entry["value"]: entry["clicks"] for entry in stats["devices"]}
    assert devices.get("mobile") == 1

    # AND the owner's listing shows the link's all-time clicks
    listed = client.get("/v1/links", params={"limit": 100}).json()["links"]
    [mine] = [entry for entry in listed if entry["code"] == link["code"]]
    assert mine["clicks"] == 4


def test_statistics_are_the_owners_business(
    create_link: CreateLink, member_client: httpx.Client, anonymous: httpx.Client
) -> None:
    link = create_link(url="https://example.org/private-stats")

    assert member_client.get(f"/v1/links/{link['code']}/stats").status_code == 404
    assert anonymous.get(f"/v1/links/{link['code']}/stats").status_code == 401


def test_statistics_come_as_csv_too(create_link: CreateLink, client: httpx.Client) -> None:
    link = create_link(url="https://example.org/csv")

    response = client.get(f"/v1/links/{link['code']}/stats", headers={"accept": "text/csv"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    header, *rows = response.text.strip().splitlines()
    assert header.split(",")[0] == "start"
    assert len(rows) == 7  # the last 7 days, zero-filled
