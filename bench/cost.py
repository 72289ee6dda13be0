"""Dollars per million requests on AWS, from published us-east-1 prices and figures measured in this run."""

from __future__ import annotations

import math
from dataclasses import dataclass

# us-east-1 list prices as published on the AWS pricing pages (first pricing tier), read 2025-06; re-check
# https://aws.amazon.com/{api-gateway,lambda,dynamodb,cloudwatch}/pricing/ before relying on them.
PRICES_AS_OF = "2025-06"
HTTP_API_PER_MILLION = 1.00  # first 300 million requests a month
REST_API_PER_MILLION = 3.50  # first 333 million requests a month
LAMBDA_REQUEST_PER_MILLION = 0.20
LAMBDA_ARM_PER_GB_SECOND = 0.0000133334
DYNAMODB_READ_UNIT_PER_MILLION = 0.125  # on-demand; an eventually consistent read up to 4 KB is 0.5 unit
DYNAMODB_WRITE_UNIT_PER_MILLION = 0.625  # on-demand; a write up to 1 KB is 1 unit
LOGS_INGEST_PER_GB = 0.50
LAMBDA_PLATFORM_LOG_BYTES = 330  # START, END and REPORT lines Lambda writes per invocation

# Assumed in-region DynamoDB latency added to the measured in-process time (not measurable without AWS).
ASSUMED_GET_ITEM_MS = 4.0
ASSUMED_PUT_ITEM_MS = 6.0


@dataclass
class Cost:
    operation: str
    design: str
    billed_ms: int
    dollars_per_million: float
    parts: dict[str, float]


def lambda_design(
    operation: str,
    warm_us: float,
    memory_mb: int,
    read_units: float,
    write_units: float,
    log_bytes: int,
    authorizer_us: float | None = None,
) -> Cost:
    """HTTP API + Lambda (arm64) + DynamoDB on-demand + CloudWatch Logs, per million requests.

    ``authorizer_us``: the route sits behind the Lambda authorizer, one more invocation per request (its
    per-container cache answers most of them without DynamoDB, so it is billed at its warm cached time).
    """
    dynamodb_ms = ASSUMED_PUT_ITEM_MS if write_units else ASSUMED_GET_ITEM_MS
    billed_ms = math.ceil(warm_us / 1000 + dynamodb_ms)
    gb = memory_mb / 1024
    lambda_cost = LAMBDA_REQUEST_PER_MILLION + billed_ms / 1000 * gb * LAMBDA_ARM_PER_GB_SECOND * 1e6
    if authorizer_us is not None:
        authorizer_ms = math.ceil(authorizer_us / 1000)
        lambda_cost += LAMBDA_REQUEST_PER_MILLION + authorizer_ms / 1000 * gb * LAMBDA_ARM_PER_GB_SECOND * 1e6
        log_bytes += LAMBDA_PLATFORM_LOG_BYTES
    parts = {
        "api": HTTP_API_PER_MILLION,
        "lambda": lambda_cost,
        "dynamodb": read_units * DYNAMODB_READ_UNIT_PER_MILLION + write_units * DYNAMODB_WRITE_UNIT_PER_MILLION,
        "logs": (log_bytes + LAMBDA_PLATFORM_LOG_BYTES) * 1e6 / 1024**3 * LOGS_INGEST_PER_GB,
    }
    return Cost(operation, "HTTP API + Lambda", billed_ms, sum(parts.values()), parts)


def direct_integration_design(operation: str, read_units: float, write_units: float) -> Cost:
    """AWS's sample design: a REST API whose method integrates with DynamoDB directly (no Lambda, no logs)."""
    parts = {
        "api": REST_API_PER_MILLION,
        "lambda": 0.0,
        "dynamodb": read_units * DYNAMODB_READ_UNIT_PER_MILLION + write_units * DYNAMODB_WRITE_UNIT_PER_MILLION,
        "logs": 0.0,
    }
    return Cost(operation, "REST API -> DynamoDB", 0, sum(parts.values()), parts)
