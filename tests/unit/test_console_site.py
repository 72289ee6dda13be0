"""The console's function (console/shortlinks_console): the page and its fingerprinted files, the headers a browser
gets with them, and a package that ships nothing but the standard library."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from local.template import ROOT, function_specs, load_template
from shortlinks_console.handlers import console
from shortlinks_console.site import STATIC_DIR, build_site
from tests.events import load_event

PACKAGE = ROOT / "console" / "shortlinks_console"


def _event(route: str, **extra: Any) -> dict[str, Any]:
    """The fixture of ``route`` (tests/events), with ``extra`` laid over it."""
    name = "console_page" if route == "GET /console" else "console_asset"
    return load_event(name) | extra


def _write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


SMALL_SITE = {
    "index.html": (
        '<link rel="stylesheet" href="/console/assets/site.css"><script type="module" src="/console/assets/app.js">'
    ),
    "site.css": "body { color: black }",
    "app.js": 'import { api } from "./api.js";\napi();',
    "api.js": "export function api() {}",
}


def test_every_asset_is_named_by_its_content_and_the_page_refers_to_those_names(tmp_path: Path) -> None:
    site = build_site(_write(tmp_path, SMALL_SITE))

    names = sorted(site.assets)
    assert [re.sub(r"\.[0-9a-f]{12}\.", ".", name) for name in names] == ["api.js", "app.js", "site.css"]
    app = next(asset for asset in site.assets.values() if asset.name.startswith("app."))
    api = next(asset for asset in site.assets.values() if asset.name.startswith("api."))
    assert f'from "./{api.name}"' in app.body
    assert f"/console/assets/{app.name}" in site.page
    assert "/console/assets/app.js" not in site.page


def test_a_change_renames_the_changed_file_and_every_file_that_imports_it_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    before = build_site(_write(tmp_path / "before", SMALL_SITE))
    changed = _write(tmp_path / "after", SMALL_SITE)
    (changed / "api.js").write_text("export function api() { return 1; }", encoding="utf-8")

    after = build_site(changed)

    def stem(site: Any, prefix: str) -> str:
        return str(next(name for name in site.assets if name.startswith(prefix)))

    assert stem(before, "api.") != stem(after, "api.")
    assert stem(before, "app.") != stem(after, "app.")  # it imports api.js under its new name
    assert stem(before, "site.") == stem(after, "site.")
    assert build_site(changed).assets.keys() == after.assets.keys()  # stable for the same content


def test_a_missing_file_or_an_import_cycle_fails_the_cold_start_not_the_page(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"missing asset: gone\.js"):
        build_site(_write(tmp_path, {**SMALL_SITE, "api.js": 'import "./gone.js";'}))
    with pytest.raises(ValueError, match="cycle"):
        build_site(_write(tmp_path, {**SMALL_SITE, "api.js": 'import "./app.js";'}))


def test_the_page_has_the_strict_policy_and_is_revalidated_every_time() -> None:
    response = console.lambda_handler(_event("GET /console"), None)

    headers = response["headers"]
    assert response["statusCode"] == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-cache"
    assert headers["Content-Security-Policy"] == (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "<script>" not in response["body"]  # nothing inline for the policy to allow
    assert " style=" not in response["body"]


def test_the_page_answers_304_to_its_own_etag() -> None:
    etag = console.lambda_handler(_event("GET /console"), None)["headers"]["ETag"]

    again = console.lambda_handler(_event("GET /console", headers={"if-none-match": etag}), None)

    assert again["statusCode"] == 304
    assert again["body"] == ""


def test_an_asset_is_cached_for_a_year_and_an_unknown_name_is_a_json_404() -> None:
    [name] = re.findall(r"/console/assets/(app\.[0-9a-f]{12}\.js)", console.SITE.page)

    found = console.lambda_handler(_event("GET /console/assets/{name}", pathParameters={"name": name}), None)
    missing = console.lambda_handler(_event("GET /console/assets/{name}", pathParameters={"name": "app.js"}), None)

    assert found["statusCode"] == 200
    assert found["headers"]["Content-Type"] == "text/javascript; charset=utf-8"
    assert found["headers"]["Cache-Control"] == "public, max-age=31536000, immutable"
    assert missing["statusCode"] == 404
    assert missing["headers"]["Cache-Control"] == "no-store"
    assert '"code": "not_found"' in missing["body"]


def test_the_shipped_site_builds_and_every_static_file_is_served() -> None:
    site = build_site(STATIC_DIR)
    served = {re.sub(r"\.[0-9a-f]{12}\.", ".", name) for name in site.assets}

    assert served == {path.name for path in STATIC_DIR.iterdir() if path.suffix in (".js", ".css")}


def test_no_script_renders_data_as_html() -> None:
    """Every value from the API is attacker-controlled: it becomes text nodes and attributes, never markup."""
    for path in STATIC_DIR.glob("*.js"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function", text), (
            path
        )


def test_the_console_package_imports_the_standard_library_and_itself_only() -> None:
    imported: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])

    assert imported - {"shortlinks_console"} <= set(sys.stdlib_module_names)


def test_the_console_function_has_its_own_code_and_no_permissions() -> None:
    template = load_template()
    properties = template["Resources"]["ConsoleFunction"]["Properties"]
    specs = function_specs(template)

    assert specs["ConsoleFunction"].code_uri == ROOT / "console"
    assert {"Policies", "Role", "Layers"}.isdisjoint(properties)
    assert all(spec.code_uri != ROOT / "console" for name, spec in specs.items() if name != "ConsoleFunction")
    assert not any((ROOT / "functions").rglob("*.html"))  # the shared CodeUri ships no console file
