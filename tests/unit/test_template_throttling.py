"""Throttling and concurrency in template.yaml: every route throttled by its group's parameters, redirects the
most; every function but the redirect reserved (and so capped) by a parameter, 0 meaning no reservation."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from local.template import ROOT, condition_values, load_template, parameter_values, routes

REDIRECT_ROUTES = {"GET /{code}", "HEAD /{code}", "GET /", "HEAD /"}
BULK_ROUTES = {"POST /v1/links/bulk"}
ADMIN_PREFIXES = ("/v1/keys", "/v1/domains")
# Each function but the redirect: the parameter of its reservation (which is also its cap).
RESERVATIONS = {
    "CreateFunction": "CreateReservedConcurrency",
    "LinksFunction": "LinksReservedConcurrency",
    "AuthorizerFunction": "AuthorizerReservedConcurrency",
    "KeysFunction": "KeysReservedConcurrency",
    "DomainsFunction": "DomainsReservedConcurrency",
    "DocsFunction": "DocsReservedConcurrency",
    "ExpandFunction": "ExpandReservedConcurrency",
    "AnalyticsFunction": "AnalyticsReservedConcurrency",
    "QrFunction": "QrReservedConcurrency",
    "ConsoleFunction": "ConsoleReservedConcurrency",
}
UNRESERVED_MINIMUM = 100  # what Lambda keeps unreserved in every account


def _api() -> dict[str, Any]:
    properties: dict[str, Any] = load_template()["Resources"]["HttpApi"]["Properties"]
    return properties


def _group(route_key: str) -> str:
    path = route_key.split(" ", 1)[1]
    if route_key in REDIRECT_ROUTES:
        return "Redirect"
    if route_key in BULK_ROUTES:
        return "Bulk"
    return "Admin" if path.startswith(ADMIN_PREFIXES) else "Api"


def _limits(group: str) -> dict[str, Any]:
    return {"ThrottlingBurstLimit": {"Ref": f"{group}BurstLimit"}, "ThrottlingRateLimit": {"Ref": f"{group}RateLimit"}}


def test_every_route_is_throttled_by_its_groups_parameters_and_no_other_route_is_named() -> None:
    route_keys = {f"{route.method} {route.path}" for route in routes()}

    assert set(_api()["RouteSettings"]) == route_keys
    for route_key, settings in _api()["RouteSettings"].items():
        assert settings == _limits(_group(route_key)), route_key


def test_a_route_added_without_settings_gets_the_api_groups_limits_never_the_redirects() -> None:
    assert _api()["DefaultRouteSettings"] == _limits("Api")


def test_redirects_get_the_highest_limits_and_bulk_keys_and_domains_the_lowest() -> None:
    values = {name: float(value) for name, value in parameter_values(load_template()).items() if "Limit" in name}

    for kind in ("Rate", "Burst"):
        redirect, api, admin, bulk = (values[f"{group}{kind}Limit"] for group in ("Redirect", "Api", "Admin", "Bulk"))
        assert redirect > api > max(admin, bulk), kind
    for group in ("Redirect", "Api", "Admin", "Bulk"):
        assert values[f"{group}BurstLimit"] >= values[f"{group}RateLimit"], group


def test_the_local_server_reads_the_same_routes_whatever_their_throttling() -> None:
    """The local gateway serves every route without throttling: RouteSettings are API Gateway's alone."""
    template = load_template()
    unthrottled = copy.deepcopy(template)
    for setting in ("RouteSettings", "DefaultRouteSettings"):
        del unthrottled["Resources"]["HttpApi"]["Properties"][setting]

    assert routes(template) == routes(unthrottled)
    assert len(routes(template)) == len(_api()["RouteSettings"])


@pytest.mark.parametrize(("function", "parameter"), RESERVATIONS.items())
def test_every_function_but_the_redirect_has_a_reservation_that_0_turns_off(function: str, parameter: str) -> None:
    template = load_template()
    reserved = template["Resources"][function]["Properties"]["ReservedConcurrentExecutions"]
    [condition, value, otherwise] = reserved["Fn::If"]

    assert (value, otherwise) == ({"Ref": parameter}, {"Ref": "AWS::NoValue"})
    assert condition_values(template, parameter_values(template))[condition] is True
    assert condition_values(template, parameter_values(template, {parameter: "0"}))[condition] is False
    assert template["Parameters"][parameter]["MinValue"] == 0


def test_the_redirect_is_never_reserved_it_takes_what_the_others_leave() -> None:
    resources = load_template()["Resources"]
    functions = {name for name, resource in resources.items() if resource["Type"] == "AWS::Serverless::Function"}

    assert "ReservedConcurrentExecutions" not in resources["RedirectFunction"]["Properties"]
    assert functions - {"RedirectFunction"} == set(RESERVATIONS)


def test_the_operations_guide_states_the_account_limit_the_default_reservations_need() -> None:
    defaults = parameter_values(load_template())
    reserved = sum(int(defaults[parameter]) for parameter in RESERVATIONS.values())
    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")

    assert f"{reserved} in all" in guide
    assert f"at least {reserved + UNRESERVED_MINIMUM}" in guide
