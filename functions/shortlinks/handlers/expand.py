"""GET /v1/expand?url=<any http(s) URL>|code=<code>: where a link leads, before anyone clicks it.

One of our own short links is resolved from the table (no HTTP, no click counted). Any other URL is followed hop by
hop (domain/expansion.py) through the address guard and HTTP client (expander/): this module imports all three only
when the first such URL arrives, so expanding our own links keeps its lean cold start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aws_lambda_powertools.logging import correlation_paths

from shortlinks.config import Settings, SettingsError, bare_host
from shortlinks.domain.access import Principal
from shortlinks.domain.errors import (
    InvalidDomain,
    LinkGone,
    LinkNotFound,
    NotOurShortUrl,
    RateLimited,
    UnknownDomain,
)
from shortlinks.domain.resolve import resolve_link, resolve_target
from shortlinks.domain.short_domain import ShortDomain
from shortlinks.domain.target import utc_now
from shortlinks.domain.urls import MAX_URL_LENGTH, normalise_destination, with_web_scheme
from shortlinks.observability import MetricUnit, logger, metrics
from shortlinks.schemas.bodies import json_text, link_body, public_link_body
from shortlinks.storage import budget as store_budget
from shortlinks.storage.budget import within_budget
from shortlinks.storage.keys import expand_caller, expand_caller_ip
from shortlinks.storage.repository import DynamoLinkRepository, DynamoRateLimiter
from shortlinks.web.api import JsonResponse, json_endpoint, query_parameter
from shortlinks.web.auth import principal_of
from shortlinks.web.hosts import ShortDomains, registry_for
from shortlinks.web.http import BadRequest, request_host, source_ip

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from shortlinks.domain.expansion import OurHop
    from shortlinks.expander.third_party import ThirdPartyExpander

settings = Settings.from_env()
repository = DynamoLinkRepository(settings.table_name, settings.region, settings.dynamodb_endpoint)
# The repository's botocore client, built now (at cold start) and shared with the domain registry.
domains = ShortDomains(settings, registry_for(settings, repository.botocore_client()))
rate_limiter = DynamoRateLimiter(
    settings.table_name, settings.region, settings.dynamodb_endpoint, share_with=repository
)
if settings.expander_allowed_addresses:  # checked at cold start: a bad value must not wait for the first request
    from shortlinks.expander.guard import parse_allowed_addresses

    try:
        parse_allowed_addresses(settings.expander_allowed_addresses)
    except ValueError as error:
        raise SettingsError(f"EXPANDER_ALLOWED_ADDRESSES: {error}") from None
    logger.warning("the expander may reach these addresses", extra={"allowed": settings.expander_allowed_addresses})
# What answering needs after the last hop: the cache write and the response.
_ANSWER_RESERVE_SECONDS = 1.0
_expander: ThirdPartyExpander | None = None


@json_endpoint
def expand(event: dict[str, Any]) -> JsonResponse:
    principal = principal_of(event)  # anyone may preview; an invalid key is refused before anything else
    url = query_parameter(event, "url")
    code = query_parameter(event, "code")
    host = request_host(event, settings.behind_edge)
    if (url is None) == (code is None):
        raise BadRequest.invalid([{"field": "url", "message": "give exactly one of the url or code parameters"}])
    if url is not None:
        url_host, port, code = _parts_of(url)
        short_domain = _our_domain(url_host, port, host)
        if short_domain is None:
            return _expand_elsewhere(event, principal, url, url_host)
        if not code or "/" in code:
            raise LinkNotFound.for_code(code)
    else:
        short_domain = domains.named(_bounded_domain(event), host)
    assert code is not None
    link = resolve_link(repository, short_domain.host, code)
    metrics.add_metric(name="Expansions", unit=MetricUnit.Count, value=1)
    now = utc_now()
    short_url = short_domain.short_url(link.code)
    if principal is not None and principal.may_manage(link.owner):
        return JsonResponse(200, json_text(link_body(link, short_url, now)))
    return JsonResponse(200, json_text(public_link_body(link, short_url, now)))


def _bounded_domain(event: dict[str, Any]) -> str | None:
    domain = query_parameter(event, "domain")
    if domain is not None and not 0 < len(domain) <= 253:
        raise BadRequest.invalid([{"field": "domain", "message": "1 to 253 characters"}])
    return domain


def _parts_of(url: str) -> tuple[str, int | None, str]:
    """The host, port (``None``: the scheme's) and path (without its ``/``) of ``url`` (``care.link/help`` or
    ``https://care.link/help``); ``UnsupportedScheme`` for any scheme but http(s) (``javascript:``, ``data:``)."""
    if len(url) > MAX_URL_LENGTH:
        raise BadRequest.invalid([{"field": "url", "message": f"at most {MAX_URL_LENGTH} characters"}])
    candidate = with_web_scheme(url)
    try:
        parts = urlsplit(candidate)
        host = bare_host(parts.netloc.rpartition("@")[2])
        port = parts.port
    except ValueError:
        raise BadRequest.invalid([{"field": "url", "message": "not a URL"}]) from None
    if parts.scheme not in ("http", "https") or not host:
        raise BadRequest.invalid([{"field": "url", "message": "an http(s) URL, e.g. https://care.link/help"}])
    return host, port or _DEFAULT_PORTS[parts.scheme], parts.path.removeprefix("/")


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _our_domain(url_host: str, port: int | None, request_host: str) -> ShortDomain | None:
    """The short domain ``url_host:port`` names, or ``None`` (another service's link). Where a domain's base URL
    names a port (``http://127.0.0.1:3000`` locally), only that port is ours."""
    try:
        short_domain = domains.named(url_host, request_host)
    except (UnknownDomain, InvalidDomain):
        return None
    base = urlsplit(short_domain.base_url)
    if base.port is not None and port != base.port:
        return None
    return short_domain


def _our_hop(url: str, request_host: str) -> OurHop | None:
    """A hop through one of our own links, resolved from the table (no HTTP): its redirect, or a miss.
    ``request_host`` is the host this request came in on: without a domain registry it is our one short domain."""
    from shortlinks.domain.expansion import OurHop

    host, port, code = _parts_of(url)
    short_domain = _our_domain(host, port, request_host)
    if short_domain is None:
        return None
    try:
        target = resolve_target(repository, short_domain.host, code, utc_now())
    except LinkNotFound:
        return OurHop(404, None)
    except LinkGone:
        return OurHop(410, None)
    return OurHop(target.redirect_type, target.destination)


def _expand_elsewhere(event: dict[str, Any], principal: Principal | None, url: str, url_host: str) -> JsonResponse:
    """Follow another service's link, hop by hop, through the guard; from the cache when it was followed lately."""
    if not settings.expander_enabled:
        raise NotOurShortUrl.switched_off(url_host)
    normalised = normalise_destination(with_web_scheme(url))
    refresh = _refresh(event, principal)
    if principal is not None:  # per key for key holders, per source address for everyone else
        caller, limit = expand_caller(principal.key_id), settings.expand_rate_limit_key
    else:
        caller, limit = expand_caller_ip(source_ip(event, settings.behind_edge)), settings.expand_rate_limit_anonymous
    rate_limiter.hit(caller, limit, utc_now(), RateLimited.expanding)
    expander = _third_party_expander()
    from shortlinks.domain.expansion import CachePolicy, expand_url  # with the expander: never for our own links

    checked = expand_url(
        normalised,
        fetcher=expander.fetcher,
        ours=lambda hop_url: _our_hop(hop_url, request_host(event, settings.behind_edge)),
        cache=expander.cache,
        now=utc_now(),
        refresh=refresh,
        max_seconds=store_budget.remaining_seconds() - _ANSWER_RESERVE_SECONDS,
        policy=CachePolicy(settings.expansion_cache_seconds, settings.expansion_failure_cache_seconds),
    )
    from shortlinks.schemas.expansions import ExpansionResponse  # only this path answers with it

    metrics.add_metric(name="ThirdPartyExpansions", unit=MetricUnit.Count, value=1)
    stopped = checked.expansion.stopped
    if stopped is not None:
        logger.info("expansion stopped", extra={"stopped": stopped.value, "hops": len(checked.expansion.hops)})
    return JsonResponse(200, ExpansionResponse.of(checked).model_dump_json())


def _refresh(event: dict[str, Any], principal: Principal | None) -> bool:
    raw = query_parameter(event, "refresh")
    if raw is None or raw == "false":
        return False
    if raw != "true":
        raise BadRequest.invalid([{"field": "refresh", "message": "true or false"}])
    if principal is None:
        raise BadRequest.invalid(
            [{"field": "refresh", "message": "only API key holders may refresh a cached expansion"}]
        )
    return True


def _third_party_expander() -> ThirdPartyExpander:
    global _expander
    if _expander is None:
        from shortlinks.expander.third_party import ThirdPartyExpander

        _expander = ThirdPartyExpander.build(settings, share_with=repository)
    return _expander


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@within_budget
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return expand(event)
