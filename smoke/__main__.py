"""``python -m smoke --base-url URL`` (the key in ``API_KEY``): create a link, follow it, expand it, delete it.

One line per step on stdout; exit status 0 when every step passed, 1 at the first that failed (the link it created
is deleted either way), 2 when called wrongly. Only the public API, with any valid key (a member key is enough):

1. ``POST /v1/links``: a link to ``https://example.org/shortlinks-smoke/<run id>``, tagged ``smoke``, expiring in an
   hour (should the delete never run, it stops redirecting by itself);
2. ``GET <short_url>``: the link as a visitor follows it, on its short domain: a 3xx whose ``Location`` is the
   destination (the destination itself is never requested);
3. ``GET /v1/expand?url=<short_url>``: ``active``, leading to the destination;
4. ``DELETE /v1/links/{code}``: ``204``;
5. ``GET <short_url>`` again: ``410``, the deletion reached the redirect.

Redirects and expansions read eventually consistently, so steps 2, 3 and 5 retry for up to ``--settle`` seconds.
The requests' user agent is one CrawlerDetect knows, so the visit counts as a bot's, never as a person's click.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TextIO

import httpx

USER_AGENT = "shortlinks-smoke/1 (+monitoring)"
DESTINATION = "https://example.org/shortlinks-smoke/{run}"
TAG = "smoke"
REDIRECTS = frozenset({301, 302, 307, 308})
SETTLE_SECONDS = 10.0
TIMEOUT_SECONDS = 10.0


class StepFailed(Exception):
    """A step's answer was not the expected one; the message says what came instead."""


@dataclass(frozen=True)
class CreatedLink:
    code: str
    domain: str
    short_url: str
    url: str


def _describe(response: httpx.Response) -> str:
    return f"{response.status_code} {response.text[:200]!r}"


def _until(
    settle: float, attempt: Callable[[], httpx.Response], done: Callable[[httpx.Response], bool]
) -> httpx.Response:
    """``attempt`` until ``done`` accepts its response or ``settle`` seconds have passed; the last response."""
    deadline = time.monotonic() + settle
    while True:
        response = attempt()
        if done(response) or time.monotonic() >= deadline:
            return response
        time.sleep(0.5)


def create(api: httpx.Client, run: str) -> CreatedLink:
    expires_at = (datetime.now(UTC) + timedelta(hours=1)).isoformat(timespec="seconds")
    body = {"url": DESTINATION.format(run=run), "title": f"smoke check {run}", "tags": [TAG], "expires_at": expires_at}
    response = api.post("/v1/links", json=body)
    if response.status_code != 201:
        raise StepFailed(f"expected 201, got {_describe(response)}")
    link = response.json()
    return CreatedLink(code=link["code"], domain=link["domain"], short_url=link["short_url"], url=link["url"])


def follow(visitor: httpx.Client, link: CreatedLink, settle: float) -> str:
    response = _until(settle, lambda: visitor.get(link.short_url), lambda r: r.status_code in REDIRECTS)
    if response.status_code not in REDIRECTS:
        raise StepFailed(f"expected a redirect, got {_describe(response)}")
    if response.headers.get("location") != link.url:
        raise StepFailed(f"{response.status_code} to {response.headers.get('location')!r}, not to {link.url!r}")
    return f"{response.status_code} {link.short_url} -> {link.url}"


def expand(api: httpx.Client, link: CreatedLink, settle: float) -> str:
    def expanded(response: httpx.Response) -> bool:
        return response.status_code == 200 and response.json().get("status") == "active"

    response = _until(settle, lambda: api.get("/v1/expand", params={"url": link.short_url}), expanded)
    if not expanded(response):
        raise StepFailed(f"expected 200 and an active link, got {_describe(response)}")
    if response.json().get("url") != link.url:
        raise StepFailed(f"leads to {response.json().get('url')!r}, not to {link.url!r}")
    return f"200 active -> {link.url}"


def delete(api: httpx.Client, link: CreatedLink) -> str:
    response = api.delete(f"/v1/links/{link.code}", params={"domain": link.domain})
    if response.status_code != 204:
        raise StepFailed(f"expected 204, got {_describe(response)}")
    return f"204 {link.code} on {link.domain}"


def gone(visitor: httpx.Client, link: CreatedLink, settle: float) -> str:
    response = _until(settle, lambda: visitor.get(link.short_url), lambda r: r.status_code == 410)
    if response.status_code != 410:
        raise StepFailed(f"expected 410 after the delete, got {_describe(response)}")
    return f"410 {link.short_url}"


def run(
    base_url: str,
    api_key: str,
    *,
    settle: float = SETTLE_SECONDS,
    out: TextIO | None = None,
    transport: httpx.BaseTransport | None = None,
) -> bool:
    """Every step against the deployment at ``base_url``, one line each on ``out``; whether all of them passed.
    ``out``: stdout by default; ``transport``: the network by default (tests pass a scripted one)."""
    out = out or sys.stdout  # looked up now, not at import: pytest's capture replaces it
    run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"

    def step(name: str, action: Callable[[], str]) -> bool:
        try:
            detail = action()
        except StepFailed as error:
            print(f"FAIL {name:<6} {error}", file=out, flush=True)
            return False
        except (httpx.HTTPError, ValueError, KeyError) as error:  # no answer, or not the JSON the API documents
            print(f"FAIL {name:<6} {type(error).__name__}: {error}", file=out, flush=True)
            return False
        print(f"ok   {name:<6} {detail}", file=out, flush=True)
        return True

    headers = {"Authorization": f"Bearer {api_key}", "User-Agent": USER_AGENT}
    with (
        httpx.Client(
            base_url=base_url.rstrip("/"), headers=headers, timeout=TIMEOUT_SECONDS, transport=transport
        ) as api,
        httpx.Client(  # it follows no redirect: the destination is never requested
            headers={"User-Agent": USER_AGENT}, timeout=TIMEOUT_SECONDS, transport=transport
        ) as visitor,
    ):
        links: list[CreatedLink] = []

        def create_step() -> str:
            links.append(create(api, run_id))
            return f"201 {links[0].short_url} -> {links[0].url}"

        if not step("create", create_step):
            return False
        [link] = links
        checked = step("follow", lambda: follow(visitor, link, settle)) and step(
            "expand", lambda: expand(api, link, settle)
        )
        deleted = step("delete", lambda: delete(api, link))  # whatever happened before: leave nothing behind
        return checked and deleted and step("gone", lambda: gone(visitor, link, settle))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m smoke", description="Create, follow, expand and delete one link on a deployment."
    )
    parser.add_argument(
        "--base-url",
        default=os.environ.get("BASE_URL", ""),
        help="the API's base URL, e.g. the stack's ApiUrl (default: $BASE_URL)",
    )
    parser.add_argument("--settle", type=float, default=SETTLE_SECONDS, help="seconds to wait for a read to agree")
    args = parser.parse_args(argv)
    api_key = os.environ.get("API_KEY", "")  # never an argument: it would show in ps and in shell history
    if not args.base_url or not api_key:
        missing = " and ".join(name for name, value in (("BASE_URL", args.base_url), ("API_KEY", api_key)) if not value)
        print(
            f"python -m smoke: {missing} missing: BASE_URL=https://<api> API_KEY=sl_... python -m smoke",
            file=sys.stderr,
        )
        return 2
    return 0 if run(args.base_url, api_key, settle=args.settle) else 1


if __name__ == "__main__":
    raise SystemExit(main())
