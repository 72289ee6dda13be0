"""template.yaml's permissions as IAM evaluates them, for the tests that hold the template and the code to them.

A ``Grant`` is one action of one statement, on the table, one of its indexes or another resource, with the
conditions DynamoDB evaluates: which partition-key values (``dynamodb:LeadingKeys``, ``StringLike`` patterns), which
attributes (``dynamodb:Attributes``) and which ``ReturnValues``. ``authorisations`` turns a recorded botocore call
into what IAM authorises (a ``TransactWriteItems`` is one authorisation per item, as IAM checks it), and ``refused``
says which of them no grant allows.

Two rules of IAM decide what a condition on partition keys is worth, and both are modelled here:
- ``ForAllValues`` holds for a request that carries no value at all: a ``Scan`` names no partition key, so it
  passes any ``dynamodb:LeadingKeys`` condition. A grant of ``Scan`` is a grant of the whole table.
- On an index, ``dynamodb:LeadingKeys`` is the index partition key the ``Query`` names. (If DynamoDB passed no
  value there instead, the condition would hold for every query, as it did before it was written: it can narrow,
  never widen.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from local.template import TABLE_LOGICAL_ID, load_template

TABLE = "table"
_TABLE_ARN = {"Fn::GetAtt": [TABLE_LOGICAL_ID, "Arn"]}
_INDEX_ARN = re.compile(r"^\$\{" + TABLE_LOGICAL_ID + r"\.Arn\}/index/([A-Za-z0-9_.-]+)$")
# The condition operators and keys this model understands; anything else in a statement fails the tests that use it.
_KNOWN_CONDITIONS = {
    ("ForAllValues:StringLike", "dynamodb:LeadingKeys"),
    ("ForAllValues:StringEquals", "dynamodb:Attributes"),
    ("StringEquals", "dynamodb:ReturnValues"),
}
# How IAM authorises each kind of item in a TransactWriteItems.
_TRANSACTION_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


@dataclass(frozen=True)
class Grant:
    """One action a statement allows, where, and on which conditions (``None``: not limited)."""

    action: str  # "dynamodb:GetItem", "sqs:SendMessage" ...
    resource: str  # "table", "index/<name>", or the logical id of another resource
    partitions: tuple[str, ...] | None = None  # dynamodb:LeadingKeys patterns
    attributes: tuple[str, ...] | None = None  # dynamodb:Attributes
    return_values: tuple[str, ...] | None = None  # dynamodb:ReturnValues

    def allows(self, request: Authorisation) -> bool:
        if (self.action, self.resource) != (request.action, request.resource):
            return False
        if self.partitions is not None and not all(
            any(_like(value, pattern) for pattern in self.partitions) for value in request.partitions
        ):
            return False
        if self.attributes is not None and (
            request.attributes is None or not request.attributes <= set(self.attributes)
        ):
            return False
        return self.return_values is None or request.return_values in self.return_values


@dataclass(frozen=True)
class Authorisation:
    """What IAM checks for one request (or one item of a transaction)."""

    action: str
    resource: str
    partitions: tuple[str, ...]  # the partition-key values it names: none for a Scan
    attributes: frozenset[str] | None  # the attribute names it names; None: every attribute (nothing projected)
    return_values: str | None = None


def grants(function_id: str, template: dict[str, Any] | None = None) -> list[Grant]:
    """Every action ``function_id``'s ``Policies`` allow. ``ValueError`` for what this model cannot evaluate (a
    ``Deny``, a managed policy, an unknown condition): a test must not pass by ignoring part of a policy."""
    template = template or load_template()
    found: list[Grant] = []
    for policy in template["Resources"][function_id]["Properties"].get("Policies") or []:
        if not isinstance(policy, dict) or set(policy) != {"Statement"}:
            raise ValueError(f"{function_id}: only inline statements can be evaluated, not {policy!r}")
        for statement in policy["Statement"]:
            found.extend(_statement_grants(function_id, statement))
    return found


def _statement_grants(function_id: str, statement: dict[str, Any]) -> list[Grant]:
    if statement.get("Effect") != "Allow" or set(statement) - {"Sid", "Effect", "Action", "Resource", "Condition"}:
        raise ValueError(f"{function_id} {statement.get('Sid')}: only Allow statements of Action and Resource")
    actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    if any("*" in str(action) for action in actions):
        raise ValueError(f"{function_id} {statement.get('Sid')}: a wildcard action")
    limits: dict[str, tuple[str, ...]] = {}
    for operator, keys in (statement.get("Condition") or {}).items():
        for key, values in keys.items():
            if (operator, key) not in _KNOWN_CONDITIONS:
                raise ValueError(f"{function_id} {statement.get('Sid')}: cannot evaluate {operator} {key}")
            limits[key] = tuple(str(value) for value in (values if isinstance(values, list) else [values]))
    return [
        Grant(
            action=str(action),
            resource=_resource(statement["Resource"]),
            partitions=limits.get("dynamodb:LeadingKeys"),
            attributes=limits.get("dynamodb:Attributes"),
            return_values=limits.get("dynamodb:ReturnValues"),
        )
        for action in actions
    ]


def _resource(resource: Any) -> str:
    if resource == _TABLE_ARN:
        return TABLE
    if isinstance(resource, dict) and isinstance(resource.get("Fn::Sub"), str):
        index = _INDEX_ARN.match(resource["Fn::Sub"])
        if index:
            return f"index/{index.group(1)}"
    if isinstance(resource, dict) and "Fn::GetAtt" in resource and resource["Fn::GetAtt"][1] == "Arn":
        return str(resource["Fn::GetAtt"][0])
    if isinstance(resource, dict) and set(resource) == {"Ref"}:  # a topic's Ref is its ARN
        return str(resource["Ref"])
    raise ValueError(f"cannot evaluate the resource {resource!r}")


def authorisations(operation: str, params: dict[str, Any]) -> list[Authorisation]:
    """What IAM authorises for one DynamoDB API call on the template's table, as botocore sent it."""
    match operation:
        case "GetItem":
            return [_item_request("GetItem", params["Key"], params)]
        case "PutItem":
            return [_item_request("PutItem", params["Item"], params)]
        case "UpdateItem" | "DeleteItem":
            return [_item_request(operation, params["Key"], params, returns=True)]
        case "Query":
            index = params.get("IndexName")
            return [
                Authorisation(
                    "dynamodb:Query",
                    f"index/{index}" if index else TABLE,
                    (_queried_partition(params, _partition_keys()[index]),),
                    _named(params, projected=True),
                )
            ]
        case "Scan":
            index = params.get("IndexName")
            return [Authorisation("dynamodb:Scan", f"index/{index}" if index else TABLE, (), _named(params, True))]
        case "BatchGetItem":
            return [
                Authorisation(
                    "dynamodb:BatchGetItem",
                    TABLE,
                    tuple(key["pk"]["S"] for key in request["Keys"]),
                    _named(request, projected=True, keys=request["Keys"]),
                )
                for request in params["RequestItems"].values()
            ]
        case "TransactWriteItems":
            found: list[Authorisation] = []
            for item in params["TransactItems"]:
                [(kind, request)] = item.items()
                key = request["Item"] if kind == "Put" else request["Key"]
                found.append(_item_request(_TRANSACTION_ACTIONS[kind], key, request, returns=kind != "ConditionCheck"))
            return found
    raise ValueError(f"no model of how IAM authorises {operation}")


