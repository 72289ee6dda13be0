"""The local server plays API Gateway and Lambda faithfully: the events, contexts and responses handlers see.

These run ``LocalServer`` in this process on a small template of probe functions that echo what they receive.
"""

from __future__ import annotations

import base64
import json
import textwrap
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

from local.server import LocalServer
from local.template import TABLE_LOGICAL_ID, load_template
from tests.events import load_event

pytestmark = pytest.mark.e2e

PROBE_HANDLERS = """
import base64
import json
import os

NAMES = ("POWERTOOLS_SERVICE_NAME", "TABLE_NAME", "SHORT_BASE_URL")
SETTINGS_AT_IMPORT = {name: os.environ.get(name) for name in NAMES}


def echo(event, context):
    body = {
        "event": event,
        "settings_at_import": SETTINGS_AT_IMPORT,
        "service_now": os.environ.get("POWERTOOLS_SERVICE_NAME"),
        "context": {
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "remaining_ms": context.get_remaining_time_in_millis(),
        },
    }
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def rich(event, context):
    return {
        "statusCode": 203,
        "headers": {"content-type": "application/octet-stream", "x-single": 1},
        "multiValueHeaders": {"x-multi": ["a", "b"]},
        "cookies": ["first=1; Path=/", "second=2; HttpOnly"],
        "body": base64.b64encode(bytes([0, 255, 10])).decode(),
        "isBase64Encoded": True,
    }


def boom(event, context):
    raise RuntimeError("a bug in the handler")


def not_a_dict(event, context):
    return ["not", "a", "response"]


def authorize(event, context):
    decision = event["headers"].get("x-decision", "allow")
    if decision == "raise":
        raise RuntimeError("a bug in the authorizer")
    if decision == "junk":
        return {"isAuthorized": "yes"}
    return {"isAuthorized": decision == "allow", "context": {"who": "probe", "authorizer_event": json.dumps(event)}}
"""


def _function(handler: str, events: dict[str, tuple[str, str]], service: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "Handler": f"probe.handlers.{handler}",
            "Environment": {"Variables": {"POWERTOOLS_SERVICE_NAME": service}},
            "Events": {
                name: {"Type": "HttpApi", "Properties": {"Method": method, "Path": path}}
                for name, (method, path) in events.items()
            },
        },
    }


def _lambda_authorizer(identity: dict[str, Any]) -> dict[str, Any]:
    return {
        "FunctionArn": {"Fn::GetAtt": ["AuthorizerFunction", "Arn"]},
        "AuthorizerPayloadFormatVersion": "2.0",
        "EnableSimpleResponses": True,
        "Identity": identity,
    }


@pytest.fixture(scope="module")
def probe_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    code = tmp_path_factory.mktemp("probe-code")
    (code / "probe").mkdir()
    (code / "probe" / "__init__.py").write_text("")
    (code / "probe" / "handlers.py").write_text(textwrap.dedent(PROBE_HANDLERS))
    template = {
        "Globals": {
            "Function": {
                "CodeUri": str(code),
                "MemorySize": 512,
                "Timeout": 7,
                "Environment": {"Variables": {"TABLE_NAME": {"Ref": TABLE_LOGICAL_ID}}},
            }
        },
        "Resources": {
            TABLE_LOGICAL_ID: load_template()["Resources"][TABLE_LOGICAL_ID],
            "EchoFunction": _function(
                "echo",
                {"Item": ("GET", "/items/{id}"), "Special": ("GET", "/items/special"), "Post": ("POST", "/items")},
                "echo",
            ),
            "OtherEchoFunction": _function("echo", {"Any": ("ANY", "/other/{proxy+}")}, "other"),
            "RichFunction": _function("rich", {"Rich": ("GET", "/rich")}, "rich"),
            "BoomFunction": _function("boom", {"Boom": ("GET", "/boom")}, "boom"),
            "NotADictFunction": _function("not_a_dict", {"Bad": ("GET", "/bad")}, "bad"),
        },
    }
    guarded_events: dict[str, dict[str, Any]] = {
        "Guarded": {"Method": "GET", "Path": "/guarded/{id}"},
        "Open": {"Method": "GET", "Path": "/open", "Auth": {"Authorizer": "NONE"}},
        "Strict": {"Method": "GET", "Path": "/strict", "Auth": {"Authorizer": "StrictAuthorizer"}},
    }
    template["Resources"] |= {
        "ProbeApi": {
            "Type": "AWS::Serverless::HttpApi",
            "Properties": {
                "Auth": {
                    "DefaultAuthorizer": "ProbeAuthorizer",
                    "Authorizers": {
                        "ProbeAuthorizer": _lambda_authorizer({"ReauthorizeEvery": 0}),
                        "StrictAuthorizer": _lambda_authorizer({"Headers": ["X-Token"], "ReauthorizeEvery": 0}),
                    },
                }
            },
        },
        "AuthorizerFunction": _function("authorize", {}, "authorizer"),
        "GuardedFunction": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Handler": "probe.handlers.echo",
                "Events": {
                    name: {"Type": "HttpApi", "Properties": {"ApiId": {"Ref": "ProbeApi"}, **properties}}
                    for name, properties in guarded_events.items()
                },
            },
        },
    }
    template_path = code / "template.yaml"
    template_path.write_text(yaml.safe_dump(template))
    with LocalServer(port=0, table_name="probe-table", template_path=template_path) as server:
        yield server


