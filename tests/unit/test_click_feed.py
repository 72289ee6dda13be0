"""The local server's stand-in for the log subscription (local/click_feed.py): batches of click records, in the
event shape CloudWatch Logs delivers, at most a second late."""

from __future__ import annotations

import base64
import gzip
import io
import json
import sys
import time
from typing import Any

import pytest

from local.click_feed import ClickFeed, awslogs_event
from shortlinks.domain import click_format
from shortlinks.domain.clicks import parse_click

UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"


def decode(event: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    return payload


def test_the_event_is_what_a_subscription_filter_delivers() -> None:
    event = awslogs_event([(1796040000123, '{"record":"click","code":"a"}')], first_id=7)
    payload = decode(event)
    assert payload["messageType"] == "DATA_MESSAGE"
    assert payload["logEvents"] == [
        {"id": f"{7:056d}", "timestamp": 1796040000123, "message": '{"record":"click","code":"a"}'}
    ]


def test_click_records_are_picked_out_of_stdout_and_everything_still_reaches_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a feed on a stdout of our own
    terminal = io.StringIO()
    monkeypatch.setattr(sys, "stdout", terminal)
    delivered: list[dict[str, Any]] = []
    feed = ClickFeed(delivered.append, flush_seconds=60)
    feed.start()
    try:
        # WHEN the redirect writes click records among other lines (one of them in two writes)
        sys.stdout.write('{"record":"click","code":"a"}\n')
        sys.stdout.write('{"level":"INFO","message":"not a click"}\n')
        sys.stdout.write('{"record":"click",')
        sys.stdout.write('"code":"b"}\n')
        feed.flush()
    finally:
        feed.stop()
    # THEN one batch holds exactly the click records, with distinct ids, and the terminal saw every line
    [event] = delivered
    messages = [log_event["message"] for log_event in decode(event)["logEvents"]]
    assert messages == ['{"record":"click","code":"a"}', '{"record":"click","code":"b"}']
    assert len({log_event["id"] for log_event in decode(event)["logEvents"]}) == 2
    assert terminal.getvalue().count("\n") == 3
    assert sys.stdout is terminal


def test_each_click_format_is_picked_out_with_the_moment_it_was_written(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a feed on a stdout of our own
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    delivered: list[dict[str, Any]] = []
    feed = ClickFeed(delivered.append, flush_seconds=60)
    feed.start()
    try:
        # WHEN the redirect writes a format 4 record (no time of its own, its agent encoded), and older versions a
        # format 3 and a format 2 one
        before = time.time() * 1000
        sys.stdout.write(click_format.line({click_format.CODE: "a", click_format.DOMAIN: "sho.rt", "s": 302, "ua": UA}))
        sys.stdout.write('{"click":3,"c":"c","d":"sho.rt","s":302}\n')
        sys.stdout.write('{"click":2,"t":1796040000.123,"id":"r","m":"GET","c":"b","d":"sho.rt","s":302}\n')
        after = time.time() * 1000
        feed.flush()
    finally:
        feed.stop()

    # THEN all reach the aggregator as written, each log event stamped when it was written (a format 4 or 3
    # record's time), and the aggregator reads the agent as the redirect received it
    [event] = delivered
    log_events = decode(event)["logEvents"]
    assert [json.loads(log_event["message"])["c"] for log_event in log_events] == ["a", "c", "b"]
    assert log_events[0]["message"] + "\n" == click_format.line({"c": "a", "d": "sho.rt", "s": 302, "ua": UA})
    record = parse_click(log_events[0]["message"], log_events[0]["timestamp"])
    assert record is not None
    assert record.user_agent == UA
    assert all(before - 1 <= log_event["timestamp"] <= after + 1 for log_event in log_events)


def test_batches_go_out_at_least_once_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    delivered: list[dict[str, Any]] = []
    feed = ClickFeed(delivered.append, flush_seconds=0.2)
    feed.start()
    try:
        sys.stdout.write('{"record":"click","code":"a"}\n')
        deadline = time.monotonic() + 2
        while not delivered and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        feed.stop()
    assert len(delivered) == 1


def test_a_failing_aggregator_does_not_stop_the_feed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    calls: list[int] = []

    def fail(event: dict[str, Any]) -> None:
        calls.append(1)
        raise RuntimeError("aggregator down")

    feed = ClickFeed(fail, flush_seconds=60)
    feed.start()
    try:
        sys.stdout.write('{"record":"click","code":"a"}\n')
        feed.flush()
        sys.stdout.write('{"record":"click","code":"b"}\n')
        feed.flush()
    finally:
        feed.stop()
    assert len(calls) == 2
    assert feed.delivered == 0
