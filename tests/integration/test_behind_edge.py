"""The redirect behind the edge (EnableEdge, BEHIND_EDGE=true): CloudFront reaches the API on its execute-api host
and from its own addresses, so the visitor's host and address come in the headers the edge sets (web/http.py);
without the edge those headers are a caller's say-so and count for nothing."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from shortlinks.domain.domains import register_domain
from shortlinks.storage.domains import DynamoDomainRepository
from tests.events import load_event
from tests.integration.harness import REGION, TABLE_NAME, CapturedLogs, HttpResponse, LambdaFunction, LinkStore

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
EXECUTE_API = "k3x9qz1v2m.execute-api.us-east-1.amazonaws.com"
CLOUDFRONT_ADDRESS = "130.176.0.1"  # what API Gateway sees behind the edge
CARE, HELP = "care.link", "help.example"
DESTINATION = "https://example.org/help"


@pytest.fixture
def behind_edge(redirect: LambdaFunction, monkeypatch: pytest.MonkeyPatch) -> None:
    """The redirect as deployed with EnableEdge=true (its BEHIND_EDGE setting)."""
    settings = dataclasses.replace(redirect.module.settings, behind_edge=True)
    monkeypatch.setattr(redirect.module, "settings", settings)


@pytest.fixture
def registered(redirect: LambdaFunction, store: LinkStore) -> None:
    """care.link (the default) and help.example registered, a link on help.example, and the redirect aware."""
    repository = DynamoDomainRepository(TABLE_NAME, REGION)
    register_domain(repository, CARE, is_default=True, now=NOW)
    register_domain(repository, HELP, now=NOW)
    store.add("docs", DESTINATION, domain=HELP)
    redirect.module.domains._registry.refresh()


def through_cloudfront(
    redirect: LambdaFunction, viewer_host: str, viewer_address: str = "198.51.100.7:46532"
) -> HttpResponse:
    """A visit as CloudFront forwards it: Host the execute-api name, the viewer's host and address in headers."""
    event = load_event(
        "redirect",
        path_parameters={"code": "docs"},
        headers={
            "host": EXECUTE_API,
            "x-viewer-host": viewer_host,
            "cloudfront-viewer-address": viewer_address,
            "accept": "application/json",
        },
    )
    event["requestContext"]["domainName"] = EXECUTE_API
    event["requestContext"]["http"]["sourceIp"] = CLOUDFRONT_ADDRESS
    return redirect(event)


@pytest.mark.usefixtures("registered", "behind_edge")
def test_behind_the_edge_the_link_is_looked_up_on_the_host_the_visitor_asked_for(redirect: LambdaFunction) -> None:
    # WHEN a visitor follows https://help.example/docs through CloudFront
    response = through_cloudfront(redirect, HELP)

    # THEN it is help.example's link, although API Gateway was asked for its execute-api host
    assert response.status == 302
    assert response.headers["location"].startswith(f"{DESTINATION}?")  # the fixture's query forwarded
    # AND the same code on the other registered domain is that domain's business: none there
    assert through_cloudfront(redirect, CARE).status == 404


@pytest.mark.usefixtures("registered")
def test_without_the_edge_a_viewer_host_header_chooses_nothing(redirect: LambdaFunction) -> None:
    # GIVEN a stack without the edge, and a caller naming a registered domain in X-Viewer-Host
    response = through_cloudfront(redirect, HELP)

    # THEN the request is about the host API Gateway saw, which is not a registered domain
    assert response.status == 404


@pytest.mark.usefixtures("registered", "behind_edge")
def test_behind_the_edge_visitors_are_told_apart_by_their_own_address(
    redirect: LambdaFunction, logs: CapturedLogs
) -> None:
    # WHEN two visitors with the same browser come through the same CloudFront address, and one of them again later
    # through another edge location (another port, same address)
    through_cloudfront(redirect, HELP, "198.51.100.7:46532")
    through_cloudfront(redirect, HELP, "203.0.113.9:50000")
    through_cloudfront(redirect, HELP, "198.51.100.7:61000")

    # THEN they have two visitor ids, not one
    first, second, again = (click["visitor"] for click in logs.clicks())
    assert first != second
    assert first == again
    assert all(click["country"] == "GB" for click in logs.clicks())  # CloudFront-Viewer-Country, as it came
