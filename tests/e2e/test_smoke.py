"""``make smoke`` against the local server, so the check cannot rot: it passes, it cleans up, it fails loudly.

The link it creates points at https://example.org/..., which is never requested: the check reads the redirect's
``Location`` and expands our own link from the table. Every request goes to the local server on 127.0.0.1.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from smoke.__main__ import main
from tests.e2e.conftest import ROOT, ClientFor, NewKey

pytestmark = pytest.mark.e2e

STEPS = ["create", "follow", "expand", "delete", "gone"]


def test_the_smoke_check_passes_and_leaves_no_live_link(
    base_url: str,
    new_key: NewKey,
    client_for: ClientFor,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN a member key of its own, with no links
    key = new_key("member")
    monkeypatch.setenv("API_KEY", key["key"])

    # WHEN the smoke check runs against the local server
    status = main(["--base-url", base_url])

    # THEN every step passed, one line each, all on the local server
    lines = capsys.readouterr().out.splitlines()
    assert status == 0, lines
    assert [line.split()[:2] for line in lines] == [["ok", step] for step in STEPS]
    assert all(url.startswith(base_url) for line in lines for url in line.split() if url.startswith("http://"))
    # AND what it created is deleted: the key lists no link, and exactly one tombstone
    http = client_for(key["key"])
    assert http.get("/v1/links").json()["links"] == []
    [tombstone] = http.get("/v1/links", params={"status": "deleted"}).json()["links"]
    assert tombstone["url"].startswith("https://example.org/shortlinks-smoke/")
    assert tombstone["tags"] == ["smoke"]


def test_python_m_smoke_fails_with_a_nonzero_status_and_says_where(base_url: str) -> None:
    # WHEN the module runs with a key the deployment does not know
    env = {**os.environ, "API_KEY": "sl_" + "0" * 43, "BASE_URL": base_url}
    result = subprocess.run(
        [sys.executable, "-m", "smoke"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )

    # THEN it stops at the first step, says why, and exits 1
    assert result.returncode == 1, result.stdout + result.stderr
    [line] = result.stdout.splitlines()
    assert line.startswith("FAIL create expected 201, got 401")


@pytest.mark.parametrize("missing", ["BASE_URL", "API_KEY"])
def test_without_a_base_url_or_key_it_refuses_to_start(
    missing: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("API_KEY", "sl_key")
    monkeypatch.delenv(missing)

    assert main([]) == 2
    assert f"{missing} missing" in capsys.readouterr().err
