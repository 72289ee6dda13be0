"""What integration tests drive the handlers with: cold starts as Lambda does them, HTTP responses, the table as
the storage layer writes it, DynamoDB call records and the functions' structured logs."""

from __future__ import annotations

import importlib
import json
import logging
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest
from botocore.client import BaseClient

from local.dynamodb import EmbeddedDynamoDB, dynamodb_client, ensure_table
from local.template import function_specs, load_template, resolve_environment
from shortlinks.domain.clicks import parse_click
from shortlinks.domain.links import Link
from shortlinks.domain.target import LinkState, Target, utc_now
from shortlinks.storage.repository import DynamoLinkRepository
from tests import iam

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_dynamodb import DynamoDBClient

TABLE_NAME = "shortlinks-links"
REGION = "us-east-1"
SHORT_BASE_URL = "https://sho.rt"
SHORT_DOMAIN = "sho.rt"

# Modules that hold per-cold-start state (settings, repository, logger, metrics). Domain and storage modules are
# stateless and stay imported, so domain error classes keep one identity for the whole test session.
_COLD_START_MODULES = ("shortlinks.handlers", "shortlinks.observability")


def cold_start(function_id: str, env: pytest.MonkeyPatch) -> ModuleType:
    """Import the handler module of template function ``function_id`` afresh, in the environment the template
    gives it (pointed at the test table, short links on ``SHORT_BASE_URL``)."""
    spec = function_specs()[function_id]
    variables = resolve_environment(spec.environment, table_name=TABLE_NAME) | {"SHORT_BASE_URL": SHORT_BASE_URL}
    for name, value in variables.items():
        env.setenv(name, value)
    for name in [name for name in sys.modules if name.startswith(_COLD_START_MODULES)]:
        del sys.modules[name]
    return importlib.import_module(spec.handler.rpartition(".")[0])


def cold_start_modules(function_id: str, *, then: str = "", extra_env: Mapping[str, str] | None = None) -> set[str]:
    """Every module a fresh interpreter holds after importing template function ``function_id``'s handler module in
    the environment the template gives it (as Lambda's init does; ``extra_env`` for what a layer would provide, such
    as the docs function's ``SWAGGER_UI_DIR``), and running ``then`` (Python using the module as ``handler``). The
    store does not answer: what init reads fails fast, as it may in Lambda."""
    modules = set(cold_start_value(function_id, "sorted(sys.modules)", then=then, extra_env=extra_env))
    assert function_specs()[function_id].handler.rpartition(".")[0] in modules
    return modules


def cold_start_value(
    function_id: str, expression: str, *, then: str = "", extra_env: Mapping[str, str] | None = None
) -> Any:
    """The value (JSON) of Python ``expression`` in a fresh interpreter after the cold start of template function
    ``function_id`` and ``then``, as ``cold_start_modules`` runs them (``sys`` and ``handler`` are in scope)."""
    spec = function_specs()[function_id]
    env = (
        resolve_environment(spec.environment, table_name=TABLE_NAME)
        | dict(extra_env or {})
        | {
            "PYTHONPATH": str(spec.code_uri),  # the function's own code: functions/, or the console's
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "DYNAMODB_ENDPOINT": "http://127.0.0.1:9",
        }
    )
    module = spec.handler.rpartition(".")[0]
    script = f"import json, sys\nimport {module} as handler\n{then}\nprint(json.dumps({expression}))\n"
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(result.stdout.splitlines()[-1])


# Callers as the API's Lambda authorizer describes them to the functions (web/auth.py has the contract).
MEMBER_ID = "key_Campaigns001"  # the member key of the link fixtures in tests/events
OTHER_MEMBER_ID = "key_Volunteers01"
ADMIN_ID = "key_AdminFixture"
ANONYMOUS: dict[str, Any] = {"auth": "anonymous"}
INVALID: dict[str, Any] = {"auth": "invalid"}


def key_context(key_id: str, role: str = "member", create_rate_limit: int = 0) -> dict[str, Any]:
    """The authorizer's context for a valid key; ``create_rate_limit`` 0 means the service default."""
    return {"auth": "key", "key_id": key_id, "role": role, "create_rate_limit": create_rate_limit}


MEMBER = key_context(MEMBER_ID)
OTHER_MEMBER = key_context(OTHER_MEMBER_ID)
ADMIN = key_context(ADMIN_ID, "admin")


