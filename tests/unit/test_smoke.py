"""The smoke check's own rules, against a scripted API (httpx.MockTransport): it cleans up after a failed step, and
its visit never counts as a person's click."""

from __future__ import annotations

import io
import json

import httpx

from shortlinks.domain.clicks import ClickKind, ClickRecord, classify
from smoke.__main__ import USER_AGENT, run

BASE_URL = "http://127.0.0.1:3000"
LINK = {"code": "AbC1234", "domain": "127.0.0.1", "short_url": f"{BASE_URL}/AbC1234", "url": "https://example.org/x"}


def _api(redirect_status: int) -> tuple[httpx.MockTransport, list[str]]:
    """A deployment whose redirect answers ``redirect_status``; the requests it got, as ``METHOD path``."""
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        assert request.headers["user-agent"] == USER_AGENT
        match request.method, request.url.path:
            case "POST", "/v1/links":
                return httpx.Response(201, json=LINK)
            case "GET", "/AbC1234":
                return httpx.Response(redirect_status, headers={"Location": LINK["url"]})
            case "DELETE", "/v1/links/AbC1234":
                assert request.url.params["domain"] == LINK["domain"]
                return httpx.Response(204)
        return httpx.Response(500, text=json.dumps({"unexpected": f"{request.method} {request.url}"}))

    return httpx.MockTransport(answer), seen


def test_a_failed_step_still_deletes_the_link_and_fails_the_check() -> None:
    # GIVEN a deployment whose redirect does not find the new link
    transport, seen = _api(redirect_status=404)
    out = io.StringIO()

    # WHEN the check runs
    passed = run(BASE_URL, "sl_key", settle=0, out=out, transport=transport)

    # THEN it fails at follow, skips expand, and still deletes what it created
    assert passed is False
    assert [line.split()[:2] for line in out.getvalue().splitlines()] == [
        ["ok", "create"],
        ["FAIL", "follow"],
        ["ok", "delete"],
    ]
    assert seen == ["POST /v1/links", "GET /AbC1234", "DELETE /v1/links/AbC1234"]


def test_a_redirect_elsewhere_fails_the_follow_step() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(201, json=LINK)
        if request.method == "DELETE":
            return httpx.Response(204)
        return httpx.Response(302, headers={"Location": "https://example.com/not-it"})

    out = io.StringIO()

    assert run(BASE_URL, "sl_key", settle=0, out=out, transport=httpx.MockTransport(answer)) is False
    assert "FAIL follow 302 to 'https://example.com/not-it', not to 'https://example.org/x'" in out.getvalue()


def test_its_visit_counts_as_a_bots_never_as_a_persons_click() -> None:
    record = ClickRecord(
        ts=0.0,
        method="GET",
        code="AbC1234",
        domain="127.0.0.1",
        status=302,
        referrer_host=None,
        user_agent=USER_AGENT,
        country=None,
    )

    assert classify(record).kind is ClickKind.BOT
