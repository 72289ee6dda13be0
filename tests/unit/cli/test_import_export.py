"""``shortlinks import`` and ``export``: reading the CSV, chunks of 100, resending what the API did not start, the
results file, and the export's columns."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from shortlinks_cli.exits import CliError, Exit
from shortlinks_cli.transfer import RESULT_COLUMNS, read_rows
from tests.unit.cli.scripted_api import ScriptedApi, error, link, run

HEADER = "url,alias,tags,forward_query,redirect_type,utm_source,utm_campaign,note\n"


def rows_of(text: str) -> list[Any]:
    return read_rows(io.StringIO(text, newline=""))[1]


def test_a_row_becomes_a_create_body_with_only_its_filled_cells() -> None:
    # GIVEN a row with tags in one cell, a boolean, a number, UTM tags, and a column that is not a link field
    [row] = rows_of(HEADER + 'https://example.org/a , spring-a,"spring, sale",no,301,news,launch,for Ann\n')

    # THEN the body holds what the cells say, trimmed, and nothing of the empty or foreign cells
    assert row.body == {
        "url": "https://example.org/a",
        "alias": "spring-a",
        "tags": ["spring", "sale"],
        "forward_query": False,
        "redirect_type": 301,
        "utm": {"source": "news", "campaign": "launch"},
    }


@pytest.mark.parametrize(
    ("cells", "says"),
    [
        (",,,,,,,", "the url cell is empty"),
        ("https://x.example/,,,maybe,,,,", "forward_query must be true or false"),
        ("https://x.example/,,,,3O1,,,", "redirect_type must be 301, 302, 307 or 308"),
        ("https://x.example/,,,,٣٠١,,,", "redirect_type must be 301, 302, 307 or 308"),  # Arabic-Indic digits
        (f"https://x.example/{'a' * 16_400},,,,,,,", "url is over 16384 characters"),
    ],
)
def test_a_row_that_cannot_be_sent_is_refused_before_sending(cells: str, says: str) -> None:
    [row] = rows_of(HEADER + cells + "\n")
    assert row.body is None
    assert row.result == {"result_status": "invalid", "result_error_code": "invalid_row", "result_error_message": says}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("alias,title\nx,y\n", "needs a header row with a url column"),
        ("url,url\nx,y\n", "names a column twice"),
        ("url\nhttps://x.example/,extra\n", "line 2: more cells than the header has columns"),
        ('url\n"https://x.example/\n', "not valid CSV"),
    ],
)
def test_a_file_that_is_not_an_import_csv_is_a_usage_error(text: str, says: str) -> None:
    with pytest.raises(CliError) as raised:
        rows_of(text)
    assert raised.value.exit == Exit.USAGE
    assert says in raised.value.message


def bulk_answer(request: httpx.Request, failing: dict[int, dict[str, Any]] | None = None) -> httpx.Response:
    """The bulk route creating every item but those in ``failing`` (index: result)."""
    items = json.loads(request.content)["links"]
    results = [
        (failing or {}).get(index)
        or {"index": index, "status": 201, "link": link(f"c{item['url'].rsplit('/', 1)[-1]}")}
        for index, item in enumerate(items)
    ]
    for index, result in enumerate(results):
        result["index"] = index
    created = sum(1 for result in results if result["status"] in (200, 201))
    return httpx.Response(200, json={"created": created, "failed": len(results) - created, "results": results})


def write_input(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "links.csv"
    path.write_text("url,title\n" + "".join(f"https://example.org/{n},Row {n}\n" for n in range(count)))
    return path


def read_results(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def test_250_rows_go_in_3_requests_of_at_most_100_each_with_its_own_idempotency_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # GIVEN 250 rows
    source = write_input(tmp_path, 250)
    api = ScriptedApi([bulk_answer] * 3)

    # WHEN they are imported
    result = run(capsys, api, "import", str(source))

    # THEN three bulk requests carried 100, 100 and 50 links, in order, each with a key of its own
    assert [len(body["links"]) for body in api.bodies()] == [100, 100, 50]
    assert [body["links"][0]["url"] for body in api.bodies()] == [f"https://example.org/{n}" for n in (0, 100, 200)]
    assert len({request.headers["Idempotency-Key"] for request in api.requests}) == 3
    # AND the results file beside the input has every row, as read, with its code and short URL
    results = read_results(tmp_path / "links.results.csv")
    assert list(results[0]) == ["url", "title", *RESULT_COLUMNS]
    assert len(results) == 250
    assert results[249] == {
        "url": "https://example.org/249",
        "title": "Row 249",
        "result_status": "201",
        "result_code": "c249",
        "result_short_url": "http://127.0.0.1:3000/c249",
        "result_error_code": "",
        "result_error_message": "",
    }
    assert result.status == 0
    assert result.err.endswith(f"250 row(s): 250 created, 0 not; results in {tmp_path / 'links.results.csv'}\n")


def test_items_not_processed_or_rate_limited_are_resent_after_their_retry_after(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # GIVEN a bulk that ran out of time before item 2, refused item 1 for the minute's rate, and found the table
    # unavailable for item 0 (which may have been written)
    not_processed = {"status": 503, "error": {"code": "not_processed", "message": "not attempted", "retry_after": "1"}}
    rate_limited = {"status": 429, "error": {"code": "rate_limited", "message": "later", "retry_after": "20"}}
    unavailable = {"status": 503, "error": {"code": "service_unavailable", "message": "no table"}}
    source = write_input(tmp_path, 4)
    api = ScriptedApi(
        [lambda request: bulk_answer(request, {0: unavailable, 1: rate_limited, 2: not_processed}), bulk_answer]
    )

    # WHEN the file is imported
    result = run(capsys, api, "import", str(source), "--results", str(tmp_path / "out.csv"))

    # THEN items 1 and 2, for which nothing was written, were sent again after the longer wait, in a new request
    # with a new key; item 0 was not (it may exist), and the import ends with 3: something may succeed later
    assert [[item["url"] for item in body["links"]] for body in api.bodies()] == [
        [f"https://example.org/{n}" for n in range(4)],
        ["https://example.org/1", "https://example.org/2"],
    ]
    assert api.requests[0].headers["Idempotency-Key"] != api.requests[1].headers["Idempotency-Key"]
    assert result.waits == [20.0]
    assert [row["result_status"] for row in read_results(tmp_path / "out.csv")] == ["503", "201", "201", "201"]
    assert result.status == 3


def test_resending_is_bounded(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    not_processed = {"status": 503, "error": {"code": "not_processed", "message": "not attempted", "retry_after": "1"}}
    api = ScriptedApi([lambda request: bulk_answer(request, {0: dict(not_processed)})] * 5)
    result = run(capsys, api, "import", str(write_input(tmp_path, 1)), "--retries", "2")
    assert len(api.requests) == 3
    assert read_results(tmp_path / "links.results.csv")[0]["result_error_code"] == "not_processed"
    assert result.status == 3


def test_rounds_that_create_links_go_on_past_the_retry_bound(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # GIVEN a slow API that gets through only the first item of each request before its time runs out
    def first_only(request: httpx.Request) -> httpx.Response:
        count = len(json.loads(request.content)["links"])
        late = {"status": 503, "error": {"code": "not_processed", "message": "late", "retry_after": "1"}}
        return bulk_answer(request, {index: dict(late) for index in range(1, count)})

    api = ScriptedApi([first_only] * 5)
    # WHEN 5 rows are imported with --retries 1
    result = run(capsys, api, "import", str(write_input(tmp_path, 5)), "--retries", "1")
    # THEN every round made progress, so it went on until all 5 were created, one a request
    assert [len(body["links"]) for body in api.bodies()] == [5, 4, 3, 2, 1]
    assert result.status == 0


def test_a_refused_row_makes_status_1_and_invalid_rows_are_never_sent(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = tmp_path / "links.csv"
    source.write_text("url,redirect_type\nhttps://example.org/0,\nhttps://example.org/1,abc\nhttps://example.org/2,\n")
    taken = {"status": 409, "error": {"code": "code_taken", "message": "taken"}}
    api = ScriptedApi([lambda request: bulk_answer(request, {1: taken})])
    result = run(capsys, api, "import", str(source))
    assert [item["url"] for item in api.bodies()[0]["links"]] == ["https://example.org/0", "https://example.org/2"]
    results = read_results(tmp_path / "links.results.csv")
    assert [(row["result_status"], row["result_error_code"]) for row in results] == [
        ("201", ""),
        ("invalid", "invalid_row"),
        ("409", "code_taken"),
    ]
    assert result.status == 1


def test_a_request_refused_as_a_whole_stops_the_import_and_marks_the_rest_not_sent(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    api = ScriptedApi([error(401, "unauthorized", "the API key is not valid")])
    result = run(capsys, api, "import", str(write_input(tmp_path, 150)))
    assert len(api.requests) == 1
    results = read_results(tmp_path / "links.results.csv")
    assert {(row["result_status"], row["result_error_code"]) for row in results} == {("not_sent", "unauthorized")}
    assert result.status == 1
    assert result.err.endswith("shortlinks: unauthorized: the API key is not valid\n")


def test_an_unavailable_api_stops_the_import_with_status_3(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    api = ScriptedApi([error(503, "service_unavailable", **{"Retry-After": "1"})] * 4)
    result = run(capsys, api, "import", str(write_input(tmp_path, 2)))
    assert (len(api.requests), result.waits, result.status) == (4, [1.0, 1.0, 1.0], 3)
    # the same request resent, with the same Idempotency-Key: a 503 as a whole is not remembered by the API
    assert len({request.headers["Idempotency-Key"] for request in api.requests}) == 1


def test_a_file_with_a_byte_order_mark_is_read(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "excel.csv"
    source.write_bytes("\ufeffurl\nhttps://example.org/0\n".encode())
    api = ScriptedApi([bulk_answer])
    assert run(capsys, api, "import", str(source)).status == 0
    assert api.bodies()[0]["links"] == [{"url": "https://example.org/0"}]


def test_export_pages_through_every_link_and_writes_csv(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # GIVEN two pages of links, one with UTM tags and two tags
    tagged = link(
        "a",
        tags=["x", "y"],
        clicks=3,
        utm={"source": "news", "medium": None, "campaign": "c", "term": None, "content": None},
        destination="https://docs.python.org/3/?utm_source=news&utm_campaign=c",
    )
    api = ScriptedApi(
        [
            httpx.Response(200, json={"links": [tagged], "next_cursor": "n"}),
            httpx.Response(200, json={"links": [link("b")], "next_cursor": None}),
        ]
    )
    # WHEN they are exported to a file
    target = tmp_path / "export.csv"
    result = run(capsys, api, "export", "-o", str(target), "--tag", "x")

    # THEN both pages were read with the filter, and each link is a row, UTM tags spread over their columns
    assert [request.url.params.get("cursor") for request in api.requests] == [None, "n"]
    assert {request.url.params["limit"] for request in api.requests} == {"100"}
    assert all(request.url.params["tag"] == "x" for request in api.requests)
    rows = read_results(target)
    assert [row["code"] for row in rows] == ["a", "b"]
    assert (rows[0]["tags"], rows[0]["utm_source"], rows[0]["utm_campaign"], rows[0]["clicks"]) == (
        "x y",
        "news",
        "c",
        "3",
    )
    assert (rows[1]["forward_query"], rows[1]["title"], rows[1]["utm_source"]) == ("true", "", "")
    assert result.err == f"exported 2 link(s) to {target}\n"


def test_export_to_stdout_writes_nothing_when_a_page_fails(capsys: pytest.CaptureFixture[str]) -> None:
    api = ScriptedApi(
        [
            httpx.Response(200, json={"links": [link("a")], "next_cursor": "n"}),
            error(400, "invalid_cursor", "bad cursor"),
        ]
    )
    result = run(capsys, api, "export")
    assert (result.status, result.out) == (1, "")
