"""The click record's writer: one line on stdout (CloudWatch Logs in Lambda) per redirect request.

Apart from observability.py, which builds Powertools' logger and metrics, so that the redirect imports no Powertools
at all (its package does not even ship it: template.yaml PowertoolsDependencies).
"""

from __future__ import annotations

import sys
from typing import Any

from shortlinks.domain import click_format


def write_click(click: dict[str, Any]) -> None:
    """Write one click record (domain/click_format.py ``line``: format 4, short keys, ``None`` values left out, no
    time of its own: the log event's timestamp is its time).

    Clicks are data for the analytics pipeline, not diagnostics: a fixed, flat shape that is cheap to write on
    the redirect path (a Powertools log line costs about ten times as much; docs/benchmarks.md) and easy to
    query with Logs Insights (``filter click >= 2``).
    """
    sys.stdout.write(click_format.line(click))
