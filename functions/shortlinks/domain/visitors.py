"""Unique visitors without keeping anyone's IP address: a daily secret, and an id that cannot outlive it.

A visitor id is a truncated HMAC of (source address, user agent, short domain) under the secret of the day. The
secret is random, kept in the table, and deleted 48 hours after its day began, so once it is gone nobody (us
included) can tell which address an old id stood for, or link a visitor's days together. The redirect reads the
day's secret at most once per container per day, and never on a read of its own when it can help it: it comes with
the container's first link read of the day (``TargetsWithSecret``: one ``BatchGetItem``). An id is then a hash per
request, no read and no write.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import date, datetime
from typing import Protocol

from shortlinks.domain.errors import StorageUnavailable
from shortlinks.domain.target import Target

VISITOR_ID_HEX = 16  # 64 bits: collisions among one link's visitors of a day are negligible
RETRY_SECONDS = 60.0  # after a failed read, how long the redirect goes on without ids before asking again


def visitor_id(secret: bytes, source_ip: str, user_agent: str, domain: str) -> str:
    """The visitor's id for the day of ``secret``."""
    message = "\n".join((source_ip, user_agent, domain)).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:VISITOR_ID_HEX]


class DailySecret:
    """The day's secret as one container holds it: loaded when the day changes, at most once (or once a minute
    while the store fails, answering ``None`` meanwhile: a click without a visitor id is still a click).

    A plain class, as are the redirect's other holders: a dataclass costs its cold start a generated class."""

    def __init__(self, load: Callable[[date], bytes], clock: Callable[[], float]) -> None:
        self.load, self.clock = load, clock
        self._day: date | None = None
        self._secret: bytes | None = None
        self._failed_at: float | None = None

    def forget(self) -> None:
        """Hold nothing, as a new container does."""
        self._day, self._secret, self._failed_at = None, None, None

    def wanted(self, now: datetime) -> date | None:
        """The day whose secret the next read should bring along: ``None`` when it is held, or was asked for less
        than ``RETRY_SECONDS`` ago without success."""
        day = now.date()
        if day == self._day:
            return None
        if self._failed_at is not None and self.clock() - self._failed_at < RETRY_SECONDS:
            return None
        return day

    def offer(self, day: date, secret: bytes | None) -> None:
        """The secret of ``day`` as another read brought it; ``None`` when the table has none yet (``for_moment``
        then creates it through ``load``)."""
        if secret is not None:
            self._day, self._secret, self._failed_at = day, secret, None

    def for_moment(self, now: datetime) -> bytes | None:
        day = self.wanted(now)
        if day is None:  # held, or asked for less than RETRY_SECONDS ago without success
            return self._secret if self._day == now.date() else None
        try:
            secret = self.load(day)
        except StorageUnavailable:
            self._failed_at = self.clock()
            return None
        self._day, self._secret, self._failed_at = day, secret, None
        return secret


class TargetAndSecretReader(Protocol):
    def get_target(self, domain: str, code: str) -> Target | None: ...

    def get_target_and_secret(self, domain: str, code: str, day: date) -> tuple[Target | None, bytes | None]:
        """The link's target and ``day``'s visitor secret (either ``None`` when absent), in one read."""


class TargetsWithSecret:
    """A ``TargetSource`` whose read brings the day's visitor secret along while the container lacks it: one
    ``BatchGetItem`` instead of a ``GetItem`` and a read of the secret of its own (at cold start, and once a day)."""

    def __init__(self, reader: TargetAndSecretReader, secret: DailySecret, now: Callable[[], datetime]) -> None:
        self.reader, self.secret, self.now = reader, secret, now

    def get_target(self, domain: str, code: str) -> Target | None:
        day = self.secret.wanted(self.now())
        if day is None:
            return self.reader.get_target(domain, code)
        target, secret = self.reader.get_target_and_secret(domain, code, day)
        self.secret.offer(day, secret)
        return target
