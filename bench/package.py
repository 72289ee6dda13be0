"""Size of each function's deployment package as ``sam build`` makes it, and what in it is never imported."""

from __future__ import annotations

import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.fixtures import FUNCTION_IDS
from local.packages import function_layers
from local.template import ROOT, load_template

BUILD_DIR = ROOT / ".aws-sam" / "build"
FUNCTIONS = FUNCTION_IDS  # the functions sam build packages, by the names the report uses
MB = 1024 * 1024


@dataclass
class PackageSize:
    function: str
    unzipped_mb: float
    zipped_mb: float
    largest: list[tuple[str, float]]  # top-level entries by unzipped MB
    unused: list[tuple[str, float]]  # top-level packages the function never imports, by unzipped MB


def build() -> None:
    """``sam build`` with the venv's interpreter first on PATH (sam looks for python3.13 there)."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "SAM_CLI_TELEMETRY": "0"}
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    subprocess.run([str(bin_dir / "sam"), "build"], cwd=ROOT, check=True, capture_output=True, env=env)


def measure(imported_by: dict[str, list[str]]) -> list[PackageSize]:
    """Sizes from ``.aws-sam/build``: each function's own package and its layers' (template.yaml), as Lambda unpacks
    them; ``imported_by`` maps a function to the top-level modules it imported."""
    template = load_template()
    sizes = []
    for name, logical_id in FUNCTIONS.items():
        roots = built_roots(logical_id, template)
        per_entry: Counter[str] = Counter()
        zipped = 0
        for root in roots:
            entries, zipped_bytes = _contents(root)
            per_entry.update(entries)
            zipped += zipped_bytes
        imported = set(imported_by.get(name, []))
        unused = [
            (entry, size / MB)
            for entry, size in per_entry.most_common()
            if not entry.endswith((".dist-info", ".data", ".txt")) and _module_name(entry) not in imported
        ]
        sizes.append(
            PackageSize(
                function=name,
                unzipped_mb=sum(per_entry.values()) / MB,
                zipped_mb=zipped / MB,
                largest=[(entry, size / MB) for entry, size in per_entry.most_common(4)],
                unused=unused,
            )
        )
    return sizes


def built_roots(function: str, template: dict[str, Any]) -> list[Path]:
    """What Lambda puts on ``function``'s path, as sam build made it: its package, then its layers' ``python/``."""
    return [BUILD_DIR / function, *(BUILD_DIR / layer / "python" for layer in function_layers(function, template))]


@dataclass
class ShippedImport:
    """A handler's import from its built package (and layers) as Lambda loads it: with the bytecode the build ships,
    and compiling every module again, as it did when the package held none (sam build's python builder)."""

    function: str
    with_bytecode_ms: float
    compiling_ms: float


def import_as_shipped(function: str, handler_module: str, repeats: int = 5) -> ShippedImport:
    """Median import time of ``handler_module`` in ``python -S -B`` with only the function's built package and layers
    on the path, and with a copy of them without their ``__pycache__`` (compiled on every import, as Lambda did
    before we shipped bytecode; the standard library keeps its own, as the runtime's does)."""
    template = load_template()
    roots = built_roots(function, template)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TABLE_NAME": "bench",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",  # not a secret: nothing is sent
    }
    probe = f"import time; t = time.perf_counter(); import {handler_module}; print((time.perf_counter() - t) * 1000)"
    timings: dict[str, list[float]] = {"with": [], "compiling": []}
    with tempfile.TemporaryDirectory() as scratch:
        bare = [Path(scratch) / str(index) for index in range(len(roots))]
        for root, copy in zip(roots, bare, strict=True):
            shutil.copytree(root, copy, ignore=shutil.ignore_patterns("__pycache__"))
        paths = {"with": roots, "compiling": bare}
        for _ in range(repeats):
            for label, chosen in paths.items():
                done = subprocess.run(
                    [sys.executable, "-S", "-B", "-c", probe],
                    env=env | {"PYTHONPATH": os.pathsep.join(map(str, chosen))},
                    capture_output=True,
                    text=True,
                    check=True,
                    timeout=60,
                )
                timings[label].append(float(done.stdout.split()[-1]))
    return ShippedImport(function, statistics.median(timings["with"]), statistics.median(timings["compiling"]))


@dataclass
class Unpacking:
    """What shipping botocore costs the redirect's package, measured: its zip and the time to unpack it."""

    zipped_mb: float
    zipped_without_botocore_mb: float
    unzip_ms: float
    unzip_without_botocore_ms: float


def botocore_unpacking(function: str = "RedirectFunction", repeats: int = 5) -> Unpacking:
    """The function's package zipped with and without botocore, and the median time to unpack each here (what Lambda
    does with the package before INIT, on a cold start whose worker has not cached it)."""
    root = BUILD_DIR / function
    files = [path for path in sorted(root.rglob("*")) if path.is_file()]
    without = [path for path in files if _top_level(path.relative_to(root)) not in ("botocore",)]
    archives = {}
    for label, chosen in (("with", files), ("without", without)):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in chosen:
                archive.write(path, path.relative_to(root))
        archives[label] = buffer.getvalue()
    timings: dict[str, list[float]] = {"with": [], "without": []}
    with tempfile.TemporaryDirectory() as scratch:
        for index in range(repeats):
            for label, data in archives.items():
                target = Path(scratch) / f"{label}-{index}"
                started = time.perf_counter()
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    archive.extractall(target)
                timings[label].append((time.perf_counter() - started) * 1000)
                shutil.rmtree(target)
    return Unpacking(
        zipped_mb=len(archives["with"]) / MB,
        zipped_without_botocore_mb=len(archives["without"]) / MB,
        unzip_ms=statistics.median(timings["with"]),
        unzip_without_botocore_ms=statistics.median(timings["without"]),
    )


def _contents(root: Path) -> tuple[Counter[str], int]:
    """Unzipped bytes per top-level entry under ``root``, and the deflated size of all of it."""
    per_entry: Counter[str] = Counter()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(root))
                per_entry[_top_level(path.relative_to(root))] += path.stat().st_size
    return per_entry, len(buffer.getvalue())


def _top_level(relative: Path) -> str:
    return relative.parts[0]


def _module_name(entry: str) -> str:
    return entry.removesuffix(".py").split(".")[0]
