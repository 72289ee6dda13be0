"""The JSON API's resolver: Powertools' HTTP API router with our error registry and body parsing."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import BaseModel, ValidationError

from shortlinks.domain.errors import ShortlinksError
from shortlinks.handlers.http import JSON_CONTENT_TYPE, NO_STORE, BadRequest, error_body, status_for
from shortlinks.observability import logger

MAX_BODY_BYTES = 16 * 1024


def json_response(status: int, body: str, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type=JSON_CONTENT_TYPE,
        body=body,
        headers={"Cache-Control": NO_STORE, "X-Content-Type-Options": "nosniff", **(headers or {})},
    )


def build_resolver() -> APIGatewayHttpResolver:
    """A resolver whose every failure is a JSON error ``{"error": {"code", "message"}}``."""
    app = APIGatewayHttpResolver(serializer=lambda obj: json.dumps(obj, separators=(",", ":")))

    @app.exception_handler(ShortlinksError)
    def domain_error(error: ShortlinksError) -> Response[str]:
        return json_response(status_for(error), error_body(error.code, error.message))

    @app.exception_handler(BadRequest)
    def bad_request(error: BadRequest) -> Response[str]:
        return json_response(error.status, error_body(error.code, error.message, error.details))

    @app.exception_handler(NotFoundError)
    def no_route(_: NotFoundError) -> Response[str]:
        return json_response(404, error_body("route_not_found", "no such route"))

    @app.exception_handler(Exception)
    def unexpected(error: Exception) -> Response[str]:
        logger.exception("unexpected error", extra={"error_type": type(error).__name__})
        return json_response(500, error_body("internal_error", "something went wrong on our side"))

    return app


def parse_body[Model: BaseModel](event: APIGatewayProxyEventV2, model: type[Model]) -> Model:
    """Parse a JSON body into ``model``: size, media type and syntax first, then the fields."""
    content_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type and content_type != JSON_CONTENT_TYPE and not content_type.endswith("+json"):
        raise BadRequest.unsupported_media_type(content_type)
    try:
        raw = event.decoded_body or ""
    except ValueError:
        raise BadRequest.malformed_json("the body is not valid base64") from None
    if len(raw.encode()) > MAX_BODY_BYTES:
        raise BadRequest.too_large(MAX_BODY_BYTES)
    if not raw.strip():
        raise BadRequest.malformed_json("the body is empty")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        if any(e["type"] == "json_invalid" for e in errors):
            raise BadRequest.malformed_json(str(errors[0].get("ctx", {}).get("error", "syntax error"))) from None
        if any(e["type"] == "model_type" for e in errors):
            raise BadRequest.not_an_object() from None
        raise BadRequest.invalid([_detail(e) for e in errors]) from None


def _detail(error: Any) -> dict[str, str]:
    field = ".".join(str(part) for part in error["loc"]) or "body"
    message = str(error["msg"])
    if error["type"] == "extra_forbidden":
        message = "unknown field"
    return {"field": field, "message": message}
