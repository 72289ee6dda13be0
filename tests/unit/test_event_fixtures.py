"""The event fixtures in tests/events: one per template route, shaped as API Gateway sends them, and the loader;
and the CloudWatch Logs subscription events the aggregator receives, each blob decoding to its readable source."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any
from urllib.parse import parse_qsl

import pytest

from local.template import routes
from shortlinks.domain.clicks import parse_click
from tests.events import EVENTS_DIR, load_event

# ``<name>.source.json``: the readable payload a subscription fixture's blob was made from, not an event.
FIXTURES = sorted(path.stem for path in EVENTS_DIR.glob("*.json") if not path.stem.endswith(".source"))
# What HTTP API sends a Lambda authorizer ("type": "REQUEST") rather than a route's function.
AUTHORIZER_FIXTURES = [name for name in FIXTURES if load_event(name).get("type") == "REQUEST"]
# What a CloudWatch Logs subscription sends the aggregator (no HTTP route).
SUBSCRIPTION_FIXTURES = [name for name in FIXTURES if "awslogs" in load_event(name)]
ROUTE_FIXTURES = [name for name in FIXTURES if name not in AUTHORIZER_FIXTURES + SUBSCRIPTION_FIXTURES]


def _consistent_query(event: dict[str, Any]) -> bool:
    expected: dict[str, list[str]] = {}
    for name, value in parse_qsl(event["rawQueryString"], keep_blank_values=True):
        expected.setdefault(name, []).append(value)
    parameters = event.get("queryStringParameters")
    if not expected:
        return parameters is None
    return parameters == {name: ",".join(values) for name, values in expected.items()}


def test_every_route_of_the_template_has_a_fixture() -> None:
    route_keys = {f"{route.method} {route.path}" for route in routes()}

    assert {load_event(name)["routeKey"] for name in ROUTE_FIXTURES} == route_keys


@pytest.mark.parametrize("name", ROUTE_FIXTURES)
def test_each_fixture_is_an_http_api_payload_2_0_event(name: str) -> None:
    event = load_event(name)
    context = event["requestContext"]
    method, _, path = event["routeKey"].partition(" ")

    assert event["version"] == "2.0"
    assert context["routeKey"] == event["routeKey"]
    assert context["http"]["method"] == method
    assert context["http"]["path"] == event["rawPath"]
    assert set(context) >= {"accountId", "apiId", "domainName", "domainPrefix", "requestId", "stage", "time"}
    assert set(context["http"]) == {"method", "path", "protocol", "sourceIp", "userAgent"}
    assert isinstance(context["timeEpoch"], int)
    assert all(header == header.lower() for header in event["headers"])
    assert event["headers"]["host"] == context["domainName"]
    assert event["headers"]["user-agent"] == context["http"]["userAgent"]
    assert ("pathParameters" in event) == ("{" in path)
    assert _consistent_query(event)
    assert event["isBase64Encoded"] is False


@pytest.mark.parametrize("name", AUTHORIZER_FIXTURES)
def test_each_authorizer_fixture_is_a_payload_2_0_authorizer_event(name: str) -> None:
    event = load_event(name)
    context = event["requestContext"]
    method, _, path = event["routeKey"].partition(" ")

    assert event["version"] == "2.0"
    assert event["routeArn"].endswith(f"/$default/{method}{path}")
    assert event["routeArn"].startswith(f"arn:aws:execute-api:us-east-1:{context['accountId']}:{context['apiId']}/")
    assert isinstance(event["identitySource"], list)
    assert context["routeKey"] == event["routeKey"]
    assert context["http"]["path"] == event["rawPath"]
    assert all(header == header.lower() for header in event["headers"])
    assert "authorizer" not in context  # the authorizer is what fills it in, for the route's function
    assert "body" not in event  # an authorizer never sees the body


def _subscription_payload(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(gzip.decompress(base64.b64decode(load_event(name)["awslogs"]["data"])))
    return payload


@pytest.mark.parametrize("name", SUBSCRIPTION_FIXTURES)
def test_each_subscription_fixture_is_base64_of_gzip_of_a_logs_payload(name: str) -> None:
    payload = _subscription_payload(name)

    assert set(load_event(name)) == {"awslogs"}
    assert payload["messageType"] in ("DATA_MESSAGE", "CONTROL_MESSAGE")
    assert set(payload) == {"messageType", "owner", "logGroup", "logStream", "subscriptionFilters", "logEvents"}
    assert all(set(event) == {"id", "timestamp", "message"} for event in payload["logEvents"])


def test_the_clicks_fixture_decodes_to_its_source() -> None:
    # Regenerate the blob after editing the source: base64 of gzip.compress(compact JSON of the source, mtime=0).
    source = json.loads((EVENTS_DIR / "awslogs_clicks.source.json").read_text(encoding="utf-8"))

    assert _subscription_payload("awslogs_clicks") == source
    assert all(len(event["id"]) == 56 and event["id"].isdigit() for event in source["logEvents"])
    # Click records of each format the aggregator reads (domain/click_format.py): 3, then 2 and 1 from older versions.
    formats = [json.loads(event["message"]).get("click", 1) for event in source["logEvents"]]
    assert formats == [3] * 8 + [2, 1, 1]
    assert all(parse_click(event["message"], event["timestamp"]) for event in source["logEvents"])


def test_the_authorizer_fixture_is_the_create_requests_authorization() -> None:
    authorizing, route = load_event("authorizer"), load_event("create_link")

    assert authorizing["routeKey"] == route["routeKey"]
    assert authorizing["requestContext"]["requestId"] == route["requestContext"]["requestId"]


def test_the_create_fixture_carries_a_json_body_of_the_length_it_declares() -> None:
    event = load_event("create_link")

    assert json.loads(event["body"])["url"].startswith("https://")
    assert event["headers"]["content-length"] == str(len(event["body"].encode()))


def test_each_load_is_a_fresh_copy() -> None:
    load_event("redirect")["headers"]["host"] = "changed.example"

    assert load_event("redirect")["headers"]["host"] == "sho.rt"


def test_a_query_mapping_sets_both_query_fields() -> None:
    event = load_event("expand", query={"url": "https://sho.rt/a b", "code": "x&y"})

    assert event["rawQueryString"] == "url=https%3A%2F%2Fsho.rt%2Fa+b&code=x%26y"
    assert event["queryStringParameters"] == {"url": "https://sho.rt/a b", "code": "x&y"}


def test_a_raw_query_is_kept_exactly_and_repeated_names_are_comma_joined() -> None:
    event = load_event("redirect", query="a=1&b=%20x&a=2")

    assert event["rawQueryString"] == "a=1&b=%20x&a=2"
    assert event["queryStringParameters"] == {"a": "1,2", "b": " x"}


@pytest.mark.parametrize("empty", ["", {}])
def test_an_empty_query_removes_both_query_fields(empty: str | dict[str, str]) -> None:
    event = load_event("redirect", query=empty)

    assert event["rawQueryString"] == ""
    assert "queryStringParameters" not in event


def test_path_parameters_rewrite_the_path() -> None:
    event = load_event("redirect_head", path_parameters={"code": "Zz9"})

    assert event["pathParameters"] == {"code": "Zz9"}
    assert event["rawPath"] == event["requestContext"]["http"]["path"] == "/Zz9"


def test_headers_are_merged_lower_cased_and_none_removes_one() -> None:
    event = load_event("redirect", headers={"Accept": "application/json", "referer": None})

    assert event["headers"]["accept"] == "application/json"
    assert "referer" not in event["headers"]
    assert event["headers"]["host"] == "sho.rt"


def test_a_body_is_sent_as_text_json_or_base64() -> None:
    as_json = load_event("create_link", body={"url": "https://e.org/ü"})
    as_bytes = load_event("create_link", body=b"\x00\x01")
    without = load_event("create_link", body=None)

    assert (json.loads(as_json["body"]), as_json["isBase64Encoded"]) == ({"url": "https://e.org/ü"}, False)
    assert as_json["headers"]["content-length"] == str(len(as_json["body"].encode()))
    assert (base64.b64decode(as_bytes["body"]), as_bytes["isBase64Encoded"]) == (b"\x00\x01", True)
    assert "body" not in without
