"""Dollars per million requests on AWS: every line priced from one table of list prices, every quantity measured in
this run or read from template.yaml, and every assumption named here.

What a request pays for: the HTTP API request; the Lambda request and its billed duration (its CPU time stretched to
the vCPU share its memory size buys, plus its DynamoDB round trips), its share of the INIT phase (billed since
August 2025, and run with burst CPU); DynamoDB request units (a write lands in the table and in every index whose
keys the item carries); CloudWatch Logs ingestion (what the function writes, measured; Lambda's own lines when its
SystemLogLevel lets them through; the API's access-log line, at its log group's class) and storage (compressed as
CloudWatch bills it); and the custom metrics its EMF lines create, a monthly charge per metric spread over the
month's requests.
"""

from __future__ import annotations

import ast
import gzip
import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from bench.dynamodb_units import read_units, write_units
from bench.fixtures import FUNCTION_IDS, FUNCTIONS_DIR, link_item
from local.template import FunctionSpec, function_specs, load_template, parameter_values, table_definition

if TYPE_CHECKING:
    from bench.warm import Warm


@dataclass(frozen=True)
class Price:
    dollars: float
    per: str


# us-east-1 list prices (first tier), read 2026-11-30 from https://aws.amazon.com/{api-gateway,lambda,dynamodb,
# cloudwatch}/pricing/. DynamoDB on-demand since the 2024-11-01 cut (half the earlier $0.25 / $1.25); Lambda bills
# the INIT phase of on-demand ZIP functions on managed runtimes since 2025-08-01, at the duration price.
PRICES_AS_OF = "2026-11-30"
PRICES = {
    "http_api": Price(1.00, "million requests (first 300 million a month)"),
    "rest_api": Price(3.50, "million requests (first 333 million a month)"),
    "lambda_requests": Price(0.20, "million requests"),
    "lambda_arm_duration": Price(0.0000133334, "GB-second (arm64, first 7.5 billion GB-s a month)"),
    "dynamodb_reads": Price(0.125, "million read request units (on-demand)"),
    "dynamodb_writes": Price(0.625, "million write request units (on-demand)"),
    "logs_ingestion": Price(0.50, "GB ingested (standard log class)"),
    "logs_ingestion_ia": Price(0.25, "GB ingested (Infrequent Access log class)"),
    "logs_storage": Price(0.03, "GB-month stored"),
    "custom_metrics": Price(0.30, "metric-month (first 10,000 metrics)"),
}

# Assumptions, each named where it is used.
LAMBDA_MB_PER_VCPU = 1769  # Lambda gives a function a full vCPU at 1,769 MB, and a proportional share below it
COLD_START_SHARE = 0.01  # of invocations that start a container: AWS's figure for production workloads ("under 1%")
# Lambda runs a managed runtime's INIT phase with burst CPU whatever the memory size (up to 10 s; AWS Lambda Web
# Adapter's docs, "Async Initialization", and the Init Durations people report: 128 MB Python functions that import
# boto3 start in a few hundred ms, not the seconds a 1/14 vCPU share would take). So INIT is billed at the import
# time measured here on a full core, not stretched like an invocation.
INIT_CPU_SHARE = 1.0
# CloudWatch Logs pricing: archived data is compressed with gzip level 6, plus 26 bytes of metadata per log event.
ARCHIVE_GZIP_LEVEL = 6
ARCHIVE_EVENT_BYTES = 26
ASSUMED_GET_ITEM_MS = 4.0  # in-region DynamoDB round trips, added to the measured CPU time (not measurable here)
ASSUMED_PUT_ITEM_MS = 6.0
# Lambda's START, END and REPORT lines in JSON form, for a function whose SystemLogLevel lets INFO through.
LAMBDA_PLATFORM_LOG_BYTES = 700
DAYS_PER_MONTH = 30.44
# The month the report prices: issue 13's 10 million redirects and 100,000 creates. Expand is priced per million at
# a million a month (it is not in the month's table); the volume spreads each function's custom metrics.
MONTHLY_REQUESTS = {"redirect": 10_000_000, "create": 100_000, "expand": 1_000_000}
MONTH = ("redirect", "create")
SAMPLED_LINES = 10_000  # lines compressed together to size the logs' storage
ARCHIVE_SEED = 20261130
READS = ("GetItem", "Query", "BatchGetItem")
WRITES = ("PutItem", "UpdateItem", "DeleteItem")
# The access log's $context values on a typical request, to size its line from template.yaml's format.
_ACCESS_LOG_SAMPLE = {
    "$context.requestId": "Ab1Cd2Ef3Gh4IjA=",
    "$context.identity.sourceIp": "203.0.113.195",
    "$context.httpMethod": "GET",
    "$context.domainName": "go.example.com",
    "$context.routeKey": "GET /{code}",
    "$context.status": "302",
    "$context.responseLatency": "12",
    "$context.integrationLatency": "10",
    "$context.integrationStatus": "200",
    "$context.integrationErrorMessage": "-",
    "$context.authorizer.error": "-",
    "$context.responseLength": "0",
}


