"""Least privilege, provably: each function's effective permissions, derived from template.yaml (every action, on
every resource, for every partition key pattern, with its attribute and ReturnValues conditions), are exactly the
table in docs/operations.md ("Least privilege, provably"). A statement the table does not list fails; so does a
row the template lacks.

tests/iam.py evaluates the statements as IAM does. The integration tests hold every call the functions make to the
same statements (tests/integration/harness.py ``invoke``), so what the table lists is also enough.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from local.template import ROOT, load_template
from shortlinks.storage.api_keys import TOUCH_ATTRIBUTES
from shortlinks.storage.domains import TOMBSTONE_ATTRIBUTES
from tests import iam

OPERATIONS_GUIDE = ROOT / "docs" / "operations.md"
TABLE_HEADER = "| Function | Actions | On | Partition keys | Only when |"
# What each row's "On" names, and the grant resource it stands for.
INDEXES = ("gsi1", "gsi2", "gsi3")
NO_PERMISSIONS = "none"  # a row for a function granted nothing at all (the docs page, the console)

Permission = tuple[str, str, str, str | None, tuple[str, ...] | None, tuple[str, ...] | None]


@cache
def _functions() -> list[str]:
    resources = load_template()["Resources"]
    return sorted(name for name, resource in resources.items() if resource["Type"] == "AWS::Serverless::Function")


@cache
def _grants(function_id: str) -> list[iam.Grant]:
    return iam.grants(function_id)


def _short(function_id: str) -> str:
    return function_id.removesuffix("Function").lower()


def _from_template() -> set[Permission]:
    """One row per action, resource and partition-key pattern of every function's policy."""
    found: set[Permission] = set()
    for function in _functions():
        if not _grants(function):  # no permission at all: the guide's row says "none"
            found.add((_short(function), "none", "", None, None, None))
        for grant in _grants(function):
            for partition in grant.partitions or (None,):
                found.add(
                    (
                        _short(function),
                        grant.action,
                        grant.resource,
                        partition,
                        grant.attributes,
                        grant.return_values,
                    )
                )
    return found


def _from_guide() -> set[Permission]:
    """The table under "Least privilege, provably" in docs/operations.md, one row per action and partition key."""
    lines = OPERATIONS_GUIDE.read_text(encoding="utf-8").splitlines()
    start = lines.index(TABLE_HEADER) + 2  # the header and its |---| line
    found: set[Permission] = set()
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        function, actions, on, partitions, only = (cell.strip().replace("`", "") for cell in line.strip("|").split("|"))
        if actions == NO_PERMISSIONS:  # a function with no permission at all (docs, console)
            found.add((function, "none", on, None, None, None))
            continue
        attributes, return_values = _conditions(only)
        resource = "table" if on == "table" else f"index/{on}" if on in INDEXES else on
        for action in actions.split(", "):
            for partition in partitions.split(", ") if partitions else [None]:
                found.add((function, action, resource, partition, attributes, return_values))
    return found


def _conditions(only: str) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """``attributes a, b, c; ReturnValues NONE`` (either part optional)."""
    attributes = return_values = None
    for part in filter(None, (piece.strip() for piece in only.split(";"))):
        kind, _, values = part.partition(" ")
        if kind == "attributes":
            attributes = tuple(value.strip() for value in values.split(","))
        elif kind == "ReturnValues":
            return_values = tuple(value.strip() for value in values.split(","))
        else:
            raise ValueError(f"the guide's table has a condition this test cannot read: {part!r}")
    return attributes, return_values


def test_every_functions_effective_permissions_are_exactly_the_operations_guides_table() -> None:
    template, guide = _from_template(), _from_guide()

    assert template - guide == set(), "granted by template.yaml but not listed in docs/operations.md"
    assert guide - template == set(), "listed in docs/operations.md but not granted by template.yaml"


@pytest.mark.parametrize("function", _functions())
def test_no_function_may_scan_write_in_batches_or_use_a_wildcard(function: str) -> None:
    """iam.grants refuses wildcard actions, Deny statements and conditions it cannot evaluate."""
    actions = {grant.action for grant in _grants(function)}

    assert not actions & {"dynamodb:Scan", "dynamodb:BatchWriteItem", "dynamodb:PartiQLSelect"}


