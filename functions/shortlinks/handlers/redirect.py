"""GET|HEAD /{code}: answer with the link's redirect.

The hot path. One DynamoDB GetItem (eventually consistent, projected), no write, and a deliberately small
import graph: no Powertools event handler, no pydantic, no tracer (docs/benchmarks.md has the figures).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging import correlation_paths

from shortlinks.config import Settings, bare_host
from shortlinks.domain.domains import ShortDomain
from shortlinks.domain.errors import LinkGone, LinkNotFound, ShortlinksError
from shortlinks.domain.links import PERMANENT_REDIRECT_TYPES, Target, utc_now
from shortlinks.domain.resolve import resolve_target
from shortlinks.domain.urls import host_of, merge_query, without_qr_marker
from shortlinks.domain.visitors import DailySecret, visitor_id
from shortlinks.observability import MetricUnit, logger, metrics, write_click
from shortlinks.storage import budget as store_budget
from shortlinks.storage.budget import within_budget
from shortlinks.storage.targets import DynamoTargetReader
from shortlinks.web.hosts import ShortDomains, registry_for
from shortlinks.web.http import (
    JSON_CONTENT_TYPE,
    NO_STORE,
    error_body,
    lower_headers,
    request_host,
    status_for,
    wants_html,
)
from shortlinks.web.pages import PAGE_CSP, error_page

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# Where the visitor came from is the destination's business only down to the origin, and never over a downgrade.
REFERRER_POLICY = "strict-origin-when-cross-origin"
_MAX_LOGGED_USER_AGENT = 256

settings = Settings.from_env()
repository = DynamoTargetReader(settings.table_name, settings.region, settings.dynamodb_endpoint)
repository.warm_up()
domains = ShortDomains(settings, registry_for(settings, repository))
try:
    with store_budget.limited(store_budget.COLD_START_SECONDS):  # within Lambda's init phase, whatever the store does
        domains.load()
except ShortlinksError as error:  # the store did not answer: the first request reads it again
    logger.warning("domain registry not loaded at cold start", extra={"error": error.code})
# The day's visitor-id secret: read now, then once when the day changes (never per request).
daily_secret = DailySecret(load=repository.visitor_secret, clock=time.monotonic)
with store_budget.limited(store_budget.COLD_START_SECONDS):
    if daily_secret.for_moment(utc_now()) is None:
        logger.warning("visitor secret not loaded at cold start")


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@within_budget
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    headers = lower_headers(event)
    code = (event.get("pathParameters") or {}).get("code", "")
    host = request_host(event)
    short_domain = None
    domain = bare_host(host)
    now = utc_now()
    # A QR code's scan carries a marker (domain/urls.py QR_MARKER): counted as such, never forwarded.
    raw_query, scanned = without_qr_marker(str(event.get("rawQueryString", "")))
    try:
        short_domain = domains.of_request(host)
        domain = short_domain.host if short_domain else domain
        if short_domain is None:  # a host that is not one of our domains: nothing to look up
            raise LinkNotFound.for_code(code)
        if not code:  # the domain's root
            if short_domain.root_url is None:
                raise LinkNotFound.for_code("/")
            target = Target(url=short_domain.root_url, forward_query=False)
        else:
            target = resolve_target(repository, domain, code, now)
    except LinkNotFound as error:
        if short_domain is not None and short_domain.not_found_url is not None and code:
            response = _redirect(302, short_domain.not_found_url, cacheable=False, short_domain=short_domain)
        else:
            response = _refusal(error, headers.get("accept", ""), short_domain=short_domain)
        metrics.add_metric(name="LinkMissed", unit=MetricUnit.Count, value=1)
    except LinkGone as error:
        response = _refusal(error, headers.get("accept", ""), short_domain=short_domain)
        metrics.add_metric(name="LinkGone", unit=MetricUnit.Count, value=1)
    except ShortlinksError as error:  # the store is unavailable: say so, and let nobody cache it
        logger.warning("redirect failed", extra={"code": code, "error": error.code})
        response = _refusal(error, headers.get("accept", ""), short_domain=short_domain)
        metrics.add_metric(name="ServerErrors", unit=MetricUnit.Count, value=1)
    else:
        destination = target.destination
        location = merge_query(destination, raw_query) if target.forward_query else destination
        response = _redirect(target.redirect_type, location, short_domain=short_domain)
        metrics.add_metric(name="Redirects", unit=MetricUnit.Count, value=1)
    method = str((event.get("requestContext") or {}).get("http", {}).get("method", "GET"))
    _record_click(event, method, code, domain, response["statusCode"], headers, now, scanned=scanned)
    if method == "HEAD":
        response["body"] = ""
    return response


def _redirect(
    status: int, location: str, *, cacheable: bool = True, short_domain: ShortDomain | None = None
) -> dict[str, Any]:
    if not cacheable:  # a domain's not-found page: the code may be created any moment
        cache = NO_STORE
    elif status in PERMANENT_REDIRECT_TYPES:
        cache = f"private, max-age={settings.permanent_redirect_max_age}"
    else:
        cache = f"private, max-age={settings.temporary_redirect_max_age}"
    return {
        "statusCode": status,
        "headers": {
            "Location": location,
            "Cache-Control": cache,
            "Referrer-Policy": REFERRER_POLICY,
            "X-Robots-Tag": "noindex",
            "Content-Length": "0",
        }
        | _transport_security(short_domain),
        "body": "",
    }


def _refusal(error: ShortlinksError, accept: str, *, short_domain: ShortDomain | None = None) -> dict[str, Any]:
    status = status_for(error)
    headers = {
        "Cache-Control": NO_STORE,
        "Referrer-Policy": REFERRER_POLICY,
        "X-Robots-Tag": "noindex",
        "X-Content-Type-Options": "nosniff",
    } | _transport_security(short_domain)
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:  # a transient refusal (the store): when to try again, as every 503 says
        headers["Retry-After"] = str(retry_after)
    if wants_html(accept):
        headers |= {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": PAGE_CSP}
        return {"statusCode": status, "headers": headers, "body": error_page(status, error.code)}
    headers["Content-Type"] = JSON_CONTENT_TYPE
    return {"statusCode": status, "headers": headers, "body": error_body(error.code, error.message)}


def _transport_security(short_domain: ShortDomain | None) -> dict[str, str]:
    """``Strict-Transport-Security`` for a short domain whose links are written ``https://``, so a visitor who
    later types ``http://`` is never redirected in the clear (``HSTS_MAX_AGE``; 0 sends none). Neither
    ``includeSubDomains`` nor ``preload``: other hosts under a short domain may be someone else's, on plain
    http."""
    if short_domain is None or settings.hsts_max_age <= 0 or not short_domain.base_url.startswith("https://"):
        return {}
    return {"Strict-Transport-Security": f"max-age={settings.hsts_max_age}"}


def _record_click(
    event: dict[str, Any],
    method: str,
    code: str,
    domain: str,
    status: int,
    headers: dict[str, str],
    now: datetime,
    *,
    scanned: bool,
) -> None:
    """One click record per redirect request: the raw material for click analytics (no IP address is kept).

    HEAD requests are recorded too, with their method, so analytics can tell link-preview bots from visits."""
    context = event.get("requestContext") or {}
    user_agent = headers.get("user-agent", "")
    secret = daily_secret.for_moment(now)
    source_ip = str(context.get("http", {}).get("sourceIp", ""))
    write_click(
        str(context.get("requestId", "")),
        {
            "method": method,
            "code": code[:64],
            "domain": domain,
            "status": status,
            "referrer_host": host_of(headers.get("referer", "")) or None,
            "user_agent": user_agent[:_MAX_LOGGED_USER_AGENT] or None,
            "country": headers.get("cloudfront-viewer-country"),
            # Unique visitors without an IP address: the id cannot be traced back once the day's secret is gone.
            "visitor": visitor_id(secret, source_ip, user_agent, domain) if secret else None,
            "source": "qr" if scanned else "link",  # a QR code's scan, or any other request
        },
    )