@dataclass(frozen=True)
class Invocation:
    """One function's part in a request, as measured in this run."""

    function: str  # logical id in template.yaml
    warm_us: float  # warm time on this machine's full core, DynamoDB answered in-process
    init_ms: float  # the cold start's import (init), on the same core
    dynamodb_ms: float  # its DynamoDB round trips (assumed)
    log_bytes: int  # what its code writes per invocation (measured)
    log_lines: int = 1  # the log events those bytes make


@dataclass(frozen=True)
class Operation:
    name: str
    invocations: tuple[Invocation, ...]  # the route's function, and its authorizer if it has one
    read_units: float
    write_units: float
    monthly_requests: int  # spreads the custom metrics' monthly charge


@dataclass
class Cost:
    operation: str
    design: str
    billed_ms: int  # the route's function, per warm invocation
    parts: dict[str, float]  # dollars per million requests, by line
    code_log_bytes: int = 0  # what the functions' code wrote per request (the redirect: its click record)

    @property
    def dollars_per_million(self) -> float:
        return sum(self.parts.values())


def price(name: str) -> float:
    return PRICES[name].dollars


def cpu_share(memory_mb: int) -> float:
    return min(1.0, memory_mb / LAMBDA_MB_PER_VCPU)


def duration_ms(invocation: Invocation) -> float:
    """A warm invocation's duration in Lambda: CPU time at the function's vCPU share, plus its DynamoDB round trips."""
    memory = _specs()[invocation.function].memory_size
    return invocation.warm_us / 1000 / cpu_share(memory) + invocation.dynamodb_ms


def billed_ms(invocation: Invocation) -> int:
    return math.ceil(duration_ms(invocation))


def operations(warm: Mapping[str, Warm], init_ms: Mapping[str, float]) -> list[Operation]:
    """The redirect, create and expand as this run measured them: ``warm``, bench.warm's results by function name
    (time, log bytes, DynamoDB calls and the items put, of one request); ``init_ms``, the cold starts' imports."""

    def invocation(name: str) -> Invocation:
        calls = warm[name].calls
        round_trips = (
            sum(calls[op] for op in READS) * ASSUMED_GET_ITEM_MS + sum(calls[op] for op in WRITES) * ASSUMED_PUT_ITEM_MS
        )
        measured = warm[name]
        return Invocation(FUNCTION_IDS[name], measured.us_per_invocation, init_ms.get(name, 0.0), round_trips,
                          measured.log_bytes, measured.log_lines)  # fmt: skip

    def reads(name: str) -> float:
        return sum(warm[name].calls[op] for op in READS) * read_units(link_item(), consistent=False)

    def writes(name: str) -> float:
        # A put lands in the table and in each index whose keys the item carries; an update here is a small counter.
        indexes = {index["IndexName"]: index for index in table_definition(_template())["GlobalSecondaryIndexes"]}
        puts = sum(sum(write_units(item, indexes).values()) for item in warm[name].written_items)
        return float(puts + warm[name].calls["UpdateItem"])

    # The authorizer's warm figure is its cached path: no DynamoDB call (bench/fixtures.py).
    authorizer = replace(invocation("authorizer"), dynamodb_ms=0.0)
    return [
        Operation("redirect", (invocation("redirect"),), reads("redirect"), 0.0, MONTHLY_REQUESTS["redirect"]),
        Operation("create", (invocation("create"), authorizer), reads("create"), writes("create"),
                  MONTHLY_REQUESTS["create"]),
        Operation("expand", (invocation("expand"), authorizer), reads("expand"), 0.0, MONTHLY_REQUESTS["expand"]),
    ]  # fmt: skip


