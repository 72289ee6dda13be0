"""The click record's shape on the wire: one short JSON line per redirect request, in the redirect's log group.

Every redirect writes one, so its bytes are a cost per redirect (CloudWatch Logs ingestion and storage): the keys
are short, a field without a value is left out, and the line carries no EMF metric (metric filters on these records
count redirects, misses, 410s and 503s; template.yaml). Format 4 (``line``), e.g. a desktop Chrome's::

    {"click":4,"c":"AbC1234","d":"sho.rt","s":302,"ref":"news.example.com","ua":"~0131~1","cc":"GB",
     "v":"8f3f3e5882ef4c13"}

It leaves out what every log event already says or what nothing reads:

* no time: CloudWatch Logs stamps every log event with its own ``timestamp`` (ms), the moment Lambda took the line
  from stdout, and hands it to the aggregator with the message (handlers/analytics.py passes it to
  domain/clicks.py ``parse_click``);
* no method when it is ``GET``, nearly every request; a ``HEAD`` says so (``"m":"HEAD"``), since it is a preview;
* no request id: the aggregator never reads it (a batch is counted once by its log events' ids, not by its
  records'), and no query joins on it. A request is still found by its id in the API's access log, and its click
  record by its time, domain and code (docs/operations.md, "Click records").

Its user agent's boilerplate is written as short tokens (``encode_agent``): most of a browser's User-Agent is the
same few phrases on every line ("Mozilla/5.0 (", ") AppleWebKit/537.36 (KHTML, like Gecko) Chrome/", ".0.0.0
Safari/537.36", ...), about half a format 3 record's bytes. Each phrase of ``AGENT_PHRASES`` is written as ``~``
and one index character (``AGENT_INDEX``: the phrase's position), a ``~`` of the agent itself as ``~~``;
``decode_agent`` reads it back left to right, so any string comes back exactly. Bot names are never phrases, so
``filter ua like /Googlebot/`` still finds them.

Format 3 (``"click":3``, the user agent as it came), format 2 (``{"click":2,"t":<epoch seconds>,"id":<request id>,
"m":"GET",...}``, the same short keys) and format 1 (``"record":"click"`` and the long names in ``FORMAT_1_NAMES``)
are what the redirect wrote before; the aggregator reads all four, so records written during a deployment are
counted either way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

FORMAT = 4
FORMAT_3 = 3  # read, never written: the user agent as it came
FORMAT_2 = 2  # read, never written: records with their own time and request id
MARKER = "click"  # {"click": 4}: the subscription's and the metric filters' pattern ({ $.click >= 2 })

METHOD = "m"  # absent for GET (DEFAULT_METHOD)
CODE = "c"  # "" for a domain's root
DOMAIN = "d"
STATUS = "s"
REFERRER_HOST = "ref"  # only when the request had a Referer
USER_AGENT = "ua"  # only when it had a User-Agent; format 4 writes it encode_agent's way
COUNTRY = "cc"  # CloudFront-Viewer-Country, only when present
VISITOR = "v"  # only when the redirect held the day's secret
MISS = "miss"  # 1 on a redirect to a domain's not_found_url (an unknown code answered with a 302)
SOURCE = "src"  # "qr" for a QR code's scan (its marker taken out of the query); absent for any other request
DEFAULT_METHOD = "GET"

# Format 2's time, which format 3 leaves out (read, never written). Its request id ("id") is read by nothing.
TIMESTAMP = "t"  # epoch seconds, UTC, to the millisecond

# Format 1's names for the same fields (read, never written).
FORMAT_1_NAMES = {
    TIMESTAMP: "ts",
    METHOD: "method",
    CODE: "code",
    DOMAIN: "domain",
    STATUS: "status",
    REFERRER_HOST: "referrer_host",
    USER_AGENT: "user_agent",
    COUNTRY: "country",
    VISITOR: "visitor",
    MISS: "miss",
    SOURCE: "source",
}

_COMPACT = (",", ":")

# --- format 4's user agent ----------------------------------------------------------------------------------------
#
# APPEND ONLY. A record stores a phrase's position in this table, not the phrase: changing, removing or reordering an
# entry makes every record written before it decode to another user agent (tests/unit/test_click_format.py pins the
# table). A new phrase goes at the end, takes the next character of AGENT_INDEX, contains no "~", must not begin with
# a character of AGENT_INDEX (so that no phrase can start inside a token written before it: encode_agent replaces
# phrase after phrase), and is never a bot's name (operators filter on those: docs/operations.md "Click records").
# The phrases are what today's common agents share: desktop Chrome, Edge, Opera, Firefox and Safari; iOS Safari,
# Chrome and Firefox and the apps' in-app browsers (Facebook, Instagram, Android's WebView); Android Chrome with its
# reduced "Android 10; K" and Samsung Internet; and the "Mozilla/5.0 (compatible; " most crawlers begin with.
AGENT_PHRASES = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/",  # 0
    ".0.0.0 Safari/537.36",  # 1
    "Mozilla/5.0 (iPhone; CPU iPhone OS ",  # 2
    " like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ",  # 3
    "Version/",  # 4
    " Mobile/15E148 Safari/604.1",  # 5
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/",  # 6
    ".0.0.0 Mobile Safari/537.36",  # 7
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/",  # 8
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/",  # 9
    " Safari/605.1.15",  # a
    " Edg/",  # b
    "Mozilla/5.0 (Linux; Android ",  # c
    ") AppleWebKit/537.36 (KHTML, like Gecko) Chrome/",  # d
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:",  # e
    ") Gecko/20100101 Firefox/",  # f
    "Mozilla/5.0 (iPad; CPU OS ",  # g
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/",  # h
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:",  # i
    "Mozilla/5.0 (X11; Linux x86_64; rv:",  # j
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:",  # k
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/",  # l
    ") AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/",  # m
    " Chrome/",  # n
    "; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/",  # o: Android WebView (in-app browsers)
    " Mobile/15E148",  # p
    " CriOS/",  # q
    " FxiOS/",  # r
    " [FBAN/FBIOS;FBAV/",  # s
    ";FBBV/",  # t
    ";FBDV/iPhone",  # u
    ";FBMD/iPhone;FBSN/iOS;FBSV/",  # v
    ";FBLC/",  # w
    " Instagram ",  # x
    " [FB_IAB/FB4A;FBAV/",  # y
    " Build/",  # z
    " OPR/",  # !
    "Mozilla/5.0 (X11; CrOS x86_64 ",  # #
    " Mobile Safari/537.36",  # $
    " Safari/537.36",  # %
    "Mozilla/5.0 (compatible; ",  # &
    "Mozilla/5.0 (",  # *
    ") AppleWebKit/537.36 (KHTML, like Gecko) ",  # <
    ") AppleWebKit/605.1.15 (KHTML, like Gecko) ",  # =
    ".0.0.0",  # >
    " Mobile/",  # ?
    "Mozilla/5.0 (Android ",  # @: Firefox for Android
    "; Mobile; rv:",  # ^
    ") Gecko/",  # _
    " Firefox/",  # `
    "; +http://www.",  # {
    "; +https://",  # |
)
# The index characters, in order: ASCII, one byte in JSON, never "~", '"' or "\\", and no upper-case letter, space or
# the punctuation phrases begin with. Never reordered either; the last ones are still free.
AGENT_INDEX = "0123456789abcdefghijklmnopqrstuvwxyz!#$%&*<=>?@^_`{|}'"
ESCAPE = "~"
_ESCAPED = ESCAPE + ESCAPE
_TOKENS = {phrase: ESCAPE + index for phrase, index in zip(AGENT_PHRASES, AGENT_INDEX, strict=False)}
# Longest first: a phrase inside a longer one (" Safari/537.36") is replaced only where the longer one is not. The
# phrases that begin an agent ("Mozilla/5.0 (...") are tried at its start only, and the first that fits is the one.
_AGENT_START = "Mozilla/5.0 ("
_LONGEST_FIRST = sorted(_TOKENS.items(), key=lambda item: len(item[0]), reverse=True)
_STARTS = tuple((phrase, token) for phrase, token in _LONGEST_FIRST if phrase.startswith(_AGENT_START))
_ANYWHERE = tuple((phrase, token) for phrase, token in _LONGEST_FIRST if not phrase.startswith(_AGENT_START))
_DECODING = {token[1]: phrase for phrase, token in _TOKENS.items()} | {ESCAPE: ESCAPE}


def encode_agent(agent: str) -> str:
    """``agent`` as format 4 writes it: each ``~`` doubled, then the longest phrase of ``AGENT_PHRASES`` that
    begins it and every other phrase, longest first, replaced by its token. No regex (nothing to compile at cold
    start): about 30 ``str.replace`` and a few ``startswith``, under 2 us an agent (docs/benchmarks.md). Exact for
    any string because no phrase holds a ``~`` or begins with an index character, so no phrase can match across a
    token written before it."""
    text = agent.replace(ESCAPE, _ESCAPED)
    if text.startswith(_AGENT_START):
        for phrase, token in _STARTS:
            if text.startswith(phrase):
                text = token + text[len(phrase) :]
                break
    for phrase, token in _ANYWHERE:
        text = text.replace(phrase, token)
    return text


def decode_agent(text: str) -> str:
    """The user agent ``encode_agent`` wrote as ``text``, read left to right: ``~~`` is a ``~``, ``~`` and an index
    character its phrase. A ``~`` before a character this version does not know (a phrase appended by a newer
    redirect, read during a deployment) or at the very end is kept as it is."""
    start = text.find(ESCAPE)
    if start < 0:
        return text
    parts = [text[:start]]
    end = len(text)
    while start >= 0:
        phrase = _DECODING.get(text[start + 1 : start + 2])
        if phrase is None:
            parts.append(ESCAPE)
            following = start + 1
        else:
            parts.append(phrase)
            following = start + 2
        start = text.find(ESCAPE, following)
        parts.append(text[following : end if start < 0 else start])
    return "".join(parts)


def agent_tokens() -> list[tuple[str, str]]:
    """Each token of ``AGENT_PHRASES`` with its phrase, in the table's order (``shortlinks clicks tokens``)."""
    return [(token, phrase) for phrase, token in _TOKENS.items()]


