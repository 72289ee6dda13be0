"""Request and response models of the ``/v1/domains`` routes."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shortlinks.domain.domains import UNCHANGED, DomainChanges
from shortlinks.domain.short_domain import ShortDomain
from shortlinks.schemas.bodies import iso

_Url = Annotated[str, StringConstraints(max_length=4096)]  # the domain applies the URL rules, and their limit
_KeyId = Annotated[str, StringConstraints(max_length=100)]
_KeyIds = Annotated[list[_KeyId], Field(max_length=1000)]


class PutDomainRequest(BaseModel):
    """Body of ``PUT /v1/domains/{domain}``: the domain's whole settings, every field required (``null`` where a
    field may be empty), so a replace can never reset a setting the caller did not mention. Strict, unknown fields
    refused; the domain checks the values (``invalid_domain``, or the URL rules' codes)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    base_url: _Url | None
    default_redirect_type: int
    root_url: _Url | None
    not_found_url: _Url | None
    allowed_keys: _KeyIds | None
    is_default: bool


class PatchDomainRequest(BaseModel):
    """Body of ``PATCH /v1/domains/{domain}``: only the fields present change. ``null`` clears ``base_url`` (back
    to ``https://<host>``), ``root_url``, ``not_found_url`` and ``allowed_keys`` (every key); for
    ``default_redirect_type`` and ``is_default`` it is the same as leaving the field out."""

    model_config = ConfigDict(extra="forbid", strict=True)

    base_url: _Url | None = None
    default_redirect_type: int | None = None
    root_url: _Url | None = None
    not_found_url: _Url | None = None
    allowed_keys: _KeyIds | None = None
    is_default: bool | None = None

    def to_changes(self) -> DomainChanges:
        given = self.model_fields_set  # a field sent as null is in it; a field left out is not
        return DomainChanges(
            base_url=self.base_url if "base_url" in given else UNCHANGED,
            default_redirect_type=UNCHANGED if self.default_redirect_type is None else self.default_redirect_type,
            root_url=self.root_url if "root_url" in given else UNCHANGED,
            not_found_url=self.not_found_url if "not_found_url" in given else UNCHANGED,
            allowed_keys=self.allowed_keys if "allowed_keys" in given else UNCHANGED,
            is_default=UNCHANGED if self.is_default is None else self.is_default,
        )


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
            created_at=iso(domain.created_at) if domain.created_at else None,
        )


class DomainListResponse(BaseModel):
    domains: list[DomainResponse]
