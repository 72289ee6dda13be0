"""The JSON API's entry-point adapter: body parsing, JSON responses and the error registry applied once.

Each JSON function serves exactly one route (API Gateway routes by method and path before Lambda runs), so a
router would only cost cold-start time: Powertools' event handler package imports ~60 ms of resolvers we would
never use (docs/benchmarks.md). ``json_endpoint`` wraps a route function instead.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shortlinks.domain.errors import ShortlinksError
from shortlinks.observability import MetricUnit, logger, metrics
from shortlinks.web.http import JSON_CONTENT_TYPE, NO_STORE, BadRequest, error_body, lower_headers, status_for

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

MAX_BODY_BYTES = 16 * 1024
_API_HEADERS = {"Content-Type": JSON_CONTENT_TYPE, "Cache-Control": NO_STORE, "X-Content-Type-Options": "nosniff"}


@dataclass(frozen=True, slots=True)
class JsonResponse:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    base64_encoded: bool = False  # ``body`` is base64 of binary content (an image), with its own Content-Type

    def to_lambda(self) -> dict[str, Any]:
        """The HTTP API (payload 2.0) response dict."""
        headers = _API_HEADERS | self.headers
        if self.status == 304:  # no body; a cache applies a 304's headers to what it holds (an image, say)
            del headers["Content-Type"]
        response = {"statusCode": self.status, "headers": headers, "body": self.body}
        if self.base64_encoded:
            response["isBase64Encoded"] = True
        return response


Route = Callable[[dict[str, Any]], JsonResponse]


def json_endpoint(route: Route) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Run ``route`` on an HTTP API event; every failure becomes a JSON error ``{"error": {"code", "message"}}``."""

    def serve(event: dict[str, Any]) -> dict[str, Any]:
        try:
            response = route(event)
        except ShortlinksError as error:
            retry_after = getattr(error, "retry_after", None)
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            response = JsonResponse(status_for(error), error_body(error.code, error.message), headers)
        except BadRequest as error:
            response = JsonResponse(error.status, error_body(error.code, error.message, error.details))
        except Exception as error:  # a bug or an outage: log it, answer JSON, never a bare 502
            logger.exception("unexpected error", extra={"error_type": type(error).__name__})
            response = JsonResponse(500, error_body("internal_error", "something went wrong on our side"))
        if response.status >= 400:
            metric = "ServerErrors" if response.status >= 500 else "ClientErrors"
            metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
        return response.to_lambda()

    return serve


def by_route_key(routes: dict[str, Route]) -> Route:
    """One function serving several routes: API Gateway has matched the route already, and says which in
    ``routeKey`` (``"PATCH /v1/links/{code}"``), so dispatch is a dictionary lookup, not a router."""

    def dispatch(event: dict[str, Any]) -> JsonResponse:
        route = routes.get(str(event.get("routeKey", "")))
        if route is None:
            return JsonResponse(404, error_body("route_not_found", "no such route"))
        return route(event)

    return dispatch


def path_parameter(event: dict[str, Any], name: str) -> str:
    return str((event.get("pathParameters") or {}).get(name, ""))


def query_parameter(event: dict[str, Any], name: str) -> str | None:
    """A query parameter's value as HTTP API gives it (repeated parameters arrive comma-joined)."""
    value = (event.get("queryStringParameters") or {}).get(name)
    return None if value is None else str(value)


def parse_body[M: BaseModel](event: dict[str, Any], model: type[M], max_bytes: int = MAX_BODY_BYTES) -> M:
    """Parse a JSON body into ``model``: media type, size (at most ``max_bytes``) and syntax first, then the
    fields. pydantic is imported here, on the first request with a body: a function's read routes never load it
    (schemas/bodies.py)."""
    from pydantic import ValidationError
    from pydantic_core import from_json

    content_type = lower_headers(event).get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type != JSON_CONTENT_TYPE and not content_type.endswith("+json"):
        raise BadRequest.unsupported_media_type(content_type)
    raw_body = event.get("body") or ""
    try:
        data = base64.b64decode(raw_body, validate=True) if event.get("isBase64Encoded") else raw_body.encode()
    except (binascii.Error, ValueError):
        raise BadRequest.malformed_json("the body is not valid base64") from None
    if len(data) > max_bytes:
        raise BadRequest.too_large(max_bytes)
    if not data.strip():
        raise BadRequest.malformed_json("the body is empty")
    try:
        from_json(data, allow_inf_nan=False)  # NaN and Infinity are not JSON, though pydantic's own parse allows them
    except ValueError as exc:
        raise BadRequest.malformed_json(str(exc)) from None
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        if any(e["type"] == "json_invalid" for e in errors):
            raise BadRequest.malformed_json(str(errors[0].get("ctx", {}).get("error", "syntax error"))) from None
        if any(e["type"] == "model_type" and not e["loc"] for e in errors):  # the body itself; a field is a 422
            raise BadRequest.not_an_object() from None
        raise invalid_fields(exc) from None


def invalid_fields(error: ValidationError) -> BadRequest:
    """The ``validation_error`` for a JSON object whose fields break the model, naming each field."""
    return BadRequest.invalid([_detail(e) for e in error.errors(include_url=False, include_input=False)])


def _detail(error: Any) -> dict[str, str]:
    field_name = ".".join(str(part) for part in error["loc"]) or "body"
    message = "unknown field" if error["type"] == "extra_forbidden" else str(error["msg"])
    return {"field": field_name, "message": message}
