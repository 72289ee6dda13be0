"""Safe deploys in template.yaml: every function runs behind its alias `live`, and CodeDeploy moves the redirect's
alias as a canary in prod (all at once in dev), rolled back by the alarms on the new version.

What SAM generates from AutoPublishAlias and DeploymentPreference (versions, aliases, the routes' integrations and
permissions, the deployment group) is checked on the translated template: samtranslator runs offline.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from local.template import evaluate_condition, load_template, parameter_values, routes

ALIAS = "live"
REDIRECT = "RedirectFunction"
DEPLOY_ALARMS = ["RedirectDeployErrorsAlarm", "RedirectDeployLatencyAlarm"]


def _functions(template: dict[str, Any]) -> list[str]:
    return [name for name, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"]


def _resolve_if(value: Any, template: dict[str, Any], overrides: dict[str, str]) -> Any:
    """``value`` with its ``!If`` decided for these parameter values, as CloudFormation would."""
    if isinstance(value, dict) and "Fn::If" in value:
        condition, if_true, if_false = value["Fn::If"]
        holds = evaluate_condition({"Condition": condition}, template, parameter_values(template, overrides))
        return if_true if holds else if_false
    return value


def _alias_ref(function: str) -> dict[str, str]:
    return {"Ref": f"{function}Alias{ALIAS}"}  # the AWS::Lambda::Alias SAM generates; !Ref gives its ARN


def _translate(overrides: dict[str, str] | None = None) -> dict[str, Any]:
    """template.yaml's resources as CloudFormation receives them after the SAM transform, for these parameter
    values (no AWS call, no packaging)."""
    from samtranslator.translator.transform import transform  # type: ignore[import-untyped]

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    template = load_template()
    template["Globals"]["Function"]["CodeUri"] = "s3://bucket/code.zip"  # offline: no local code to package
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = "s3://bucket/layer.zip"
    template["Resources"]["ConsoleFunction"]["Properties"]["CodeUri"] = "s3://bucket/console.zip"  # its own code
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(os.environ, "AWS_DEFAULT_REGION", "us-east-1")  # the translator needs a region, even offline
        resources: dict[str, Any] = transform(template, overrides or {}, NoManagedPolicies())["Resources"]
    return resources


@pytest.fixture(scope="module")
def translated() -> dict[str, Any]:
    return _translate()


def test_the_environment_is_dev_unless_prod_is_chosen() -> None:
    template = load_template()
    parameter = template["Parameters"]["Environment"]

    assert parameter["Default"] == "dev"
    assert parameter["AllowedValues"] == ["dev", "prod"]
    assert template["Conditions"]["IsProd"] == {"Fn::Equals": [{"Ref": "Environment"}, "prod"]}


def test_every_function_publishes_versions_behind_the_alias_live() -> None:
    template = load_template()
    in_globals = template["Globals"]["Function"].get("AutoPublishAlias")

    for function in _functions(template):
        assert template["Resources"][function]["Properties"].get("AutoPublishAlias", in_globals) == ALIAS, function


# Properties that are not a version's configuration: the function's own (concurrency), the alias's (invoke config),
# SAM's, or the events and the role.
NOT_VERSION_CONFIGURATION = {
    "Events",
    "Policies",
    "ReservedConcurrentExecutions",
    "EventInvokeConfig",
    "DeploymentPreference",
    "AutoPublishAlias",
    "AutoPublishAliasAllProperties",
    "VersionDescription",
}
# The Rules make CertificateArn non-empty exactly when CustomDomainName is: the latter says all the former would.
IMPLIED = {"CertificateArn"}


def _deploy_time_values(value: Any, template: dict[str, Any]) -> set[str]:
    """The parameters and resources whose deploy-time values ``value`` is made of (through conditions too)."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= _deploy_time_values(item, template)
    elif isinstance(value, dict):
        for key, argument in value.items():
            if key == "Ref" and _is_log_group(template, str(argument)):
                # A log group is referred to by its name, which is made of the stack's name only: fixed for the
                # stack's life, it never changes without the template text changing too.
                found |= _deploy_time_values(template["Resources"][argument]["Properties"]["LogGroupName"], template)
            elif key == "Ref" and not str(argument).startswith("AWS::"):
                found.add(str(argument).split(".")[0])
            elif key == "Fn::Sub":
                text, variables = (argument, {}) if isinstance(argument, str) else argument
                found |= {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text)} - set(variables)
                found |= _deploy_time_values(list(variables.values()), template)
            elif key == "Fn::GetAtt":
                found.add(str(argument[0]))
            elif key == "Fn::If":
                found |= _deploy_time_values({"Condition": argument[0]}, template)
                found |= _deploy_time_values(argument[1:], template)
            elif key == "Condition":
                found |= _deploy_time_values(template["Conditions"][argument], template)
            else:
                found |= _deploy_time_values(argument, template)
    return {name for name in found if not name.startswith("AWS::")}


