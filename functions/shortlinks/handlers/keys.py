"""API keys, for admin keys: ``POST /v1/keys`` (create; the key is shown once), ``GET /v1/keys`` (list, never any
key material), ``DELETE /v1/keys/{key_id}`` (revoke)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging import correlation_paths

from shortlinks.config import Settings
from shortlinks.domain.keys import create_key, list_keys, revoke_key
from shortlinks.domain.target import utc_now
from shortlinks.observability import MetricUnit, logger, metrics
from shortlinks.schemas.bodies import json_text, key_body
from shortlinks.storage.api_keys import DynamoKeyRepository
from shortlinks.storage.budget import within_budget
from shortlinks.web.api import JsonResponse, by_route_key, json_endpoint, parse_body, path_parameter
from shortlinks.web.auth import require_admin

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

settings = Settings.from_env()
repository = DynamoKeyRepository(settings.table_name, settings.region, settings.dynamodb_endpoint)
repository.warm_up()


def create_route(event: dict[str, Any]) -> JsonResponse:
    from shortlinks.schemas.keys import CreatedKeyResponse, CreateKeyRequest  # pydantic: only a route with a body

    admin = require_admin(event)
    request = parse_body(event, CreateKeyRequest)
    key, plaintext = create_key(repository, request.name, request.role, utc_now(), request.create_rate_limit)
    metrics.add_metric(name="KeysCreated", unit=MetricUnit.Count, value=1)
    logger.info("api key created", extra={"key_id": key.key_id, "role": key.role.value, "by": admin.key_id})
    return JsonResponse(201, CreatedKeyResponse.created(key, plaintext).model_dump_json())


def list_route(event: dict[str, Any]) -> JsonResponse:
    require_admin(event)
    body = {"keys": [key_body(key) for key in list_keys(repository)]}  # schemas.keys.KeyListResponse
    metrics.add_metric(name="KeysListed", unit=MetricUnit.Count, value=1)
    return JsonResponse(200, json_text(body))


def revoke_route(event: dict[str, Any]) -> JsonResponse:
    admin = require_admin(event)
    key = revoke_key(repository, path_parameter(event, "key_id"))
    metrics.add_metric(name="KeysRevoked", unit=MetricUnit.Count, value=1)
    logger.info("api key revoked", extra={"key_id": key.key_id, "by": admin.key_id})
    return JsonResponse(204, "")


_serve = json_endpoint(
    by_route_key(
        {
            "POST /v1/keys": create_route,
            "GET /v1/keys": list_route,
            "DELETE /v1/keys/{key_id}": revoke_route,
        }
    )
)


# log_event=False whatever POWERTOOLS_LOGGER_LOG_EVENT says: requests carry keys, and so do create's answers.
@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@within_budget
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _serve(event)
