"""Logger and metrics shared by every handler but the redirect (its click record is click_log.py's, and it loads no
Powertools: its package does not ship it, template.yaml PowertoolsDependencies).

No tracer: X-Ray's SDK costs cold-start time on every path (docs/benchmarks.md).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
metrics = Metrics()

__all__ = ["MetricUnit", "logger", "metrics"]
