"""Changing some of a short domain's settings (``update_domain``, the PATCH) without touching the others, and the
host names domains are registered and looked up by (``check_host``)."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta

import pytest

from shortlinks.domain.domains import UNCHANGED, DomainChanges, register_domain, update_domain
from shortlinks.domain.errors import InvalidDomain, InvalidUrl, UnknownDomain, UrlIsShortLink
from shortlinks.domain.short_domain import ShortDomain, check_host
from tests.unit.fake_domain_repository import FakeDomainRepository

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=1)
CAMPAIGNS = "key_Campaigns001"


@pytest.fixture
def repository() -> FakeDomainRepository:
    """care.link, the default, restricted to one key, with a root and a not-found page; and give.link."""
    repository = FakeDomainRepository()
    register_domain(
        repository,
        "care.link",
        default_redirect_type=301,
        root_url="https://care.example/",
        not_found_url="https://care.example/missing",
        allowed_keys=[CAMPAIGNS],
        now=NOW,
    )
    register_domain(repository, "give.link", now=NOW)
    return repository


def test_a_change_of_one_setting_keeps_every_other(repository: FakeDomainRepository) -> None:
    # GIVEN the restricted domain care.link
    before = repository.domains["care.link"]

    # WHEN only its root page changes
    changed = update_domain(repository, "care.link", DomainChanges(root_url="https://care.example/new"), now=LATER)

    # THEN only the root page changed: above all, it stays restricted to its key
    assert changed == ShortDomain(
        host="care.link",
        base_url="https://care.link",
        default_redirect_type=301,
        root_url="https://care.example/new",
        not_found_url="https://care.example/missing",
        allowed_keys=frozenset({CAMPAIGNS}),
        is_default=True,
        created_at=NOW,
    )
    assert changed == replace(before, root_url="https://care.example/new")
    assert repository.domains["care.link"] == changed


def test_no_change_at_all_keeps_the_domain_as_it_is(repository: FakeDomainRepository) -> None:
    before = repository.domains["care.link"]

    assert update_domain(repository, "care.link", DomainChanges(), now=LATER) == before


def test_none_clears_a_setting_that_may_be_empty(repository: FakeDomainRepository) -> None:
    changed = update_domain(
        repository,
        "care.link",
        DomainChanges(root_url=None, not_found_url=None, allowed_keys=None, base_url=None),
        now=LATER,
    )

    assert (changed.root_url, changed.not_found_url, changed.allowed_keys) == (None, None, None)
    assert changed.base_url == "https://care.link"
    assert changed.default_redirect_type == 301


def test_each_changed_setting_follows_the_registration_rules(repository: FakeDomainRepository) -> None:
    before = repository.domains["care.link"]

    with pytest.raises(InvalidDomain):
        update_domain(repository, "care.link", DomainChanges(default_redirect_type=303), now=LATER)
    with pytest.raises(InvalidDomain):
        update_domain(repository, "care.link", DomainChanges(allowed_keys=[]), now=LATER)
    with pytest.raises(InvalidDomain):
        update_domain(repository, "care.link", DomainChanges(base_url="https://give.link"), now=LATER)
    with pytest.raises(UrlIsShortLink, match="not_found_url"):
        update_domain(repository, "care.link", DomainChanges(not_found_url="https://give.link/x"), now=LATER)

    assert repository.domains["care.link"] == before


def test_a_setting_left_unchanged_is_not_checked_again(repository: FakeDomainRepository) -> None:
    # GIVEN care.link's root page on a host that has since become a short domain of ours
    register_domain(repository, "care.example", now=NOW)

    # WHEN another setting changes THEN the change is made: the root page is the operator's to fix, not a reason
    # to refuse every other change
    changed = update_domain(repository, "care.link", DomainChanges(default_redirect_type=302), now=LATER)

    assert (changed.default_redirect_type, changed.root_url) == (302, "https://care.example/")


def test_another_domain_becomes_the_default_and_the_default_stays_so_until_then(
    repository: FakeDomainRepository,
) -> None:
    stays = update_domain(repository, "care.link", DomainChanges(is_default=False), now=LATER)
    moved = update_domain(repository, "give.link", DomainChanges(is_default=True), now=LATER)

    assert stays.is_default
    assert moved.is_default
    assert not repository.domains["care.link"].is_default


@pytest.mark.parametrize("host", ["nope.link", "not a host", "care.link:443"])
def test_only_a_registered_domain_can_be_changed(repository: FakeDomainRepository, host: str) -> None:
    with pytest.raises(UnknownDomain):
        update_domain(repository, host, DomainChanges(root_url=None), now=LATER)
    assert "nope.link" not in repository.domains


def test_a_domain_is_changed_under_any_spelling_of_its_host(repository: FakeDomainRepository) -> None:
    changed = update_domain(repository, "CARE.LINK.", DomainChanges(default_redirect_type=308), now=LATER)

    assert (changed.host, changed.default_redirect_type) == ("care.link", 308)


def test_unchanged_is_the_default_of_every_field() -> None:
    changes = DomainChanges()

    assert all(getattr(changes, field.name) is UNCHANGED for field in fields(changes))


# --- host names -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "stored"),
    [
        ("Care.Link", "care.link"),
        ("care.link.", "care.link"),
        ("faß.de", "xn--fa-hia.de"),  # IDNA 2008, as browsers: IDNA 2003 would make it fass.de, another domain
        ("bücher.example", "xn--bcher-kva.example"),
        ("127.0.0.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
    ],
)
def test_a_domain_is_kept_under_the_host_browsers_send(host: str, stored: str) -> None:
    assert check_host(host) == stored


@pytest.mark.parametrize(
    "host",
    [
        "care link",
        "-care.link",
        "care..link",
        "care.link?x",
        "care.link#x",
        "exa%41mple.org",
        "1.2.3.4.5",
        "a\u200db",
        "care.link\u200b",  # UTS #46 would drop a zero-width space; a domain name that carries one is refused
        "\ufeffcare.link",
    ],
)
def test_a_malformed_host_is_invalid_domain_not_invalid_url(host: str) -> None:
    with pytest.raises(InvalidDomain) as refused:
        check_host(host)

    assert refused.value.code == "invalid_domain"
    assert not isinstance(refused.value, InvalidUrl)


def test_a_base_url_may_spell_the_host_any_way_a_browser_would(repository: FakeDomainRepository) -> None:
    domain = register_domain(repository, "faß.de", base_url="https://FAß.de:8443/", now=NOW)

    assert (domain.host, domain.base_url) == ("xn--fa-hia.de", "https://xn--fa-hia.de:8443")
