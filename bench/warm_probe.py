"""Warm invocations in a Lambda-like interpreter: ``python -S -m bench.warm_probe <name> <module> <event.json>``.

Imports the handler, answers its DynamoDB calls in-process, sends its logs where Lambda's would go (a pipe we
discard), and prints one JSON line: microseconds per invocation, DynamoDB calls of one request, log bytes.
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
from typing import Any

from bench.canned import answer_in_process
from bench.coldstart_probe import Context, status_of

ITERATIONS = 2000
REPEATS = 7
WARMUP = 50


def _client_of(name: str, module: Any) -> Any:
    if name == "baseline":
        return module._client
    return module.repository._item._get_connection().connection.client


def _clients_of(name: str, module: Any) -> list[Any]:
    """Every botocore client the handler module holds (create has a rate limiter beside its repository)."""
    clients = [_client_of(name, module)]
    limiter = getattr(module, "rate_limiter", None)
    if limiter is not None:
        clients.append(limiter._item._get_connection().connection.client)
    return list({id(client): client for client in clients}.values())  # shared clients are answered once


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
    module = importlib.import_module(module_name)
    counters = [answer_in_process(client, answers) for client in _clients_of(name, module)]
    # The module's init tried to read the domain registry before DynamoDB was answered here; read it now, as init
    # does in Lambda, so the request counted below is a warm request and not the registry's load.
    domains = getattr(module, "domains", None)
    if domains is not None:
        domains.load()
    context = Context()

    captured = io.StringIO()
    _redirect_logs(captured)
    with contextlib.redirect_stdout(captured):
        for counter in counters:
            counter.clear()
        response = module.lambda_handler(event, context)
        one_request_calls: dict[str, int] = {}
        for counter in counters:
            for operation, count in counter.items():
                one_request_calls[operation] = one_request_calls.get(operation, 0) + count
        log_bytes = len(captured.getvalue().encode())

    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        _redirect_logs(sink)
        for _ in range(WARMUP):
            module.lambda_handler(event, context)
        batches = []
        for _ in range(REPEATS):
            gc.collect()
            started = time.perf_counter()
            for _ in range(ITERATIONS):
                module.lambda_handler(event, context)
            batches.append((time.perf_counter() - started) / ITERATIONS * 1e6)
    print(
        json.dumps(
            {
                "status": status_of(response),
                "us_per_invocation": statistics.median(batches),
                "calls": one_request_calls,
                "log_bytes": log_bytes,
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:5])
