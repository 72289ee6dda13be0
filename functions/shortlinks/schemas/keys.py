"""Request and response models of the ``/v1/keys`` routes. A response carries the key itself only at creation."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, StringConstraints

from shortlinks.domain.access import Role
from shortlinks.domain.keys import ApiKey
from shortlinks.schemas.bodies import key_body

# Each model is built on its first use (``defer_build``), not at import: a cold start pays only for the models
# its request uses (docs/benchmarks.md, issue 13).


class CreateKeyRequest(BaseModel):
    """Body of ``POST /v1/keys``. Strict, unknown fields refused; the domain applies the precise limits (name 1-100
    characters, rate limit 1-100,000) with the ``invalid_key_spec`` code."""

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)

    name: Annotated[str, StringConstraints(max_length=1000)]
    role: Role
    create_rate_limit: int | None = None


class KeyResponse(BaseModel):
    """A key's record as the API shows it: never the key, never its hash."""

    model_config = ConfigDict(defer_build=True)

    key_id: str
    name: str
    role: Role
    created_at: str
    last_used_day: str | None
    revoked: bool
    create_rate_limit: int | None

    @classmethod
    def of(cls, key: ApiKey) -> Self:
        return cls.model_validate(key_body(key))


class CreatedKeyResponse(KeyResponse):
    """The answer to ``POST /v1/keys``: the record and, this once, the key."""

    key: str

    @classmethod
    def created(cls, key: ApiKey, plaintext: str) -> Self:
        return cls(**KeyResponse.of(key).model_dump(), key=plaintext)


class KeyListResponse(BaseModel):
    model_config = ConfigDict(defer_build=True)

    keys: list[KeyResponse]
