"""Each function's Lambda package (its CodeUri's requirements plus its layers', as template.yaml says) carries every
library its code can import, and nothing else but what is named here with its reason."""

from __future__ import annotations

import pytest

from local.packages import (
    function_layers,
    imported_distributions,
    layer_contents,
    makefile_requirements,
    requirement_names,
    shipped_distributions,
    with_dependencies,
)
from local.template import ROOT, function_specs, load_template

# idna (0.3 MB) is in the shared base because the redirect's code can import it (domain/urls.py); a layer for it
# would be a second layer on the redirect's cold start to save 0.3 MB elsewhere.
SHIPPED_BUT_NEVER_IMPORTED = {
    "AuthorizerFunction": {"idna"},
    "KeysFunction": {"idna"},
    "AnalyticsFunction": {"idna"},
    # The docs page reads no table, but shares the functions' base package (0.9 MB of pynamodb and idna, unloaded).
    "DocsFunction": {"idna", "pynamodb"},
}
TEMPLATE = load_template()
FUNCTIONS = sorted(function_specs(TEMPLATE))


@pytest.fixture(scope="module")
def imported() -> dict[str, set[str]]:
    return {function_id: imported_distributions(function_id, TEMPLATE) for function_id in FUNCTIONS}


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_a_function_ships_every_library_its_code_can_import(function_id: str, imported: dict[str, set[str]]) -> None:
    # GIVEN what the function's package holds
    shipped = shipped_distributions(function_id, TEMPLATE)

    # WHEN its code imports what it imports (at init, or lazily on some path)
    # THEN each of those libraries is in its package
    assert imported[function_id] - shipped == set()


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_a_function_ships_nothing_it_never_imports(function_id: str, imported: dict[str, set[str]]) -> None:
    shipped = shipped_distributions(function_id, TEMPLATE)

    assert shipped - imported[function_id] == SHIPPED_BUT_NEVER_IMPORTED.get(function_id, set())


def test_the_redirect_and_the_authorizer_ship_no_pydantic_and_no_boto3() -> None:
    for function_id in ("RedirectFunction", "AuthorizerFunction"):
        shipped = shipped_distributions(function_id, TEMPLATE)

        assert not shipped & {"pydantic", "pydantic-core", "boto3", "s3transfer"}, function_id


def _makefile_layers() -> list[str]:
    layers = [
        layer_id
        for layer_id, resource in TEMPLATE["Resources"].items()
        if resource.get("Type") == "AWS::Serverless::LayerVersion"
        and (resource.get("Metadata") or {}).get("BuildMethod") == "makefile"
    ]
    assert layers
    return layers


@pytest.mark.parametrize("layer_id", _makefile_layers())
def test_a_layer_built_without_dependencies_lists_all_that_its_functions_lack(layer_id: str) -> None:
    # GIVEN a layer layers/Makefile installs without dependencies, the base every function's package has, and the
    # layers every function that has this one has too
    listed = layer_contents(layer_id, TEMPLATE)
    base = with_dependencies(requirement_names(ROOT / "functions" / "requirements.txt"))
    users = [function_id for function_id in FUNCTIONS if layer_id in function_layers(function_id, TEMPLATE)]
    beside = set.intersection(*(set(function_layers(function_id, TEMPLATE)) for function_id in users)) - {layer_id}
    alongside = set().union(*(layer_contents(other, TEMPLATE) for other in beside))

    # THEN whatever its libraries require is in the layer, in the base, or in a layer always beside it
    assert users
    assert with_dependencies(listed) - listed - base - alongside == set()
    # AND the layer repeats nothing the base has (it would ship twice)
    assert listed & base == set()
    assert makefile_requirements(layer_id).is_file()


def test_every_layer_is_used_by_a_function() -> None:
    used = {layer_id for function_id in FUNCTIONS for layer_id in function_layers(function_id, TEMPLATE)}
    declared = {
        layer_id
        for layer_id, resource in TEMPLATE["Resources"].items()
        if resource.get("Type") == "AWS::Serverless::LayerVersion"
    }

    assert used == declared
