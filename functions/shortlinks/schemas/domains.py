"""Request and response models of the ``/v1/domains`` routes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shortlinks.domain.domains import ShortDomain
from shortlinks.domain.links import DEFAULT_REDIRECT_TYPE

_Url = Annotated[str, StringConstraints(max_length=4096)]  # the domain applies the URL rules, and their limit
_KeyId = Annotated[str, StringConstraints(max_length=100)]


class PutDomainRequest(BaseModel):
    """Body of ``PUT /v1/domains/{domain}``: the domain's whole settings (a field left out takes its default).
    Strict, unknown fields refused; the domain checks the values (``invalid_domain``, or the URL rules' codes)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    base_url: _Url | None = None
    default_redirect_type: int = DEFAULT_REDIRECT_TYPE
    root_url: _Url | None = None
    not_found_url: _Url | None = None
    allowed_keys: Annotated[list[_KeyId], Field(max_length=1000)] | None = None
    is_default: bool = False


class DomainResponse(BaseModel):
    host: str
    base_url: str
    default_redirect_type: int
    root_url: str | None
    not_found_url: str | None
    allowed_keys: list[str] | None  # null: every key may create links on the domain
    is_default: bool
    created_at: str | None

    @classmethod
    def of(cls, domain: ShortDomain) -> Self:
        return cls(
            host=domain.host,
            base_url=domain.base_url,
            default_redirect_type=domain.default_redirect_type,
            root_url=domain.root_url,
            not_found_url=domain.not_found_url,
            allowed_keys=sorted(domain.allowed_keys) if domain.allowed_keys is not None else None,
            is_default=domain.is_default,
            created_at=_utc(domain.created_at) if domain.created_at else None,
        )


class DomainListResponse(BaseModel):
    domains: list[DomainResponse]


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
