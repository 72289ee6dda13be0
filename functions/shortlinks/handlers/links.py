"""Link management for API keys: list, read, change, delete, the history of destinations, and click statistics.

``GET /v1/links``, ``GET|PATCH|DELETE /v1/links/{code}``, ``GET /v1/links/{code}/history``,
``GET /v1/links/{code}/stats``, ``GET /v1/stats``. Members see and change only their own links (another key's link
answers 404, as if it did not exist); admins see all.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging import correlation_paths

from shortlinks.config import Settings
from shortlinks.domain.service import delete_link, link_history, list_links, managed_link, update_link
from shortlinks.domain.short_domain import check_host
from shortlinks.domain.target import LinkStatus, utc_now
from shortlinks.observability import MetricUnit, logger, metrics
from shortlinks.schemas.bodies import json_text, link_body
from shortlinks.storage.budget import within_budget
from shortlinks.storage.repository import DynamoLinkRepository
from shortlinks.web.api import (
    JsonResponse,
    by_route_key,
    json_endpoint,
    parse_body,
    path_parameter,
    query_parameter,
)
from shortlinks.web.auth import require_principal
from shortlinks.web.hosts import ShortDomains, registry_for
from shortlinks.web.http import BadRequest, lower_headers, request_host, wants_csv

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from shortlinks.domain.rollups import Granularity
    from shortlinks.domain.stats import StatsRange
    from shortlinks.schemas.stats import LinkStatsResponse, OverviewResponse
    from shortlinks.storage.analytics import DynamoRollupStore

# The statistics stack (domain/stats, schemas/stats, storage/analytics) is imported by the routes that read
# statistics (the listing, for each link's clicks, and the two stats routes), never at cold start: a PATCH or a
# DELETE does not pay for it (docs/benchmarks.md). Likewise the pydantic models (schemas/): a GET of one link answers
# from schemas/bodies.py and a DELETE answers nothing, so neither loads pydantic.

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_CURSOR_LENGTH = 2048

settings = Settings.from_env()
repository = DynamoLinkRepository(settings.table_name, settings.region, settings.dynamodb_endpoint)
# The repository's botocore client, built now (at cold start) and shared with the domain registry.
domains = ShortDomains(settings, registry_for(settings, repository.botocore_client()))


@cache
def stats_source() -> DynamoRollupStore:
    """The rollup store, built on the first route that reads statistics, through the repository's client."""
    from shortlinks.storage.analytics import DynamoRollupStore

    return DynamoRollupStore(settings.table_name, settings.region, settings.dynamodb_endpoint, share_with=repository)


def list_route(event: dict[str, Any]) -> JsonResponse:
    from shortlinks.domain.stats import EVERY_OWNER, all_time_clicks
    from shortlinks.schemas.link_management import LinkListingResponse, ListedLinkResponse

    principal = require_principal(event)
    host = request_host(event, settings.behind_edge)
    now = utc_now()
    owner = _owner_filter(event)
    if query_parameter(event, "domain") is not None and owner != EVERY_OWNER:
        message = "only with owner=*: a key's links are listed on every domain"
        raise BadRequest.invalid([{"field": "domain", "message": message}])
    page = list_links(
        repository,
        principal,
        owner=owner,
        limit=_limit(event),
        cursor=_bounded(event, "cursor", MAX_CURSOR_LENGTH),
        tag=_bounded(event, "tag", 64),
        status=_status(event),
        now=now,
        domain=lambda: _listed_domain(event, host),
    )
    clicks = all_time_clicks(stats_source(), page.links)
    metrics.add_metric(name="LinksListed", unit=MetricUnit.Count, value=1)
    body = LinkListingResponse(
        links=[
            ListedLinkResponse.listed(link, domains.short_url(link.domain, link.code, host), now, link_clicks)
            for link, link_clicks in zip(page.links, clicks, strict=True)
        ],
        next_cursor=page.next_cursor,
    )
    return JsonResponse(200, body.model_dump_json())


