"""Short codes (domain/codes.py): generated codes, custom aliases, reserved words."""

from __future__ import annotations

import string

import pytest

from shortlinks.domain.codes import (
    ALIAS_MAX_LENGTH,
    ALIAS_MIN_LENGTH,
    BASE62,
    RESERVED_WORDS,
    check_alias,
    generate_code,
    is_reserved,
    looks_like_code,
)
from shortlinks.domain.errors import AliasReserved, InvalidAlias


def test_the_alphabet_is_base62() -> None:
    assert sorted(BASE62) == sorted(string.digits + string.ascii_lowercase + string.ascii_uppercase)
    assert len(set(BASE62)) == 62


@pytest.mark.parametrize("length", [5, 7, 12, 32])
def test_a_generated_code_has_the_requested_length_and_only_base62_characters(length: int) -> None:
    code = generate_code(length)

    assert len(code) == length
    assert set(code) <= set(BASE62)


def test_generated_codes_are_random() -> None:
    codes = {generate_code(12) for _ in range(200)}

    assert len(codes) == 200  # 62**12 possibilities: a repeat here means the generator is broken
    assert set("".join(codes)) == set(BASE62)  # 2,400 draws cover all 62 characters


def test_a_generated_code_is_always_usable_as_a_path() -> None:
    assert all(looks_like_code(generate_code(7)) for _ in range(100))


@pytest.mark.parametrize(
    "alias",
    ["abc", "a" * ALIAS_MAX_LENGTH, "Spring-Sale_2026", "ABC", "123", "a-b", "___", "x" * ALIAS_MIN_LENGTH],
)
def test_an_alias_of_3_to_64_letters_digits_hyphens_and_underscores_is_accepted(alias: str) -> None:
    assert check_alias(alias) == alias


@pytest.mark.parametrize(
    "alias",
    [
        "",
        "ab",
        "a" * (ALIAS_MAX_LENGTH + 1),
        "has space",
        "dot.ted",
        "slash/ed",
        "percent%20",
        "question?",
        "hash#tag",
        "bücher",
        "emoji😀",
        "tab\there",
        "abc\n",
        "\nabc",
    ],
)
def test_an_alias_outside_the_rules_is_invalid(alias: str) -> None:
    with pytest.raises(InvalidAlias) as refused:
        check_alias(alias)

    assert refused.value.code == "invalid_alias"


@pytest.mark.parametrize("alias", ["admin", "Admin", "ADMIN", "health", "HealthZ", "api", "API", "expand", "links"])
def test_a_reserved_word_is_refused_in_any_case(alias: str) -> None:
    with pytest.raises(AliasReserved) as refused:
        check_alias(alias)

    assert refused.value.code == "alias_reserved"
    assert isinstance(refused.value, InvalidAlias)


def test_reserved_words_are_stored_lower_case_so_the_comparison_can_work() -> None:
    assert all(word == word.lower() for word in RESERVED_WORDS)


@pytest.mark.parametrize("word", ["favicon.ico", "FAVICON.ICO", "Robots.txt", ".well-known", "null"])
def test_is_reserved_ignores_case(word: str) -> None:
    assert is_reserved(word)


def test_a_word_merely_containing_a_reserved_word_is_not_reserved() -> None:
    assert not is_reserved("administrator")
    assert check_alias("my-admin") == "my-admin"


@pytest.mark.parametrize("segment", ["AbC1234", "a", "my-alias_1", "a" * 64])
def test_a_path_segment_of_code_characters_looks_like_a_code(segment: str) -> None:
    assert looks_like_code(segment)


@pytest.mark.parametrize(
    "segment", ["", "a" * 65, "favicon.ico", "a/b", "../etc", "abc\n", "ü", "%41bc", "wp-login.php", "a b"]
)
def test_junk_path_segments_do_not_look_like_codes(segment: str) -> None:
    assert not looks_like_code(segment)
