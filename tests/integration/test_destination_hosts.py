"""Destination hosts through the functions, read as browsers read them: every spelling of our own address is a
loop, destinations are stored with the host a browser would connect to, IPv6 zone identifiers are refused, and
internationalised names follow IDNA 2008 (issue 8)."""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

import pytest

from shortlinks.domain.target import LinkState
from tests.events import load_event
from tests.integration.harness import (
    ADMIN,
    MEMBER,
    MEMBER_ID,
    HttpResponse,
    LambdaFunction,
    LinkStore,
    as_caller,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from tests.integration.conftest import ColdStart

LOCAL_HOST = "127.0.0.1:3000"  # the service as `make run` serves it
OUR_ADDRESS_SPELLED = [
    "http://127.0.0.1/",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://127.000.000.001/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]:3000/x",
    "HTTP://0X7F.1:3000/",
]


@pytest.fixture(scope="module")
def domains_module(start_function: ColdStart) -> ModuleType:
    return start_function("DomainsFunction")


@pytest.fixture
def domains(domains_module: ModuleType, lambda_context: LambdaContext) -> LambdaFunction:
    return LambdaFunction(domains_module, lambda_context)


def create_on(create: LambdaFunction, url: str, host: str = LOCAL_HOST) -> HttpResponse:
    """A create sent to the service on ``host`` (so ``host`` is one of our own names)."""
    return create(load_event("create_link", body={"url": url}, headers={"host": host}))


def assert_error(response: HttpResponse, status: int, code: str) -> None:
    assert response.status == status, response.body
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize("url", OUR_ADDRESS_SPELLED)
def test_every_spelling_of_our_own_address_is_a_loop(create: LambdaFunction, store: LinkStore, url: str) -> None:
    # GIVEN the service answering on 127.0.0.1
    # WHEN a link to any spelling of that address is created THEN it is refused as a redirect to ourselves
    assert_error(create_on(create, url), 422, "url_is_short_link")
    assert store.items() == []


@pytest.mark.parametrize("host", ["[::ffff:127.0.0.1]:3000", "[::ffff:7f00:1]:3000", "127.1:3000"])
def test_our_own_address_is_a_loop_however_the_request_spelled_our_host(
    create: LambdaFunction, store: LinkStore, host: str
) -> None:
    assert_error(create_on(create, "http://127.0.0.1:3000/x", host=host), 422, "url_is_short_link")
    assert store.items() == []


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("http://0x7f000001/", "http://127.0.0.1/"),
        ("http://3221225994:8080/status", "http://192.0.2.10:8080/status"),
        ("https://faß.de/", "https://xn--fa-hia.de/"),
        ("https://[::FFFF:192.0.2.10]/", "https://[::ffff:c000:20a]/"),
    ],
)
def test_a_destination_is_stored_with_the_host_a_browser_would_reach(
    create: LambdaFunction, store: LinkStore, url: str, stored: str
) -> None:
    # GIVEN the service on its usual short domain (so 127.0.0.1 is someone else's address here)
    response = create(load_event("create_link", body={"url": url}))

    # THEN the link leads where a browser would have gone, written canonically
    assert response.status == 201, response.body
    assert response.json()["url"] == stored
    [item] = [item for item in store.items() if item["pk"]["S"].startswith("LINK#")]
    assert item["url"]["S"] == stored


@pytest.mark.parametrize(
    "url", ["http://[fe80::1%25eth0]/", "http://[fe80::1%25eth0]:8080/x", "http://4294967296/", "http://1.2.3.4.5/"]
)
def test_a_host_no_browser_could_reach_is_invalid_url(create: LambdaFunction, store: LinkStore, url: str) -> None:
    assert_error(create(load_event("create_link", body={"url": url})), 422, "invalid_url")
    assert store.items() == []


def test_a_changed_destination_is_guarded_and_stored_the_same_way(links: LambdaFunction, store: LinkStore) -> None:
    # GIVEN a member's link
    store.add("AbC1234", "https://example.org/", owner=MEMBER_ID, state=LinkState.ACTIVE)

    def patch(url: str) -> HttpResponse:
        event = load_event("update_link", body={"url": url}, headers={"host": LOCAL_HOST})
        return links(as_caller(event, MEMBER))

    # WHEN its destination is changed to our own address in disguise THEN it is refused
    assert_error(patch("http://0x7f000001:3000/"), 422, "url_is_short_link")

    # AND WHEN it is changed to another address in a numeric spelling THEN it is stored as a dotted quad
    response = patch("http://0xc000020a/")
    assert response.status == 200, response.body
    assert response.json()["url"] == "http://192.0.2.10/"


def test_a_domains_root_url_may_not_be_our_address_in_disguise(domains: LambdaFunction, store: LinkStore) -> None:
    # GIVEN the domains function, called on 127.0.0.1 (as under `make run`)
    body = {
        "base_url": None,
        "default_redirect_type": 302,
        "root_url": "http://2130706433:3000/",
        "not_found_url": None,
        "allowed_keys": None,
        "is_default": False,
    }
    event = load_event("put_domain", path_parameters={"domain": "care.link"}, body=body, headers={"host": LOCAL_HOST})

    # WHEN care.link's root would send visitors to 127.0.0.1 THEN it is refused, naming the field
    response = domains(as_caller(event, ADMIN))

    assert_error(response, 422, "url_is_short_link")
    assert "root_url" in response.json()["error"]["message"]
    assert store.items() == []
