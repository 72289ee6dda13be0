"""Strict-Transport-Security through the redirect's lambda_handler."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shortlinks.domain.domains import register_domain
from shortlinks.domain.target import LinkState
from shortlinks.storage.domains import DynamoDomainRepository
from tests.events import load_event
from tests.integration.harness import REGION, TABLE_NAME, HttpResponse, LambdaFunction, LinkStore

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def visit(redirect: LambdaFunction, code: str, host: str = "sho.rt", scheme: str = "https") -> HttpResponse:
    """A request as API Gateway (https) or the local server (http, its own scheme) passes it on."""
    headers = {"host": host, "x-forwarded-proto": scheme}
    return redirect(load_event("redirect", path_parameters={"code": code}, headers=headers))


@pytest.mark.parametrize(
    ("code", "state", "status"),
    [("AbC1234", LinkState.ACTIVE, 302), ("off1234", LinkState.DISABLED, 410), ("Nope123", None, 404)],
)
def test_every_answer_on_an_https_short_domain_carries_hsts(
    redirect: LambdaFunction, store: LinkStore, code: str, state: LinkState | None, status: int
) -> None:
    if state is not None:
        store.add(code, "https://example.org/", state=state)

    response = visit(redirect, code)

    assert response.status == status, response.body
    assert response.headers["strict-transport-security"] == "max-age=31536000"


def test_a_domain_served_over_http_gets_no_hsts(redirect: LambdaFunction, store: LinkStore) -> None:
    repository = DynamoDomainRepository(TABLE_NAME, REGION)
    register_domain(repository, "127.0.0.1", base_url="http://127.0.0.1:3000", now=NOW)
    register_domain(repository, "care.link", not_found_url="https://care.example/missing", now=NOW)
    redirect.module.domains._registry.refresh()
    store.add("AbC1234", "https://example.org/", domain="127.0.0.1")

    local = visit(redirect, "AbC1234", host="127.0.0.1:3000", scheme="http")
    not_found_page = visit(redirect, "Nope123", host="care.link")
    unknown_host = visit(redirect, "AbC1234", host="elsewhere.example")

    assert local.status == 302
    assert "strict-transport-security" not in local.headers
    assert not_found_page.status == 302
    assert not_found_page.headers["strict-transport-security"] == "max-age=31536000"
    assert unknown_host.status == 404
    assert "strict-transport-security" not in unknown_host.headers
    redirect.module.domains._registry.refresh()
