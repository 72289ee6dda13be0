"""QR codes end to end: fetch a link's code over real HTTP, read it from its pixels as a phone would, follow the URL
it holds, and see the scan land on the tagged destination without the marker, and counted as a scan."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.e2e.test_analytics import IPHONE, wait_for_stats
from tests.qr_decoding import decode

pytestmark = pytest.mark.e2e

CreateLink = Callable[..., dict[str, Any]]


@pytest.mark.parametrize("image_format", ["png", "svg"])
def test_a_scanned_code_lands_on_the_tagged_destination_without_the_marker(
    create_link: CreateLink, anonymous: httpx.Client, browser: httpx.Client, destination: str, image_format: str
) -> None:
    # GIVEN a link with UTM tagging to the echoing destination site, forwarding the visitor's query
    link = create_link(url=f"{destination}/menu?table=4", utm={"source": "poster", "medium": "qr"})

    # WHEN anyone (no key) fetches its QR code, and a phone reads it
    image = anonymous.get(f"/v1/links/{link['code']}/qr", params={"format": image_format})
    assert image.status_code == 200, image.text
    [scanned] = decode(image.headers["content-type"], image.content)

    # THEN the code holds the short URL with the QR marker
    assert scanned == f"{link['short_url']}?_sl=qr"
    # AND following it lands on the tagged destination, which never sees the marker
    landed = browser.get(scanned, headers={"user-agent": IPHONE})
    assert landed.status_code == 200
    assert [hop.status_code for hop in landed.history] == [302]
    assert landed.json()["query"] == "table=4&utm_source=poster&utm_medium=qr"


def test_scans_and_clicks_are_counted_apart(
    create_link: CreateLink, client: httpx.Client, anonymous: httpx.Client
) -> None:
    # GIVEN a link, its QR code read once by a phone, and its short URL followed twice from a page
    link = create_link(url="https://example.org/flyer")
    [scanned] = decode("image/png", anonymous.get(f"/v1/links/{link['code']}/qr?format=png").content)
    with httpx.Client(follow_redirects=False, timeout=10) as visitor:
        assert visitor.get(scanned, headers={"user-agent": IPHONE}).status_code == 302
        for _ in range(2):
            assert visitor.get(link["short_url"], headers={"user-agent": IPHONE}).status_code == 302

    # THEN the link's statistics say one click was a scan
    stats = wait_for_stats(client, link["code"], expected_clicks=3)
    assert {entry["value"]: entry["clicks"] for entry in stats["sources"]} == {"link": 2, "qr": 1}
