"""Warm per-invocation overhead and DynamoDB requests per operation, with DynamoDB answered in-process.

Each function runs in its own Lambda-like interpreter (bench.warm_probe) with only its package importable. Its
init runs against the same in-process answers, so what it reads at cold start (the domain registry, the redirect's
visitor secret) is loaded as in Lambda, and counted apart from the requests.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.coldstart import lambda_like_environment
from bench.fixtures import BENCH_TABLE, HANDLERS, event_for, key_item, link_item, run_probe, visitor_secret_item
from bench.warm_probe import VISITOR_SECRET_ANSWER

BUDGET_REDIRECT = 1.3  # issue 13: the warm redirect within 1.30x the bare handler
_ANSWERS: dict[str, dict[str, Any]] = {
    "GetItem": {"Item": link_item()},
    "PutItem": {},
    # pynamodb's update asks for ALL_NEW: a rate counter after one hit.
    "UpdateItem": {"Attributes": {"pk": {"S": "RATE#bench"}, "sk": {"S": "0"}, "hits": {"N": "1"}}},
    "Query": {"Items": [], "Count": 0, "ScannedCount": 0},
}
# The redirect reads nothing at init: its first read of the day is one BatchGetItem of the link and the day's secret.
_BATCH_ANSWER = {"Responses": {BENCH_TABLE: [link_item(), visitor_secret_item()]}, "UnprocessedKeys": {}}
# Timed with the hot-link cache off: each request then makes the read a cache miss makes (with the cache on, a warm
# container's requests read nothing; bench/hotlinks.py models that).
_WARM_ENVIRONMENT = {"REDIRECT_CACHE_SECONDS": "0", "REDIRECT_MISS_CACHE_SECONDS": "0"}
# The authorizer reads a key record, not a link.
_KEY_ANSWERS: dict[str, dict[str, Any]] = {"GetItem": {"Item": key_item()}, "UpdateItem": {"Attributes": key_item()}}


@dataclass
class Warm:
    function: str
    us_per_invocation: float
    calls: Counter[str]  # of one request
    log_bytes: int  # what the function's code wrote on one request (its click record, EMF line, log lines)
    log_lines: int
    written_items: list[dict[str, Any]]  # the items one request put (PutItem), in DynamoDB's JSON form
    init_calls: Counter[str]  # at cold start (the module's import)
    first_start_of_the_day_calls: Counter[str]  # the redirect's init when the day's visitor secret is new
    run_calls: Counter[str]  # over the whole timed run, warm-up excluded
    run_invocations: int


def measure(functions: tuple[str, ...] = tuple(HANDLERS)) -> dict[str, Warm]:
    results = {}
    # Every function may read the day's visitor secret (only the redirect does, at init).
    secret = {VISITOR_SECRET_ANSWER: {"Item": visitor_secret_item()}}
    with tempfile.TemporaryDirectory() as scratch:
        link_answers = Path(scratch) / "answers.json"
        link_answers.write_text(json.dumps(_ANSWERS | secret | {"BatchGetItem": _BATCH_ANSWER}), encoding="utf-8")
        key_answers = Path(scratch) / "key-answers.json"
        key_answers.write_text(json.dumps(_KEY_ANSWERS | secret), encoding="utf-8")
        for name in functions:
            module = HANDLERS[name]
            answers = key_answers if name == "authorizer" else link_answers
            event = Path(scratch) / f"{name}.json"
            event.write_text(json.dumps(event_for(name)), encoding="utf-8")
            outcome = run_probe(
                "bench.warm_probe",
                [name, module, str(event), str(answers)],
                lambda_like_environment(name, "http://dynamodb.invalid") | _WARM_ENVIRONMENT,
            )
            if outcome["status"] >= 400:
                raise RuntimeError(f"warm probe for {name} answered {outcome['status']}")
            results[name] = Warm(
                name,
                outcome["us_per_invocation"],
                Counter(outcome["calls"]),
                outcome["log_bytes"],
                outcome["log_lines"],
                outcome["written_items"],
                Counter(outcome["init_calls"]),
                Counter(outcome["first_start_of_the_day_calls"]),
                Counter(outcome["run_calls"]),
                outcome["run_invocations"],
            )
    return results
