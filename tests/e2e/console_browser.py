"""Headless Chromium for the console's end-to-end tests: Debian's ``chromium`` driven by Playwright's Python API
(Playwright's own browser downloads are not reachable from these machines), a fresh profile per test.

Without the browser the tests are skipped on a developer's machine and fail on CI (``CI`` set), where
``make test`` installs it first.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, ViewportSize, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    if CHROMIUM.exists() or shutil.which("chromium"):
        return
    message = "Debian's chromium is not installed (make test installs it: apt-get install -y chromium)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def chromium_context(*, viewport: ViewportSize | None = None) -> Iterator[BrowserContext]:
    """A browser with a fresh user-data-dir, downloads allowed, closed afterwards."""
    require_chromium()
    executable = str(CHROMIUM) if CHROMIUM.exists() else str(shutil.which("chromium"))
    with tempfile.TemporaryDirectory(prefix="console-profile-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            headless=True,
            args=CHROMIUM_ARGS,
            accept_downloads=True,
            viewport=viewport or {"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()