@pytest.fixture
def probe(probe_server: LocalServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=probe_server.url, timeout=10) as http:
        yield http


def test_the_event_is_payload_format_2(probe: httpx.Client) -> None:
    # WHEN a request with a repeated query name, a repeated header and cookies reaches a parameterised route
    response = probe.get(
        "/items/a%20b?b=2&a=1&a=3&s=x%20y",
        headers=[("X-Repeat", "one"), ("X-Repeat", "two"), ("Cookie", "c1=v1; c2=v2")],
    )

    # THEN the function sees what HTTP API would send it
    event = response.json()["event"]
    assert event["version"] == "2.0"
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "GET /items/{id}"
    assert event["rawPath"] == "/items/a%20b"
    assert event["rawQueryString"] == "b=2&a=1&a=3&s=x%20y"
    assert event["queryStringParameters"] == {"b": "2", "a": "1,3", "s": "x y"}
    assert event["pathParameters"] == {"id": "a b"}
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-repeat"] == "one,two"
    assert all(name == name.lower() for name in event["headers"])
    assert event["isBase64Encoded"] is False
    assert "body" not in event
    context = event["requestContext"]
    assert context["stage"] == "$default"
    assert context["domainName"] == "127.0.0.1"
    assert context["http"]["method"] == "GET"
    assert context["http"]["sourceIp"] == "127.0.0.1"
    assert context["requestId"] == response.headers["apigw-requestid"]
    assert isinstance(context["timeEpoch"], int)


def test_a_request_without_query_or_path_parameters_leaves_them_out(probe: httpx.Client) -> None:
    event = probe.post("/items", content=b"plain text").json()["event"]

    assert "queryStringParameters" not in event
    assert "pathParameters" not in event
    assert event["rawQueryString"] == ""
    assert (event["body"], event["isBase64Encoded"]) == ("plain text", False)


def test_a_body_that_is_not_utf8_arrives_base64_encoded(probe: httpx.Client) -> None:
    event = probe.post("/items", content=b"\xff\x00\xfe").json()["event"]

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\x00\xfe"


def test_each_function_has_its_own_environment_and_a_lambda_context(
    probe: httpx.Client, probe_server: LocalServer
) -> None:
    echo = probe.get("/items/1").json()
    other = probe.get("/other/1").json()

    assert echo["settings_at_import"] == {
        "POWERTOOLS_SERVICE_NAME": "echo",
        "TABLE_NAME": "probe-table",
        "SHORT_BASE_URL": probe_server.url,
    }
    assert other["settings_at_import"]["POWERTOOLS_SERVICE_NAME"] == "other"
    assert (echo["service_now"], other["service_now"]) == ("echo", "other")
    assert echo["context"]["function_name"] == "EchoFunction"
    assert echo["context"]["memory_limit_in_mb"] == 512
    assert 0 < echo["context"]["remaining_ms"] <= 7000


def test_a_literal_route_beats_a_parameter_and_a_greedy_one_takes_the_rest(probe: httpx.Client) -> None:
    assert probe.get("/items/special").json()["event"]["routeKey"] == "GET /items/special"
    greedy = probe.delete("/other/a/b/c").json()["event"]
    assert (greedy["routeKey"], greedy["pathParameters"]) == ("ANY /other/{proxy+}", {"proxy": "a/b/c"})


