"""How template.yaml puts the key authorizer in front of the API, as the local server and API Gateway read it."""

from __future__ import annotations

from local.template import Authorizer, function_specs, load_template, routes

KEY_AUTHORIZER = Authorizer(
    name="KeyAuthorizer",
    function="AuthorizerFunction",
    payload_format_version="2.0",
    simple_responses=True,
    identity_headers=(),
    identity_query_strings=(),
    result_ttl_seconds=0,
)


def test_every_route_but_the_redirects_the_documentation_and_qr_codes_runs_the_key_authorizer() -> None:
    by_route = {f"{route.method} {route.path}": route.authorizer for route in routes()}

    assert by_route.pop("GET /v1/links/{code}/qr") is None  # public, as a short URL is: no key, no authorizer run
    assert by_route.pop("GET /{code}") is None
    assert by_route.pop("HEAD /{code}") is None
    assert by_route.pop("GET /") is None  # a short domain's root: its homepage, or 404
    assert by_route.pop("HEAD /") is None
    assert by_route.pop("GET /v1/openapi.json") is None  # public, and no key is ever read
    assert by_route.pop("GET /docs") is None
    assert by_route.pop("GET /docs/assets/{version}/{name}") is None
    assert by_route.pop("GET /console") is None  # the console's page and files: the page asks for a key itself
    assert by_route.pop("GET /console/assets/{name}") is None
    assert by_route
    assert set(by_route.values()) == {KEY_AUTHORIZER}


def test_the_gateway_neither_requires_an_identity_source_nor_caches() -> None:
    """An identity source would make API Gateway answer a request without it (anonymous, or X-API-Key instead of
    Authorization) with its own bare 401; the authorizer caches per container instead (AUTH_CACHE_SECONDS)."""
    config = load_template()["Resources"]["HttpApi"]["Properties"]["Auth"]["Authorizers"]["KeyAuthorizer"]

    assert config["Identity"] == {"ReauthorizeEvery": 0}
    assert config["EnableFunctionDefaultPermissions"] is True


def test_the_authorizer_function_gets_its_cache_time_from_a_parameter() -> None:
    template = load_template()
    environment = function_specs(template)["AuthorizerFunction"].environment

    assert environment["AUTH_CACHE_SECONDS"] == {"Ref": "AuthCacheSeconds"}
    assert template["Parameters"]["AuthCacheSeconds"]["Default"] == 60
