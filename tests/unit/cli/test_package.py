"""The package that installs: one wheel with the functions' code and the command-line client, a ``shortlinks``
script that answers ``--help`` without the cli extra, the extra's pins the same as the ones tests ran with, and no
Lambda code that imports the client or its libraries."""

from __future__ import annotations

import ast
import email
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CLI_LIBRARIES = ("httpx", "rich")


def pinned(lines: list[str]) -> dict[str, str]:
    """``name==version`` requirements as a mapping (comments and other forms ignored)."""
    found = {}
    for line in lines:
        requirement = line.split("#")[0].strip()
        if "==" in requirement:
            name, version = requirement.split("==")
            found[name.split("[")[0].strip().lower()] = version.strip()
    return found


def test_the_cli_extra_pins_what_requirements_txt_pins() -> None:
    # GIVEN pip install 'shortlinks[cli]' for users and requirements.txt for make test
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extra = pinned(project["optional-dependencies"]["cli"])
    development = pinned((ROOT / "requirements.txt").read_text().splitlines())

    # THEN both install the same versions of the client's libraries
    assert set(extra) == set(CLI_LIBRARIES)
    assert {name: development.get(name) for name in extra} == extra


def test_no_lambda_code_imports_the_client_or_its_libraries() -> None:
    # GIVEN every module of every Lambda package (functions/ is every function's CodeUri; layers/ the layers')
    imported: dict[str, set[str]] = {}
    for path in [*(ROOT / "functions").rglob("*.py"), *(ROOT / "layers").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            else:
                continue
            imported.setdefault(str(path.relative_to(ROOT)), set()).update(name.split(".")[0] for name in names)

    # THEN none imports the client, httpx or rich, and the requirements the functions ship name neither library
    offenders = {path: names & {"shortlinks_cli", *CLI_LIBRARIES} for path, names in imported.items()}
    assert {path: names for path, names in offenders.items() if names} == {}
    shipped = pinned((ROOT / "functions" / "requirements.txt").read_text().splitlines())
    assert not set(CLI_LIBRARIES) & set(shipped)
    assert not (ROOT / "functions" / "shortlinks_cli").exists()


def test_help_works_without_the_cli_libraries() -> None:
    # WHEN the command's entry module is imported and asked for --help, in a fresh interpreter
    probe = (
        "import sys; from shortlinks_cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit as exit:\n    code = exit.code\n"
        f"print('LOADED', sorted(set(sys.modules) & {set(CLI_LIBRARIES)!r}), code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT / "client", capture_output=True, text=True, timeout=60, check=True
    )
    # THEN it printed the commands and loaded neither httpx nor rich (a bare pip install . has neither)
    assert "shorten" in done.stdout
    assert "keys" in done.stdout
    assert done.stdout.strip().endswith("LOADED [] 0")


def test_the_wheel_holds_the_functions_and_the_client_and_declares_the_script(tmp_path: Path) -> None:
    # GIVEN a copy of the project's packaging inputs (a build writes build/ next to pyproject.toml)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for folder in ("functions", "client"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))

    # WHEN it is built into a wheel, offline
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            "dist",
            ".",
        ],
        cwd=tmp_path,
        capture_output=True,
        check=True,
        timeout=300,
    )
    [wheel] = (tmp_path / "dist").glob("shortlinks-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(name.split("/")[0] for name in names if name.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(archive.read(f"{info}/METADATA"))
        scripts = archive.read(f"{info}/entry_points.txt").decode()

    # THEN it holds both packages and nothing else, the script is the client's main, and the extras are declared
    assert {name.split("/")[0] for name in names} == {"shortlinks", "shortlinks_cli", info}
    assert "shortlinks = shortlinks_cli.main:main" in scripts
    assert set(metadata.get_all("Provides-Extra") or []) == {"cli", "dev"}
    requires = metadata.get_all("Requires-Dist") or []
    cli = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["cli"]
    assert {f'{requirement}; extra == "cli"' for requirement in cli} <= set(requires)
    assert not any(name.startswith(CLI_LIBRARIES) and "extra" not in name for name in requires)
