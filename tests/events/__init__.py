"""Real API Gateway HTTP API (payload format 2.0) events, one per route, and the loader tests use to vary them.

The JSON files are shaped as API Gateway sends them: header names lower-case, ``queryStringParameters`` holding
decoded values (repeated names joined by ``,``) and absent when there is no query, ``pathParameters`` present
only on routes with a path variable.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, quote, urlencode

EVENTS_DIR = Path(__file__).resolve().parent


class _Keep:
    """Marks an argument the caller left alone (``None`` means "remove" for ``body``)."""


KEEP: Final = _Keep()


def load_event(
    name: str,
    *,
    body: object = KEEP,
    path_parameters: Mapping[str, str] | None = None,
    query: str | Mapping[str, str] | None = None,
    headers: Mapping[str, str | None] | None = None,
) -> dict[str, Any]:
    """A fresh copy of ``tests/events/<name>.json`` with the given parts replaced.

    ``body``: a ``str`` is sent as it is, ``bytes`` base64-encoded (as API Gateway does for binary media),
    ``None`` removes the body, anything else is sent as JSON.
    ``path_parameters``: replaces the route's variables; ``rawPath`` and ``requestContext.http.path`` follow.
    ``query``: a raw query string (sent exactly as given) or a mapping (URL-encoded); ``""`` or ``{}`` removes it.
    ``queryStringParameters`` is always rebuilt from ``rawQueryString`` so the two never disagree.
    ``headers``: merged into the event's headers (names lower-cased); a ``None`` value removes that header.
    """
    event = copy.deepcopy(_read(name.removesuffix(".json")))
    if not isinstance(body, _Keep):
        _set_body(event, body)
    if path_parameters is not None:
        _set_path(event, path_parameters)
    if query is not None:
        _set_query(event, query if isinstance(query, str) else urlencode(dict(query)))
    if headers is not None:
        merged: dict[str, str] = dict(event.get("headers") or {})
        for header, value in headers.items():
            merged.pop(header.lower(), None)
            if value is not None:
                merged[header.lower()] = value
        event["headers"] = merged
    return event


@cache
def _read(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def _set_body(event: dict[str, Any], body: object) -> None:
    headers: dict[str, str] = event.setdefault("headers", {})
    if body is None:
        event.pop("body", None)
        event["isBase64Encoded"] = False
        headers["content-length"] = "0"
        return
    if isinstance(body, bytes):
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode("ascii"), True
        headers["content-length"] = str(len(body))
        return
    text = body if isinstance(body, str) else json.dumps(body)
    event["body"], event["isBase64Encoded"] = text, False
    headers["content-length"] = str(len(text.encode(errors="surrogatepass")))


def _set_path(event: dict[str, Any], parameters: Mapping[str, str]) -> None:
    path = str(event["routeKey"]).partition(" ")[2]
    for name, value in parameters.items():
        path = path.replace(f"{{{name}}}", quote(value, safe="!$&'()*+,;=:@-._~"))
    event["pathParameters"] = dict(parameters)
    event["rawPath"] = event["requestContext"]["http"]["path"] = path


def _set_query(event: dict[str, Any], raw_query: str) -> None:
    event["rawQueryString"] = raw_query
    decoded: dict[str, list[str]] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        decoded.setdefault(name, []).append(value)
    if decoded:
        event["queryStringParameters"] = {name: ",".join(values) for name, values in decoded.items()}
    else:
        event.pop("queryStringParameters", None)
