"""CloudWatch Logs JSON filter patterns, evaluated as CloudWatch evaluates the few forms template.yaml uses: so the
tests can say which metric a log line counts in without a deployment.

Supported: ``{ A || B }`` where each of A, B is ``( C && D && ... )`` or a bare conjunction, and each condition is
``$.field = value``, ``!=``, ``>=``, ``<=``, ``>``, ``<`` (numbers, or strings in double quotes) or
``$.field NOT EXISTS``. Anything else fails the test that uses it, rather than guessing.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable
from typing import Any

from local.template import load_template

_CONDITION = re.compile(r'^\$\.(\w+)\s*(?:(NOT EXISTS)|(=|!=|>=|<=|>|<)\s*("[^"]*"|-?[0-9.]+))$')
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}


def matches(pattern: str, line: str) -> bool:
    """Whether CloudWatch Logs would match the log event ``line`` with the JSON filter ``pattern``."""
    body = pattern.strip()
    assert body.startswith("{"), pattern
    assert body.endswith("}"), pattern
    try:
        event = json.loads(line)
    except ValueError:
        return False
    if not isinstance(event, dict):
        return False
    return any(
        all(_holds(condition.strip(), event) for condition in alternative.strip().strip("()").split("&&"))
        for alternative in body[1:-1].split("||")
    )


def _holds(condition: str, event: dict[str, Any]) -> bool:
    match = _CONDITION.match(condition.strip("()").strip())
    assert match, f"a filter condition the tests cannot evaluate: {condition!r}"
    field, not_exists, op, raw = match.groups()
    if not_exists:
        return field not in event
    if field not in event:
        return False
    value = event[field]
    expected: Any = raw[1:-1] if raw.startswith('"') else float(raw)
    if isinstance(expected, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
    elif not isinstance(value, str):
        return False
    return _COMPARE[op](value, expected)


def redirect_metric_filters() -> dict[str, str]:
    """Each metric the redirect's log group counts (metric name: filter pattern), from template.yaml."""
    resources = load_template()["Resources"]
    return {
        resource["Properties"]["MetricTransformations"][0]["MetricName"]: resource["Properties"]["FilterPattern"]
        for resource in resources.values()
        if resource["Type"] == "AWS::Logs::MetricFilter"
        and resource["Properties"]["LogGroupName"] == {"Ref": "RedirectFunctionLogs"}
    }


def counted(lines: list[str]) -> list[str]:
    """The redirect's metrics that ``lines`` count in, one name per match, in line order."""
    filters = redirect_metric_filters()
    return [name for line in lines for name, pattern in sorted(filters.items()) if matches(pattern, line)]
