"""The answer of ``GET /v1/expand`` for another service's link: the chain of hops, never any page content."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel

from shortlinks.domain.expansion import CheckedExpansion, HopKind, StopReason
from shortlinks.schemas.bodies import iso


class HopResponse(BaseModel):
    url: str
    status: int | None
    location: str | None
    kind: HopKind
    ms: int


class ExpansionResponse(BaseModel):
    url: str
    final_url: str
    final_status: int | None
    hops: list[HopResponse]
    stopped: StopReason | None
    cached: bool
    checked_at: str

    @classmethod
    def of(cls, checked: CheckedExpansion) -> Self:
        expansion = checked.expansion
        return cls(
            url=expansion.url,
            final_url=expansion.final_url,
            final_status=expansion.final_status,
            hops=[
                HopResponse(url=hop.url, status=hop.status, location=hop.location, kind=hop.kind, ms=hop.ms)
                for hop in expansion.hops
            ],
            stopped=expansion.stopped,
            cached=checked.cached,
            checked_at=iso(checked.checked_at),
        )
