"""The DynamoDB key repository's own promises: conditional writes that never create or overwrite a record."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pytest

from shortlinks.domain.access import Role
from shortlinks.domain.keys import ApiKey, create_key, generate_key, hash_key
from shortlinks.storage.api_keys import DynamoKeyRepository
from tests.integration.harness import REGION, TABLE_NAME, LinkStore

if TYPE_CHECKING:
    from shortlinks.domain.keys import KeyRepository

    _conforms: KeyRepository = DynamoKeyRepository(TABLE_NAME, REGION)  # mypy proves the adapter keeps to the port

NOW = datetime(2026, 11, 25, 12, 0, 0, 123000, tzinfo=UTC)


@pytest.fixture
def repository() -> DynamoKeyRepository:
    return DynamoKeyRepository(TABLE_NAME, REGION)


def test_a_record_reads_back_as_it_was_written(repository: DynamoKeyRepository) -> None:
    key = ApiKey("key_ReadsBack001", "ops", Role.MEMBER, NOW, date(2026, 11, 24), revoked=True, create_rate_limit=7)

    repository.add(hash_key("sl_" + "r" * 43), key)

    assert repository.get(hash_key("sl_" + "r" * 43)) == key
    assert repository.list_all() == [key]


def test_a_record_is_never_overwritten(repository: DynamoKeyRepository) -> None:
    key, plaintext = create_key(repository, "ops", Role.ADMIN, NOW)

    with pytest.raises(ValueError, match="already stored"):
        repository.add(hash_key(plaintext), ApiKey("key_Intruder0001", "intruder", Role.ADMIN, NOW))

    assert repository.get(hash_key(plaintext)) == key


def test_touching_an_unknown_key_creates_nothing(repository: DynamoKeyRepository, store: LinkStore) -> None:
    repository.touch(hash_key(generate_key()), date(2026, 11, 25))

    assert store.items() == []


def test_touching_twice_on_one_day_writes_once_and_quietly(repository: DynamoKeyRepository) -> None:
    _, plaintext = create_key(repository, "ops", Role.ADMIN, NOW)

    repository.touch(hash_key(plaintext), date(2026, 11, 25))
    repository.touch(hash_key(plaintext), date(2026, 11, 25))  # the condition fails; nothing is raised

    stored = repository.get(hash_key(plaintext))
    assert stored is not None
    assert stored.last_used_day == date(2026, 11, 25)


def test_revoking_an_unknown_id_changes_nothing(repository: DynamoKeyRepository) -> None:
    key, _ = create_key(repository, "ops", Role.ADMIN, NOW)

    assert repository.revoke("key_000000000000") is None
    assert repository.list_all() == [key]
