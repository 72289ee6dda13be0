"""docs/openapi.json: generated from template.yaml and the pydantic models (local/openapi.py), committed, valid
OpenAPI 3.1, and the very file the docs function serves."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel

from local.openapi import DOCUMENT_PATH, OPERATIONS, build_document, generate
from local.template import ROOT, load_template, routes
from shortlinks.domain.codes import is_reserved
from shortlinks.schemas.links import CreateLinkRequest, LinkResponse
from shortlinks.web.http import STATUS_BY_ERROR

COMMITTED: dict[str, Any] = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
ROUTE_KEYS = sorted(f"{route.method} {route.path}" for route in routes())


def _operation(route_key: str, document: dict[str, Any] = COMMITTED) -> dict[str, Any]:
    method, path = route_key.split(" ", 1)
    operation: dict[str, Any] = document["paths"][path][method.lower()]
    return operation


def test_the_committed_document_is_what_the_generator_writes_today() -> None:
    # GIVEN template.yaml and the models as they are, WHEN the document is generated (make openapi)
    generated = generate()

    # THEN it is the committed one, byte for byte
    assert DOCUMENT_PATH.read_text(encoding="utf-8") == generated, "docs/openapi.json is stale: run make openapi"


def test_the_document_is_valid_openapi_3_1() -> None:
    assert COMMITTED["openapi"] == "3.1.0"
    validate(COMMITTED)  # openapi-spec-validator: raises on any violation


def test_the_docs_function_packages_the_committed_document_itself() -> None:
    packaged = ROOT / "functions" / "shortlinks" / "openapi.json"

    assert packaged.is_symlink()  # sam build copies the file it points at into the function's package
    assert packaged.resolve() == DOCUMENT_PATH.resolve()


def test_every_route_of_the_template_is_an_operation_and_there_is_no_other() -> None:
    documented = sorted(
        f"{method.upper()} {path}"
        for path, item in COMMITTED["paths"].items()
        for method in item
        if method != "parameters"
    )

    assert documented == ROUTE_KEYS


@pytest.mark.parametrize("route_key", ROUTE_KEYS)
def test_every_route_is_described_in_the_one_table_of_operations(route_key: str) -> None:
    assert route_key in OPERATIONS, f"add {route_key} to local/openapi.py OPERATIONS"


@pytest.mark.parametrize("route", routes(), ids=lambda route: f"{route.method} {route.path}")
def test_a_route_behind_the_key_authorizer_names_both_key_headers_and_a_public_one_none(route: Any) -> None:
    security = _operation(f"{route.method} {route.path}")["security"]

    if route.authorizer is None:
        assert security == []
    else:
        assert security == [{"bearer": []}, {"apiKey": []}]
    schemes = COMMITTED["components"]["securitySchemes"]
    assert schemes["bearer"] == schemes["bearer"] | {"type": "http", "scheme": "bearer"}
    assert schemes["apiKey"] == schemes["apiKey"] | {"type": "apiKey", "in": "header", "name": "X-API-Key"}


@pytest.mark.parametrize("route_key", ROUTE_KEYS)
def test_every_path_parameter_is_declared_and_required(route_key: str) -> None:
    path = route_key.split(" ", 1)[1]
    declared = {p["name"] for p in _operation(route_key).get("parameters", []) if p["in"] == "path"}

    assert declared == {segment.strip("{}+") for segment in path.split("/") if segment.startswith("{")}


@pytest.mark.parametrize("route_key", [key for key in ROUTE_KEYS if not key.startswith("GET /docs")])
def test_every_error_status_answers_the_one_error_shape(route_key: str) -> None:
    responses = _operation(route_key)["responses"]
    errors = {status: response for status, response in responses.items() if int(status) >= 400}

    assert "500" in errors  # internal_error, anywhere
    for status, response in errors.items():
        media = response["content"]["application/json"]
        assert media["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}, status
        assert set(media["example"]["error"]) == {"code", "message"}
    error = COMMITTED["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message"}


def test_an_error_status_comes_from_the_registry_with_its_code() -> None:
    for error, status in STATUS_BY_ERROR.items():
        if error.code in ("link_gone", "error"):  # bases, never answered by themselves
            continue
        listed = [
            (route_key, response_status)
            for route_key in ROUTE_KEYS
            for response_status, response in _operation(route_key)["responses"].items()
            if f"`{error.code}`" in response["description"]
        ]
        assert listed, f"no route documents {error.code}"
        assert {int(response_status) for _, response_status in listed} == {status}, error.code


@pytest.mark.parametrize(("model", "mode"), [(CreateLinkRequest, "validation"), (LinkResponse, "serialization")])
def test_bodies_are_the_pydantic_models_own_schemas(model: type[BaseModel], mode: Any) -> None:
    component = COMMITTED["components"]["schemas"][model.__name__]

    assert set(component["properties"]) == set(model.model_json_schema(mode=mode)["properties"])
    assert set(component["properties"]) == set(model.model_fields)


@pytest.mark.parametrize("route_key", [key for key, operation in OPERATIONS.items() if operation.request is not None])
def test_every_body_is_required_json_of_its_model_with_an_example_the_model_accepts(route_key: str) -> None:
    model = OPERATIONS[route_key].request
    assert model is not None
    body = _operation(route_key)["requestBody"]
    media = body["content"]["application/json"]

    assert body["required"] is True
    assert media["schema"] == {"$ref": f"#/components/schemas/{model.__name__}"}
    model.model_validate_json(json.dumps(media["example"]))  # strict models: as the handler parses a body


def test_a_route_added_to_the_template_appears_without_any_other_change() -> None:
    # GIVEN the template with one more route, which no table describes yet
    template = copy.deepcopy(load_template())
    events = template["Resources"]["LinksFunction"]["Properties"]["Events"]
    events["Archive"] = {
        "Type": "HttpApi",
        "Properties": {"ApiId": {"Ref": "HttpApi"}, "Method": "POST", "Path": "/v1/links/{code}/archive"},
    }

    # WHEN the document is generated from it
    document = build_document(template)

    # THEN the route is an operation, behind the authorizer, with its path parameter and the error shape
    operation = _operation("POST /v1/links/{code}/archive", document)
    assert operation["security"] == [{"bearer": []}, {"apiKey": []}]
    assert [p["name"] for p in operation["parameters"]] == ["code"]
    assert "500" in operation["responses"]
    validate(document)


@pytest.mark.parametrize("route_key", ROUTE_KEYS)
def test_no_alias_can_take_the_first_segment_of_a_literal_route(route_key: str) -> None:
    """``/docs`` is a route of its own; an alias ``docs`` would be a link nobody could follow."""
    first = route_key.split(" ", 1)[1].split("/")[1]

    if first and not first.startswith("{"):
        assert is_reserved(first), f"{first!r} must be in domain/codes.py RESERVED_WORDS"
