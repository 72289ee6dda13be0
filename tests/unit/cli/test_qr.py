"""``shortlinks qr``: against a stand-in for ``GET /v1/links/{code}/qr`` on 127.0.0.1 (the route is built
elsewhere; the end-to-end test comes with it). The command asks for the format FILE's extension names, sends no
key (the route is public) and writes the image as answered."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.unit.cli.scripted_api import run

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32  # the signature, then stand-in chunks
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29"></svg>'


class QrStandIn(BaseHTTPRequestHandler):
    """Answers ``/v1/links/<code>/qr`` with a PNG or an SVG as ``format`` asks; records every request."""

    seen: list[tuple[str, str | None]] = []
    answer_type: str | None = None  # a Content-Type to answer whatever was asked, for the mismatch test

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("Authorization")))
        wants_png = "format=png" in self.path
        body, media_type = (PNG, "image/png") if wants_png else (SVG, "image/svg+xml")
        self.send_response(200)
        self.send_header("Content-Type", self.answer_type or media_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def qr_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[QrStandIn]]:
    """The stand-in, serving on a free port of 127.0.0.1; the command configured to use it."""
    QrStandIn.seen = []
    QrStandIn.answer_type = None
    server = ThreadingHTTPServer(("127.0.0.1", 0), QrStandIn)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setenv("SHORTLINKS_URL", f"http://127.0.0.1:{server.server_address[1]}")
    try:
        yield QrStandIn
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_qr_writes_the_png_the_api_answered(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, qr_api: type[QrStandIn]
) -> None:
    # WHEN a PNG of link help on care.link is asked for, with every option
    target = tmp_path / "help.png"
    argv = ["qr", "help", "-o", str(target), "--size", "8", "--margin", "2", "--ecc", "H", "--domain", "care.link"]
    result = run(capsys, None, *argv)

    # THEN the route got the format from the extension and the options, and no key; the file is the PNG
    assert result.status == 0
    assert qr_api.seen == [("/v1/links/help/qr?format=png&size=8&margin=2&ecc=H&domain=care.link", None)]
    assert target.read_bytes() == PNG
    assert result.err == f"wrote {target} (png, {len(PNG)} bytes)\n"


def test_format_overrides_an_unknown_extension(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, qr_api: type[QrStandIn]
) -> None:
    target = tmp_path / "help.image"
    assert run(capsys, None, "qr", "help", "-o", str(target), "--format", "svg").status == 0
    assert qr_api.seen[0][0] == "/v1/links/help/qr?format=svg"
    assert target.read_bytes() == SVG


@pytest.mark.parametrize(("name", "options"), [("help.jpg", []), ("help", []), ("help.svg", ["--format", "png"])])
def test_a_format_that_cannot_be_told_or_contradicts_the_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, qr_api: type[QrStandIn], name: str, options: list[str]
) -> None:
    result = run(capsys, None, "qr", "help", "-o", str(tmp_path / name), *options)
    assert result.status == 2
    assert qr_api.seen == []
    assert not (tmp_path / name).exists()


def test_an_answer_of_another_type_is_not_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, qr_api: type[QrStandIn]
) -> None:
    # GIVEN an API that answers HTML where an image was asked for
    qr_api.answer_type = "text/html; charset=utf-8"
    target = tmp_path / "help.png"
    result = run(capsys, None, "qr", "help", "-o", str(target))
    assert (result.status, target.exists()) == (1, False)
    assert result.err == "shortlinks: unexpected_answer: asked for png, the API answered text/html\n"
