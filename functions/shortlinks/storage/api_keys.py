"""The DynamoDB implementation of the domain's ``KeyRepository``: API key records, stored under the key's hash."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.constants import NONE
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from shortlinks.domain.access import Role
from shortlinks.domain.keys import ApiKey
from shortlinks.storage.failures import CONDITION_FAILED, STORE_FAILURES, failure_code, unavailable
from shortlinks.storage.keys import API_KEY_SK, API_KEYS_GSI1PK, api_key_gsi1sk, api_key_pk
from shortlinks.storage.models import Gsi1Index, bind, model_client

# The attributes the authorizer's UpdateItem may name (template.yaml, dynamodb:Attributes): the key, and the day.
TOUCH_ATTRIBUTES = ("pk", "sk", "last_used_day")


class ApiKeyItem(Model):
    """One API key's record. ``pk = APIKEY#<sha256 of the key>``, ``sk = APIKEY``. Never the key itself."""

    class Meta:
        table_name = "unbound"  # replaced by models.bind()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    entity = UnicodeAttribute(default="apikey")
    key_id = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    created_at = UnicodeAttribute()
    last_used_day = UnicodeAttribute(null=True)  # YYYY-MM-DD, UTC
    revoked = BooleanAttribute(default=False)
    create_rate_limit = NumberAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_creation = Gsi1Index()


class DynamoKeyRepository:
    def __init__(self, table_name: str, region: str, endpoint: str | None = None) -> None:
        self._item = bind(ApiKeyItem, table_name, region, endpoint)

    def warm_up(self) -> None:
        """Create the botocore client now (at cold start), not on the first request."""
        model_client(self._item)

    def add(self, key_hash: str, key: ApiKey) -> None:
        created_at = _iso(key.created_at)
        item = self._item(
            api_key_pk(key_hash),
            API_KEY_SK,
            key_id=key.key_id,
            name=key.name,
            role=key.role.value,
            created_at=created_at,
            last_used_day=key.last_used_day.isoformat() if key.last_used_day else None,
            revoked=key.revoked,
            create_rate_limit=key.create_rate_limit,
            gsi1pk=API_KEYS_GSI1PK,
            gsi1sk=api_key_gsi1sk(created_at, key.key_id),
        )
        try:
            item.save(condition=self._item.pk.does_not_exist())
        except STORE_FAILURES as exc:
            if failure_code(exc) == CONDITION_FAILED:
                # Two 256-bit random keys do not collide: this is a caller adding the same key twice.
                raise ValueError("an API key with this hash is already stored") from None
            raise unavailable(exc) from exc

    def get(self, key_hash: str) -> ApiKey | None:
        # Strongly consistent: a key used the moment it was created must not be refused (and cached as refused).
        try:
            return _api_key(self._item.get(api_key_pk(key_hash), API_KEY_SK, consistent_read=True))
        except DoesNotExist:
            return None
        except STORE_FAILURES as exc:
            raise unavailable(exc) from exc

    def list_all(self) -> list[ApiKey]:
        return [_api_key(item) for item in self._items()]

    def revoke(self, key_id: str) -> ApiKey | None:
        """Find the key by id among all keys (there are few), then mark it revoked if it is still there."""
        found = next((item for item in self._items() if item.key_id == key_id), None)
        if found is None:
            return None
        item = self._item(found.pk, API_KEY_SK)
        try:
            item.update(
                actions=[self._item.revoked.set(True)],
                condition=self._item.pk.exists() & (self._item.key_id == key_id),
            )
        except STORE_FAILURES as exc:
            if failure_code(exc) == CONDITION_FAILED:
                return None
            raise unavailable(exc) from exc
        return _api_key(item)

    def touch(self, key_hash: str, day: date) -> None:
        """Set the last-used day unless it already is ``day``; never creates an item. The request names no attribute
        but the key's and ``last_used_day`` and asks nothing back: the authorizer's IAM allows exactly that
        (``TOUCH_ATTRIBUTES``, ``ReturnValues`` ``NONE``), so it can neither rewrite a key's role nor read one."""
        value = day.isoformat()
        last_used = self._item.last_used_day
        try:
            self._item._get_connection().update_item(
                api_key_pk(key_hash),
                API_KEY_SK,
                actions=[last_used.set(value)],
                condition=self._item.pk.exists() & (last_used.does_not_exist() | (last_used != value)),
                return_values=NONE,
            )
        except STORE_FAILURES as exc:
            if failure_code(exc) == CONDITION_FAILED:
                return  # already recorded today (by another container), or the key is gone
            raise unavailable(exc) from exc

    def _items(self) -> list[ApiKeyItem]:
        try:
            return list(self._item.by_creation.query(API_KEYS_GSI1PK, scan_index_forward=False))
        except STORE_FAILURES as exc:
            raise unavailable(exc) from exc


def _api_key(item: ApiKeyItem) -> ApiKey:
    return ApiKey(
        key_id=item.key_id,
        name=item.name,
        role=Role(item.role),
        created_at=datetime.fromisoformat(item.created_at),
        last_used_day=date.fromisoformat(item.last_used_day) if item.last_used_day else None,
        revoked=bool(item.revoked),
        create_rate_limit=int(item.create_rate_limit) if item.create_rate_limit is not None else None,
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
