"""The docs function: the OpenAPI document and Swagger UI, public, under a strict CSP, cached as their URLs allow,
and touching no table and no other function's cold start."""

from __future__ import annotations

import ast
import base64
import json
import re
from collections.abc import Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from local.openapi import DOCUMENT_PATH
from local.template import ROOT, SWAGGER_UI_DIR
from tests.events import load_event
from tests.integration.conftest import ColdStart
from tests.integration.harness import LambdaFunction, cold_start_modules, recording_dynamodb_calls

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

PACKAGE = ROOT / "functions" / "shortlinks"


@pytest.fixture(scope="module")
def docs_module(start_function: ColdStart) -> Iterator[ModuleType]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SWAGGER_UI_DIR", str(SWAGGER_UI_DIR))  # where the layer is in Lambda: /opt/nodejs/...
        yield start_function("DocsFunction")


@pytest.fixture
def docs(docs_module: ModuleType, lambda_context: LambdaContext) -> LambdaFunction:
    return LambdaFunction(docs_module, lambda_context)


def _get(path: str, route_key: str | None = None, **path_parameters: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": route_key or f"GET {path}",
        "rawPath": path,
        "headers": {"host": "sho.rt", "accept": "text/html"},
        "pathParameters": path_parameters or None,
        "requestContext": {"http": {"method": "GET", "path": path}, "requestId": "req-docs", "domainName": "sho.rt"},
        "isBase64Encoded": False,
    }


def _asset(docs: LambdaFunction, url: str) -> Any:
    version, name = url.removeprefix("/docs/assets/").split("/", 1)
    return docs(_get(url, "GET /docs/assets/{version}/{name}", version=version, name=name))


def _page_urls(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', page)


def test_the_page_loads_only_our_own_files_under_a_policy_without_inline_script(docs: LambdaFunction) -> None:
    # WHEN a browser opens /docs (a recorded request)
    response = docs(load_event("docs_page"))

    # THEN it gets the page, always revalidated, under a policy that allows no inline script and no other origin
    assert response.status == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    policy = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert "unsafe-eval" not in response.headers["content-security-policy"]
    # and every script is a file of ours: none inline, nothing from another origin
    assert len(re.findall(r"<script", response.body)) == len(re.findall(r'<script src="/docs/assets/', response.body))
    assert all(url.startswith("/docs/assets/") for url in _page_urls(response.body))


def test_every_file_the_page_names_is_served_with_its_type_and_cached_for_a_year(docs: LambdaFunction) -> None:
    urls = _page_urls(docs(_get("/docs")).body)

    types = {}
    for url in urls:
        response = _asset(docs, url)
        assert response.status == 200, url
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        types[url.rsplit("/", 1)[1]] = response.headers["content-type"]

    assert types == {
        "swagger-ui.css": "text/css; charset=utf-8",
        "favicon-32x32.png": "image/png",
        "favicon-16x16.png": "image/png",
        "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
        "init.js": "text/javascript; charset=utf-8",
    }


def test_the_initializer_loads_our_document_and_never_calls_the_public_validator(docs: LambdaFunction) -> None:
    [init] = [url for url in _page_urls(docs(_get("/docs")).body) if url.endswith("/init.js")]

    script = _asset(docs, init).body

    assert 'url: "/v1/openapi.json"' in script
    assert "validatorUrl: null" in script


def test_an_icon_is_delivered_as_binary(docs_module: ModuleType, lambda_context: LambdaContext) -> None:
    version = docs_module.site.asset_version
    result = docs_module.lambda_handler(
        _get(
            f"/docs/assets/{version}/favicon-32x32.png",
            "GET /docs/assets/{version}/{name}",
            version=version,
            name="favicon-32x32.png",
        ),
        lambda_context,
    )

    assert result["isBase64Encoded"] is True
    assert base64.b64decode(result["body"]) == (SWAGGER_UI_DIR / "favicon-32x32.png").read_bytes()


@pytest.mark.parametrize("name", ["index.html", "package.json", "../package.json", "swagger-ui.js.map", "", "%2e%2e"])
def test_a_file_outside_the_pages_own_list_is_not_found(
    docs: LambdaFunction, docs_module: ModuleType, name: str
) -> None:
    response = _asset(docs, f"/docs/assets/{docs_module.site.asset_version}/{name}")

    assert response.status == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response.headers["cache-control"] == "no-store"


def test_an_asset_of_another_version_is_not_found_rather_than_cached_under_a_wrong_name(docs: LambdaFunction) -> None:
    response = _asset(docs, "/docs/assets/4.0.0-000000000000/swagger-ui.css")

    assert response.status == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_document_served_is_the_committed_one_with_an_etag_that_revalidates(docs: LambdaFunction) -> None:
    # WHEN a client reads the document (a recorded request)
    response = docs(load_event("openapi_document"))

    # THEN it is docs/openapi.json as committed, revalidated each time by its ETag
    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-cache"
    assert json.loads(response.body) == json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
    # AND WHEN it asks again with that ETag, THEN nothing is sent again
    again = _get("/v1/openapi.json") | {"headers": {"if-none-match": response.headers["etag"]}}
    assert docs(again).status == 304
    other = _get("/v1/openapi.json") | {"headers": {"if-none-match": '"another"'}}
    assert docs(other).status == 200


def test_no_route_of_the_docs_function_touches_the_table(docs: LambdaFunction) -> None:
    with recording_dynamodb_calls() as calls:
        for path in ("/v1/openapi.json", "/docs"):
            docs(_get(path))

    assert calls == []


def test_the_docs_function_loads_neither_pydantic_nor_a_table_client() -> None:
    """Powertools' logger brings botocore's user agent module, as in every function; nothing more of the SDK."""
    modules = cold_start_modules("DocsFunction", extra_env={"SWAGGER_UI_DIR": str(SWAGGER_UI_DIR)})

    heavy = {m for m in modules if m.split(".")[0] in {"pydantic", "pydantic_core", "boto3", "pynamodb"}}
    assert heavy == set()


def _importers(module: str) -> set[str]:
    """The modules of the package that import ``module`` (``shortlinks.web.docs_site``), as files."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            names = [alias.name for alias in node.names]
            if isinstance(node, ast.ImportFrom):
                names = [node.module or "", *(f"{node.module}.{name}" for name in names)]
            if module in names:
                found.add(path.relative_to(PACKAGE).as_posix())
    return found


def test_no_other_function_imports_the_docs_adapter() -> None:
    """Each function's cold start is its handler's import graph: only the docs handler may reach docs_site."""
    assert _importers("shortlinks.web.docs_site") == {"handlers/docs.py"}


def test_no_function_imports_the_models_that_exist_only_for_the_document() -> None:
    """The error and bulk answer models describe what the handlers write as dicts; no cold start loads them."""
    assert _importers("shortlinks.schemas.bulk") == set()
    assert _importers("shortlinks.schemas.errors") == {"schemas/bulk.py"}
