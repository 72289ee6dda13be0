"""Read template.yaml: the single source of routes, handlers, environments and the table schema.

The local server and the tests both read the template through this module, so neither can drift from what
``sam deploy`` creates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
# Where `make` installs the docs layer (npm ci): the local stand-in for /opt/nodejs/node_modules/swagger-ui-dist.
SWAGGER_UI_DIR = ROOT / "layers" / "docs" / "node_modules" / "swagger-ui-dist"
TEMPLATE_PATH = ROOT / "template.yaml"
TABLE_LOGICAL_ID = "LinksTable"


class _CfnLoader(yaml.SafeLoader):
    """A YAML loader that understands CloudFormation's short-form tags (``!Ref``, ``!GetAtt``, ``!Sub`` ...)."""


def _construct_tag(loader: _CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = tag_suffix if tag_suffix in ("Ref", "Condition") else f"Fn::{tag_suffix}"  # the long forms
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    return loaded


@dataclass(frozen=True)
class FunctionSpec:
    """What it takes to run one ``AWS::Serverless::Function``: its handler, code, environment and limits."""

    function: str  # the logical id
    handler: str
    code_uri: Path
    environment: dict[str, Any]
    memory_size: int = 128  # Lambda's defaults, for templates that leave them out
    timeout: int = 3


@dataclass(frozen=True)
class Authorizer:
    """A Lambda authorizer of an HttpApi (``Auth.Authorizers.<name>`` with a ``FunctionArn``)."""

    name: str
    function: str  # logical id of the authorizer function
    payload_format_version: str
    simple_responses: bool
    identity_headers: tuple[str, ...] = ()  # lower-case header names, from Identity.Headers
    identity_query_strings: tuple[str, ...] = ()
    result_ttl_seconds: int = 300  # Identity.ReauthorizeEvery; API Gateway's default when it is left out


@dataclass(frozen=True)
class Route:
    """One HttpApi event: ``method`` (or ANY) on ``path`` served by ``function``, behind ``authorizer`` (if any)."""

    function: str
    method: str
    path: str
    handler: str
    code_uri: Path
    environment: dict[str, Any]
    memory_size: int = 128
    timeout: int = 3
    authorizer: Authorizer | None = None


def function_specs(template: dict[str, Any] | None = None) -> dict[str, FunctionSpec]:
    """Every function in the template by logical id, with the Globals applied."""
    template = template or load_template()
    globals_fn = (template.get("Globals") or {}).get("Function") or {}
    specs: dict[str, FunctionSpec] = {}
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource.get("Properties") or {}
        specs[logical_id] = FunctionSpec(
            function=logical_id,
            handler=str(props.get("Handler") or globals_fn["Handler"]),
            code_uri=ROOT / str(props.get("CodeUri") or globals_fn.get("CodeUri") or "."),
            environment={
                **((globals_fn.get("Environment") or {}).get("Variables") or {}),
                **((props.get("Environment") or {}).get("Variables") or {}),
            },
            memory_size=int(props.get("MemorySize") or globals_fn.get("MemorySize") or 128),
            timeout=int(props.get("Timeout") or globals_fn.get("Timeout") or 3),
        )
    return specs


def routes(template: dict[str, Any] | None = None) -> list[Route]:
    """Every HttpApi route in the template, with its function's handler, code directory and environment, and the
    authorizer API Gateway runs first: the event's ``Auth.Authorizer`` (``NONE``: none), else its API's
    ``DefaultAuthorizer``."""
    template = template or load_template()
    specs = function_specs(template)
    found: list[Route] = []
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        spec = specs[logical_id]
        for event in ((resource.get("Properties") or {}).get("Events") or {}).values():
            if event.get("Type") != "HttpApi":
                continue
            event_props = event.get("Properties") or {}
            found.append(
                Route(
                    function=logical_id,
                    method=str(event_props.get("Method", "ANY")).upper(),
                    path=str(event_props["Path"]),
                    handler=spec.handler,
                    code_uri=spec.code_uri,
                    environment=spec.environment,
                    memory_size=spec.memory_size,
                    timeout=spec.timeout,
                    authorizer=_route_authorizer(template, event_props),
                )
            )
    return found


def _route_authorizer(template: dict[str, Any], event_props: dict[str, Any]) -> Authorizer | None:
    api_ref = event_props.get("ApiId")
    if api_ref is None:  # SAM's implicit API takes its settings from Globals.HttpApi
        api_props = (template.get("Globals") or {}).get("HttpApi") or {}
    elif isinstance(api_ref, dict) and "Ref" in api_ref:
        api_props = template["Resources"][api_ref["Ref"]].get("Properties") or {}
    else:
        raise ValueError(f"ApiId {api_ref!r}: only !Ref to an HttpApi of this template can be resolved locally")
    auth = api_props.get("Auth") or {}
    name = (event_props.get("Auth") or {}).get("Authorizer") or auth.get("DefaultAuthorizer")
    if name is None or name == "NONE":
        return None
    config = (auth.get("Authorizers") or {}).get(name)
    if config is None:
        raise ValueError(f"route {event_props.get('Path')}: no authorizer named {name!r} on its API")
    identity = config.get("Identity") or {}
    return Authorizer(
        name=str(name),
        function=_authorizer_function(str(name), config.get("FunctionArn")),
        payload_format_version=str(config.get("AuthorizerPayloadFormatVersion", "")),
        simple_responses=bool(config.get("EnableSimpleResponses", False)),
        identity_headers=tuple(str(header).lower() for header in identity.get("Headers") or ()),
        identity_query_strings=tuple(str(parameter) for parameter in identity.get("QueryStrings") or ()),
        result_ttl_seconds=int(identity.get("ReauthorizeEvery", 300)),
    )


def _authorizer_function(name: str, function_arn: Any) -> str:
    """The logical id of the function behind an authorizer's ``FunctionArn``: ``!GetAtt <Function>.Arn``, or
    ``!Ref <Function>.Alias`` (its ``AutoPublishAlias``; locally the function's code is its only version)."""
    if isinstance(function_arn, dict) and "Fn::GetAtt" in function_arn:
        return str(function_arn["Fn::GetAtt"][0])
    if isinstance(function_arn, dict) and str(function_arn.get("Ref", "")).endswith(".Alias"):
        return str(function_arn["Ref"]).removesuffix(".Alias")
    raise ValueError(
        f"authorizer {name}: only Lambda authorizers with FunctionArn: !GetAtt <Function>.Arn or"
        " !Ref <Function>.Alias run locally"
    )


def table_definition(template: dict[str, Any] | None = None) -> dict[str, Any]:
    """``CreateTable`` arguments (without ``TableName``) for the table declared in the template."""
    template = template or load_template()
    props = template["Resources"][TABLE_LOGICAL_ID]["Properties"]
    definition: dict[str, Any] = {
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        definition["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    return definition


def time_to_live_attribute(template: dict[str, Any] | None = None) -> str | None:
    template = template or load_template()
    spec = template["Resources"][TABLE_LOGICAL_ID]["Properties"].get("TimeToLiveSpecification") or {}
    return str(spec["AttributeName"]) if spec.get("Enabled") else None


def create_table(client: Any, table_name: str, template: dict[str, Any] | None = None) -> None:
    """Create the template's table on ``client`` (a boto3 DynamoDB client: moto, DynamoDB Local or AWS)."""
    template = template or load_template()
    client.create_table(TableName=table_name, **table_definition(template))
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    ttl = time_to_live_attribute(template)
    if ttl:
        client.update_time_to_live(
            TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl}
        )


def parameter_values(template: dict[str, Any], overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every parameter's value as a deploy would see it: its override (``--parameter-overrides``), else its
    ``Default`` (as the string CloudFormation passes on; a missing default counts as empty)."""
    values = {name: str(spec.get("Default", "")) for name, spec in (template.get("Parameters") or {}).items()}
    unknown = set(overrides or {}) - set(values)
    if unknown:
        raise ValueError(f"no such parameters: {sorted(unknown)}")
    return values | dict(overrides or {})


# The Region a condition sees unless ``parameters`` name another (``"AWS::Region": "eu-west-1"``): the local
# server's, and the Makefile's AWS_DEFAULT_REGION.
LOCAL_REGION = "us-east-1"


def _condition_operand(value: Any, parameters: Mapping[str, str]) -> str:
    if value == {"Ref": "AWS::Region"}:
        return parameters.get("AWS::Region", LOCAL_REGION)
    if isinstance(value, dict) and "Ref" in value:
        if value["Ref"] not in parameters:
            raise ValueError(f"cannot evaluate !Ref {value['Ref']} in a condition locally")
        return parameters[value["Ref"]]
    if isinstance(value, dict):
        raise ValueError(f"cannot evaluate {value} in a condition locally")
    return str(value)


def evaluate_condition(expression: Any, template: dict[str, Any], parameters: Mapping[str, str]) -> bool:
    """A condition (``Fn::Equals``, ``Fn::And``, ``Fn::Or``, ``Fn::Not``, ``Condition``) over parameter values
    (``parameter_values``), as CloudFormation evaluates it at deploy time. Rules' conditions and assertions too."""
    if not isinstance(expression, dict) or len(expression) != 1:
        raise ValueError(f"not a condition: {expression!r}")
    [(function, argument)] = expression.items()
    match function:
        case "Condition":
            return evaluate_condition(template["Conditions"][argument], template, parameters)
        case "Fn::Equals":
            left, right = argument
            return _condition_operand(left, parameters) == _condition_operand(right, parameters)
        case "Fn::And":
            return all(evaluate_condition(item, template, parameters) for item in argument)
        case "Fn::Or":
            return any(evaluate_condition(item, template, parameters) for item in argument)
        case "Fn::Not":
            [negated] = argument
            return not evaluate_condition(negated, template, parameters)
    raise ValueError(f"cannot evaluate {function} in a condition locally")


def condition_values(template: dict[str, Any], parameters: Mapping[str, str]) -> dict[str, bool]:
    """Every condition of the template, true or false for these parameter values."""
    return {
        name: evaluate_condition({"Condition": name}, template, parameters) for name in template.get("Conditions") or {}
    }


def created_items(template: dict[str, Any], section: str, parameters: Mapping[str, str]) -> dict[str, Any]:
    """The resources (``section="Resources"``) or outputs a deploy with these parameter values creates: those whose
    condition holds."""
    conditions = condition_values(template, parameters)
    return {name: item for name, item in template[section].items() if conditions.get(item.get("Condition"), True)}


def failed_rules(template: dict[str, Any], parameters: Mapping[str, str]) -> list[str]:
    """The Rules a deploy with these parameter values would stop on: their condition holds, an assertion does not."""
    failed = []
    for name, rule in (template.get("Rules") or {}).items():
        if "RuleCondition" in rule and not evaluate_condition(rule["RuleCondition"], template, parameters):
            continue
        if not all(evaluate_condition(a["Assert"], template, parameters) for a in rule["Assertions"]):
            failed.append(name)
    return failed


def _resolve_value(
    name: str, value: Any, *, table_name: str, template: dict[str, Any], parameters: dict[str, str]
) -> str:
    if isinstance(value, dict) and "Fn::If" in value:
        condition, if_true, if_false = value["Fn::If"]
        chosen = if_true if evaluate_condition({"Condition": condition}, template, parameters) else if_false
        return _resolve_value(name, chosen, table_name=table_name, template=template, parameters=parameters)
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        # Only ${Parameter} references: anything else (resources, attributes, pseudo parameters) is left to AWS.
        text = re.sub(r"\$\{([A-Za-z0-9]+)\}", lambda m: parameters.get(m.group(1), m.group(0)), value["Fn::Sub"])
        if "${" in text:
            raise ValueError(f"{name}: cannot resolve {value} locally")
        return text
    if isinstance(value, dict) and "Ref" in value:
        ref = value["Ref"]
        if ref == TABLE_LOGICAL_ID:
            return table_name
        if ref in parameters:
            return parameters[ref]
        raise ValueError(f"{name}: cannot resolve !Ref {ref} locally")
    if isinstance(value, dict):
        raise ValueError(f"{name}: cannot resolve {value} locally")
    return str(value)


def resolve_environment(
    variables: dict[str, Any],
    *,
    table_name: str,
    template: dict[str, Any] | None = None,
    parameters: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Turn a function's environment into plain strings as CloudFormation would at deploy time.

    ``!Ref`` to the table becomes ``table_name``; ``!Ref`` to a parameter (and ``${Parameter}`` in ``!Sub``)
    becomes the parameter's value: its default, unless ``parameters`` overrides it. ``!If`` picks a branch by
    the template's conditions for those values.
    """
    template = template or load_template()
    values = parameter_values(template, parameters)
    return {
        name: _resolve_value(name, value, table_name=table_name, template=template, parameters=values)
        for name, value in variables.items()
    }
