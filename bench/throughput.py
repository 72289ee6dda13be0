"""Redirects per second through ``make run``'s local server, with wrk, against a bare WSGI redirect server.

This is the developer-experience figure (one Python process, embedded DynamoDB, GIL), not the cloud's.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

from local.template import ROOT
from shortlinks.domain.keys import generate_key

DURATION_S = int(os.environ.get("BENCH_DURATION", "30"))
CONNECTIONS = 16
THREADS = 2


@dataclass
class Throughput:
    target: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def measure() -> list[Throughput]:
    return [_bare_server(), _local_server()]


def _local_server() -> Throughput:
    port = _free_port()
    admin_key = generate_key()
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "SHORTLINKS_BOOTSTRAP_ADMIN_KEY": admin_key}
    server = subprocess.Popen(
        [sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base + "/v1/expand?code=none")
        created = httpx.post(
            base + "/v1/links",
            json={"url": "https://example.org/landing", "alias": "bench"},
            headers={"Authorization": f"Bearer {admin_key}"},
        )
        created.raise_for_status()
        return _wrk("local server: GET /bench (302)", base + "/bench")
    finally:
        server.terminate()
        server.wait(timeout=10)


def _bare_server() -> Throughput:
    """The floor: werkzeug's threaded server answering a constant 302, no handler, no database."""
    from werkzeug.serving import make_server

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("302 Found", [("Location", "https://example.org/landing"), ("Content-Length", "0")])
        return [b""]

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        return _wrk("baseline: bare werkzeug 302", f"http://127.0.0.1:{server.server_port}/bench")
    finally:
        server.shutdown()


def _wrk(target: str, url: str) -> Throughput:
    completed = subprocess.run(
        ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{DURATION_S}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=DURATION_S + 60,
    )
    out = completed.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return Throughput(target, rps, _percentile(out, "50%"), _percentile(out, "99%"))


def _percentile(output: str, label: str) -> float:
    match = re.search(rf"^\s*{re.escape(label)}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if not match:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"the local server did not answer at {url}")
