"""The redirect's defences in depth (issue 8): the visitor's query reaches ``Location`` only as RFC 3986 allows it,
``Strict-Transport-Security`` on https short domains, and an import graph that never loads the IDNA tables."""

from __future__ import annotations

import re
from dataclasses import replace
from types import ModuleType

import pytest

from shortlinks.domain.errors import LinkDisabled, LinkNotFound, StorageUnavailable
from shortlinks.domain.short_domain import ShortDomain
from tests.events import load_event
from tests.integration.harness import HttpResponse, LambdaFunction, LinkStore, cold_start_modules

DESTINATION = "https://example.org/p?a=1#top"
# RFC 3986: query = *( pchar / "/" / "?" ), pchar = unreserved / pct-encoded / sub-delims / ":" / "@"
RFC_3986_QUERY = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*")
HTTPS_DOMAIN = ShortDomain(host="care.link", base_url="https://care.link")
LOCAL_DOMAIN = ShortDomain(host="127.0.0.1", base_url="http://127.0.0.1:3000")


def visit(redirect: LambdaFunction, raw_query: str) -> HttpResponse:
    return redirect(load_event("redirect", path_parameters={"code": "AbC1234"}, query=raw_query))


# --- the forwarded query ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw_query", "forwarded"),
    [
        ("q=a b", "q=a%20b"),
        ('q="><script>alert(1)</script>', "q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"),
        ("q=a\r\nSet-Cookie:%20x=1", "q=a%0D%0ASet-Cookie:%20x=1"),
        ("q=caf\u00e9", "q=caf%C3%A9"),
        ("q=100%&r=%41", "q=100%25&r=%41"),
        ("q=x#y", "q=x%23y"),
        ("q=a\\b", "q=a%5Cb"),
    ],
)
def test_the_visitors_query_reaches_location_percent_encoded(
    redirect: LambdaFunction, store: LinkStore, raw_query: str, forwarded: str
) -> None:
    # GIVEN a link that forwards the visitor's query
    store.add("AbC1234", DESTINATION, forward_query=True)

    # WHEN a visitor follows it with a query RFC 3986 does not allow as it is
    response = visit(redirect, raw_query)

    # THEN Location carries it encoded, after the destination's own parameters and before its fragment
    assert response.status == 302, response.body
    assert response.headers["location"] == f"https://example.org/p?a=1&{forwarded}#top"
    _, _, query = response.headers["location"].partition("?")
    assert RFC_3986_QUERY.fullmatch(query.partition("#")[0])


def test_a_link_that_does_not_forward_the_query_ignores_it(redirect: LambdaFunction, store: LinkStore) -> None:
    store.add("AbC1234", DESTINATION, forward_query=False)

    assert visit(redirect, "q=<x>").headers["location"] == DESTINATION


# --- Strict-Transport-Security --------------------------------------------------------------------------------------


def test_the_template_gives_the_redirect_a_year_of_hsts(redirect_module: ModuleType) -> None:
    assert redirect_module.settings.hsts_max_age == 31536000


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_on_an_https_short_domain_sends_hsts_without_subdomains(
    redirect_module: ModuleType, status: int
) -> None:
    response = redirect_module._redirect(status, "https://example.org/", short_domain=HTTPS_DOMAIN)

    assert response["headers"]["Strict-Transport-Security"] == "max-age=31536000"


@pytest.mark.parametrize(
    "error", [LinkNotFound.for_code("x"), LinkDisabled.for_code("x"), StorageUnavailable.because("test")]
)
@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_a_refusal_on_an_https_short_domain_sends_hsts(
    redirect_module: ModuleType, error: Exception, accept: str
) -> None:
    response = redirect_module._refusal(error, accept, short_domain=HTTPS_DOMAIN)

    assert response["headers"]["Strict-Transport-Security"] == "max-age=31536000"


def test_a_not_found_page_redirect_sends_hsts(redirect_module: ModuleType) -> None:
    response = redirect_module._redirect(
        302, "https://care.example/missing", cacheable=False, short_domain=HTTPS_DOMAIN
    )

    assert response["headers"]["Strict-Transport-Security"] == "max-age=31536000"


@pytest.mark.parametrize("short_domain", [LOCAL_DOMAIN, None], ids=["http domain", "no domain"])
def test_no_hsts_where_the_short_domain_is_not_https(redirect_module: ModuleType, short_domain: object) -> None:
    redirected = redirect_module._redirect(302, "https://example.org/", short_domain=short_domain)
    refused = redirect_module._refusal(LinkNotFound.for_code("x"), "", short_domain=short_domain)

    assert "Strict-Transport-Security" not in redirected["headers"]
    assert "Strict-Transport-Security" not in refused["headers"]


def test_a_max_age_of_zero_turns_hsts_off(redirect_module: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redirect_module, "settings", replace(redirect_module.settings, hsts_max_age=0))

    response = redirect_module._redirect(302, "https://example.org/", short_domain=HTTPS_DOMAIN)

    assert "Strict-Transport-Security" not in response["headers"]


def test_the_max_age_is_configurable(redirect_module: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redirect_module, "settings", replace(redirect_module.settings, hsts_max_age=300))

    response = redirect_module._refusal(LinkNotFound.for_code("x"), "", short_domain=HTTPS_DOMAIN)

    assert response["headers"]["Strict-Transport-Security"] == "max-age=300"


# --- no IDNA tables on the hot path ---------------------------------------------------------------------------------


def test_the_redirect_never_imports_the_idna_package() -> None:
    # GIVEN a fresh interpreter with the redirect function's environment from the template
    # WHEN the handler module is imported and the URL helpers it calls meet internationalised input
    modules = cold_start_modules(
        "RedirectFunction",
        then=(
            "handler.merge_query('https://xn--fa-hia.de/p', 'q=fa\u00df&h=b\u00fccher.example')\n"
            "handler.host_of('https://fa\u00df.de/')\n"
            "handler.bare_host('FA\u00df.de:443')"
        ),
    )

    # THEN the idna package (IDNA 2008 and UTS #46 tables, for the write path) was never loaded
    assert {module for module in modules if module.split(".")[0] == "idna"} == set()
