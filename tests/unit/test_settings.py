"""Settings (config.py): read once from the environment at cold start; a wrong environment fails loudly."""

from __future__ import annotations

import pytest

from shortlinks.config import Settings, SettingsError, bare_host


def test_defaults_need_only_a_table_name() -> None:
    settings = Settings.from_env({"TABLE_NAME": "links"})

    assert settings == Settings(
        table_name="links",
        region="us-east-1",
        dynamodb_endpoint=None,
        short_base_url=None,
        code_length=7,
        permanent_redirect_max_age=300,
        temporary_redirect_max_age=0,
        blocked_hosts=frozenset(),
    )


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "TABLE_NAME": " links-prod ",
            "AWS_REGION": "eu-west-2",
            "DYNAMODB_ENDPOINT": "http://127.0.0.1:8000",
            "SHORT_BASE_URL": "https://care.link/",
            "CODE_LENGTH": "9",
            "PERMANENT_REDIRECT_MAX_AGE": "86400",
            "TEMPORARY_REDIRECT_MAX_AGE": "60",
            "BLOCKED_HOSTS": " Bit.ly, ,t.co ",
        }
    )

    assert settings == Settings(
        table_name="links-prod",
        region="eu-west-2",
        dynamodb_endpoint="http://127.0.0.1:8000",
        short_base_url="https://care.link",
        code_length=9,
        permanent_redirect_max_age=86400,
        temporary_redirect_max_age=60,
        blocked_hosts=frozenset({"bit.ly", "t.co"}),
    )


def test_aws_region_wins_over_aws_default_region() -> None:
    both = {"TABLE_NAME": "t", "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-west-2"}

    assert Settings.from_env(both).region == "eu-west-1"
    assert Settings.from_env({"TABLE_NAME": "t", "AWS_DEFAULT_REGION": "us-west-2"}).region == "us-west-2"


def test_empty_optional_variables_mean_their_defaults() -> None:
    settings = Settings.from_env(
        {"TABLE_NAME": "t", "SHORT_BASE_URL": "", "CODE_LENGTH": " ", "DYNAMODB_ENDPOINT": "", "BLOCKED_HOSTS": ""}
    )

    assert (settings.short_base_url, settings.code_length, settings.dynamodb_endpoint) == (None, 7, None)


def test_the_process_environment_is_read_when_none_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_NAME", "from-os-environ")
    monkeypatch.setenv("CODE_LENGTH", "11")

    settings = Settings.from_env()

    assert (settings.table_name, settings.code_length) == ("from-os-environ", 11)


@pytest.mark.parametrize("table_name", [None, "", "   "])
def test_a_missing_table_name_fails(table_name: str | None) -> None:
    env = {} if table_name is None else {"TABLE_NAME": table_name}

    with pytest.raises(SettingsError, match="TABLE_NAME"):
        Settings.from_env(env)


