"""One cold start, in a fresh interpreter: import a handler module (Lambda's init) and serve its first request.

Run by bench.coldstart, never by hand: ``python -S -m bench.coldstart_probe <module> <event.json>`` with only
the function's own package (and the stdlib) importable, as in Lambda. Prints one JSON line.
"""

from __future__ import annotations

import time

_STARTED = time.perf_counter()

import contextlib  # noqa: E402 - measured from the very first line
import importlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402


class Context:
    """The parts of a Lambda context that Powertools reads."""

    function_name = "bench"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    memory_limit_in_mb = 256
    aws_request_id = "bench-request"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 5000


def status_of(response: dict[str, Any]) -> int:
    """An HTTP status, or for the authorizer 200 when it recognised the bench key and 401 otherwise."""
    if "isAuthorized" in response:
        recognised = response["isAuthorized"] and response.get("context", {}).get("auth") == "key"
        return 200 if recognised else 401
    return int(response["statusCode"])


def main(module_name: str, event_path: str) -> None:
    with open(event_path, encoding="utf-8") as handle:
        event = json.load(handle)
    setup_done = time.perf_counter()
    module = importlib.import_module(module_name)
    imported = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # the function's logs are not the probe's output
        response = module.lambda_handler(event, Context())
    served = time.perf_counter()
    modules = sorted({m.split(".")[0] for m in sys.modules})
    print(
        json.dumps(
            {
                "module": module_name,
                "status": status_of(response),
                "init_ms": (imported - setup_done) * 1000,
                "first_request_ms": (served - imported) * 1000,
                "total_ms": (served - setup_done) * 1000,
                "interpreter_ms": (setup_done - _STARTED) * 1000,
                "modules": modules,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
