"""``python -m local.bytecode [BUILD_DIR]`` (``make build`` runs it after ``sam build``): every Python module that a
function or layer built by our Makefiles (functions/Makefile, layers/Makefile) ships has its bytecode beside it, so
Lambda, whose package directory is read-only, does not compile it again on every cold start; and none of them ships a
symbolic link (it would name a file outside the package: our openapi.json is one in the source tree). Exits 1
naming what is wrong."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable
from pathlib import Path

from local.template import ROOT, load_template


def makefile_built(template: dict[str, object]) -> list[str]:
    """Logical ids of the functions and layers whose ``Metadata`` says ``BuildMethod: makefile``."""
    resources = template["Resources"]
    assert isinstance(resources, dict)
    return sorted(
        logical_id
        for logical_id, resource in resources.items()
        if ((resource.get("Metadata") or {}).get("BuildMethod")) == "makefile"
    )


def without_bytecode(root: Path) -> list[Path]:
    """The ``.py`` files under ``root`` that have no ``__pycache__`` bytecode for this interpreter's version."""
    return sorted(
        source for source in root.rglob("*.py") if not Path(importlib.util.cache_from_source(str(source))).is_file()
    )


def symbolic_links(root: Path) -> list[Path]:
    """The symbolic links under ``root``: a built package must hold the files themselves."""
    return sorted(path for path in root.rglob("*") if path.is_symlink())


def check(build_dir: Path, logical_ids: Iterable[str]) -> list[str]:
    """One line per built artifact that is missing, or ships modules without bytecode."""
    problems = []
    for logical_id in logical_ids:
        artifact = build_dir / logical_id
        if not artifact.is_dir():
            problems.append(f"{logical_id}: not built ({artifact} is missing)")
            continue
        missing = without_bytecode(artifact)
        if missing:
            problems.append(f"{logical_id}: {len(missing)} modules without bytecode, e.g. {missing[0]}")
        links = symbolic_links(artifact)
        if links:
            problems.append(f"{logical_id}: {len(links)} symbolic links, e.g. {links[0]}")
    return problems


def main(argv: list[str]) -> int:
    build_dir = Path(argv[0]) if argv else ROOT / ".aws-sam" / "build"
    built = makefile_built(load_template())
    problems = check(build_dir, built)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"bytecode shipped by all {len(built)} Makefile-built functions and layers")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
