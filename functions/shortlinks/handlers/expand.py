"""GET /v1/expand?url=<short URL>|code=<code>: where a short link leads, without following it or counting a click."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aws_lambda_powertools.logging import correlation_paths

from shortlinks.config import Settings, bare_host
from shortlinks.domain.errors import InvalidDomain, LinkNotFound, NotOurShortUrl, UnknownDomain
from shortlinks.domain.links import utc_now
from shortlinks.domain.resolve import resolve_link
from shortlinks.domain.urls import MAX_URL_LENGTH, with_web_scheme
from shortlinks.observability import MetricUnit, logger, metrics
from shortlinks.schemas.links import LinkResponse, PublicLinkResponse
from shortlinks.storage.budget import within_budget
from shortlinks.storage.repository import DynamoLinkRepository
from shortlinks.web.api import JsonResponse, json_endpoint, query_parameter
from shortlinks.web.auth import principal_of
from shortlinks.web.hosts import ShortDomains, registry_for
from shortlinks.web.http import BadRequest, request_host

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

settings = Settings.from_env()
repository = DynamoLinkRepository(settings.table_name, settings.region, settings.dynamodb_endpoint)
repository.warm_up()
domains = ShortDomains(settings, registry_for(settings, repository))


@json_endpoint
def expand(event: dict[str, Any]) -> JsonResponse:
    principal = principal_of(event)  # anyone may preview; an invalid key is refused before anything else
    url = query_parameter(event, "url")
    code = query_parameter(event, "code")
    host = request_host(event)
    if (url is None) == (code is None):
        raise BadRequest.invalid([{"field": "url", "message": "give exactly one of the url or code parameters"}])
    if url is not None:
        url_host, code = _parts_of(url)
        try:
            short_domain = domains.named(url_host, host)
        except (UnknownDomain, InvalidDomain):  # another service's link: expanding those is planned
            raise NotOurShortUrl.on(url_host, "the registered short domains") from None
    else:
        short_domain = domains.named(_bounded_domain(event), host)
    assert code is not None
    link = resolve_link(repository, short_domain.host, code)
    metrics.add_metric(name="Expansions", unit=MetricUnit.Count, value=1)
    now = utc_now()
    short_url = short_domain.short_url(link.code)
    if principal is not None and principal.may_manage(link.owner):
        return JsonResponse(200, LinkResponse.of(link, short_url, now).model_dump_json())
    return JsonResponse(200, PublicLinkResponse.of(link, short_url, now).model_dump_json())


def _bounded_domain(event: dict[str, Any]) -> str | None:
    domain = query_parameter(event, "domain")
    if domain is not None and not 0 < len(domain) <= 253:
        raise BadRequest.invalid([{"field": "domain", "message": "1 to 253 characters"}])
    return domain


def _parts_of(short_url: str) -> tuple[str, str]:
    """The host and code of a short URL (``care.link/help`` or ``https://care.link/help``); ``UnsupportedScheme``
    for any scheme but http(s) (``javascript:``, ``data:``), as a destination would get."""
    if len(short_url) > MAX_URL_LENGTH:
        raise BadRequest.invalid([{"field": "url", "message": f"at most {MAX_URL_LENGTH} characters"}])
    candidate = with_web_scheme(short_url)
    try:
        parts = urlsplit(candidate)
        host = bare_host(parts.netloc.rpartition("@")[2])
    except ValueError:
        raise BadRequest.invalid([{"field": "url", "message": "not a URL"}]) from None
    if parts.scheme not in ("http", "https") or not host:
        raise BadRequest.invalid([{"field": "url", "message": "an http(s) short URL, e.g. https://care.link/help"}])
    code = parts.path.removeprefix("/")
    if not code or "/" in code:
        raise LinkNotFound.for_code(code)
    return host, code


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@within_budget
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return expand(event)
