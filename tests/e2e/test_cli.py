"""The user's ``shortlinks`` command against the local server over real HTTP, with a member key of its own: every
command a person or a script uses, from shorten to import and export, and a QR code that scans."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli_runner import Run, run
from tests.e2e.conftest import NewKey
from tests.qr_decoding import decode

pytestmark = pytest.mark.e2e

Shortlinks = Callable[..., Run]


class RecordingTransport(httpx.HTTPTransport):
    """A real transport that keeps what every bulk request carried: the URLs of its links."""

    def __init__(self) -> None:
        super().__init__()
        self.bulks: list[list[str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert (request.method, request.url.path) == ("POST", "/v1/links/bulk")
        self.bulks.append([item["url"] for item in json.loads(request.read())["links"]])
        return super().handle_request(request)


@pytest.fixture
def member(new_key: NewKey) -> dict[str, Any]:
    """A member key that may create 1,000 links a minute (an import of 250 fits)."""
    return new_key("member", create_rate_limit=1000)


@pytest.fixture
def shortlinks(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    base_url: str,
    member: dict[str, Any],
) -> Shortlinks:
    """``shortlinks(*argv, transport=None)``: the command, configured by the environment for the member's key."""
    monkeypatch.setenv("SHORTLINKS_URL", base_url)
    monkeypatch.setenv("SHORTLINKS_API_KEY", member["key"])
    monkeypatch.delenv("SHORTLINKS_PROFILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))

    def command(*argv: str, transport: httpx.BaseTransport | None = None) -> Run:
        return run(capsys, None, *argv, transport=transport)

    return command


def table_rows(out: str) -> list[list[str]]:
    """A printed table's rows (after its header and rule), split on whitespace."""
    return [line.split() for line in out.splitlines()[2:]]


def test_shorten_then_read_change_and_delete_the_link(
    shortlinks: Shortlinks, unique_alias: Callable[[str], str], anonymous: httpx.Client
) -> None:
    # GIVEN a link made with the command
    alias = unique_alias("cli")
    created = shortlinks("shorten", "https://example.org/start", "--alias", alias, "--tag", "cli", "--title", "Start")
    assert (created.status, created.err) == (0, "")
    short_url = created.out.strip()
    assert short_url.endswith(f"/{alias}")
    assert anonymous.get(f"/{alias}").headers["location"] == "https://example.org/start"

    # WHEN it is read, changed (the command reads the version and sends it in If-Match) and read again
    read = json.loads(shortlinks("links", "get", alias, "--json").out)
    assert (read["title"], read["tags"], read["version"]) == ("Start", ["cli"], 1)
    changed = shortlinks("links", "update", alias, "--url", "https://example.org/moved", "--json")
    assert changed.status == 0
    assert json.loads(changed.out)["version"] == 2

    # THEN visitors follow the change, the history has it, and a stale If-Match is refused with status 1
    assert anonymous.get(f"/{alias}").headers["location"] == "https://example.org/moved"
    history = shortlinks("links", "history", alias)
    [change] = table_rows(history.out)
    assert change[2:] == ["2", "https://example.org/start", "https://example.org/moved"]
    stale = shortlinks("links", "update", alias, "--title", "Late", "--if-match", "1")
    assert stale.status == 1
    assert stale.err.startswith("shortlinks: precondition_failed: ")

    # AND once deleted it answers 410, and reading it again shows the tombstone
    assert shortlinks("links", "delete", alias).status == 0
    assert anonymous.get(f"/{alias}").status_code == 410
    assert json.loads(shortlinks("links", "get", alias, "--json").out)["status"] == "deleted"


def test_a_missing_link_is_one_line_and_status_1(shortlinks: Shortlinks) -> None:
    result = shortlinks("links", "get", "no-such-link-here")
    assert (result.status, result.out) == (1, "")
    assert result.err == "shortlinks: not_found: no link with code 'no-such-link-here'\n"


def test_list_shows_the_members_links_newest_first_with_filters_and_pages(
    shortlinks: Shortlinks, unique_alias: Callable[[str], str]
) -> None:
    # GIVEN three links with a tag of their own, the newest last
    tag = unique_alias("t")
    aliases = [unique_alias("list") for _ in range(3)]
    for alias in aliases:
        assert shortlinks("shorten", f"https://example.org/{alias}", "--alias", alias, "--tag", tag).status == 0

    # WHEN the tag's links are listed, two a page
    first = _eventually(lambda: shortlinks("links", "list", "--tag", tag, "--limit", "2"), rows=2)

    # THEN the table shows the newest two, with their short URL and destination, and the next page's cursor
    assert [row[0] for row in table_rows(first.out)] == aliases[:0:-1]
    assert table_rows(first.out)[0][2] == f"https://example.org/{aliases[2]}"
    cursor = first.err.split("--cursor ")[1].split()[0]
    second = shortlinks("links", "list", "--tag", tag, "--limit", "2", "--cursor", cursor)
    assert [row[0] for row in table_rows(second.out)] == aliases[:1]
    # AND --all --json gives all three to a script
    every = json.loads(shortlinks("links", "list", "--tag", tag, "--limit", "2", "--all", "--json").out)
    assert [link["code"] for link in every["links"]] == aliases[::-1]


def _eventually(command: Callable[[], Run], rows: int) -> Run:
    """The listing reads an eventually consistent index: wait (briefly) until it shows ``rows`` rows."""
    deadline = time.monotonic() + 5
    while True:
        result = command()
        if len(table_rows(result.out)) >= rows or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def test_expand_shows_where_our_link_leads(shortlinks: Shortlinks, unique_alias: Callable[[str], str]) -> None:
    alias = unique_alias("exp")
    short_url = shortlinks("shorten", "https://example.org/expanded", "--alias", alias).out.strip()
    result = shortlinks("expand", short_url)
    fields = {row[0]: row[1:] for row in table_rows(result.out)}
    assert fields["url"] == ["https://example.org/expanded"]
    assert fields["status"] == ["active"]


def test_stats_count_a_visit(shortlinks: Shortlinks, unique_alias: Callable[[str], str]) -> None:
    # GIVEN a link followed once by a person
    alias = unique_alias("stats")
    short_url = shortlinks("shorten", "https://example.org/counted", "--alias", alias).out.strip()
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    assert httpx.get(short_url, headers={"user-agent": firefox}).status_code == 302

    # WHEN its statistics are asked for (the aggregator counts within about a second)
    deadline = time.monotonic() + 10
    while True:
        answer = json.loads(shortlinks("stats", alias, "--json").out)
        if answer["totals"]["clicks"] or time.monotonic() > deadline:
            break
        time.sleep(0.25)

    # THEN the click is there, and the table shows the same total
    assert answer["totals"]["clicks"] == 1
    table = shortlinks("stats", alias, "--granularity", "day")
    assert ["total", "1", "1", "0", "0", "1"] in [line.split() for line in table.out.splitlines()]


def test_import_250_rows_in_3_requests_then_export_them(
    shortlinks: Shortlinks, unique_alias: Callable[[str], str], tmp_path: Path
) -> None:
    # GIVEN a CSV of 250 links sharing a tag, one of them malformed
    tag = unique_alias("imp")
    source = tmp_path / "links.csv"
    with source.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["url", "title", "tags"])
        writer.writerows([f"https://example.org/import/{n}", f"Row {n}", tag] for n in range(249))
        writer.writerow(["javascript:alert(1)", "Bad", tag])

    urls = [f"https://example.org/import/{n}" for n in range(249)] + ["javascript:alert(1)"]

    # WHEN it is imported
    recording = RecordingTransport()
    result = shortlinks("import", str(source), transport=recording)

    # THEN the rows went in three chunks, rows 0-99, 100-199 and 200-249, in order; any other request resent items
    # of the chunk before it that the API did not get to (a slow machine runs out of the function's 5 s budget)
    chunks = [urls[0:100], urls[100:200], urls[200:250]]
    starts = [index for index, bulk in enumerate(recording.bulks) if bulk in chunks]
    assert [recording.bulks[index] for index in starts] == chunks
    for chunk, start, end in zip(chunks, starts, [*starts[1:], len(recording.bulks)], strict=True):
        assert all(set(resent) < set(chunk) for resent in recording.bulks[start + 1 : end])
    # AND 249 links were created and the bad one refused, which makes the status 1
    assert result.status == 1
    with (tmp_path / "links.results.csv").open(newline="") as file:
        results = list(csv.DictReader(file))
    assert [row["result_status"] for row in results] == ["201"] * 249 + ["422"]
    assert results[-1]["result_error_code"] == "unsupported_scheme"
    assert results[0]["result_short_url"].endswith("/" + results[0]["result_code"])

    # AND export writes them back as CSV, paging through the listing
    target = tmp_path / "export.csv"
    deadline = time.monotonic() + 5
    while True:
        # small pages, and patience: each page is one invocation with a 5 s budget, and a busy machine is slow
        exported_ok = shortlinks("export", "-o", str(target), "--tag", tag, "--page-size", "20", "--retries", "10")
        assert exported_ok.status == 0, exported_ok.err
        with target.open(newline="") as file:
            exported = list(csv.DictReader(file))
        if len(exported) == 249 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert {row["code"] for row in exported} == {row["result_code"] for row in results[:249]}
    assert {row["url"] for row in exported} == {f"https://example.org/import/{n}" for n in range(249)}
    assert {row["tags"] for row in exported} == {tag}


