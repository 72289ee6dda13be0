"""The expander's figures: expanding our own links loads none of the expander, and following another service's link
costs little on top of its HTTP requests.

1. **Own links stay lean.** A fresh Lambda-like interpreter (as in bench.coldstart, the template's environment,
   so ``EXPANDER_ALLOWED_ADDRESSES`` is empty) imports the expand handler and serves an own-link expansion; then
   says which of the expander's modules are loaded, and times what the first third-party URL imports on top.
2. **The third-party path's own overhead.** A one-hop chain (301 -> 200) on a loopback server, expanded N times
   with ``refresh=true`` (no cache) by the handler in a Lambda-like interpreter, its DynamoDB calls (the rate
   counter, the cache write) answered in-process (bench/canned.py); beside it ``follow()`` with the guarded
   fetcher alone (no handler, no storage), and the floor: a bare urllib3 GET of the same two URLs. The three are
   interleaved batch by batch; each figure is the median of the batches.

``python -m bench.expander`` prints this section alone. The module imports only the standard library at its top:
it is also the probe that runs in those fresh interpreters, where every module it loaded would count as the
handler's.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HANDLER = "shortlinks.handlers.expand"
# What only the third-party path needs: none of it may be loaded by an own-link expansion.
EXPANDER_MODULES = (
    "shortlinks.expander",
    "shortlinks.expander.guard",
    "shortlinks.expander.client",
    "shortlinks.expander.third_party",
    "shortlinks.storage.expansions",
    "shortlinks.schemas.expansions",
)
COLD_RUNS = 5
EXPANSIONS = 200  # per batch
BATCHES = 7
WARMUP = 20
START_PATH, END_PATH = "/start", "/end"
# What a third-party expansion asks DynamoDB, answered in-process: its rate counter after one hit, the cache write,
# and the domain registry (none registered: the bench's one short domain).
_DYNAMODB_ANSWERS: dict[str, dict[str, Any]] = {
    "UpdateItem": {"Attributes": {"pk": {"S": "RATE#expand#bench"}, "sk": {"S": "0"}, "hits": {"N": "1"}}},
    "PutItem": {},
    "Query": {"Items": [], "Count": 0, "ScannedCount": 0},
}
PAGE = b"<!doctype html><html><head><title>Landing</title></head><body>Where the link leads</body></html>"


@dataclass
class OwnLinkColdStart:
    import_ms: list[float] = field(default_factory=list)
    first_request_ms: list[float] = field(default_factory=list)
    third_party_import_ms: list[float] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)  # EXPANDER_MODULES loaded by the own-link expansion
    urllib3_loaded: bool = False  # by botocore's own HTTP stack: not the expander's doing
    third_party_modules: list[str] = field(default_factory=list)  # what the first third-party URL imports


@dataclass
class Overhead:
    bare_ms: float
    follow_ms: float
    handler_ms: float
    calls: dict[str, int]  # DynamoDB calls of one third-party expansion
    expansions: int
    batches: int


@dataclass
class ExpanderFigures:
    cold: OwnLinkColdStart
    overhead: Overhead


def measure(expansions: int = EXPANSIONS, batches: int = BATCHES) -> ExpanderFigures:
    """Both figures; starts (and stops) a moto DynamoDB and a one-hop chain on loopback for them."""
    from bench import coldstart

    server, endpoint = coldstart.start_dynamodb()
    try:
        with _one_hop_chain() as origin:
            cold = _own_link_cold_start(endpoint)
            overhead = _overhead(endpoint, origin, expansions, batches)
    finally:
        server.stop()
    return ExpanderFigures(cold, overhead)


def report(figures: ExpanderFigures) -> list[str]:
    """The section of the benchmark report, in Markdown."""
    cold, overhead = figures.cold, figures.overhead
    loaded = ", ".join(f"`{module}`" for module in cold.loaded) or "none"
    lines = [
        "### Expander (own links load none of it; the third-party path over bare urllib3)",
        "",
        f"Own-link expansion in a fresh Lambda-like interpreter (median of {COLD_RUNS}): import "
        f"{statistics.median(cold.import_ms):.1f} ms, first request {statistics.median(cold.first_request_ms):.1f} "
        f"ms. Expander modules loaded: **{loaded}** (of {', '.join(f'`{m}`' for m in EXPANDER_MODULES)}). "
        f"`urllib3` {'is' if cold.urllib3_loaded else 'is not'} loaded, by botocore's own HTTP client, not by the "
        f"expander. The first third-party URL then imports {len(cold.third_party_modules)} modules of ours "
        f"({statistics.median(cold.third_party_import_ms):.1f} ms).",
        "",
        f"Third-party path: a one-hop chain (301 -> 200) on loopback, `refresh=true` (no cache), DynamoDB answered "
        f"in-process; median of {overhead.batches} interleaved batches of {overhead.expansions}:",
        "",
        "| path | ms / expansion | x bare urllib3 |",
        "|---|---:|---:|",
    ]
    rows = (
        ("bare urllib3: GET + GET, no redirects followed", overhead.bare_ms),
        ("`follow()` with the guarded fetcher (guard, client, hop rules)", overhead.follow_ms),
        ("expand handler (event, rate counter, `follow()`, cache write, JSON answer)", overhead.handler_ms),
    )
    for name, ms in rows:
        lines.append(f"| {name} | {ms:.2f} | {ms / overhead.bare_ms:.2f}x |")
    calls = ", ".join(f"{op} x{n}" for op, n in sorted(overhead.calls.items())) or "none"
    lines += ["", f"DynamoDB calls per third-party expansion: {calls}."]
    return lines


# -- the parent's side ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _one_hop_chain() -> Iterator[str]:
    """A loopback server: ``/start`` answers 301 to ``/end``, an HTML page. HTTP/1.0, so every request is a new
    connection, as the expander makes (it never reuses one); yields its origin, ``http://127.0.0.1:<port>``."""
    import socketserver
    from http.server import BaseHTTPRequestHandler

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == START_PATH:
                self.send_response(301)
                self.send_header("Location", f"{origin}{END_PATH}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200 if self.path == END_PATH else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    class Server(socketserver.ThreadingTCPServer):  # not HTTPServer: its getfqdn would look a name up
        daemon_threads = True
        allow_reuse_address = True

    server = Server(("127.0.0.1", 0), Handler)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="one-hop-chain", daemon=True)
    thread.start()
    try:
        yield origin
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def _own_link_cold_start(endpoint: str) -> OwnLinkColdStart:
    from bench.coldstart import lambda_like_environment
    from bench.fixtures import event_for

    result = OwnLinkColdStart()
    env = lambda_like_environment("expand", endpoint)  # the template's: no EXPANDER_ALLOWED_ADDRESSES
    with tempfile.TemporaryDirectory() as scratch:
        event = Path(scratch) / "expand.json"
        event.write_text(json.dumps(event_for("expand")), encoding="utf-8")  # ?code=bench01, one of our links
        for _ in range(COLD_RUNS):
            outcome = _run_probe(["own-link", str(event)], env)
            result.import_ms.append(outcome["import_ms"])
            result.first_request_ms.append(outcome["first_request_ms"])
            result.third_party_import_ms.append(outcome["third_party_import_ms"])
            result.loaded = outcome["loaded"]
            result.urllib3_loaded = outcome["urllib3_loaded"]
            result.third_party_modules = outcome["third_party_modules"]
    return result


