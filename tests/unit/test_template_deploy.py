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


@pytest.fixture(scope="module")
def translated() -> dict[str, Any]:
    """template.yaml as CloudFormation receives it after the SAM transform (no AWS call, no packaging)."""
    from samtranslator.translator.transform import transform  # type: ignore[import-untyped]

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    template = load_template()
    template["Globals"]["Function"]["CodeUri"] = "s3://bucket/code.zip"  # offline: no local code to package
    template["Resources"]["AnalyticsDependencies"]["Properties"]["ContentUri"] = "s3://bucket/layer.zip"
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(os.environ, "AWS_DEFAULT_REGION", "us-east-1")  # the translator needs a region, even offline
        resources: dict[str, Any] = transform(template, {}, NoManagedPolicies())["Resources"]
    return resources


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
