"""Generate the OpenAPI 3.1 document (docs/openapi.json) from template.yaml's routes and the pydantic models.

What comes from where, so nothing is written by hand twice:

* **Routes** (method, path, path parameters, whether the key authorizer runs): every HttpApi event of
  template.yaml (``local.template.routes``). A route with no entry in ``OPERATIONS`` still appears, with its
  function's description and the errors every route can answer.
* **Bodies**: the request and response models in ``shortlinks.schemas`` (``model_json_schema``), under
  ``components/schemas``.
* **Statuses**: each error a route can raise, with its status from ``web.http``'s registry (``STATUS_BY_ERROR``) or
  the boundary's ``BadRequest``, and its stable ``code``.
* **Per route, what no model says** (query parameters and headers the handlers read, success statuses, which
  errors): ``OPERATIONS`` below, the one table to extend with a route.

``python -m local.openapi`` (``make openapi``) writes the document; ``--check`` exits 1 when the committed one is
out of date (tests/unit/test_openapi_document.py does the same).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from local.template import ROOT, Route, load_template, routes
from shortlinks.domain.errors import (
    CodeSpaceExhausted,
    CodeTaken,
    DomainInUse,
    DomainNotAllowed,
    EditConflict,
    Forbidden,
    InvalidAlias,
    InvalidCursor,
    InvalidDomain,
    InvalidExpiry,
    InvalidKeySpec,
    InvalidRange,
    InvalidTags,
    InvalidUrl,
    InvalidUtm,
    KeyNotFound,
    LinkDeleted,
    LinkDisabled,
    LinkExpired,
    LinkNotFound,
    NotOurShortUrl,
    QrTooLarge,
    RateLimited,
    ShortlinksError,
    StorageUnavailable,
    TaggedUrlTooLong,
    Unauthenticated,
    UnknownDomain,
    VersionMismatch,
)
from shortlinks.schemas.bulk import BulkCreateResponse
from shortlinks.schemas.domains import DomainListResponse, DomainResponse, PatchDomainRequest, PutDomainRequest
from shortlinks.schemas.errors import ErrorResponse
from shortlinks.schemas.expansions import ExpansionResponse
from shortlinks.schemas.keys import CreatedKeyResponse, CreateKeyRequest, KeyListResponse
from shortlinks.schemas.link_management import HistoryResponse, LinkListingResponse, UpdateLinkRequest
from shortlinks.schemas.links import BulkCreateRequest, CreateLinkRequest, LinkResponse, PublicLinkResponse
from shortlinks.schemas.qr import DEFAULT_MARGIN, DEFAULT_SCALE, MAX_MARGIN, MAX_SCALE, MIN_MARGIN, MIN_SCALE
from shortlinks.schemas.stats import CSV_CONTENT_TYPE, LinkStatsResponse, OverviewResponse
from shortlinks.web.http import STATUS_BY_ERROR, BadRequest

DOCUMENT_PATH = ROOT / "docs" / "openapi.json"
JSON = "application/json"
_REF = "#/components/schemas/{model}"

# The boundary's refusals (web/api.py parse_body, and the handlers' query and header checks).
MALFORMED_JSON = BadRequest.malformed_json("")
TOO_LARGE = BadRequest.too_large(0)
UNSUPPORTED_MEDIA_TYPE = BadRequest.unsupported_media_type("")
INVALID_FIELDS = BadRequest.invalid([])
IDEMPOTENCY_IN_PROGRESS = BadRequest(409, "idempotency_in_progress", "")
IDEMPOTENCY_KEY_REUSED = BadRequest(422, "idempotency_key_reused", "")

ErrorSpec = type[ShortlinksError] | BadRequest
# What every JSON route of a function can answer: an unexpected failure (logged), and a store that did not answer.
SERVER = (StorageUnavailable,)
KEYED = (Unauthenticated, *SERVER)  # routes that need a key (the authorizer may also find the table unavailable)
ADMIN = (*KEYED, Forbidden)
BODY = (MALFORMED_JSON, TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, INVALID_FIELDS)
DOMAIN_PARAMETER = (UnknownDomain, InvalidDomain, INVALID_FIELDS)
CREATE_ERRORS = (
    InvalidUrl,
    InvalidUtm,
    TaggedUrlTooLong,
    InvalidAlias,
    InvalidExpiry,
    InvalidTags,
    CodeTaken,
    DomainNotAllowed,
    RateLimited,
    CodeSpaceExhausted,
    IDEMPOTENCY_IN_PROGRESS,
    IDEMPOTENCY_KEY_REUSED,
)


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # "query" or "header"
    description: str
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})
    example: str | None = None


@dataclass(frozen=True)
class Answer:
    """A success answer: its status, body model(s) (``None``: no body) and what else describes it."""

    status: int
    description: str
    models: tuple[type[BaseModel], ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)  # name -> description
    csv: bool = False  # also text/csv, when Accept prefers it
    content: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # other media types, as written


@dataclass(frozen=True)
class Operation:
    summary: str
    tag: str
    answers: tuple[Answer, ...]
    errors: tuple[ErrorSpec, ...] = ()
    request: type[BaseModel] | None = None
    request_example: Mapping[str, Any] | None = None
    parameters: tuple[Parameter, ...] = ()


DOMAIN = Parameter("domain", "query", "The short domain (default: the default domain).", example="care.link")
IF_MATCH = Parameter("If-Match", "header", "The `ETag` of a read: the change applies only at that version.")
IDEMPOTENCY_KEY = Parameter(
    "Idempotency-Key", "header", "1-255 printable characters: a retry with the same value gets the first answer."
)
RANGE = (
    Parameter("from", "query", "ISO 8601 date or date-time; default: seven days before `to`.", example="2026-12-01"),
    Parameter("to", "query", "ISO 8601 date or date-time; default: now.", example="2026-12-07"),
)
GRANULARITY = Parameter("granularity", "query", "Buckets of the series.", {"enum": ["hour", "day"]})
OWNER = Parameter("owner", "query", "Admins: another key's `key_id`, or `*` for every owner (1-64 characters).")
ETAG = {"ETag": 'The link\'s version, e.g. `"3"`: send it back in `If-Match`.'}
REDIRECTS = tuple(
    Answer(status, "The destination.", headers={"Location": "Where to go."}) for status in (301, 302, 307, 308)
)
LINK_EXAMPLE = {"url": "https://example.org/spring-sale?ref=mail", "alias": "spring", "tags": ["spring"]}

OPERATIONS: dict[str, Operation] = {
    "POST /v1/links": Operation(
        "Create a short link",
        "links",
        (
            Answer(201, "Created.", (LinkResponse,), {"Location": "/v1/links/{code}"}),
            Answer(200, "An existing link returned (`reuse`).", (LinkResponse,), {"Location": "/v1/links/{code}"}),
        ),
        (*KEYED, *BODY, *CREATE_ERRORS, UnknownDomain, InvalidDomain),
        CreateLinkRequest,
        LINK_EXAMPLE,
        (IDEMPOTENCY_KEY,),
    ),
    "POST /v1/links/bulk": Operation(
        "Create up to 100 links",
        "links",
        (Answer(200, "Each item's outcome, in order.", (BulkCreateResponse,)),),
        (*KEYED, *BODY, IDEMPOTENCY_IN_PROGRESS, IDEMPOTENCY_KEY_REUSED),
        BulkCreateRequest,
        {"links": [LINK_EXAMPLE, {"url": "https://example.org/b"}]},
        (IDEMPOTENCY_KEY,),
    ),
    "GET /{code}": Operation(
        "Follow a short link", "redirects", REDIRECTS, (LinkNotFound, LinkExpired, LinkDisabled, LinkDeleted, *SERVER)
    ),
    "HEAD /{code}": Operation(
        "Where a short link leads, without counting a click",
        "redirects",
        REDIRECTS,
        (LinkNotFound, LinkExpired, LinkDisabled, LinkDeleted, *SERVER),
    ),
    "GET /": Operation(
        "A short domain's root",
        "redirects",
        (Answer(302, "The domain's `root_url`.", headers={"Location": "Where to go."}),),
        (LinkNotFound, *SERVER),
    ),
    "HEAD /": Operation(
        "A short domain's root, without a body",
        "redirects",
        (Answer(302, "The domain's `root_url`.", headers={"Location": "Where to go."}),),
        (LinkNotFound, *SERVER),
    ),
    "GET /v1/expand": Operation(
        "Show where a link leads (no key needed)",
        "expand",
        (
            Answer(
                200,
                "Our link (as its owner sees it with a key that may manage it), or another service's chain of hops.",
                (LinkResponse, PublicLinkResponse, ExpansionResponse),
            ),
        ),
        (*KEYED, LinkNotFound, LinkExpired, InvalidUrl, NotOurShortUrl, RateLimited, *DOMAIN_PARAMETER),
        parameters=(
            Parameter(
                "url",
                "query",
                "Any http(s) URL, ours or another service's (exactly one of url, code).",
                {"type": "string", "maxLength": 2048},
                "https://care.link/help",
            ),
            Parameter("code", "query", "A code on `domain` (exactly one of url, code).", example="help"),
            DOMAIN,
            Parameter(
                "refresh", "query", "Key holders: follow another service's link again.", {"enum": ["true", "false"]}
            ),
        ),
    ),
    "GET /v1/links": Operation(
        "List links",
        "links",
        (Answer(200, "A page of links, newest first.", (LinkListingResponse,)),),
        (*KEYED, Forbidden, InvalidCursor, INVALID_FIELDS, InvalidDomain),
        parameters=(
            Parameter(
                "limit", "query", "1-100 links per page (default 50).", {"type": "string", "pattern": "^[0-9]+$"}
            ),
            Parameter("cursor", "query", "The previous page's `next_cursor`.", {"type": "string", "maxLength": 2048}),
            Parameter("tag", "query", "Only links with this tag.", {"type": "string", "maxLength": 64}),
            Parameter(
                "status",
                "query",
                "Only links with this status.",
                {"enum": ["active", "expired", "disabled", "deleted"]},
            ),
            OWNER,
            Parameter("domain", "query", "With `owner=*` only: the short domain whose links to list."),
        ),
    ),
    "GET /v1/links/{code}": Operation(
        "Read a link",
        "links",
        (Answer(200, "The link.", (LinkResponse,), ETAG),),
        (*KEYED, LinkNotFound, *DOMAIN_PARAMETER),
        parameters=(DOMAIN,),
    ),
    "PATCH /v1/links/{code}": Operation(
        "Change a link",
        "links",
        (Answer(200, "The link as changed.", (LinkResponse,), ETAG),),
        (
            *KEYED,
            *BODY,
            LinkNotFound,
            *DOMAIN_PARAMETER,
            InvalidUrl,
            InvalidUtm,
            TaggedUrlTooLong,
            InvalidExpiry,
            InvalidTags,
            LinkDeleted,
            EditConflict,
            VersionMismatch,
        ),
        UpdateLinkRequest,
        {"url": "https://example.org/summer-sale", "tags": ["summer"]},
        (DOMAIN, IF_MATCH),
    ),
    "DELETE /v1/links/{code}": Operation(
        "Delete a link (it stays as a tombstone)",
        "links",
        (Answer(204, "Deleted."),),
        (*KEYED, LinkNotFound, *DOMAIN_PARAMETER, EditConflict),
        parameters=(DOMAIN,),
    ),
    "GET /v1/links/{code}/history": Operation(
        "A link's changes of destination",
        "links",
        (Answer(200, "Newest first.", (HistoryResponse,)),),
        (*KEYED, LinkNotFound, *DOMAIN_PARAMETER),
        parameters=(DOMAIN,),
    ),
    "GET /v1/links/{code}/qr": Operation(
        "The QR code of a live link's short URL (public, cacheable)",
        "links",
        (
            Answer(
                200,
                "The code as SVG or PNG; it encodes the short URL with the scan marker `_sl=qr`.",
                headers={"ETag": "The image's digest.", "Cache-Control": "public, max-age=300"},
                content={"image/svg+xml": {"schema": {"type": "string"}}, "image/png": {"schema": {}}},
            ),
            Answer(304, "Not modified (`If-None-Match`)."),
        ),
        (*SERVER, LinkNotFound, QrTooLarge, *DOMAIN_PARAMETER),
        parameters=(
            Parameter("format", "query", "The image's format.", {"enum": ["svg", "png"], "default": "svg"}),
            Parameter(
                "size",
                "query",
                "Pixels per module (SVG: user units).",
                {"type": "integer", "minimum": MIN_SCALE, "maximum": MAX_SCALE, "default": DEFAULT_SCALE},
            ),
            Parameter(
                "margin",
                "query",
                "The quiet zone, in modules.",
                {"type": "integer", "minimum": MIN_MARGIN, "maximum": MAX_MARGIN, "default": DEFAULT_MARGIN},
            ),
            Parameter("ecc", "query", "Error correction level.", {"enum": ["L", "M", "Q", "H"], "default": "M"}),
            DOMAIN,
            Parameter("If-None-Match", "header", "An `ETag` this route gave: 304 when the image is the same."),
        ),
    ),
    "GET /v1/links/{code}/stats": Operation(
        "A link's clicks",
        "statistics",
        (
            Answer(
                200,
                "Totals, a series and breakdowns (CSV when Accept prefers text/csv).",
                (LinkStatsResponse,),
                csv=True,
            ),
        ),
        (*KEYED, LinkNotFound, *DOMAIN_PARAMETER, InvalidRange),
        parameters=(DOMAIN, *RANGE, GRANULARITY),
    ),
    "GET /v1/stats": Operation(
        "The clicks of an owner's links, or of a domain",
        "statistics",
        (Answer(200, "By day (CSV when Accept prefers text/csv).", (OverviewResponse,), csv=True),),
        (*KEYED, Forbidden, *DOMAIN_PARAMETER, InvalidRange),
        parameters=(OWNER, DOMAIN, *RANGE, Parameter("granularity", "query", "Buckets: by day.", {"enum": ["day"]})),
    ),
    "POST /v1/keys": Operation(
        "Create an API key (shown once)",
        "keys",
        (Answer(201, "The key's record and, this once, the key.", (CreatedKeyResponse,)),),
        (*ADMIN, *BODY, InvalidKeySpec),
        CreateKeyRequest,
        {"name": "newsletter", "role": "member"},
    ),
    "GET /v1/keys": Operation(
        "List the API keys (never the keys themselves)",
        "keys",
        (Answer(200, "Every key's record.", (KeyListResponse,)),),
        ADMIN,
    ),
    "DELETE /v1/keys/{key_id}": Operation(
        "Revoke an API key", "keys", (Answer(204, "Revoked."),), (*ADMIN, KeyNotFound)
    ),
    "GET /v1/domains": Operation(
        "List the short domains", "domains", (Answer(200, "Every domain.", (DomainListResponse,)),), ADMIN
    ),
    "GET /v1/domains/{domain}": Operation(
        "Read a short domain",
        "domains",
        (Answer(200, "The domain.", (DomainResponse,)),),
        (*ADMIN, UnknownDomain, InvalidDomain),
    ),
    "PUT /v1/domains/{domain}": Operation(
        "Register a short domain, or replace all its settings",
        "domains",
        (Answer(200, "The domain as stored.", (DomainResponse,)),),
        (*ADMIN, *BODY, InvalidDomain),
        PutDomainRequest,
        {
            "base_url": "https://care.link",
            "default_redirect_type": 302,
            "root_url": "https://example.org/",
            "not_found_url": None,
            "allowed_keys": None,
            "is_default": True,
        },
    ),
    "PATCH /v1/domains/{domain}": Operation(
        "Change some settings of a short domain",
        "domains",
        (Answer(200, "The domain as stored.", (DomainResponse,)),),
        (*ADMIN, *BODY, UnknownDomain, InvalidDomain),
        PatchDomainRequest,
        {"root_url": "https://example.org/welcome"},
    ),
    "DELETE /v1/domains/{domain}": Operation(
        "Remove a short domain",
        "domains",
        (Answer(204, "Removed."),),
        (*ADMIN, UnknownDomain, InvalidDomain, DomainInUse, INVALID_FIELDS),
        parameters=(
            Parameter(
                "force",
                "query",
                "`true`: remove it although it has links (they become tombstones).",
                {"enum": ["true", "false"]},
            ),
        ),
    ),
    "GET /v1/openapi.json": Operation(
        "This document",
        "documentation",
        (
            Answer(
                200,
                "The OpenAPI 3.1 document.",
                headers={"ETag": "The document's digest."},
                content={JSON: {"schema": {"type": "object"}}},
            ),
            Answer(304, "Not modified (`If-None-Match`)."),
        ),
    ),
    "GET /docs": Operation(
        "Interactive documentation (Swagger UI)",
        "documentation",
        (Answer(200, "The page.", content={"text/html": {"schema": {"type": "string"}}}),),
    ),
    "GET /docs/assets/{version}/{name}": Operation(
        "The page's scripts, style and icons (cached for a year: the path names their version)",
        "documentation",
        (Answer(200, "The file.", content={"*/*": {"schema": {}}}),),
        (LinkNotFound,),
    ),
    "GET /console": Operation(
        "The web console's page (it asks for an API key itself)",
        "console",
        (Answer(200, "The page.", content={"text/html": {"schema": {"type": "string"}}}), Answer(304, "Not modified.")),
    ),
    "GET /console/assets/{name}": Operation(
        "The console's scripts and style (their names carry their content hash: cached for a year)",
        "console",
        (Answer(200, "The file.", content={"*/*": {"schema": {}}}),),
        (LinkNotFound,),
    ),
}
HTML_ERRORS = {"/{code}", "/"}  # the redirect answers a browser (Accept prefers text/html) with a page
TAGS = {
    "links": "Create, list, read, change and delete short links (an API key).",
    "redirects": "Follow short links: no key, no authorizer.",
    "expand": "Where a link leads: ours from the table, any other followed hop by hop.",
    "statistics": "Clicks, by hour or by day, as JSON or CSV.",
    "keys": "API keys (admins only).",
    "domains": "Short domains (admins only).",
    "documentation": "This document and the interactive page.",
    "console": "The web console: a page and its files, public (the page asks for a key).",
}


def build_document(template: dict[str, Any] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every HttpApi route of ``template`` (default: template.yaml)."""
    template = template or load_template()
    found = routes(template)
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for route in found:
        key = f"{route.method} {route.path}"
        operation = OPERATIONS.get(key) or _undocumented(template, route)
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, operation, schemas)
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "shortlinks",
            "version": "1",
            "description": (
                "A URL shortener and expander. Generated from template.yaml and the pydantic models by "
                "`make openapi`; docs/api.md explains every route in prose. Errors are "
                '`{"error": {"code", "message"}}`: handle them by `code`. Requests no route matches, and '
                'throttled ones (429), are answered by API Gateway itself as `{"message"}`.'
            ),
        },
        "servers": [{"url": "/", "description": "The API this document was served by"}],
        "tags": [{"name": name, "description": text} for name, text in TAGS.items()],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas.definitions(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "`Authorization: Bearer sl_...`"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "`X-API-Key: sl_...`"},
            },
        },
    }
    return schemas.resolve(document)


