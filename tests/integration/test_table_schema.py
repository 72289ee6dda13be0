"""The table moto builds from template.yaml is the table the storage layer writes to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from local.template import load_template
from shortlinks.storage.keys import LINK_SK, link_pk
from tests.integration.harness import TABLE_NAME, LinkStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def test_the_table_has_the_templates_key_schema(dynamodb: DynamoDBClient) -> None:
    table = dynamodb.describe_table(TableName=TABLE_NAME)["Table"]
    declared = load_template()["Resources"]["LinksTable"]["Properties"]

    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert table["KeySchema"] == declared["KeySchema"]
    assert table.get("BillingModeSummary", {}).get("BillingMode") == "PAY_PER_REQUEST"


def test_the_table_has_the_templates_indexes_owner_listing_and_reuse_lookup(dynamodb: DynamoDBClient) -> None:
    indexes = dynamodb.describe_table(TableName=TABLE_NAME)["Table"].get("GlobalSecondaryIndexes", [])
    declared = load_template()["Resources"]["LinksTable"]["Properties"]["GlobalSecondaryIndexes"]

    expected = [
        (
            name,
            [{"AttributeName": f"{name}pk", "KeyType": "HASH"}, {"AttributeName": f"{name}sk", "KeyType": "RANGE"}],
            {"ProjectionType": "ALL"},
        )
        for name in ("gsi1", "gsi2")
    ]
    assert [(index["IndexName"], index["KeySchema"], index["Projection"]) for index in indexes] == expected
    assert [(index["IndexName"], index["KeySchema"], index["Projection"]) for index in declared] == expected


def test_the_table_has_the_templates_time_to_live_attribute(dynamodb: DynamoDBClient) -> None:
    ttl = dynamodb.describe_time_to_live(TableName=TABLE_NAME)["TimeToLiveDescription"]

    assert (ttl.get("TimeToLiveStatus"), ttl.get("AttributeName")) == ("ENABLED", "ttl")


def test_the_storage_layer_writes_items_keyed_by_pk_and_sk(store: LinkStore, dynamodb: DynamoDBClient) -> None:
    # GIVEN a link stored through the storage adapter
    store.add("AbC1234", "https://example.org/")

    # WHEN the table is read with the key the storage layer builds
    item = dynamodb.get_item(
        TableName=TABLE_NAME, Key={"pk": {"S": link_pk("sho.rt", "AbC1234")}, "sk": {"S": LINK_SK}}
    ).get("Item")

    # THEN the item is there, under the key the table declares
    assert item is not None
    assert item["pk"] == {"S": "LINK#sho.rt#AbC1234"}
    assert item["sk"] == {"S": "LINK"}
    assert item["url"] == {"S": "https://example.org/"}
