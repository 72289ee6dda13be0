"""The error shape every JSON answer of the API shares, as a model for the OpenAPI document.

The handlers write it with ``web.http.error_body`` (no pydantic on the redirect path) and never import this module;
the schemathesis test checks that what they write conforms to this model.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    field: str = Field(description="The dotted path of the body field, `body`, or a query parameter or header.")
    message: str


class Error(BaseModel):
    code: str = Field(description="Stable and meant for programs: handle errors by code, never by message.")
    message: str = Field(description="For people; may change.")
    details: list[ErrorDetail] | None = Field(default=None, description="Only with `validation_error`.")
    retry_after: str | None = Field(
        default=None, description="Bulk create items only: the seconds to wait, as a single create's Retry-After."
    )


class ErrorResponse(BaseModel):
    """``{"error": {"code", "message"}}``: every error this service produces (API Gateway's own are
    ``{"message"}``)."""

    error: Error