def _is_log_group(template: dict[str, Any], name: str) -> bool:
    return bool(template["Resources"].get(name, {}).get("Type") == "AWS::Logs::LogGroup")


def _version_configuration(template: dict[str, Any], function: str) -> dict[str, Any]:
    """The function's properties that a published version freezes, with the Globals applied."""
    globals_fn = template["Globals"]["Function"]
    properties = template["Resources"][function]["Properties"]
    merged = {**globals_fn, **properties}
    merged["Environment"] = {
        "Variables": {
            **globals_fn["Environment"]["Variables"],
            **properties.get("Environment", {}).get("Variables", {}),
        }
    }
    configuration = {name: value for name, value in merged.items() if name not in NOT_VERSION_CONFIGURATION}
    # A layer that says PublishLambdaVersion is part of what SAM compares (with AutoPublishAliasAllProperties).
    configuration["Layers"] = [
        layer
        for layer in configuration.get("Layers", [])
        if not template["Resources"][layer["Ref"]]["Properties"].get("PublishLambdaVersion")
    ]
    return configuration


@pytest.mark.parametrize("function", _functions(load_template()))
def test_a_new_deploy_time_value_in_a_functions_configuration_publishes_a_version(function: str) -> None:
    """SAM publishes a version when a function's properties change as written, not when a parameter's value does;
    the version's description carries those values, and a new description replaces the version."""
    template = load_template()
    properties = template["Resources"][function]["Properties"]
    described = _deploy_time_values(properties["VersionDescription"], template)

    assert properties["AutoPublishAliasAllProperties"] is True  # any change to the properties as written
    assert described == _deploy_time_values(_version_configuration(template, function), template) - IMPLIED


def test_a_new_layer_version_publishes_a_new_version_of_the_aggregator() -> None:
    template = load_template()
    layers = template["Resources"]["AnalyticsFunction"]["Properties"]["Layers"]

    assert len(layers) == 2  # Powertools and the user-agent classifiers
    for layer in layers:
        assert template["Resources"][layer["Ref"]]["Properties"]["PublishLambdaVersion"] is True


def test_a_parameter_change_keeps_the_versions_id_but_changes_its_description() -> None:
    """Why each version carries a description: for SAM a parameter change is no change (the same version logical
    id), but the description changes, and CloudFormation cannot update that in place: it publishes a new version."""
    template = load_template()

    def versions(overrides: dict[str, str]) -> dict[str, str]:
        resources = _translate(overrides)
        values = parameter_values(template, overrides)
        return {
            name: re.sub(
                r"\$\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), r["Properties"]["Description"]["Fn::Sub"]
            )
            for name, r in resources.items()
            if r["Type"] == "AWS::Lambda::Version" and name.startswith("AuthorizerFunction")
        }

    [(before_id, before)] = versions({}).items()
    [(after_id, after)] = versions({"AuthCacheSeconds": "5"}).items()

    assert after_id == before_id
    assert before.endswith(" 60")
    assert after.endswith(" 5")


