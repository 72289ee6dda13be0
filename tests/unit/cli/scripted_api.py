"""A scripted shortlinks API for the command's unit tests (httpx.MockTransport: no socket)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.cli_runner import Run, run

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


__all__ = ["Run", "run"]
