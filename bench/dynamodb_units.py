"""DynamoDB's capacity arithmetic, from its documented item-size rules: what a read or a write of an item costs in
request units, and in how many of the table's indexes a write lands."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

READ_UNIT_BYTES = 4096  # a strongly consistent read of up to 4 KB is 1 read unit; eventually consistent, half
WRITE_UNIT_BYTES = 1024  # a standard write of up to 1 KB is 1 write unit, in the table and in each index it lands in


def number_bytes(value: int | float | str) -> int:
    """A number's size: one byte per two significant digits, plus one."""
    digits = str(value).lstrip("-").replace(".", "")
    significant = digits.strip("0") or "0"
    return (len(significant) + 1) // 2 + 1


def value_bytes(value: Mapping[str, Any]) -> int:
    """The size of one attribute value in DynamoDB's JSON form (``{"S": ...}``, ``{"N": ...}``, ...)."""
    (kind, content), *_ = value.items()
    if kind == "S":
        return len(str(content).encode())
    if kind == "B":
        return len(content) if isinstance(content, bytes) else math.ceil(len(content) * 3 / 4)
    if kind == "N":
        return number_bytes(content)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(member).encode()) for member in content)
    if kind == "NS":
        return sum(number_bytes(member) for member in content)
    if kind == "L":
        return 3 + sum(1 + value_bytes(member) for member in content)
    if kind == "M":
        return 3 + sum(len(name.encode()) + 1 + value_bytes(member) for name, member in content.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_bytes(item: Mapping[str, Mapping[str, Any]], attributes: set[str] | None = None) -> int:
    """An item's size (attribute names plus values), or that of the ``attributes`` of it an index projects."""
    return sum(
        len(name.encode()) + value_bytes(value)
        for name, value in item.items()
        if attributes is None or name in attributes
    )


def read_units(item: Mapping[str, Mapping[str, Any]], *, consistent: bool) -> float:
    units = max(1, math.ceil(item_bytes(item) / READ_UNIT_BYTES))
    return float(units) if consistent else units / 2


def write_units(item: Mapping[str, Mapping[str, Any]], indexes: Mapping[str, dict[str, Any]]) -> dict[str, int]:
    """Write units of putting ``item``, per place it lands: ``table`` and each global secondary index whose key
    attributes the item carries (an index the item lacks a key of does not hold it, and costs nothing).

    ``indexes``: template.yaml's ``GlobalSecondaryIndexes`` by name (``KeySchema`` and ``Projection``)."""
    units = {"table": max(1, math.ceil(item_bytes(item) / WRITE_UNIT_BYTES))}
    table_keys = {"pk", "sk"}
    for name, index in indexes.items():
        keys = {key["AttributeName"] for key in index["KeySchema"]}
        if not keys <= item.keys():
            continue
        projection = index.get("Projection", {})
        if projection.get("ProjectionType", "ALL") == "ALL":
            projected = None
        else:
            projected = table_keys | keys | set(projection.get("NonKeyAttributes", []))
        units[name] = max(1, math.ceil(item_bytes(item, projected) / WRITE_UNIT_BYTES))
    return units