def _overhead(endpoint: str, origin: str, expansions: int, batches: int) -> Overhead:
    from urllib.parse import urlencode

    from bench.coldstart import lambda_like_environment
    from bench.fixtures import ADMIN_CONTEXT, event_for

    start = f"{origin}{START_PATH}"
    event = event_for("expand")
    parameters = {"url": start, "refresh": "true"}  # refresh: a key holder's, so the chain is followed every time
    event["queryStringParameters"] = parameters
    event["rawQueryString"] = urlencode(parameters)
    event["requestContext"]["authorizer"] = ADMIN_CONTEXT
    env = lambda_like_environment("expand", endpoint) | {
        "EXPANDER_ALLOWED_ADDRESSES": origin.removeprefix("http://"),
        "EXPANDER_RESOLVE_NAMES": "false",
    }
    with tempfile.TemporaryDirectory() as scratch:
        event_path, answers_path = Path(scratch) / "event.json", Path(scratch) / "answers.json"
        event_path.write_text(json.dumps(event), encoding="utf-8")
        answers_path.write_text(json.dumps(_DYNAMODB_ANSWERS), encoding="utf-8")
        outcome = _run_probe(
            ["overhead", str(event_path), str(answers_path), start, str(expansions), str(batches)], env
        )
    return Overhead(
        bare_ms=outcome["bare_ms"],
        follow_ms=outcome["follow_ms"],
        handler_ms=outcome["handler_ms"],
        calls=outcome["calls"],
        expansions=expansions,
        batches=batches,
    )


def _run_probe(arguments: list[str], env: dict[str, str]) -> dict[str, Any]:
    from bench.fixtures import run_probe

    return run_probe("bench.expander", arguments, env)


# -- the probes, each in a fresh Lambda-like interpreter -----------------------------------------------------------


