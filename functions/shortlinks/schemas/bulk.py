"""The answer to ``POST /v1/links/bulk`` as a model, for the OpenAPI document.

The create function writes it as a dict (handlers/create.py ``_create_each``) and never imports this module, so
its cold start is unchanged; the schemathesis test checks that what it writes conforms to this model.
"""

from __future__ import annotations

from pydantic import BaseModel

from shortlinks.schemas.errors import Error
from shortlinks.schemas.links import LinkResponse


class BulkItemResult(BaseModel):
    """One item of a bulk create, in the order sent: the link (201 created, 200 reused) or the error a single
    create would have got."""

    index: int
    status: int
    link: LinkResponse | None = None
    error: Error | None = None


class BulkCreateResponse(BaseModel):
    """How many items were created (200 or 201) and how many failed, and each item's outcome in order."""

    created: int
    failed: int
    results: list[BulkItemResult]
