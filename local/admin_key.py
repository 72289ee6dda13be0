"""The local table's first admin API key, so ``make run`` can be used at once: created through the domain service
and the storage adapter, exactly as ``shortlinks keys create`` would."""

from __future__ import annotations

from shortlinks.domain.access import Role
from shortlinks.domain.keys import create_key, hash_key, list_keys, looks_like_key
from shortlinks.domain.target import utc_now
from shortlinks.storage.api_keys import DynamoKeyRepository

# A key of your choosing (tests use it to know the admin key in advance). Only the local server reads it.
BOOTSTRAP_ADMIN_KEY_VARIABLE = "SHORTLINKS_BOOTSTRAP_ADMIN_KEY"
LOCAL_ADMIN_NAME = "local admin"


def ensure_admin_key(table_name: str, region: str, endpoint: str | None, chosen: str | None = None) -> str | None:
    """The admin key to print, or ``None`` when the table already has an active admin key (its plaintext is not
    stored anywhere, so there is nothing to show; ``shortlinks keys create`` makes another).

    ``chosen`` is registered as an admin key unless it already is one. It must have the key format.
    """
    repository = DynamoKeyRepository(table_name, region, endpoint)
    if chosen is not None:
        if not looks_like_key(chosen):
            raise ValueError(f"{BOOTSTRAP_ADMIN_KEY_VARIABLE} must be a key of the form sl_ + 43 letters and digits")
        existing = repository.get(hash_key(chosen))
        if existing is None:
            create_key(repository, LOCAL_ADMIN_NAME, Role.ADMIN, utc_now(), new_key=lambda: chosen)
        elif existing.revoked or existing.role is not Role.ADMIN:
            raise ValueError(f"{BOOTSTRAP_ADMIN_KEY_VARIABLE} names a key of this table that is revoked or not admin")
        return chosen
    if any(key.role is Role.ADMIN and not key.revoked for key in list_keys(repository)):
        return None
    _, plaintext = create_key(repository, LOCAL_ADMIN_NAME, Role.ADMIN, utc_now())
    return plaintext