def get_route(event: dict[str, Any]) -> JsonResponse:
    principal = require_principal(event)
    host = request_host(event, settings.behind_edge)
    link = managed_link(repository, principal, _domain(event, host), path_parameter(event, "code"))
    metrics.add_metric(name="LinksRead", unit=MetricUnit.Count, value=1)
    return _link_response(200, link, host)


def patch_route(event: dict[str, Any]) -> JsonResponse:
    principal = require_principal(event)
    host = request_host(event, settings.behind_edge)
    from shortlinks.schemas.link_management import UpdateLinkRequest

    changes = parse_body(event, UpdateLinkRequest).to_changes()
    now = utc_now()
    link = update_link(
        repository,
        principal,
        _domain(event, host),
        path_parameter(event, "code"),
        changes,
        own_hosts=domains.own_hosts(host),
        now=now,
        expected_version=_if_match(event),
    )
    metrics.add_metric(name="LinksUpdated", unit=MetricUnit.Count, value=1)
    logger.info("link updated", extra={"code": link.code, "domain": link.domain, "by": principal.key_id})
    return _link_response(200, link, host)


def delete_route(event: dict[str, Any]) -> JsonResponse:
    principal = require_principal(event)
    host = request_host(event, settings.behind_edge)
    code = path_parameter(event, "code")
    delete_link(repository, principal, _domain(event, host), code, now=utc_now())
    metrics.add_metric(name="LinksDeleted", unit=MetricUnit.Count, value=1)
    logger.info("link deleted", extra={"code": code, "by": principal.key_id})
    return JsonResponse(204, "")


def history_route(event: dict[str, Any]) -> JsonResponse:
    from shortlinks.schemas.link_management import HistoryEntryResponse, HistoryResponse

    principal = require_principal(event)
    host = request_host(event, settings.behind_edge)
    entries = link_history(repository, principal, _domain(event, host), path_parameter(event, "code"))
    metrics.add_metric(name="HistoriesRead", unit=MetricUnit.Count, value=1)
    body = HistoryResponse(history=[HistoryEntryResponse.of(entry) for entry in entries])
    return JsonResponse(200, body.model_dump_json())


def link_stats_route(event: dict[str, Any]) -> JsonResponse:
    from shortlinks.domain.rollups import Granularity
    from shortlinks.domain.stats import managed_link_stats
    from shortlinks.schemas.stats import LinkStatsResponse

    principal = require_principal(event)
    host = request_host(event, settings.behind_edge)
    stats_range = _range(event, (Granularity.HOUR, Granularity.DAY))
    stats = managed_link_stats(
        repository, stats_source(), principal, _domain(event, host), path_parameter(event, "code"), stats_range
    )
    metrics.add_metric(name="LinkStatsRead", unit=MetricUnit.Count, value=1)
    return _stats_response(event, LinkStatsResponse.of(stats))


def overview_route(event: dict[str, Any]) -> JsonResponse:
    from shortlinks.domain.rollups import Granularity
    from shortlinks.domain.stats import EVERY_OWNER, overview
    from shortlinks.schemas.stats import OverviewResponse

    principal = require_principal(event)
    host = request_host(event, settings.behind_edge)
    stats_range = _range(event, (Granularity.DAY,))
    owner = _owner_filter(event)
    requested = _bounded(event, "domain", 253)
    if requested is not None and owner not in (None, EVERY_OWNER):
        message = "not with an owner: an owner's statistics cover all its domains"
        raise BadRequest.invalid([{"field": "domain", "message": message}])
    result = overview(
        stats_source(),
        principal,
        stats_range,
        owner=owner,
        domain=domains.named(requested, host).host if requested is not None else None,
        default_domain=lambda: domains.named(None, host).host,
    )
    metrics.add_metric(name="StatsOverviewsRead", unit=MetricUnit.Count, value=1)
    body = OverviewResponse.of(result, lambda domain, code: domains.short_url(domain, code, host))
    return _stats_response(event, body)


