"""Request and response models of the ``/v1/keys`` routes. A response carries the key itself only at creation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, StringConstraints

from shortlinks.domain.access import Role
from shortlinks.domain.keys import ApiKey

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
        return cls(
            key_id=key.key_id,
            name=key.name,
            role=key.role,
            created_at=_utc(key.created_at),
            last_used_day=key.last_used_day.isoformat() if key.last_used_day else None,
            revoked=key.revoked,
            create_rate_limit=key.create_rate_limit,
        )


class CreatedKeyResponse(KeyResponse):
    """The answer to ``POST /v1/keys``: the record and, this once, the key."""

    key: str

    @classmethod
    def created(cls, key: ApiKey, plaintext: str) -> Self:
        return cls(**KeyResponse.of(key).model_dump(), key=plaintext)


class KeyListResponse(BaseModel):
    model_config = ConfigDict(defer_build=True)

    keys: list[KeyResponse]


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
