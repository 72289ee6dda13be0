"""Where the command finds the API and its key: the environment over a profile file, and a file that others could
read is refused."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from shortlinks_cli.config import config_path, load_config
from shortlinks_cli.exits import CliError, Exit
from tests.unit.cli.scripted_api import KEY, ScriptedApi, link, run

FILE_KEY = "sl_" + "f" * 43
STAGING_KEY = "sl_" + "s" * 43
PROFILES = f"""
[default]
url = "https://api.example.org/"
api_key = "{FILE_KEY}"

[staging]
url = "https://staging.example.org"
api_key = "{STAGING_KEY}"
"""


def write_config(root: Path, text: str = PROFILES, mode: int = 0o600) -> Path:
    path = root / "shortlinks" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def refusal(environ: dict[str, str], profile: str | None = None) -> CliError:
    with pytest.raises(CliError) as raised:
        load_config(environ, profile)
    assert raised.value.exit == Exit.USAGE
    return raised.value


def test_the_environment_alone_is_enough() -> None:
    # GIVEN only the two variables WHEN the configuration is read THEN they are it, the URL without its trailing /
    config = load_config({"SHORTLINKS_URL": "http://127.0.0.1:3000/", "SHORTLINKS_API_KEY": KEY})
    assert (config.url, config.api_key, config.source) == ("http://127.0.0.1:3000", KEY, "environment")


def test_the_default_profile_is_read_from_xdg_config_home(tmp_path: Path) -> None:
    # GIVEN a profile file under XDG_CONFIG_HOME, readable by its owner only
    write_config(tmp_path)

    # WHEN the configuration is read without variables THEN it is the [default] profile's
    config = load_config({"XDG_CONFIG_HOME": str(tmp_path)})
    assert (config.url, config.api_key) == ("https://api.example.org", FILE_KEY)
    assert config.source.endswith("config.toml [default]")


def test_without_xdg_config_home_the_file_is_in_dot_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # GIVEN a home directory, and an XDG_CONFIG_HOME that is relative (the specification says to ignore it)
    monkeypatch.setenv("HOME", str(tmp_path))
    # THEN the file is ~/.config/shortlinks/config.toml
    assert config_path({}) == tmp_path / ".config" / "shortlinks" / "config.toml"
    assert config_path({"XDG_CONFIG_HOME": "relative/dir"}) == tmp_path / ".config" / "shortlinks" / "config.toml"


def test_a_named_profile_is_chosen_by_option_or_variable_and_the_environment_wins(tmp_path: Path) -> None:
    write_config(tmp_path)
    environ = {"XDG_CONFIG_HOME": str(tmp_path)}
    # --profile, then SHORTLINKS_PROFILE, name the profile
    assert load_config(environ, "staging").api_key == STAGING_KEY
    assert load_config({**environ, "SHORTLINKS_PROFILE": "staging"}).url == "https://staging.example.org"
    # AND a variable set in the environment overrides the profile's value, the other value still from the file
    overridden = load_config({**environ, "SHORTLINKS_API_KEY": KEY}, "staging")
    assert (overridden.url, overridden.api_key) == ("https://staging.example.org", KEY)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o602])
def test_a_file_group_or_others_may_read_or_write_is_refused_with_the_fix(tmp_path: Path, mode: int) -> None:
    # GIVEN a profile file with a mode that lets someone else at the key
    path = write_config(tmp_path, mode=mode)

    # WHEN it would be read THEN the command refuses, saying how to fix it, and never shows the key
    error = refusal({"XDG_CONFIG_HOME": str(tmp_path)})
    assert f"chmod 600 {path}" in error.message
    assert FILE_KEY not in error.message


def test_a_profile_asked_for_must_exist(tmp_path: Path) -> None:
    # GIVEN no file at all, then a file without the profile
    assert "no " in refusal({"XDG_CONFIG_HOME": str(tmp_path)}, "staging").message
    write_config(tmp_path)
    # THEN naming a profile that is not there is an error, not a silent fallback to the environment
    assert "[prod]" in refusal({"XDG_CONFIG_HOME": str(tmp_path), "SHORTLINKS_URL": "http://x.example"}, "prod").message


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[default]\nurl = "https://a.example"\napikey = "x"\n', "unknown setting(s) apikey"),
        ("[default\n", "not valid TOML"),
        ("[default]\nurl = 3\n", "strings"),
        ('default = "https://a.example"\n', "must be a table"),
        ('[default]\nurl = "ftp://a.example"\n', "http(s) URL"),
        ('[default]\nurl = "https://a.example/?x=1"\n', "no query"),
        ("#" * (64 * 1024 + 1), "over 64 KiB"),
    ],
)
def test_a_malformed_file_is_refused_with_what_is_wrong(tmp_path: Path, text: str, says: str) -> None:
    write_config(tmp_path, text)
    assert says in refusal({"XDG_CONFIG_HOME": str(tmp_path)}).message


def test_a_malformed_key_is_refused_without_being_shown() -> None:
    # GIVEN a key pasted with a trailing newline
    pasted = KEY + "\n"
    # THEN it is refused before anything is sent, and the message does not repeat it
    error = refusal({"SHORTLINKS_URL": "https://a.example", "SHORTLINKS_API_KEY": pasted})
    assert KEY not in error.message
    assert "does not look like" in error.message


def test_no_url_anywhere_says_where_to_put_one(tmp_path: Path) -> None:
    error = refusal({"XDG_CONFIG_HOME": str(tmp_path)})
    assert "SHORTLINKS_URL" in error.message
    assert str(tmp_path / "shortlinks" / "config.toml") in error.message


def test_the_key_never_shows_in_the_configurations_repr() -> None:
    config = load_config({"SHORTLINKS_URL": "https://a.example", "SHORTLINKS_API_KEY": KEY})
    assert KEY not in repr(config)


def test_the_command_sends_the_profiles_key_and_exits_2_on_a_readable_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # GIVEN the variables unset and a profile file
    monkeypatch.delenv("SHORTLINKS_URL")
    monkeypatch.delenv("SHORTLINKS_API_KEY")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    path = write_config(tmp_path)
    api = ScriptedApi([httpx.Response(200, json=link())])

    # WHEN a command runs with --profile THEN it talks to that profile's API with its key
    assert run(capsys, api, "links", "get", "help", "--profile", "staging").status == 0
    [request] = api.requests
    assert str(request.url) == "https://staging.example.org/v1/links/help"
    assert request.headers["Authorization"] == f"Bearer {STAGING_KEY}"

    # AND once the file is readable by others, the command stops with status 2 and one line that says chmod 600
    path.chmod(0o644)
    result = run(capsys, ScriptedApi([]), "links", "get", "help")
    assert result.status == 2
    assert result.err.startswith("shortlinks: config: ")
    assert "chmod 600" in result.err
    assert result.err.count("\n") == 1


def test_a_key_sent_over_plain_http_beyond_this_machine_is_warned_about(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the same command against this machine and against another host, both over http
    for url, warned in [("http://127.0.0.1:3000", False), ("http://api.example.org", True)]:
        config = load_config({"SHORTLINKS_URL": url, "SHORTLINKS_API_KEY": KEY})
        assert config.key_in_clear() is warned
    # AND without a key there is nothing to warn about, nor over https
    assert not load_config({"SHORTLINKS_URL": "http://api.example.org"}).key_in_clear()
    assert not load_config({"SHORTLINKS_URL": "https://api.example.org", "SHORTLINKS_API_KEY": KEY}).key_in_clear()


def test_the_warning_is_printed_before_the_command_runs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHORTLINKS_URL", "http://api.example.org")
    result = run(capsys, ScriptedApi([httpx.Response(200, json=link())]), "links", "get", "help")
    assert result.status == 0
    assert (
        result.err
        == "shortlinks: warning: http://api.example.org is plain http: the API key crosses the network unencrypted\n"
    )
