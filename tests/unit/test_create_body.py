"""A create's body without pydantic (web/create_body.py): it takes the common, plainly valid body, and whatever it
takes, ``CreateLinkRequest`` takes too, to the same new link. Anything else it leaves to the model (``None``), which
writes the errors: so it can never accept what the model refuses, nor refuse anything itself."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from shortlinks.schemas.link_fields import (
    MAX_ALIAS_LENGTH,
    MAX_DOMAIN_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    MAX_UTM_LENGTH,
)
from shortlinks.schemas.links import CreateLinkRequest
from shortlinks.web.api import MAX_BODY_BYTES
from shortlinks.web.create_body import FIELDS, plain_create


def _event(body: Any, **extra: Any) -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body)
    return {"headers": {"content-type": "application/json"}, "body": text, "isBase64Encoded": False, **extra}


def _the_same_as_the_model(body: str) -> bool:
    """THEN: what the plain path took, the model takes to the same link, fields and domain; ``False`` when the plain
    path left the body to the model."""
    plain = plain_create(_event(body), MAX_BODY_BYTES)
    if plain is None:
        return False
    model = CreateLinkRequest.model_validate_json(body.encode())  # raises if the plain path took what it refuses
    assert plain.new_link == model.to_new_link()
    assert plain.fields_set == model.model_fields_set
    assert plain.domain == model.domain
    return True


COMMON_BODIES = [
    {"url": "https://example.org/help"},
    {"url": "https://example.org/help", "alias": "help", "title": "Help for artists", "tags": ["care", "spring"]},
    {"url": "https://example.org/a?b=c", "redirect_type": 301, "forward_query": False, "reuse": True},
    {"url": "https://example.org/", "expires_at": "2027-01-31T12:00:00Z", "domain": "care.link"},
    {"url": "https://example.org/", "expires_at": "2027-01-31 12:00:00.123456+01:00", "title": ""},
    {"url": "https://example.org/", "utm": {"source": "instagram", "campaign": "spring"}, "alias": None},
    {"url": "https://example.org/", "utm": {}, "title": None, "expires_at": None, "domain": None},
    {"url": "https://exämple.org/ünïcode", "title": "Café ☕ and 日本語"},
]


@pytest.mark.parametrize("body", COMMON_BODIES)
def test_a_plainly_valid_body_is_taken_without_the_model_to_the_model_s_link(body: dict[str, Any]) -> None:
    assert _the_same_as_the_model(json.dumps(body, ensure_ascii=False)) is True


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ('{"url": "https://example.org/", "utm_x": 1}', "an unknown field: the model names it in its error"),
        ('{"url": "https://example.org/", "redirect_type": "302"}', "a string where the model is strict"),
        ('{"url": "https://example.org/", "redirect_type": 302.0}', "a float"),
        ('{"url": "https://example.org/", "redirect_type": true}', "a boolean is not a number"),
        ('{"url": "https://example.org/", "forward_query": 1}', "a number is not a boolean"),
        ('{"url": "https://example.org/", "redirect_type": 303}', "not a redirect type"),
        ('{"url": "https://example.org/", "url": "https://example.com/"}', "a repeated key"),
        ('{"url": "https://example.org/\\u00e9"}', "an escape sequence"),
        ('{"url": NaN}', "not JSON"),
        ('{"url": "https://example.org/"', "malformed"),
        ("[]", "not an object"),
        ("", "empty"),
        ('{"alias": "help"}', "no url"),
        ('{"url": null}', "a null url"),
        ('{"url": "https://example.org/", "expires_at": "2027-02-30T12:00:00Z"}', "no such day"),
        ('{"url": "https://example.org/", "expires_at": "1796116443"}', "a Unix time"),
        ('{"url": "https://example.org/", "title": "line\\nbreak"}', "a control character (escaped)"),
        ('{"url": "https://example.org/", "title": "Title\\n"}', "a final newline (Python's re would let it pass)"),
        ('{"url": "https://example.org/", "tags": "care"}', "tags not a list"),
        ('{"url": "https://example.org/", "tags": [1]}', "a tag not a string"),
        ('{"url": "https://example.org/", "utm": {"source": 1}}', "a UTM value not a string"),
        ('{"url": "https://example.org/", "utm": {"place": "x"}}', "an unknown UTM field"),
        ('{"url": "https://example.org/", "utm": []}', "utm not an object"),
    ],
)
def test_anything_not_plainly_valid_is_left_to_the_model(body: str, why: str) -> None:
    assert plain_create(_event(body), MAX_BODY_BYTES) is None, why


def test_bounds_are_the_model_s() -> None:
    at_bounds = {
        "url": "u" * MAX_URL_LENGTH,
        "title": "t" * MAX_TITLE_LENGTH,
        "tags": ["x" * MAX_TAG_LENGTH] * MAX_TAGS,
        "alias": "a" * MAX_ALIAS_LENGTH,
        "domain": "d" * MAX_DOMAIN_LENGTH,
        "utm": {"source": "s" * MAX_UTM_LENGTH},
    }
    over = [
        at_bounds | {"url": "u" * (MAX_URL_LENGTH + 1)},
        at_bounds | {"title": "t" * (MAX_TITLE_LENGTH + 1)},
        at_bounds | {"tags": ["x" * (MAX_TAG_LENGTH + 1)]},
        at_bounds | {"tags": ["x"] * (MAX_TAGS + 1)},
        at_bounds | {"alias": "a" * (MAX_ALIAS_LENGTH + 1)},
        at_bounds | {"domain": "d" * (MAX_DOMAIN_LENGTH + 1)},
        at_bounds | {"utm": {"source": "s" * (MAX_UTM_LENGTH + 1)}},
    ]

    assert _the_same_as_the_model(json.dumps(at_bounds)) is True
    for body in over:
        assert plain_create(_event(body), MAX_BODY_BYTES) is None
        with pytest.raises(ValidationError):
            CreateLinkRequest.model_validate_json(json.dumps(body))


@pytest.mark.parametrize(
    "event",
    [
        _event({"url": "https://example.org/"}) | {"isBase64Encoded": True},
        _event({"url": "https://example.org/"}) | {"headers": {"content-type": "text/plain"}},
        _event({"url": "https://example.org/", "title": "x" * 200}) | {"body": "{" + " " * MAX_BODY_BYTES + "}"},
        _event({"url": "https://example.org/"}) | {"body": None},
    ],
)
def test_a_body_parse_body_would_refuse_before_the_fields_is_left_to_it(event: dict[str, Any]) -> None:
    # base64, another media type, too large, absent: parse_body answers each with its own error
    assert plain_create(event, MAX_BODY_BYTES) is None


EXPIRIES = [
    "2027-01-31T12:00:00Z",
    "2027-01-31t12:00:00z",
    "2027-13-01T00:00:00Z",
    "2027-01-31T12:00:00+24:00",
    "2027-01-31T12:00:00.123456789-05:30",
    "2027-01-31T12:00:00",
    "2027-01-31",
]
# Values of each field: valid ones, and ones the model refuses or the plain path leaves to it.
_TEXT = st.one_of(st.text(max_size=40), st.sampled_from(["", "~", "é", "\x7f", "\t", "\x00", "a" * 300]))
_VALUES = {
    "url": st.one_of(_TEXT, st.none(), st.integers()),
    "alias": st.one_of(_TEXT, st.none(), st.booleans()),
    "redirect_type": st.one_of(st.sampled_from([301, 302, 307, 308, 303, 0]), st.booleans(), st.floats(), _TEXT),
    "forward_query": st.one_of(st.booleans(), st.integers(0, 1), st.none()),
    "expires_at": st.one_of(
        st.none(),
        st.sampled_from(EXPIRIES),
        st.integers(),
    ),
    "title": st.one_of(_TEXT, st.none()),
    "tags": st.one_of(st.lists(_TEXT, max_size=22), st.none(), _TEXT),
    "reuse": st.one_of(st.booleans(), st.none(), st.integers(0, 1)),
    "domain": st.one_of(_TEXT, st.none()),
    "utm": st.one_of(
        st.none(),
        st.dictionaries(st.sampled_from(["source", "medium", "campaign", "term", "content", "x"]), _TEXT),
        st.dictionaries(st.sampled_from(["source", "term"]), st.one_of(st.none(), st.integers())),
    ),
    "extra": st.integers(),
}
_BODIES = st.fixed_dictionaries({"url": st.one_of(_TEXT, st.none())}).flatmap(
    lambda base: st.dictionaries(st.sampled_from(sorted(_VALUES)), st.none()).flatmap(
        lambda keys: st.fixed_dictionaries({key: _VALUES[key] for key in keys}).map(lambda chosen: base | chosen)
    )
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(body=_BODIES, ascii_only=st.booleans())
def test_whatever_the_plain_path_takes_the_model_takes_to_the_same_link(body: dict[str, Any], ascii_only: bool) -> None:
    # GIVEN any body, valid or not, written with escapes or without
    text = json.dumps(body, ensure_ascii=ascii_only, allow_nan=True)

    # WHEN the plain path reads it; THEN it took it as the model does, or left it to the model
    _the_same_as_the_model(text)


def test_the_generated_bodies_reach_both_outcomes() -> None:
    """The property above is not vacuous: generated bodies are taken by the plain path, and left to the model."""
    taken = left = 0

    @settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
    @given(body=_BODIES)
    def count(body: dict[str, Any]) -> None:
        nonlocal taken, left
        if _the_same_as_the_model(json.dumps(body, ensure_ascii=False)):
            taken += 1
        else:
            left += 1

    count()
    assert taken > 10, (taken, left)
    assert left > 10, (taken, left)
    assert set(CreateLinkRequest.model_fields) == FIELDS
