"""What each user command sends and prints, against a scripted API."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.unit.cli.scripted_api import ScriptedApi, link, run, statuses


def test_shorten_sends_the_options_and_prints_only_the_short_url(capsys: pytest.CaptureFixture[str]) -> None:
    api = ScriptedApi([httpx.Response(201, json=link("spring"))])
    result = run(
        capsys,
        api,
        "shorten",
        "https://example.org/spring",
        "--alias",
        "spring",
        "--domain",
        "care.link",
        "--title",
        "Spring",
        "--tag",
        "a",
        "--tag",
        "b",
        "--expires",
        "2027-01-01T00:00:00Z",
        "--redirect-type",
        "301",
        "--no-forward-query",
    )
    assert (result.status, result.out) == (0, "http://127.0.0.1:3000/spring\n")
    assert api.bodies() == [
        {
            "url": "https://example.org/spring",
            "alias": "spring",
            "domain": "care.link",
            "expires_at": "2027-01-01T00:00:00Z",
            "title": "Spring",
            "redirect_type": 301,
            "tags": ["a", "b"],
            "forward_query": False,
        }
    ]


def test_shorten_sends_utm_only_when_asked_and_shows_the_tagged_destination(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a link created with two UTM options, the API answering with the tagged destination
    tagged = link(
        utm={"source": "news", "medium": "email", "campaign": None, "term": None, "content": None},
        destination="https://docs.python.org/3/?utm_source=news&utm_medium=email",
    )
    api = ScriptedApi([httpx.Response(201, json=tagged), httpx.Response(201, json=link())])
    result = run(capsys, api, "shorten", "https://docs.python.org/3/", "--utm-source", "news", "--utm-medium", "email")
    plain = run(capsys, api, "shorten", "https://docs.python.org/3/")

    # THEN the first body carries exactly the UTM fields given, the second none; the destination is shown aside
    assert api.bodies()[0]["utm"] == {"source": "news", "medium": "email"}
    assert "utm" not in api.bodies()[1]
    assert result.out == "http://127.0.0.1:3000/help\n"
    assert result.err == "destination: https://docs.python.org/3/?utm_source=news&utm_medium=email\n"
    assert plain.err == ""


def test_json_prints_the_whole_link(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, ScriptedApi([httpx.Response(201, json=link())]), "shorten", "https://x.example/", "--json")
    assert json.loads(result.out) == link()


def test_update_sends_if_match_with_the_version_it_read(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a link at version 3
    api = ScriptedApi([httpx.Response(200, json=link(version=3)), httpx.Response(200, json=link(version=4))])

    # WHEN its destination and state are changed
    result = run(capsys, api, "links", "update", "help", "--url", "https://example.org/new", "--disable", "--no-tags")

    # THEN the command read it, then PATCHed only what the options name, on condition of version 3
    assert result.status == 0
    assert statuses(api) == ["GET /v1/links/help", "PATCH /v1/links/help"]
    assert api.requests[1].headers["If-Match"] == '"3"'
    assert api.bodies()[1] == {"url": "https://example.org/new", "tags": [], "disabled": True}


def test_update_with_if_match_does_not_read_first_and_a_412_is_status_1(capsys: pytest.CaptureFixture[str]) -> None:
    refusal = {"error": {"code": "precondition_failed", "message": "the link is at version 5"}}
    api = ScriptedApi([httpx.Response(412, json=refusal)])
    result = run(capsys, api, "links", "update", "help", "--title", "", "--no-expiry", "--no-utm", "--if-match", "4")
    assert statuses(api) == ["PATCH /v1/links/help"]
    assert api.requests[0].headers["If-Match"] == '"4"'
    assert api.bodies() == [{"title": None, "expires_at": None, "utm": None}]
    assert (result.status, result.err) == (1, "shortlinks: precondition_failed: the link is at version 5\n")


def test_update_with_nothing_to_change_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    api = ScriptedApi([])
    assert run(capsys, api, "links", "update", "help").status == 2
    assert api.requests == []


def test_a_code_is_one_path_segment_whatever_it_holds(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a "code" that would climb out of /v1/links/ if it were pasted into the path
    api = ScriptedApi([httpx.Response(404, json={"error": {"code": "not_found", "message": "no link"}})])
    run(capsys, api, "links", "delete", "../keys", "--domain", "care.link")
    # THEN it was sent escaped, as one segment
    assert statuses(api) == ["DELETE /v1/links/..%2Fkeys?domain=care.link"]


def test_list_prints_a_table_and_says_how_to_get_the_next_page(capsys: pytest.CaptureFixture[str]) -> None:
    page = {"links": [link("help", clicks=12, tags=["docs"])], "next_cursor": "abc"}
    api = ScriptedApi([httpx.Response(200, json=page)])
    result = run(capsys, api, "links", "list", "--tag", "docs", "--limit", "1")
    assert statuses(api) == ["GET /v1/links?tag=docs&limit=1"]
    header, rule, row = result.out.splitlines()
    assert header.split() == ["CODE", "SHORT", "URL", "DESTINATION", "CLICKS", "STATUS", "TAGS", "CREATED"]
    assert set(rule) == {"─"}
    expected = ["help", "http://127.0.0.1:3000/help", "https://docs.python.org/3/", "12", "active", "docs"]
    assert row.split() == [*expected, "2026-11-30"]
    assert result.err == "more links: add --cursor abc (or --all)\n"


def test_list_all_follows_every_cursor(capsys: pytest.CaptureFixture[str]) -> None:
    api = ScriptedApi(
        [
            httpx.Response(200, json={"links": [link("a")], "next_cursor": "c1"}),
            httpx.Response(200, json={"links": [link("b")], "next_cursor": None}),
        ]
    )
    result = run(capsys, api, "links", "list", "--all", "--json", "--status", "disabled", "--limit", "1")
    assert statuses(api) == [
        "GET /v1/links?status=disabled&limit=1",
        "GET /v1/links?status=disabled&limit=1&cursor=c1",
    ]
    assert [entry["code"] for entry in json.loads(result.out)["links"]] == ["a", "b"]


def test_table_cells_are_the_apis_text_never_markup(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a title that rich would read as markup
    api = ScriptedApi([httpx.Response(200, json=link(title="[bold red]Sale[/] [link=x]"))])
    result = run(capsys, api, "links", "get", "help")
    assert "[bold red]Sale[/] [link=x]" in result.out


def test_expand_of_another_services_link_prints_its_hops(capsys: pytest.CaptureFixture[str]) -> None:
    hops = [
        {"url": "https://bit.ly/x", "status": 301, "location": "https://example.org/p", "kind": "http", "ms": 41},
        {"url": "https://example.org/p", "status": 200, "location": None, "kind": "final", "ms": 63},
    ]
    answer = {"url": "https://bit.ly/x", "final_url": "https://example.org/p", "final_status": 200, "hops": hops}
    api = ScriptedApi([httpx.Response(200, json={**answer, "stopped": None, "cached": False, "checked_at": "t"})])
    result = run(capsys, api, "expand", "bit.ly/x", "--refresh")
    assert statuses(api) == ["GET /v1/expand?url=bit.ly%2Fx&refresh=true"]
    assert "Hops" in result.out
    assert any(line.split()[:4] == ["1", "301", "http", "41"] for line in result.out.splitlines())


def test_expand_works_without_a_key(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHORTLINKS_API_KEY")
    view = {"code": "help", "domain": "127.0.0.1", "short_url": "s", "url": "https://x.example/", "status": "active"}
    api = ScriptedApi([httpx.Response(200, json=view)])
    assert run(capsys, api, "expand", "http://127.0.0.1:3000/help").status == 0
    assert "Authorization" not in api.requests[0].headers


def test_stats_sends_the_range_and_prints_totals_series_and_breakdowns(capsys: pytest.CaptureFixture[str]) -> None:
    counts = {"clicks": 8, "human": 6, "bots": 2, "previews": 3, "unique_visitors": 2}
    answer = {
        "code": "help",
        "domain": "care.link",
        "from": "2026-12-01T00:00:00Z",
        "to": "2026-12-02T00:00:00Z",
        "granularity": "day",
        "totals": counts,
        "series": [{"start": "2026-12-01T00:00:00Z", **counts}],
        "referrers": [{"value": "t.co", "clicks": 8}],
        "countries": [],
        "devices": None,
        "browsers": [],
        "os": [],
        "sources": [{"value": "qr", "clicks": 2}],
    }
    api = ScriptedApi([httpx.Response(200, json=answer)])
    result = run(capsys, api, "stats", "help", "--domain", "care.link", "--from", "2026-12-01", "--to", "2026-12-01")
    assert statuses(api) == ["GET /v1/links/help/stats?domain=care.link&from=2026-12-01&to=2026-12-01"]
    lines = [line.split() for line in result.out.splitlines()]
    assert ["total", "8", "6", "2", "3", "2"] in lines
    assert ["2026-12-01T00:00:00Z", "8", "6", "2", "3", "2"] in lines
    assert ["t.co", "8"] in lines
    assert ["SOURCES", "CLICKS"] in lines
    assert ["qr", "2"] in lines
    assert not any(line[:1] == ["COUNTRIES"] for line in lines)  # an empty breakdown is left out


def test_history_prints_one_row_per_change(capsys: pytest.CaptureFixture[str]) -> None:
    change = {
        "changed_at": "2026-11-30T12:03:00.000Z",
        "changed_by": "key_B",
        "old_url": "o",
        "new_url": "n",
        "version": 2,
    }
    api = ScriptedApi([httpx.Response(200, json={"history": [change]})])
    result = run(capsys, api, "links", "history", "help")
    assert result.out.splitlines()[2].split() == ["2026-11-30T12:03:00.000Z", "key_B", "2", "o", "n"]
