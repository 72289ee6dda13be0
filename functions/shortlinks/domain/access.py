"""Who is calling: the principal an API key stands for, and what it may do."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # every link, and the keys themselves
    MEMBER = "member"  # only the links it created


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: the API key's public id (never the key itself) and its role."""

    key_id: str
    role: Role
    create_rate_limit: int | None = None  # links per minute; None: the service default

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def may_manage(self, owner: str | None) -> bool:
        """Admins manage every link; members only their own. Anonymous links (no owner) only admins."""
        return self.is_admin or (owner is not None and owner == self.key_id)
