"""Size of each function's deployment package as ``sam build`` makes it, and what in it is never imported."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.fixtures import FUNCTION_IDS
from local.template import ROOT

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
    """Sizes from ``.aws-sam/build``; ``imported_by`` maps a function to the top-level modules it imported."""
    sizes = []
    for name, logical_id in FUNCTIONS.items():
        root = BUILD_DIR / logical_id
        per_entry: Counter[str] = Counter()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(root))
                    per_entry[_top_level(path.relative_to(root))] += path.stat().st_size
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
                zipped_mb=len(buffer.getvalue()) / MB,
                largest=[(entry, size / MB) for entry, size in per_entry.most_common(4)],
                unused=unused,
            )
        )
    return sizes


def _top_level(relative: Path) -> str:
    return relative.parts[0]


def _module_name(entry: str) -> str:
    return entry.removesuffix(".py").split(".")[0]
