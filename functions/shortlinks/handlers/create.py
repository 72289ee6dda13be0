"""POST /v1/links: create a short link."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging import correlation_paths

from shortlinks.config import Settings
from shortlinks.domain.links import utc_now
from shortlinks.domain.service import create_link
from shortlinks.handlers.api import JsonResponse, json_endpoint, parse_body
from shortlinks.handlers.http import request_host
from shortlinks.handlers.schemas import CreateLinkRequest, LinkResponse
from shortlinks.observability import MetricUnit, logger, metrics
from shortlinks.storage.repository import DynamoLinkRepository

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

settings = Settings.from_env()
repository = DynamoLinkRepository(settings.table_name, settings.region, settings.dynamodb_endpoint)
repository.warm_up()


@json_endpoint
def create(event: dict[str, Any]) -> JsonResponse:
    request = parse_body(event, CreateLinkRequest)
    host = request_host(event)
    now = utc_now()
    link = create_link(
        repository,
        request.to_new_link(),
        domain=settings.short_domain(host),
        own_hosts=settings.own_hosts(host),
        code_length=settings.code_length,
        now=now,
    )
    metrics.add_metric(name="LinksCreated", unit=MetricUnit.Count, value=1)
    logger.info("link created", extra={"code": link.code, "domain": link.domain, "alias": request.alias is not None})
    body = LinkResponse.of(link, settings.short_url(host, link.code), now).model_dump_json()
    return JsonResponse(201, body, {"Location": f"/v1/links/{link.code}"})


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return create(event)
