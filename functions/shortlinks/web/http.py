"""HTTP presentation shared by every handler: error mapping (the one registry), headers, request facts.

Kept free of pydantic and of the Powertools event handler so the redirect function can import it cheaply.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

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
    LinkGone,
    LinkNotFound,
    NotOurShortUrl,
    QrTooLarge,
    RateLimited,
    ShortlinksError,
    StorageUnavailable,
    Unauthenticated,
    UnknownDomain,
    VersionMismatch,
)


class BadRequest(Exception):
    """A request the boundary refuses before the domain sees it (body, media type, field shapes)."""

    def __init__(self, status: int, code: str, message: str, details: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details

    @classmethod
    def malformed_json(cls, reason: str) -> BadRequest:
        return cls(400, "malformed_json", f"the body is not valid JSON: {reason}")

    @classmethod
    def not_an_object(cls) -> BadRequest:
        return cls(400, "malformed_json", "the body must be a JSON object")

    @classmethod
    def too_large(cls, limit: int) -> BadRequest:
        return cls(413, "payload_too_large", f"the body is larger than {limit} bytes")

    @classmethod
    def unsupported_media_type(cls, content_type: str) -> BadRequest:
        return cls(415, "unsupported_media_type", f"send application/json, not {content_type[:100]!r}")

    @classmethod
    def invalid(cls, details: list[dict[str, str]]) -> BadRequest:
        fields = ", ".join(d["field"] for d in details) or "body"
        return cls(422, "validation_error", f"invalid field(s): {fields}", details)


# The single place a domain error becomes an HTTP status. Looked up along the exception's MRO.
STATUS_BY_ERROR: Mapping[type[ShortlinksError], int] = {
    InvalidUrl: 422,
    InvalidAlias: 422,
    InvalidExpiry: 422,
    NotOurShortUrl: 422,
    CodeTaken: 409,
    InvalidDomain: 422,
    UnknownDomain: 404,
    DomainNotAllowed: 403,
    DomainInUse: 409,
    Unauthenticated: 401,
    Forbidden: 403,
    RateLimited: 429,
    LinkNotFound: 404,
    LinkGone: 410,
    InvalidTags: 422,
    InvalidUtm: 422,
    QrTooLarge: 422,
    InvalidCursor: 400,
    EditConflict: 409,
    VersionMismatch: 412,
    InvalidKeySpec: 422,
    InvalidRange: 422,
    KeyNotFound: 404,
    CodeSpaceExhausted: 503,
    StorageUnavailable: 503,
}

JSON_CONTENT_TYPE = "application/json"
NO_STORE = "no-store"


def status_for(error: ShortlinksError) -> int:
    for cls in type(error).__mro__:
        status = STATUS_BY_ERROR.get(cls)
        if status is not None:
            return status
    return 400


def error_body(code: str, message: str, details: list[dict[str, str]] | None = None) -> str:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return json.dumps({"error": error}, separators=(",", ":"))


def lower_headers(event: Mapping[str, Any]) -> dict[str, str]:
    """HTTP API already lower-cases header names; other sources (tests, proxies) may not."""
    return {k.lower(): v for k, v in (event.get("headers") or {}).items()}


# Behind the edge (EnableEdge), CloudFront reaches the API on its execute-api host, so Host names that, not the
# host the visitor asked for: the edge's viewer-request function copies that into this header (template.yaml,
# EdgeViewerHost), overwriting any the visitor sent.
VIEWER_HOST_HEADER = "x-viewer-host"
# ... and API Gateway sees CloudFront's address, not the visitor's: CloudFront sends that as ``ip:port``.
VIEWER_ADDRESS_HEADER = "cloudfront-viewer-address"


def request_host(event: Mapping[str, Any], behind_edge: bool) -> str:
    """The host the caller addressed: behind the edge, the one CloudFront was asked for (``X-Viewer-Host``); else
    the Host header, else API Gateway's domain name. Without the edge the header is ignored: a caller could name
    any host in it."""
    headers = lower_headers(event)
    forwarded = headers.get(VIEWER_HOST_HEADER) if behind_edge else None
    host = forwarded or headers.get("host") or (event.get("requestContext") or {}).get("domainName") or ""
    return str(host)


def source_ip(event: Mapping[str, Any], behind_edge: bool) -> str:
    """The caller's IP address: behind the edge, the visitor's (``CloudFront-Viewer-Address`` without its port);
    else, and when that header is missing, the address API Gateway saw."""
    address = lower_headers(event).get(VIEWER_ADDRESS_HEADER, "") if behind_edge else ""
    ip = address.rpartition(":")[0].strip("[]")
    return ip or str((event.get("requestContext") or {}).get("http", {}).get("sourceIp", ""))


def wants_html(accept: str) -> bool:
    """True when the client ranks text/html above application/json (browsers do; curl and SDKs do not)."""
    return prefers(accept, "text/html")


def wants_csv(accept: str) -> bool:
    """True when the client ranks text/csv at least as high as JSON (``Accept: text/csv``); ``*/*`` or nothing is
    JSON."""
    return prefers(accept, "text/csv")


def prefers(accept: str, media_type: str) -> bool:
    """True when ``accept`` ranks ``media_type`` at least as high as application/json (and not with q=0)."""
    wanted = json_q = 0.0
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.strip().lower()
        if media == media_type:
            wanted = max(wanted, quality)
        elif media in ("application/json", "application/*"):
            json_q = max(json_q, quality)
    return wanted > 0 and wanted >= json_q


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """``If-None-Match`` names ``etag``: a list of ETags, weak ones compared weakly as RFC 9110 says, or ``*``."""
    if if_none_match is None:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags
