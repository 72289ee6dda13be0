"""A link as DynamoDB stores it (storage/link_items.py), written and read without pynamodb, is the item pynamodb's
link model (storage/models.py, which queries and edits still use) reads and writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shortlinks.domain.links import Link, Utm
from shortlinks.domain.target import LinkState, Target
from shortlinks.storage.link_items import item_of, link_of
from shortlinks.storage.models import LinkItem, bind

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LINKS = {
    "anonymous": Link("sho.rt", "AbC1234", Target("https://example.org/"), NOW),
    "everything": Link(
        "go.example",
        "spring-sale",
        Target(
            "https://example.org/caf\u00e9",
            redirect_type=308,
            forward_query=False,
            expires_at=NOW + timedelta(days=30),
            state=LinkState.DISABLED,
            tagged_url="https://example.org/caf\u00e9?utm_source=news&utm_campaign=spring",
        ),
        NOW - timedelta(days=2),
        title="Spring sale",
        owner="key_Campaigns001",
        tags=("autumn", "sale"),
        version=7,
        updated_at=NOW,
        utm=Utm(source="news", campaign="spring"),
    ),
}
Model = bind(LinkItem, "shortlinks-links", "us-east-1", None)


@pytest.mark.parametrize("name", LINKS)
def test_a_link_read_back_from_its_item_is_the_same_link(name: str) -> None:
    assert link_of(item_of(LINKS[name])) == LINKS[name]


@pytest.mark.parametrize("name", LINKS)
def test_the_pynamodb_model_reads_and_writes_the_same_item(name: str) -> None:
    # GIVEN the item written without pynamodb
    item = item_of(LINKS[name])

    # WHEN the link model reads it and serialises it again (an edit's save, a query's result)
    again = Model.from_raw_data(item).serialize()

    # THEN nothing was added, dropped or retyped (a set's order aside)
    assert {**again, "tags": sorted(again.get("tags", {}).get("SS", []))} == {
        **item,
        "tags": sorted(item.get("tags", {}).get("SS", [])),
    }


def test_an_owned_link_carries_its_owner_s_index_keys_and_an_anonymous_one_does_not() -> None:
    owned, anonymous = item_of(LINKS["everything"]), item_of(LINKS["anonymous"])

    assert {"gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk"} <= set(owned)
    assert {"gsi1pk", "gsi2pk"} & set(anonymous) == set()
    assert {"title", "owner", "tags", "utm", "destination", "expires_at", "updated_at"} & set(anonymous) == set()