def format_3_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A format 4 record (parsed JSON) as the same record in format 3: its agent decoded, its marker 3; any other
    record as it is (``shortlinks clicks decode``)."""
    if record.get(MARKER) != FORMAT or type(record.get(MARKER)) is not int:
        return dict(record)
    as_format_3 = dict(record)
    as_format_3[MARKER] = FORMAT_3
    agent = record.get(USER_AGENT)
    if isinstance(agent, str):
        as_format_3[USER_AGENT] = decode_agent(agent)
    return as_format_3


def line(fields: Mapping[str, Any]) -> str:
    """One request's click record in format 4, as the line the redirect writes (with its newline): ``fields`` by
    their short keys above, those whose value is ``None`` left out, the method too when it is ``GET``, and the user
    agent written ``encode_agent``'s way.

    It runs on every redirect: one dict, the agent's replacements and one ``json.dumps``."""
    record: dict[str, Any] = {MARKER: FORMAT}
    record.update((name, value) for name, value in fields.items() if value is not None)
    if record.get(METHOD) == DEFAULT_METHOD:
        del record[METHOD]
    agent = record.get(USER_AGENT)
    if isinstance(agent, str):
        record[USER_AGENT] = encode_agent(agent)
    return json.dumps(record, separators=_COMPACT) + "\n"
