"""Which scheme a short URL given to expand names (domain/urls.py ``with_web_scheme``): none (``care.link/help``)
means https, http(s) is read, anything else is ``unsupported_scheme``, as it is for a destination."""

from __future__ import annotations

import pytest

from shortlinks.domain.errors import InvalidUrl, UnsupportedScheme
from shortlinks.domain.urls import with_web_scheme


@pytest.mark.parametrize(
    ("url", "read_as"),
    [
        ("care.link/help", "https://care.link/help"),
        ("care.link:8443/help", "https://care.link:8443/help"),  # a colon before a port names no scheme
        ("care.link:8443", "https://care.link:8443"),
        ("localhost:3000/help?x=1", "https://localhost:3000/help?x=1"),
        ("care.link/help?next=https://example.org", "https://care.link/help?next=https://example.org"),
        ("https://care.link/help", "https://care.link/help"),
        ("HTTP://care.link/help", "HTTP://care.link/help"),
    ],
)
def test_a_short_url_without_a_scheme_is_read_as_https(url: str, read_as: str) -> None:
    assert with_web_scheme(url) == read_as


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("javascript:alert(1)", "javascript"),
        ("JavaScript:alert(document.domain)", "javascript"),
        ("javascript://care.link/%0Aalert(1)", "javascript"),
        ("data:text/html,<script>alert(1)</script>", "data"),
        ("ftp://care.link/help", "ftp"),
        ("mailto:someone@care.link", "mailto"),
    ],
)
def test_any_other_scheme_is_unsupported(url: str, scheme: str) -> None:
    with pytest.raises(UnsupportedScheme) as refused:
        with_web_scheme(url)

    assert refused.value.code == "unsupported_scheme"
    assert isinstance(refused.value, InvalidUrl)  # a refinement of invalid_url, answered 422
    assert repr(scheme) in refused.value.message
