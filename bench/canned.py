"""DynamoDB answered in-process: a ``before-send`` hook returns a canned HTTP response, so botocore still
serialises, signs and parses every call (as it would on AWS) but no socket is opened."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from botocore.awsrequest import AWSResponse


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def answer_in_process(client: Any, answers: dict[str, dict[str, Any]]) -> Counter[str]:
    """Make ``client`` answer each operation in ``answers`` with that JSON body. Returns a live call counter."""
    calls: Counter[str] = Counter()

    def respond(request: Any, **_: Any) -> AWSResponse:
        operation = request.headers["X-Amz-Target"].decode().rpartition(".")[2]
        calls[operation] += 1
        body = json.dumps(answers.get(operation, {})).encode()
        headers: Any = {"content-type": "application/x-amz-json-1.0", "x-amzn-requestid": "bench"}
        return AWSResponse(request.url, 200, headers, _Raw(body))

    client.meta.events.register("before-send.dynamodb", respond)
    return calls


def count_calls(client: Any) -> tuple[Counter[str], Callable[[], None]]:
    """Count every API call ``client`` makes (botocore's before-call event); returns the counter and an undo."""
    calls: Counter[str] = Counter()

    def record(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    client.meta.events.register("before-call.dynamodb", record)
    return calls, lambda: client.meta.events.unregister("before-call.dynamodb", record)