@pytest.mark.parametrize("function", _functions())
def test_every_grant_on_the_table_or_an_index_names_its_partitions(function: str) -> None:
    for grant in _grants(function):
        if grant.action.startswith("dynamodb:"):
            assert grant.partitions, f"{function} {grant.action} on {grant.resource} reaches every partition"


@pytest.mark.parametrize("function", _functions())
def test_an_update_limited_to_some_attributes_names_the_key_and_reads_nothing_back(function: str) -> None:
    """A limit on dynamodb:Attributes must name the key (or DynamoDB cannot find the item), and an update that
    returned ALL_OLD or ALL_NEW would read the attributes the limit keeps it from."""
    for grant in _grants(function):
        if grant.attributes is not None:
            assert {"pk", "sk"} <= set(grant.attributes)
            assert grant.return_values == ("NONE",)


def test_the_attribute_limits_are_what_the_storage_code_writes() -> None:
    limited = {
        (_short(function), grant.partitions): grant.attributes
        for function in _functions()
        for grant in _grants(function)
        if grant.attributes is not None
    }

    assert limited == {
        ("authorizer", ("APIKEY#*",)): TOUCH_ATTRIBUTES,
        ("domains", ("LINK#*",)): ("pk", "sk", *TOMBSTONE_ATTRIBUTES),
    }


# --- who can reach the items that matter: requests as IAM sees them ------------------------------------------------


def _allowed(operation: str, params: dict[str, Any]) -> set[str]:
    """The functions whose policies let this request through."""
    return {_short(function) for function in _functions() if not iam.refused(_grants(function), operation, params)}


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"TableName": "t", "Key": {"pk": {"S": pk}, "sk": {"S": sk}}}


def _query(pk: str, index: str | None = None) -> dict[str, Any]:
    name = f"{index}pk" if index else "pk"
    query: dict[str, Any] = {
        "TableName": "t",
        "KeyConditionExpression": "#0 = :0",
        "ExpressionAttributeNames": {"#0": name},
        "ExpressionAttributeValues": {":0": {"S": pk}},
    }
    return query | ({"IndexName": index} if index else {})


def test_no_function_can_scan_the_table_so_none_reads_a_partition_it_was_not_given() -> None:
    assert _allowed("Scan", {"TableName": "t"}) == set()
    for index in INDEXES:
        assert _allowed("Scan", {"TableName": "t", "IndexName": index}) == set()


def test_only_the_authorizer_and_the_keys_function_reach_api_key_records() -> None:
    record = _key("APIKEY#" + "0" * 64, "APIKEY")

    assert _allowed("GetItem", record) == {"authorizer"}
    assert _allowed("PutItem", {"TableName": "t", "Item": record["Key"]}) == {"keys"}
    assert _allowed("Query", _query("APIKEYS", "gsi1")) == {"keys"}


def test_the_authorizer_may_record_the_last_used_day_and_nothing_else() -> None:
    touch = _key("APIKEY#" + "0" * 64, "APIKEY") | {
        "UpdateExpression": "SET #0 = :0",
        "ConditionExpression": "attribute_exists (#1)",
        "ExpressionAttributeNames": {"#0": "last_used_day", "#1": "pk"},
        "ExpressionAttributeValues": {":0": {"S": "2026-11-25"}},
    }
    promote = touch | {"ExpressionAttributeNames": {"#0": "role", "#1": "pk"}}

    assert "authorizer" in _allowed("UpdateItem", touch)
    assert "authorizer" not in _allowed("UpdateItem", touch | {"ReturnValues": "ALL_NEW"})
    assert "authorizer" not in _allowed("UpdateItem", promote)


def test_only_the_redirect_reaches_the_visitor_secret_and_only_create_the_idempotency_records() -> None:
    assert _allowed("GetItem", _key("SECRET#visitor", "2026-11-25")) == {"redirect"}
    assert _allowed("GetItem", _key("IDEMPOTENCY#create", "x")) == {"create"}
    assert _allowed("DeleteItem", _key("IDEMPOTENCY#create", "x")) == {"create"}