def lambda_design(operation: Operation) -> Cost:
    """HTTP API + Lambda (arm64) + DynamoDB on-demand + CloudWatch Logs and metrics, per million requests."""
    parts = dict.fromkeys(
        ("api", "lambda_requests", "lambda_duration", "lambda_init", "dynamodb", "logs_ingestion", "logs_storage"),
        0.0,
    )
    parts["api"] = price("http_api")
    function_log_bytes = 0
    stored_bytes = access_log_bytes() * archive_ratio("access") + ARCHIVE_EVENT_BYTES
    for invocation in operation.invocations:
        gb = _specs()[invocation.function].memory_size / 1024
        parts["lambda_requests"] += price("lambda_requests")
        parts["lambda_duration"] += billed_ms(invocation) / 1000 * gb * price("lambda_arm_duration") * 1e6
        init_seconds = invocation.init_ms / 1000 / INIT_CPU_SHARE
        parts["lambda_init"] += COLD_START_SHARE * init_seconds * gb * price("lambda_arm_duration") * 1e6
        written = invocation.log_bytes + platform_log_bytes(invocation.function)
        function_log_bytes += written
        stored_bytes += written * archive_ratio("function") + ARCHIVE_EVENT_BYTES * invocation.log_lines
    parts["dynamodb"] = operation.read_units * price("dynamodb_reads") + operation.write_units * price(
        "dynamodb_writes"
    )
    per_gigabyte = 1e6 / 1024**3  # a byte per request, in GB per million requests
    parts["logs_ingestion"] = (
        function_log_bytes * price("logs_ingestion") + access_log_bytes() * price(access_log_ingestion_price())
    ) * per_gigabyte
    # Kept for the template's retention, at the size CloudWatch bills: compressed, plus each event's metadata.
    parts["logs_storage"] = stored_bytes * per_gigabyte * price("logs_storage") * log_retention_days() / DAYS_PER_MONTH
    metrics = sum(len(metric_names(invocation.function)) for invocation in operation.invocations)
    parts["metrics"] = metrics * price("custom_metrics") / (operation.monthly_requests / 1e6)
    code_log_bytes = sum(invocation.log_bytes for invocation in operation.invocations)
    return Cost(operation.name, "HTTP API + Lambda", billed_ms(operation.invocations[0]), parts, code_log_bytes)


def direct_integration_design(operation: str, read_units: float, write_units: float) -> Cost:
    """AWS's sample design: a REST API whose method integrates with DynamoDB directly (no Lambda, no logs)."""
    parts = {
        "api": price("rest_api"),
        "dynamodb": read_units * price("dynamodb_reads") + write_units * price("dynamodb_writes"),
    }
    return Cost(operation, "REST API -> DynamoDB", 0, parts)


@cache
def log_retention_days() -> int:
    return int(parameter_values(_template())["LogRetentionDays"])


@cache
def access_log_bytes() -> int:
    """One access-log line as template.yaml's format writes it, with typical values."""
    return len(access_log_line().encode())


def access_log_line(values: Mapping[str, str] | None = None) -> str:
    """An access-log line as template.yaml's format writes it (with its newline): the typical values, or ``values``
    in their place."""
    stage = _http_api()["Properties"]["AccessLogSettings"]["Format"]
    separator, pieces = stage["Fn::Join"]
    line = str(separator).join(pieces)
    sample = {**_ACCESS_LOG_SAMPLE, **(values or {})}
    for variable in sorted(sample, key=len, reverse=True):
        line = line.replace(variable, sample[variable])
    if "$context." in line:  # a variable the sample lacks would be sized by its name, not its value
        raise ValueError(f"no sample value for a variable of the access-log format: {line}")
    return line + "\n"