def test_head_needs_a_head_route(probe: httpx.Client) -> None:
    response = probe.head("/items/1")

    assert response.status_code == 404


def test_cookies_multi_value_headers_and_base64_bodies_are_translated(probe: httpx.Client) -> None:
    response = probe.get("/rich")

    assert response.status_code == 203
    assert response.content == bytes([0, 255, 10])
    assert response.headers.get_list("set-cookie") == ["first=1; Path=/", "second=2; HttpOnly"]
    assert response.headers.get_list("x-multi") == ["a", "b"]
    assert response.headers["x-single"] == "1"


@pytest.mark.parametrize("path", ["/boom", "/bad"])
def test_a_handler_that_raises_or_answers_nonsense_is_a_502(probe: httpx.Client, path: str) -> None:
    response = probe.get(path)

    assert response.status_code == 502
    assert response.json() == {"message": "Internal Server Error"}


def test_no_route_is_api_gateways_404(probe: httpx.Client) -> None:
    response = probe.get("/nowhere")

    assert response.status_code == 404
    assert response.text == json.dumps({"message": "Not Found"}, separators=(",", ":"))


# --- Lambda authorizers ---------------------------------------------------------------------------------------------


def test_the_authorizer_runs_first_with_a_payload_2_authorizer_event_and_its_context_reaches_the_route(
    probe: httpx.Client, probe_server: LocalServer
) -> None:
    # WHEN a route behind the API's default authorizer is called
    response = probe.get("/guarded/7?b=2", headers={"X-Decision": "allow", "Cookie": "c=1"})

    # THEN the function sees the authorizer's context in requestContext.authorizer.lambda
    assert response.status_code == 200, response.text
    route_event = response.json()["event"]
    context = route_event["requestContext"]["authorizer"]["lambda"]
    assert context["who"] == "probe"
    # AND the authorizer had the request as HTTP API describes it to authorizers: no body, a route ARN
    seen = json.loads(context["authorizer_event"])
    assert seen["version"] == "2.0"
    assert seen["type"] == "REQUEST"
    assert (
        seen["routeArn"] == f"arn:aws:execute-api:{probe_server.region}:123456789012:local/$default/GET/guarded/{{id}}"
    )
    assert seen["identitySource"] == []
    assert (seen["routeKey"], seen["rawPath"], seen["rawQueryString"]) == ("GET /guarded/{id}", "/guarded/7", "b=2")
    assert (seen["pathParameters"], seen["queryStringParameters"], seen["cookies"]) == (
        {"id": "7"},
        {"b": "2"},
        ["c=1"],
    )
    assert seen["headers"]["x-decision"] == "allow"
    assert seen["requestContext"]["requestId"] == route_event["requestContext"]["requestId"]
    assert "authorizer" not in seen["requestContext"]
    assert "body" not in seen
    # AND its fields are those of the authorizer event fixture (the ones every request has)
    assert set(load_event("authorizer")) <= set(seen)


def test_an_authorizer_that_says_no_is_api_gateways_403(probe: httpx.Client) -> None:
    response = probe.get("/guarded/1", headers={"X-Decision": "deny"})

    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden"}


@pytest.mark.parametrize("decision", ["raise", "junk"])
def test_an_authorizer_that_fails_is_api_gateways_500(probe: httpx.Client, decision: str) -> None:
    response = probe.get("/guarded/1", headers={"X-Decision": decision})

    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


def test_a_route_with_authorizer_none_runs_no_authorizer(probe: httpx.Client) -> None:
    response = probe.get("/open", headers={"X-Decision": "deny"})

    assert response.status_code == 200
    assert "authorizer" not in response.json()["event"]["requestContext"]


def test_a_missing_identity_source_is_401_without_calling_the_authorizer(probe: httpx.Client) -> None:
    refused = probe.get("/strict", headers={"X-Decision": "raise"})  # the authorizer would answer 500
    allowed = probe.get("/strict", headers={"X-Token": "t0k3n"})

    assert refused.status_code == 401
    assert refused.json() == {"message": "Unauthorized"}
    seen = json.loads(allowed.json()["event"]["requestContext"]["authorizer"]["lambda"]["authorizer_event"])
    assert seen["identitySource"] == ["t0k3n"]