@pytest.mark.parametrize(
    "base",
    [
        "care.link",
        "ftp://care.link",
        "https://",
        "https://care.link/path",
        "https://care.link/?x=1",
        "https://care.link?x=1",
        "https://care.link#top",
        "https://user@care.link",
    ],
)
def test_a_short_base_url_that_is_not_a_bare_origin_fails(base: str) -> None:
    with pytest.raises(SettingsError, match="SHORT_BASE_URL"):
        Settings.from_env({"TABLE_NAME": "t", "SHORT_BASE_URL": base})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CODE_LENGTH", "seven"),
        ("CODE_LENGTH", "7.0"),
        ("CODE_LENGTH", "4"),
        ("CODE_LENGTH", "33"),
        ("PERMANENT_REDIRECT_MAX_AGE", "-1"),
        ("PERMANENT_REDIRECT_MAX_AGE", "86401"),
        ("TEMPORARY_REDIRECT_MAX_AGE", "1e3"),
        ("TEMPORARY_REDIRECT_MAX_AGE", "86401"),
    ],
)
def test_a_number_that_is_not_whole_or_out_of_range_fails(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({"TABLE_NAME": "t", name: value})


@pytest.mark.parametrize(
    ("name", "value"), [("CODE_LENGTH", "5"), ("CODE_LENGTH", "32"), ("PERMANENT_REDIRECT_MAX_AGE", "0")]
)
def test_numbers_at_the_edges_of_their_range_are_accepted(name: str, value: str) -> None:
    settings = Settings.from_env({"TABLE_NAME": "t", name: value})

    assert getattr(settings, name.lower()) == int(value)


def test_settings_errors_are_value_errors() -> None:
    assert issubclass(SettingsError, ValueError)


# --- the short domain, short URLs and our own hosts ---------------------------------------------------------------

CONFIGURED = Settings(table_name="t", region="us-east-1", short_base_url="https://care.link")
UNCONFIGURED = Settings(table_name="t", region="us-east-1")
API_HOST = "k3x9qz1v2m.execute-api.us-east-1.amazonaws.com"


def test_a_configured_short_domain_is_used_whatever_host_the_request_arrived_on() -> None:
    assert CONFIGURED.short_domain(API_HOST) == "care.link"
    assert CONFIGURED.short_url(API_HOST, "AbC1234") == "https://care.link/AbC1234"


def test_a_configured_base_with_a_port_keeps_it_in_short_urls_but_not_in_the_domain() -> None:
    settings = Settings(table_name="t", region="us-east-1", short_base_url="http://localhost:3000")

    assert settings.short_domain("anything") == "localhost"
    assert settings.short_url("anything", "abc") == "http://localhost:3000/abc"


def test_without_a_configured_base_the_request_host_is_the_short_domain() -> None:
    assert UNCONFIGURED.short_domain("Sho.RT:443") == "sho.rt"
    assert UNCONFIGURED.short_url("Sho.RT", "AbC1234") == "https://sho.rt/AbC1234"


def test_own_hosts_are_the_short_domain_the_request_host_and_the_blocked_hosts() -> None:
    settings = Settings(
        table_name="t", region="us-east-1", short_base_url="https://care.link", blocked_hosts=frozenset({"bit.ly"})
    )

    assert settings.own_hosts(f"{API_HOST}:443") == {"care.link", API_HOST, "bit.ly"}


def test_an_empty_request_host_is_not_an_own_host() -> None:
    assert UNCONFIGURED.own_hosts("") == frozenset()
    assert CONFIGURED.own_hosts("") == {"care.link"}


@pytest.mark.parametrize(
    ("host", "bare"),
    [
        ("Care.Link:443", "care.link"),
        ("care.link.", "care.link"),
        (" CARE.link ", "care.link"),
        ("[::1]:80", "::1"),
        ("[2001:DB8::1]", "2001:db8::1"),
        ("", ""),
    ],
)
def test_bare_host_drops_case_port_trailing_dot_and_brackets(host: str, bare: str) -> None:
    assert bare_host(host) == bare


# --- API keys: anonymous creation, the default create rate limit, the authorizer's cache --------------------------


def test_api_key_settings_default_to_keys_required_60_a_minute_and_a_60_second_cache() -> None:
    settings = Settings.from_env({"TABLE_NAME": "t"})

    assert (settings.allow_anonymous_create, settings.default_create_rate_limit, settings.auth_cache_seconds) == (
        False,
        60,
        60,
    )


def test_api_key_settings_are_read() -> None:
    settings = Settings.from_env(
        {
            "TABLE_NAME": "t",
            "ALLOW_ANONYMOUS_CREATE": "true",
            "CREATE_RATE_LIMIT_PER_MINUTE": "100000",
            "AUTH_CACHE_SECONDS": "0",
        }
    )

    assert (settings.allow_anonymous_create, settings.default_create_rate_limit, settings.auth_cache_seconds) == (
        True,
        100000,
        0,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AUTH_CACHE_SECONDS", "-1"),
        ("AUTH_CACHE_SECONDS", "3601"),
        ("CREATE_RATE_LIMIT_PER_MINUTE", "0"),
        ("CREATE_RATE_LIMIT_PER_MINUTE", "100001"),
        ("ALLOW_ANONYMOUS_CREATE", "maybe"),
    ],
)
def test_api_key_settings_out_of_range_fail(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({"TABLE_NAME": "t", name: value})