def access_log_ingestion_price() -> str:
    """The access log's ingestion price: its log group's class, as template.yaml deploys it by default."""
    classes = {"STANDARD": "logs_ingestion", "INFREQUENT_ACCESS": "logs_ingestion_ia"}
    return classes[parameter_values(_template())["AccessLogClass"]]


@cache
def archive_ratio(kind: str) -> float:
    """Compressed to raw size of a day's lines of one kind, gzip level 6 as CloudWatch archives them: ``"function"``,
    the redirect's click records as bench/analytics.py's day of a campaign writes them (the largest share of every
    function's lines); ``"access"``, access-log lines with typical values, each request its own id, address and
    latency."""
    if kind == "function":
        from bench.analytics import day_of_records  # the campaign's records: its agents, referrers, codes, visitors

        lines = [record.line() + "\n" for record in day_of_records()[:SAMPLED_LINES]]
    else:
        rng = random.Random(ARCHIVE_SEED)
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        lines = [
            access_log_line({
                "$context.requestId": "".join(rng.choices(alphabet, k=15)) + "=",
                "$context.identity.sourceIp": f"203.0.113.{rng.randrange(256)}",
                "$context.responseLatency": str(rng.randrange(5, 60)),
                "$context.integrationLatency": str(rng.randrange(4, 50)),
            })
            for _ in range(SAMPLED_LINES)
        ]  # fmt: skip
    raw = "".join(lines).encode()
    return len(gzip.compress(raw, compresslevel=ARCHIVE_GZIP_LEVEL)) / len(raw)


def platform_log_bytes(function: str) -> int:
    """Lambda's own lines per invocation: none when the function's SystemLogLevel is WARN or higher."""
    properties = _template()["Resources"][function]["Properties"]
    level = (properties.get("LoggingConfig") or {}).get("SystemLogLevel", "INFO")
    return 0 if level in ("WARN", "ERROR", "FATAL") else LAMBDA_PLATFORM_LOG_BYTES


@cache
def metric_names(function: str) -> frozenset[str]:
    """The custom metrics a function's EMF lines can create (one per name: each function has one dimension set,
    its service), read from its handler module and the JSON adapter when it uses it."""
    module = _specs()[function].handler.rpartition(".")[0]
    source = (FUNCTIONS_DIR / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8")
    sources = [source]
    if "shortlinks.web.api" in source:
        sources.append((FUNCTIONS_DIR / "shortlinks" / "web" / "api.py").read_text(encoding="utf-8"))
    return frozenset(name for text in sources for name in _metric_names_in(ast.parse(text)))


def _metric_names_in(tree: ast.AST) -> Iterable[str]:
    """Names given to ``add_metric(name=...)``: literals, or a variable whose literal values the module assigns
    (``metric = "A" if ... else "B"``) or iterates over (``for name, value in (("A", ...), ...)``)."""
    variables: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_metric":
            for keyword in node.keywords:
                if keyword.arg != "name":
                    continue
                if isinstance(keyword.value, ast.Name):
                    variables.add(keyword.value.id)
                else:  # a literal, or literals chosen between (``"A" if reused else "B"``)
                    yield from _strings(keyword.value)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) in variables for t in node.targets):
            yield from _strings(node.value)
        if (
            isinstance(node, ast.For)
            and isinstance(node.target, ast.Tuple)
            and getattr(node.target.elts[0], "id", None) in variables
            and isinstance(node.iter, ast.Tuple | ast.List)
        ):
            for element in node.iter.elts:
                if isinstance(element, ast.Tuple):
                    yield from _strings(element.elts[0])


def _strings(node: ast.AST) -> Iterable[str]:
    for child in ast.walk(node):
        if isinstance(child, ast.Constant) and isinstance(child.value, str):
            yield child.value


@cache
def _template() -> dict[str, Any]:
    return load_template()


@cache
def _specs() -> dict[str, FunctionSpec]:
    return function_specs(_template())


def _http_api() -> dict[str, Any]:
    resources: dict[str, Any] = _template()["Resources"]
    return next(r for r in resources.values() if r.get("Type") == "AWS::Serverless::HttpApi")


