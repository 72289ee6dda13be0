"""``shortlinks import`` (a CSV of links through ``POST /v1/links/bulk``) and ``shortlinks export`` (the caller's
links as CSV).

Import sends the rows in chunks of ``CHUNK`` (the bulk route's limit), each with an ``Idempotency-Key`` of its
own, so a chunk resent after a lost answer creates nothing twice. Items the API did not start (``503
not_processed``) or refused for the minute's rate (``429 rate_limited``) wrote nothing: they are sent again, in a
new request with a new key, after their ``retry_after``, for as long as each round settles at least one item, and
at most ``--retries`` rounds in a row that settle none. An item that met ``503
service_unavailable`` may have been written, so it is reported, not resent. Each input row gets one line in the
results CSV: the row as read, then ``result_status`` (the item's HTTP status, ``invalid`` for a row refused
before sending, ``not_sent`` after a request refused as a whole), ``result_code``, ``result_short_url``,
``result_error_code`` and ``result_error_message``.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from shortlinks_cli.api import MAX_WAIT_SECONDS, Api, retry_after
from shortlinks_cli.commands import iter_links, list_filters
from shortlinks_cli.exits import CliError, Exit, usage_error
from shortlinks_cli.fields import LINK_FIELDS, UTM_COLUMNS, UTM_FIELDS
from shortlinks_cli.output import note

CHUNK = 100  # POST /v1/links/bulk takes 1 to 100 links
MAX_ROWS = 100_000
MAX_CELL = 16 * 1024  # a create body is at most 16 KiB, so no cell of a sendable row is longer
IMPORT_COLUMNS = (
    "url",
    "alias",
    "domain",
    "title",
    "tags",
    "expires_at",
    "redirect_type",
    "forward_query",
    *UTM_COLUMNS,
)
RESULT_COLUMNS = ("result_status", "result_code", "result_short_url", "result_error_code", "result_error_message")
# The link's fields, its utm object spread over one column per field.
EXPORT_COLUMNS = tuple(column for name in LINK_FIELDS for column in (UTM_COLUMNS if name == "utm" else (name,)))
RESENT_ERRORS = frozenset({"not_processed", "rate_limited"})  # the API wrote nothing for these items
_TAG_SEPARATORS = re.compile(r"[\s,;]+")
_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}

Sleep = Callable[[float], None]


@dataclass
class Row:
    """One input row: its cells as read, the create body made of them (``None``: refused before sending), and
    the outcome once known."""

    cells: dict[str, str]
    body: dict[str, Any] | None
    result: dict[str, str] = field(default_factory=dict)


def read_rows(text: TextIO) -> tuple[list[str], list[Row]]:
    """The header and the rows of an import CSV; a usage ``CliError`` when it cannot be one. Columns other than
    ``IMPORT_COLUMNS`` are kept in the results but not sent (an export's columns, say); ``url`` is required."""
    reader = csv.DictReader(text, strict=True)
    try:
        header = [name.strip() for name in reader.fieldnames or []]
        reader.fieldnames = header
        if "url" not in header:
            raise usage_error(
                f"the CSV needs a header row with a url column; the columns it may use: {', '.join(IMPORT_COLUMNS)}"
            )
        if len(set(header)) != len(header):
            raise usage_error("the CSV's header names a column twice")
        rows: list[Row] = []
        for record in reader:
            if len(rows) == MAX_ROWS:
                raise usage_error(f"more than {MAX_ROWS} rows: split the file")
            if None in record:
                raise usage_error(f"line {reader.line_num}: more cells than the header has columns")
            cells = {name: (value or "").strip() for name, value in record.items()}
            rows.append(Row(cells, None))
            rows[-1].body = _body(rows[-1])
    except csv.Error as error:
        raise usage_error(f"line {reader.line_num}: not valid CSV ({error})") from None
    ignored = [name for name in header if name not in IMPORT_COLUMNS]
    if ignored:
        note(f"not sent (not a field of a link to create): {', '.join(ignored)}")
    return header, rows


def _body(row: Row) -> dict[str, Any] | None:
    """The create body of a row, or ``None`` with the row's result saying why it cannot be sent."""
    cells = row.cells
    too_long = [name for name in IMPORT_COLUMNS if len(cells.get(name, "")) > MAX_CELL]
    problem = f"{too_long[0]} is over {MAX_CELL} characters" if too_long else None
    body: dict[str, Any] = {"url": cells.get("url", "")}
    for name in ("alias", "domain", "title", "expires_at"):
        if cells.get(name):
            body[name] = cells[name]
    if cells.get("tags"):
        body["tags"] = [tag for tag in _TAG_SEPARATORS.split(cells["tags"]) if tag]
    if cells.get("redirect_type"):
        if cells["redirect_type"].isascii() and cells["redirect_type"].isdigit():
            body["redirect_type"] = int(cells["redirect_type"])
        else:
            problem = problem or "redirect_type must be 301, 302, 307 or 308"
    if cells.get("forward_query"):
        if cells["forward_query"].lower() in _BOOLEANS:
            body["forward_query"] = _BOOLEANS[cells["forward_query"].lower()]
        else:
            problem = problem or "forward_query must be true or false"
    utm = {name: cells[f"utm_{name}"] for name in UTM_FIELDS if cells.get(f"utm_{name}")}
    if utm:
        body["utm"] = utm
    if not body["url"]:
        problem = problem or "the url cell is empty"
    if problem:
        row.result = _refused("invalid", "invalid_row", problem)
        return None
    return body


def _refused(status: str, code: str, message: str) -> dict[str, str]:
    return {"result_status": status, "result_error_code": code, "result_error_message": message}


def _outcome(item: dict[str, Any]) -> dict[str, str]:
    if "link" in item:
        link = item["link"]
        return {
            "result_status": str(item["status"]),
            "result_code": link["code"],
            "result_short_url": link["short_url"],
        }
    error = item.get("error") or {}
    return _refused(str(item["status"]), str(error.get("code", "")), str(error.get("message", "")))


class Importer:
    """Sends the rows' bodies chunk by chunk and fills in each row's result."""

    def __init__(self, api: Api, *, retries: int, sleep: Sleep, advance: Callable[[int], None]) -> None:
        self._api = api
        self._retries = retries
        self._sleep = sleep
        self._advance = advance

    def send(self, rows: Sequence[Row]) -> CliError | None:
        """Every row with a body gets a result. A request refused as a whole (after the retries) stops the import,
        since the same refusal would meet every following chunk: the rows not sent say so, and the refusal is
        returned."""
        sendable = [row for row in rows if row.body is not None]
        for start in range(0, len(sendable), CHUNK):
            try:
                self._send_chunk(sendable[start : start + CHUNK])
            except CliError as error:
                for row in sendable[start:]:
                    if not row.result:
                        row.result = _refused("not_sent", error.code, error.message)
                self._advance(len(sendable) - start)
                return error
        return None

    def _send_chunk(self, chunk: Sequence[Row]) -> None:
        """Send ``chunk``, then resend what the API wrote nothing for, while each round settles some item or until
        ``retries`` rounds in a row settled none (every round settles one more, or counts against the bound)."""
        todo = list(chunk)
        fruitless = 0
        while True:
            answer = self._api.json(
                "POST",
                "/v1/links/bulk",
                json={"links": [row.body for row in todo]},
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            again: list[Row] = []
            wait = 0.0
            for item in answer["results"]:
                row = todo[item["index"]]
                row.result = _outcome(item)
                error = item.get("error") or {}
                if error.get("code") in RESENT_ERRORS:
                    again.append(row)
                    wait = max(wait, retry_after(error.get("retry_after")))
            fruitless = fruitless + 1 if len(again) == len(todo) else 0
            self._advance(len(todo) - len(again))
            if not again or fruitless > self._retries or wait > MAX_WAIT_SECONDS:
                self._advance(len(again))
                return
            self._sleep(wait)
            todo = again


def import_exit(rows: Iterable[Row]) -> Exit:
    """``UNAVAILABLE`` when some row may succeed if sent again later, else ``REFUSED`` when a row was refused,
    else ``OK``."""
    statuses = [row.result.get("result_status", "") for row in rows]
    if any(status == "429" or status.startswith("5") for status in statuses):
        return Exit.UNAVAILABLE
    if any(status not in ("200", "201") for status in statuses):
        return Exit.REFUSED
    return Exit.OK


def write_results(path: Path, header: Sequence[str], rows: Iterable[Row]) -> None:
    """The results CSV: the input's columns, then ``RESULT_COLUMNS``."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=[*header, *RESULT_COLUMNS], extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row.cells, **row.result})


def results_path(source: Path) -> Path:
    """``links.csv`` → ``links.results.csv``, beside it."""
    return source.with_name(f"{source.stem}.results.csv")


def import_links(api: Api, arguments: argparse.Namespace, *, sleep: Sleep) -> Exit:
    """``shortlinks import FILE``."""
    source = Path(arguments.file)
    target = Path(arguments.results) if arguments.results else results_path(source)
    if target.resolve() == source.resolve():
        raise usage_error("--results must not be the input file")
    try:
        with source.open(encoding="utf-8-sig", newline="") as file:  # -sig: a spreadsheet's byte-order mark
            header, rows = read_rows(file)
    except FileNotFoundError:
        raise usage_error(f"no such file: {source}") from None
    except UnicodeDecodeError:
        raise usage_error(f"{source} is not UTF-8 text") from None
    with Progress(
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=not sys.stderr.isatty(),
        transient=True,
    ) as progress:
        task = progress.add_task("import", total=sum(1 for row in rows if row.body is not None))
        importer = Importer(api, retries=arguments.retries, sleep=sleep, advance=lambda n: progress.advance(task, n))
        stopped = importer.send(rows)
    write_results(target, header, rows)
    created = sum(1 for row in rows if row.result.get("result_status") in ("200", "201"))
    note(f"{len(rows)} row(s): {created} created, {len(rows) - created} not; results in {target}")
    if stopped is not None:
        note(f"shortlinks: {stopped.code}: {stopped.message}")
        return stopped.exit
    return import_exit(rows)


def export_row(link: dict[str, Any]) -> dict[str, object]:
    """A link as one export line: tags space-separated, ``utm`` spread over ``utm_*`` columns."""
    utm = link.get("utm") or {}
    row: dict[str, object] = {name: link.get(name) for name in EXPORT_COLUMNS}
    row.update({f"utm_{name}": utm.get(name) for name in UTM_FIELDS})
    row["tags"] = " ".join(link.get("tags") or [])
    row["forward_query"] = str(link.get("forward_query", "")).lower()
    return row


def export_links(api: Api, arguments: argparse.Namespace) -> Exit:
    """``shortlinks export [-o FILE]``: every link the listing gives (with its filters) as CSV, paging through."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS)  # CRLF line ends, as RFC 4180 (and the API's CSV)
    writer.writeheader()
    count = 0
    for link in iter_links(api, list_filters(arguments), arguments.page_size):
        writer.writerow(export_row(link))
        count += 1
    if arguments.output in (None, "-"):
        sys.stdout.write(buffer.getvalue())
    else:
        Path(arguments.output).write_text(buffer.getvalue(), encoding="utf-8", newline="")
        note(f"exported {count} link(s) to {arguments.output}")
    return Exit.OK
