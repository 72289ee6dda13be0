"""The redirect's hot-link cache: what one container recently read, trusted for a few seconds.

A link posted by a large account is followed tens of thousands of times a second, all on one DynamoDB item (one
partition serves at most 3,000 read units a second). Each redirect container keeps what it read for
``ttl_seconds``, so a viral link costs about one read per container per ``ttl_seconds`` whatever the traffic.

* The cache holds the ``Target`` as read, never a decision: whether it may be followed (state, ``expires_at``) is
  decided at serve time, so an expiry is honoured to the second even on a hit. A ``PATCH``, disable or delete
  reaches a container at most ``ttl_seconds`` after it was written.
* A code that is not there is remembered too, for the shorter ``miss_ttl_seconds``, in a pool of its own that is
  a tenth of the size: a scan of random codes evicts other misses, never a hot link.
* Both pools are least recently used first out, so memory stays bounded (``max_entries`` targets of at most a few
  kilobytes each).

Pure Python: the clock is injected (``time.monotonic`` in the function, a fake in the tests).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from shortlinks.domain.resolve import TargetSource
from shortlinks.domain.target import Target

MISS_POOL_SHARE = 10  # misses get a pool of max_entries // 10 (at least one entry)

Key = tuple[str, str]  # (short domain, code)


class _Absent:
    """The type of ``ABSENT``: a code read and not found (``None`` means "not in the cache")."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()


class _Pool[V]:
    """Entries that expire ``ttl`` seconds after they were stored, at most ``size`` of them, LRU first out."""

    def __init__(self, ttl: float, size: int) -> None:
        self.ttl, self.size = ttl, size
        self.entries: OrderedDict[Key, tuple[float, V]] = OrderedDict()

    def get(self, key: Key, now: float) -> V | None:
        held = self.entries.get(key)
        if held is None:
            return None
        stored_at, value = held
        if now - stored_at >= self.ttl:
            del self.entries[key]
            return None
        self.entries.move_to_end(key)
        return value

    def put(self, key: Key, value: V, now: float) -> None:
        if self.ttl <= 0 or self.size <= 0:
            return
        self.entries[key] = (now, value)
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)


class TargetCache:
    """Targets and misses by (domain, code), as one container read them."""

    def __init__(
        self,
        *,
        ttl_seconds: float,
        miss_ttl_seconds: float,
        max_entries: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock  # public: a test moves it
        self._targets: _Pool[Target] = _Pool(ttl_seconds, max_entries)
        # A miss is never trusted longer than a hit: a link created a moment ago must not stay 404 longer than a
        # changed one stays stale.
        miss_entries = max(1, max_entries // MISS_POOL_SHARE) if max_entries > 0 else 0
        self._misses: _Pool[_Absent] = _Pool(min(miss_ttl_seconds, ttl_seconds), miss_entries)

    def get(self, domain: str, code: str) -> Target | _Absent | None:
        """The target held for the code, ``ABSENT`` when it was read and not found, ``None`` when nothing fresh is
        held (read it)."""
        now = self.clock()
        key = (domain, code)
        return self._targets.get(key, now) or self._misses.get(key, now)

    def put(self, domain: str, code: str, target: Target | None) -> None:
        """Remember what a read found: the target, or (``None``) that there is none."""
        key, now = (domain, code), self.clock()
        if target is None:
            self._misses.put(key, ABSENT, now)
        else:
            self._misses.entries.pop(key, None)
            self._targets.put(key, target, now)

    def clear(self) -> None:
        self._targets.entries.clear()
        self._misses.entries.clear()

    def __len__(self) -> int:
        return len(self._targets.entries) + len(self._misses.entries)


class CachedTargets:
    """A ``TargetSource`` that asks ``source`` only for what ``cache`` does not hold fresh."""

    def __init__(self, source: TargetSource, cache: TargetCache) -> None:
        self._source, self.cache = source, cache

    def get_target(self, domain: str, code: str) -> Target | None:
        held = self.cache.get(domain, code)
        if isinstance(held, Target):
            return held
        if held is ABSENT:
            return None
        target = self._source.get_target(domain, code)
        self.cache.put(domain, code, target)
        return target