class _Schemas:
    """Every model the document names, rendered once by pydantic under components/schemas."""

    def __init__(self) -> None:
        self._models: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {}
        self._names: dict[str, str] = {}

    def ref(self, model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, str]:
        self._models[(model, mode)] = None
        return {"$ref": f"#/components/schemas/{model.__name__}__{mode}"}  # placeholder, fixed in definitions()

    def definitions(self) -> dict[str, Any]:
        refs, top = models_json_schema(list(self._models), ref_template=_REF)
        self._names = {f"{model.__name__}__{mode}": ref["$ref"] for (model, mode), ref in refs.items()}
        return dict(sorted(top.get("$defs", {}).items()))

    def resolve(self, document: dict[str, Any]) -> dict[str, Any]:
        """Replace the placeholders ``ref`` returned with pydantic's own names (``Model``, or ``Model-Input``)."""
        text = json.dumps(document)
        for placeholder, ref in self._names.items():
            text = text.replace(f'"#/components/schemas/{placeholder}"', json.dumps(ref))
        resolved: dict[str, Any] = json.loads(text)
        return resolved


def _operation(route: Route, operation: Operation, schemas: _Schemas) -> dict[str, Any]:
    result: dict[str, Any] = {
        "operationId": _operation_id(route),
        "summary": operation.summary,
        "tags": [operation.tag],
        "security": [{"bearer": []}, {"apiKey": []}] if route.authorizer is not None else [],
    }
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in re.findall(r"\{([^}+]+)\+?\}", route.path)
    ]
    parameters += [
        {
            "name": parameter.name,
            "in": parameter.location,
            "required": False,
            "description": parameter.description,
            "schema": dict(parameter.schema),
            **({"example": parameter.example} if parameter.example is not None else {}),
        }
        for parameter in operation.parameters
    ]
    if parameters:
        result["parameters"] = parameters
    if operation.request is not None:
        media: dict[str, Any] = {"schema": schemas.ref(operation.request, "validation")}
        if operation.request_example is not None:
            media["example"] = dict(operation.request_example)
        result["requestBody"] = {"required": True, "content": {JSON: media}}
    responses: dict[str, Any] = {str(answer.status): _answer(answer, schemas) for answer in operation.answers}
    for status, codes in sorted(_errors_by_status(operation.errors).items()):
        responses[str(status)] = _error_response(route, status, codes, schemas)
    result["responses"] = dict(sorted(responses.items()))
    return result