def test_the_only_delete_is_creates_on_its_idempotency_records_and_the_domains_on_the_registry() -> None:
    deleters = {
        (_short(function), grant.partitions)
        for function in _functions()
        for grant in _grants(function)
        if grant.action == "dynamodb:DeleteItem"
    }

    assert deleters == {("create", ("IDEMPOTENCY#create",)), ("domains", ("DOMAINS",))}


def test_the_domains_function_can_tombstone_a_link_but_never_replace_delete_or_redirect_it() -> None:
    link = _key("LINK#care.link#help", "LINK")
    tombstone = link | {
        "UpdateExpression": "SET #0 = :0, #1 = #1 + :1, #2 = :2",
        "ConditionExpression": "attribute_exists (#3) AND #0 <> :0",
        "ExpressionAttributeNames": {"#0": "state", "#1": "version", "#2": "updated_at", "#3": "pk"},
        "ExpressionAttributeValues": {":0": {"S": "deleted"}, ":1": {"N": "1"}, ":2": {"S": "x"}},
        "ReturnValues": "NONE",
    }
    hijack = tombstone | {"ExpressionAttributeNames": {"#0": "url", "#1": "version", "#2": "updated_at", "#3": "pk"}}

    assert "domains" in _allowed("UpdateItem", tombstone)
    assert "domains" not in _allowed("UpdateItem", hijack)
    assert "domains" not in _allowed("PutItem", {"TableName": "t", "Item": link["Key"]})
    assert "domains" not in _allowed("DeleteItem", link)
    assert "domains" not in _allowed("GetItem", link)


def test_the_redirect_reads_links_and_the_registry_and_writes_only_the_visitor_secret() -> None:
    assert {(grant.action, grant.resource, grant.partitions) for grant in _grants("RedirectFunction")} == {
        ("dynamodb:GetItem", "table", ("LINK#*",)),
        ("dynamodb:BatchGetItem", "table", ("LINK#*", "SECRET#visitor")),
        ("dynamodb:Query", "table", ("DOMAINS",)),
        ("dynamodb:GetItem", "table", ("SECRET#visitor",)),
        ("dynamodb:PutItem", "table", ("SECRET#visitor",)),
    }


def test_index_queries_are_confined_to_their_partitions() -> None:
    assert _allowed("Query", _query("OWNER#key_Campaigns001", "gsi1")) == {"links"}
    assert _allowed("Query", _query("URL#key_Campaigns001#care.link#" + "0" * 32, "gsi2")) == {"create"}
    assert _allowed("Query", _query("LINKS#care.link", "gsi3")) == {"links", "domains"}


def _functions_in_guide() -> set[str]:
    lines = OPERATIONS_GUIDE.read_text(encoding="utf-8").splitlines()
    rows = lines[lines.index(TABLE_HEADER) + 2 :]
    return {row.strip("|").split("|")[0].strip() for row in rows[: [r.startswith("|") for r in rows].index(False)]}


def test_the_guides_table_is_found_and_names_every_function() -> None:
    functions = _functions_in_guide()

    assert functions == {_short(function) for function in _functions()}


def test_create_and_expand_each_count_in_their_own_rate_counters_only() -> None:
    def hit(pk: str) -> dict[str, Any]:
        return _key(pk, "1796041560") | {
            "UpdateExpression": "ADD #0 :0 SET #1 = :1",
            "ExpressionAttributeNames": {"#0": "hits", "#1": "ttl"},
            "ExpressionAttributeValues": {":0": {"N": "1"}, ":1": {"N": "1796045160"}},
        }

    assert _allowed("UpdateItem", hit("RATE#key_Campaigns001")) == {"create"}
    assert _allowed("UpdateItem", hit("RATE#expand#key_Campaigns001")) == {"expand"}
    assert _allowed("UpdateItem", hit("RATE#expand#ip#" + "0" * 32)) == {"expand"}


def test_the_console_is_granted_nothing_and_the_guide_says_so() -> None:
    assert _grants("ConsoleFunction") == []
    assert "| console | none | | | |" in OPERATIONS_GUIDE.read_text(encoding="utf-8")
