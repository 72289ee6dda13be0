"""The command's contract with scripts: exit statuses, one error line with the API's code, bounded retries that
honour Retry-After, and a key that never shows."""

from __future__ import annotations

import httpx
import pytest

from tests.unit.cli.scripted_api import KEY, ScriptedApi, error, link, run


def test_a_refusal_is_one_line_with_the_apis_code_and_status_1(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN an API that has no link abc
    api = ScriptedApi([error(404, "not_found", "no link with code 'abc'")])

    # WHEN the user reads it THEN the command says so in one line, with the API's code, and exits 1
    result = run(capsys, api, "links", "get", "abc")
    assert (result.status, result.out, result.err) == (1, "", "shortlinks: not_found: no link with code 'abc'\n")


def test_validation_details_are_on_the_same_line(capsys: pytest.CaptureFixture[str]) -> None:
    details = [{"field": "redirect_type", "message": "Input should be 301, 302, 307 or 308"}]
    body = {"error": {"code": "validation_error", "message": "invalid field(s): redirect_type", "details": details}}
    result = run(capsys, ScriptedApi([httpx.Response(422, json=body)]), "shorten", "https://example.org/")
    assert result.status == 1
    assert result.err == (
        "shortlinks: validation_error: invalid field(s): redirect_type "
        "(redirect_type: Input should be 301, 302, 307 or 308)\n"
    )


def test_api_gateways_own_answers_get_a_code_from_their_status(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN API Gateway answering a route it does not have, in its bare format
    api = ScriptedApi([httpx.Response(404, json={"message": "Not Found"})])
    result = run(capsys, api, "links", "list")
    assert (result.status, result.err) == (1, "shortlinks: http_404: Not Found\n")


def test_a_503_is_sent_again_after_its_retry_after(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN an API that is unavailable twice (the second time throttled), then answers
    api = ScriptedApi(
        [
            error(503, "service_unavailable", **{"Retry-After": "1"}),
            error(503, "service_unavailable", **{"Retry-After": "2"}),
            httpx.Response(200, json=link()),
        ]
    )
    # WHEN a link is read THEN the command waited what each answer said, and succeeded
    result = run(capsys, api, "links", "get", "help", "--json")
    assert (result.status, result.waits) == (0, [1.0, 2.0])
    assert len(api.requests) == 3


def test_retries_are_bounded_and_then_the_status_is_3(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN an API that keeps answering 429
    api = ScriptedApi([error(429, "rate_limited", "slow down", **{"Retry-After": "7"}) for _ in range(10)])

    # WHEN a link is created with --retries 2 THEN it was sent 3 times, and the command exits 3 with the code
    result = run(capsys, api, "shorten", "https://example.org/", "--retries", "2")
    assert (result.status, result.waits, len(api.requests)) == (3, [7.0, 7.0], 3)
    assert result.err == "shortlinks: rate_limited: slow down\n"


def test_a_retry_after_too_long_is_not_waited_for(capsys: pytest.CaptureFixture[str]) -> None:
    api = ScriptedApi([error(503, "service_unavailable", **{"Retry-After": "3600"})])
    result = run(capsys, api, "links", "get", "help")
    assert (result.status, result.waits, len(api.requests)) == (3, [], 1)


def test_every_create_carries_an_idempotency_key_so_a_resend_is_safe(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN an API whose first answer is lost
    def lost(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    api = ScriptedApi([lost, httpx.Response(201, json=link())])
    # WHEN a link is created THEN the create was sent again with the same Idempotency-Key
    result = run(capsys, api, "shorten", "https://docs.python.org/3/")
    assert (result.status, result.out) == (0, "http://127.0.0.1:3000/help\n")
    first, second = api.requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]


def test_a_change_whose_answer_was_lost_is_not_sent_again(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a PATCH whose answer never comes (it may have landed)
    def lost(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    api = ScriptedApi([lost])
    # THEN the command does not resend it, and exits 3: unreachable
    result = run(capsys, api, "links", "update", "help", "--title", "New", "--if-match", "4")
    assert (result.status, len(api.requests)) == (3, 1)
    assert result.err.startswith("shortlinks: unreachable: http://127.0.0.1:3000: no answer in time")


def test_an_unreachable_api_is_status_3(capsys: pytest.CaptureFixture[str]) -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    result = run(capsys, ScriptedApi([refused] * 4), "links", "list")
    assert result.status == 3
    assert result.waits == [1.0, 2.0, 4.0]  # backing off between the resends
    assert result.err == "shortlinks: unreachable: http://127.0.0.1:3000: cannot connect (ConnectError)\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["links", "list", "--limit", "101"],
        ["shorten"],
        ["links", "update", "help", "--if-match", "-1"],
        ["qr", "help"],
        ["nonsense"],
    ],
)
def test_a_wrong_command_line_is_status_2_and_sends_nothing(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    api = ScriptedApi([])
    assert run(capsys, api, *argv).status == 2
    assert api.requests == []


def test_a_command_that_needs_a_key_says_so_before_sending(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHORTLINKS_API_KEY")
    api = ScriptedApi([])
    result = run(capsys, api, "links", "list")
    assert (result.status, api.requests) == (2, [])
    assert result.err.startswith("shortlinks: usage: no API key: set SHORTLINKS_API_KEY")


def test_the_key_is_sent_as_a_bearer_and_never_printed(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN answers that succeed and fail
    api = ScriptedApi([httpx.Response(200, json=link()), error(401, "unauthorized", "the API key is not valid")])
    ok = run(capsys, api, "links", "get", "help")
    refused = run(capsys, api, "links", "get", "help", "--json")
    # THEN the key went in the Authorization header, and nowhere in what was printed
    assert all(request.headers["Authorization"] == f"Bearer {KEY}" for request in api.requests)
    for result in (ok, refused):
        assert KEY not in result.out + result.err
    assert refused.status == 1
