"""GET /v1/links/{code}/qr: the QR code of a live link's short URL, as SVG or PNG. Public, cacheable.

One projected GetItem (the redirect's read, storage/targets.py) says whether the link is live; segno (its own
layer) draws the code. No other function imports segno or this module.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging import correlation_paths
from pydantic import ValidationError

from shortlinks.config import Settings
from shortlinks.domain.errors import LinkGone, LinkNotFound
from shortlinks.domain.qr import scan_url
from shortlinks.domain.resolve import resolve_target
from shortlinks.domain.target import utc_now
from shortlinks.observability import MetricUnit, logger, metrics
from shortlinks.schemas.qr import QrQuery
from shortlinks.storage.budget import within_budget
from shortlinks.storage.targets import DynamoTargetReader
from shortlinks.web.api import JsonResponse, by_route_key, invalid_fields, json_endpoint, path_parameter
from shortlinks.web.hosts import ShortDomains, registry_for
from shortlinks.web.http import etag_matches, lower_headers, request_host
from shortlinks.web.qr_images import qr_image

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# Five minutes: long enough for a page that shows the code to be served from caches, short enough that a link
# deleted or disabled stops getting new codes soon after (docs/api.md). The image never changes while the link
# lives: the same parameters draw the same bytes.
QR_MAX_AGE_SECONDS = 300
_CACHE = f"public, max-age={QR_MAX_AGE_SECONDS}"

settings = Settings.from_env()
repository = DynamoTargetReader(settings.table_name, settings.region, settings.dynamodb_endpoint)
domains = ShortDomains(settings, registry_for(settings, repository.botocore_client()))


def qr_route(event: dict[str, Any]) -> JsonResponse:
    query = _query(event)
    host = request_host(event, settings.behind_edge)
    code = path_parameter(event, "code")
    domain = domains.named(query.domain, host).host
    try:
        resolve_target(repository, domain, code, utc_now())
    except LinkGone:  # expired, disabled or deleted: no new code for a link that leads nowhere, and no hint why
        raise LinkNotFound.for_code(code) from None
    image = qr_image(scan_url(domains.short_url(domain, code, host)), query)
    metrics.add_metric(name="QrCodes", unit=MetricUnit.Count, value=1)
    headers = {"ETag": image.etag, "Cache-Control": _CACHE}
    if etag_matches(lower_headers(event).get("if-none-match"), image.etag):
        return JsonResponse(304, "", headers)
    return JsonResponse(
        200,
        base64.b64encode(image.content()).decode("ascii"),
        headers
        | {
            "Content-Type": image.media_type,
            "Content-Disposition": f'inline; filename="{code}.{query.format}"',
            # An SVG opened on its own is a document: it may run nothing and load nothing.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        },
        base64_encoded=True,
    )


def _query(event: dict[str, Any]) -> QrQuery:
    try:
        return QrQuery.model_validate(event.get("queryStringParameters") or {})
    except ValidationError as exc:
        raise invalid_fields(exc) from None


_serve = json_endpoint(by_route_key({"GET /v1/links/{code}/qr": qr_route}))


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@within_budget
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _serve(event)
