"""``HSTS_MAX_AGE`` (config.py): the Strict-Transport-Security max-age the redirect sends on https short domains."""

from __future__ import annotations

import pytest

from shortlinks.config import Settings, SettingsError


def test_hsts_lasts_a_year_unless_configured() -> None:
    assert Settings.from_env({"TABLE_NAME": "links"}).hsts_max_age == 31536000


@pytest.mark.parametrize(("raw", "max_age"), [("0", 0), ("300", 300), (" 63072000 ", 63072000)])
def test_hsts_max_age_is_read_from_the_environment(raw: str, max_age: int) -> None:
    assert Settings.from_env({"TABLE_NAME": "links", "HSTS_MAX_AGE": raw}).hsts_max_age == max_age


@pytest.mark.parametrize("raw", ["-1", "63072001", "one year", "1e6"])
def test_a_wrong_hsts_max_age_fails_the_cold_start(raw: str) -> None:
    with pytest.raises(SettingsError, match="HSTS_MAX_AGE"):
        Settings.from_env({"TABLE_NAME": "links", "HSTS_MAX_AGE": raw})