@pytest.mark.parametrize(("environment", "deployment"), [("dev", "AllAtOnce"), ("prod", "Canary10Percent5Minutes")])
def test_the_redirect_deploys_as_a_canary_in_prod_and_at_once_in_dev(environment: str, deployment: str) -> None:
    template = load_template()
    preference = template["Resources"][REDIRECT]["Properties"]["DeploymentPreference"]

    assert _resolve_if(preference["Type"], template, {"Environment": environment}) == deployment
    assert preference["Alarms"] == [{"Ref": alarm} for alarm in DEPLOY_ALARMS]
    assert preference.get("Enabled", True) is True


def test_only_the_redirect_goes_through_codedeploy() -> None:
    """The others move at once with their alias: no alarm watches them, so a canary could roll nothing back."""
    template = load_template()

    assert [f for f in _functions(template) if "DeploymentPreference" in template["Resources"][f]["Properties"]] == [
        REDIRECT
    ]


@pytest.mark.parametrize("alarm", DEPLOY_ALARMS)
def test_the_rollback_alarms_watch_the_new_version_behind_the_alias(alarm: str) -> None:
    properties = load_template()["Resources"][alarm]["Properties"]

    assert properties["Namespace"] == "AWS/Lambda"
    assert properties["Dimensions"] == [
        {"Name": "FunctionName", "Value": {"Ref": REDIRECT}},
        {"Name": "Resource", "Value": {"Fn::Sub": f"${{{REDIRECT}}}:{ALIAS}"}},
        {"Name": "ExecutedVersion", "Value": {"Fn::GetAtt": [REDIRECT, "Version.Version"]}},
    ]
    assert properties["ComparisonOperator"] == "GreaterThanThreshold"
    assert properties["TreatMissingData"] == "notBreaching"  # a canary without traffic has not failed
    assert properties["Period"] * properties["EvaluationPeriods"] < 5 * 60  # it can fire inside the canary's 5 min


def test_one_failed_redirect_of_the_new_version_rolls_back() -> None:
    properties = load_template()["Resources"]["RedirectDeployErrorsAlarm"]["Properties"]

    assert (properties["MetricName"], properties["Statistic"], properties["Threshold"]) == ("Errors", "Sum", 0)


def test_a_slow_new_version_rolls_back_on_its_p99_for_two_minutes() -> None:
    properties = load_template()["Resources"]["RedirectDeployLatencyAlarm"]["Properties"]

    assert (properties["MetricName"], properties["ExtendedStatistic"]) == ("Duration", "p99")
    assert properties["Threshold"] == 500
    assert (properties["Period"], properties["EvaluationPeriods"], properties["DatapointsToAlarm"]) == (60, 2, 2)


def test_sam_generates_a_version_and_the_alias_for_every_function(translated: dict[str, Any]) -> None:
    for function in _functions(load_template()):
        alias = translated[f"{function}Alias{ALIAS}"]
        assert alias["Type"] == "AWS::Lambda::Alias"
        assert alias["Properties"]["Name"] == ALIAS
        [version_id] = alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][:1]
        assert translated[version_id]["Type"] == "AWS::Lambda::Version"


def test_every_route_invokes_its_function_through_the_alias(translated: dict[str, Any]) -> None:
    body = translated["HttpApi"]["Properties"]["Body"]
    expected = {(route.path, route.method.lower()): route.function for route in routes()}

    invoked = {}
    for path, operations in body["paths"].items():
        for method, operation in operations.items():
            uri = operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
            [invoked[(path, method)]] = re.findall(r"/functions/\$\{(\w+)\}/invocations", uri)
    assert invoked == {key: f"{function}Alias{ALIAS}" for key, function in expected.items()}


def test_api_gateway_may_invoke_only_the_aliases(translated: dict[str, Any]) -> None:
    permissions = {
        name: r["Properties"]
        for name, r in translated.items()
        if r["Type"] == "AWS::Lambda::Permission" and r["Properties"]["Principal"] == "apigateway.amazonaws.com"
    }
    aliases = {_alias_ref(function)["Ref"]: function for function in _functions(load_template())}

    assert len(permissions) == len(routes()) + 1  # a permission per route, and the authorizer's
    invoked = {aliases[permission["FunctionName"]["Ref"]] for permission in permissions.values()}
    assert invoked == {route.function for route in routes()} | {"AuthorizerFunction"}