def _answer(answer: Answer, schemas: _Schemas) -> dict[str, Any]:
    response: dict[str, Any] = {"description": answer.description}
    content: dict[str, Any] = {media: dict(spec) for media, spec in answer.content.items()}
    if answer.models:
        refs = [schemas.ref(model, "serialization") for model in answer.models]
        content[JSON] = {"schema": refs[0] if len(refs) == 1 else {"anyOf": refs}}
    if answer.csv:
        content[CSV_CONTENT_TYPE.split(";")[0]] = {"schema": {"type": "string"}}
    if content:
        response["content"] = content
    if answer.headers:
        response["headers"] = {
            name: {"description": text, "schema": {"type": "string"}} for name, text in answer.headers.items()
        }
    return response


def _errors_by_status(errors: Sequence[ErrorSpec]) -> dict[int, list[str]]:
    by_status: dict[int, list[str]] = {500: ["internal_error"]}  # an unexpected failure, logged
    for error in errors:
        status, code = (error.status, error.code) if isinstance(error, BadRequest) else _registered(error)
        if code not in by_status.setdefault(status, []):
            by_status[status].append(code)
    return by_status


def _registered(error: type[ShortlinksError]) -> tuple[int, str]:
    for cls in error.__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls], error.code
    raise ValueError(f"{error.__name__} has no status in web/http.py's STATUS_BY_ERROR")


