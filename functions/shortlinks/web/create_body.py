"""A create's body without pydantic, for the common case: a plain JSON object whose every field is plainly valid.

``POST /v1/links`` is the one write route whose cold start counts (issue 13: every function within 1.40x the bare
handler), and pydantic is most of what it would load (about 45 ms of import and 11 ms to build the model). So
``plain_create`` reads the body with the standard library's ``json`` and the same bounds as the model
(schemas/link_fields.py), and answers ``None`` whenever it is not sure: a base64 or non-JSON body, an escape
sequence (where ``json`` and pydantic's parser differ on lone surrogates), a repeated key, a number where the model
is strict, an unknown field, anything out of bounds. The handler then parses the body with the model,
``CreateLinkRequest``, which stays the rule and writes every error. So this path only ever accepts, and only what
the model accepts, to the same values: tests/unit/test_create_body.py holds it to that over generated bodies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shortlinks.domain.links import Utm
from shortlinks.schemas.link_fields import (
    MAX_ALIAS_LENGTH,
    MAX_DOMAIN_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    MAX_UTM_LENGTH,
    REDIRECT_TYPES,
    UTM_FIELDS,
    is_title,
    rfc3339,
)
from shortlinks.web.http import JSON_CONTENT_TYPE, lower_headers

if TYPE_CHECKING:
    from shortlinks.domain.service import NewLink

FIELDS = frozenset(
    {"url", "alias", "redirect_type", "forward_query", "expires_at", "title", "tags", "reuse", "domain", "utm"}
)


@dataclass(frozen=True, slots=True)
class PlainCreate:
    """What the handler reads of ``CreateLinkRequest``: the new link, the fields the body gave, the domain named."""

    new_link: NewLink
    fields_set: frozenset[str]
    domain: str | None


class _Unsure(Exception):
    """The body is not plainly valid: the model decides."""


def plain_create(event: dict[str, Any], max_bytes: int) -> PlainCreate | None:
    """The body of ``event`` as ``CreateLinkRequest.to_new_link()`` would make it, or ``None`` when the model must
    decide (which also writes any error)."""
    content_type = lower_headers(event).get("content-type", "").split(";")[0].strip().lower()
    body = event.get("body")
    if event.get("isBase64Encoded") or content_type not in ("", JSON_CONTENT_TYPE) or not isinstance(body, str):
        return None
    try:
        if "\\u" in body or len(body.encode()) > max_bytes:
            return None
        fields = json.loads(body, object_pairs_hook=_object, parse_constant=_unsure, parse_float=_unsure)
        return _create(fields)
    except (_Unsure, ValueError, RecursionError):  # UnicodeEncodeError too: a lone surrogate in the event
        return None


def _create(fields: object) -> PlainCreate:
    from shortlinks.domain.service import NewLink  # create's own, as in CreateLinkRequest.to_new_link

    if type(fields) is not dict or not fields.keys() <= FIELDS:
        raise _Unsure
    title = _text(fields, "title", MAX_TITLE_LENGTH)
    if title is not None and not is_title(title):
        raise _Unsure
    tags = fields.get("tags", [])
    if type(tags) is not list or len(tags) > MAX_TAGS or not all(_is_text(tag, MAX_TAG_LENGTH) for tag in tags):
        raise _Unsure
    redirect_type = fields.get("redirect_type", 302)
    if type(redirect_type) is not int or redirect_type not in REDIRECT_TYPES:
        raise _Unsure
    url = _text(fields, "url", MAX_URL_LENGTH)
    if url is None:
        raise _Unsure
    new_link = NewLink(
        url=url,
        alias=_text(fields, "alias", MAX_ALIAS_LENGTH),
        redirect_type=redirect_type,
        forward_query=_flag(fields, "forward_query", default=True),
        expires_at=rfc3339(fields.get("expires_at")),
        title=title or None,
        tags=tuple(tags),
        reuse=_flag(fields, "reuse", default=False),
        utm=_utm(fields.get("utm")),
    )
    return PlainCreate(new_link, frozenset(fields), _text(fields, "domain", MAX_DOMAIN_LENGTH))


def _is_text(value: object, max_length: int) -> bool:
    return type(value) is str and len(value) <= max_length


def _text(fields: dict[str, object], name: str, max_length: int) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if not _is_text(value, max_length):
        raise _Unsure
    return str(value)


def _flag(fields: dict[str, object], name: str, *, default: bool) -> bool:
    value = fields.get(name, default)
    if type(value) is not bool:
        raise _Unsure
    return value


def _utm(value: object) -> Utm | None:
    if value is None:
        return None
    if type(value) is not dict or not value.keys() <= set(UTM_FIELDS):
        raise _Unsure
    return Utm(**{name: _text(value, name, MAX_UTM_LENGTH) for name in UTM_FIELDS})


def _object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    fields = dict(pairs)
    if len(fields) != len(pairs):  # a repeated key: which one counts is the parser's choice
        raise _Unsure
    return fields


def _unsure(_: str) -> object:
    raise _Unsure
