"""``shortlinks domains add|list|remove``: the operator's command against the template's table (moto)."""

from __future__ import annotations

import json

import pytest

from shortlinks.cli import main
from shortlinks.domain.target import LinkState
from shortlinks.storage.domains import DynamoDomainRepository
from tests.integration.harness import REGION, TABLE_NAME, LinkStore


@pytest.fixture(autouse=True)
def table_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command's configuration: the table and nothing else (credentials and region come from the moto fixture)."""
    monkeypatch.setenv("TABLE_NAME", TABLE_NAME)
    monkeypatch.delenv("DYNAMODB_ENDPOINT", raising=False)
    monkeypatch.delenv("SHORT_BASE_URL", raising=False)
    monkeypatch.delenv("BLOCKED_HOSTS", raising=False)


@pytest.fixture
def repository(dynamodb: object) -> DynamoDomainRepository:
    return DynamoDomainRepository(TABLE_NAME, REGION)


def test_add_registers_a_domain_with_every_setting(
    capsys: pytest.CaptureFixture[str], repository: DynamoDomainRepository
) -> None:
    # WHEN an operator adds care.link with every option
    status = main(
        [
            "domains",
            "add",
            "Care.Link",
            "--base-url",
            "https://care.link",
            "--root-url",
            "https://care.example/",
            "--not-found-url",
            "https://care.example/missing",
            "--redirect-type",
            "301",
            "--allow",
            "key_Campaigns001",
            "key_Volunteers01",
        ]
    )

    # THEN it is stored as given (and, being the first, is the default), and printed as JSON
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "https://care.link/<code>" in err
    printed = json.loads(out)
    domain = repository.get("care.link")
    assert domain is not None
    assert (domain.base_url, domain.root_url, domain.not_found_url) == (
        "https://care.link",
        "https://care.example/",
        "https://care.example/missing",
    )
    assert (domain.default_redirect_type, domain.is_default) == (301, True)
    assert domain.allowed_keys == frozenset({"key_Campaigns001", "key_Volunteers01"})
    assert printed["allowed_keys"] == ["key_Campaigns001", "key_Volunteers01"]


def test_default_moves_to_the_domain_added_with_default(
    capsys: pytest.CaptureFixture[str], repository: DynamoDomainRepository
) -> None:
    assert main(["domains", "add", "care.link"]) == 0
    assert main(["domains", "add", "give.link", "--default"]) == 0
    capsys.readouterr()

    assert main(["domains", "list"]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert main(["domains", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)

    assert header.split() == ["HOST", "DEFAULT", "BASE_URL", "REDIRECT", "ROOT", "NOT_FOUND", "KEYS"]
    assert [row.split() for row in rows] == [
        ["care.link", "-", "https://care.link", "302", "404", "404", "all"],
        ["give.link", "yes", "https://give.link", "302", "404", "404", "all"],
    ]
    assert [(domain["host"], domain["is_default"]) for domain in listed] == [("care.link", False), ("give.link", True)]


def test_add_refuses_a_root_url_on_a_registered_domain(
    capsys: pytest.CaptureFixture[str], repository: DynamoDomainRepository
) -> None:
    assert main(["domains", "add", "give.link"]) == 0
    capsys.readouterr()

    assert main(["domains", "add", "care.link", "--root-url", "https://give.link/"]) == 1
    assert "(url_is_short_link)" in capsys.readouterr().err
    assert repository.get("care.link") is None


def test_add_refuses_a_redirect_type_we_do_not_send(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["domains", "add", "care.link", "--redirect-type", "303"])
    assert exit_.value.code == 2


def test_remove_refuses_a_domain_with_links_unless_forced(
    capsys: pytest.CaptureFixture[str], repository: DynamoDomainRepository, store: LinkStore
) -> None:
    # GIVEN care.link with a link on it
    assert main(["domains", "add", "care.link"]) == 0
    store.add("help", domain="care.link")
    capsys.readouterr()

    # WHEN it is removed without --force THEN it is refused
    assert main(["domains", "remove", "care.link"]) == 1
    assert "(domain_in_use)" in capsys.readouterr().err
    assert repository.get("care.link") is not None

    # WHEN it is removed with --force THEN it is gone and its link is a tombstone
    assert main(["domains", "remove", "care.link", "--force"]) == 0
    assert "1 link(s) left as tombstones" in capsys.readouterr().out
    assert repository.get("care.link") is None
    link = store.repository.get("care.link", "help", consistent=True)
    assert link is not None
    assert link.target.state is LinkState.DELETED


def test_remove_of_an_unknown_domain_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["domains", "remove", "nope.link"]) == 1
    assert "(unknown_domain)" in capsys.readouterr().err
