"""POST /v1/links: the create function on real HTTP API events against the template's table."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from shortlinks.domain import codes
from tests.events import load_event
from tests.integration.harness import (
    SHORT_BASE_URL,
    HttpResponse,
    LambdaFunction,
    LinkStore,
    recording_dynamodb_calls,
)

URL = "https://example.org/resources/artists/mental-health?lang=en"
FIXTURE_KEY_ID = "key_Campaigns001"  # the member key in create_link.json's authorizer context
TOKYO = timezone(timedelta(hours=9))
API_HOST = "k3x9qz1v2m.execute-api.us-east-1.amazonaws.com"


def post(create: LambdaFunction, body: object, headers: dict[str, str | None] | None = None) -> HttpResponse:
    return create(load_event("create_link", body=body, headers=headers))


def assert_json_error(response: HttpResponse, status: int, code: str) -> None:
    assert response.status == status, response.body
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]


# --- created ------------------------------------------------------------------------------------------------------


def test_the_fixture_event_creates_a_link_with_a_generated_code(create: LambdaFunction, store: LinkStore) -> None:
    # GIVEN the create_link event as API Gateway delivers it, after the authorizer accepted a member's key
    # WHEN the function handles it
    response = create(load_event("create_link"))

    # THEN a link is created on the configured short domain, owned by that key
    assert response.status == 201, response.body
    link = response.json()
    code = link["code"]
    assert len(code) == 7
    assert set(code) <= set(codes.BASE62)
    assert link == {
        "code": code,
        "domain": "sho.rt",
        "short_url": f"{SHORT_BASE_URL}/{code}",
        "url": URL,
        "utm": None,
        "destination": URL,
        "title": "Mental health resources for artists",
        "tags": [],
        "redirect_type": 302,
        "forward_query": True,
        "status": "active",
        "owner": FIXTURE_KEY_ID,
        "version": 1,
        "created_at": link["created_at"],
        "updated_at": None,
        "expires_at": None,
    }
    created_at = datetime.fromisoformat(link["created_at"])
    assert link["created_at"].endswith("Z")
    assert abs(datetime.now(UTC) - created_at) < timedelta(minutes=1)
    assert response.headers["location"] == f"/v1/links/{code}"
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    # AND it is stored, listed under its owner
    [item] = store.link_items()
    assert item["pk"] == {"S": f"LINK#sho.rt#{code}"}
    assert item["url"] == {"S": URL}
    assert item["owner"] == {"S": FIXTURE_KEY_ID}
    assert item["gsi1pk"] == {"S": f"OWNER#{FIXTURE_KEY_ID}"}


def test_every_option_is_stored_and_shown(create: LambdaFunction, store: LinkStore) -> None:
    expires_in_tokyo = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0).astimezone(TOKYO)
    body = {
        "url": URL,
        "alias": "Mental-Health_2026",
        "redirect_type": 308,
        "forward_query": False,
        "expires_at": expires_in_tokyo.isoformat(),
        "title": "Resources",
        "tags": ["spring-sale", "artists", "spring-sale"],
    }

    response = post(create, body)

    assert response.status == 201, response.body
    link = response.json()
    assert {k: link[k] for k in ("code", "short_url", "redirect_type", "forward_query", "title", "tags", "status")} == {
        "code": "Mental-Health_2026",
        "short_url": f"{SHORT_BASE_URL}/Mental-Health_2026",
        "redirect_type": 308,
        "forward_query": False,
        "title": "Resources",
        "tags": ["artists", "spring-sale"],  # a set, kept sorted
        "status": "active",
    }
    assert link["expires_at"] == expires_in_tokyo.astimezone(UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )
    [item] = store.link_items()
    assert (item["redirect_type"], item["forward_query"]) == ({"N": "308"}, {"BOOL": False})
    assert sorted(item["tags"]["SS"]) == ["artists", "spring-sale"]


def test_an_alias_becomes_the_code(create: LambdaFunction) -> None:
    response = post(create, {"url": URL, "alias": "help"})

    assert response.status == 201, response.body
    assert response.json()["code"] == "help"
    assert response.json()["short_url"] == "https://sho.rt/help"
    assert response.headers["location"] == "/v1/links/help"


def test_a_taken_alias_is_409_and_the_original_link_is_untouched(create: LambdaFunction, store: LinkStore) -> None:
    # GIVEN "help" already leads somewhere
    store.add("help", "https://original.example/")

    # WHEN someone asks for "help" again
    response = post(create, {"url": URL, "alias": "help"})

    # THEN they are refused, and the link still leads where it did
    assert_json_error(response, 409, "code_taken")
    [item] = store.link_items()
    assert item["url"] == {"S": "https://original.example/"}


def test_a_generated_code_that_is_taken_is_drawn_again(
    create: LambdaFunction, store: LinkStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the code generator will first draw a code that is taken, then a free one
    store.add("aaaaaaa", "https://original.example/")
    draws = iter("aaaaaaa" + "bbbbbbb")
    monkeypatch.setattr(secrets, "choice", lambda _alphabet: next(draws))  # what generate_code draws with

    # WHEN a link is created without an alias
    with recording_dynamodb_calls() as calls:
        response = post(create, {"url": URL})

    # THEN the key's rate counter was counted once, the conditional write refused the taken code and the next
    # one was used
    assert response.status == 201, response.body
    assert response.json()["code"] == "bbbbbbb"
    assert [call.operation for call in calls] == ["UpdateItem", "PutItem", "PutItem"]
    assert {item["code"]["S"]: item["url"]["S"] for item in store.link_items()} == {
        "aaaaaaa": "https://original.example/",
        "bbbbbbb": URL,
    }


def test_creating_a_link_is_one_rate_counter_update_then_one_conditional_put(create: LambdaFunction) -> None:
    with recording_dynamodb_calls() as calls:
        response = post(create, {"url": URL, "alias": "one-write"})

    assert response.status == 201, response.body
    count, put = calls
    # the key's counter for this minute, counted only while under the limit
    assert count.operation == "UpdateItem"
    assert count.params["Key"]["pk"] == {"S": f"RATE#{FIXTURE_KEY_ID}"}
    assert count.params["ConditionExpression"]
    # then the link, written only if its code is free
    assert put.operation == "PutItem"
    assert "attribute_not_exists" in put.params["ConditionExpression"]
    assert put.params["Item"]["pk"] == {"S": "LINK#sho.rt#one-write"}


def test_an_internationalised_url_is_stored_as_punycode(create: LambdaFunction, store: LinkStore) -> None:
    response = post(create, {"url": "https://bücher.example/straße?q=ü"})

    assert response.status == 201, response.body
    expected = "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC"
    assert response.json()["url"] == expected
    [item] = store.link_items()
    assert item["url"] == {"S": expected}


def test_a_base64_encoded_body_is_read(create: LambdaFunction) -> None:
    response = create(load_event("create_link", body=json.dumps({"url": URL, "alias": "b64"}).encode()))

    assert response.status == 201, response.body
    assert response.json()["code"] == "b64"


@pytest.mark.parametrize("content_type", [None, "application/json; charset=utf-8", "Application/JSON"])
def test_a_json_body_is_read_with_or_without_a_content_type(create: LambdaFunction, content_type: str | None) -> None:
    response = post(create, {"url": URL}, headers={"content-type": content_type})

    assert response.status == 201, response.body


def test_short_links_are_on_the_configured_domain_whatever_host_the_api_was_called_on(create: LambdaFunction) -> None:
    event = load_event("create_link", body={"url": URL, "alias": "via-api"}, headers={"host": API_HOST})
    event["requestContext"]["domainName"] = API_HOST

    response = create(event)

    assert response.status == 201, response.body
    assert (response.json()["domain"], response.json()["short_url"]) == ("sho.rt", "https://sho.rt/via-api")


def test_a_destination_on_the_host_the_api_was_called_on_is_a_loop(create: LambdaFunction, store: LinkStore) -> None:
    response = post(create, {"url": f"https://{API_HOST}/AbC1234"}, headers={"host": API_HOST})

    assert_json_error(response, 422, "url_is_short_link")
    assert store.items() == []


def test_a_created_link_can_be_followed(create: LambdaFunction, redirect: LambdaFunction) -> None:
    created = post(create, {"url": URL, "redirect_type": 307}).json()

    response = redirect(load_event("redirect", path_parameters={"code": created["code"]}, query=""))

    assert (response.status, response.headers["location"]) == (307, URL)


# --- refused: the JSON error shape, the right status, and nothing written -----------------------------------------

TOO_LARGE = json.dumps({"url": URL, "title": "x" * (16 * 1024)})

REFUSALS: list[tuple[str, object, dict[str, str | None] | None, int, str]] = [
    ("malformed JSON", '{"url": "https://example.org/",', None, 400, "malformed_json"),
    ("trailing garbage", '{"url": "https://example.org/"} x', None, 400, "malformed_json"),
    ("empty body", "", None, 400, "malformed_json"),
    ("no body", None, None, 400, "malformed_json"),
    ("JSON array", [{"url": URL}], None, 400, "malformed_json"),
    ("JSON string", json.dumps(URL), None, 400, "malformed_json"),
    ("JSON null", "null", None, 400, "malformed_json"),
    ("redirect_type as a string", {"url": URL, "redirect_type": "302"}, None, 422, "validation_error"),
    ("forward_query as a string", {"url": URL, "forward_query": "yes"}, None, 422, "validation_error"),
    ("url as a number", {"url": 42}, None, 422, "validation_error"),
    ("unknown field", {"url": URL, "custom_domain": "evil.example"}, None, 422, "validation_error"),
    ("missing url", {"alias": "no-url"}, None, 422, "validation_error"),
    ("body over 16 KiB", TOO_LARGE, None, 413, "payload_too_large"),
    ("plain text", URL, {"content-type": "text/plain"}, 415, "unsupported_media_type"),
    (
        "form",
        "url=https%3A%2F%2Fexample.org",
        {"content-type": "application/x-www-form-urlencoded"},
        415,
        "unsupported_media_type",
    ),
    ("javascript: URL", {"url": "javascript:alert(document.cookie)"}, None, 422, "unsupported_scheme"),
    ("data: URL", {"url": "data:text/html,<script>alert(1)</script>"}, None, 422, "unsupported_scheme"),
    ("ftp: URL", {"url": "ftp://example.org/file"}, None, 422, "unsupported_scheme"),
    ("credentials in URL", {"url": "https://bank.example@evil.example/"}, None, 422, "url_has_credentials"),
    ("URL over 2048", {"url": "https://example.org/" + "a" * 2029}, None, 422, "url_too_long"),
    ("relative URL", {"url": "/just/a/path"}, None, 422, "invalid_url"),
    ("URL with a space", {"url": "https://example.org/a b"}, None, 422, "invalid_url"),
    ("loop to our own domain", {"url": "https://sho.rt/x"}, None, 422, "url_is_short_link"),
    ("loop, any case and port", {"url": "HTTPS://Sho.RT:443/x"}, None, 422, "url_is_short_link"),
    ("reserved alias", {"url": URL, "alias": "admin"}, None, 422, "alias_reserved"),
    ("reserved alias in capitals", {"url": URL, "alias": "Health"}, None, 422, "alias_reserved"),
    ("alias with a space", {"url": URL, "alias": "my link"}, None, 422, "invalid_alias"),
    ("alias with a slash", {"url": URL, "alias": "a/b"}, None, 422, "invalid_alias"),
    ("alias with a newline", {"url": URL, "alias": "abc\n"}, None, 422, "invalid_alias"),
    ("alias too short", {"url": URL, "alias": "ab"}, None, 422, "invalid_alias"),
    ("alias too long", {"url": URL, "alias": "a" * 65}, None, 422, "invalid_alias"),
    ("alias far too long", {"url": URL, "alias": "a" * 300}, None, 422, "validation_error"),
    ("past expires_at", {"url": URL, "expires_at": "2020-01-01T00:00:00Z"}, None, 422, "invalid_expires_at"),
    ("naive expires_at", {"url": URL, "expires_at": "2030-01-01T00:00:00"}, None, 422, "validation_error"),
    ("expires_at over 100 years", {"url": URL, "expires_at": "2200-01-01T00:00:00Z"}, None, 422, "invalid_expires_at"),
    ("expires_at not a date", {"url": URL, "expires_at": "tomorrow"}, None, 422, "validation_error"),
    ("redirect_type 303", {"url": URL, "redirect_type": 303}, None, 422, "validation_error"),
    ("redirect_type 200", {"url": URL, "redirect_type": 200}, None, 422, "validation_error"),
    ("title over 200 chars", {"url": URL, "title": "t" * 201}, None, 422, "validation_error"),
    ("title with a control char", {"url": URL, "title": "bell\x07"}, None, 422, "validation_error"),
    ("tag in capitals", {"url": URL, "tags": ["Spring-Sale"]}, None, 422, "invalid_tags"),
    ("tag with a space", {"url": URL, "tags": ["spring sale"]}, None, 422, "invalid_tags"),
    ("empty tag", {"url": URL, "tags": [""]}, None, 422, "invalid_tags"),
    ("21 tags", {"url": URL, "tags": [f"t{i}" for i in range(21)]}, None, 422, "validation_error"),
    ("tags as a string", {"url": URL, "tags": "spring-sale"}, None, 422, "validation_error"),
    ("reuse as a string", {"url": URL, "reuse": "true"}, None, 422, "validation_error"),
]


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [pytest.param(*case[1:], id=case[0]) for case in REFUSALS],
)
def test_a_refused_request_answers_a_json_error_and_writes_nothing(
    create: LambdaFunction,
    store: LinkStore,
    body: object,
    headers: dict[str, str | None] | None,
    status: int,
    code: str,
) -> None:
    with recording_dynamodb_calls() as calls:
        response = post(create, body, headers)

    assert_json_error(response, status, code)
    assert [call.operation for call in calls] == []  # not even the rate counter: a refusal costs the key nothing
    assert store.items() == []


def test_an_invalid_base64_body_is_malformed(create: LambdaFunction, store: LinkStore) -> None:
    event = load_event("create_link")
    event["isBase64Encoded"] = True
    event["body"] = "not base64!"

    assert_json_error(create(event), 400, "malformed_json")
    assert store.items() == []


def test_validation_errors_name_each_offending_field(create: LambdaFunction) -> None:
    response = post(create, {"url": URL, "redirect_type": "302", "extra": 1})

    details = {detail["field"]: detail["message"] for detail in response.json()["error"]["details"]}
    assert set(details) == {"redirect_type", "extra"}
    assert details["extra"] == "unknown field"


def test_a_title_of_exactly_200_characters_is_accepted(create: LambdaFunction) -> None:
    response = post(create, {"url": URL, "title": "t" * 200})

    assert response.status == 201, response.body
    assert response.json()["title"] == "t" * 200


def _padded_body(size: int) -> str:
    """A valid create body of exactly ``size`` bytes (JSON allows trailing whitespace)."""
    body = json.dumps({"url": URL})
    return body + " " * (size - len(body))


def test_a_body_of_exactly_16_kib_is_read(create: LambdaFunction) -> None:
    assert post(create, _padded_body(16 * 1024)).status == 201


def test_a_body_one_byte_over_16_kib_is_too_large(create: LambdaFunction, store: LinkStore) -> None:
    assert_json_error(post(create, _padded_body(16 * 1024 + 1)), 413, "payload_too_large")
    assert store.items() == []


# --- no input is a server error ----------------------------------------------------------------------------------

WEIRD_BODIES: list[object] = [
    " ",
    "\ufeff" + json.dumps({"url": URL}),
    "{}",
    "[]",
    "0",
    "true",
    "1e999",
    '{"url": "https://example.org/", "url": "javascript:alert(1)"}',
    "[" * 10_000 + "]" * 10_000,
    '{"a":' * 5_000 + "1" + "}" * 5_000,
    {"url": None},
    {"url": ""},
    {"url": " "},
    {"url": "https://"},
    {"url": "https://example.org/\ud800"},
    {"url": "https://\ud800.example/"},
    {"url": "https://example.org:99999/"},
    {"url": "http://[::1"},
    {"url": "https://exa%00mple.org/"},
    {"url": "https://" + "a" * 300 + ".example/"},
    {"url": "https://example.org/", "title": "\ud83d"},
    {"url": "https://example.org/", "alias": "\u0430dmin"},
    {"url": "https://example.org/", "alias": None, "title": None, "expires_at": None},
    {"url": "https://example.org/", "expires_at": "9999-12-31T23:59:59Z"},
    {"url": "https://example.org/", "expires_at": "0001-01-01T00:00:00+14:00"},
    {"url": "https://example.org/", "expires_at": 1795608000},
    {"url": "https://example.org/", "redirect_type": 302.0},
    {"url": "https://example.org/", "redirect_type": True},
    {"url": "https://example.org/", "forward_query": 1},
    {"url": ["https://example.org/"]},
    {"url": {"href": "https://example.org/"}},
    "\ud800",
    b"\xff\xfe\x00\x00",
    b'{"url": "https://example.org/\xff"}',
]


@pytest.mark.parametrize("body", WEIRD_BODIES, ids=lambda body: repr(body)[:40])
def test_no_body_is_a_server_error(create: LambdaFunction, store: LinkStore, body: object) -> None:
    response = post(create, body)

    assert response.status < 500, response.body
    payload: dict[str, Any] = response.json()
    if response.status == 201:
        assert len(store.link_items()) == 1
    else:
        assert set(payload) == {"error"}
        assert store.items() == []
