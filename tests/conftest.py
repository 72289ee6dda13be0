"""Fixtures every kind of test may use."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import pytest

# Network in tests is loopback only: the expander resolves no host name anywhere in the suite (the local servers
# the end-to-end tests start inherit this too). Tests reach their own servers by IP literal.
os.environ["EXPANDER_RESOLVE_NAMES"] = "false"

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@dataclass(frozen=True)
class FakeLambdaContext:
    """The attributes of Lambda's context object that Powertools reads."""

    function_name: str = "shortlinks-test"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:shortlinks-test"
    aws_request_id: str = "3f9b6c1e-5a2d-4e8f-9b7a-1c2d3e4f5a6b"
    log_group_name: str = "/aws/lambda/shortlinks-test"
    log_stream_name: str = "2026/11/25/[$LATEST]0123456789abcdef0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 5000


@pytest.fixture
def lambda_context() -> LambdaContext:
    return cast("LambdaContext", FakeLambdaContext())
