"""The read routes' answers built without pydantic (schemas/bodies.py) are exactly what the response models
(schemas/, which the OpenAPI document describes) say, down to the bytes ``model_dump_json`` would write."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import BaseModel

from shortlinks.domain.access import Role
from shortlinks.domain.keys import ApiKey
from shortlinks.domain.links import Link, Utm
from shortlinks.domain.target import LinkState, Target
from shortlinks.schemas.bodies import json_text, key_body, link_body, public_link_body
from shortlinks.schemas.keys import KeyListResponse, KeyResponse
from shortlinks.schemas.links import LinkResponse, PublicLinkResponse

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SHORT_URL = "https://sho.rt/AbC1234"
# Characters JSON writers disagree on: quotes, backslashes, non-ASCII, a line separator, a control character.
AWKWARD_URL = 'https://example.org/caf\u00e9?q="a\\b"&s=\u2028&t=\u65e5\u672c\x01'

LINKS = {
    "plain": Link("sho.rt", "AbC1234", Target("https://example.org/"), NOW - timedelta(days=2)),
    "everything": Link(
        "go.example",
        "spring-sale",
        Target(
            AWKWARD_URL,
            redirect_type=308,
            forward_query=False,
            expires_at=datetime(2027, 1, 31, 23, 59, 59, 123456, tzinfo=UTC),
            tagged_url=AWKWARD_URL + "&utm_source=news",
        ),
        datetime(2026, 11, 1, 8, 30, tzinfo=timezone(timedelta(hours=2))),
        title="Caf\u00e9 \u00ab sale \u00bb \U0001f389",
        owner="key_Campaigns001",
        tags=("autumn", "sale"),
        version=7,
        updated_at=NOW - timedelta(hours=1),
        utm=Utm(source="news", campaign="spring"),
    ),
    "expired": Link("sho.rt", "old", Target("https://example.org/", expires_at=NOW - timedelta(days=1)), NOW),
    "disabled": Link("sho.rt", "off", Target("https://example.org/", state=LinkState.DISABLED), NOW),
    "deleted": Link("sho.rt", "gone", Target("https://example.org/", state=LinkState.DELETED), NOW),
}
KEYS = {
    "new": ApiKey("key_Campaigns001", "campaigns", Role.MEMBER, NOW),
    "used and revoked": ApiKey(
        "key_Admin000001", "ops \u00e9quipe", Role.ADMIN, NOW, date(2026, 11, 24), revoked=True, create_rate_limit=600
    ),
}


def assert_matches_model(body: dict[str, Any], model: type[BaseModel]) -> None:
    """``body`` is what ``model`` holds after validating it (no field missing, none extra, nothing coerced) and is
    written as ``model_dump_json`` writes it."""
    validated = model.model_validate(body)
    assert validated.model_dump(mode="json") == body
    assert json_text(body) == validated.model_dump_json()


@pytest.mark.parametrize("name", LINKS)
def test_a_link_s_body_is_the_link_response_model(name: str) -> None:
    # GIVEN a link; WHEN its owner's view is built without pydantic; THEN it is LinkResponse exactly
    assert_matches_model(link_body(LINKS[name], SHORT_URL, NOW), LinkResponse)


@pytest.mark.parametrize("name", LINKS)
def test_a_link_s_public_body_is_the_public_link_response_model(name: str) -> None:
    assert_matches_model(public_link_body(LINKS[name], SHORT_URL, NOW), PublicLinkResponse)


@pytest.mark.parametrize("name", KEYS)
def test_a_key_s_body_is_the_key_response_model(name: str) -> None:
    assert_matches_model(key_body(KEYS[name]), KeyResponse)


def test_a_key_listing_body_is_the_key_list_response_model() -> None:
    # GIVEN keys of both kinds; WHEN GET /v1/keys's body is built; THEN it is KeyListResponse exactly
    assert_matches_model({"keys": [key_body(key) for key in KEYS.values()]}, KeyListResponse)


def test_times_are_written_in_utc_with_milliseconds() -> None:
    body = link_body(LINKS["everything"], SHORT_URL, NOW)

    assert body["expires_at"] == "2027-01-31T23:59:59.123Z"
    assert body["created_at"] == "2026-11-01T06:30:00.000Z"  # written at 08:30 in UTC+2
