"""``shortlinks keys create|list|revoke``: the operator's command against the template's table (moto)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from shortlinks.cli import main
from shortlinks.domain.access import Principal, Role
from shortlinks.domain.errors import Unauthenticated
from shortlinks.domain.keys import KEY_ID_PATTERN, authenticate, hash_key, looks_like_key
from shortlinks.storage.api_keys import DynamoKeyRepository
from tests.integration.harness import REGION, TABLE_NAME, LinkStore

TODAY = date(2026, 11, 25)


@pytest.fixture(autouse=True)
def table_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command's configuration: the table and nothing else (credentials and region come from the moto fixture)."""
    monkeypatch.setenv("TABLE_NAME", TABLE_NAME)
    monkeypatch.delenv("DYNAMODB_ENDPOINT", raising=False)
    monkeypatch.delenv("SHORT_BASE_URL", raising=False)


@pytest.fixture
def repository() -> DynamoKeyRepository:
    return DynamoKeyRepository(TABLE_NAME, REGION)


def create(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[str, str]:
    """Run ``keys create``; return the printed key and the id the message names."""
    assert main(["keys", "create", *arguments]) == 0
    out, err = capsys.readouterr()
    key_id = next(word.strip("(),.") for word in err.split() if KEY_ID_PATTERN.fullmatch(word.strip("(),.")))
    return out.strip(), key_id


def test_create_prints_the_key_alone_on_stdout_and_a_warning_on_stderr(
    capsys: pytest.CaptureFixture[str], store: LinkStore, repository: DynamoKeyRepository
) -> None:
    # WHEN an operator creates an admin key
    status = main(["keys", "create", "--name", "ops", "--role", "admin"])

    # THEN stdout is exactly the key (KEY=$(shortlinks keys create ...) works) and stderr says it is shown once
    out, err = capsys.readouterr()
    assert status == 0
    plaintext = out.removesuffix("\n")
    assert looks_like_key(plaintext)
    assert "not be shown again" in err
    assert plaintext not in err
    # AND the table holds its record under the hash only
    assert plaintext not in json.dumps(store.items())
    [item] = store.items()
    assert item["pk"] == {"S": f"APIKEY#{hash_key(plaintext)}"}
    # AND the key works
    principal = authenticate(repository, plaintext, TODAY)
    assert (principal.role, principal.create_rate_limit) == (Role.ADMIN, None)
    assert principal.key_id in err


def test_create_with_a_rate_limit_makes_a_member_key_with_its_own_limit(
    capsys: pytest.CaptureFixture[str], repository: DynamoKeyRepository
) -> None:
    plaintext, key_id = create(capsys, "--name", "Campaigns team", "--role", "member", "--rate-limit", "300")

    assert authenticate(repository, plaintext, TODAY) == Principal(key_id, Role.MEMBER, 300)


def test_list_shows_every_key_and_no_key_material(
    capsys: pytest.CaptureFixture[str], repository: DynamoKeyRepository
) -> None:
    admin, admin_id = create(capsys, "--name", "ops", "--role", "admin")
    member, member_id = create(capsys, "--name", "Campaigns team", "--role", "member", "--rate-limit", "5")

    assert main(["keys", "list"]) == 0
    table = capsys.readouterr().out
    assert main(["keys", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)

    header, *rows = table.splitlines()
    assert header.split() == ["KEY_ID", "ROLE", "CREATED", "LAST_USED", "STATUS", "RATE_LIMIT", "NAME"]
    assert [row.split()[0] for row in rows] == [member_id, admin_id]  # newest first
    assert rows[0].split()[1:2] + rows[0].split()[4:] == ["member", "active", "5", "Campaigns", "team"]
    assert [key["key_id"] for key in listed] == [member_id, admin_id]
    assert listed[1] | {"created_at": "…"} == {
        "key_id": admin_id,
        "name": "ops",
        "role": "admin",
        "created_at": "…",
        "last_used_day": None,
        "revoked": False,
        "create_rate_limit": None,
    }
    for secret in (admin, member, hash_key(admin), hash_key(member)):
        assert secret not in table + json.dumps(listed)


def test_revoke_makes_the_key_stop_working(capsys: pytest.CaptureFixture[str], repository: DynamoKeyRepository) -> None:
    plaintext, key_id = create(capsys, "--name", "leaked", "--role", "member")

    assert main(["keys", "revoke", key_id]) == 0

    assert key_id in capsys.readouterr().out
    with pytest.raises(Unauthenticated):
        authenticate(repository, plaintext, TODAY)
    assert main(["keys", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["revoked"] is True


def test_revoking_an_unknown_id_fails_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "revoke", "key_000000000000"]) == 1

    assert "key_not_found" in capsys.readouterr().err


def test_a_bad_name_fails_with_the_domain_rule(capsys: pytest.CaptureFixture[str], store: LinkStore) -> None:
    assert main(["keys", "create", "--name", "x" * 101, "--role", "member"]) == 1

    assert "invalid_key_spec" in capsys.readouterr().err
    assert store.items() == []


@pytest.mark.parametrize(
    "arguments",
    [
        ["keys", "create", "--name", "ops", "--role", "owner"],
        ["keys", "create", "--name", "ops", "--role", "member", "--rate-limit", "0"],
        ["keys", "create", "--role", "member"],
        ["keys", "revoke"],
        ["keys"],
        [],
    ],
)
def test_usage_errors_exit_2(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(arguments)

    assert exited.value.code == 2
    assert "usage: shortlinks" in capsys.readouterr().err


def test_without_a_table_name_it_says_so(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TABLE_NAME")

    assert main(["keys", "list"]) == 2

    assert "TABLE_NAME" in capsys.readouterr().err