def _error_response(route: Route, status: int, codes: list[str], schemas: _Schemas) -> dict[str, Any]:
    listed = ", ".join(f"`{code}`" for code in codes)
    example = {"error": {"code": codes[0], "message": "..."}}
    content: dict[str, Any] = {JSON: {"schema": schemas.ref(ErrorResponse, "serialization"), "example": example}}
    if route.path in HTML_ERRORS and status != 500:
        content["text/html"] = {"schema": {"type": "string"}}
    response: dict[str, Any] = {"description": f"Error: {listed}.", "content": content}
    if status == 503 or status == 429:
        response["headers"] = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "string"}}}
    return response


def _undocumented(template: dict[str, Any], route: Route) -> Operation:
    """A route of the template that ``OPERATIONS`` does not describe yet: its function's description, any body."""
    properties = template["Resources"][route.function].get("Properties") or {}
    summary = str(properties.get("Description") or route.function)
    answer = Answer(200, "See docs/api.md.", content={"*/*": {"schema": {}}})
    return Operation(summary, route.function.removesuffix("Function").lower(), (answer,), SERVER)


def _operation_id(route: Route) -> str:
    words = [part.strip("{}+").replace(".", "_") for part in route.path.split("/") if part and part != "v1"]
    return "_".join([route.method.lower(), *(words or ["root"])])


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def generate() -> str:
    """The document's text as ``make openapi`` writes it."""
    return render(build_document())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.openapi", description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DOCUMENT_PATH)
    parser.add_argument("--check", action="store_true", help="exit 1 when --output is not what would be written")
    arguments = parser.parse_args(argv)
    text = generate()
    if arguments.check:
        current = arguments.output.read_text(encoding="utf-8") if arguments.output.exists() else ""
        if current != text:
            print(f"{arguments.output} is out of date: run make openapi", file=sys.stderr)
            return 1
        return 0
    arguments.output.write_text(text, encoding="utf-8")
    print(f"wrote {arguments.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
