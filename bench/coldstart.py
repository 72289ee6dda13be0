"""Cold start of each function against the bare botocore baseline, plus the redirect's import-time breakdown."""

from __future__ import annotations

import atexit
import compileall
import functools
import hashlib
import json
import logging
import os
import py_compile
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.fixtures import (
    BENCH_TABLE,
    FUNCTION_IDS,
    FUNCTIONS_DIR,
    HANDLERS,
    event_for,
    function_environment,
    key_item,
    link_item,
    run_probe,
    visitor_secret_item,
)
from local.packages import function_layers, makefile_requirements
from local.template import ROOT, load_template

# The functions' runtime dependencies installed for this machine's architecture, alone: what a Lambda package
# holds (sam build's arm64 wheels cannot load on an x86_64 host). The dev venv's extras (awscrt, pyOpenSSL) would
# otherwise change what botocore imports.
LAMBDA_SITE = ROOT / ".aws-sam" / "bench-site"

RUNS = 15
# Issue 13: the redirect within 1.10x the bare handler, every other function within 1.40x.
BUDGETS = {"redirect": 1.10, "create": 1.4, "expand": 1.4, "links": 1.4, "keys": 1.4, "authorizer": 1.4}


@dataclass
class ColdStart:
    function: str
    totals_ms: list[float] = field(default_factory=list)
    inits_ms: list[float] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.totals_ms)

    @property
    def median_init_ms(self) -> float:
        return statistics.median(self.inits_ms)


def start_dynamodb() -> tuple[Any, str]:
    """A moto DynamoDB server on loopback with the bench table and link: both sides read from the same place.

    The day's visitor secret is there too, as it is for every cold start but the day's first anywhere: each probe's
    first request brings it with the link (one BatchGetItem) rather than creating it."""
    import boto3
    from moto.server import ThreadedMotoServer

    from local.template import create_table

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per probe request is noise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = function_environment("baseline", endpoint)
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=env["AWS_DEFAULT_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    # moto keeps its backends per process: a second server in the same run (the expander's section) finds the table.
    if BENCH_TABLE not in client.list_tables()["TableNames"]:
        create_table(client, BENCH_TABLE)
    client.put_item(TableName=BENCH_TABLE, Item=link_item())
    client.put_item(TableName=BENCH_TABLE, Item=key_item())
    client.put_item(TableName=BENCH_TABLE, Item=visitor_secret_item())
    return server, endpoint


def lambda_site() -> Path:
    """The functions' own package (functions/requirements.txt) for this machine, in LAMBDA_SITE."""
    return _installed(FUNCTIONS_DIR / "requirements.txt", LAMBDA_SITE, dependencies=True)


def layer_sites(name: str) -> list[Path]:
    """The layers function ``name`` uses (template.yaml), each installed alone for this machine, as sam build would:
    without dependencies when layers/Makefile builds it."""
    if name not in FUNCTION_IDS:
        return []
    template = load_template()
    sites = []
    for layer_id in function_layers(FUNCTION_IDS[name], template):
        resource = template["Resources"][layer_id]
        if (resource.get("Metadata") or {}).get("BuildMethod") == "makefile":
            sites.append(makefile_layer_site(layer_id))
        else:
            requirements = ROOT / resource["Properties"]["ContentUri"] / "requirements.txt"
            sites.append(_installed(requirements, LAMBDA_SITE.with_name(f"bench-{layer_id}"), dependencies=True))
    return sites


def makefile_layer_site(layer_id: str) -> Path:
    """A layer that layers/Makefile builds, installed alone for this machine as it builds it: without dependencies."""
    return _installed(makefile_requirements(layer_id), LAMBDA_SITE.with_name(f"bench-{layer_id}"), dependencies=False)


def _installed(requirements: Path, site: Path, *, dependencies: bool) -> Path:
    """``requirements`` installed into ``site`` once (again only when they change)."""
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    marker = site / ".requirements-sha256"
    if not marker.exists() or marker.read_text() != digest:
        shutil.rmtree(site, ignore_errors=True)  # pip --target leaves behind what the list no longer names
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--upgrade", "--target", str(site),
             *([] if dependencies else ["--no-deps"]), "-r", str(requirements)],
            check=True,
        )  # fmt: skip
        marker.write_text(digest)
    return site


