"""What Lambda runs is compiled once, at build time: every function built from functions/ and every Makefile-built
layer ships its modules' bytecode (Lambda's package directory is read-only, so a module without it is compiled again
on every cold start), and ``make build`` fails when one does not."""

from __future__ import annotations

import compileall
import re
import shutil
import subprocess
from pathlib import Path

from local.bytecode import check, makefile_built, without_bytecode
from local.packages import makefile_requirements
from local.template import ROOT, function_specs, load_template

TEMPLATE = load_template()


def test_every_function_built_from_functions_is_built_by_functions_makefile() -> None:
    # GIVEN the functions whose code is functions/ (all but the console, whose CodeUri is its own)
    functions_dir = (ROOT / "functions").resolve()
    from_functions = {
        function_id
        for function_id, spec in function_specs(TEMPLATE).items()
        if spec.code_uri.resolve() == functions_dir
    }

    # WHEN we read which are built by a Makefile, and which targets functions/Makefile has
    makefile = (ROOT / "functions" / "Makefile").read_text(encoding="utf-8")
    declared = re.search(r"^FUNCTIONS := ((?:.*\\\n)*.*)$", makefile, re.MULTILINE)
    assert declared is not None
    listed = set(declared.group(1).replace("\\\n", " ").split())

    # THEN every one of them is, and each has its target, which compiles
    assert from_functions
    assert from_functions <= set(makefile_built(TEMPLATE))
    assert listed == from_functions
    assert "--invalidation-mode unchecked-hash" in makefile


def test_every_python_layer_is_built_by_layers_makefile_and_compiled() -> None:
    # GIVEN every layer of Python code in the template (DocsAssets holds Swagger UI's files, built by npm)
    python_layers = {
        layer_id
        for layer_id, resource in TEMPLATE["Resources"].items()
        if resource["Type"] == "AWS::Serverless::LayerVersion"
        and not (resource.get("Metadata") or {}).get("BuildMethod", "").startswith("nodejs")
    }

    # THEN each is built by layers/Makefile (what make would run for sam build: a dry run), which installs the
    # requirements file local/packages.py reads for it and compiles what it installed
    assert {"ApiDependencies", "AnalyticsDependencies", "QrDependencies"} <= python_layers
    assert python_layers <= set(makefile_built(TEMPLATE))
    for layer_id in python_layers:
        dry_run = subprocess.run(
            ["make", "--no-print-directory", "-n", "-f", str(ROOT / "layers" / "Makefile"), f"build-{layer_id}",
             "ARTIFACTS_DIR=/nonexistent"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        install, compile_ = dry_run.stdout.splitlines()
        assert f'-r "{makefile_requirements(layer_id)}"' in install, layer_id
        assert "compileall" in compile_, layer_id
        assert '"/nonexistent/python"' in compile_, layer_id


def test_a_module_without_bytecode_or_a_symbolic_link_is_named_and_a_compiled_artifact_passes(tmp_path: Path) -> None:
    # GIVEN an artifact whose one module is compiled, and another whose module is not
    compiled = tmp_path / "Compiled" / "pkg"
    compiled.mkdir(parents=True)
    (compiled / "mod.py").write_text("VALUE = 1\n", encoding="utf-8")
    assert compileall.compile_dir(str(compiled), quiet=1)
    bare = tmp_path / "Bare" / "pkg"
    bare.mkdir(parents=True)
    (bare / "mod.py").write_text("VALUE = 1\n", encoding="utf-8")

    # AND a third, compiled, that ships a symbolic link (to a file outside it, as our source tree's openapi.json)
    linked = tmp_path / "Linked"
    shutil.copytree(tmp_path / "Compiled", linked)
    (linked / "document.json").symlink_to(tmp_path / "elsewhere.json")

    # WHEN the build is checked
    problems = check(tmp_path, ["Compiled", "Bare", "Linked", "Missing"])

    # THEN the compiled one passes, the bare one is named with its module, the link and an artifact not built too
    assert without_bytecode(tmp_path / "Compiled") == []
    assert without_bytecode(tmp_path / "Bare") == [bare / "mod.py"]
    assert len(problems) == 3
    assert problems[0].startswith("Bare: 1 modules without bytecode")
    assert problems[1].startswith("Linked: 1 symbolic links")
    assert problems[2].startswith("Missing: not built")
