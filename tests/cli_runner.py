"""Runs ``shortlinks`` in the test's process, as the shell would, and keeps what it did (unit and end-to-end tests of
the command line)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import httpx
import pytest

from shortlinks_cli.main import main


class Api(Protocol):
    """Something that serves the API to the command: a scripted one (tests/unit/cli/scripted_api.py)."""

    def transport(self) -> httpx.BaseTransport: ...


@dataclass
class Run:
    """What one command did: its exit status, stdout, stderr and the seconds it was told to wait."""

    status: int
    out: str
    err: str
    waits: list[float]


def run(
    capsys: pytest.CaptureFixture[str],
    api: Api | None,
    *argv: str,
    transport: httpx.BaseTransport | None = None,
) -> Run:
    """``shortlinks ARGV`` against ``api`` (or ``transport``); a usage error (argparse's exit) is a status too."""
    waits: list[float] = []
    chosen = api.transport() if api is not None else transport
    try:
        status = main(list(argv), transport=chosen, sleep=waits.append)
    except SystemExit as exit:
        status = int(exit.code or 0)
    out, err = capsys.readouterr()
    return Run(status, out, err, waits)