@pytest.mark.parametrize(("suffix", "media_type"), [(".png", "image/png"), (".svg", "image/svg+xml")])
def test_a_tagged_links_qr_code_saved_by_the_command_scans_to_its_short_url(
    shortlinks: Shortlinks,
    unique_alias: Callable[[str], str],
    anonymous: httpx.Client,
    tmp_path: Path,
    suffix: str,
    media_type: str,
) -> None:
    # GIVEN a link made with UTM flags
    alias = unique_alias("cliqr")
    created = shortlinks(
        "shorten", "https://example.org/fair", "--alias", alias, "--utm-source", "poster", "--utm-campaign", "fair"
    )
    assert created.status == 0, created.err
    short_url = created.out.strip()

    # WHEN its QR code is saved, the format taken from the file's name
    image = tmp_path / f"fair{suffix}"
    saved = shortlinks("qr", alias, "-o", str(image))

    # THEN the file is a code a phone reads as the short URL with the scan marker, which leads to the tagged
    # destination without the marker
    assert saved.status == 0, saved.err
    [text] = decode(media_type, image.read_bytes())
    assert text == f"{short_url}?_sl=qr"
    location = anonymous.get(text.removeprefix(str(anonymous.base_url).rstrip("/"))).headers["location"]
    assert location == "https://example.org/fair?utm_source=poster&utm_campaign=fair"
