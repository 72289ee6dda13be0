"""API keys in the domain (domain/keys.py): their format, the hash they are kept as, and the service functions,
against an in-memory repository."""

from __future__ import annotations

import hashlib
import math
import string
from datetime import UTC, date, datetime, timedelta

import pytest

from shortlinks.domain.access import Principal, Role
from shortlinks.domain.errors import InvalidKeySpec, KeyNotFound, Unauthenticated
from shortlinks.domain.keys import (
    KEY_ID_PATTERN,
    KEY_PATTERN,
    KEY_RANDOM_LENGTH,
    authenticate,
    create_key,
    generate_key,
    hash_key,
    list_keys,
    looks_like_key,
    revoke_key,
)
from tests.unit.fake_key_repository import FakeKeyRepository

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
BASE62 = set(string.digits + string.ascii_letters)


@pytest.fixture
def repository() -> FakeKeyRepository:
    return FakeKeyRepository()


# --- the key itself -----------------------------------------------------------------------------------------------


def test_a_key_is_sl_and_43_base62_characters_which_is_at_least_256_bits() -> None:
    key = generate_key()

    assert KEY_PATTERN.fullmatch(key)
    assert key.startswith("sl_")
    assert set(key[3:]) <= BASE62
    assert KEY_RANDOM_LENGTH * math.log2(62) >= 256


def test_keys_do_not_repeat_and_use_the_whole_alphabet() -> None:
    keys = [generate_key() for _ in range(2000)]

    assert len(set(keys)) == len(keys)
    assert set("".join(key[3:] for key in keys)) == BASE62  # 86,000 draws: every character turns up


def test_the_hash_is_the_sha256_hex_of_the_whole_key() -> None:
    key = generate_key()

    assert hash_key(key) == hashlib.sha256(key.encode()).hexdigest()
    assert len(hash_key(key)) == 64
    assert hash_key(key) != hash_key(key[:-1] + ("A" if key[-1] != "A" else "B"))


@pytest.mark.parametrize(
    "presented",
    [
        "",
        "sl_",
        "Bearer sl_" + "a" * 43,
        "sl_" + "a" * 42,
        "sl_" + "a" * 44,
        "SL_" + "a" * 43,
        "sk_" + "a" * 43,
        "sl_" + "a" * 42 + "-",
        "sl_" + "a" * 42 + "\u0661",  # an Arabic-Indic digit: \\d would accept it, base62 does not
        "sl_" + "a" * 43 + "\n",
        " sl_" + "a" * 43,
    ],
)
def test_anything_but_the_exact_format_is_not_a_key(presented: str) -> None:
    assert not looks_like_key(presented)


# --- create, list, revoke -----------------------------------------------------------------------------------------


def test_create_returns_the_key_once_and_stores_only_its_hash(repository: FakeKeyRepository) -> None:
    # WHEN a key is created
    key, plaintext = create_key(repository, "Campaigns team", Role.MEMBER, NOW, rate_limit=120)

    # THEN the caller gets the plaintext and the record
    assert looks_like_key(plaintext)
    assert KEY_ID_PATTERN.fullmatch(key.key_id)
    assert (key.name, key.role, key.created_at, key.create_rate_limit) == ("Campaigns team", Role.MEMBER, NOW, 120)
    assert (key.last_used_day, key.revoked) == (None, False)
    # AND the repository holds the record under the key's hash, and nothing that contains the key
    assert repository.records == {hash_key(plaintext): key}
    assert plaintext not in repr(key)


def test_a_name_is_trimmed(repository: FakeKeyRepository) -> None:
    key, _ = create_key(repository, "  ops  ", Role.ADMIN, NOW)

    assert key.name == "ops"


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "tab\there", "new\nline", "del\x7f"])
def test_a_bad_name_creates_nothing(repository: FakeKeyRepository, name: str) -> None:
    with pytest.raises(InvalidKeySpec, match="name"):
        create_key(repository, name, Role.MEMBER, NOW)

    assert repository.calls == []


