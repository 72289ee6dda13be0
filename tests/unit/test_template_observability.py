"""Observability in template.yaml: access logs and Lambda's JSON logs.

Nothing here is deployed; these tests read the template (and, for what Lambda's log-level filter will see, the lines
our code writes) so that the log groups and what reads them cannot drift apart.
"""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stdout
from typing import Any

import pytest
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from local.template import load_template
from shortlinks.domain.clicks import parse_click
from shortlinks.observability import write_click

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
PARAMETERS: dict[str, Any] = TEMPLATE["Parameters"]
FUNCTIONS = sorted(name for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function")
LOG_GROUPS = {name: r for name, r in RESOURCES.items() if r["Type"] == "AWS::Logs::LogGroup"}
CLICK_LOG_GROUP = "RedirectFunctionLogs"


def _access_log_format() -> dict[str, str]:
    settings = RESOURCES["HttpApi"]["Properties"]["AccessLogSettings"]
    separator, parts = settings["Format"]["Fn::Join"]
    parsed: dict[str, str] = json.loads(separator.join(parts))
    return parsed


# Access logs


def test_access_logs_are_json_lines_with_the_fields_the_runbook_reads() -> None:
    fields = _access_log_format()

    assert {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "method": "$context.httpMethod",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "latency": "$context.responseLatency",
        "integrationError": "$context.integrationErrorMessage",
        "authorizerError": "$context.authorizer.error",
    }.items() <= fields.items()
    # One variable per value, every value a string: an absent one ("-") never breaks the line.
    assert all(re.fullmatch(r"\$context\.[A-Za-z.]+", value) for value in fields.values())


def test_access_logs_hold_no_value_a_client_writes_freely() -> None:
    """A path or a header may hold a quote or a backslash; none is logged, so every line stays parseable."""
    variables = set(_access_log_format().values())

    assert not {v for v in variables if v.startswith(("$context.path", "$context.identity.userAgent"))}
    assert not {v for v in variables if "header" in v.lower() or "requestOverride" in v}


def test_access_logs_have_their_own_log_group_with_the_log_retention() -> None:
    settings = RESOURCES["HttpApi"]["Properties"]["AccessLogSettings"]
    group = LOG_GROUPS["HttpApiAccessLogs"]

    assert settings["DestinationArn"] == {"Fn::GetAtt": ["HttpApiAccessLogs", "Arn"]}
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert group["Properties"]["LogGroupName"] == {"Fn::Sub": "/aws/vendedlogs/apigateway/${AWS::StackName}-access"}
    assert group["DeletionPolicy"] == "Delete"
    bound = {RESOURCES[f]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] for f in FUNCTIONS}
    assert "HttpApiAccessLogs" not in bound


# Lambda's JSON logs


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_logs_json_without_lambdas_start_end_report_lines_to_its_group(function: str) -> None:
    logging_config = RESOURCES[function]["Properties"]["LoggingConfig"]
    group = logging_config["LogGroup"]["Ref"]

    assert logging_config["LogFormat"] == "JSON"
    assert logging_config["SystemLogLevel"] == "WARN"
    assert group == f"{function}Logs"
    assert group in LOG_GROUPS


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_application_log_level_lets_lines_without_a_level_through(function: str) -> None:
    """Lambda gives a line with no ``level`` the level INFO: above INFO, click records and EMF metrics vanish."""
    assert RESOURCES[function]["Properties"]["LoggingConfig"]["ApplicationLogLevel"] == "INFO"


def test_each_function_log_group_is_named_from_the_stack_and_the_functions_service() -> None:
    """A name built from the function (``${RedirectFunction}``) would be a circular dependency with LoggingConfig."""
    names = {}
    for function in FUNCTIONS:
        group = RESOURCES[function]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        service = RESOURCES[function]["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
        names[group] = LOG_GROUPS[group]["Properties"]["LogGroupName"]
        assert names[group] == {"Fn::Sub": f"/aws/lambda/${{AWS::StackName}}-{service}"}
        assert LOG_GROUPS[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert len(set(map(str, names.values()))) == len(FUNCTIONS)


@pytest.mark.parametrize("group", sorted(LOG_GROUPS))
def test_every_log_group_states_its_deletion_policy_and_only_the_clicks_are_retained(group: str) -> None:
    resource = LOG_GROUPS[group]

    assert resource["DeletionPolicy"] == ("Retain" if group == CLICK_LOG_GROUP else "Delete")
    # A replaced group (a renamed one) keeps what was written so far.
    assert resource["UpdateReplacePolicy"] == "Retain"


def test_the_click_subscription_reads_the_group_the_redirect_writes_to() -> None:
    subscription = RESOURCES["ClickRecordsSubscription"]["Properties"]
    permission = RESOURCES["AnalyticsInvokePermission"]["Properties"]

    assert RESOURCES["RedirectFunction"]["Properties"]["LoggingConfig"]["LogGroup"] == {"Ref": CLICK_LOG_GROUP}
    assert subscription["LogGroupName"] == {"Ref": CLICK_LOG_GROUP}
    assert subscription["FilterPattern"] == '{ $.record = "click" }'
    assert permission["SourceArn"] == {"Fn::GetAtt": [CLICK_LOG_GROUP, "Arn"]}
    # The subscription exists before the redirect writes there: no click lands where nothing reads it.
    assert RESOURCES["RedirectFunction"]["DependsOn"] == "ClickRecordsSubscription"


def test_a_click_record_reaches_the_log_unchanged_as_an_info_line_the_filter_matches() -> None:
    """Lambda's JSON format rewrites only what goes through Python's logging; stdout lines pass as written, and a
    line without ``level`` counts as INFO. The record is a top-level ``"record": "click"``, as the filter reads."""
    out = io.StringIO()
    with redirect_stdout(out):
        write_click("req-1", {"method": "GET", "code": "help", "domain": "care.link", "status": 302})

    [line] = out.getvalue().splitlines()
    record = json.loads(line)
    assert record["record"] == "click"
    assert "level" not in record
    assert parse_click(line) is not None
    # Lambda's docs speak of adding a timestamp to lines without one: the aggregator would not mind.
    assert parse_click(json.dumps(record | {"timestamp": "2026-11-25T12:00:00.000Z"})) is not None


def test_an_emf_metric_line_carries_no_level_either() -> None:
    out = io.StringIO()
    with redirect_stdout(out), single_metric(name="Redirects", unit=MetricUnit.Count, value=1, namespace="Shortlinks"):
        pass

    [line] = out.getvalue().splitlines()
    document = json.loads(line)
    assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Shortlinks"
    assert "level" not in document
