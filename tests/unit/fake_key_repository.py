"""An in-memory ``KeyRepository`` for unit tests: records by key hash, and every call remembered."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from shortlinks.domain.errors import StorageUnavailable
from shortlinks.domain.keys import ApiKey

if TYPE_CHECKING:
    from shortlinks.domain.keys import KeyRepository


class FakeKeyRepository:
    def __init__(self) -> None:
        self.records: dict[str, ApiKey] = {}  # by key hash, as the table keeps them
        self.calls: list[str] = []
        self.touch_fails = False

    def add(self, key_hash: str, key: ApiKey) -> None:
        self.calls.append("add")
        if key_hash in self.records:
            raise ValueError("an API key with this hash is already stored")
        self.records[key_hash] = key

    def get(self, key_hash: str) -> ApiKey | None:
        self.calls.append("get")
        return self.records.get(key_hash)

    def list_all(self) -> list[ApiKey]:
        self.calls.append("list_all")
        return sorted(self.records.values(), key=lambda key: (key.created_at, key.key_id), reverse=True)

    def revoke(self, key_id: str) -> ApiKey | None:
        self.calls.append("revoke")
        for key_hash, key in self.records.items():
            if key.key_id == key_id:
                self.records[key_hash] = replace(key, revoked=True)
                return self.records[key_hash]
        return None

    def touch(self, key_hash: str, day: date) -> None:
        self.calls.append("touch")
        if self.touch_fails:
            raise StorageUnavailable.because("throttled")
        if key_hash in self.records:
            self.records[key_hash] = replace(self.records[key_hash], last_used_day=day)


if TYPE_CHECKING:
    _conforms: KeyRepository = FakeKeyRepository()  # mypy proves the fake keeps to the port