def test_the_key_authorizer_runs_through_its_alias(translated: dict[str, Any]) -> None:
    config = load_template()["Resources"]["HttpApi"]["Properties"]["Auth"]["Authorizers"]["KeyAuthorizer"]
    scheme = translated["HttpApi"]["Properties"]["Body"]["components"]["securitySchemes"]["KeyAuthorizer"]
    permission = translated["HttpApiKeyAuthorizerAuthorizerPermission"]["Properties"]

    assert config["FunctionArn"] == {"Ref": "AuthorizerFunction.Alias"}
    assert scheme["x-amazon-apigateway-authorizer"]["authorizerUri"]["Fn::Sub"][1] == {
        "__FunctionArn__": _alias_ref("AuthorizerFunction")
    }
    assert permission["FunctionName"] == _alias_ref("AuthorizerFunction")


def test_the_local_server_reads_the_authorizer_behind_its_alias() -> None:
    authorizers = {route.authorizer.function for route in routes() if route.authorizer}

    assert authorizers == {"AuthorizerFunction"}


def test_click_records_go_to_the_aggregators_alias(translated: dict[str, Any]) -> None:
    subscription = translated["ClickRecordsSubscription"]["Properties"]
    permission = translated["AnalyticsInvokePermission"]["Properties"]
    invoke_config = translated["AnalyticsFunctionEventInvokeConfig"]["Properties"]

    assert subscription["DestinationArn"] == _alias_ref("AnalyticsFunction")
    assert permission["FunctionName"] == _alias_ref("AnalyticsFunction")
    assert invoke_config["Qualifier"] == ALIAS  # retries and the failure queue apply to what the subscription invokes


def test_codedeploy_rolls_the_redirect_back_on_its_alarms(translated: dict[str, Any]) -> None:
    alias = translated[f"{REDIRECT}Alias{ALIAS}"]
    group = translated[alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]["DeploymentGroupName"]["Ref"]]
    properties = group["Properties"]

    assert group["Type"] == "AWS::CodeDeploy::DeploymentGroup"
    assert properties["AlarmConfiguration"] == {
        "Enabled": True,
        "Alarms": [{"Name": {"Ref": a}} for a in DEPLOY_ALARMS],
    }
    assert properties["AutoRollbackConfiguration"]["Enabled"] is True
    assert "DEPLOYMENT_STOP_ON_ALARM" in properties["AutoRollbackConfiguration"]["Events"]
    condition, prod, dev = properties["DeploymentConfigName"]["Fn::If"]
    assert condition == "IsProd"
    assert prod["Fn::Sub"][1] == {"ConfigName": "Canary10Percent5Minutes"}
    assert dev["Fn::Sub"][1] == {"ConfigName": "AllAtOnce"}
    for alarm in DEPLOY_ALARMS:  # the alarms follow the version the alias is moving to
        dimensions = {d["Name"]: d["Value"] for d in translated[alarm]["Properties"]["Dimensions"]}
        assert dimensions["ExecutedVersion"] == alias["Properties"]["FunctionVersion"]


def test_every_version_description_fits_lambdas_256_characters() -> None:
    """Lambda refuses a longer description (the deploy would fail on the version). Generous values: the longest
    numbers each parameter allows, 60-character host names, a stack name of 30 characters."""
    template = load_template()
    longest = {
        name: str(spec.get("MaxValue", spec.get("Default", "")))
        if spec["Type"] == "Number"
        else max((str(v) for v in spec.get("AllowedValues", [spec.get("Default", "")])), key=len)
        for name, spec in template["Parameters"].items()
    }
    host = "a" * 56 + ".org"
    longest |= {
        "ShortBaseUrl": f"https://{host}:65535",
        "CustomDomainName": host,
        "LinksTable": "shortlinks-production-eu-west-LinksTable-ABCDEFGHIJKL",
    }

    for function in _functions(template):
        text = template["Resources"][function]["Properties"]["VersionDescription"]["Fn::Sub"]
        description = re.sub(r"\$\{(\w+)\}", lambda m: longest[m.group(1)], text)
        assert len(description) <= 256, (function, len(description))
