"""``make run`` against a DynamoDB that refuses or hangs: the local server gives up within seconds, in one line.

``python -m local`` turns an ``OSError`` from ``bind()`` into its one-line exit message, so ``bind()`` must raise
one (or a ``RuntimeError``, or exit) that names the endpoint, rather than retry for minutes.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest

from local.dynamodb import EmbeddedDynamoDB
from local.server import LocalServer
from tests.faults.proxy import FaultProxy, Mode

GIVES_UP_WITHIN_S = 10.0
WAIT_AT_MOST_S = GIVES_UP_WITHIN_S + 2.0  # then the test stops waiting, and reports bind() as still running


@dataclass
class Outcome:
    error: BaseException | None = None
    returned: bool = False
    elapsed: float = 0.0


def bind_with_deadline(server: LocalServer, wait: float) -> Outcome | None:
    """Run ``server.bind()`` in a thread; its outcome, or ``None`` when it was still running after ``wait``."""
    outcome = Outcome()

    def bind() -> None:
        started = time.monotonic()
        try:
            server.bind()
            outcome.returned = True
        except BaseException as exc:  # SystemExit included: whatever bind() gives up with is the result
            outcome.error = exc
        finally:
            outcome.elapsed = time.monotonic() - started

    thread = threading.Thread(target=bind, name="local-server-bind", daemon=True)
    thread.start()
    thread.join(timeout=wait)
    if thread.is_alive():
        return None
    if outcome.returned:
        server.stop()
    return outcome


@pytest.mark.parametrize("fault", [Mode.REFUSE, Mode.HANG], ids=["refuse", "hang"])
def test_bind_gives_up_within_seconds_in_one_line_naming_the_endpoint(
    embedded_dynamodb: EmbeddedDynamoDB, fault: Mode
) -> None:
    # GIVEN a DynamoDB endpoint that refuses connections, or accepts them and never answers
    with FaultProxy(embedded_dynamodb.endpoint, mode=fault) as proxy:
        server = LocalServer(port=0, dynamodb_endpoint=proxy.url, table_name=f"startup-{fault.value}")

        # WHEN the local server starts against it
        outcome = bind_with_deadline(server, WAIT_AT_MOST_S)
        # (a bind() still running is left to fail against the stopped proxy: refused, so it ends soon after)

    # THEN bind() fails within seconds with a one-line error that says which endpoint did not answer
    assert outcome is not None, f"bind() was still running after {WAIT_AT_MOST_S} s"
    message = str(outcome.error)
    observed = {
        "raised": isinstance(outcome.error, (OSError, RuntimeError, SystemExit)),
        "within_seconds": outcome.elapsed < GIVES_UP_WITHIN_S,
        "one_line": bool(message) and "\n" not in message,
        "names_endpoint": proxy.url.removeprefix("http://") in message,
    }
    expected = dict.fromkeys(observed, True)
    assert observed == expected, f"{type(outcome.error).__name__} after {outcome.elapsed:.1f} s: {message!r}"
