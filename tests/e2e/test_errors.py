"""What a caller gets back for requests the service refuses: 4xx JSON ``{"error": {"code", "message"}}``."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

pytestmark = pytest.mark.e2e


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]


def test_malformed_json_is_400(client: httpx.Client) -> None:
    response = client.post(
        "/v1/links", content=b'{"url": "https://example.org/",', headers={"content-type": "application/json"}
    )

    assert_error(response, 400, "malformed_json")


def test_a_javascript_url_is_refused(client: httpx.Client) -> None:
    response = client.post("/v1/links", json={"url": "javascript:alert(document.cookie)"})

    assert_error(response, 422, "unsupported_scheme")


@pytest.mark.parametrize("path", ["/abc", ":1/anything"])
def test_a_destination_on_our_own_host_is_refused_as_a_loop(client: httpx.Client, base_url: str, path: str) -> None:
    # the short domain is the host without port: any port on it would still point back at us
    url = f"{base_url}{path}" if path.startswith("/") else f"http://127.0.0.1{path}"

    response = client.post("/v1/links", json={"url": url})

    assert_error(response, 422, "url_is_short_link")


def test_an_unknown_field_is_refused(client: httpx.Client) -> None:
    response = client.post("/v1/links", json={"url": "https://example.org/", "colour": "blue"})

    assert_error(response, 422, "validation_error")


def test_a_body_that_is_not_json_is_415(client: httpx.Client) -> None:
    response = client.post("/v1/links", content=b"url=https://example.org/", headers={"content-type": "text/plain"})

    assert_error(response, 415, "unsupported_media_type")


def test_a_reserved_alias_is_refused(client: httpx.Client) -> None:
    response = client.post("/v1/links", json={"url": "https://example.org/", "alias": "admin"})

    assert_error(response, 422, "alias_reserved")


def test_a_taken_alias_is_409(client: httpx.Client, unique_alias: Callable[[str], str]) -> None:
    alias = unique_alias("taken")
    first = client.post("/v1/links", json={"url": "https://example.org/first", "alias": alias})

    second = client.post("/v1/links", json={"url": "https://example.org/second", "alias": alias})

    assert first.status_code == 201
    assert_error(second, 409, "code_taken")
    assert client.get(f"/{alias}").headers["location"] == "https://example.org/first"


@pytest.mark.parametrize(
    ("method", "path"), [("PUT", "/v1/links"), ("DELETE", "/v1/links"), ("GET", "/v1/links/a/b"), ("GET", "/a/b")]
)
def test_a_request_no_route_matches_gets_api_gateways_404(client: httpx.Client, method: str, path: str) -> None:
    response = client.request(method, path)

    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}
