"""What anyone may see of a link through expand (schemas/links.py ``PublicLinkResponse``): where it leads while it
leads somewhere, and nothing about where it led once it was disabled or deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shortlinks.domain.links import Link
from shortlinks.domain.target import LinkState, Target
from shortlinks.schemas.links import PublicLinkResponse

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DESTINATION = "https://example.org/resources"


def link(state: LinkState = LinkState.ACTIVE, expires_at: datetime | None = None) -> Link:
    target = Target(url=DESTINATION, state=state, expires_at=expires_at)
    return Link(domain="sho.rt", code="AbC1234", target=target, created_at=NOW - timedelta(days=2))


@pytest.mark.parametrize("state", [LinkState.DISABLED, LinkState.DELETED])
def test_a_disabled_or_deleted_link_does_not_show_its_destination(state: LinkState) -> None:
    view = PublicLinkResponse.of(link(state), "https://sho.rt/AbC1234", NOW)

    assert view.url is None
    assert view.status.value == state.value


def test_an_active_link_shows_its_destination() -> None:
    view = PublicLinkResponse.of(link(), "https://sho.rt/AbC1234", NOW)

    assert (view.url, view.status.value) == (DESTINATION, "active")


def test_an_expired_link_still_shows_where_it_led() -> None:
    # Expiry is a date the creator set in advance, not a judgement on the destination
    view = PublicLinkResponse.of(link(expires_at=NOW - timedelta(days=1)), "https://sho.rt/AbC1234", NOW)

    assert (view.url, view.status.value) == (DESTINATION, "expired")
