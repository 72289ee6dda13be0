"""POST /v1/links and POST /v1/links/bulk: create short links."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging import correlation_paths

from shortlinks.config import Settings
from shortlinks.domain.access import Principal
from shortlinks.domain.errors import ShortlinksError, StorageUnavailable, Unauthenticated
from shortlinks.domain.service import create_link
from shortlinks.domain.short_domain import ShortDomain
from shortlinks.domain.target import utc_now
from shortlinks.observability import MetricUnit, logger, metrics
from shortlinks.schemas.bodies import link_body
from shortlinks.schemas.link_fields import MAX_BULK_ITEMS
from shortlinks.storage import budget as store_budget
from shortlinks.storage.budget import within_budget
from shortlinks.storage.repository import DynamoLinkRepository, DynamoRateLimiter
from shortlinks.web.api import MAX_BODY_BYTES, JsonResponse, by_route_key, invalid_fields, json_endpoint, parse_body
from shortlinks.web.auth import principal_of
from shortlinks.web.create_body import plain_create
from shortlinks.web.hosts import ShortDomains, registry_for
from shortlinks.web.http import BadRequest, error_body, lower_headers, request_host, status_for

if TYPE_CHECKING:
    from collections.abc import Callable

    from aws_lambda_powertools.utilities.typing import LambdaContext

    from shortlinks.domain.service import NewLink
    from shortlinks.schemas.links import BulkCreateRequest

MAX_IDEMPOTENCY_KEY_LENGTH = 255
IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600
# Room for MAX_BULK_ITEMS links at their largest (a 2,048-character URL, a 64-character alias, a 200-character
# title, 20 tags: about 3.5 KB each); a single create's 16 KiB would refuse 100 ordinary links.
MAX_BULK_BODY_BYTES = MAX_BULK_ITEMS * 5 * 1024
BULK_SCOPE = "#bulk"  # the idempotency scope of bulk requests: never a host, so never a single create's
# A bulk item is started only with this much of the budget left: a rate-limit update, a put, perhaps a new code.
BULK_ITEM_RESERVE_SECONDS = 2 * store_budget.CONNECT_TIMEOUT_SECONDS

settings = Settings.from_env()
repository = DynamoLinkRepository(settings.table_name, settings.region, settings.dynamodb_endpoint)
# The repository's botocore client, built now (at cold start) and shared with the domain registry.
domains = ShortDomains(settings, registry_for(settings, repository.botocore_client()))
rate_limiter = DynamoRateLimiter(
    settings.table_name, settings.region, settings.dynamodb_endpoint, share_with=repository
)
_idempotent: Callable[..., dict[str, Any]] | None = None
_context: LambdaContext | None = None
_idempotency_config: Any = None


def _caller(event: dict[str, Any]) -> Principal | None:
    principal = principal_of(event)
    if principal is None and not settings.allow_anonymous_create:
        raise Unauthenticated.missing()
    return principal


def _create_one(
    new_link: NewLink, fields_set: frozenset[str], short_domain: ShortDomain, principal: Principal | None, host: str
) -> dict[str, Any]:
    """Create (or reuse) one link on ``short_domain`` and return its JSON representation (``fields_set``: the fields
    the body gave; a link without a ``redirect_type`` takes its domain's default)."""
    now = utc_now()
    short_domain.ensure_may_create(principal)
    if "redirect_type" not in fields_set:
        new_link = replace(new_link, redirect_type=short_domain.default_redirect_type)

    def admit() -> None:
        if principal is not None:
            limit = principal.create_rate_limit or settings.default_create_rate_limit
            rate_limiter.hit(principal.key_id, limit, now)

    link = create_link(
        repository,
        new_link,
        domain=short_domain.host,
        own_hosts=domains.own_hosts(host),
        code_length=settings.code_length,
        now=now,
        owner=principal.key_id if principal else None,
        admit=admit,
    )
    reused = link.created_at != now
    metrics.add_metric(name="LinksReused" if reused else "LinksCreated", unit=MetricUnit.Count, value=1)
    logger.info("link created", extra={"code": link.code, "domain": link.domain, "owner": link.owner, "reused": reused})
    body = link_body(link, short_domain.short_url(link.code), now)  # the LinkResponse shape, without building it
    body["reused"] = reused
    return body


def create(event: dict[str, Any]) -> JsonResponse:
    principal = _caller(event)
    idempotency_key = lower_headers(event).get("idempotency-key")
    # A plainly valid body without an Idempotency-Key skips pydantic (web/create_body.py); anything else, the model.
    plain = plain_create(event, MAX_BODY_BYTES) if idempotency_key is None else None
    if plain is not None:
        host = request_host(event, settings.behind_edge)
        body = _create_one(plain.new_link, plain.fields_set, domains.named(plain.domain, host), principal, host)
    else:
        from shortlinks.schemas.links import CreateLinkRequest

        request = parse_body(event, CreateLinkRequest)
        host = request_host(event, settings.behind_edge)
        short_domain = domains.named(request.domain, host)
        new_link, fields_set = request.to_new_link(), frozenset(request.model_fields_set)
        if idempotency_key is None:
            body = _create_one(new_link, fields_set, short_domain, principal, host)
        else:
            body = _idempotently(
                idempotency_key,
                principal,
                scope=short_domain.host,
                request=request.model_dump(mode="json"),
                work=lambda: _create_one(new_link, fields_set, short_domain, principal, host),
            )
    status = 200 if body.pop("reused") else 201  # 200: an existing link was returned (reuse)
    return JsonResponse(status, json.dumps(body, separators=(",", ":")), {"Location": f"/v1/links/{body['code']}"})


def create_many(event: dict[str, Any]) -> JsonResponse:
    """Each item is created or refused on its own; the answer lists every item's outcome in order.

    Items are started only while the invocation's time budget can still finish one: the rest are reported as
    ``not_processed`` (503 with ``retry_after``), never written, so a client resends exactly those. When no item
    could be written because the store is unavailable, the whole answer is a 503."""
    from shortlinks.schemas.links import BulkCreateRequest

    principal = _caller(event)
    bulk = parse_body(event, BulkCreateRequest, max_bytes=MAX_BULK_BODY_BYTES)
    host = request_host(event, settings.behind_edge)
    idempotency_key = lower_headers(event).get("idempotency-key")
    if idempotency_key is None:
        body = _create_each(bulk, principal, host)
    else:
        body = _idempotently(
            idempotency_key,
            principal,
            scope=BULK_SCOPE,
            request=bulk.model_dump(mode="json"),
            work=lambda: _create_each(bulk, principal, host),
        )
    return JsonResponse(200, json.dumps(body, separators=(",", ":")))


def _create_each(bulk: BulkCreateRequest, principal: Principal | None, host: str) -> dict[str, Any]:
    """Every item's outcome; raises ``StorageUnavailable`` when none could be attempted or written for that reason
    (so an idempotency record is not kept for an answer that did nothing)."""
    from pydantic import ValidationError

    from shortlinks.schemas.links import CreateLinkRequest

    results: list[dict[str, Any]] = []
    for index, raw in enumerate(bulk.links):
        if store_budget.remaining_seconds() < BULK_ITEM_RESERVE_SECONDS:
            refusal = _error("not_processed", "not attempted: the request ran out of time; send this item again")
            results.append({"index": index, "status": 503, "error": refusal | {"retry_after": "1"}})
            continue
        try:
            request = CreateLinkRequest.model_validate_json(json.dumps(raw))
            short_domain = domains.named(request.domain, host)
            link = _create_one(
                request.to_new_link(), frozenset(request.model_fields_set), short_domain, principal, host
            )
            results.append({"index": index, "status": 200 if link.pop("reused") else 201, "link": link})
        except ValidationError as exc:
            error = invalid_fields(exc)
            results.append(
                {"index": index, "status": error.status, "error": _error(error.code, error.message, error.details)}
            )
        except ShortlinksError as exc:
            refusal = _error(exc.code, exc.message)
            retry_after = getattr(exc, "retry_after", None)
            if retry_after is not None:
                refusal["retry_after"] = str(retry_after)  # what a single create says in its Retry-After header
            results.append({"index": index, "status": status_for(exc), "error": refusal})
    if results and all(result["status"] == 503 for result in results):
        first = results[0]["error"]
        raise StorageUnavailable(first["message"], int(first.get("retry_after", 1)))
    created = sum(1 for result in results if result["status"] in (200, 201))
    return {"created": created, "failed": len(results) - created, "results": results}


def _error(code: str, message: str, details: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """An item's error, shaped as a single request's ``error`` object."""
    error: dict[str, Any] = json.loads(error_body(code, message, details))["error"]
    return error


def _idempotently(
    idempotency_key: str,
    principal: Principal | None,
    *,
    scope: str,
    request: dict[str, Any],
    work: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """A retried request with the same ``Idempotency-Key`` (per API key and ``scope``: a domain, or bulk) gets the
    first answer again; the same key with another ``request`` body is refused.

    Powertools' idempotency utility keeps the record in the links table for 24 hours; it is imported on first
    use only, so creates without the header pay nothing for it at cold start.
    """
    if not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY_LENGTH or not idempotency_key.isprintable():
        raise BadRequest.invalid(
            [{"field": "Idempotency-Key", "message": f"1 to {MAX_IDEMPOTENCY_KEY_LENGTH} printable characters"}]
        )
    if principal is None:
        raise BadRequest.invalid([{"field": "Idempotency-Key", "message": "needs an API key to scope it to"}])
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    payload = {"caller": principal.key_id, "idempotency_key": idempotency_key, "domain": scope, "request": request}
    try:
        return _idempotent_runner()(payload=payload, work=work)
    except IdempotencyValidationError:
        raise BadRequest(
            422, "idempotency_key_reused", "this Idempotency-Key was used with a different request body"
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise BadRequest(409, "idempotency_in_progress", "a request with this Idempotency-Key is in progress") from None
    except IdempotencyPersistenceLayerError as exc:
        raise StorageUnavailable.because("idempotency record") from exc


def _idempotent_runner() -> Callable[..., dict[str, Any]]:
    global _idempotent
    if _idempotent is None:
        from aws_lambda_powertools.utilities.idempotency import (
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
            idempotent_function,
        )

        persistence = DynamoDBPersistenceLayer(
            table_name=settings.table_name,
            key_attr="pk",
            sort_key_attr="sk",
            static_pk_value="IDEMPOTENCY#create",
            expiry_attr="ttl",
            boto3_client=repository.botocore_client(),  # the links' own client: same table, same budget
        )
        config = IdempotencyConfig(
            event_key_jmespath="[caller, domain, idempotency_key]",
            payload_validation_jmespath="request",
            expires_after_seconds=IDEMPOTENCY_WINDOW_SECONDS,
            raise_on_no_idempotency_key=True,
        )
        global _idempotency_config
        _idempotency_config = config
        if _context is not None:
            config.register_lambda_context(_context)

        @idempotent_function(  # type: ignore[untyped-decorator]
            data_keyword_argument="payload", config=config, persistence_store=persistence
        )
        def once(*, payload: dict[str, Any], work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
            return work()  # the payload only keys and validates the record

        _idempotent = once
    return _idempotent


_serve = json_endpoint(by_route_key({"POST /v1/links": create, "POST /v1/links/bulk": create_many}))


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@within_budget
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    global _context
    _context = context
    if _idempotency_config is not None:
        _idempotency_config.register_lambda_context(context)  # remaining time bounds an in-progress record
    return _serve(event)