def _probe_own_link(event_path: str) -> None:
    from bench.coldstart_probe import Context, status_of

    with open(event_path, encoding="utf-8") as handle:
        event = json.load(handle)
    started = time.perf_counter()
    module = importlib.import_module(HANDLER)
    imported = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        response = module.lambda_handler(event, Context())
    served = time.perf_counter()
    if status_of(response) != 200:
        raise SystemExit(f"the own-link expansion answered {response}")
    loaded = [name for name in EXPANDER_MODULES if name in sys.modules]
    urllib3_loaded = "urllib3" in sys.modules
    before = set(sys.modules)
    lazy_started = time.perf_counter()
    # What the first third-party URL imports (handlers/expand.py imports exactly these, lazily).
    importlib.import_module("shortlinks.expander.third_party")
    importlib.import_module("shortlinks.schemas.expansions")
    third_party_ms = (time.perf_counter() - lazy_started) * 1000
    new = sorted(name for name in set(sys.modules) - before if name.startswith("shortlinks"))
    print(
        json.dumps(
            {
                "import_ms": (imported - started) * 1000,
                "first_request_ms": (served - imported) * 1000,
                "loaded": loaded,
                "urllib3_loaded": urllib3_loaded,
                "third_party_import_ms": third_party_ms,
                "third_party_modules": new,
            }
        )
    )


def _probe_overhead(event_path: str, answers_path: str, start: str, expansions: int, batches: int) -> None:
    import gc

    import urllib3

    from bench.canned import answer_in_process
    from bench.coldstart_probe import Context, status_of

    with open(event_path, encoding="utf-8") as handle:
        event = json.load(handle)
    with open(answers_path, encoding="utf-8") as handle:
        answers = json.load(handle)
    module = importlib.import_module(HANDLER)
    from shortlinks.domain.expansion import follow

    clients = {id(client): client for client in (_client_of(module.repository), _client_of(module.rate_limiter))}
    counters = [answer_in_process(client, answers) for client in clients.values()]
    context = Context()
    sink = io.StringIO()

    def handler() -> dict[str, Any]:
        with contextlib.redirect_stdout(sink):  # the metrics' EMF lines
            response: dict[str, Any] = module.lambda_handler(event, context)
        sink.seek(0)
        sink.truncate()
        if status_of(response) != 200:
            raise SystemExit(f"the expansion answered {response}")
        return response

    # One expansion first: it builds the expander (its lazy imports) and loads the domain registry; the second one's
    # answer is checked and its DynamoDB calls counted.
    handler()
    for counter in counters:
        counter.clear()
    answer = json.loads(handler()["body"])
    if answer["stopped"] is not None or [hop["kind"] for hop in answer["hops"]] != ["http", "final"]:
        raise SystemExit(f"the one-hop chain was not followed as expected: {answer}")
    end = answer["final_url"]
    calls: dict[str, int] = {}
    for counter in counters:
        for operation, count in counter.items():
            calls[operation] = calls.get(operation, 0) + count
    fetcher = module._third_party_expander().fetcher()
    request_host = str(event["headers"]["host"])  # what the handler passes for the request it serves

    def followed() -> None:
        expansion = follow(start, fetcher, lambda url: module._our_hop(url, request_host))
        if expansion.stopped is not None:
            raise SystemExit(f"follow() stopped: {expansion}")

    pool = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=3.0, read=5.0))

    def bare() -> None:
        for url in (start, end):
            pool.request("GET", url, redirect=False)

    paths = {"bare": bare, "follow": followed, "handler": handler}
    runs: dict[str, list[float]] = {name: [] for name in paths}
    for path in paths.values():
        for _ in range(WARMUP):
            path()
    for _ in range(batches):  # interleaved: drift hits the three alike
        for name, path in paths.items():
            gc.collect()
            began = time.perf_counter()
            for _ in range(expansions):
                path()
            runs[name].append((time.perf_counter() - began) / expansions * 1000)
    figures: dict[str, Any] = {f"{name}_ms": statistics.median(times) for name, times in runs.items()}
    print(json.dumps(figures | {"calls": calls}))


def _client_of(store: Any) -> Any:
    """The botocore client behind a storage adapter (its bare table's, which its pynamodb models adopt too)."""
    return store._table.client


def main() -> int:
    from bench.fixtures import ensure_paths

    ensure_paths()
    print("... expander", file=sys.stderr, flush=True)
    for line in report(measure()):
        print(line)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "own-link":
        _probe_own_link(sys.argv[2])
    elif len(sys.argv) > 1 and sys.argv[1] == "overhead":
        _probe_overhead(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
    else:
        sys.exit(main())
