"""What the command prints: tables for people (rich), JSON for scripts (``--json``), one line per error."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

# Wrapped in a narrow terminal, never cut; the other columns keep their width, so a short URL stays whole to copy.
FOLDED = {"DESTINATION", "TAGS", "URL", "LOCATION", "VALUE", "OLD URL", "NEW URL"}


PIPED_WIDTH = 1000  # into a file or a pipe, a row stays one line (grep, awk), whatever the terminal's width


def console() -> Console:
    """A console on the current stdout (tests swap it); into a pipe, no colour and no wrapping."""
    width = None if sys.stdout.isatty() else PIPED_WIDTH
    return Console(file=sys.stdout, width=width, highlight=False, soft_wrap=False)


def print_json(value: Any) -> None:
    """``value`` as indented JSON on stdout, for scripts."""
    print(json.dumps(value, indent=2, ensure_ascii=False))


def print_table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, title: str | None = None) -> None:
    """A table with one header row; ``None`` cells show as ``-``."""
    cells = [[Text(cell_text(cell)) for cell in row] for row in rows]  # Text: no markup read in the API's data
    table = Table(
        title=Text(title) if title else None,
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    for header in headers:
        table.add_column(header, overflow="fold", no_wrap=header not in FOLDED)
    for row in cells:
        table.add_row(*row)
    console().print(table)


def print_record(record: Mapping[str, object], fields: Sequence[str]) -> None:
    """One object as a two-column table of its ``fields`` (those it has)."""
    print_table(["FIELD", "VALUE"], [(name, record[name]) for name in fields if name in record])


def cell_text(value: object) -> str:
    """How a JSON value reads in a table: ``-`` for null, lists joined by spaces, objects as ``k=v``."""
    if value is None or value == []:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return " ".join(cell_text(item) for item in value)
    if isinstance(value, dict):
        return " ".join(f"{key}={cell_text(item)}" for key, item in value.items() if item is not None) or "-"
    return str(value)


def note(message: str) -> None:
    """A line for the person at the terminal, on stderr, so stdout stays what a script reads."""
    print(message, file=sys.stderr)
