"""Short domains: registering, listing and removing them (the domain service on a fake repository), who may
create links on one, and the registry each function keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shortlinks.domain.access import Principal, Role
from shortlinks.domain.domains import get_domain, list_domains, register_domain, remove_domain
from shortlinks.domain.errors import (
    DomainInUse,
    DomainNotAllowed,
    InvalidDomain,
    InvalidUrl,
    UnknownDomain,
    UrlIsShortLink,
)
from shortlinks.domain.short_domain import DomainRegistry, ShortDomain
from tests.unit.fake_domain_repository import FakeDomainRepository

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CAMPAIGNS = "key_Campaigns001"
VOLUNTEERS = "key_Volunteers01"


@pytest.fixture
def repository() -> FakeDomainRepository:
    return FakeDomainRepository()


def register(repository: FakeDomainRepository, host: str, **settings: object) -> ShortDomain:
    return register_domain(repository, host, now=NOW, **settings)  # type: ignore[arg-type]


# --- register -------------------------------------------------------------------------------------------------------


def test_a_domain_is_registered_with_defaults_and_the_first_becomes_the_default(
    repository: FakeDomainRepository,
) -> None:
    # WHEN the first domain is registered with nothing but its host
    domain = register(repository, "Care.Link")

    # THEN its host is normalised, links on it are written https://<host>/<code>, and it is the default
    assert domain == ShortDomain(
        host="care.link",
        base_url="https://care.link",
        default_redirect_type=302,
        root_url=None,
        not_found_url=None,
        allowed_keys=None,
        is_default=True,
        created_at=NOW,
    )
    assert repository.domains == {"care.link": domain}
    assert domain.short_url("help") == "https://care.link/help"


def test_a_second_domain_is_not_the_default_unless_asked(repository: FakeDomainRepository) -> None:
    register(repository, "care.link")

    second = register(repository, "give.link")
    third = register(repository, "vote.link", is_default=True)

    assert not second.is_default
    assert third.is_default
    assert [domain.host for domain in list_domains(repository) if domain.is_default] == ["vote.link"]


def test_replacing_the_default_domains_settings_keeps_it_default_and_its_creation_time(
    repository: FakeDomainRepository,
) -> None:
    register(repository, "care.link")
    register(repository, "give.link")

    replaced = register_domain(repository, "care.link", root_url="https://care.example/", now=NOW + timedelta(days=1))

    assert replaced.is_default
    assert replaced.created_at == NOW
    assert replaced.root_url == "https://care.example/"


def test_every_setting_is_stored_normalised(repository: FakeDomainRepository) -> None:
    domain = register(
        repository,
        "care.link",
        base_url="HTTP://care.link:8080/",
        default_redirect_type=301,
        root_url="https://Care.Example",
        not_found_url="https://care.example/missing?from=short",
        allowed_keys=[CAMPAIGNS, VOLUNTEERS, CAMPAIGNS],
    )

    assert domain.base_url == "http://care.link:8080"
    assert domain.default_redirect_type == 301
    assert domain.root_url == "https://care.example/"
    assert domain.not_found_url == "https://care.example/missing?from=short"
    assert domain.allowed_keys == frozenset({CAMPAIGNS, VOLUNTEERS})


@pytest.mark.parametrize("host", ["", "https://care.link", "care.link/help", "care.link:443", "user@care.link", "a b"])
def test_a_host_that_is_not_a_bare_host_name_is_refused(repository: FakeDomainRepository, host: str) -> None:
    with pytest.raises(InvalidDomain):
        register(repository, host)
    assert repository.domains == {}


@pytest.mark.parametrize(
    "base_url",
    [
        "https://other.link",
        "ftp://care.link",
        "https://care.link/path",
        "https://care.link?x=1",
        "https://user@care.link",
        "https://care.link:0",
        "https://care.link:",
        "care.link",
    ],
)
def test_a_base_url_must_be_the_domain_itself_with_at_most_a_port(
    repository: FakeDomainRepository, base_url: str
) -> None:
    with pytest.raises(InvalidDomain):
        register(repository, "care.link", base_url=base_url)


@pytest.mark.parametrize("redirect_type", [200, 303, 404])
def test_a_default_redirect_type_must_be_a_redirect_we_send(
    repository: FakeDomainRepository, redirect_type: int
) -> None:
    with pytest.raises(InvalidDomain):
        register(repository, "care.link", default_redirect_type=redirect_type)


@pytest.mark.parametrize("field", ["root_url", "not_found_url"])
def test_root_and_not_found_urls_may_not_loop_back_to_any_registered_domain(
    repository: FakeDomainRepository, field: str
) -> None:
    # GIVEN two registered domains
    register(repository, "care.link")
    register(repository, "give.link")

    # WHEN care.link's root or not-found page would send visitors to itself, to give.link, or to the API's own host
    for destination in ["https://care.link/home", "https://give.link/", "https://api.sho.rt/"]:
        with pytest.raises(UrlIsShortLink, match=field):
            register(repository, "care.link", own_hosts={"api.sho.rt"}, **{field: destination})

    # THEN nothing changed
    assert getattr(repository.domains["care.link"], field) is None


def test_a_new_domain_may_not_send_its_root_to_itself(repository: FakeDomainRepository) -> None:
    with pytest.raises(UrlIsShortLink):
        register(repository, "care.link", root_url="https://care.link/")
    assert repository.domains == {}


def test_a_root_url_must_follow_the_destination_rules(repository: FakeDomainRepository) -> None:
    with pytest.raises(InvalidUrl, match="root_url"):
        register(repository, "care.link", root_url="javascript:alert(1)")


@pytest.mark.parametrize("allowed", [[], ["not-a-key-id"], ["sl_ThisIsAKeyNotAnId"]])
def test_allowed_keys_must_name_key_ids(repository: FakeDomainRepository, allowed: list[str]) -> None:
    with pytest.raises(InvalidDomain):
        register(repository, "care.link", allowed_keys=allowed)


# --- who may create links on a domain ------------------------------------------------------------------------------


def test_only_listed_keys_and_admins_may_create_links_on_a_restricted_domain(
    repository: FakeDomainRepository,
) -> None:
    domain = register(repository, "care.link", allowed_keys=[CAMPAIGNS])

    domain.ensure_may_create(Principal(CAMPAIGNS, Role.MEMBER))
    domain.ensure_may_create(Principal("key_AdminFixture", Role.ADMIN))
    with pytest.raises(DomainNotAllowed):
        domain.ensure_may_create(Principal(VOLUNTEERS, Role.MEMBER))
    with pytest.raises(DomainNotAllowed):
        domain.ensure_may_create(None)


def test_every_caller_may_create_links_on_an_open_domain(repository: FakeDomainRepository) -> None:
    domain = register(repository, "care.link")

    domain.ensure_may_create(Principal(VOLUNTEERS, Role.MEMBER))
    domain.ensure_may_create(None)  # whether anonymous creation is on at all is the create route's business


# --- get, list, remove ----------------------------------------------------------------------------------------------


def test_domains_are_listed_by_host(repository: FakeDomainRepository) -> None:
    for host in ["vote.link", "care.link", "give.link"]:
        register(repository, host)

    assert [domain.host for domain in list_domains(repository)] == ["care.link", "give.link", "vote.link"]


@pytest.mark.parametrize("host", ["nope.link", "not a host", ""])
def test_an_unknown_domain_is_not_found(repository: FakeDomainRepository, host: str) -> None:
    register(repository, "care.link")

    with pytest.raises(UnknownDomain):
        get_domain(repository, host)
    with pytest.raises(UnknownDomain):
        remove_domain(repository, host, force=True, now=NOW)


def test_a_domain_without_links_is_removed(repository: FakeDomainRepository) -> None:
    register(repository, "care.link")
    register(repository, "give.link")

    assert remove_domain(repository, "Give.Link", force=False, now=NOW) == 0
    assert set(repository.domains) == {"care.link"}


def test_a_domain_with_links_is_kept_unless_forced(repository: FakeDomainRepository) -> None:
    # GIVEN a domain with a link, even one already deleted
    register(repository, "care.link")
    repository.link_states[("care.link", "help")] = "deleted"

    # WHEN it is removed without force THEN it is refused and nothing changes
    with pytest.raises(DomainInUse):
        remove_domain(repository, "care.link", force=False, now=NOW)
    assert "care.link" in repository.domains
    assert "tombstone_links" not in repository.calls


def test_a_forced_removal_tombstones_the_links_then_removes_the_domain(repository: FakeDomainRepository) -> None:
    register(repository, "care.link")
    register(repository, "give.link")
    repository.link_states |= {("care.link", "help"): "active", ("care.link", "old"): "deleted"}
    repository.link_states[("give.link", "help")] = "active"

    tombstoned = remove_domain(repository, "care.link", force=True, now=NOW)

    assert tombstoned == 1
    assert set(repository.domains) == {"give.link"}
    assert repository.link_states == {
        ("care.link", "help"): "deleted",
        ("care.link", "old"): "deleted",
        ("give.link", "help"): "active",
    }
    assert repository.calls[-2:] == ["tombstone_links", "remove"]


def test_removing_the_default_domain_leaves_no_default(repository: FakeDomainRepository) -> None:
    register(repository, "care.link")
    register(repository, "give.link")

    remove_domain(repository, "care.link", force=False, now=NOW)

    assert [domain for domain in list_domains(repository) if domain.is_default] == []


# --- the registry ---------------------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_registry_loads_once_per_ttl(repository: FakeDomainRepository) -> None:
    # GIVEN a registry on two domains, trusted for 60 s, with a clock the test moves
    register(repository, "care.link")
    register(repository, "give.link")
    clock = Clock()
    loads: list[float] = []

    def load() -> list[ShortDomain]:
        loads.append(clock.now)
        return repository.list_all()

    registry = DomainRegistry(load, ttl_seconds=60, clock=clock)

    # WHEN it is consulted many times within the ttl
    assert registry.hosts() == {"care.link", "give.link"}
    assert registry.default() == repository.domains["care.link"]
    assert registry.get("give.link") == repository.domains["give.link"]
    register(repository, "vote.link")
    clock.now += 59.9
    assert registry.get("vote.link") is None  # not yet seen: the copy is trusted for the ttl

    # THEN it loaded once; after the ttl it loads again and sees the change
    assert loads == [1000.0]
    clock.now += 0.1
    assert registry.get("vote.link") == repository.domains["vote.link"]
    assert loads == [1000.0, 1060.0]


def test_a_refresh_makes_the_next_lookup_load() -> None:
    loads = 0

    def load() -> list[ShortDomain]:
        nonlocal loads
        loads += 1
        return []

    registry = DomainRegistry(load, ttl_seconds=3600, clock=Clock())

    assert registry.is_empty()
    registry.refresh()
    assert registry.is_empty()
    assert loads == 2
