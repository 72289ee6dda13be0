"""Destination URL rules (domain/urls.py): what may be shortened, and the form it is stored in."""

from __future__ import annotations

import pytest

from shortlinks.domain.errors import InvalidUrl, UnsupportedScheme, UrlHasCredentials, UrlIsShortLink, UrlTooLong
from shortlinks.domain.forwarding import host_of
from shortlinks.domain.urls import MAX_URL_LENGTH, normalise_destination

OWN_HOSTS = frozenset({"sho.rt"})


def test_a_plain_https_url_is_kept_as_it_is() -> None:
    url = "https://example.org/resources/artists?lang=en#top"

    assert normalise_destination(url, own_hosts=OWN_HOSTS) == url


def test_scheme_and_host_are_lower_cased_but_path_keeps_its_case() -> None:
    assert normalise_destination("HTTPS://Example.ORG/Path/To") == "https://example.org/Path/To"


def test_an_empty_path_becomes_slash() -> None:
    assert normalise_destination("https://example.org") == "https://example.org/"
    assert normalise_destination("https://example.org?x=1") == "https://example.org/?x=1"


def test_surrounding_whitespace_is_trimmed() -> None:
    assert normalise_destination("  https://example.org/a \r\n\t") == "https://example.org/a"


@pytest.mark.parametrize("url", ["", "   ", "\n"])
def test_an_empty_url_is_refused(url: str) -> None:
    with pytest.raises(InvalidUrl, match="empty"):
        normalise_destination(url)


# --- scheme -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("javascript:alert(document.cookie)", "javascript"),
        ("JavaScript://example.org/%0Aalert(1)", "javascript"),
        ("data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "data"),
        ("ftp://example.org/file.txt", "ftp"),
        ("file:///etc/passwd", "file"),
        ("mailto:someone@example.org", "mailto"),
        ("vbscript:msgbox(1)", "vbscript"),
    ],
)
def test_only_http_and_https_schemes_are_accepted(url: str, scheme: str) -> None:
    with pytest.raises(UnsupportedScheme) as refused:
        normalise_destination(url)

    assert refused.value.code == "unsupported_scheme"
    assert repr(scheme) in refused.value.message


@pytest.mark.parametrize("url", ["http://example.org/", "https://example.org/", "HTTP://example.org/"])
def test_http_and_https_are_accepted_in_any_case(url: str) -> None:
    assert normalise_destination(url).startswith(url.split(":")[0].lower() + "://example.org/")


@pytest.mark.parametrize("url", ["//example.org/path", "example.org/path", "/just/a/path", "?q=1"])
def test_a_relative_url_is_refused(url: str) -> None:
    with pytest.raises(InvalidUrl, match="absolute"):
        normalise_destination(url)


@pytest.mark.parametrize("url", ["https://", "https:///path", "https:example.org", "http://:80/", "https://?q=1"])
def test_a_url_without_a_host_is_refused(url: str) -> None:
    with pytest.raises(InvalidUrl) as refused:
        normalise_destination(url)

    assert type(refused.value) is InvalidUrl


# --- length -----------------------------------------------------------------------------------------------------


def _url_of_length(length: int) -> str:
    prefix = "https://example.org/"
    return prefix + "a" * (length - len(prefix))


def test_a_url_of_exactly_the_maximum_length_is_accepted() -> None:
    url = _url_of_length(MAX_URL_LENGTH)

    assert MAX_URL_LENGTH == 2048
    assert normalise_destination(url) == url


def test_a_url_one_character_over_the_maximum_is_refused() -> None:
    with pytest.raises(UrlTooLong) as refused:
        normalise_destination(_url_of_length(MAX_URL_LENGTH + 1))

    assert refused.value.code == "url_too_long"


def test_surrounding_whitespace_does_not_count_towards_the_length() -> None:
    url = _url_of_length(MAX_URL_LENGTH)

    assert normalise_destination(f"  {url}\n") == url


def test_a_url_that_grows_past_the_maximum_when_percent_encoded_is_refused() -> None:
    # GIVEN a URL well under the limit whose every path character becomes six once encoded ("ü" -> "%C3%BC")
    url = "https://example.org/" + "ü" * 400
    assert len(url) < MAX_URL_LENGTH

    # WHEN / THEN
    with pytest.raises(UrlTooLong):
        normalise_destination(url)


# --- user-info, whitespace, control characters, backslash ------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://user:password@example.org/",
        "https://user@example.org/",
        "https://bank.example@evil.example/login",
        "https://@example.org/",
        "https://:secret@example.org/",
    ],
)
def test_user_info_is_refused(url: str) -> None:
    with pytest.raises(UrlHasCredentials) as refused:
        normalise_destination(url)

    assert refused.value.code == "url_has_credentials"


def test_an_at_sign_in_the_path_is_not_user_info() -> None:
    assert normalise_destination("https://social.example/@artist") == "https://social.example/@artist"


@pytest.mark.parametrize(
    "character",
    [" ", "\t", "\n", "\r", "\x00", "\x1b", "\x7f", "\x85", "\u00a0", "\u200b", "\u200e", "\u2028", "\u3000", "\ufeff"],
)
def test_whitespace_and_control_characters_inside_the_url_are_refused(character: str) -> None:
    with pytest.raises(InvalidUrl, match=f"U\\+{ord(character):04X}"):
        normalise_destination(f"https://example.org/a{character}b")


