"""Finding links (domain/service.resolve_target for redirects, resolve_link for expand)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shortlinks.domain.errors import LinkExpired, LinkNotFound
from shortlinks.domain.links import Link
from shortlinks.domain.service import resolve_link, resolve_target
from shortlinks.domain.target import LinkState, LinkStatus, Target
from tests.unit.fake_repository import FakeRepository

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DOMAIN = "sho.rt"
JUNK_CODES = ["", "favicon.ico", "a" * 100, "wp-admin/setup.php", "../etc/passwd", "abc\n", "c%C3%B6de"]


def link(code: str, *, expires_at: datetime | None = None, domain: str = DOMAIN) -> Link:
    return Link(
        domain=domain,
        code=code,
        target=Target(url=f"https://example.org/{code}", redirect_type=301, forward_query=False, expires_at=expires_at),
        created_at=NOW - timedelta(days=1),
        title="A title",
    )


# --- resolve_target: the redirect path ---------------------------------------------------------------------------


def test_a_live_link_resolves_to_its_target_in_one_read() -> None:
    repository = FakeRepository([link("AbC1234")])

    target = resolve_target(repository, DOMAIN, "AbC1234", NOW)

    assert target == link("AbC1234").target
    assert repository.calls == [("get_target", DOMAIN, "AbC1234")]


def test_a_link_expiring_later_still_resolves() -> None:
    repository = FakeRepository([link("soon", expires_at=NOW + timedelta(seconds=1))])

    assert resolve_target(repository, DOMAIN, "soon", NOW).url == "https://example.org/soon"


def test_an_unknown_code_is_not_found() -> None:
    repository = FakeRepository([link("AbC1234")])

    with pytest.raises(LinkNotFound) as refused:
        resolve_target(repository, DOMAIN, "Zzz9999", NOW)

    assert refused.value.code == "not_found"


def test_codes_are_case_sensitive() -> None:
    repository = FakeRepository([link("AbC1234")])

    with pytest.raises(LinkNotFound):
        resolve_target(repository, DOMAIN, "abc1234", NOW)


def test_a_code_on_another_domain_is_not_found() -> None:
    repository = FakeRepository([link("AbC1234", domain="other.example")])

    with pytest.raises(LinkNotFound):
        resolve_target(repository, DOMAIN, "AbC1234", NOW)


@pytest.mark.parametrize("expires_at", [NOW, NOW - timedelta(seconds=1), NOW - timedelta(days=400)])
def test_an_expired_link_raises_link_expired(expires_at: datetime) -> None:
    repository = FakeRepository([link("old", expires_at=expires_at)])

    with pytest.raises(LinkExpired) as refused:
        resolve_target(repository, DOMAIN, "old", NOW)

    assert refused.value.code == "link_expired"


@pytest.mark.parametrize("code", JUNK_CODES)
def test_a_junk_code_is_not_found_without_reading_the_store(code: str) -> None:
    repository = FakeRepository()

    with pytest.raises(LinkNotFound):
        resolve_target(repository, DOMAIN, code, NOW)

    assert repository.calls == []


# --- resolve_link: the expand path --------------------------------------------------------------------------------


def test_resolve_link_returns_the_whole_link() -> None:
    repository = FakeRepository([link("AbC1234")])

    assert resolve_link(repository, DOMAIN, "AbC1234") == link("AbC1234")
    assert repository.calls == [("get", DOMAIN, "AbC1234")]


def test_resolve_link_returns_an_expired_link_so_it_can_be_shown_as_expired() -> None:
    repository = FakeRepository([link("old", expires_at=NOW - timedelta(days=1))])

    found = resolve_link(repository, DOMAIN, "old")

    assert found.status(NOW) is LinkStatus.EXPIRED


def test_resolve_link_of_an_unknown_code_is_not_found() -> None:
    with pytest.raises(LinkNotFound):
        resolve_link(FakeRepository([link("AbC1234")]), DOMAIN, "nope123")


@pytest.mark.parametrize("code", JUNK_CODES)
def test_resolve_link_of_a_junk_code_reads_nothing(code: str) -> None:
    repository = FakeRepository()

    with pytest.raises(LinkNotFound):
        resolve_link(repository, DOMAIN, code)

    assert repository.calls == []


# --- link status --------------------------------------------------------------------------------------------------


def test_a_link_is_active_until_the_moment_it_expires() -> None:
    target = Target(url="https://example.org/", expires_at=NOW)

    assert target.status(NOW - timedelta(microseconds=1)) is LinkStatus.ACTIVE
    assert target.status(NOW) is LinkStatus.EXPIRED
    assert Target(url="https://example.org/").status(datetime.max.replace(tzinfo=UTC)) is LinkStatus.ACTIVE


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (LinkState.ACTIVE, LinkStatus.EXPIRED),
        (LinkState.DISABLED, LinkStatus.DISABLED),
        (LinkState.DELETED, LinkStatus.DELETED),
    ],
)
def test_what_the_owner_set_outranks_expiry(state: LinkState, status: LinkStatus) -> None:
    target = Target(url="https://example.org/", expires_at=NOW - timedelta(days=1), state=state)

    assert target.status(NOW) is status
