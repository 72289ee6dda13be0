"""GET|HEAD /{code}: answer with the link's redirect.

The hot path. At most one DynamoDB read per request: none when the hot-link cache holds the link
(domain/hot_links.py), else one GetItem (eventually consistent, projected), or one BatchGetItem that also brings the
day's visitor secret when the container lacks it. Nothing is read at cold start; the domain registry is read by the
first request and then every DOMAIN_CACHE_SECONDS. No write (but the day's first secret, once a day for the whole
stack), and a deliberately small import graph: no Powertools event handler, no pydantic, no tracer
(docs/benchmarks.md has the figures).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from shortlinks.click_log import write_click
from shortlinks.config import Settings, bare_host
from shortlinks.domain import click_format as wire
from shortlinks.domain.errors import LinkGone, LinkNotFound, ShortlinksError
from shortlinks.domain.forwarding import host_of, merge_query, without_qr_marker
from shortlinks.domain.hot_links import CachedTargets, TargetCache
from shortlinks.domain.resolve import resolve_target
from shortlinks.domain.short_domain import ShortDomain
from shortlinks.domain.target import PERMANENT_REDIRECT_TYPES, Target, utc_now
from shortlinks.domain.visitors import DailySecret, TargetsWithSecret, visitor_id
from shortlinks.storage.budget import within_budget
from shortlinks.storage.targets import DynamoTargetReader
from shortlinks.web.hosts import ShortDomains, registry_for
from shortlinks.web.http import (
    JSON_CONTENT_TYPE,
    NO_STORE,
    error_body,
    lower_headers,
    request_host,
    source_ip,
    status_for,
    wants_html,
)
from shortlinks.web.pages import PAGE_CSP, error_page

# Where the visitor came from is the destination's business only down to the origin, and never over a downgrade.
REFERRER_POLICY = "strict-origin-when-cross-origin"
_MAX_LOGGED_USER_AGENT = 256

settings = Settings.from_env()
repository = DynamoTargetReader(settings.table_name, settings.region, settings.dynamodb_endpoint)
# Nothing is read at cold start (docs/architecture.md, "Redirect"); the reader's botocore client is built now.
# The domain registry is read when a request first needs it (every request does), then every DOMAIN_CACHE_SECONDS.
domains = ShortDomains(settings, registry_for(settings, repository.botocore_client()))
# The day's visitor-id secret: it comes with the container's first link read of the day (one BatchGetItem).
daily_secret = DailySecret(load=repository.visitor_secret, clock=time.monotonic)
# The hot-link cache (domain/hot_links.py): a viral link costs one read per container per REDIRECT_CACHE_SECONDS.
targets = CachedTargets(
    TargetsWithSecret(repository, daily_secret, now=lambda: utc_now()),
    TargetCache(
        ttl_seconds=settings.redirect_cache_seconds,
        miss_ttl_seconds=settings.redirect_miss_cache_seconds,
        max_entries=settings.redirect_cache_entries,
    ),
)


# No Powertools: the click record is the redirect's log, and its rare warnings go through the standard library's
# logging, which Lambda writes as JSON with the request id (LogFormat: JSON). No EMF metric line either: metric
# filters on the click records count redirects, misses, 410s and 503s (template.yaml).
log = logging.getLogger("shortlinks.redirect")


@within_budget
def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    headers = lower_headers(event)
    code = (event.get("pathParameters") or {}).get("code", "")
    host = request_host(event, settings.behind_edge)
    short_domain = None
    domain = bare_host(host)
    now = utc_now()
    missed = False
    # A QR code's scan carries a marker (domain/urls.py QR_MARKER): counted as such, never forwarded.
    raw_query, scanned = without_qr_marker(str(event.get("rawQueryString", "")))
    try:
        # The link under the request's own host first: the registry is read only on a miss, for a root, or once it is
        # stale, so a container's first request makes one read, not two (web/hosts.py ShortDomains.guess).
        guessed = short_domain = domains.guess(host, headers.get("x-forwarded-proto", "https")) if code else None
        target = _found(guessed.host, host, code, now) if guessed is not None else None
        if target is None:
            short_domain = domains.of_request(host)
            domain = short_domain.host if short_domain else domain
            if short_domain is None:  # a host that is not one of our domains: nothing to look up
                raise LinkNotFound.for_code(code)
            if not code:  # the domain's root
                if short_domain.root_url is None:
                    raise LinkNotFound.for_code("/")
                target = Target(url=short_domain.root_url, forward_query=False)
            elif guessed is not None and guessed.host == domain:  # already looked up, and missed
                raise LinkNotFound.for_code(code)
            else:
                target = resolve_target(targets, domain, code, now)
    except LinkNotFound as error:
        if short_domain is not None and short_domain.not_found_url is not None and code:
            response = _redirect(302, short_domain.not_found_url, cacheable=False, short_domain=short_domain)
            missed = True
        else:
            response = _refusal(error, headers.get("accept", ""), short_domain=short_domain)
    except ShortlinksError as error:  # gone (410), or the store is unavailable (503: let nobody cache it)
        if status_for(error) >= 500:
            log.warning("redirect failed: %s for code %r", error.code, code[:64])
        response = _refusal(error, headers.get("accept", ""), short_domain=short_domain)
    else:
        destination = target.destination
        location = merge_query(destination, raw_query) if target.forward_query else destination
        response = _redirect(target.redirect_type, location, short_domain=short_domain)
    method = str((event.get("requestContext") or {}).get("http", {}).get("method", "GET"))
    _record_click(event, method, code, domain, response["statusCode"], headers, now, missed=missed, scanned=scanned)
    if method == "HEAD":
        response["body"] = ""
    return response


def _found(domain: str, host: str, code: str, now: datetime) -> Target | None:
    """The live link ``code`` on the guessed ``domain``, ``None`` when there is none. A gone link is no proof that
    the request's ``host`` is ours (a domain's forced removal leaves its links as tombstones): it is answered 410
    (``LinkGone``) only when the registry has the host, and is a miss otherwise, as it is with a fresh registry."""
    try:
        return resolve_target(targets, domain, code, now)
    except LinkNotFound:
        return None
    except LinkGone:
        if domains.of_request(host) is None:
            return None
        raise


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
    missed: bool = False,
    scanned: bool = False,
) -> None:
    """One click record per redirect request (domain/click_format.py): the raw material for click analytics and
    the redirect's metrics (no IP address is kept).

    HEAD requests are recorded too, with their method, so analytics can tell link-preview bots from visits."""
    user_agent = headers.get("user-agent", "")
    secret = daily_secret.for_moment(now)
    visitor_ip = source_ip(event, settings.behind_edge)
    write_click(
        {
            wire.METHOD: method,
            wire.CODE: code[:64],
            wire.DOMAIN: domain,
            wire.STATUS: status,
            wire.REFERRER_HOST: host_of(headers.get("referer", "")) or None,
            wire.USER_AGENT: user_agent[:_MAX_LOGGED_USER_AGENT] or None,
            wire.COUNTRY: headers.get("cloudfront-viewer-country"),
            # Unique visitors without an IP address: the id cannot be traced back once the day's secret is gone.
            wire.VISITOR: visitor_id(secret, visitor_ip, user_agent, domain) if secret else None,
            wire.MISS: 1 if missed else None,
            wire.SOURCE: "qr" if scanned else None,  # a QR code's scan; any other request is a link's
        },
    )
