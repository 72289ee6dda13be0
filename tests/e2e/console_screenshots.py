"""Take the README's screenshots of the console: ``.venv/bin/python -m tests.e2e.console_screenshots``.

A local server of its own (in this process, embedded DynamoDB), a few campaign links, real redirects from several
browsers and referrers (counted by the aggregator as on AWS), then headless Chromium on the links list and on one
link's statistics. Writes docs/images/console-links.png and docs/images/console-stats.png.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from local.server import LocalServer
from tests.e2e.console_browser import chromium_context

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
LINKS = [
    ("winter-sale", "https://shop.example/sale/winter?ref=newsletter", "Winter sale", ["retail", "winter"]),
    ("volunteer", "https://care.example/volunteer/sign-up", "Volunteer sign-up", ["recruiting"]),
    ("spring-26", "https://care.example/campaigns/spring-2026/donate", "Spring appeal 2026", ["donations", "spring"]),
]
VISITORS = [
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Mobile/15E148 Safari/604.1", "https://t.co/abc"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36",
     "https://news.example/today"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", None),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile "
     "Safari/537.36", "https://t.co/abc"),
]  # fmt: skip


def main() -> None:
    with LocalServer() as server:
        assert server.admin_key is not None
        api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {server.admin_key}"})
        for alias, url, title, tags in LINKS:
            assert api.post("/v1/links", json={"url": url, "alias": alias, "title": title, "tags": tags}).is_success
        for index, (agent, referer) in enumerate(VISITORS * 3):
            headers = {"user-agent": agent} | ({"referer": referer} if referer else {})
            httpx.get(f"{server.url}/{LINKS[index % 2 * 2][0]}", headers=headers)
        server.flush_clicks()
        with chromium_context(viewport={"width": 1200, "height": 760}) as context:
            page = context.new_page()
            page.goto(f"{server.url}/console")
            page.get_by_label("API key").fill(server.admin_key)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("row").nth(3).wait_for()
            page.screenshot(path=IMAGES / "console-links.png")
            page.goto(f"{server.url}/console#/link/127.0.0.1/spring-26")
            statistics = page.locator("section.stats")
            statistics.locator(".breakdowns").wait_for()
            statistics.screenshot(path=IMAGES / "console-stats.png")


if __name__ == "__main__":
    main()
