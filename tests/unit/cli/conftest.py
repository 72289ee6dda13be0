"""The user command's unit tests: configured by the environment, never by the developer's own profile file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.cli.scripted_api import BASE_URL, KEY


@pytest.fixture(autouse=True)
def api_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The URL and key in the environment, and a config directory without a file."""
    monkeypatch.setenv("SHORTLINKS_URL", BASE_URL)
    monkeypatch.setenv("SHORTLINKS_API_KEY", KEY)
    monkeypatch.delenv("SHORTLINKS_PROFILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
