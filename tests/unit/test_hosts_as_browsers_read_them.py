"""Hosts as browsers read them (domain/urls.py ``canonical_host``, the WHATWG URL standard's host parser): what is
stored, and what the loop guard compares, is the host a browser would connect to."""

from __future__ import annotations

import pytest

from shortlinks.domain.errors import InvalidUrl, UrlIsShortLink
from shortlinks.domain.urls import canonical_host, normalise_destination


def fullwidth(text: str) -> str:
    """``text`` in the fullwidth forms East Asian keyboards type (U+FF01-U+FF5E), which browsers map to ASCII."""
    return "".join(chr(ord(character) + 0xFEE0) for character in text)


# --- IPv4: every spelling a browser accepts is one address ----------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "127.0.0.1",
        "127.1",  # two parts: the last fills the three remaining bytes
        "127.0.1",  # three parts: the last fills two
        "2130706433",  # one decimal part
        "0x7f000001",  # one hex part
        "0X7F000001",
        "0x7f.1",
        "0177.0.0.1",  # a leading 0 is octal
        "0177.0.0.01",
        "127.000.000.001",  # "000" is octal 0, "001" octal 1
        "0x7f.0x0.0x0.0x1",
        "127.0.0.1.",  # one trailing dot
        "017700000001",
    ],
)
def test_every_spelling_of_an_ipv4_address_becomes_its_dotted_quad(spelling: str) -> None:
    assert canonical_host(spelling) == "127.0.0.1"


@pytest.mark.parametrize(
    ("spelling", "address"),
    [
        ("0", "0.0.0.0"),
        ("0x", "0.0.0.0"),  # "0x" with no digits is 0
        ("4294967295", "255.255.255.255"),
        ("1.2.65535", "1.2.255.255"),
        ("192.0.2.10", "192.0.2.10"),
        ("10.0.0.010", "10.0.0.8"),
    ],
)
def test_ipv4_parts_fill_the_address_as_browsers_fill_it(spelling: str, address: str) -> None:
    assert canonical_host(spelling) == address


@pytest.mark.parametrize(
    "host",
    [
        "4294967296",  # one over 255.255.255.255
        "256.0.0.1",  # a part before the last over 255
        "1.2.3.256",
        "1.2.65536",
        "1.16777216",
        "0x100000000",
        "1.2.3.4.5",  # more than four parts
        "1.2.3.09",  # 9 is not an octal digit
        "0xg.1",
        "example.123",  # ends in a number: then it must be an address, and "example" is not a number
        "example.0x1",
        "1..2",
        "9" * 40,
    ],
)
def test_a_host_that_ends_in_a_number_but_is_no_ipv4_address_is_refused(host: str) -> None:
    with pytest.raises(InvalidUrl):
        canonical_host(host)


@pytest.mark.parametrize("host", ["1e3", "0x1.example", "123.example", "v1.example", "example.1a"])
def test_a_name_whose_last_label_is_not_a_number_stays_a_name(host: str) -> None:
    assert canonical_host(host) == host


def test_only_ascii_digits_make_an_ipv4_number() -> None:
    # int() would read Arabic-Indic digits and "1_0"; the WHATWG parser reads neither as a number
    with pytest.raises(InvalidUrl):
        canonical_host("\u0661\u0662\u0667.0.0.1")
    assert canonical_host("1_0") == "1_0"


def test_fullwidth_digits_and_dots_are_mapped_before_the_address_is_read() -> None:
    # UTS #46 maps fullwidth "127.0.0.1" to ASCII, and only then is the host seen to end in a number
    assert canonical_host(fullwidth("127.0.0.1")) == "127.0.0.1"


# --- IPv6 -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "canonical"),
    [
        ("[2001:DB8:0:0:0:0:0:1]", "2001:db8::1"),
        ("::1", "::1"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
    ],
)
def test_ipv6_addresses_are_compressed_without_brackets(host: str, canonical: str) -> None:
    assert canonical_host(host) == canonical


@pytest.mark.parametrize("host", ["[fe80::1%25eth0]", "fe80::1%eth0", "[fe80::1%eth0]"])
def test_an_ipv6_zone_identifier_is_refused(host: str) -> None:
    with pytest.raises(InvalidUrl, match="zone"):
        canonical_host(host)


@pytest.mark.parametrize("url", ["http://[fe80::1%25eth0]/", "http://[fe80::1%25eth0]:8080/x"])
def test_a_destination_with_an_ipv6_zone_identifier_is_refused(url: str) -> None:
    with pytest.raises(InvalidUrl) as refused:
        normalise_destination(url)

    assert refused.value.code == "invalid_url"


def test_text_after_an_ipv6_literal_is_refused() -> None:
    with pytest.raises(InvalidUrl):
        normalise_destination("http://[::1]evil.example/")