def _range(event: dict[str, Any], granularities: tuple[Granularity, ...]) -> StatsRange:
    from shortlinks.domain.stats import parse_range

    return parse_range(
        query_parameter(event, "from"),
        query_parameter(event, "to"),
        query_parameter(event, "granularity"),
        now=utc_now(),
        granularities=granularities,
    )


def _stats_response(event: dict[str, Any], body: LinkStatsResponse | OverviewResponse) -> JsonResponse:
    """JSON, or CSV (one row per bucket) when the caller's ``Accept`` prefers ``text/csv``."""
    from shortlinks.schemas.stats import CSV_CONTENT_TYPE

    if wants_csv(lower_headers(event).get("accept", "")):
        return JsonResponse(200, body.to_csv(), {"Content-Type": CSV_CONTENT_TYPE})
    return JsonResponse(200, body.model_dump_json())


def _link_response(status: int, link: Any, host: str) -> JsonResponse:
    body = link_body(link, domains.short_url(link.domain, link.code, host), utc_now())
    return JsonResponse(status, json_text(body), {"ETag": f'"{link.version}"'})


def _domain(event: dict[str, Any], host: str) -> str:
    """The ``domain`` query parameter (default: the default domain) as the host links are keyed by."""
    return domains.named(_bounded(event, "domain", 253), host).host


def _listed_domain(event: dict[str, Any], host: str) -> str:
    """The domain whose links everyone's listing shows: the ``domain`` query parameter, registered or not (the
    tombstones of a removed domain, links made before any domain was registered), else the default domain."""
    requested = _bounded(event, "domain", 253)
    return check_host(requested) if requested is not None else domains.named(None, host).host


def _bounded(event: dict[str, Any], name: str, limit: int) -> str | None:
    value = query_parameter(event, name)
    if value is not None and not 0 < len(value) <= limit:
        raise BadRequest.invalid([{"field": name, "message": f"1 to {limit} characters"}])
    return value


def _owner_filter(event: dict[str, Any]) -> str | None:
    return _bounded(event, "owner", 64)


# Not str.isdigit(): it also accepts "²" and "①", which int() then refuses (a 500), and other scripts' digits.
# Bounded, as int() refuses strings of more than 4,300 digits.
_ASCII_NUMBER = re.compile(r"[0-9]{1,12}")


def _limit(event: dict[str, Any]) -> int:
    raw = query_parameter(event, "limit")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if not _ASCII_NUMBER.fullmatch(raw) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise BadRequest.invalid([{"field": "limit", "message": f"a whole number from 1 to {MAX_PAGE_SIZE}"}])
    return int(raw)


def _status(event: dict[str, Any]) -> LinkStatus | None:
    raw = query_parameter(event, "status")
    if raw is None:
        return None
    try:
        return LinkStatus(raw)
    except ValueError:
        allowed = ", ".join(status.value for status in LinkStatus)
        raise BadRequest.invalid([{"field": "status", "message": f"one of {allowed}"}]) from None


def _if_match(event: dict[str, Any]) -> int | None:
    """``If-Match: "<version>"`` (the ETag a read returned) makes the change conditional on that version."""
    raw = lower_headers(event).get("if-match")
    if raw is None:
        return None
    version = raw.strip().removeprefix("W/").strip('"')
    if not _ASCII_NUMBER.fullmatch(version):
        raise BadRequest.invalid([{"field": "If-Match", "message": 'an ETag from a read, e.g. "3"'}])
    return int(version)


_serve = json_endpoint(
    by_route_key(
        {
            "GET /v1/links": list_route,
            "GET /v1/links/{code}": get_route,
            "PATCH /v1/links/{code}": patch_route,
            "DELETE /v1/links/{code}": delete_route,
            "GET /v1/links/{code}/history": history_route,
            "GET /v1/links/{code}/stats": link_stats_route,
            "GET /v1/stats": overview_route,
        }
    )
)


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@within_budget
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _serve(event)
