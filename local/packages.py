"""What each function's Lambda package carries (its CodeUri's requirements and its layers', as template.yaml and
sam build make them) and which third-party distributions its code can import.

``python -m local.packages <handler module>`` (run by :func:`imported_distributions`, in a fresh interpreter):
imports the handler as Lambda's init does, then follows every import its ``shortlinks`` modules make, at module
level or inside a function (a lazy import counts: the path that runs it must find its library), imports each library
module named so (what it imports counts too: Powertools' idempotency layer loads boto3), and prints the top-level
third-party module names as one JSON line.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import re
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement

from local.template import ROOT, SWAGGER_UI_DIR, function_specs, load_template

LAYERS_MAKEFILE = ROOT / "layers" / "Makefile"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(path: Path) -> set[str]:
    """The distributions a requirements file names (its ``-r`` includes too)."""
    names: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.partition("#")[0].strip()
        if line.startswith("-r "):
            names |= requirement_names(path.parent / line.removeprefix("-r ").strip())
        elif match := _NAME.match(line):
            names.add(canonical(match.group(1)))
    return names


def with_dependencies(names: set[str]) -> set[str]:
    """``names`` and everything they require, transitively, as installed here (extras left out)."""
    found: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found.add(name)
        try:
            requirements = requires(name) or []
        except PackageNotFoundError:
            raise SystemExit(f"{name} is not installed in this venv: run `make`") from None
        for line in requirements:
            requirement = Requirement(line)
            # Extras left out; other markers as Python 3.13 on Linux reads them (importlib-metadata for Python < 3.8
            # is not installed by anyone here).
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(canonical(requirement.name))
    return found


def layer_contents(layer_id: str, template: dict[str, Any]) -> set[str]:
    """What a layer ships: its requirements with their dependencies, exactly its list when layers/Makefile builds
    it without them (``BuildMethod: makefile``), or no Python distribution at all for a Node.js package's files."""
    resource = template["Resources"][layer_id]
    build_method = (resource.get("Metadata") or {}).get("BuildMethod", "")
    if build_method.startswith("nodejs"):  # files for a page (Swagger UI), no Python distribution
        return set()
    if build_method == "makefile":
        return requirement_names(makefile_requirements(layer_id))
    return with_dependencies(requirement_names(ROOT / resource["Properties"]["ContentUri"] / "requirements.txt"))


def makefile_requirements(layer_id: str) -> Path:
    """The requirements file layers/Makefile's ``build-<layer_id>`` rule installs: ``<Name>Dependencies`` installs
    ``layers/<name>/requirements.txt``, the Makefile's one convention."""
    name = layer_id.removesuffix("Dependencies")
    requirements = LAYERS_MAKEFILE.parent / name.lower() / "requirements.txt"
    if name == layer_id or not requirements.is_file():
        raise ValueError(f"layers/Makefile builds <Name>Dependencies from layers/<name>/requirements.txt: {layer_id}")
    return requirements


def function_layers(function_id: str, template: dict[str, Any]) -> list[str]:
    """The logical ids of the layers a function uses (``Layers: [!Ref ...]``)."""
    properties = template["Resources"][function_id]["Properties"]
    return [layer["Ref"] for layer in properties.get("Layers") or []]


def shipped_distributions(function_id: str, template: dict[str, Any] | None = None) -> set[str]:
    """Every distribution in a function's package: its CodeUri's requirements with their dependencies, and its
    layers'."""
    template = template or load_template()
    spec = function_specs(template)[function_id]
    requirements = spec.code_uri / "requirements.txt"  # none: a function of the standard library only (the console)
    shipped = with_dependencies(requirement_names(requirements)) if requirements.exists() else set()
    for layer_id in function_layers(function_id, template):
        shipped |= layer_contents(layer_id, template)
    return shipped


def runtime_distributions(template: dict[str, Any] | None = None) -> set[str]:
    """Every distribution any function's package carries: what the functions' code can import in Lambda (the dev
    venv holds more: tools, and optional extras such as awscrt that botocore would load if present)."""
    template = template or load_template()
    return set().union(*(shipped_distributions(function_id, template) for function_id in function_specs(template)))


def imported_distributions(function_id: str, template: dict[str, Any] | None = None) -> set[str]:
    """The runtime distributions a function's code imports (at init, or lazily), with what they require."""
    template = template or load_template()
    handler_module = function_specs(template)[function_id].handler.rpartition(".")[0]
    env = {
        **os.environ,
        "TABLE_NAME": "packages",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "packages",
        "AWS_SECRET_ACCESS_KEY": "packages",
        "SHORT_BASE_URL": "https://packages.example",
        # Nothing listens there: an init that reads DynamoDB fails at once, on loopback.
        "DYNAMODB_ENDPOINT": "http://127.0.0.1:9",
        "SWAGGER_UI_DIR": str(SWAGGER_UI_DIR),  # the docs function reads its layer's version at init
        "PYTHONPATH": os.pathsep.join([str(ROOT / "functions"), str(ROOT / "console"), str(ROOT)]),
    }
    completed = subprocess.run(  # noqa: S603 - this interpreter, a module of ours, a handler named in template.yaml
        [sys.executable, "-m", "local.packages", handler_module],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    modules: list[str] = json.loads(completed.stdout.strip().splitlines()[-1])
    by_module = packages_distributions()
    runtime = runtime_distributions(template)
    direct = {canonical(name) for module in modules for name in by_module.get(module, [])} & runtime
    return with_dependencies(direct) & runtime


def _third_party_imports(handler_module: str) -> set[str]:
    importlib.import_module(handler_module)
    names = {module.partition(".")[0] for module in sys.modules}
    pending = [module for module in sys.modules if module.startswith("shortlinks")]
    seen: set[str] = set()
    libraries: set[str] = set()
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        seen.add(module)
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            continue
        for imported in _imports_in(ast.parse(Path(spec.origin).read_text(encoding="utf-8"))):
            if imported.partition(".")[0] != "shortlinks":
                names.add(imported.partition(".")[0])
                libraries.add(imported)
            elif _is_module(imported):
                pending.append(imported)
    # A library module our code imports lazily loads what it imports (Powertools' idempotency layer loads boto3).
    for library in sorted(libraries - set(sys.modules)):
        if library.partition(".")[0] not in sys.stdlib_module_names and _is_module(library):
            importlib.import_module(library)
    names |= {module.partition(".")[0] for module in sys.modules}
    return names - set(sys.stdlib_module_names) - {"shortlinks", "local", "__main__"}


def _imports_in(tree: ast.AST) -> list[str]:
    modules: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    return modules


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # ``from package import name`` where name is not a module
        return False


if __name__ == "__main__":
    print(json.dumps(sorted(_third_party_imports(sys.argv[1]))))
