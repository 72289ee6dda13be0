"""API keys over HTTP: the local server runs the template's authorizer in front of every route that declares it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from shortlinks.domain.keys import generate_key
from tests.e2e.conftest import AUTH_CACHE_SECONDS, ClientFor, CreateLink, LocalServerProcess, NewKey

pytestmark = pytest.mark.e2e


def assert_json_401(response: httpx.Response, message_part: str) -> None:
    """The function's own JSON error, not API Gateway's bare ``{"message": ...}``."""
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "unauthorized"
    assert message_part in error["message"]


def test_an_admin_creates_lists_and_revokes_keys(client: httpx.Client, client_for: ClientFor) -> None:
    # WHEN the admin creates a member key
    created = client.post("/v1/keys", json={"name": "Campaigns team", "role": "member", "create_rate_limit": 30})

    # THEN it is answered once, with the key, and the key works at once
    assert created.status_code == 201, created.text
    key = created.json()
    assert (key["role"], key["create_rate_limit"], key["revoked"]) == ("member", 30, False)
    member = client_for(key["key"])
    assert member.post("/v1/links", json={"url": "https://example.org/campaign"}).status_code == 201
    # AND the list shows it, without the key
    listed = client.get("/v1/keys")
    assert listed.status_code == 200
    assert key["key_id"] in [item["key_id"] for item in listed.json()["keys"]]
    assert key["key"] not in listed.text
    # AND revoking it answers 204
    assert client.delete(f"/v1/keys/{key['key_id']}").status_code == 204


def test_members_may_not_manage_keys(member_client: httpx.Client) -> None:
    for response in (
        member_client.get("/v1/keys"),
        member_client.post("/v1/keys", json={"name": "escalation", "role": "admin"}),
        member_client.delete("/v1/keys/key_000000000000"),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "forbidden"


def test_without_a_key_the_keys_routes_answer_401_json(anonymous: httpx.Client) -> None:
    assert_json_401(anonymous.get("/v1/keys"), "API key is required")
    assert_json_401(anonymous.post("/v1/keys", json={"name": "me", "role": "admin"}), "API key is required")


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer not-a-key"},
        {"X-API-Key": "sl_short"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"X-API-Key": generate_key()},  # well-formed, unknown
    ],
)
def test_an_invalid_key_gets_the_functions_401_json_on_every_kind_of_route(
    anonymous: httpx.Client, headers: dict[str, str]
) -> None:
    assert_json_401(anonymous.get("/v1/keys", headers=headers), "not valid")
    assert_json_401(anonymous.post("/v1/links", json={"url": "https://example.org/"}, headers=headers), "not valid")
    assert_json_401(anonymous.get("/v1/expand", params={"code": "abc"}, headers=headers), "not valid")


def test_x_api_key_works_like_bearer(anonymous: httpx.Client, admin_key: str) -> None:
    assert anonymous.get("/v1/keys", headers={"X-API-Key": admin_key}).status_code == 200
    assert anonymous.get("/v1/keys", headers={"authorization": f"bearer {admin_key}"}).status_code == 200


def test_a_revoked_key_is_refused_after_the_cache_time(
    client: httpx.Client, new_key: NewKey, client_for: ClientFor
) -> None:
    # GIVEN a member key in use
    key = new_key("member")
    member = client_for(key["key"])
    assert member.post("/v1/links", json={"url": "https://example.org/before"}).status_code == 201

    # WHEN the admin revokes it, and the authorizer's cache time (1 s on the test server) passes
    assert client.delete(f"/v1/keys/{key['key_id']}").status_code == 204
    time.sleep(AUTH_CACHE_SECONDS + 0.2)

    # THEN the key is refused with the JSON 401
    assert_json_401(member.post("/v1/links", json={"url": "https://example.org/after"}), "not valid")


def test_redirects_need_no_key_and_ignore_a_bad_one(
    create_link: CreateLink, anonymous: httpx.Client, destination: str
) -> None:
    link = create_link(url=f"{destination}/public")

    assert anonymous.get(f"/{link['code']}").status_code == 302
    assert anonymous.head(f"/{link['code']}").status_code == 302
    # the redirect routes have no authorizer: a bad key header is not even looked at
    assert anonymous.get(f"/{link['code']}", headers={"Authorization": "Bearer nonsense"}).status_code == 302


def test_expand_is_public(create_link: CreateLink, anonymous: httpx.Client) -> None:
    link = create_link(url="https://example.org/preview")

    response = anonymous.get("/v1/expand", params={"code": link["code"]})

    assert response.status_code == 200, response.text
    assert response.json()["url"] == "https://example.org/preview"


def test_the_last_used_day_is_recorded(client: httpx.Client, new_key: NewKey, client_for: ClientFor) -> None:
    key = new_key("member")
    client_for(key["key"]).get("/v1/expand", params={"code": "abc"})

    [listed] = [item for item in client.get("/v1/keys").json()["keys"] if item["key_id"] == key["key_id"]]

    assert listed["last_used_day"] is not None


def test_the_shortlinks_command_manages_the_local_servers_keys(
    local_server: LocalServerProcess, client_for: ClientFor
) -> None:
    # GIVEN the command, configured as the server's banner says, with no AWS credentials at all
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env |= {"DYNAMODB_ENDPOINT": local_server.dynamodb_endpoint(), "TABLE_NAME": "shortlinks-local"}
    env.pop("SHORT_BASE_URL", None)
    command = [str(Path(sys.executable).parent / "shortlinks"), "keys"]  # installed next to this interpreter
    if not Path(command[0]).exists():
        pytest.skip("the project is not installed in this venv (make installs it)")

    def shortlinks(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*command, *arguments], env=env, capture_output=True, text=True, timeout=60, check=False)

    # WHEN it creates a key
    created = shortlinks("create", "--name", "from the command", "--role", "member")
    assert created.returncode == 0, created.stderr
    plaintext = created.stdout.strip()

    # THEN the server accepts that key, the command lists it, and after revoking it the server refuses it
    member = client_for(plaintext)
    assert member.get("/v1/expand", params={"code": "abc"}).status_code == 404
    listed = json.loads(shortlinks("list", "--json").stdout)
    [record] = [item for item in listed if item["name"] == "from the command"]
    assert shortlinks("revoke", record["key_id"]).returncode == 0
    time.sleep(AUTH_CACHE_SECONDS + 0.2)
    assert_json_401(member.get("/v1/expand", params={"code": "abc"}), "not valid")


def test_keys_never_reach_the_servers_output(
    local_server: LocalServerProcess, new_key: NewKey, client_for: ClientFor, anonymous: httpx.Client
) -> None:
    # GIVEN keys created, used, refused and revoked
    created: list[dict[str, Any]] = [new_key("member"), new_key("admin")]
    for key in created:
        client_for(key["key"]).post("/v1/links", json={"url": "https://example.org/logged"})
    unknown = generate_key()
    anonymous.get("/v1/keys", headers={"X-API-Key": unknown})
    time.sleep(0.5)  # the log file is written by another process

    # THEN the server's output (access log and the functions' log lines) holds none of them
    output = local_server.log_path.read_text(errors="replace")
    assert "api key accepted" in output  # the authorizer's log lines are in this output
    for secret in [key["key"] for key in created] + [unknown]:
        assert secret not in output
    # AND the admin key appears only where the banner prints it for the operator
    assert all(
        line.startswith(("  Admin API key:", "    curl"))
        for line in output.splitlines()
        if local_server.admin_key in line
    )