def as_caller(event: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """``event`` as it reaches a function after the authorizer answered with ``context``."""
    event["requestContext"]["authorizer"] = {"lambda": context}
    return event


def service_names() -> set[str]:
    """The Powertools service (and so logger) name of every function in the template."""
    return {str(spec.environment["POWERTOOLS_SERVICE_NAME"]) for spec in function_specs().values()}


@dataclass(frozen=True)
class HttpResponse:
    """What API Gateway makes of a handler's payload 2.0 response."""

    status: int
    headers: dict[str, str]  # names lower-cased
    body: str

    @classmethod
    def from_lambda(cls, result: dict[str, Any]) -> HttpResponse:
        headers = {str(name).lower(): str(value) for name, value in (result.get("headers") or {}).items()}
        return cls(status=int(result["statusCode"]), headers=headers, body=str(result.get("body") or ""))

    def json(self) -> Any:
        return json.loads(self.body)


def invoke(module: ModuleType, event: dict[str, Any], context: LambdaContext) -> Any:
    """Run ``module``'s handler on ``event`` as Lambda does, and fail if any DynamoDB call it made would be refused
    by the IAM policy template.yaml gives its function (tests/iam.py): every integration test that invokes a
    handler through here also proves the policy sufficient for what it exercised."""
    with recording_dynamodb_calls() as calls:
        result = module.lambda_handler(event, context)
    refusals = calls_refused(_function_of(module.__name__), calls)
    assert not refusals, f"IAM would refuse {module.__name__}: {refusals}"
    return result


def redirect_cache_expires(redirect: LambdaFunction) -> None:
    """What waiting ``REDIRECT_CACHE_SECONDS`` does to a redirect container: it holds no link it read before
    (domain/hot_links.py; a change reaches visitors within that time, docs/api.md)."""
    redirect.module.targets.cache.clear()


@dataclass(frozen=True)
class LambdaFunction:
    """A cold-started handler module, invoked the way Lambda invokes it (and held to its IAM policy: ``invoke``)."""

    module: ModuleType
    context: LambdaContext

    def __call__(self, event: dict[str, Any]) -> HttpResponse:
        result = invoke(self.module, event, self.context)
        assert isinstance(result, dict), f"a handler must answer API Gateway with a dict, not {type(result)}"
        return HttpResponse.from_lambda(result)


class LinkStore:
    """The test table: links seeded through the storage adapter (so exactly as production writes them) and
    raw items read back with a plain boto3 client."""

    def __init__(self, client: DynamoDBClient) -> None:
        self._client = client
        self._repository = DynamoLinkRepository(TABLE_NAME, REGION)

    def add(
        self,
        code: str,
        url: str = "https://example.org/resources?lang=en",
        *,
        domain: str = SHORT_DOMAIN,
        redirect_type: int = 302,
        forward_query: bool = True,
        expires_at: datetime | None = None,
        title: str | None = None,
        owner: str | None = None,
        tags: tuple[str, ...] = (),
        state: LinkState = LinkState.ACTIVE,
        created_at: datetime | None = None,
    ) -> Link:
        link = Link(
            domain=domain,
            code=code,
            target=Target(
                url=url, redirect_type=redirect_type, forward_query=forward_query, expires_at=expires_at, state=state
            ),
            created_at=created_at or utc_now(),
            title=title,
            owner=owner,
            tags=tags,
        )
        self._repository.add(link)
        return link

    @property
    def repository(self) -> DynamoLinkRepository:
        """The storage adapter the functions use, on the test table."""
        return self._repository

    def items(self) -> list[dict[str, Any]]:
        """Every item in the table, in DynamoDB's attribute-value form."""
        found: list[dict[str, Any]] = []
        for page in self._client.get_paginator("scan").paginate(TableName=TABLE_NAME, ConsistentRead=True):
            found.extend(page["Items"])
        return found

    def link_items(self) -> list[dict[str, Any]]:
        """The link items only (not rate counters, history entries, idempotency records or API keys)."""
        return [item for item in self.items() if item["sk"] == {"S": "LINK"}]

    def clear(self) -> None:
        for item in self.items():
            self._client.delete_item(TableName=TABLE_NAME, Key={"pk": item["pk"], "sk": item["sk"]})


@dataclass(frozen=True)
class ApiCall:
    operation: str
    params: dict[str, Any]


def calls_made(calls: list[ApiCall]) -> set[tuple[str, str]]:
    """``(operation, resource)`` for each call: resource ``table``, or ``index/<name>`` for a query on an index."""
    return {
        (call.operation, f"index/{call.params['IndexName']}" if "IndexName" in call.params else "table")
        for call in calls
    }


def calls_granted(function_id: str) -> set[tuple[str, str]]:
    """What template.yaml's policies let ``function_id`` do to the table, in ``calls_made``'s terms."""
    granted: set[tuple[str, str]] = set()
    for policy in load_template()["Resources"][function_id]["Properties"]["Policies"]:
        for statement in policy["Statement"]:
            resource = statement["Resource"]
            if resource == {"Fn::GetAtt": ["LinksTable", "Arn"]}:
                target = "table"
            else:
                target = str(resource["Fn::Sub"]).removeprefix("${LinksTable.Arn}/")
            granted |= {(str(action).removeprefix("dynamodb:"), target) for action in statement["Action"]}
    return granted


def calls_refused(function_id: str, calls: list[ApiCall]) -> list[str]:
    """The calls (or transaction items) IAM would refuse ``function_id`` under template.yaml's policies, with their
    partition keys, attributes and ``ReturnValues`` weighed as IAM weighs them (tests/iam.py); each described."""
    granted = _grants(function_id)
    return [
        f"{call.operation}: {request}"
        for call in calls
        for request in iam.refused(granted, call.operation, call.params)
    ]


@cache
def _grants(function_id: str) -> list[iam.Grant]:
    return iam.grants(function_id)


@cache
def _function_of(handler_module: str) -> str:
    """The template function whose handler lives in ``handler_module``."""
    [function] = [
        spec.function for spec in function_specs().values() if spec.handler.rpartition(".")[0] == handler_module
    ]
    return function


@contextmanager
def recording_dynamodb_calls() -> Iterator[list[ApiCall]]:
    """Every DynamoDB API call any botocore client makes inside the block (pynamodb's included), in order."""
    calls: list[ApiCall] = []
    original = BaseClient._make_api_call  # type: ignore[attr-defined]  # private, so absent from the stubs

    def record(client: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        if client.meta.service_model.service_name == "dynamodb":
            calls.append(ApiCall(operation_name, dict(api_params)))
        return original(client, operation_name, api_params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BaseClient, "_make_api_call", record)
        yield calls


@dataclass
class CapturedLogs:
    """The JSON lines the functions wrote to stdout: click records, Powertools log records, EMF metric blobs."""

    capsys: pytest.CaptureFixture[str]
    _lines: list[dict[str, Any]] = field(default_factory=list)

    _raw: list[str] = field(default_factory=list)
    _logged_ms: list[int] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The JSON lines, as written."""
        read_ms = int(time.time() * 1000)  # each line's log event time, as CloudWatch Logs would stamp it
        for line in self.capsys.readouterr().out.splitlines():
            if line.startswith("{"):
                self._raw.append(line)
                self._lines.append(json.loads(line))
                self._logged_ms.append(read_ms)
        return list(self._raw)

    def records(self) -> list[dict[str, Any]]:
        self.lines()
        return list(self._lines)

    def click_lines(self) -> list[str]:
        """The click records as written: one short JSON line per redirect request (domain/click_format.py)."""
        return [line for line, _ in self._click_events()]

    def clicks(self) -> list[dict[str, Any]]:
        """The click records as the aggregator reads them (domain/clicks.py ``parse_click``, with the time the line
        was read as its log event's time), by field name."""
        return [asdict(record) for line, logged_ms in self._click_events() if (record := parse_click(line, logged_ms))]

    def _click_events(self) -> list[tuple[str, int]]:
        lines = self.lines()
        return [(line, ms) for line, ms in zip(lines, self._logged_ms, strict=True) if parse_click(line, ms)]

    def metrics(self) -> list[str]:
        """Names of the metrics flushed (EMF), in order."""
        names: list[str] = []
        for record in self.records():
            for directive in (record.get("_aws") or {}).get("CloudWatchMetrics", []):
                names.extend(metric["Name"] for metric in directive["Metrics"])
        return names


class _CurrentStdout:
    """Whatever ``sys.stdout`` is when written to: pytest swaps it between a test's setup and its call."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def capture_function_logs(capsys: pytest.CaptureFixture[str], patch: pytest.MonkeyPatch) -> CapturedLogs:
    """Point every function logger at the stdout ``capsys`` reads (their handlers hold the stdout of the moment
    they were first configured), and return a reader of what they write."""
    for service in service_names():
        for handler in logging.getLogger(service).handlers:
            if isinstance(handler, logging.StreamHandler):
                patch.setattr(handler, "stream", _CurrentStdout())
    return CapturedLogs(capsys)


EMBEDDED_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "embedded", "AWS_SECRET_ACCESS_KEY": "embedded"}


@contextmanager
def embedded_table() -> Iterator[DynamoDBClient]:
    """The template's table, empty, in an embedded DynamoDB served over HTTP on loopback: safe from several threads
    (moto's in-process ``mock_aws`` is not), its requests serialised as DynamoDB's conditional writes are atomic.
    While the block runs the environment points every cold start at it (``DYNAMODB_ENDPOINT``, dummy credentials).
    """
    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
            env.delenv(name, raising=False)
        for name, value in EMBEDDED_CREDENTIALS.items():
            env.setenv(name, value)
        env.setenv("AWS_REGION", REGION)
        env.setenv("AWS_DEFAULT_REGION", REGION)
        embedded = EmbeddedDynamoDB()
        env.setenv("DYNAMODB_ENDPOINT", embedded.start())
        try:
            client = dynamodb_client(embedded.endpoint, REGION, EMBEDDED_CREDENTIALS)
            if not ensure_table(client, TABLE_NAME):  # moto's accounts are per process: start from an empty table
                client.delete_table(TableName=TABLE_NAME)
                ensure_table(client, TABLE_NAME)
            yield client
        finally:
            embedded.stop()
