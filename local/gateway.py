"""API Gateway HTTP API's half of a Lambda proxy integration: request -> payload format 2.0 event, result -> response.

Only what the handlers can observe is emulated; where API Gateway's behaviour is a choice, the comment says which.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from local.routing import RouteMatch

ACCOUNT_ID = "123456789012"
API_ID = "local"
STAGE = "$default"
MAX_BODY_BYTES = 10 * 1024 * 1024  # HTTP API's payload quota

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class MalformedResult(ValueError):
    """A handler returned something API Gateway could not turn into a response (it answers 502)."""


def gateway_error(status: int, message: str, request_id: str) -> Response:
    """API Gateway's own answers (no route, bad integration response): ``{"message": ...}`` as JSON."""
    return Response(
        json.dumps({"message": message}, separators=(",", ":")),
        status=status_line(status),
        content_type="application/json",
        headers={"apigw-requestid": request_id},
    )


def raw_target(request: Request) -> tuple[str, str]:
    """The request's path and query exactly as the client sent them (percent-encoding preserved)."""
    raw_uri = request.environ.get("RAW_URI")
    if raw_uri is None:  # not werkzeug's server: rebuild from the decoded parts
        return request.script_root + request.environ.get("PATH_INFO", "/"), request.query_string.decode("latin-1")
    # werkzeug hands over the request line as latin-1 text of its UTF-8 re-encoding; undo both steps.
    target = str(raw_uri).encode("latin-1").decode("utf-8").encode("latin-1").decode("utf-8", "replace")
    if "://" in target.partition("?")[0]:  # absolute-form request target (a proxy's): drop scheme and host
        target = "/" + target.partition("://")[2].partition("/")[2]
    path, _, query = target.partition("?")
    return path or "/", query.partition("#")[0]


