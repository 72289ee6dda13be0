"""Integration fixtures: one moto account per test module holding the table template.yaml declares, and the
template's functions cold-started against it with the environment template.yaml gives them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING

import boto3
import pytest
from moto import mock_aws

from local.template import create_table
from tests.integration.harness import (
    REGION,
    TABLE_NAME,
    CapturedLogs,
    LambdaFunction,
    LinkStore,
    capture_function_logs,
    cold_start,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_dynamodb import DynamoDBClient

ColdStart = Callable[[str], ModuleType]


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[DynamoDBClient]:
    """A fresh moto DynamoDB for the module, with the template's table already created."""
    with pytest.MonkeyPatch.context() as env:
        # Never a real account: fake credentials, and nothing inherited that could point elsewhere.
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "DYNAMODB_ENDPOINT"):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_SESSION_TOKEN", "testing")
        env.setenv("AWS_DEFAULT_REGION", REGION)
        env.setenv("AWS_REGION", REGION)
        with mock_aws():
            client = boto3.client("dynamodb", region_name=REGION)
            create_table(client, TABLE_NAME)
            yield client


@pytest.fixture(scope="module")
def start_function(dynamodb: DynamoDBClient) -> Iterator[ColdStart]:
    """Cold-start a template function by logical id; its environment lasts until the module ends."""
    with pytest.MonkeyPatch.context() as env:
        yield lambda function_id: cold_start(function_id, env)


@pytest.fixture(scope="module")
def create_module(start_function: ColdStart) -> ModuleType:
    return start_function("CreateFunction")


@pytest.fixture(scope="module")
def redirect_module(start_function: ColdStart) -> ModuleType:
    return start_function("RedirectFunction")


@pytest.fixture(scope="module")
def expand_module(start_function: ColdStart) -> ModuleType:
    return start_function("ExpandFunction")


@pytest.fixture(scope="module")
def links_module(start_function: ColdStart) -> ModuleType:
    return start_function("LinksFunction")


@pytest.fixture(scope="module")
def authorizer_module(start_function: ColdStart) -> ModuleType:
    return start_function("AuthorizerFunction")


@pytest.fixture(scope="module")
def qr_module(start_function: ColdStart) -> ModuleType:
    return start_function("QrFunction")


@pytest.fixture
def qr(qr_module: ModuleType, lambda_context: LambdaContext) -> LambdaFunction:
    return LambdaFunction(qr_module, lambda_context)


@pytest.fixture(scope="module")
def keys_module(start_function: ColdStart) -> ModuleType:
    return start_function("KeysFunction")


@pytest.fixture
def keys(keys_module: ModuleType, lambda_context: LambdaContext) -> LambdaFunction:
    return LambdaFunction(keys_module, lambda_context)


@pytest.fixture
def create(create_module: ModuleType, lambda_context: LambdaContext) -> LambdaFunction:
    return LambdaFunction(create_module, lambda_context)


@pytest.fixture
def links(links_module: ModuleType, lambda_context: LambdaContext) -> LambdaFunction:
    return LambdaFunction(links_module, lambda_context)


@pytest.fixture
def redirect(redirect_module: ModuleType, lambda_context: LambdaContext) -> LambdaFunction:
    """The redirect with an empty hot-link cache: the table is emptied after every test, so is the cache."""
    redirect_module.targets.cache.clear()
    return LambdaFunction(redirect_module, lambda_context)


@pytest.fixture
def expand(expand_module: ModuleType, lambda_context: LambdaContext) -> LambdaFunction:
    return LambdaFunction(expand_module, lambda_context)


@pytest.fixture(scope="module")
def module_store(dynamodb: DynamoDBClient) -> LinkStore:
    return LinkStore(dynamodb)


@pytest.fixture(autouse=True)
def store(module_store: LinkStore) -> Iterator[LinkStore]:
    """The table, emptied after every test so no test sees another's links."""
    yield module_store
    module_store.clear()


@pytest.fixture
def logs(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CapturedLogs:
    return capture_function_logs(capsys, monkeypatch)
