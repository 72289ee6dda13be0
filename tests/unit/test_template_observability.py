"""Observability in template.yaml: alarms that reach someone, the dashboard, access logs and Lambda's JSON logs.

Nothing here is deployed; these tests read the template (and, for what Lambda's log-level filter will see, the lines
our code writes) so that the alarms, log groups and docs/operations.md cannot drift apart.
"""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stdout
from typing import Any

import pytest
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from local.template import ROOT, condition_values, created_items, load_template, parameter_values
from shortlinks.domain import click_format
from shortlinks.domain.clicks import parse_click
from tests.metric_filters import counted, matches, redirect_metric_filters

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
PARAMETERS: dict[str, Any] = TEMPLATE["Parameters"]
FUNCTIONS = sorted(name for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function")
ALARMS = {name: r["Properties"] for name, r in RESOURCES.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
LOG_GROUPS = {name: r for name, r in RESOURCES.items() if r["Type"] == "AWS::Logs::LogGroup"}
TOPIC = {"Ref": "AlarmTopic"}
CLICK_LOG_GROUP = "RedirectFunctionLogs"

# Each alarm the runbook lists with a tunable threshold, and the parameter that sets it.
THRESHOLDS = (
    {
        "Api5xxRateAlarm": "Api5xxRatePercent",
        "Api4xxRateAlarm": "Api4xxRatePercent",
        "RedirectLatencyAlarm": "RedirectP99LatencyMs",
        "TableThrottlesAlarm": "TableThrottlesThreshold",
        "TableSystemErrorsAlarm": "TableSystemErrorsThreshold",
        "AuthorizerErrorsAlarm": "AuthorizerErrorsThreshold",
    }
    | {f"{f}ErrorsAlarm": "FunctionErrorsThreshold" for f in FUNCTIONS}
    | {f"{f}ThrottlesAlarm": "FunctionThrottlesThreshold" for f in FUNCTIONS}
)
API_DIMENSIONS = [{"Name": "ApiId", "Value": {"Ref": "HttpApi"}}, {"Name": "Stage", "Value": "$default"}]


def _function_alarms(function: str, metric: str) -> list[dict[str, Any]]:
    return [
        alarm
        for alarm in ALARMS.values()
        if alarm.get("Namespace") == "AWS/Lambda"
        and alarm.get("MetricName") == metric
        and alarm.get("Dimensions") == [{"Name": "FunctionName", "Value": {"Ref": function}}]
    ]


def _metric_stats(alarm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The metrics a metric-math alarm reads, by their id."""
    return {query["Id"]: query["MetricStat"] for query in alarm["Metrics"] if "MetricStat" in query}


def _watched_expression(alarm: dict[str, Any]) -> str:
    [watched] = [query for query in alarm["Metrics"] if query.get("ReturnData")]
    expression = watched["Expression"]
    return str(expression["Fn::Sub"] if isinstance(expression, dict) else expression)


def _access_log_format() -> dict[str, str]:
    settings = RESOURCES["HttpApi"]["Properties"]["AccessLogSettings"]
    separator, parts = settings["Format"]["Fn::Join"]
    parsed: dict[str, str] = json.loads(separator.join(parts))
    return parsed


# Alarms


def test_there_is_an_alarm_per_function_and_metric_to_test() -> None:
    assert len(FUNCTIONS) == 11
    assert set(THRESHOLDS) <= set(ALARMS)


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_has_its_errors_and_throttles_alarm_to_the_topic(function: str, metric: str) -> None:
    [alarm] = _function_alarms(function, metric)

    assert alarm["Statistic"] == "Sum"
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["AlarmActions"] == [TOPIC]
    assert alarm["OKActions"] == [TOPIC]


@pytest.mark.parametrize("alarm", sorted(ALARMS))
def test_every_alarm_notifies_the_topic_when_it_fires_and_when_it_clears(alarm: str) -> None:
    properties = ALARMS[alarm]

    assert properties["AlarmActions"] == [TOPIC]
    assert properties["OKActions"] == [TOPIC]
    assert properties["TreatMissingData"] == "notBreaching"  # no traffic is not an incident
    # The topic policy lets alarms whose name starts with the stack's name publish, and no other.
    assert properties["AlarmName"]["Fn::Sub"].startswith("${AWS::StackName}-")


@pytest.mark.parametrize(("alarm", "parameter"), THRESHOLDS.items())
def test_the_listed_alarms_take_their_threshold_from_a_parameter(alarm: str, parameter: str) -> None:
    assert ALARMS[alarm]["Threshold"] == {"Ref": parameter}
    assert PARAMETERS[parameter]["Type"] == "Number"
    assert PARAMETERS[parameter]["MinValue"] <= PARAMETERS[parameter]["Default"] <= PARAMETERS[parameter]["MaxValue"]


@pytest.mark.parametrize("parameter", sorted(set(THRESHOLDS.values()) | {"AlarmMinRequestsPerMinute"}))
def test_each_threshold_and_its_default_is_defended_in_the_runbook(parameter: str) -> None:
    runbook = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    default = PARAMETERS[parameter]["Default"]

    rows = [line for line in runbook.splitlines() if line.startswith(f"| `{parameter}` |")]
    assert len(rows) == 1, f"docs/operations.md has no single table row for {parameter}"
    assert f"| {default} |" in rows[0].replace(f"`{default}`", str(default))


@pytest.mark.parametrize(("alarm", "metric"), [("Api5xxRateAlarm", "5xx"), ("Api4xxRateAlarm", "4xx")])
def test_api_rate_alarms_divide_the_answers_by_the_requests_of_the_default_stage(alarm: str, metric: str) -> None:
    properties = ALARMS[alarm]
    stats = _metric_stats(properties)

    assert {name: stat["Metric"]["MetricName"] for name, stat in stats.items()} == {
        "answers": metric,
        "requests": "Count",
    }
    for stat in stats.values():
        assert stat["Metric"]["Namespace"] == "AWS/ApiGateway"
        assert stat["Metric"]["Dimensions"] == API_DIMENSIONS
        assert (stat["Period"], stat["Stat"]) == (60, "Sum")
    assert _watched_expression(properties) == (
        "IF(requests >= ${AlarmMinRequestsPerMinute}, 100 * FILL(answers, 0) / requests, 0)"
    )
    assert (properties["EvaluationPeriods"], properties["DatapointsToAlarm"]) == (5, 3)


def test_the_latency_alarm_watches_the_redirects_p99_when_there_is_traffic_enough() -> None:
    properties = ALARMS["RedirectLatencyAlarm"]
    stats = _metric_stats(properties)

    assert stats["duration"]["Metric"]["MetricName"] == "Duration"
    assert stats["duration"]["Stat"] == "p99"
    assert stats["invocations"]["Metric"]["MetricName"] == "Invocations"
    for stat in stats.values():
        assert stat["Metric"]["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "RedirectFunction"}}]
    assert _watched_expression(properties) == ("IF(FILL(invocations, 0) >= ${AlarmMinRequestsPerMinute}, duration, 0)")


@pytest.mark.parametrize(
    ("alarm", "metric"), [("TableThrottlesAlarm", "ThrottledRequests"), ("TableSystemErrorsAlarm", "SystemErrors")]
)
def test_table_alarms_add_up_every_operation_on_the_table(alarm: str, metric: str) -> None:
    query = " ".join(_watched_expression(ALARMS[alarm]).split())

    assert query == (
        f"SELECT SUM({metric}) FROM SCHEMA(\"AWS/DynamoDB\", Operation, TableName) WHERE TableName = '${{LinksTable}}'"
    )
    [watched] = ALARMS[alarm]["Metrics"]
    assert watched["Period"] == 60  # a Metrics Insights alarm states its period on the query


def test_the_authorizer_alarm_counts_what_api_gateway_logged_as_authorizer_errors() -> None:
    metric_filter = RESOURCES["AuthorizerErrorsMetricFilter"]["Properties"]
    [transformation] = metric_filter["MetricTransformations"]
    alarm = ALARMS["AuthorizerErrorsAlarm"]
    access_log = _access_log_format()

    assert metric_filter["LogGroupName"] == {"Ref": "HttpApiAccessLogs"}
    assert metric_filter["FilterPattern"] == '{ ($.aerr != "-") && ($.aerr != "") }'
    assert access_log["aerr"] == "$context.authorizer.error"
    assert (transformation["MetricNamespace"], transformation["MetricName"]) == (
        alarm["Namespace"],
        alarm["MetricName"],
    )
    # No dimension on either side, as the redirect's metric filters: the API's id is not in the line (bytes).
    assert "Dimensions" not in transformation
    assert "Dimensions" not in alarm
    assert matches(metric_filter["FilterPattern"], _access_line(aerr="The response from the authorizer is invalid"))
    assert not matches(metric_filter["FilterPattern"], _access_line())
    assert not matches(metric_filter["FilterPattern"], _access_line(aerr=""))


def test_any_batch_in_the_failure_queue_fires_its_alarm() -> None:
    alarm = ALARMS["AnalyticsFailuresAlarm"]

    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["AnalyticsFailures", "QueueName"]}}]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")


def test_the_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use() -> None:
    topic = RESOURCES["AlarmTopic"]["Properties"]
    key = RESOURCES["AlarmTopicKey"]["Properties"]

    # Not alias/aws/sns: CloudWatch cannot publish to a topic under the AWS managed key.
    assert topic["KmsMasterKeyId"] == {"Ref": "AlarmTopicKey"}
    assert key["EnableKeyRotation"] is True
    [cloudwatch] = [
        s for s in key["KeyPolicy"]["Statement"] if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert sorted(cloudwatch["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]


def test_only_this_stacks_alarms_may_publish_to_the_topic() -> None:
    policy = RESOURCES["AlarmTopicPolicy"]["Properties"]
    [statement] = policy["PolicyDocument"]["Statement"]

    assert policy["Topics"] == [TOPIC]
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statement["Action"] == "sns:Publish"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"].endswith(":alarm:${AWS::StackName}-*")


@pytest.mark.parametrize(("email", "subscribed"), [("", False), ("oncall@example.org", True)])
def test_an_address_is_subscribed_only_when_alarm_email_is_given(email: str, subscribed: bool) -> None:
    subscription = RESOURCES["AlarmEmailSubscription"]
    conditions = condition_values(TEMPLATE, parameter_values(TEMPLATE, {"AlarmEmail": email}))

    assert re.fullmatch(PARAMETERS["AlarmEmail"]["AllowedPattern"], email)
    assert subscription["Condition"] == "HasAlarmEmail"
    assert conditions["HasAlarmEmail"] is subscribed
    assert subscription["Properties"] == {"TopicArn": TOPIC, "Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}


@pytest.mark.parametrize("email", ["oncall", "oncall@example", "on call@example.org", "a@b@example.org"])
def test_alarm_email_refuses_what_is_not_an_address(email: str) -> None:
    assert not re.fullmatch(PARAMETERS["AlarmEmail"]["AllowedPattern"], email)


# Access logs


def test_access_logs_are_json_lines_with_the_fields_the_runbook_reads() -> None:
    fields = _access_log_format()

    assert fields == {
        "id": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "m": "$context.httpMethod",
        "d": "$context.domainName",
        "r": "$context.routeKey",
        "s": "$context.status",
        "lat": "$context.responseLatency",
        "ilat": "$context.integrationLatency",
        "ist": "$context.integrationStatus",
        "ierr": "$context.integrationErrorMessage",
        "aerr": "$context.authorizer.error",
        "len": "$context.responseLength",
    }
    # Nothing the log event carries already (its timestamp) or that is the same on every line (the API's id).
    assert not {"$context.requestTime", "$context.requestTimeEpoch", "$context.apiId"} & set(fields.values())
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
    assert group["Properties"]["LogGroupName"] == {
        "Fn::If": [
            "AccessLogsStandard",
            {"Fn::Sub": "/aws/vendedlogs/apigateway/${AWS::StackName}-access"},
            {"Fn::Sub": "/aws/vendedlogs/apigateway/${AWS::StackName}-access-ia"},
        ]
    }
    assert group["DeletionPolicy"] == "Delete"
    assert group["UpdateReplacePolicy"] == "Retain"  # a change of class replaces the group, and keeps the old one


def test_access_logs_are_infrequent_access_by_default_and_standard_on_request() -> None:
    """A line on every request: the cheaper class by default (issue 13's cost budget), the one that runs metric
    filters when an operator wants the authorizer-failures alarm."""
    group = LOG_GROUPS["HttpApiAccessLogs"]["Properties"]

    assert group["LogGroupClass"] == {"Ref": "AccessLogClass"}
    assert PARAMETERS["AccessLogClass"]["Default"] == "INFREQUENT_ACCESS"
    assert PARAMETERS["AccessLogClass"]["AllowedValues"] == ["INFREQUENT_ACCESS", "STANDARD"]
    assert not condition_values(TEMPLATE, parameter_values(TEMPLATE))["AccessLogsStandard"]
    assert condition_values(TEMPLATE, parameter_values(TEMPLATE, {"AccessLogClass": "STANDARD"}))["AccessLogsStandard"]


def test_the_authorizer_failures_filter_alarm_and_dashboard_rows_exist_only_on_a_standard_access_log() -> None:
    """An Infrequent Access group runs no metric filter: CloudFormation would refuse the filter, and an alarm on a
    metric nothing writes would never fire."""
    for name in ("AuthorizerErrorsMetricFilter", "AuthorizerErrorsAlarm"):
        assert RESOURCES[name]["Condition"] == "AccessLogsStandard"

    def authorizer_rows(dashboard: dict[str, Any]) -> list[Any]:
        alarms = [a for w in dashboard["widgets"] for a in w["properties"].get("alarms", [])]
        metrics = [m for w in dashboard["widgets"] for m in w["properties"].get("metrics", [])]
        return [a for a in alarms if "AuthorizerErrorsAlarm" in a] + [m for m in metrics if "AuthorizerErrors" in m]

    assert authorizer_rows(_dashboard()) == []
    assert authorizer_rows(_dashboard({"AccessLogClass": "STANDARD"})) == [
        "<AuthorizerErrorsAlarm.Arn>",
        ["Shortlinks", "AuthorizerErrors", {"label": "authorizer failures"}],
    ]
    # Without them, the authorizer's own Lambda alarms still watch it.
    assert _function_alarms("AuthorizerFunction", "Errors")
    assert _function_alarms("AuthorizerFunction", "Throttles")
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
    assert subscription["FilterPattern"] == '{ ($.click >= 2) || ($.record = "click") }'
    for line in (_click_line(302), _format_3_line(302), _format_2_line(302), '{"record":"click","status":302}'):
        assert matches(subscription["FilterPattern"], line)  # formats 4, 3, 2 and 1
    assert not matches(subscription["FilterPattern"], '{"level":"INFO","message":"redirect failed"}')
    assert permission["SourceArn"] == {"Fn::GetAtt": [CLICK_LOG_GROUP, "Arn"]}
    # The subscription exists before the redirect writes there: no click lands where nothing reads it.
    assert RESOURCES["RedirectFunction"]["DependsOn"] == "ClickRecordsSubscription"


def test_a_click_record_reaches_the_log_unchanged_as_an_info_line_the_filter_matches() -> None:
    """Lambda's JSON format rewrites only what goes through Python's logging; stdout lines pass as written, and a
    line without ``level`` counts as INFO. The record is a top-level ``"click": 4``, as the filters read."""
    line = click_format.line({"m": "GET", "c": "help", "d": "care.link", "s": 302, "ref": None})

    record = json.loads(line)
    assert record["click"] == 4
    assert "level" not in record
    assert "ref" not in record  # a field without a value is left out
    assert parse_click(line, 1796040000123) is not None
    assert matches(RESOURCES["ClickRecordsSubscription"]["Properties"]["FilterPattern"], line)
    # Lambda's docs speak of adding a timestamp to lines without one: the aggregator would not mind.
    assert parse_click(json.dumps(record | {"timestamp": "2026-11-25T12:00:00.000Z"}), 1796040000123) is not None


def _click_line(status: int, **more: Any) -> str:
    """The redirect's click record (format 4) of a GET answered ``status``."""
    return click_format.line({"m": "GET", "c": "help", "d": "care.link", "s": status} | more).strip()


def _format_3_line(status: int) -> str:
    """The record the version before format 4 wrote, still counted during a deployment."""
    return f'{{"click":3,"c":"help","d":"care.link","s":{status},"ua":"Mozilla/5.0 (X11; Linux x86_64)"}}'


def _format_2_line(status: int) -> str:
    """The record a version before format 3 wrote, still counted during a deployment."""
    return f'{{"click":2,"t":1796040000.123,"id":"r","m":"GET","c":"help","d":"care.link","s":{status}}}'


def _access_line(**values: str) -> str:
    """An access-log line as template.yaml's format writes it: API Gateway's ``-`` for every value not given."""
    return json.dumps(dict.fromkeys(_access_log_format(), "-") | values)


@pytest.mark.parametrize(
    ("line", "metrics"),
    [
        (_click_line(301), ["Redirects"]),
        (_click_line(302), ["Redirects"]),
        (_click_line(308), ["Redirects"]),
        (_click_line(404), ["LinkMissed"]),
        (_click_line(302, miss=1), ["LinkMissed"]),  # a domain's not_found_url
        (_click_line(410), ["LinkGone"]),
        (_click_line(503), ["RedirectServerErrors"]),
        (_click_line(200), []),
        (_click_line(302, m="HEAD"), ["Redirects"]),
        (_format_3_line(302), ["Redirects"]),  # written by the version before, during a deployment
        (_format_3_line(404), ["LinkMissed"]),
        (_format_3_line(410), ["LinkGone"]),
        (_format_3_line(503), ["RedirectServerErrors"]),
        (_format_2_line(302), ["Redirects"]),
        (_format_2_line(404), ["LinkMissed"]),
        (_format_2_line(410), ["LinkGone"]),
        (_format_2_line(503), ["RedirectServerErrors"]),
        ('{"record":"click","status":302}', []),  # format 1: counted by the EMF line its version wrote
        ('{"click":"2","s":302}', []),
        ("START RequestId: 1 Version: 3", []),
    ],
)
def test_the_redirects_metric_filters_count_each_answer_once(line: str, metrics: list[str]) -> None:
    assert counted([line]) == metrics


def test_every_redirect_metric_filter_reads_the_redirects_log_group_into_the_shortlinks_namespace() -> None:
    filters = [r["Properties"] for r in RESOURCES.values() if r["Type"] == "AWS::Logs::MetricFilter"]
    redirect_filters = [f for f in filters if f["LogGroupName"] == {"Ref": CLICK_LOG_GROUP}]

    assert sorted(redirect_metric_filters()) == ["LinkGone", "LinkMissed", "RedirectServerErrors", "Redirects"]
    for metric_filter in redirect_filters:
        [transformation] = metric_filter["MetricTransformations"]
        assert transformation["MetricNamespace"] == "Shortlinks"
        assert transformation["MetricValue"] == "1"
        assert "Dimensions" not in transformation  # one metric each, whatever Host a request names


def test_the_redirect_writes_no_emf_line() -> None:
    handler = (ROOT / "functions" / "shortlinks" / "handlers" / "redirect.py").read_text(encoding="utf-8")

    # It does not even import observability.py (Powertools' logger and metrics): its click record is its log
    assert re.findall(r"^from shortlinks\.observability import", handler, re.MULTILINE) == []
    assert "log_metrics" not in handler
    assert "aws_lambda_powertools" not in handler


def test_an_emf_metric_line_carries_no_level_either() -> None:
    out = io.StringIO()
    with redirect_stdout(out), single_metric(name="Redirects", unit=MetricUnit.Count, value=1, namespace="Shortlinks"):
        pass

    [line] = out.getvalue().splitlines()
    document = json.loads(line)
    assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Shortlinks"
    assert "level" not in document


# The dashboard


def _dashboard(overrides: dict[str, str] | None = None) -> dict[str, Any]:
    """The dashboard's body as CloudFormation would substitute it (its own variables by the condition's branch for
    the parameters' defaults and ``overrides``, each other reference by a marker, numbers by their default), after
    checking that every reference names something the template has."""
    body, variables = RESOURCES["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    conditions = condition_values(TEMPLATE, parameter_values(TEMPLATE, overrides))

    def chosen(value: Any) -> str:
        if isinstance(value, dict) and "Fn::If" in value:
            condition, if_true, if_false = value["Fn::If"]
            return chosen(if_true if conditions[condition] else if_false)
        if isinstance(value, dict):  # a Fn::Sub of its own: its references are checked and marked as the body's
            return str(value["Fn::Sub"])
        return str(value)

    for variable, value in variables.items():
        body = body.replace("${" + variable + "}", chosen(value))

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        target = name.split(".")[0]
        assert target in RESOURCES or target in PARAMETERS or target.startswith("AWS::"), name
        if PARAMETERS.get(target, {}).get("Type") == "Number":
            return str(PARAMETERS[target]["Default"])
        return f"<{name}>"

    parsed: dict[str, Any] = json.loads(re.sub(r"\$\{([^}!]+)\}", substitute, body))
    return parsed


def _dashboard_metrics() -> list[tuple[str, list[Any]]]:
    """Each metric row of the dashboard, with its widget's default statistic."""
    rows = []
    for widget in _dashboard()["widgets"]:
        properties = widget["properties"]
        for row in properties.get("metrics", []):
            options = row[-1] if isinstance(row[-1], dict) else {}
            rows.append((options.get("stat", properties.get("stat")), row))
    return rows


def test_the_dashboard_shows_redirects_misses_and_5xx() -> None:
    rows = [row[:4] for _, row in _dashboard_metrics()]

    assert ["Shortlinks", "Redirects", {"label": "redirects (3xx)"}] in rows
    assert ["Shortlinks", "LinkMissed", {"label": "misses (404, not-found page)"}] in rows
    assert ["Shortlinks", "RedirectServerErrors", {"label": "unavailable (503)"}] in rows
    assert ["AWS/ApiGateway", "5xx", "ApiId", "<HttpApi>"] in rows


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_dashboard_shows_each_functions_p50_and_p99_and_throttles(function: str) -> None:
    shown = {
        (stat, row[1])
        for stat, row in _dashboard_metrics()
        if row[0] == "AWS/Lambda" and row[2:4] == ["FunctionName", f"<{function}>"]
    }

    assert {("p50", "Duration"), ("p99", "Duration"), ("Sum", "Throttles"), ("Sum", "Errors")} <= shown


@pytest.mark.parametrize("access_log_class", ["INFREQUENT_ACCESS", "STANDARD"])
def test_the_dashboard_shows_every_alarm_the_stack_creates(access_log_class: str) -> None:
    overrides = {"AccessLogClass": access_log_class}
    created = created_items(TEMPLATE, "Resources", parameter_values(TEMPLATE, overrides))
    [alarm_widget] = [w for w in _dashboard(overrides)["widgets"] if w["type"] == "alarm"]

    assert sorted(alarm_widget["properties"]["alarms"]) == sorted(f"<{name}.Arn>" for name in ALARMS if name in created)
