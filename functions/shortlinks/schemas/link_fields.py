"""The create body's field bounds and its date-time rule, without pydantic: schemas/links.py builds its models on
them, and web/create_body.py takes the common create through them without loading pydantic at all."""

from __future__ import annotations

import re
from datetime import datetime

from shortlinks.domain.links import MAX_TAGS as MAX_TAGS  # the model's bounds, in one place with the others
from shortlinks.domain.links import MAX_TITLE_LENGTH as MAX_TITLE_LENGTH
from shortlinks.domain.links import UTM_FIELDS as UTM_FIELDS
from shortlinks.domain.target import REDIRECT_TYPES as REDIRECT_TYPES
from shortlinks.domain.utm import MAX_UTM_VALUE_LENGTH

# Generous outer bounds; the domain applies the precise rules (2,048-character URLs, 3-64-character aliases,
# tag syntax, UTM values) with more specific error codes.
MAX_URL_LENGTH = 8192
MAX_ALIAS_LENGTH = 256
MAX_TAG_LENGTH = 64
MAX_DOMAIN_LENGTH = 253
MAX_UTM_LENGTH = 10 * MAX_UTM_VALUE_LENGTH
MAX_BULK_ITEMS = 100  # links in one POST /v1/links/bulk
TITLE_PATTERN = r"^[^\x00-\x1f\x7f]*$"

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


def rfc3339(value: object) -> datetime | None:
    """An RFC 3339 date-time with an offset, as a datetime (pydantic would also read a number, or a string of
    digits, as a Unix time: the API takes RFC 3339 only); raises ``ValueError`` saying what is wrong."""
    if value is None:
        return None
    if not (isinstance(value, str) and _RFC3339.match(value)):
        raise ValueError("an RFC 3339 date-time with an offset, e.g. 2027-01-31T12:00:00Z")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("not a real date and time (month 1-12, day within the month, hour 0-23)") from None


def is_title(value: str) -> bool:
    """A title holds no control character: ``TITLE_PATTERN``, which the model states for OpenAPI, checked without
    Python's ``re``, whose ``$`` also matches before a final newline ("Title\\n" would pass; pydantic's engine
    refuses it)."""
    return not any(character < " " or character == "\x7f" for character in value)