# --- internationalised names: IDNA 2008 with UTS #46 mapping, as browsers ------------------------------------------


@pytest.mark.parametrize(
    ("host", "ascii_host"),
    [
        ("faß.de", "xn--fa-hia.de"),  # IDNA 2003 (Python's "idna" codec) would make it fass.de
        ("FASS.de", "fass.de"),
        ("βόλος.com", "xn--nxasmm1c.com"),  # final sigma kept, as browsers do
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example", "xn--bcher-kva.example"),
        ("bücher。example", "xn--bcher-kva.example"),  # an ideographic full stop is a dot
        (fullwidth("EXAMPLE") + ".org", "example.org"),  # fullwidth letters are mapped to ASCII
        ("under_score.bücher.example", "under_score.xn--bcher-kva.example"),  # ASCII labels stay as written
        ("xn--fa-hia.de", "xn--fa-hia.de"),
    ],
)
def test_an_internationalised_name_is_mapped_and_stored_as_idna_2008_punycode(host: str, ascii_host: str) -> None:
    assert canonical_host(host) == ascii_host


@pytest.mark.parametrize("host", ["exa\u200bmple.org", "example.org\ufeff", "exa mple.org", "exa\u00a0mple.org"])
def test_a_host_with_whitespace_or_an_invisible_character_is_refused_not_silently_cleaned(host: str) -> None:
    with pytest.raises(InvalidUrl):
        canonical_host(host)


def test_a_destination_on_an_internationalised_host_is_stored_as_browsers_resolve_it() -> None:
    assert normalise_destination("https://faß.de/straße") == "https://xn--fa-hia.de/stra%C3%9Fe"


@pytest.mark.parametrize(
    "host",
    [
        "a\u200db.example",  # a zero-width joiner where IDNA 2008 does not allow one
        "\u0301accent.example",  # a label may not start with a combining mark
        "bad\u2488.example",  # U+2488 (digit one full stop) is disallowed by UTS #46
        "exa%41mple.org",
    ],
)
def test_a_name_browsers_refuse_is_refused(host: str) -> None:
    with pytest.raises(InvalidUrl):
        canonical_host(host)


# --- the loop guard compares canonical hosts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.1/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://127.000.000.001/",
        "http://127.0.0.1.:3000/x",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        f"http://{fullwidth('127.0.0.1')}/",
    ],
)
def test_every_spelling_of_our_own_address_is_a_loop(url: str) -> None:
    with pytest.raises(UrlIsShortLink):
        normalise_destination(url, own_hosts={"127.0.0.1"})


@pytest.mark.parametrize("own_host", ["127.1", "0x7f000001", "::ffff:127.0.0.1", "[::ffff:127.0.0.1]"])
def test_own_hosts_may_be_written_in_any_spelling(own_host: str) -> None:
    with pytest.raises(UrlIsShortLink):
        normalise_destination("http://127.0.0.1/", own_hosts={own_host})


def test_an_ipv4_mapped_own_host_matches_its_ipv4_address() -> None:
    with pytest.raises(UrlIsShortLink):
        normalise_destination("http://[::ffff:127.0.0.1]:3000/", own_hosts={"127.0.0.1"})


def test_an_internationalised_own_host_matches_its_punycode() -> None:
    with pytest.raises(UrlIsShortLink):
        normalise_destination("https://xn--fa-hia.de/x", own_hosts={"faß.de"})


def test_an_own_host_that_is_not_a_host_compares_as_written_and_refuses_nothing_else() -> None:
    assert normalise_destination("https://example.org/", own_hosts={"not a host", "1.2.3.4.5"}) == (
        "https://example.org/"
    )


def test_another_address_is_not_a_loop() -> None:
    assert normalise_destination("http://127.0.0.2/", own_hosts={"127.0.0.1"}) == "http://127.0.0.2/"


# --- stored destinations are canonical ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("http://0x7f000001/", "http://127.0.0.1/"),
        ("http://127.1:8080/x?y=1", "http://127.0.0.1:8080/x?y=1"),
        ("https://3221225994/", "https://192.0.2.10/"),
        ("https://[::FFFF:192.0.2.10]/", "https://[::ffff:c000:20a]/"),
    ],
)
def test_a_destination_on_an_ip_address_is_stored_with_the_canonical_address(url: str, stored: str) -> None:
    assert normalise_destination(url, own_hosts={"sho.rt"}) == stored


@pytest.mark.parametrize("url", ["http://4294967296/", "http://1.2.3.4.5/", "http://example.123/"])
def test_a_destination_on_a_host_that_is_no_address_and_no_name_is_invalid(url: str) -> None:
    with pytest.raises(InvalidUrl) as refused:
        normalise_destination(url)

    assert refused.value.code == "invalid_url"
