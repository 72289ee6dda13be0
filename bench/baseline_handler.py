"""The floor every function is compared with: a bare handler that creates a botocore DynamoDB client at module
scope, does one ``get_item`` and returns a 302. No logging, no metrics, no validation, no library on top."""

from __future__ import annotations

import os
from typing import Any

import botocore.session

_TABLE = os.environ["TABLE_NAME"]
_DOMAIN = os.environ.get("BENCH_DOMAIN", "bench.example")
_client: Any = botocore.session.get_session().create_client(
    "dynamodb",
    region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
    endpoint_url=os.environ.get("DYNAMODB_ENDPOINT") or None,
)


def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    code = event["pathParameters"]["code"]
    item = _client.get_item(TableName=_TABLE, Key={"pk": {"S": f"LINK#{_DOMAIN}#{code}"}, "sk": {"S": "LINK"}})
    return {"statusCode": 302, "headers": {"Location": item["Item"]["url"]["S"]}, "body": ""}
