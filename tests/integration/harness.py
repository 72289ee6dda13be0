"""What integration tests drive the handlers with: cold starts as Lambda does them, HTTP responses, the table as
the storage layer writes it, DynamoDB call records and the functions' structured logs."""

from __future__ import annotations

import importlib
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest
from botocore.client import BaseClient

from local.template import resolve_environment, routes
from shortlinks.domain.links import Link, Target, utc_now
from shortlinks.storage.repository import DynamoLinkRepository

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
    route = next(route for route in routes() if route.function == function_id)
    variables = resolve_environment(route.environment, table_name=TABLE_NAME) | {"SHORT_BASE_URL": SHORT_BASE_URL}
    for name, value in variables.items():
        env.setenv(name, value)
    for name in [name for name in sys.modules if name.startswith(_COLD_START_MODULES)]:
        del sys.modules[name]
    return importlib.import_module(route.handler.rpartition(".")[0])


def service_names() -> set[str]:
    """The Powertools service (and so logger) name of every function in the template."""
    return {str(route.environment["POWERTOOLS_SERVICE_NAME"]) for route in routes()}


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


@dataclass(frozen=True)
class LambdaFunction:
    """A cold-started handler module, invoked the way Lambda invokes it."""

    module: ModuleType
    context: LambdaContext

    def __call__(self, event: dict[str, Any]) -> HttpResponse:
        result = self.module.lambda_handler(event, self.context)
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
    ) -> Link:
        link = Link(
            domain=domain,
            code=code,
            target=Target(url=url, redirect_type=redirect_type, forward_query=forward_query, expires_at=expires_at),
            created_at=utc_now(),
            title=title,
        )
        self._repository.add(link)
        return link

    def items(self) -> list[dict[str, Any]]:
        """Every item in the table, in DynamoDB's attribute-value form."""
        found: list[dict[str, Any]] = []
        for page in self._client.get_paginator("scan").paginate(TableName=TABLE_NAME, ConsistentRead=True):
            found.extend(page["Items"])
        return found

    def clear(self) -> None:
        for item in self.items():
            self._client.delete_item(TableName=TABLE_NAME, Key={"pk": item["pk"], "sk": item["sk"]})


@dataclass(frozen=True)
class ApiCall:
    operation: str
    params: dict[str, Any]


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

    def records(self) -> list[dict[str, Any]]:
        for line in self.capsys.readouterr().out.splitlines():
            if line.startswith("{"):
                self._lines.append(json.loads(line))
        return list(self._lines)

    def clicks(self) -> list[dict[str, Any]]:
        """The click records: one flat JSON line per redirect request, ``"record": "click"``."""
        return [record for record in self.records() if record.get("record") == "click"]

    def metrics(self) -> list[str]:
        """Names of the metrics flushed (EMF), in order."""
        names: list[str] = []
        for record in self.records():
            for directive in (record.get("_aws") or {}).get("CloudWatchMetrics", []):
                names.extend(metric["Name"] for metric in directive["Metrics"])
        return names


def capture_function_logs(capsys: pytest.CaptureFixture[str], patch: pytest.MonkeyPatch) -> CapturedLogs:
    """Point every function logger at the stdout ``capsys`` reads (their handlers hold the stdout of the moment
    they were first configured), and return a reader of what they write."""
    for service in service_names():
        for handler in logging.getLogger(service).handlers:
            if isinstance(handler, logging.StreamHandler):
                patch.setattr(handler, "stream", sys.stdout)
    return CapturedLogs(capsys)