@pytest.mark.parametrize("url", ["https://example.org\\@evil.example/", "https://example.org/a\\b", "https:\\\\evil/"])
def test_a_backslash_is_refused(url: str) -> None:
    with pytest.raises(InvalidUrl, match="backslash"):
        normalise_destination(url)


# --- host ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://BÜCHER.example/", "https://xn--bcher-kva.example/"),
        ("https://пример.испытание/путь", "https://xn--e1afmkfd.xn--80akhbyknj4f/%D0%BF%D1%83%D1%82%D1%8C"),
        ("https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/"),
    ],
)
def test_an_internationalised_host_is_stored_as_punycode(url: str, expected: str) -> None:
    assert normalise_destination(url) == expected


def test_a_trailing_dot_on_the_host_is_dropped() -> None:
    assert normalise_destination("https://example.org./x") == "https://example.org/x"


@pytest.mark.parametrize(
    "url",
    [
        "https://-leading-hyphen.example/",
        "https://trailing-hyphen-.example/",
        "https://double..dot.example/",
        "https://exa%41mple.org/",
        f"https://{'a' * 64}.example/",
        f"https://{'.'.join(['abcdefghi'] * 26)}/",  # 259 characters
    ],
)
def test_an_invalid_host_name_is_refused(url: str) -> None:
    with pytest.raises(InvalidUrl):
        normalise_destination(url)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org:8443/x", "https://example.org:8443/x"),
        ("http://example.org:1/", "http://example.org:1/"),
        ("http://example.org:65535/", "http://example.org:65535/"),
    ],
)
def test_a_valid_port_is_kept(url: str, expected: str) -> None:
    assert normalise_destination(url) == expected


@pytest.mark.parametrize(
    "url",
    ["https://example.org:0/", "https://example.org:65536/", "https://example.org:http/", "https://example.org:/"],
)
def test_an_invalid_or_empty_port_is_refused(url: str) -> None:
    with pytest.raises(InvalidUrl, match=r"port|parsed"):
        normalise_destination(url)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://[2001:DB8:0:0:0:0:0:1]:8080/x", "http://[2001:db8::1]:8080/x"),
        ("https://[::1]/", "https://[::1]/"),
        ("https://192.0.2.10/status", "https://192.0.2.10/status"),
    ],
)
def test_ip_literals_are_accepted_and_ipv6_is_compressed(url: str, expected: str) -> None:
    assert normalise_destination(url) == expected


@pytest.mark.parametrize("url", ["http://[zz::1]/", "http://[2001:db8::1::2]/"])
def test_an_invalid_ipv6_literal_is_refused(url: str) -> None:
    with pytest.raises(InvalidUrl):
        normalise_destination(url)


# --- percent-encoding ---------------------------------------------------------------------------------------------


def test_non_ascii_path_query_and_fragment_are_percent_encoded_as_utf8() -> None:
    assert (
        normalise_destination("https://example.org/straße?q=über#größe")
        == "https://example.org/stra%C3%9Fe?q=%C3%BCber#gr%C3%B6%C3%9Fe"
    )


def test_existing_escapes_are_kept_not_encoded_twice() -> None:
    url = "https://example.org/a%20b%2Fc?next=%2Fhome%3Fx%3D1&q=a%26b#s%C3%BC"

    assert normalise_destination(url) == url


def test_existing_escapes_survive_next_to_newly_encoded_characters() -> None:
    assert normalise_destination("https://example.org/ü%20x") == "https://example.org/%C3%BC%20x"


def test_reserved_characters_are_left_alone() -> None:
    url = "https://example.org/a:b@c!$&'()*+,;=-._~/d?e=f/g?h#i/j?k"

    assert normalise_destination(url) == url


# --- redirect loops -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["https://sho.rt/x", "http://sho.rt/x", "https://SHO.RT/x", "https://sho.rt:443/x", "https://sho.rt./x"]
)
def test_a_destination_on_our_own_short_domain_is_refused(url: str) -> None:
    with pytest.raises(UrlIsShortLink) as refused:
        normalise_destination(url, own_hosts=OWN_HOSTS)

    assert refused.value.code == "url_is_short_link"


def test_own_hosts_are_compared_after_punycode_conversion() -> None:
    with pytest.raises(UrlIsShortLink):
        normalise_destination("https://bücher.example/x", own_hosts={"xn--bcher-kva.example"})


def test_a_destination_is_only_refused_on_hosts_we_answer_on() -> None:
    assert normalise_destination("https://sho.rt/x", own_hosts=()) == "https://sho.rt/x"
    assert normalise_destination("https://notsho.rt/x", own_hosts=OWN_HOSTS) == "https://notsho.rt/x"


# --- host_of ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://News.Example.com:8443/a?b#c", "news.example.com"),
        ("https://example.org./", "example.org"),
        ("android-app://com.example.app/", "com.example.app"),
        ("", ""),
        ("not a url", ""),
        ("http://[::1", ""),
    ],
)
def test_host_of_gives_the_lower_case_host_or_nothing(url: str, host: str) -> None:
    assert host_of(url) == host
