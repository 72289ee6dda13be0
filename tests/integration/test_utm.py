"""UTM tagging through the functions: create, bulk, PATCH and the redirect, against the template's table."""

from __future__ import annotations

from typing import Any

import pytest

from tests.events import load_event
from tests.integration.harness import HttpResponse, LambdaFunction, LinkStore, redirect_cache_expires

URL = "https://example.org/resources?lang=en"
SPRING = {"source": "newsletter", "medium": "email", "campaign": "spring sale"}
TAGGED = f"{URL}&utm_source=newsletter&utm_medium=email&utm_campaign=spring%20sale"
NO_FIELDS = {"source": None, "medium": None, "campaign": None, "term": None, "content": None}


def post(create: LambdaFunction, body: dict[str, Any]) -> HttpResponse:
    return create(load_event("create_link", body=body))


def patch(links: LambdaFunction, code: str, body: dict[str, Any]) -> HttpResponse:
    return links(load_event("update_link", path_parameters={"code": code}, body=body))


def follow(redirect: LambdaFunction, code: str, query: str = "") -> HttpResponse:
    return redirect(load_event("redirect", path_parameters={"code": code}, query=query))


def test_a_tagged_link_shows_url_utm_and_destination_and_redirects_to_the_tagged_url(
    create: LambdaFunction, redirect: LambdaFunction, store: LinkStore
) -> None:
    # GIVEN a link created with UTM tagging
    created = post(create, {"url": URL, "utm": SPRING})

    # THEN the answer shows the URL as given, the tagging, and where visitors will land
    assert created.status == 201, created.body
    link = created.json()
    assert (link["url"], link["utm"], link["destination"]) == (URL, NO_FIELDS | SPRING, TAGGED)
    # AND the table keeps the tagging apart, and the tagged URL as what the redirect reads
    [item] = store.link_items()
    assert item["url"] == {"S": URL}
    assert item["destination"] == {"S": TAGGED}
    assert item["utm"] == {"M": {name: {"S": value} for name, value in SPRING.items()}}

    # WHEN a visitor follows it
    response = follow(redirect, link["code"])

    # THEN they land on the tagged URL
    assert (response.status, response.headers["location"]) == (302, TAGGED)


def test_the_visitors_query_is_forwarded_onto_the_tagged_url_and_wins_as_always(
    create: LambdaFunction, redirect: LambdaFunction
) -> None:
    code = post(create, {"url": URL, "utm": SPRING}).json()["code"]

    response = follow(redirect, code, "utm_source=partner&ref=7")

    assert response.headers["location"] == (
        f"{URL}&utm_medium=email&utm_campaign=spring%20sale&utm_source=partner&ref=7"
    )


def test_reuse_returns_the_link_with_the_same_tagging_only(create: LambdaFunction) -> None:
    # GIVEN a tagged link
    first = post(create, {"url": URL, "utm": SPRING}).json()

    # WHEN the same URL is asked for with reuse: the same tagging, then none, then other tagging
    same = post(create, {"url": URL, "utm": SPRING, "reuse": True})
    untagged = post(create, {"url": URL, "reuse": True})
    other = post(create, {"url": URL, "utm": {"source": "newsletter"}, "reuse": True})

    # THEN only the same tagging is the same destination
    assert (same.status, same.json()["code"]) == (200, first["code"])
    assert untagged.status == 201
    assert other.status == 201
    assert len({first["code"], untagged.json()["code"], other.json()["code"]}) == 3


def test_bulk_items_take_utm_each_on_its_own(create: LambdaFunction) -> None:
    body = {"links": [{"url": URL, "utm": {"campaign": "a"}}, {"url": URL, "utm": {"campaign": "x" * 101}}]}

    response = create(load_event("create_links_bulk", body=body))

    results = response.json()["results"]
    assert results[0]["status"] == 201
    assert results[0]["link"]["destination"] == f"{URL}&utm_campaign=a"
    assert (results[1]["status"], results[1]["error"]["code"]) == (422, "invalid_utm")


def test_patch_replaces_the_tagging_removes_it_with_null_and_records_each_move(
    create: LambdaFunction, links: LambdaFunction, redirect: LambdaFunction
) -> None:
    code = post(create, {"url": URL, "utm": SPRING}).json()["code"]

    replaced = patch(links, code, {"utm": {"term": "shoes"}})
    assert replaced.status == 200, replaced.body
    assert replaced.json()["utm"] == NO_FIELDS | {"term": "shoes"}
    redirect_cache_expires(redirect)
    assert follow(redirect, code).headers["location"] == f"{URL}&utm_term=shoes"

    removed = patch(links, code, {"utm": None}).json()
    assert (removed["utm"], removed["destination"]) == (None, URL)
    redirect_cache_expires(redirect)
    assert follow(redirect, code).headers["location"] == URL

    history = links(load_event("link_history", path_parameters={"code": code})).json()["history"]
    assert [(entry["old_url"], entry["new_url"]) for entry in history] == [
        (f"{URL}&utm_term=shoes", URL),
        (TAGGED, f"{URL}&utm_term=shoes"),
    ]


@pytest.mark.parametrize(
    ("utm", "code"),
    [
        ({"source": "x" * 101}, "invalid_utm"),
        ({"source": ""}, "invalid_utm"),
        ({"source": "a\u0085b"}, "invalid_utm"),
        ({"source": "a\tb"}, "invalid_utm"),
        ({"source": "x" * 1001}, "validation_error"),
        ({"sauce": "x"}, "validation_error"),
        ({"source": 7}, "validation_error"),
        ("utm_source=x", "validation_error"),
    ],
    ids=[
        "too long",
        "empty",
        "C1 control",
        "tab",
        "over the outer bound",
        "unknown key",
        "not a string",
        "not an object",
    ],
)
def test_bad_tagging_is_refused_and_nothing_is_written(
    create: LambdaFunction, store: LinkStore, utm: object, code: str
) -> None:
    response = post(create, {"url": URL, "utm": utm})

    assert (response.status, response.json()["error"]["code"]) == (422, code)
    assert store.items() == []


def test_a_url_too_long_once_tagged_is_refused_with_its_own_code(create: LambdaFunction, store: LinkStore) -> None:
    url = "https://example.org/?q=" + "a" * 2000

    response = post(create, {"url": url, "utm": {"campaign": "c" * 100}})

    assert (response.status, response.json()["error"]["code"]) == (422, "tagged_url_too_long")
    assert store.items() == []