def monthly(costs: Iterable[Cost], volumes: dict[str, int]) -> dict[str, dict[str, float]]:
    """Dollars a month by operation and line, at ``volumes`` requests a month of each operation."""
    return {
        cost.operation: {line: dollars * volumes[cost.operation] / 1e6 for line, dollars in cost.parts.items()}
        for cost in costs
        if cost.operation in volumes
    }


def report(costs: list[Cost], direct: list[Cost]) -> list[str]:
    """The cost section of ``make bench``'s report: per million requests by line, the month, the price table."""
    lines = [
        f"### Cost per million requests (us-east-1 list prices of {PRICES_AS_OF}, arm64; every line below)",
        "",
        "| operation | billed ms | API | Lambda requests | Lambda GB-s | INIT | DynamoDB | Logs in | Logs kept | "
        "Metrics | total $ |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for line in costs:
        p = line.parts
        lines.append(
            f"| {line.operation} | {line.billed_ms} | {p['api']:.3f} | {p['lambda_requests']:.3f} | "
            f"{p['lambda_duration']:.4f} | {p['lambda_init']:.4f} | {p['dynamodb']:.4f} | {p['logs_ingestion']:.4f} | "
            f"{p['logs_storage']:.4f} | {p['metrics']:.4f} | **{line.dollars_per_million:.3f}** |"
        )
    for line in direct:
        lines.append(
            f"| {line.operation} ({line.design}) | - | {line.parts['api']:.3f} | - | - | - | "
            f"{line.parts['dynamodb']:.4f} | - | - | - | **{line.dollars_per_million:.3f}** |"
        )
    month = monthly(costs, {name: MONTHLY_REQUESTS[name] for name in MONTH})
    columns = list(costs[0].parts)
    lines += [
        "",
        "A month of " + " + ".join(f"{MONTHLY_REQUESTS[name]:,} {name}s" for name in MONTH) + " ($):",
        "",
        "| " + " | ".join(["operation", *columns, "total"]) + " |",
        "|---|" + "---:|" * (len(columns) + 1),
    ]
    for name, parts in [*month.items(), ("all", {c: sum(m[c] for m in month.values()) for c in columns})]:
        cells = [f"{parts[c]:.2f}" for c in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | **{sum(parts.values()):.2f}** |")
    lines += [
        "",
        "Prices: " + "; ".join(f"{name} ${entry.dollars:g} per {entry.per}" for name, entry in PRICES.items()) + ".",
        f"Assumed: CPU time measured here on a full core, stretched to the {LAMBDA_MB_PER_VCPU:,} MB-per-vCPU share "
        f"of the function's memory; DynamoDB round trips {ASSUMED_GET_ITEM_MS:g} ms a read, {ASSUMED_PUT_ITEM_MS:g} "
        f"ms a write; {COLD_START_SHARE:.0%} of invocations start a container, whose INIT (the import measured here) "
        f"runs with Lambda's burst CPU, so it is billed unstretched; the access log in its log group's class, "
        f"{parameter_values(_template())['AccessLogClass']} (template.yaml's AccessLogClass); logs kept "
        f"{log_retention_days()} days (LogRetentionDays) at the size CloudWatch bills, gzip level 6 (measured here: "
        f"click records {archive_ratio('function'):.0%} of their size, access-log lines "
        f"{archive_ratio('access'):.0%}) plus {ARCHIVE_EVENT_BYTES} bytes per event; metrics spread over "
        + ", ".join(f"{volume:,} {name}s" for name, volume in MONTHLY_REQUESTS.items())
        + " a month. Custom metrics per function: "
        + "; ".join(
            f"{name} {len(metric_names(FUNCTION_IDS[name]))}"
            + (f" ({', '.join(sorted(metric_names(FUNCTION_IDS[name])))})" if metric_names(FUNCTION_IDS[name]) else "")
            for name in ("redirect", "create", "expand", "authorizer")
        )
        + ".",
        "Log bytes per request (CloudWatch Logs ingestion): the API's access-log line "
        f"{access_log_bytes()} (template.yaml's format, typical values), and what the functions' code wrote: "
        + ", ".join(f"{line.operation} {line.code_log_bytes}" for line in costs)
        + " (the redirect's is its click record alone, domain/click_format.py).",
    ]
    return lines