def refused(grants_: list[Grant], operation: str, params: dict[str, Any]) -> list[Authorisation]:
    """The authorisations of one call that none of ``grants_`` allows (an empty list: IAM lets it through)."""
    return [request for request in authorisations(operation, params) if not any(g.allows(request) for g in grants_)]


def _item_request(action: str, key: dict[str, Any], params: dict[str, Any], *, returns: bool = False) -> Authorisation:
    reads = action == "GetItem"
    return Authorisation(
        f"dynamodb:{action}",
        TABLE,
        (key["pk"]["S"],),
        _named(params, projected=reads, keys=[key]),
        str(params.get("ReturnValues", "NONE")) if returns else None,  # UpdateItem's default is NONE
    )


def _named(
    params: dict[str, Any], projected: bool = False, keys: list[dict[str, Any]] | None = None
) -> frozenset[str] | None:
    """The attribute names a request names: its key's (or item's), its expressions', what it projects. A read that
    projects nothing names every attribute (``None``)."""
    if projected and not (params.get("ProjectionExpression") or params.get("AttributesToGet")):
        return None
    names = {str(name) for key in keys or [] for name in key}
    names |= {str(name) for name in (params.get("ExpressionAttributeNames") or {}).values()}
    names |= {str(name) for name in params.get("AttributesToGet") or []}
    for expression in ("ProjectionExpression", "UpdateExpression", "ConditionExpression", "FilterExpression"):
        # Names written out rather than through ExpressionAttributeNames count too.
        words = re.findall(r"(?<![#:\w])[A-Za-z_]\w*", str(params.get(expression) or ""))
        names |= {word for word in words if word.lower() not in _EXPRESSION_WORDS}
    return frozenset(names)


# The words of DynamoDB's expression syntax (keywords and functions), which are not attribute names.
_EXPRESSION_WORDS = {
    "and", "or", "not", "between", "in", "set", "remove", "add", "delete", "attribute_exists",
    "attribute_not_exists", "attribute_type", "begins_with", "contains", "size", "if_not_exists", "list_append",
}  # fmt: skip


@cache
def _partition_keys() -> dict[str | None, str]:
    """The partition key attribute of the template's table (``None``) and of each of its indexes (by name)."""
    table = load_template()["Resources"][TABLE_LOGICAL_ID]["Properties"]
    schemas: dict[str | None, list[dict[str, str]]] = {None: table["KeySchema"]}
    schemas |= {index["IndexName"]: index["KeySchema"] for index in table.get("GlobalSecondaryIndexes") or []}
    return {
        name: next(key["AttributeName"] for key in schema if key["KeyType"] == "HASH")
        for name, schema in schemas.items()
    }


def _queried_partition(params: dict[str, Any], partition_key: str) -> str:
    """The partition-key value of a Query's ``KeyConditionExpression`` (``#name = :value``, or the legacy
    ``KeyConditions``)."""
    if "KeyConditions" in params:
        return str(params["KeyConditions"][partition_key]["AttributeValueList"][0]["S"])
    names = params.get("ExpressionAttributeNames") or {}
    for name, value in re.findall(r"(#?\w+)\s*=\s*(:\w+)", params["KeyConditionExpression"]):
        if names.get(name, name) == partition_key:
            return str(params["ExpressionAttributeValues"][value]["S"])
    raise ValueError(f"no condition on {partition_key} in {params['KeyConditionExpression']!r}")


def _like(value: str, pattern: str) -> bool:
    """IAM's ``StringLike``: ``*`` any run of characters, ``?`` one, everything else itself, case-sensitive."""
    regex = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None
