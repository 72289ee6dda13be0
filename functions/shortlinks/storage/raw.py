"""DynamoDB through a bare botocore client, for the functions whose cold start must not load pynamodb.

The redirect sends four kinds of request: a ``GetItem`` or ``BatchGetItem`` of a link (with the day's visitor
secret), the domain registry's ``Query``, and once a day per stack a conditional ``PutItem`` of a new secret. Written
out here they cost the redirect none of pynamodb's import (models, attributes, expressions, connection: about 11 ms of
its cold start) and none of its per-call layers. The client is built like pynamodb's (no parameter validation) and
answers to the invocation's time budget (storage/budget.py) like every other client of ours.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shortlinks.storage import budget
from shortlinks.storage.failures import CONDITION_FAILED, STORE_FAILURES, failure_code, unavailable

Item = dict[str, Any]  # an item as DynamoDB's wire format writes it: {"name": {"S": "value"}, ...}


def dynamodb_client(region: str, endpoint: str | None = None) -> Any:
    """A botocore DynamoDB client under the invocation's budget: one attempt per call (the budget retries), a short
    connect timeout, and no client-side parameter validation (the requests below are built, not typed in)."""
    import botocore.session
    from botocore.config import Config

    config = Config(
        connect_timeout=budget.CONNECT_TIMEOUT_SECONDS,
        read_timeout=budget.DEFAULT_SECONDS,  # each attempt's own comes from the budget
        retries={"total_max_attempts": 1, "mode": "standard"},  # the budget's policy retries
        parameter_validation=False,
    )
    client = botocore.session.get_session().create_client(
        "dynamodb", region_name=region, endpoint_url=endpoint, config=config
    )
    return budget.install(client)


def projection(attributes: Iterable[str]) -> dict[str, Any]:
    """A ``ProjectionExpression`` of ``attributes``, every name through a placeholder (``url`` and ``state`` are
    reserved words)."""
    names = {f"#p{index}": name for index, name in enumerate(attributes)}
    return {"ProjectionExpression": ",".join(names), "ExpressionAttributeNames": names}


def string_key(pk: str, sk: str) -> Item:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


class RawTable:
    """One table through one botocore client. Every store failure leaves as ``StorageUnavailable`` (503)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self.client, self.table_name = client, table_name

    def get_item(self, key: Item, *, consistent_read: bool = False, attributes: Iterable[str] = ()) -> Item | None:
        request: dict[str, Any] = {"TableName": self.table_name, "Key": key, "ConsistentRead": consistent_read}
        if attributes:
            request |= projection(attributes)
        try:
            item: Item | None = self.client.get_item(**request).get("Item")
        except STORE_FAILURES as exc:
            raise unavailable(exc) from exc
        return item

    def batch_get_item(
        self, keys: list[Item], *, consistent_read: bool = False, attributes_to_get: Iterable[str] | None = None
    ) -> dict[str, Any]:
        """One ``BatchGetItem`` call's raw answer (``storage.batch.batch_get`` asks again for what is unprocessed
        and turns failures into ``StorageUnavailable``)."""
        request: dict[str, Any] = {"Keys": keys, "ConsistentRead": consistent_read}
        if attributes_to_get:
            request |= projection(attributes_to_get)
        answer: dict[str, Any] = self.client.batch_get_item(RequestItems={self.table_name: request})
        return answer

    def query_prefix(self, pk: str, sk_prefix: str) -> list[Item]:
        """Every item of partition ``pk`` whose sort key starts with ``sk_prefix`` (eventually consistent), all
        pages."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":prefix": {"S": sk_prefix}},
        }
        items: list[Item] = []
        try:
            while True:
                page = self.client.query(**request)
                items.extend(page.get("Items", []))
                if "LastEvaluatedKey" not in page:
                    return items
                request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        except STORE_FAILURES as exc:
            raise unavailable(exc) from exc

    def put_new(self, item: Item) -> bool:
        """Put ``item`` unless an item with its key exists: ``False`` when one did (nothing written)."""
        try:
            self.client.put_item(TableName=self.table_name, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except STORE_FAILURES as exc:
            if failure_code(exc) == CONDITION_FAILED:
                return False
            raise unavailable(exc) from exc
        return True


def text(item: Item, name: str) -> str | None:
    """A string attribute's value, ``None`` when absent (or not a string)."""
    value = item.get(name, {}).get("S")
    return value if isinstance(value, str) else None
