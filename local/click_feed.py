"""What CloudWatch Logs does for the analytics pipeline, done in the local server's process.

In AWS, the redirect writes one click record per request to its log group, and a subscription filter
(``{ $.click >= 2 }``, or a format 1 record's ``{ $.record = "click" }``) delivers batches of them to the aggregator
as ``{"awslogs": {"data": ...}}`` events
(base64 of gzip of JSON). Locally, ``ClickFeed`` sits on the process's stdout: every line the redirect writes still
reaches the terminal unchanged, and each click record is also queued; a thread delivers the queue to the aggregator
at least once a second, in the very event shape the subscription sends, through the same ``LocalFunction.invoke``.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

log = logging.getLogger("local")

# How a click record's line begins (domain/click_format.py writes the marker first), in format 4, 3, 2 and 1. Each
# queued line keeps the moment it was written, the log event's timestamp a format 4 or 3 record's time comes from.
# The line is queued as written (format 4's user agent encoded), as CloudWatch Logs delivers it.
CLICK_PREFIXES = ('{"click":4,', '{"click":3,', '{"click":2,', '{"record":"click"')
FLUSH_SECONDS = 1.0
MAX_BATCH = 10_000  # CloudWatch Logs delivers at most 10,000 log events per subscription event
LOG_GROUP = "/aws/lambda/RedirectFunction"

Deliver = Callable[[dict[str, Any]], Any]


def awslogs_event(messages: list[tuple[int, str]], *, log_group: str = LOG_GROUP, first_id: int = 0) -> dict[str, Any]:
    """The subscription event carrying ``messages`` (``(timestamp ms, line)``), as CloudWatch Logs builds it."""
    payload = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": log_group,
        "logStream": "local",
        "subscriptionFilters": ["clicks"],
        "logEvents": [
            {"id": f"{first_id + index:056d}", "timestamp": timestamp, "message": message}
            for index, (timestamp, message) in enumerate(messages)
        ],
    }
    data = base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()
    return {"awslogs": {"data": data}}


class ClickFeed:
    """Tee stdout, pick out click records, and deliver them in batches to ``deliver`` (the aggregator)."""

    def __init__(self, deliver: Deliver, flush_seconds: float = FLUSH_SECONDS) -> None:
        self._deliver = deliver
        self._flush_seconds = flush_seconds
        self._pending: list[tuple[int, str]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="click-feed", daemon=True)
        self._original: TextIO | None = None
        self._next_id = int(time.time() * 1000) * 1000  # ids increase across batches, as CloudWatch's do
        self.delivered = 0

    def start(self) -> None:
        self._original = sys.stdout
        sys.stdout = _Tee(self._original, self._offer)
        self._thread.start()

    def stop(self) -> None:
        """Deliver what is queued, then put stdout back."""
        self._stopped.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        if self._original is not None and isinstance(sys.stdout, _Tee):
            sys.stdout = self._original

    def flush(self) -> None:
        """Deliver what is queued now (tests; the thread does it at least once a second)."""
        with self._lock:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
        if not batch:
            return
        first_id, self._next_id = self._next_id, self._next_id + len(batch)
        try:
            self._deliver(awslogs_event(batch, first_id=first_id))
            self.delivered += len(batch)
        except Exception:  # the aggregator failed: in AWS the batch goes to the failure queue; here, the log
            log.exception("the aggregator failed on a batch of %d click records; they are dropped", len(batch))

    def _offer(self, line: str) -> None:
        if line.startswith(CLICK_PREFIXES):
            with self._lock:
                self._pending.append((int(time.time() * 1000), line.rstrip("\n")))

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(self._flush_seconds)
            self._wake.clear()
            self.flush()
        self.flush()


class _Tee:
    """A text stream that writes through and hands each complete line to ``on_line``."""

    def __init__(self, inner: TextIO, on_line: Callable[[str], None]) -> None:
        self._inner = inner
        self._on_line = on_line
        self._partial = ""
        self._lock = threading.Lock()  # the server's threads write too

    def write(self, text: str) -> int:
        written = self._inner.write(text)
        with self._lock:
            self._partial += text
            lines = self._partial.split("\n")
            self._partial = lines.pop()
        for line in lines:
            self._on_line(line)
        return written

    def flush(self) -> None:
        self._inner.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
