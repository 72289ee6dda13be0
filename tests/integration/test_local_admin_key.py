"""The local server's first admin key (local/admin_key.py), against the template's table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from local.admin_key import ensure_admin_key
from shortlinks.domain.access import Role
from shortlinks.domain.keys import authenticate, create_key, generate_key, revoke_key
from shortlinks.storage.api_keys import DynamoKeyRepository
from tests.integration.harness import REGION, TABLE_NAME, LinkStore

TODAY = datetime.now(UTC).date()


@pytest.fixture
def repository() -> DynamoKeyRepository:
    return DynamoKeyRepository(TABLE_NAME, REGION)


def test_an_empty_table_gets_an_admin_key_that_works(repository: DynamoKeyRepository) -> None:
    key = ensure_admin_key(TABLE_NAME, REGION, None)

    assert key is not None
    assert authenticate(repository, key, TODAY).role is Role.ADMIN
    assert [record.name for record in repository.list_all()] == ["local admin"]


def test_a_table_with_an_active_admin_key_gets_none_and_shows_none(
    repository: DynamoKeyRepository, store: LinkStore
) -> None:
    create_key(repository, "ops", Role.ADMIN, datetime.now(UTC))

    assert ensure_admin_key(TABLE_NAME, REGION, None) is None
    assert len(store.items()) == 1


def test_a_revoked_admin_or_a_member_does_not_count(repository: DynamoKeyRepository) -> None:
    revoked, _ = create_key(repository, "old", Role.ADMIN, datetime.now(UTC))
    revoke_key(repository, revoked.key_id)
    create_key(repository, "team", Role.MEMBER, datetime.now(UTC))

    assert ensure_admin_key(TABLE_NAME, REGION, None) is not None


def test_a_chosen_key_is_registered_once(repository: DynamoKeyRepository) -> None:
    chosen = generate_key()

    assert ensure_admin_key(TABLE_NAME, REGION, None, chosen) == chosen
    assert ensure_admin_key(TABLE_NAME, REGION, None, chosen) == chosen  # a restart on a persistent table

    assert authenticate(repository, chosen, TODAY).role is Role.ADMIN
    assert len(repository.list_all()) == 1


@pytest.mark.parametrize("chosen", ["letmein", "sl_" + "a" * 42, " sl_" + "a" * 43])
def test_a_chosen_key_must_have_the_key_format(chosen: str, store: LinkStore) -> None:
    with pytest.raises(ValueError, match="SHORTLINKS_BOOTSTRAP_ADMIN_KEY"):
        ensure_admin_key(TABLE_NAME, REGION, None, chosen)

    assert store.items() == []


def test_a_chosen_key_that_is_a_member_or_revoked_is_refused(repository: DynamoKeyRepository) -> None:
    _, plaintext = create_key(repository, "team", Role.MEMBER, datetime.now(UTC))

    with pytest.raises(ValueError, match="revoked or not admin"):
        ensure_admin_key(TABLE_NAME, REGION, None, plaintext)