@pytest.mark.parametrize("rate_limit", [0, -1, 100_001])
def test_a_rate_limit_outside_1_to_100000_creates_nothing(repository: FakeKeyRepository, rate_limit: int) -> None:
    with pytest.raises(InvalidKeySpec, match="create_rate_limit"):
        create_key(repository, "ops", Role.MEMBER, NOW, rate_limit=rate_limit)

    assert repository.calls == []


def test_a_chosen_key_must_have_the_key_format(repository: FakeKeyRepository) -> None:
    key, plaintext = create_key(repository, "local admin", Role.ADMIN, NOW, new_key=lambda: "sl_" + "k" * 43)
    assert plaintext == "sl_" + "k" * 43
    assert repository.records[hash_key(plaintext)] == key

    with pytest.raises(ValueError, match="format"):
        create_key(repository, "weak", Role.ADMIN, NOW, new_key=lambda: "password")


def test_keys_are_listed_newest_first(repository: FakeKeyRepository) -> None:
    older, _ = create_key(repository, "first", Role.ADMIN, NOW - timedelta(days=1))
    newer, _ = create_key(repository, "second", Role.MEMBER, NOW)

    assert list_keys(repository) == [newer, older]


def test_revoking_marks_the_key_and_keeps_its_record(repository: FakeKeyRepository) -> None:
    key, plaintext = create_key(repository, "ops", Role.ADMIN, NOW)

    revoked = revoke_key(repository, key.key_id)

    assert revoked.revoked
    assert revoked.key_id == key.key_id
    assert repository.records[hash_key(plaintext)].revoked
    assert revoke_key(repository, key.key_id).revoked  # a second revoke changes nothing and is not an error


def test_revoking_an_unknown_id_is_key_not_found(repository: FakeKeyRepository) -> None:
    with pytest.raises(KeyNotFound, match="key_000000000000"):
        revoke_key(repository, "key_000000000000")


@pytest.mark.parametrize("key_id", ["", "sl_" + "a" * 43, "key_short", "../../etc", "key_" + "a" * 200])
def test_revoking_a_malformed_id_is_key_not_found_without_a_read(repository: FakeKeyRepository, key_id: str) -> None:
    with pytest.raises(KeyNotFound):
        revoke_key(repository, key_id)

    assert repository.calls == []


# --- authenticate ---------------------------------------------------------------------------------------------------


def test_a_valid_key_authenticates_as_its_principal(repository: FakeKeyRepository) -> None:
    key, plaintext = create_key(repository, "ops", Role.MEMBER, NOW, rate_limit=30)

    assert authenticate(repository, plaintext, TODAY) == Principal(key.key_id, Role.MEMBER, 30)


def test_malformed_unknown_and_revoked_keys_get_one_and_the_same_answer(repository: FakeKeyRepository) -> None:
    revoked, revoked_plaintext = create_key(repository, "old", Role.ADMIN, NOW)
    revoke_key(repository, revoked.key_id)
    messages = set()

    for presented in ("not-a-key", generate_key(), revoked_plaintext):
        with pytest.raises(Unauthenticated) as refused:
            authenticate(repository, presented, TODAY)
        messages.add(refused.value.message)

    assert messages == {"the API key is not valid"}


def test_a_malformed_key_is_refused_without_a_read(repository: FakeKeyRepository) -> None:
    with pytest.raises(Unauthenticated):
        authenticate(repository, "sl_short", TODAY)

    assert repository.calls == []


def test_the_last_used_day_is_recorded_once_a_day(repository: FakeKeyRepository) -> None:
    _, plaintext = create_key(repository, "ops", Role.ADMIN, NOW)
    repository.calls.clear()

    # WHEN the key is used three times on one day and once the next
    for day in (TODAY, TODAY, TODAY, TODAY + timedelta(days=1)):
        authenticate(repository, plaintext, day)

    # THEN the day was written on the first use of each day only
    assert repository.calls == ["get", "touch", "get", "get", "get", "touch"]
    assert repository.records[hash_key(plaintext)].last_used_day == date(2026, 11, 26)


def test_a_failed_last_used_write_does_not_refuse_a_valid_key(repository: FakeKeyRepository) -> None:
    key, plaintext = create_key(repository, "ops", Role.ADMIN, NOW)
    repository.touch_fails = True

    assert authenticate(repository, plaintext, TODAY).key_id == key.key_id
