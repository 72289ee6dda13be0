"""The redirect's hot-link cache (domain/hot_links.py): a fake clock, a fake repository, no sockets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shortlinks.domain.errors import LinkDisabled, LinkExpired, LinkNotFound
from shortlinks.domain.hot_links import ABSENT, CachedTargets, TargetCache
from shortlinks.domain.resolve import resolve_target
from shortlinks.domain.target import LinkState, Target
from tests.fake_clock import FakeClock

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DOMAIN = "sho.rt"


class FakeTargets:
    """The table as the redirect reads it: targets by code, and how many reads were made."""

    def __init__(self, targets: dict[str, Target]) -> None:
        self.targets, self.reads = targets, 0

    def get_target(self, domain: str, code: str) -> Target | None:
        self.reads += 1
        return self.targets.get(code) if domain == DOMAIN else None


def target(url: str = "https://example.org/a", *, expires_at: datetime | None = None) -> Target:
    return Target(url=url, expires_at=expires_at)


def cached(
    targets: dict[str, Target], clock: FakeClock, *, ttl: float = 5, miss_ttl: float = 1, entries: int = 100
) -> tuple[CachedTargets, FakeTargets]:
    table = FakeTargets(targets)
    cache = TargetCache(ttl_seconds=ttl, miss_ttl_seconds=miss_ttl, max_entries=entries, clock=clock)
    return CachedTargets(table, cache), table


def test_a_hit_reads_nothing_until_the_ttl_has_passed() -> None:
    # GIVEN a link read once by a container whose cache keeps links 5 seconds
    clock = FakeClock()
    targets, repository = cached({"AbC1234": target()}, clock)
    first = resolve_target(targets, DOMAIN, "AbC1234", NOW)

    # WHEN it is followed again within the 5 seconds, and once more after them
    clock.advance(4.9)
    again = resolve_target(targets, DOMAIN, "AbC1234", NOW)
    reads_within = repository.reads
    clock.advance(0.1)
    resolve_target(targets, DOMAIN, "AbC1234", NOW)

    # THEN the second answer came from the cache, the third from the table
    assert again == first
    assert reads_within == 1
    assert repository.reads == 2


def test_a_change_reaches_the_container_within_the_ttl() -> None:
    # GIVEN a followed link, then disabled in the table
    clock = FakeClock()
    targets, repository = cached({"AbC1234": target()}, clock)
    resolve_target(targets, DOMAIN, "AbC1234", NOW)
    repository.targets["AbC1234"] = Target(url="https://example.org/a", state=LinkState.DISABLED)

    # WHEN it is followed before and after the TTL
    stale = resolve_target(targets, DOMAIN, "AbC1234", NOW)
    clock.advance(5)

    # THEN the container redirects until its copy expires, and refuses after
    assert stale.url == "https://example.org/a"
    with pytest.raises(LinkDisabled):
        resolve_target(targets, DOMAIN, "AbC1234", NOW)


def test_an_expiry_is_decided_when_served_not_when_cached() -> None:
    # GIVEN a link that expires one second after it was read into the cache
    clock = FakeClock()
    targets, repository = cached({"AbC1234": target(expires_at=NOW + timedelta(seconds=1))}, clock)
    resolve_target(targets, DOMAIN, "AbC1234", NOW)

    # WHEN it is followed two seconds later, still within the cache's TTL
    clock.advance(2)

    # THEN it has expired, though nothing was read again
    with pytest.raises(LinkExpired):
        resolve_target(targets, DOMAIN, "AbC1234", NOW + timedelta(seconds=2))
    assert repository.reads == 1


def test_a_miss_is_remembered_for_the_shorter_miss_ttl() -> None:
    # GIVEN a code that is not there, asked for once
    clock = FakeClock()
    targets, repository = cached({}, clock, ttl=5, miss_ttl=1)
    with pytest.raises(LinkNotFound):
        resolve_target(targets, DOMAIN, "Nope123", NOW)

    # WHEN it is created, and asked for within the miss TTL and after it
    repository.targets["Nope123"] = target()
    with pytest.raises(LinkNotFound):
        resolve_target(targets, DOMAIN, "Nope123", NOW)
    clock.advance(1)

    # THEN the new link is found one miss TTL later, not one link TTL later
    assert resolve_target(targets, DOMAIN, "Nope123", NOW).url == "https://example.org/a"
    assert repository.reads == 2


def test_a_miss_never_outlives_a_hit() -> None:
    cache = TargetCache(ttl_seconds=2, miss_ttl_seconds=30, max_entries=10, clock=(clock := FakeClock()))
    cache.put(DOMAIN, "Nope123", None)

    clock.advance(2)

    assert cache.get(DOMAIN, "Nope123") is None


def test_a_scan_of_random_codes_evicts_misses_never_a_hot_link() -> None:
    # GIVEN a cache of 100 entries holding a hot link (a pool of 10 for misses)
    clock = FakeClock()
    targets, _ = cached({"Hot1234": target()}, clock, entries=100)
    resolve_target(targets, DOMAIN, "Hot1234", NOW)

    # WHEN a scanner asks for a thousand codes that do not exist
    for number in range(1000):
        with pytest.raises(LinkNotFound):
            resolve_target(targets, DOMAIN, f"Scan{number:03d}", NOW)

    # THEN the hot link is still held, and the misses take at most their pool
    assert targets.cache.get(DOMAIN, "Hot1234") == target()
    assert len(targets.cache) == 1 + 10


def test_the_least_recently_used_link_leaves_first() -> None:
    cache = TargetCache(ttl_seconds=60, miss_ttl_seconds=1, max_entries=2, clock=FakeClock())
    cache.put(DOMAIN, "first01", Target(url="https://example.org/1"))
    cache.put(DOMAIN, "second1", Target(url="https://example.org/2"))
    cache.get(DOMAIN, "first01")  # used again: "second1" is now the least recent

    cache.put(DOMAIN, "third01", Target(url="https://example.org/3"))

    assert cache.get(DOMAIN, "second1") is None
    assert cache.get(DOMAIN, "first01") is not None
    assert cache.get(DOMAIN, "third01") is not None


def test_a_found_link_replaces_the_miss_held_for_its_code() -> None:
    cache = TargetCache(ttl_seconds=5, miss_ttl_seconds=1, max_entries=10, clock=FakeClock())
    cache.put(DOMAIN, "AbC1234", None)
    assert cache.get(DOMAIN, "AbC1234") is ABSENT

    cache.put(DOMAIN, "AbC1234", Target(url="https://example.org/a"))

    assert cache.get(DOMAIN, "AbC1234") == Target(url="https://example.org/a")
    assert len(cache) == 1


def test_the_same_code_on_two_domains_is_two_entries() -> None:
    cache = TargetCache(ttl_seconds=5, miss_ttl_seconds=1, max_entries=10, clock=FakeClock())
    cache.put("sho.rt", "AbC1234", Target(url="https://example.org/short"))

    assert cache.get("care.link", "AbC1234") is None


@pytest.mark.parametrize(("ttl", "entries"), [(0, 100), (5, 0)], ids=["ttl 0", "no entries"])
def test_a_ttl_or_size_of_zero_turns_the_cache_off(ttl: float, entries: int) -> None:
    clock = FakeClock()
    targets, repository = cached({"AbC1234": target()}, clock, ttl=ttl, miss_ttl=1, entries=entries)

    for _ in range(3):
        resolve_target(targets, DOMAIN, "AbC1234", NOW)
        with pytest.raises(LinkNotFound):
            resolve_target(targets, DOMAIN, "Nope123", NOW)

    assert repository.reads == 6
    assert len(targets.cache) == 0
