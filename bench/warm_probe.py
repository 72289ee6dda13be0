"""Warm invocations in a Lambda-like interpreter: ``python -S -m bench.warm_probe <name> <module> <event.json>
<answers.json>``.

Every DynamoDB client the function creates answers in-process from its very first call (bench.canned), so the
module's init (the domain registry, the redirect's visitor secret) runs as it does in Lambda, and its calls are
counted apart from the requests'. The function's logs go where Lambda's would (a pipe we discard). Prints one JSON
line: microseconds per invocation; DynamoDB calls at init, of one request, and over the whole timed run; the items
that request put; its log bytes and lines.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import io
import json
import logging
import os
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bench.canned import answer_in_process
from bench.coldstart_probe import Context, status_of

if TYPE_CHECKING:
    from shortlinks.web.hosts import ShortDomains

ITERATIONS = 2000
REPEATS = 7
WARMUP = 50
# An answer named "GetItem <pk>" answers the GetItems of that partition key (the visitor secret is not a link);
# bench.canned answers every other call by its operation alone.
KEYED_GET_ITEM = "GetItem "
VISITOR_SECRET_ANSWER = KEYED_GET_ITEM + "SECRET#visitor"


def _answer_every_client(answers: dict[str, Any], written: list[dict[str, Any]]) -> list[Counter[str]]:
    """From here on, each DynamoDB client botocore creates answers in-process from its first call, and appends the
    item of each ``PutItem`` to ``written`` (what a write costs depends on the item). Returns the clients' live call
    counters."""
    import botocore.session

    counters: list[Counter[str]] = []

    def record_put(params: dict[str, Any], **_: Any) -> None:
        written.append(json.loads(params["body"])["Item"])

    answering_now = dict(answers)  # what bench.canned answers from: its GetItem answer follows the key asked for
    create_client = botocore.session.Session.create_client

    def answering(self: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
        client = create_client(self, service_name, *args, **kwargs)
        if service_name == "dynamodb":
            _answer_get_items_by_key(client, answers, answering_now)
            client.meta.events.register("before-call.dynamodb.PutItem", record_put)
            counters.append(answer_in_process(client, answering_now))
        return client

    botocore.session.Session.create_client = answering  # type: ignore[method-assign]
    return counters


def _answer_get_items_by_key(client: Any, answers: dict[str, Any], answering_now: dict[str, Any]) -> None:
    """Before bench.canned answers a GetItem, point its answer at the keyed one when the request names that key, else
    at ``GetItem``'s: a substring test of the serialised request, under a microsecond per GetItem, which the bare
    baseline handler pays alike."""
    keyed = [
        (json.dumps(name.removeprefix(KEYED_GET_ITEM)).encode(), name)
        for name in answers
        if name.startswith(KEYED_GET_ITEM)
    ]

    def choose(params: dict[str, Any], **_: Any) -> None:
        body = params.get("body", b"")
        name = next((name for key, name in keyed if key in body), "GetItem")
        answering_now["GetItem"] = answers.get(name, {})

    if keyed:
        client.meta.events.register("before-call.dynamodb.GetItem", choose)


def _drain(counters: list[Counter[str]]) -> dict[str, int]:
    """The calls counted since the last drain, summed over the clients."""
    calls: Counter[str] = Counter()
    for counter in counters:
        calls.update(counter)
        counter.clear()
    return dict(calls)


def _first_start_of_the_day(module: Any, answers: dict[str, Any], counters: list[Counter[str]]) -> dict[str, int]:
    """What the redirect's init asks DynamoDB on the day's first cold start anywhere, when the day's visitor secret
    is not in the table yet (it creates it). Run on a fresh copy of the module's ``daily_secret``, which keeps its
    own. ``{}`` for a function without one."""
    daily_secret = getattr(module, "daily_secret", None)
    if daily_secret is None or VISITOR_SECRET_ANSWER not in answers:
        return {}
    stored = answers[VISITOR_SECRET_ANSWER]
    answers[VISITOR_SECRET_ANSWER] = {}  # no such item
    try:
        fresh = type(daily_secret)(load=daily_secret.load, clock=daily_secret.clock)  # holding no day yet
        if fresh.for_moment(datetime.now(UTC)) is None:
            raise SystemExit("the day's visitor secret was not created")
    finally:
        answers[VISITOR_SECRET_ANSWER] = stored
    return _drain(counters)


def _redirect_logs(stream: Any) -> None:
    """Point every logging handler that writes to a stream (Powertools' JSON logger) at ``stream``."""
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        for handler in getattr(logger, "handlers", []):
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(stream)


def main(name: str, module_name: str, event_path: str, answers_path: str) -> None:
    with open(event_path, encoding="utf-8") as handle:
        event = json.load(handle)
    with open(answers_path, encoding="utf-8") as handle:
        answers = json.load(handle)
    written: list[dict[str, Any]] = []
    counters = _answer_every_client(answers, written)
    with contextlib.redirect_stdout(io.StringIO()):
        module = importlib.import_module(module_name)  # Lambda's init, against a table that answers
    init_calls = _drain(counters)
    first_start_calls = _first_start_of_the_day(module, answers, counters)
    # The counted request is a warm one: a function that reads the domain registry on its first request rather than
    # at init (create, expand, links) has it read now, uncounted (a no-op for the redirect, whose init read it).
    domains: ShortDomains | None = getattr(module, "domains", None)  # typed, so mypy holds the call to the class
    if domains is not None:
        domains.of_request(event["headers"]["host"])  # reads the registry when the container holds none
    _drain(counters)
    written.clear()
    context = Context()

    captured = io.StringIO()
    _redirect_logs(captured)
    with contextlib.redirect_stdout(captured):
        response = module.lambda_handler(event, context)
        one_request_calls = _drain(counters)
        written_items = list(written)
        log_bytes = len(captured.getvalue().encode())
        log_lines = captured.getvalue().count("\n")

    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        _redirect_logs(sink)
        for _ in range(WARMUP):
            module.lambda_handler(event, context)
        _drain(counters)
        batches = []
        for _ in range(REPEATS):
            gc.collect()
            started = time.perf_counter()
            for _ in range(ITERATIONS):
                module.lambda_handler(event, context)
            batches.append((time.perf_counter() - started) / ITERATIONS * 1e6)
        run_calls = _drain(counters)
    print(
        json.dumps(
            {
                "status": status_of(response),
                "us_per_invocation": statistics.median(batches),
                "init_calls": init_calls,
                "first_start_of_the_day_calls": first_start_calls,
                "calls": one_request_calls,
                "run_calls": run_calls,
                "run_invocations": REPEATS * ITERATIONS,
                "log_bytes": log_bytes,
                "log_lines": log_lines,
                "written_items": written_items,
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:5])
