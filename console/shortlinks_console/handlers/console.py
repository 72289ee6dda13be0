"""The console's Lambda entry point: ``GET /console`` (the page) and ``GET /console/assets/{name}`` (its files).

It only serves files read at cold start (``site.build_site``): no AWS call, no key, no third-party library. The page
carries the strict Content-Security-Policy that keeps any script but the console's own from running in it.
"""

from __future__ import annotations

import json
from typing import Any

from shortlinks_console.site import build_site

SITE = build_site()

# 'self' only: the page's own scripts and styles (no inline ones), the API on the same origin, QR codes from the API
# and blob: for the CSV and QR downloads the console makes, data: for the empty favicon.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_COMMON_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
PAGE_HEADERS = {
    **_COMMON_HEADERS,
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-cache",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
}
ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answer the page or an asset; anything else this function is sent is a 404."""
    route = event.get("routeKey")
    if route == "GET /console":
        return _page(event)
    if route == "GET /console/assets/{name}":
        asset = SITE.assets.get(str((event.get("pathParameters") or {}).get("name", "")))
        if asset is not None:
            headers = {**_COMMON_HEADERS, "Content-Type": asset.content_type, "Cache-Control": ASSET_CACHE_CONTROL}
            return {"statusCode": 200, "headers": headers, "body": asset.body}
        return _not_found("no console asset has this name (an older page's assets are replaced by each deploy)")
    return _not_found("the console serves /console and /console/assets/{name} only", code="route_not_found")


def _page(event: dict[str, Any]) -> dict[str, Any]:
    headers = {**PAGE_HEADERS, "ETag": SITE.page_etag}
    if_none_match = {tag.strip() for tag in str((event.get("headers") or {}).get("if-none-match", "")).split(",")}
    if SITE.page_etag in if_none_match:
        return {"statusCode": 304, "headers": headers, "body": ""}
    return {"statusCode": 200, "headers": headers, "body": SITE.page}


def _not_found(message: str, code: str = "not_found") -> dict[str, Any]:
    return {
        "statusCode": 404,
        "headers": {**_COMMON_HEADERS, "Content-Type": "application/json", "Cache-Control": "no-store"},
        "body": json.dumps({"error": {"code": code, "message": message}}),
    }
