"""``shortlinks clicks decode|tokens``: the operator reads format 4's click records with their user agents as
received, and the tokens a query can filter on (no table, no credentials)."""

from __future__ import annotations

import io
import json
import sys

import pytest

from shortlinks.domain import click_format
from shortlinks_cli.main import main

UA = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
FIELDS = {"c": "AbC1234", "d": "sho.rt", "s": 302, "ref": "t.co", "ua": UA + " ~ 小米", "cc": "GB"}


@pytest.fixture(autouse=True)
def no_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """No configuration at all: these commands read lines, not the table."""
    for name in ("TABLE_NAME", "DYNAMODB_ENDPOINT", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)


def shortlinks(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str, stdin: str = "") -> str:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    assert main(list(argv)) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


def test_decode_writes_each_format_4_record_as_format_3_wrote_it_and_every_other_line_as_it_came(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN what `aws logs tail` prints of the redirect's log group: a time and stream before each record, a format
    # 3 record written during a deployment, Lambda's own line and a line that only looks like a record
    record = click_format.line(FIELDS).rstrip("\n")
    format_3 = json.dumps({"click": 3} | FIELDS, separators=(",", ":"))
    lines = [
        f"2026-11-30T12:00:00.123000+00:00 2026/11/30/[$LATEST]6e3b {record}",
        record,
        format_3,
        "START RequestId: 8f1c Version: 12",
        '{"click":4, not json',
    ]
    assert json.loads(record)["ua"] != FIELDS["ua"]

    # WHEN the operator pipes them through `shortlinks clicks decode`
    out = shortlinks(monkeypatch, capsys, "clicks", "decode", stdin="\n".join(lines) + "\n")

    # THEN each format 4 record is, byte for byte, the one format 3 wrote; the rest pass unchanged
    assert out.splitlines() == [
        f"2026-11-30T12:00:00.123000+00:00 2026/11/30/[$LATEST]6e3b {format_3}",
        format_3,
        format_3,
        "START RequestId: 8f1c Version: 12",
        '{"click":4, not json',
    ]


def test_tokens_lists_every_phrase_with_its_token_in_the_tables_order(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = shortlinks(monkeypatch, capsys, "clicks", "tokens")

    # THEN one row a phrase, in order, each token what the aggregator decodes to that phrase
    rows = [row.split("\t") for row in out.splitlines()]
    assert [json.loads(phrase) for _, phrase in rows] == list(click_format.AGENT_PHRASES)
    assert all(click_format.decode_agent(token) == json.loads(phrase) for token, phrase in rows)
    assert rows[1] == ["~1", '".0.0.0 Safari/537.36"']
