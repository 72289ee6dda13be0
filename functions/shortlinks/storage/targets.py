"""The redirect's read: one eventually consistent, projected GetItem of the link, or, when the container lacks the
day's visitor secret (its cold start, a new day), one BatchGetItem of the link and the secret. Creating a day's
secret that nobody has created yet goes through storage/secrets.py.

The redirect and QR functions import this module instead of storage.repository, and it sends through a bare botocore
client (storage/raw.py), so they load no pynamodb at all (docs/benchmarks.md).
"""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

from shortlinks.domain.target import Target
from shortlinks.storage.batch import batch_get
from shortlinks.storage.keys import LINK_SK, VISITOR_SECRET_PK, link_pk
from shortlinks.storage.raw import RawTable, dynamodb_client, string_key, text
from shortlinks.storage.secrets import DynamoVisitorSecrets, secret_key
from shortlinks.storage.target_items import target_of

# The only attributes a redirect reads (a ProjectionExpression): smaller responses, same one read.
TARGET_ATTRIBUTES = ("url", "redirect_type", "forward_query", "expires_at", "state", "destination")
# ... and with the visitor secret: which item is which, and the secret.
BATCH_ATTRIBUTES = ["pk", *TARGET_ATTRIBUTES, "secret"]


def read_target(table: RawTable, domain: str, code: str) -> Target | None:
    item = table.get_item(string_key(link_pk(domain, code), LINK_SK), attributes=TARGET_ATTRIBUTES)
    return target_of(item) if item else None


def read_target_and_secret(table: RawTable, domain: str, code: str, day: date) -> tuple[Target | None, bytes | None]:
    """The link's target and ``day``'s visitor secret in one eventually consistent ``BatchGetItem`` (a secret
    created elsewhere a moment ago and not seen yet is looked for again, strongly consistent, before one is made)."""
    link_key = link_pk(domain, code)
    keys = [string_key(link_key, LINK_SK), secret_key(day)]
    items = {item["pk"]["S"]: item for item in batch_get(table, keys, attributes=BATCH_ATTRIBUTES)}
    link, secret = items.get(link_key), text(items.get(VISITOR_SECRET_PK, {}), "secret")
    return (target_of(link) if link else None), (base64.b64decode(secret) if secret else None)


class DynamoTargetReader:
    """What the redirect function holds: the table through its one botocore client, built at cold start."""

    def __init__(self, table_name: str, region: str, endpoint: str | None = None) -> None:
        self.table = RawTable(dynamodb_client(region, endpoint), table_name)
        self._secrets = DynamoVisitorSecrets(table_name, region, client=self.table.client)

    def botocore_client(self) -> Any:
        """The container's one botocore client (the domain registry's load sends through it too)."""
        return self.table.client

    def get_target(self, domain: str, code: str) -> Target | None:
        return read_target(self.table, domain, code)

    def get_target_and_secret(self, domain: str, code: str, day: date) -> tuple[Target | None, bytes | None]:
        return read_target_and_secret(self.table, domain, code, day)

    def visitor_secret(self, day: date) -> bytes:
        """The day's visitor-id secret (storage/secrets.py), created if nobody has yet, through this reader's
        client: the redirect asks when its link reads did not bring it (a cache hit, or no secret yet)."""
        return self._secrets.secret_for(day)
