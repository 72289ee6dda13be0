"""Least privilege in template.yaml: every function reaches the table only through the key prefixes it owns."""

from __future__ import annotations

from typing import Any

import pytest

from local.template import load_template

# Which partition-key prefixes each function may touch on the table itself (indexes are granted separately).
EXPECTED_PREFIXES = {
    "CreateFunction": {"LINK#*", "RATE#key_*", "IDEMPOTENCY#create", "DOMAINS"},
    "LinksFunction": {"LINK#*", "DOMAINS", "STATS#*"},
    "RedirectFunction": {"LINK#*", "DOMAINS", "SECRET#visitor"},
    "AnalyticsFunction": {"STATS#*", "BATCH#*", "LINK#*"},
    "ExpandFunction": {"LINK#*", "DOMAINS", "EXPAND#*", "RATE#expand#*"},
    "AuthorizerFunction": {"APIKEY#*"},
    "KeysFunction": {"APIKEY#*"},
    "DomainsFunction": {"DOMAINS", "LINK#*"},
}


def _table_statements(function: str) -> list[dict[str, Any]]:
    properties = load_template()["Resources"][function]["Properties"]
    statements = [s for policy in properties["Policies"] for s in policy["Statement"]]
    return [s for s in statements if s["Resource"] == {"Fn::GetAtt": ["LinksTable", "Arn"]}]


@pytest.mark.parametrize(("function", "prefixes"), EXPECTED_PREFIXES.items())
def test_each_function_touches_only_its_own_items_of_the_table(function: str, prefixes: set[str]) -> None:
    statements = _table_statements(function)

    assert statements, f"{function} has no statement on the table"
    granted: set[str] = set()
    for statement in statements:
        granted |= set(statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"])
    assert granted == prefixes


@pytest.mark.parametrize("function", ["CreateFunction", "LinksFunction"])
def test_functions_that_write_links_may_only_read_the_domain_registry(function: str) -> None:
    registry_statements = [
        statement
        for statement in _table_statements(function)
        if "DOMAINS" in statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
    ]

    assert registry_statements, f"{function} cannot read the domain registry"
    for statement in registry_statements:
        assert statement["Action"] == ["dynamodb:Query"]
        assert statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == ["DOMAINS"]


def test_every_function_that_touches_the_table_is_listed() -> None:
    resources = load_template()["Resources"]
    functions = {name for name, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}

    assert {f for f in functions if _table_statements(f)} == set(EXPECTED_PREFIXES)
