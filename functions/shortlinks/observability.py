"""Logger, metrics and the click record shared by every handler.

No tracer: X-Ray's SDK costs cold-start time on every path (docs/benchmarks.md). Powertools' ``Logger`` and
``Metrics`` are built when a handler first imports them (``from shortlinks.observability import logger``), not
when this module loads: the redirect imports only ``write_click`` and so loads no Powertools at all.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from shortlinks.domain import click_format

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.metrics import MetricUnit

    logger: Logger
    metrics: Metrics


def __getattr__(name: str) -> Any:
    """``logger``, ``metrics`` and ``MetricUnit``, made on first use (PEP 562) and kept as module globals."""
    if name == "logger":
        from aws_lambda_powertools import Logger

        value: Any = Logger()
    elif name == "metrics":
        from aws_lambda_powertools import Metrics

        value = Metrics()
    elif name == "MetricUnit":
        from aws_lambda_powertools.metrics import MetricUnit

        value = MetricUnit
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def write_click(click: dict[str, Any]) -> None:
    """Write one click record (domain/click_format.py ``line``: format 3, short keys, ``None`` values left out, no
    time of its own: the log event's timestamp is its time) as one line on stdout (CloudWatch Logs in Lambda).

    Clicks are data for the analytics pipeline, not diagnostics: a fixed, flat shape that is cheap to write on
    the redirect path (a Powertools log line costs about ten times as much; docs/benchmarks.md) and easy to
    query with Logs Insights (``filter click >= 2``).
    """
    sys.stdout.write(click_format.line(click))


__all__ = ["MetricUnit", "logger", "metrics", "write_click"]
