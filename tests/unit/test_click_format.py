"""Format 4's user agent (domain/click_format.py ``encode_agent`` and ``decode_agent``): the boilerplate of common
agents as two-character tokens, exactly reversible for any string, with a table that only ever grows."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.analytics import BOT_AGENTS, HUMAN_AGENTS
from bench.analytics import PREVIEW_AGENTS as BENCH_PREVIEW_AGENTS
from shortlinks.domain import click_format as wire
from shortlinks.domain.click_format import AGENT_INDEX, AGENT_PHRASES, ESCAPE, decode_agent, encode_agent
from shortlinks.domain.clicks import PREVIEW_AGENTS as PREVIEW_NAMES
from tests.unit.test_clicks import (
    BOT_AGENTS as TEST_BOT_AGENTS,
)
from tests.unit.test_clicks import (
    CHROME_ANDROID,
    CHROME_ANDROID_TABLET,
    CHROME_DESKTOP,
    PINTEREST_APP,
    SAFARI_IPAD,
    SAFARI_IPHONE,
)
from tests.unit.test_clicks import (
    PREVIEW_AGENTS as TEST_PREVIEW_AGENTS,
)

# The table as shipped: (entries, sha256 of the entries joined by newlines, then of AGENT_INDEX). APPEND ONLY: a
# record stores a phrase's index, so changing or reordering an entry changes what every earlier record decodes to.
# After appending, leave these as they are and add the new length and hash below them.
SHIPPED_TABLES = [(52, "8a79e3b9be2295d85333d70ed53079dd6690761c5be1f5766da757398b40e30d")]
SHIPPED_INDEX = "0123456789abcdefghijklmnopqrstuvwxyz!#$%&*<=>?@^_`{|}'"

BROWSERS = [agent for agent, _ in HUMAN_AGENTS]
CORPUS = [
    *BROWSERS,
    *(agent for agent, _ in BOT_AGENTS),
    *(agent for agent, _ in BENCH_PREVIEW_AGENTS if agent is not None),
    CHROME_DESKTOP,
    SAFARI_IPHONE,
    CHROME_ANDROID,
    CHROME_ANDROID_TABLET,
    SAFARI_IPAD,
    PINTEREST_APP,
    *TEST_PREVIEW_AGENTS,
    *TEST_BOT_AGENTS,
]
EDGE_CASES = [
    "",
    "~",
    "~~",
    "~~~0",
    "~0",  # a token's own text
    "".join(ESCAPE + index for index in AGENT_INDEX),  # every token's text, the unused ones too
    "".join(AGENT_PHRASES),  # every phrase, one after another
    "".join(phrase + ESCAPE for phrase in AGENT_PHRASES),
    "".join(ESCAPE + phrase for phrase in AGENT_PHRASES),  # a "~" before each phrase's first character
    "Mozilla/5.0 (Linux; Android 14; 小米 13) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile "
    "Safari/537.36",
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) 🙂 ~é\u0000\n"\\',
    "Mozilla/5.0 (",
    "Mozilla/5.0 (Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:",
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/~" * 12)[:1000],
]


def _table_hash(phrases: tuple[str, ...]) -> str:
    return hashlib.sha256("\n".join(phrases).encode()).hexdigest()


# --- the table ----------------------------------------------------------------------------------------------------


def test_the_phrase_table_only_ever_grows_so_every_record_written_before_decodes_as_it_was_written() -> None:
    for length, digest in SHIPPED_TABLES:
        assert _table_hash(AGENT_PHRASES[:length]) == digest, (
            "AGENT_PHRASES is append-only: restore the shipped entries"
        )
    assert AGENT_INDEX.startswith(SHIPPED_INDEX), "AGENT_INDEX is append-only too"
    assert len(AGENT_PHRASES) <= len(AGENT_INDEX)  # every phrase has its index character


def test_no_phrase_can_start_inside_a_token_and_every_token_is_one_byte_in_json() -> None:
    # encode_agent replaces phrase after phrase: it stays exact because no phrase holds the escape or begins with
    # an index character (which follows a "~" in every token written before it)
    assert len(set(AGENT_PHRASES)) == len(AGENT_PHRASES)
    assert len(set(AGENT_INDEX)) == len(AGENT_INDEX)
    for phrase in AGENT_PHRASES:
        assert len(phrase) > 2, phrase  # a phrase is worth more than its token
        assert ESCAPE not in phrase, phrase
        assert phrase[0] not in AGENT_INDEX, phrase
    for index in AGENT_INDEX:
        assert index != ESCAPE
        assert len(json.dumps(index)) == 3  # ASCII, never escaped: '"x"'


def test_bot_and_preview_agents_names_are_never_in_a_phrase_so_a_query_finds_them_as_written() -> None:
    names = [*PREVIEW_NAMES, "Googlebot", "bingbot", "AhrefsBot", "SemrushBot", "GPTBot", "curl", "python-requests"]
    for phrase in AGENT_PHRASES:
        assert not any(name.lower() in phrase.lower() for name in names), phrase
        assert "bot" not in phrase.lower(), phrase
    for agent, _ in BOT_AGENTS:
        name = agent.split("compatible; ")[-1].split("/")[0]
        assert name in encode_agent(agent), agent


# --- round trip ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("agent", CORPUS + EDGE_CASES, ids=lambda agent: agent[:48])
def test_every_agent_comes_back_exactly(agent: str) -> None:
    # WHEN the redirect encodes an agent and the aggregator decodes it
    encoded = encode_agent(agent)

    # THEN it is the agent as received, never longer than twice as long (every character a "~")
    assert decode_agent(encoded) == agent
    assert len(encoded) <= 2 * len(agent)


def test_an_agent_of_1000_characters_and_one_of_256_tildes_come_back_exactly() -> None:
    long_agent = (CHROME_DESKTOP + " ~ 小米 ") * 9
    assert len(long_agent[:1000]) == 1000

    assert decode_agent(encode_agent(long_agent[:1000])) == long_agent[:1000]
    assert encode_agent("~" * 256) == "~" * 512
    assert decode_agent("~" * 512) == "~" * 256


@given(st.text(max_size=300))
def test_any_string_comes_back_exactly(agent: str) -> None:
    assert decode_agent(encode_agent(agent)) == agent


# Strings made of what could confuse the scheme: escapes, index characters, phrases and their pieces.
_PIECES = st.sampled_from(
    [ESCAPE, ESCAPE * 2, *AGENT_INDEX, *AGENT_PHRASES, *(phrase[:5] for phrase in AGENT_PHRASES), " ", "é"]
)


@given(st.lists(_PIECES, max_size=40).map("".join))
def test_any_string_of_escapes_index_characters_and_phrases_comes_back_exactly(agent: str) -> None:
    assert decode_agent(encode_agent(agent)) == agent


def test_a_token_this_version_does_not_know_or_a_last_lone_escape_is_kept_as_written() -> None:
    # GIVEN text a newer redirect could write (a phrase appended at an index still free here), or a cut one
    unused = AGENT_INDEX[len(AGENT_PHRASES)]

    # WHEN it is decoded  THEN what this version cannot read stays as it is, and the rest is decoded
    assert decode_agent(f"~0131~{unused}") == AGENT_PHRASES[0] + f"131~{unused}"
    assert decode_agent("curl~") == "curl~"
    assert decode_agent("~Z~1") == "~Z" + AGENT_PHRASES[1]


# --- what it saves ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("agent", BROWSERS, ids=lambda agent: agent[:60])
def test_each_common_browsers_record_is_at_least_60_bytes_shorter(agent: str) -> None:
    # GIVEN a record of the bench's campaign mix (every browser and in-app agent of bench/analytics.py)
    fields = {"c": "AbC1234", "d": "sho.rt", "s": 302, "ref": "t.co", "ua": agent, "cc": "GB", "v": "8f3f3e5882ef4c13"}
    format_3 = json.dumps({"click": 3} | fields, separators=(",", ":")) + "\n"

    # WHEN the redirect writes it  THEN format 4 saves at least 60 bytes (66 for desktop Firefox, the least)
    assert len(format_3.encode()) - len(wire.line(fields).encode()) >= 60


def test_the_campaign_mixs_browsers_save_over_90_bytes_a_record_on_average() -> None:
    weights = [weight for _, weight in HUMAN_AGENTS]
    saved = [len(agent) - len(encode_agent(agent)) for agent in BROWSERS]

    assert sum(s * w for s, w in zip(saved, weights, strict=True)) / sum(weights) > 90