@functools.cache
def shipped_code() -> Path:
    """Our code as Lambda loads it: a copy of ``functions/shortlinks`` with its bytecode beside it, compiled as
    functions/Makefile compiles what it ships (unchecked-hash ``.pyc`` files). Lambda's /var/task is read-only and
    holds the build's ``.pyc`` files: a cold start compiles nothing of ours. From the source tree, wherever bytecode
    cannot be written beside it (``PYTHONDONTWRITEBYTECODE``, set on the bench machine), every probe compiled each
    module it imported again: the redirect's 30 modules, ~15 ms of its cold start that Lambda never pays. One copy
    per process, removed at exit.

    ``bench/`` is compiled where it is (checked-hash ``.pyc`` files, so an edit is never masked): the probes run as
    ``python -m bench.<probe>`` from the repository's root, which puts that ``bench/`` first on the path, and the
    bare handler they import from it must not be compiled at every cold start either."""
    shipped = Path(tempfile.mkdtemp(prefix="bench-code-"))
    atexit.register(shutil.rmtree, shipped, ignore_errors=True)
    # Symbolic links are copied as the files they name, as functions/Makefile's cp -L does.
    shutil.copytree(FUNCTIONS_DIR / "shortlinks", shipped / "shortlinks", ignore=shutil.ignore_patterns("__pycache__"))
    compiled = compileall.compile_dir(
        shipped, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
    ) and compileall.compile_dir(ROOT / "bench", quiet=1, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    if not compiled:
        raise RuntimeError(f"compiling the shipped copy of our code in {shipped}, or bench/, failed")
    return shipped


def lambda_like_environment(name: str, endpoint: str) -> dict[str, str]:
    env = function_environment(name, endpoint)
    paths = [shipped_code(), lambda_site(), *layer_sites(name), ROOT]
    env["PYTHONPATH"] = os.pathsep.join(map(str, paths))
    return env


def measure(endpoint: str, runs: int = RUNS) -> dict[str, ColdStart]:
    """``runs`` cold starts of every function, interleaved so that drift hits all of them alike."""
    results = {name: ColdStart(name) for name in HANDLERS}
    with tempfile.TemporaryDirectory() as scratch:
        events = {}
        for name in HANDLERS:
            events[name] = Path(scratch) / f"{name}.json"
            events[name].write_text(json.dumps(event_for(name)), encoding="utf-8")
        for _ in range(runs):
            for name in HANDLERS:
                outcome = _probe(name, str(events[name]), endpoint)
                results[name].totals_ms.append(outcome["total_ms"])
                results[name].inits_ms.append(outcome["init_ms"])
                results[name].modules = outcome["modules"]
    return results


def _probe(name: str, event_path: str, endpoint: str) -> dict[str, Any]:
    outcome = run_probe(
        "bench.coldstart_probe", [HANDLERS[name], event_path], lambda_like_environment(name, endpoint), timeout=60
    )
    if outcome["status"] >= 500:
        raise RuntimeError(f"cold start probe for {name} answered {outcome['status']}")
    return outcome


def import_breakdown(endpoint: str, top: int = 10) -> list[tuple[str, float]]:
    """Where the redirect function's import time goes: ``python -X importtime`` self times summed per top-level
    package (so ``botocore`` counts every ``botocore.*`` module), in ms, heaviest first."""
    completed = subprocess.run(
        [sys.executable, "-S", "-X", "importtime", "-c", "import shortlinks.handlers.redirect"],
        env=lambda_like_environment("redirect", endpoint),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    per_package: dict[str, float] = {}
    for line in completed.stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        self_us, _, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        if not self_us.isdigit():
            continue
        package_name = name.split(".")[0]
        per_package[package_name] = per_package.get(package_name, 0.0) + int(self_us) / 1000
    return sorted(per_package.items(), key=lambda row: row[1], reverse=True)[:top]
