"""Short domains, for admin keys: ``GET /v1/domains`` (list), ``GET /v1/domains/{domain}``, ``PUT
/v1/domains/{domain}`` (register, or replace all its settings), ``PATCH /v1/domains/{domain}`` (change some of a
registered domain's settings) and ``DELETE /v1/domains/{domain}`` (``?force=true`` to remove one that still has
links, leaving them as tombstones)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging import correlation_paths

from shortlinks.config import Settings
from shortlinks.domain.domains import get_domain, list_domains, register_domain, remove_domain, update_domain
from shortlinks.domain.target import utc_now
from shortlinks.observability import MetricUnit, logger, metrics
from shortlinks.schemas.domains import DomainListResponse, DomainResponse, PatchDomainRequest, PutDomainRequest
from shortlinks.storage.budget import within_budget
from shortlinks.storage.domains import DynamoDomainRepository
from shortlinks.web.api import (
    JsonResponse,
    by_route_key,
    json_endpoint,
    parse_body,
    path_parameter,
    query_parameter,
)
from shortlinks.web.auth import require_admin
from shortlinks.web.http import BadRequest, request_host

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

settings = Settings.from_env()
repository = DynamoDomainRepository(settings.table_name, settings.region, settings.dynamodb_endpoint)
repository.warm_up()


def list_route(event: dict[str, Any]) -> JsonResponse:
    require_admin(event)
    body = DomainListResponse(domains=[DomainResponse.of(domain) for domain in list_domains(repository)])
    metrics.add_metric(name="DomainsListed", unit=MetricUnit.Count, value=1)
    return JsonResponse(200, body.model_dump_json())


def get_route(event: dict[str, Any]) -> JsonResponse:
    require_admin(event)
    domain = get_domain(repository, path_parameter(event, "domain"))
    metrics.add_metric(name="DomainsRead", unit=MetricUnit.Count, value=1)
    return JsonResponse(200, DomainResponse.of(domain).model_dump_json())


def put_route(event: dict[str, Any]) -> JsonResponse:
    admin = require_admin(event)
    request = parse_body(event, PutDomainRequest)
    domain = register_domain(
        repository,
        path_parameter(event, "domain"),
        base_url=request.base_url,
        default_redirect_type=request.default_redirect_type,
        root_url=request.root_url,
        not_found_url=request.not_found_url,
        allowed_keys=request.allowed_keys,
        is_default=request.is_default,
        now=utc_now(),
        own_hosts=settings.own_hosts(request_host(event, settings.behind_edge)),
    )
    metrics.add_metric(name="DomainsPut", unit=MetricUnit.Count, value=1)
    logger.info("domain registered", extra={"domain": domain.host, "is_default": domain.is_default, "by": admin.key_id})
    return JsonResponse(200, DomainResponse.of(domain).model_dump_json())


def patch_route(event: dict[str, Any]) -> JsonResponse:
    admin = require_admin(event)
    changes = parse_body(event, PatchDomainRequest).to_changes()
    domain = update_domain(
        repository,
        path_parameter(event, "domain"),
        changes,
        now=utc_now(),
        own_hosts=settings.own_hosts(request_host(event, settings.behind_edge)),
    )
    metrics.add_metric(name="DomainsPatched", unit=MetricUnit.Count, value=1)
    logger.info("domain changed", extra={"domain": domain.host, "is_default": domain.is_default, "by": admin.key_id})
    return JsonResponse(200, DomainResponse.of(domain).model_dump_json())


def remove_route(event: dict[str, Any]) -> JsonResponse:
    admin = require_admin(event)
    host = path_parameter(event, "domain")
    tombstoned = remove_domain(repository, host, force=_force(event), now=utc_now())
    metrics.add_metric(name="DomainsRemoved", unit=MetricUnit.Count, value=1)
    logger.info("domain removed", extra={"domain": host, "tombstoned_links": tombstoned, "by": admin.key_id})
    return JsonResponse(204, "")


def _force(event: dict[str, Any]) -> bool:
    raw = query_parameter(event, "force")
    if raw is None or raw.lower() == "false":
        return False
    if raw.lower() == "true":
        return True
    raise BadRequest.invalid([{"field": "force", "message": "force is true or false"}])


_serve = json_endpoint(
    by_route_key(
        {
            "GET /v1/domains": list_route,
            "GET /v1/domains/{domain}": get_route,
            "PUT /v1/domains/{domain}": put_route,
            "PATCH /v1/domains/{domain}": patch_route,
            "DELETE /v1/domains/{domain}": remove_route,
        }
    )
)


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@within_budget
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _serve(event)
