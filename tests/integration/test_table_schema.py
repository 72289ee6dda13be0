"""The table moto builds from template.yaml is the table the storage layer writes to."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from local.template import load_template
from shortlinks.storage.keys import LINK_SK, link_pk
from shortlinks.storage.models import DOMAIN_LISTING_ATTRIBUTES, REUSE_ATTRIBUTES, LinkItem
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


def test_the_table_has_the_templates_indexes_owner_listing_reuse_lookup_and_domain_listing(
    dynamodb: DynamoDBClient,
) -> None:
    indexes = dynamodb.describe_table(TableName=TABLE_NAME)["Table"].get("GlobalSecondaryIndexes", [])
    declared = load_template()["Resources"]["LinksTable"]["Properties"]["GlobalSecondaryIndexes"]

    projections = {
        "gsi1": {"ProjectionType": "ALL"},
        "gsi2": {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(REUSE_ATTRIBUTES)},
        "gsi3": {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(DOMAIN_LISTING_ATTRIBUTES)},
    }
    expected = [
        (name, [{"AttributeName": f"{name}pk", "KeyType": "HASH"}, {"AttributeName": f"{name}sk", "KeyType": "RANGE"}])
        for name in projections
    ]
    assert [(index["IndexName"], index["KeySchema"]) for index in indexes] == expected
    assert [(index["IndexName"], index["KeySchema"]) for index in declared] == expected
    assert {index["IndexName"]: index["Projection"] for index in indexes} == projections
    assert {index["IndexName"]: index["Projection"] for index in declared} == projections


def test_the_storage_models_declare_the_projections_the_template_creates() -> None:
    declared = load_template()["Resources"]["LinksTable"]["Properties"]["GlobalSecondaryIndexes"]
    models = {index.Meta.index_name: index.Meta.projection for index in (LinkItem.by_url, LinkItem.by_domain)}

    for index in declared:
        if index["IndexName"] in models:
            projection = models[index["IndexName"]]
            assert index["Projection"]["ProjectionType"] == projection.projection_type
            assert index["Projection"]["NonKeyAttributes"] == projection.non_key_attributes


def test_reuse_reads_from_gsi2_only_what_it_projects_and_that_is_a_whole_link(store: LinkStore) -> None:
    # GIVEN an owned link, stored as production stores it (with gsi1 keys and an entity marker gsi2 leaves out)
    created = datetime(2026, 11, 25, 12, 0, 0, 123000, tzinfo=UTC)  # stored to the millisecond
    link = store.add(
        "AbC1234", "https://example.org/", owner="key_Campaigns001", title="t", tags=("a",), created_at=created
    )

    # WHEN reuse looks the destination up
    [found] = store.repository.find_by_url("key_Campaigns001", "sho.rt", "https://example.org/")

    # THEN it gets the whole link back from the index alone
    assert found == link


def test_every_link_is_in_its_domains_gsi3_partition_with_only_what_listings_filter_on(
    store: LinkStore, dynamodb: DynamoDBClient
) -> None:
    store.add("AbC1234", "https://example.org/", owner="key_Campaigns001", tags=("a",))
    store.add("anon123", "https://example.org/")

    items = dynamodb.query(
        TableName=TABLE_NAME,
        IndexName="gsi3",
        KeyConditionExpression="gsi3pk = :partition",
        ExpressionAttributeValues={":partition": {"S": "LINKS#sho.rt"}},
    )["Items"]

    assert sorted(item["pk"]["S"] for item in items) == ["LINK#sho.rt#AbC1234", "LINK#sho.rt#anon123"]
    keys = {"pk", "sk", "gsi3pk", "gsi3sk"}
    assert all(set(item) <= keys | set(DOMAIN_LISTING_ATTRIBUTES) for item in items)
    assert all("url" not in item for item in items)


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