def http_api_event(request: Request, match: RouteMatch, *, request_id: str, now: datetime) -> dict[str, Any]:
    """The payload format 2.0 event HTTP API would send the route's function for ``request``."""
    raw_path, raw_query = raw_target(request)
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers.items():
        name = name.lower()
        if name == "cookie":  # format 2.0 moves cookies out of the headers into their own field
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    source_ip = request.remote_addr or "127.0.0.1"
    host = headers.get("host", "")
    forwarded_for = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded_for}, {source_ip}" if forwarded_for else source_ip
    headers["x-forwarded-proto"] = request.scheme
    headers["x-forwarded-port"] = str(request.environ.get("SERVER_PORT", ""))
    headers.setdefault("x-amzn-trace-id", f"Root=1-{int(now.timestamp()):08x}-{secrets.token_hex(12)}")
    domain_name = _without_port(host)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    parameters = _query_parameters(raw_query)
    if parameters:
        event["queryStringParameters"] = parameters
    if match.path_parameters:
        event["pathParameters"] = dict(match.path_parameters)
    event["requestContext"] = {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": domain_name,
        "domainPrefix": domain_name.split(".")[0],
        "http": {
            "method": request.method,
            "path": raw_path,
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "sourceIp": source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": match.route_key,
        "stage": STAGE,
        "time": _clf_time(now),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    body = request.get_data(cache=False)
    if body:
        try:
            event["body"] = body.decode("utf-8")
            event["isBase64Encoded"] = False
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    return event


def authorizer_event(route_event: Mapping[str, Any], *, region: str, identity_source: list[str]) -> dict[str, Any]:
    """The payload format 2.0 event HTTP API sends a Lambda authorizer before ``route_event``'s route.

    The same request facts as the route's event, without the body, plus ``type``, ``routeArn`` and the values of
    the authorizer's identity sources.
    """
    context = route_event["requestContext"]
    method, _, path = str(route_event["routeKey"]).partition(" ")
    event: dict[str, Any] = {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": f"arn:aws:execute-api:{region}:{ACCOUNT_ID}:{API_ID}/{STAGE}/{method}{path}",
        "identitySource": identity_source,
        "routeKey": route_event["routeKey"],
        "rawPath": route_event["rawPath"],
        "rawQueryString": route_event["rawQueryString"],
    }
    for optional in ("cookies", "headers", "queryStringParameters", "pathParameters"):
        if optional in route_event:
            event[optional] = copy.deepcopy(route_event[optional])
    event["requestContext"] = copy.deepcopy(context)
    return event


def simple_authorizer_result(result: Any) -> tuple[bool, dict[str, Any]]:
    """``(isAuthorized, context)`` from an authorizer's simple response; ``MalformedResult`` when it is not one
    (API Gateway answers 500)."""
    if not isinstance(result, Mapping) or not isinstance(result.get("isAuthorized"), bool):
        raise MalformedResult("a simple response must be an object with a boolean isAuthorized")
    context = result.get("context") or {}
    if not isinstance(context, Mapping):
        raise MalformedResult("the authorizer's context must be an object")
    return result["isAuthorized"], dict(context)


def http_response(result: Any, request_id: str) -> Response:
    """Turn a handler's result into the HTTP response API Gateway would send; ``MalformedResult`` if it cannot."""
    if not isinstance(result, Mapping):
        raise MalformedResult(f"the handler returned {type(result).__name__}, not a dict")
    if "statusCode" not in result:
        # Format 2.0 reads any JSON object without a statusCode as the body of a 200 JSON response.
        try:
            return Response(
                json.dumps(result),
                status_line(200),
                content_type="application/json",
                headers={"apigw-requestid": request_id},
            )
        except TypeError as exc:
            raise MalformedResult(f"the result is not JSON: {exc}") from None
    status = result["statusCode"]
    digits = str(status)
    if isinstance(status, bool) or not isinstance(status, int | str) or not (digits.isascii() and digits.isdigit()):
        raise MalformedResult(f"statusCode must be a number, not {status!r}")
    if not 100 <= int(status) <= 599:
        raise MalformedResult(f"statusCode {status} is not an HTTP status")
    headers = Headers()
    for name, value in _mapping(result, "headers").items():
        headers.add(str(name), _header_value(value))
    for name, values in _mapping(result, "multiValueHeaders").items():
        if not isinstance(values, list):
            raise MalformedResult(f"multiValueHeaders[{name!r}] must be a list")
        for value in values:
            headers.add(str(name), _header_value(value))
    cookies = result.get("cookies") or []
    if not isinstance(cookies, list):
        raise MalformedResult("cookies must be a list of strings")
    for cookie in cookies:
        headers.add("Set-Cookie", str(cookie))
    headers["apigw-requestid"] = request_id
    typed = "Content-Type" in headers
    response = Response(_body(result), status=status_line(int(status)), headers=headers)
    if not typed:
        del response.headers["Content-Type"]  # werkzeug's text/plain default is not something API Gateway adds
    return response


def status_line(status: int) -> str:
    """``201 Created`` rather than werkzeug's ``201 CREATED``: the reason phrases API Gateway sends."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def _body(result: Mapping[str, Any]) -> bytes:
    body = result.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedResult(f"body must be a string, not {type(body).__name__}")
    if result.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except binascii.Error:
            raise MalformedResult("isBase64Encoded is true but the body is not base64") from None
    return body.encode("utf-8")


def _mapping(result: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = result.get(key) or {}
    if not isinstance(value, Mapping):
        raise MalformedResult(f"{key} must be an object")
    return value


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise MalformedResult(f"a header value must be a string or number, not {type(value).__name__}")


def _query_parameters(raw_query: str) -> dict[str, str]:
    """Decoded parameters; a repeated name's values are joined with commas, as format 2.0 does."""
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    return parameters


def _without_port(host: str) -> str:
    if host.startswith("["):  # an IPv6 literal: [::1]:3000
        return host.partition("]")[0] + "]"
    return host.partition(":")[0]


def _clf_time(now: datetime) -> str:
    """``25/Nov/2025:20:16:05 +0000``, API Gateway's format, independent of the locale."""
    now = now.astimezone(UTC)
    return f"{now.day:02d}/{_MONTHS[now.month - 1]}/{now.year}:{now:%H:%M:%S} +0000"
