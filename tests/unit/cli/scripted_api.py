"""A scripted shortlinks API for the command's unit tests (httpx.MockTransport: no socket), and a runner that
calls ``shortlinks_cli.main.main`` as the shell would, with its own environment and no profile file."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from shortlinks_cli.main import main

BASE_URL = "http://127.0.0.1:3000"
KEY = "sl_" + "k" * 43

Answer = httpx.Response | Callable[[httpx.Request], httpx.Response]


def error(status: int, code: str, message: str = "refused", **headers: str) -> httpx.Response:
    """The API's error shape."""
    return httpx.Response(status, json={"error": {"code": code, "message": message}}, headers=headers)


@dataclass
class ScriptedApi:
    """Answers each request with the next scripted answer (a response, or a function of the request) and keeps
    every request it got."""

    answers: list[Answer]
    requests: list[httpx.Request] = field(default_factory=list)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if not self.answers:
            return httpx.Response(500, text=f"unscripted: {request.method} {request.url}")
        answer = self.answers.pop(0)
        return answer(request) if callable(answer) else answer

    def bodies(self) -> list[Any]:
        """The JSON bodies sent, in order."""
        return [json.loads(request.content) if request.content else None for request in self.requests]


@dataclass
class Run:
    """What one command did: its exit status, stdout, stderr and the seconds it was told to wait."""

    status: int
    out: str
    err: str
    waits: list[float]


def run(
    capsys: pytest.CaptureFixture[str],
    api: ScriptedApi | None,
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


def link(code: str = "help", **fields: Any) -> dict[str, Any]:
    """A link object as the API shows it."""
    return {
        "code": code,
        "domain": "127.0.0.1",
        "short_url": f"{BASE_URL}/{code}",
        "url": "https://docs.python.org/3/",
        "title": None,
        "tags": [],
        "redirect_type": 302,
        "forward_query": True,
        "status": "active",
        "owner": "key_AAAAAAAAAAAA",
        "version": 1,
        "created_at": "2026-11-30T12:00:00.000Z",
        "updated_at": None,
        "expires_at": None,
        **fields,
    }


def statuses(api: ScriptedApi) -> Sequence[str]:
    """``METHOD path?query`` of every request, in order."""
    return [f"{request.method} {request.url.raw_path.decode()}" for request in api.requests]
