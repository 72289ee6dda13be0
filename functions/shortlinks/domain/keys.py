"""API keys: what a key looks like, how it is kept (only as a hash) and how a presented key becomes a principal.

A key is ``sl_`` followed by 43 base62 characters drawn from the OS's CSPRNG: 43 x log2(62) ≈ 256 bits. The
plaintext exists twice: in the answer to whoever created the key, and in the caller's hands. The table holds its
SHA-256 only, so a copy of the table (a backup, an export) holds no usable credential.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from shortlinks.domain.access import Principal, Role
from shortlinks.domain.codes import BASE62
from shortlinks.domain.errors import InvalidKeySpec, KeyNotFound, StorageUnavailable, Unauthenticated

KEY_PREFIX = "sl_"
KEY_RANDOM_LENGTH = 43  # base62 characters: 43 x 5.954 bits = 256 bits
KEY_PATTERN = re.compile(rf"^{KEY_PREFIX}[0-9A-Za-z]{{{KEY_RANDOM_LENGTH}}}$")
KEY_ID_PREFIX = "key_"
KEY_ID_RANDOM_LENGTH = 12  # public, so it only has to be unique: 71 bits
KEY_ID_PATTERN = re.compile(rf"^{KEY_ID_PREFIX}[0-9A-Za-z]{{{KEY_ID_RANDOM_LENGTH}}}$")
MAX_KEY_NAME_LENGTH = 100
MAX_CREATE_RATE_LIMIT = 100_000  # links per minute
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def generate_key() -> str:
    """A new plaintext key."""
    return KEY_PREFIX + "".join(secrets.choice(BASE62) for _ in range(KEY_RANDOM_LENGTH))


def generate_key_id() -> str:
    """A new public key id, safe to log and to show in listings."""
    return KEY_ID_PREFIX + "".join(secrets.choice(BASE62) for _ in range(KEY_ID_RANDOM_LENGTH))


def looks_like_key(presented: str) -> bool:
    """Whether ``presented`` has a key's format: a malformed key is refused without reading the table."""
    return bool(KEY_PATTERN.fullmatch(presented))  # fullmatch: "$" alone would also accept a trailing newline


def looks_like_key_id(key_id: str) -> bool:
    return bool(KEY_ID_PATTERN.fullmatch(key_id))


def hash_key(key: str) -> str:
    """The SHA-256 (hex) of the whole key: what the table stores and looks keys up by.

    A fast hash is the right one here. Slow password hashes (bcrypt, scrypt, Argon2) exist to make guessing
    low-entropy secrets expensive; a 256-bit random key cannot be guessed at any speed, and a salt would make
    the hash useless as a lookup key. What a slow hash would cost is tens of milliseconds on every uncached
    authorization.
    """
    return hashlib.sha256(key.encode("ascii")).hexdigest()


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A key's record: everything about it except the key itself (and its hash, which is the store's business)."""

    key_id: str
    name: str
    role: Role
    created_at: datetime
    last_used_day: date | None = None  # a day, not a time: one write per key per day at most
    revoked: bool = False
    create_rate_limit: int | None = None  # links per minute; None: the service default

    def principal(self) -> Principal:
        return Principal(key_id=self.key_id, role=self.role, create_rate_limit=self.create_rate_limit)


class KeyRepository(Protocol):
    def add(self, key_hash: str, key: ApiKey) -> None:
        """Store a new key under its hash. Never overwrites."""

    def get(self, key_hash: str) -> ApiKey | None:
        """The key stored under ``key_hash``, or ``None``."""

    def list_all(self) -> list[ApiKey]:
        """Every key, revoked ones included, newest first."""

    def revoke(self, key_id: str) -> ApiKey | None:
        """Mark the key ``key_id`` revoked and return it; ``None`` when there is no such key."""

    def touch(self, key_hash: str, day: date) -> None:
        """Record ``day`` as the key's last-used day (a no-op when it already is)."""


def create_key(
    repository: KeyRepository,
    name: str,
    role: Role,
    now: datetime,
    rate_limit: int | None = None,
    *,
    new_key: Callable[[], str] = generate_key,
) -> tuple[ApiKey, str]:
    """Create a key. Returns its record and its plaintext, which is not stored and cannot be shown again."""
    name = name.strip()
    if not 1 <= len(name) <= MAX_KEY_NAME_LENGTH or _CONTROL_CHARACTERS.search(name):
        raise InvalidKeySpec(f"a key's name is 1 to {MAX_KEY_NAME_LENGTH} characters, without control characters")
    if rate_limit is not None and not 1 <= rate_limit <= MAX_CREATE_RATE_LIMIT:
        raise InvalidKeySpec(f"create_rate_limit is 1 to {MAX_CREATE_RATE_LIMIT} links a minute")
    plaintext = new_key()
    if not looks_like_key(plaintext):
        raise ValueError("a generated key must have the key format")
    key = ApiKey(key_id=generate_key_id(), name=name, role=role, created_at=now, create_rate_limit=rate_limit)
    repository.add(hash_key(plaintext), key)
    return key, plaintext


def list_keys(repository: KeyRepository) -> list[ApiKey]:
    """Every key, newest first. Records only: no key, no hash."""
    return repository.list_all()


def revoke_key(repository: KeyRepository, key_id: str) -> ApiKey:
    """Revoke ``key_id`` (revoking a revoked key changes nothing); ``KeyNotFound`` when no key has that id."""
    key = repository.revoke(key_id) if looks_like_key_id(key_id) else None
    if key is None:
        raise KeyNotFound.for_id(key_id)
    return key


def authenticate(repository: KeyRepository, presented_key: str, today: date) -> Principal:
    """The principal ``presented_key`` stands for. A malformed, unknown or revoked key is
    ``Unauthenticated.rejected()``, one answer for all three.

    The first use on each day records the day on the key (best effort: a failed write does not refuse a valid key).
    """
    if not looks_like_key(presented_key):
        raise Unauthenticated.rejected()
    key_hash = hash_key(presented_key)
    key = repository.get(key_hash)
    if key is None or key.revoked:
        raise Unauthenticated.rejected()
    if key.last_used_day != today:
        # The last-used day is information for operators, not a condition of access.
        with contextlib.suppress(StorageUnavailable):
            repository.touch(key_hash, today)
    return key.principal()
