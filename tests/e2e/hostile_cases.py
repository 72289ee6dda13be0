"""The hostile input corpus (issue 8, section 5) as data: requests every route must refuse, each with its answer.

A case is one request and the answer it must get, written ``case(id, "METHOD /path", "STATUS code", body)``:
``"422 validation_error"`` is the service's JSON error with that code, ``"404 gateway"`` API Gateway's own
``{"message": ...}``. Paths, header values and bodies may hold placeholders that ``test_hostile_input.py`` fills in
from the objects its fixtures made, so the data needs no running server:

``$LINK``         an active link of the admin's on the default domain (127.0.0.1); ``$UPPER_LINK`` its code in
                  upper case (another code: codes are case-sensitive)
``$GONE``         a deleted link (a tombstone); ``$OFF`` a disabled one; ``$EXPIRED`` an expired one
``$PORT``         the local server's port: its short domain is 127.0.0.1, its base URL http://127.0.0.1:$PORT
``$ADMIN_KEY``    the admin's key; ``$MEMBER_KEY`` a member's; ``$REVOKED_KEY`` a revoked member key
``$ADMIN_ID``     the admin key's ``key_id``; ``$MEMBER_ID`` the member key's

``LOCKED`` is a short domain the fixtures register with ``allowed_keys`` naming no real key, so no member may
create links on it; ``FRESH`` is a host no case may ever register (every PUT on it must be refused).

Expected answers follow docs/api.md, as issue 8 (section 4) amends it. Where the docs are silent, a comment says
which answer a careful API user would expect and why.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from tests.domain_settings import DOMAIN_DEFAULTS

Auth = Literal["admin", "member", "none"]
# error: the service's JSON error; gateway: API Gateway's own {"message"} answer; html: the redirect's error page;
# head: a HEAD answer (no body); bulk: a bulk create answered 200 with every item refused.
Answer = Literal["error", "gateway", "html", "head", "bulk"]
Headers = tuple[tuple[str, str | bytes], ...]


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()  # no JSON body


@dataclass(frozen=True, slots=True)
class HostileCase:
    id: str
    method: str
    path: str
    status: int
    code: str | None  # the error code; None for API Gateway's own answers
    body: object = field(default=ABSENT, repr=False)  # a JSON value, sent as application/json
    raw: bytes | None = field(default=None, repr=False)  # bytes sent exactly as they are
    headers: Headers = ()
    auth: Auth = "admin"
    answer: Answer = "error"
    detail: str | None = None  # validation_error: a field its ``details`` must name (or a part of, "tags.0")
    items: tuple[tuple[int, str], ...] = ()  # bulk: every item's (status, code), in order


LOCKED = "hostile-locked.example"
FRESH = "hostile-fresh.example"
NOBODY_KEY_ID = "key_NobodyAtAll1"  # well-formed, names no key: LOCKED admits no member
UNKNOWN_KEY = "sl_" + "Q" * 43  # well-formed, names no key
GOOD_URL = "https://example.org/hostile"
OWN = "http://127.0.0.1:$PORT"  # the local server's base URL: its short domain is 127.0.0.1
NOPE = "hostile-nope-zz9"  # a code no link has
SINGLE_LIMIT = 16 * 1024
BULK_LIMIT = 512_000
GATEWAY_LIMIT = 10 * 1024 * 1024

FULL_DOMAIN: Final[dict[str, Any]] = DOMAIN_DEFAULTS  # PUT replaces every setting (issue 8)


def case(id: str, request: str, expect: str, body: object = ABSENT, **more: Any) -> HostileCase:
    """``request``: ``"METHOD /path"``; ``expect``: ``"STATUS code"``, or ``"STATUS gateway"`` for API Gateway's own
    answer, or ``"200 bulk"`` for a bulk answer whose items are all refused."""
    method, _, path = request.partition(" ")
    status, _, code = expect.partition(" ")
    if code in ("gateway", "bulk"):
        return HostileCase(id, method, path, int(status), None, body, **{"answer": code, **more})
    return HostileCase(id, method, path, int(status), code, body, **more)


def header(name: str, value: str | bytes) -> Headers:
    return ((name, value),)


def sized(prefix: bytes, suffix: bytes, total: int) -> bytes:
    """``prefix`` + filler + ``suffix``, exactly ``total`` bytes long."""
    return prefix + b"a" * (total - len(prefix) - len(suffix)) + suffix


def cursor(value: object) -> str:
    """A cursor as the listing writes one: URL-safe base64 of JSON, without padding."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


BASIC = header("Authorization", "Basic YWRtaW46YWRtaW4=")
REVOKED = header("Authorization", "Bearer $REVOKED_KEY")
UNKNOWN = header("X-API-Key", UNKNOWN_KEY)
PLAIN_TEXT = header("Content-Type", "text/plain")

# --- Authentication: key header junk, on every kind of route (docs/api.md, Authentication) -------------------------

_JUNK_AUTH: list[tuple[str, Headers]] = [
    ("bearer-without-key", header("Authorization", "Bearer")),
    ("basic-scheme", BASIC),
    ("token-scheme", header("Authorization", "Token $ADMIN_KEY")),
    ("key-without-scheme", header("Authorization", "$ADMIN_KEY")),
    ("bearer-key-and-more", header("Authorization", "Bearer $ADMIN_KEY extra")),
    ("bearer-key-with-suffix", header("Authorization", "Bearer $ADMIN_KEYx")),
    ("bearer-truncated-key", header("Authorization", "Bearer sl_short")),
    ("bearer-unknown-key", header("Authorization", f"Bearer {UNKNOWN_KEY}")),
    ("bearer-revoked-key", REVOKED),
    ("bearer-non-ascii-key", header("Authorization", b"Bearer sl_" + "ü".encode() * 43)),
    ("bearer-upper-case-key", header("Authorization", "Bearer SL_" + "Q" * 43)),
    ("x-api-key-empty", header("X-API-Key", "")),
    ("x-api-key-sql", header("X-API-Key", "' OR 1=1 --")),
    ("x-api-key-unknown", UNKNOWN),
    ("two-headers-two-keys", (("Authorization", "Bearer $ADMIN_KEY"), ("X-API-Key", "$MEMBER_KEY"))),
    ("basic-and-a-valid-x-api-key", (*BASIC, ("X-API-Key", "$ADMIN_KEY"))),
    ("authorization-twice", (("Authorization", "Bearer $ADMIN_KEY"), ("Authorization", "Bearer $ADMIN_KEY"))),
    ("key-in-a-cookie", header("Cookie", "key=$MEMBER_KEY")),
]

AUTH_CASES = [
    *[case(f"auth/{name}", "GET /v1/links", "401 unauthorized", auth="none", headers=h) for name, h in _JUNK_AUTH],
    case("auth/none/list-links", "GET /v1/links", "401 unauthorized", auth="none"),
    # a member's key, not the admin's: the access log prints the query, and test_keys.py checks that the admin key
    # appears in the server's output only where the banner prints it
    case("auth/key-in-the-query", "GET /v1/links?api_key=$MEMBER_KEY", "401 unauthorized", auth="none"),
    case("auth/none/create", "POST /v1/links", "401 unauthorized", {"url": GOOD_URL}, auth="none"),
    case("auth/basic/create", "POST /v1/links", "401 unauthorized", {"url": GOOD_URL}, auth="none", headers=BASIC),
    case("auth/revoked/create", "POST /v1/links", "401 unauthorized", {"url": GOOD_URL}, auth="none", headers=REVOKED),
    case("auth/none/bulk", "POST /v1/links/bulk", "401 unauthorized", {"links": [{"url": GOOD_URL}]}, auth="none"),
    case("auth/unknown/bulk", "POST /v1/links/bulk", "401 unauthorized", {"links": []}, auth="none", headers=UNKNOWN),
    case("auth/none/read-link", "GET /v1/links/$LINK", "401 unauthorized", auth="none"),
    case("auth/none/patch-link", "PATCH /v1/links/$LINK", "401 unauthorized", {"title": "x"}, auth="none"),
    case("auth/revoked/patch-link", "PATCH /v1/links/$LINK", "401 unauthorized", {}, auth="none", headers=REVOKED),
    case("auth/none/delete-link", "DELETE /v1/links/$LINK", "401 unauthorized", auth="none"),
    case("auth/basic/delete-link", "DELETE /v1/links/$LINK", "401 unauthorized", auth="none", headers=BASIC),
    case("auth/none/history", "GET /v1/links/$LINK/history", "401 unauthorized", auth="none"),
    case("auth/none/create-key", "POST /v1/keys", "401 unauthorized", {"name": "x", "role": "admin"}, auth="none"),
    case("auth/basic/create-key", "POST /v1/keys", "401 unauthorized", {"name": "x"}, auth="none", headers=BASIC),
    case("auth/none/list-keys", "GET /v1/keys", "401 unauthorized", auth="none"),
    case("auth/none/revoke-key", "DELETE /v1/keys/$MEMBER_ID", "401 unauthorized", auth="none"),
    case("auth/revoked/revoke-key", "DELETE /v1/keys/$MEMBER_ID", "401 unauthorized", auth="none", headers=REVOKED),
    case("auth/none/list-domains", "GET /v1/domains", "401 unauthorized", auth="none"),
    case("auth/none/read-domain", f"GET /v1/domains/{LOCKED}", "401 unauthorized", auth="none"),
    case("auth/none/put-domain", f"PUT /v1/domains/{FRESH}", "401 unauthorized", FULL_DOMAIN, auth="none"),
    case("auth/unknown/put-domain", f"PUT /v1/domains/{FRESH}", "401 unauthorized", {}, auth="none", headers=UNKNOWN),
    case("auth/none/delete-domain", f"DELETE /v1/domains/{LOCKED}", "401 unauthorized", auth="none"),
    case("auth/none/patch-domain", f"PATCH /v1/domains/{LOCKED}", "401 unauthorized", {}, auth="none"),
    # expand works without a key, but a key that is sent must be valid, never the public view
    case("auth/basic/expand", "GET /v1/expand?code=$LINK", "401 unauthorized", auth="none", headers=BASIC),
    case("auth/unknown/expand", "GET /v1/expand?code=$LINK", "401 unauthorized", auth="none", headers=UNKNOWN),
    case("auth/revoked/expand", "GET /v1/expand?code=$LINK", "401 unauthorized", auth="none", headers=REVOKED),
    case(
        "auth/empty-key/expand",
        "GET /v1/expand?code=$LINK",
        "401 unauthorized",
        auth="none",
        headers=header("X-API-Key", ""),
    ),
    # the key is checked before anything else in the request
    case(
        "auth/none/before-media-type", "POST /v1/links", "401 unauthorized", auth="none", raw=b"x", headers=PLAIN_TEXT
    ),
    case("auth/none/before-syntax", "POST /v1/links", "401 unauthorized", auth="none", raw=b"{"),
    # a valid key without the role: 403, also before the body is read
    case("auth/member/create-key", "POST /v1/keys", "403 forbidden", {"name": "x", "role": "admin"}, auth="member"),
    case("auth/member/create-key-malformed", "POST /v1/keys", "403 forbidden", auth="member", raw=b"{"),
    case("auth/member/list-keys", "GET /v1/keys", "403 forbidden", auth="member"),
    case("auth/member/revoke-admin", "DELETE /v1/keys/$ADMIN_ID", "403 forbidden", auth="member"),
    case("auth/member/revoke-itself", "DELETE /v1/keys/$MEMBER_ID", "403 forbidden", auth="member"),
    case("auth/member/list-domains", "GET /v1/domains", "403 forbidden", auth="member"),
    case("auth/member/read-domain", f"GET /v1/domains/{LOCKED}", "403 forbidden", auth="member"),
    case("auth/member/put-domain", f"PUT /v1/domains/{FRESH}", "403 forbidden", FULL_DOMAIN, auth="member"),
    case(
        "auth/member/patch-domain",
        f"PATCH /v1/domains/{LOCKED}",
        "403 forbidden",
        {"allowed_keys": None},
        auth="member",
    ),
    case("auth/member/put-bad-domain", "PUT /v1/domains/exa%20mple.org", "403 forbidden", FULL_DOMAIN, auth="member"),
    case("auth/member/delete-domain", f"DELETE /v1/domains/{LOCKED}?force=true", "403 forbidden", auth="member"),
    case("auth/member/list-everyones", "GET /v1/links?owner=*", "403 forbidden", auth="member"),
    case("auth/member/list-the-admins", "GET /v1/links?owner=$ADMIN_ID", "403 forbidden", auth="member"),
    # a member is told another key's link does not exist
    case("auth/member/read-admins-link", "GET /v1/links/$LINK", "404 not_found", auth="member"),
    case("auth/member/patch-admins-link", "PATCH /v1/links/$LINK", "404 not_found", {"title": "x"}, auth="member"),
    case("auth/member/delete-admins-link", "DELETE /v1/links/$LINK", "404 not_found", auth="member"),
    case("auth/member/history-admins-link", "GET /v1/links/$LINK/history", "404 not_found", auth="member"),
]

# --- POST /v1/links: media type, size, syntax ------------------------------------------------------------------------


def create(id: str, body: object, expect: str, **more: Any) -> HostileCase:
    return case(f"create/{id}", "POST /v1/links", expect, body, **more)


_TOO_BIG_SINGLE = sized(b'{"url":"https://example.org/","title":"', b'"}', SINGLE_LIMIT + 1)
_MEDIA_TYPES = [
    ("text-plain", "text/plain"),
    ("form", "application/x-www-form-urlencoded"),
    ("multipart", "multipart/form-data; boundary=x"),
    ("text-json", "text/json"),
    ("jsonp", "application/jsonp"),
    ("xml", "application/xml"),
    ("javascript", "application/javascript"),
    ("html", "text/html"),
    ("garbage", "}{"),
]
_BAD_SYNTAX = [
    ("empty", b""),
    ("whitespace-only", b" \r\n\t "),
    ("open-brace", b"{"),
    ("trailing-comma", b'{"url":"https://example.org/",}'),
    ("single-quotes", b"{'url':'https://example.org/'}"),
    ("unquoted-key", b'{url:"https://example.org/"}'),
    ("comment", b'{"url":"https://example.org/"} // hi'),
    ("two-objects", b'{"url":"https://example.org/"}{"url":"https://example.org/"}'),
    ("array", b'[{"url":"https://example.org/"}]'),
    ("string", b'"https://example.org/"'),
    ("number", b"42"),
    ("null", b"null"),
    ("true", b"true"),
    ("form-encoded", b"url=https%3A%2F%2Fexample.org%2F"),
    ("invalid-utf8", b'{"url":"https://example.org/\xff\xfe"}'),
    ("utf8-bom", b'\xef\xbb\xbf{"url":"https://example.org/"}'),
    ("nul-byte", b'{"url":"https://example.org/"}\x00'),
    ("lone-surrogate-escape", b'{"url":"https://example.org/\\ud800"}'),
    ("bad-escape", b'{"url":"https://example.org/\\x41"}'),
    ("deeply-nested", b'{"url":' + b"[" * 5000 + b"]" * 5000 + b"}"),
    # NaN and Infinity are not JSON (RFC 8259), and docs/api.md answers invalid JSON with 400 malformed_json
    ("nan-literal", b'{"url":"javascript:x","redirect_type":NaN}'),
    ("infinity-literal", b'{"url":"javascript:x","redirect_type":Infinity}'),
]

CREATE_BODY_CASES = [
    *[
        create(f"media-type/{name}", {"url": GOOD_URL}, "415 unsupported_media_type", headers=header("Content-Type", t))
        for name, t in _MEDIA_TYPES
    ],
    create("size/one-byte-over-16kib", ABSENT, "413 payload_too_large", raw=_TOO_BIG_SINGLE),
    # exactly 16 KiB is within the limit: the oversized url inside is then a field error
    create(
        "size/exactly-16kib",
        ABSENT,
        "422 validation_error",
        detail="url",
        raw=sized(b'{"url":"javascript:', b'"}', SINGLE_LIMIT),
    ),
    # the limit counts bytes of UTF-8, not characters: 8,200 "é" are 16,400 bytes
    create(
        "size/16kib-of-utf8-bytes",
        ABSENT,
        "413 payload_too_large",
        raw=('{"url":"https://example.org/","title":"' + "é" * 8200 + '"}').encode(),
    ),
    create("size/100kib", ABSENT, "413 payload_too_large", raw=b'{"url":"' + b"a" * 100_000 + b'"}'),
    *[create(f"syntax/{name}", ABSENT, "400 malformed_json", raw=raw) for name, raw in _BAD_SYNTAX],
]

# --- POST /v1/links: field shapes (strict, unknown fields refused) ----------------------------------------------------

_WRONG_TYPES: list[tuple[str, str, object]] = [
    ("url", "number", 123),
    ("url", "true", True),
    ("url", "null", None),
    ("url", "array", [GOOD_URL]),
    ("url", "object", {"href": GOOD_URL}),
    ("alias", "number", 12345),
    ("alias", "true", True),
    ("alias", "array", ["abc"]),
    ("alias", "object", {}),
    ("redirect_type", "string", "302"),
    ("redirect_type", "fraction", 302.5),
    ("redirect_type", "true", True),
    ("redirect_type", "null", None),
    ("redirect_type", "array", [302]),
    ("redirect_type", "zero", 0),
    ("redirect_type", "negative", -302),
    ("redirect_type", "200", 200),
    ("redirect_type", "300", 300),
    ("redirect_type", "303", 303),
    ("redirect_type", "304", 304),
    ("redirect_type", "huge", 10**30),
    ("forward_query", "string", "true"),
    ("forward_query", "one", 1),
    ("forward_query", "zero", 0),
    ("forward_query", "null", None),
    ("reuse", "string", "yes"),
    ("reuse", "one", 1),
    ("reuse", "null", None),
    ("expires_at", "number", 1893456000),
    ("expires_at", "true", True),
    ("expires_at", "array", ["2030-01-01T00:00:00Z"]),
    ("expires_at", "object", {"$date": "2030-01-01T00:00:00Z"}),
    ("expires_at", "bare-date", "2030-01-01"),
    ("expires_at", "no-offset", "2030-01-01T00:00:00"),
    ("expires_at", "words", "tomorrow"),
    ("expires_at", "empty", ""),
    ("expires_at", "month-13", "2030-13-01T00:00:00Z"),
    ("expires_at", "february-30", "2030-02-30T00:00:00Z"),
    ("expires_at", "hour-25", "2030-01-01T25:00:00Z"),
    ("expires_at", "offset-24h", "2030-01-01T00:00:00+24:00"),
    ("expires_at", "duration", "P1D"),
    # a string of digits is a number in disguise, not RFC 3339 (docs: "a number gets validation_error")
    ("expires_at", "digit-string", "1893456000"),
    ("title", "number", 42),
    ("title", "array", ["x"]),
    ("title", "too-long", "x" * 201),
    ("title", "newline", "a\nb"),
    ("title", "nul", "a\u0000b"),
    ("title", "escape-sequence", "\u001b[31mred"),
    ("title", "delete-char", "a\u007fb"),
    ("tags", "string", "spring"),
    ("tags", "object", {"spring": True}),
    ("tags", "null", None),
    ("tags", "number-item", [1]),
    ("tags", "null-item", [None]),
    ("tags", "nested-item", [["spring"]]),
    ("tags", "21-items", [f"t{i}" for i in range(21)]),
    ("tags", "65-char-item", ["t" * 65]),
    ("domain", "number", 127001),
    ("domain", "array", ["127.0.0.1"]),
    ("domain", "too-long", "a" * 254),
]
_UNKNOWN_FIELDS = ["colour", "owner", "code", "version", "status", "created_at", "short_url", "disabled", "URL"]
_UNKNOWN_FIELDS += ["Url", "__proto__", "", "key", "domain ", "expires"]

CREATE_FIELD_CASES = [
    # with a hostile URL beside the wrong field: should the shape slip through, nothing is created (shapes come first)
    *[
        create(f"type/{name}/{kind}", {"url": "javascript:x", name: value}, "422 validation_error", detail=name)
        for name, kind, value in _WRONG_TYPES
    ],
    *[
        create(f"unknown-field/{name or 'empty-name'}", {"url": GOOD_URL, name: "x"}, "422 validation_error")
        for name in _UNKNOWN_FIELDS
    ],
    create("missing/url", {}, "422 validation_error", detail="url"),
    create("missing/url-beside-alias", {"alias": "hostile-alias"}, "422 validation_error", detail="url"),
    create("url/over-8192", {"url": "https://example.org/" + "a" * 8200}, "422 validation_error", detail="url"),
    create("alias/over-256", {"url": GOOD_URL, "alias": "a" * 257}, "422 validation_error", detail="alias"),
]

# --- POST /v1/links: destination URL rules (docs/api.md, Destination URL rules) ---------------------------------------

_SCHEMES = [
    ("javascript", "javascript:alert(document.cookie)"),
    ("javascript-upper", "JAVASCRIPT:alert(1)"),
    ("javascript-mixed-case", "JaVaScRiPt:alert(1)"),
    ("javascript-leading-space", " javascript:alert(1)"),
    ("javascript-slashes", "javascript://example.org/%0Aalert(1)"),
    ("data-html", "data:text/html,<script>alert(1)</script>"),
    ("data-base64", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="),
    ("file", "file:///etc/passwd"),
    ("file-host", "file://localhost/etc/passwd"),
    ("ftp", "ftp://example.org/file.txt"),
    ("vbscript", "vbscript:msgbox(1)"),
    ("mailto", "mailto:someone@example.org"),
    ("tel", "tel:+15555550100"),
    ("blob", "blob:https://example.org/0b7e1f58"),
    ("about", "about:blank"),
    ("ws", "ws://example.org/socket"),
    ("gopher", "gopher://example.org/"),
    ("intent", "intent://example.org#Intent;scheme=https;end"),
    ("chrome", "chrome://settings"),
    ("https-lookalike", "httpss://example.org/"),
]
_INVALID_URLS = [
    # rule 1: empty, whitespace, control and invisible characters
    ("empty", ""),
    ("spaces-only", "   "),
    ("whitespace-only", "\t\r\n"),
    ("inner-space", "https://example.org/a b"),
    ("inner-tab", "https://example.org/a\tb"),
    ("crlf-header-injection", "https://example.org/\r\nSet-Cookie: a=b"),
    ("nul", "https://example.org/\u0000"),
    ("c1-control", "https://example.org/\u0085"),
    ("nbsp", "https://example.org/\u00a0"),
    ("zero-width-space", "https://example.org/\u200b"),
    ("zero-width-joiner-in-host", "https://exa\u200dmple.org/"),
    ("right-to-left-override", "https://example.org/\u202egpj.exe"),
    ("byte-order-mark", "https://example.org/\ufeff"),
    ("ideographic-space", "https://example.org/\u3000"),
    ("tab-inside-scheme", "java\tscript:alert(1)"),
    # rule 3: relative, scheme-relative, no host
    ("no-scheme", "example.org/path"),
    ("scheme-relative", "//example.org/path"),
    ("path-only", "/relative/path"),
    ("no-slashes", "https:example.org"),
    ("one-slash", "http:/example.org"),
    ("scheme-only", "https://"),
    ("no-host-path", "https:///path"),
    ("port-without-host", "https://:443/"),
    # rule 4: backslashes (browsers read them as /)
    ("backslash-before-at", "https://example.org\\@evil.example/"),
    ("backslash-after-scheme", "https:\\\\evil.example"),
    ("backslash-traversal", "https://example.org/a\\..\\b"),
    # rule 5: hosts
    ("percent-in-host", "https://ex%61mple.org/"),
    ("percent-at-in-host", "https://bank.example%40evil.example/"),
    ("percent-dot-in-host", "https://evil%2eexample/"),
    ("space-in-host", "https://exa mple.org/"),
    ("empty-label", "https://a..b/"),
    ("leading-dot", "https://.example.org/"),
    ("leading-hyphen", "https://-bad.example/"),
    ("trailing-hyphen", "https://bad-.example/"),
    ("label-64-chars", "https://" + "a" * 64 + ".example/"),
    ("host-over-253", "https://" + ".".join(["a" * 63] * 4) + ".example/"),
    ("dollar-in-host", "https://exa$mple.org/"),
    ("angle-in-host", "https://exa<mple.org/"),
    ("idn-label-too-long", "https://" + "ü" * 60 + ".example/"),
    ("ideographic-full-stops", "https://exa\u3002\u3002mple/"),
    ("punycode-prefix-only", "https://xn--/"),
    ("port-too-big", "https://example.org:99999/"),
    ("port-zero", "https://example.org:0/"),
    ("port-negative", "https://example.org:-1/"),
    ("port-letters", "https://example.org:80a/"),
    ("port-empty", "https://example.org:/"),
    ("ipv6-unclosed", "https://[::1/"),
    ("ipv6-garbage", "https://[zz::1]/"),
    ("ipv6-nine-groups", "https://[1:2:3:4:5:6:7:8:9]/"),
    # issue 8, section 4: a zone identifier is not part of an http URL's host ("%" in the host is refused)
    ("ipv6-zone-id", "http://[fe80::1%25eth0]/"),
    ("ipv6-raw-zone-id", "http://[fe80::1%eth0]/"),
]
_CREDENTIALS = [
    ("user-and-password", "https://user:pw@example.org/"),
    ("user-only", "https://user@example.org/"),
    ("bank-lookalike", "https://bank.example@evil.example"),
    ("empty-userinfo", "https://@evil.example/"),
    ("colon-only-userinfo", "https://:@evil.example/"),
    ("userinfo-with-port", "https://bank.example:443@evil.example/"),
]
# Rule 7, our own hosts. The short domain is 127.0.0.1, compared without a port (docs/api.md: hosts are compared
# "lower case and without a port"), so any port on it still reaches us. Issue 8, section 4: every spelling of
# 127.0.0.1 that a browser accepts is that host too.
_LOOPS = [
    ("own-base-url", f"{OWN}/abc"),
    ("own-host-no-port", "http://127.0.0.1/"),
    ("own-host-other-port", "https://127.0.0.1:1/x"),
    ("own-host-trailing-dot", "http://127.0.0.1./x"),
    ("own-host-upper-scheme", "HTTP://127.0.0.1/x"),
    ("own-host-with-query", f"{OWN}/?next={OWN}/"),
    ("own-host-short-form", "http://127.1/"),
    ("own-host-three-parts", "http://127.0.1/"),
    ("own-host-decimal", "http://2130706433/"),
    ("own-host-hex", "http://0x7f000001/"),
    ("own-host-hex-upper", "http://0X7F000001/"),
    ("own-host-hex-dotted", "http://0x7f.0.0.1/"),
    ("own-host-octal", "http://0177.0.0.1/"),
    ("own-host-octal-whole", "http://017700000001/"),
    ("own-host-zero-padded", "http://127.000.000.001/"),
    ("own-host-ipv4-mapped", "http://[::ffff:127.0.0.1]/"),
    ("own-host-ipv4-mapped-hex", "http://[::ffff:7f00:1]/"),
    ("registered-domain", f"https://{LOCKED}/x"),
    ("registered-domain-upper-dot", f"https://{LOCKED.upper()}./x"),
]

CREATE_URL_CASES = [
    *[create(f"url/scheme/{name}", {"url": url}, "422 unsupported_scheme") for name, url in _SCHEMES],
    *[create(f"url/invalid/{name}", {"url": url}, "422 invalid_url") for name, url in _INVALID_URLS],
    *[create(f"url/credentials/{name}", {"url": url}, "422 url_has_credentials") for name, url in _CREDENTIALS],
    *[create(f"url/loop/{name}", {"url": url}, "422 url_is_short_link") for name, url in _LOOPS],
    # the host the request arrived on is one of our own hosts too
    create(
        "url/loop/request-host",
        {"url": "https://api.hostile.example/x"},
        "422 url_is_short_link",
        headers=header("Host", "api.hostile.example"),
    ),
    create("url/too-long/2049", {"url": "https://example.org/" + "a" * 2029}, "422 url_too_long"),
    create("url/too-long/4000", {"url": "https://example.org/?q=" + "a" * 4000}, "422 url_too_long"),
    # 1,020 characters as sent, 6,020 once every "ü" is percent-encoded
    create("url/too-long/after-normalisation", {"url": "https://example.org/" + "ü" * 1000}, "422 url_too_long"),
    # the length rule comes before the scheme rule
    create("url/too-long/javascript", {"url": "javascript:" + "a" * 2100}, "422 url_too_long"),
]

# --- POST /v1/links: alias, expiry, tags ----------------------------------------------------------------------------

_BAD_ALIASES = [
    ("empty", ""),
    ("one-char", "a"),
    ("two-chars", "ab"),
    ("reserved-but-short", "v1"),  # too short before it is reserved
    ("65-chars", "a" * 65),
    ("space", "my alias"),
    ("slash", "a/b"),
    ("dot-dot", ".."),
    ("traversal", "../../etc/passwd"),
    ("percent-encoded-dots", "%2e%2e"),
    ("nul", "abc\u0000"),
    ("trailing-newline", "abc\n"),
    ("tab", "ab\tc"),
    ("dots", "a.b.c"),
    ("semicolon", "abc;rm"),
    ("question-mark", "abc?x=1"),
    ("hash", "abc#top"),
    ("markup", "<script>"),
    ("non-ascii", "ünïcode"),
    ("fullwidth", "\uff41\uff42\uff43"),
    ("emoji", "abc\U0001f600"),
    ("plus", "a+b"),
    ("reserved-with-a-dot", "favicon.ico"),  # malformed before reserved: "." is not an alias character
]
_RESERVED = ["admin", "ADMIN", "Admin", "apis", "STATUS", "api", "links", "expand", "keys", "domains", "null"]
_RESERVED += ["undefined", "index", "healthz", "login", "static", "www"]
_PAST_OR_FAR = [
    ("past", "2000-01-01T00:00:00Z"),
    ("epoch", "1970-01-01T00:00:00Z"),
    ("past-with-offset", "2001-01-01T00:00:00+14:00"),
    ("over-100-years", "2999-01-01T00:00:00Z"),
    ("year-9999", "9999-12-31T23:59:59Z"),
]
_BAD_TAGS = [
    ("upper-case", ["Spring"]),
    ("empty", [""]),
    ("leading-hyphen", ["-lead"]),
    ("leading-underscore", ["_lead"]),
    ("space", ["a b"]),
    ("slash", ["a/b"]),
    ("non-ascii", ["ünï"]),
    ("51-chars", ["t" * 51]),
    ("one-bad-among-good", ["good", "b@d"]),
    ("newline", ["tag\n"]),
]

CREATE_RULE_CASES = [
    *[create(f"alias/{name}", {"url": GOOD_URL, "alias": alias}, "422 invalid_alias") for name, alias in _BAD_ALIASES],
    *[create(f"alias/reserved-{word}", {"url": GOOD_URL, "alias": word}, "422 alias_reserved") for word in _RESERVED],
    create("alias/taken", {"url": GOOD_URL, "alias": "$LINK"}, "409 code_taken"),
    create("alias/taken-by-a-tombstone", {"url": GOOD_URL, "alias": "$GONE"}, "409 code_taken"),
    *[
        create(f"expires-at/{name}", {"url": GOOD_URL, "expires_at": at}, "422 invalid_expires_at")
        for name, at in _PAST_OR_FAR
    ],
    *[create(f"tags/{name}", {"url": GOOD_URL, "tags": tags}, "422 invalid_tags") for name, tags in _BAD_TAGS],
]

# --- POST /v1/links: domain, validation order, Idempotency-Key ------------------------------------------------------

# a domain that is not a host name is 422 invalid_domain (issue 8, section 4: these answered 500)
_MALFORMED_DOMAINS = [
    ("with-port", "127.0.0.1:$PORT"),
    ("url", "http://127.0.0.1"),
    ("empty", ""),
    ("space", "exa mple.org"),
    ("empty-label", "a..b"),
    ("dots-only", ".."),
    ("path", "127.0.0.1/../x"),
    ("userinfo", "user@127.0.0.1"),
    ("nul", "127.0.0.1\u0000"),
    ("ipv6-literal", "[::1]"),
    ("percent", "exa%6dple.org"),
    ("label-64", "a" * 64 + ".example"),
    ("leading-hyphen", "-bad.example"),
    ("backslash", "127.0.0.1\\x"),
    ("punycode-prefix-only", "xn--"),
    # invisible characters are refused in URLs (rule 1), not mapped away: these would name 127.0.0.1
    ("zero-width-space", "127.0.0.1\u200b"),
    ("byte-order-mark", "\ufeff127.0.0.1"),
]
_KEY = "Idempotency-Key"

CREATE_DOMAIN_CASES = [
    create("domain/unregistered", {"url": GOOD_URL, "domain": "nope.example"}, "404 unknown_domain"),
    create("domain/member-on-locked", {"url": GOOD_URL, "domain": LOCKED}, "403 domain_not_allowed", auth="member"),
    create(
        "domain/member-on-locked-spelt-otherwise",
        {"url": GOOD_URL, "domain": LOCKED.upper() + "."},
        "403 domain_not_allowed",
        auth="member",
    ),
    *[
        create(f"domain/malformed-{name}", {"url": GOOD_URL, "domain": domain}, "422 invalid_domain")
        for name, domain in _MALFORMED_DOMAINS
    ],
    # the steps run in order and the first failing one answers (docs/api.md, POST /v1/links)
    create("order/shape-before-domain", {"url": 1, "domain": "nope.example"}, "422 validation_error"),
    create("order/domain-before-url", {"url": "javascript:x", "domain": "nope.example"}, "404 unknown_domain"),
    create(
        "order/url-before-expiry",
        {"url": "javascript:x", "expires_at": "2000-01-01T00:00:00Z"},
        "422 unsupported_scheme",
    ),
    create(
        "order/expiry-before-tags",
        {"url": GOOD_URL, "expires_at": "2000-01-01T00:00:00Z", "tags": ["BAD"]},
        "422 invalid_expires_at",
    ),
    create("order/tags-before-alias", {"url": GOOD_URL, "tags": ["BAD"], "alias": "admin"}, "422 invalid_tags"),
    # Idempotency-Key: its form is checked; a refused request is not remembered
    create("idempotency-key/empty", {"url": GOOD_URL}, "422 validation_error", detail=_KEY, headers=header(_KEY, "")),
    create(
        "idempotency-key/256-chars",
        {"url": GOOD_URL},
        "422 validation_error",
        detail=_KEY,
        headers=header(_KEY, "k" * 256),
    ),
    create("idempotency-key/tab", {"url": GOOD_URL}, "422 validation_error", detail=_KEY, headers=header(_KEY, "a\tb")),
    create(
        "idempotency-key/with-a-bad-url",
        {"url": "javascript:x"},
        "422 unsupported_scheme",
        headers=header(_KEY, "hostile-idempotent-1"),
    ),
    create(
        "idempotency-key/with-a-taken-alias",
        {"url": GOOD_URL, "alias": "$LINK"},
        "409 code_taken",
        headers=header(_KEY, "hostile-idempotent-2"),
    ),
]

# --- POST /v1/links/bulk --------------------------------------------------------------------------------------------


def bulk(id: str, body: object, expect: str, **more: Any) -> HostileCase:
    return case(f"bulk/{id}", "POST /v1/links/bulk", expect, body, **more)


def bulk_items(id: str, links: list[dict[str, Any]], items: list[tuple[int, str]], **more: Any) -> HostileCase:
    """A bulk create answered ``200`` with every item refused: ``items`` are their (status, code)."""
    return bulk(id, {"links": links}, "200 bulk", items=tuple(items), **more)


_ONE = {"url": GOOD_URL}
_TOO_BIG_BULK = sized(b'{"links":[{"url":"https://example.org/"}],"pad":"', b'"}', BULK_LIMIT + 1)

BULK_CASES = [
    bulk("media-type/text-plain", {"links": [_ONE]}, "415 unsupported_media_type", headers=PLAIN_TEXT),
    bulk("size/one-byte-over-500kb", ABSENT, "413 payload_too_large", raw=_TOO_BIG_BULK),
    bulk("syntax/empty", ABSENT, "400 malformed_json", raw=b""),
    bulk("syntax/unclosed", ABSENT, "400 malformed_json", raw=b'{"links":['),
    bulk("syntax/array", ABSENT, "400 malformed_json", raw=b'[{"url":"https://example.org/"}]'),
    bulk("syntax/string", ABSENT, "400 malformed_json", raw=b'"links"'),
    bulk("shape/empty-object", {}, "422 validation_error", detail="links"),
    bulk("shape/no-links", {"links": []}, "422 validation_error", detail="links"),
    bulk("shape/links-null", {"links": None}, "422 validation_error", detail="links"),
    bulk("shape/links-object", {"links": _ONE}, "422 validation_error", detail="links"),
    bulk("shape/links-string", {"links": GOOD_URL}, "422 validation_error", detail="links"),
    bulk("shape/item-number", {"links": [_ONE, 1]}, "422 validation_error", detail="links.1"),
    bulk("shape/item-null", {"links": [None]}, "422 validation_error", detail="links.0"),
    bulk("shape/item-array", {"links": [[GOOD_URL]]}, "422 validation_error", detail="links.0"),
    bulk("shape/item-string", {"links": [GOOD_URL]}, "422 validation_error", detail="links.0"),
    bulk("shape/101-items", {"links": [_ONE] * 101}, "422 validation_error", detail="links"),
    bulk("shape/unknown-field", {"links": [_ONE], "dry_run": True}, "422 validation_error"),
    bulk("shape/single-create-body", _ONE, "422 validation_error"),
    bulk_items(
        "items/every-url-rule",
        [
            {"url": "javascript:alert(1)"},
            {"url": "data:text/html,x"},
            {"url": "https://user:pw@example.org/"},
            {"url": "https://example.org/\\x"},
            {"url": f"{OWN}/x"},
            {"url": "http://2130706433/"},
            {"url": "https://example.org/" + "a" * 2048},
            {"url": "http://[fe80::1%25eth0]/"},
        ],
        [
            (422, "unsupported_scheme"),
            (422, "unsupported_scheme"),
            (422, "url_has_credentials"),
            (422, "invalid_url"),
            (422, "url_is_short_link"),
            (422, "url_is_short_link"),
            (422, "url_too_long"),
            (422, "invalid_url"),
        ],
    ),
    bulk_items(
        "items/every-field-rule",
        [
            {"url": GOOD_URL, "alias": "ab"},
            {"url": GOOD_URL, "alias": "admin"},
            {"url": GOOD_URL, "alias": "$LINK"},
            {"url": GOOD_URL, "tags": ["BAD"]},
            {"url": GOOD_URL, "expires_at": "2000-01-01T00:00:00Z"},
            {"url": GOOD_URL, "redirect_type": "302"},
            {"url": GOOD_URL, "colour": "blue"},
            {},
        ],
        [
            (422, "invalid_alias"),
            (422, "alias_reserved"),
            (409, "code_taken"),
            (422, "invalid_tags"),
            (422, "invalid_expires_at"),
            (422, "validation_error"),
            (422, "validation_error"),
            (422, "validation_error"),
        ],
    ),
    bulk_items(
        "items/domains",
        [
            {"url": GOOD_URL, "domain": "nope.example"},
            {"url": GOOD_URL, "domain": "127.0.0.1:$PORT"},
            {"url": GOOD_URL, "domain": "exa mple.org"},
            {"url": GOOD_URL, "domain": "a..b"},
        ],
        [(404, "unknown_domain"), (422, "invalid_domain"), (422, "invalid_domain"), (422, "invalid_domain")],
    ),
    bulk_items(
        "items/member-on-locked", [{"url": GOOD_URL, "domain": LOCKED}], [(403, "domain_not_allowed")], auth="member"
    ),
    # over a single create's 16 KiB, within the bulk's 500 KiB: read, and every item refused on its own
    bulk_items("items/30-over-16kib", [{"url": "javascript:" + "a" * 600}] * 30, [(422, "unsupported_scheme")] * 30),
]

# --- GET|HEAD /{code}: the redirect (JSON errors unless the case asks for the HTML page) ----------------------------

_JSON = header("Accept", "application/json")
_BROWSER = header("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
_UNKNOWN_CODES = [
    ("unknown-code", f"/{NOPE}"),
    ("dot-dot", "/%2e%2e"),
    ("dot-dot-upper", "/%2E%2E"),
    ("single-dot", "/%2e"),
    ("nul", "/%00"),
    ("encoded-slash", "/a%2Fb"),
    ("traversal-to-keys", "/%2e%2e%2fv1%2fkeys"),
    ("code-and-nul", "/$LINK%00"),
    ("code-and-space", "/$LINK%20"),
    ("code-and-newline", "/$LINK%0a"),
    ("65-chars", "/" + "a" * 65),
    ("non-ascii", "/ünï"),
    ("invalid-utf8", "/%ff%fe"),
    ("markup", "/%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
    ("double-encoded", "/%252e%252e"),
    ("code-in-upper-case", "/$UPPER_LINK"),
    ("unknown-with-a-query", f"/{NOPE}?next=javascript:alert(1)"),
    ("root-without-root-url", "/"),
]
_EVIL_HOST = header("Host", "evil.example")


def visit(id: str, request: str, expect: str, answer: Answer = "error", headers: Headers = _JSON) -> HostileCase:
    return case(f"redirect/{id}", request, expect, auth="none", headers=headers, answer=answer)


REDIRECT_CASES = [
    *[visit(name, f"GET {path}", "404 not_found") for name, path in _UNKNOWN_CODES],
    visit("unregistered-host", "GET /$LINK", "404 not_found", headers=(*_JSON, *_EVIL_HOST)),
    visit("unregistered-host-root", "GET /", "404 not_found", headers=(*_JSON, *_EVIL_HOST)),
    visit("lookalike-host", "GET /$LINK", "404 not_found", headers=(*_JSON, ("Host", "127.0.0.1.evil.example"))),
    # the redirect runs no authorizer: key junk is ignored
    visit("ignores-junk-keys", f"GET /{NOPE}", "404 not_found", headers=(*_JSON, *BASIC)),
    visit("deleted", "GET /$GONE", "410 link_deleted"),
    visit("disabled", "GET /$OFF", "410 link_disabled"),
    visit("expired", "GET /$EXPIRED", "410 link_expired"),
    visit("no-accept-is-json", "GET /%2e%2e", "404 not_found", headers=()),  # no Accept header at all
    visit("accept-anything-is-json", "GET /%00", "404 not_found", headers=header("Accept", "*/*")),
    visit("accept-junk-is-json", "GET /%00", "404 not_found", headers=header("Accept", "text/html;q=abc")),
    # the HTML page: the documented page, reflecting nothing of the request
    visit("html/markup", "GET /%3Cscript%3Ealert(1)%3C%2Fscript%3E", "404 not_found", "html", _BROWSER),
    visit("html/dot-dot", "GET /%2e%2e", "404 not_found", "html", _BROWSER),
    visit("html/deleted", "GET /$GONE", "410 link_deleted", "html", _BROWSER),
    visit("html/expired", "GET /$EXPIRED", "410 link_expired", "html", _BROWSER),
    visit("html/unregistered-host", "GET /$LINK", "404 not_found", "html", (*_BROWSER, *_EVIL_HOST)),
    # HEAD: the same status and headers, no body
    visit("head/dot-dot", "HEAD /%2e%2e", "404 not_found", "head"),
    visit("head/unknown", f"HEAD /{NOPE}", "404 not_found", "head"),
    visit("head/deleted", "HEAD /$GONE", "410 link_deleted", "head"),
    visit("head/root", "HEAD /", "404 not_found", "head"),
]

# --- GET /v1/expand ---------------------------------------------------------------------------------------------------


def expand(id: str, query: str, expect: str, **more: Any) -> HostileCase:
    return case(f"expand/{id}", f"GET /v1/expand{query}", expect, **{"auth": "none", **more})


_MALFORMED_DOMAIN_PARAMS = [
    ("with-port", "127.0.0.1:$PORT"),
    ("space", "exa%20mple.org"),
    ("empty-label", "a..b"),
    ("nul", "%00"),
    ("url", "http://127.0.0.1"),
    ("label-64", "a" * 64 + ".example"),
    ("zero-width-space", "127.0.0.1%E2%80%8B"),
]

EXPAND_CASES = [
    expand("neither-url-nor-code", "", "422 validation_error", detail="url"),
    expand("both-url-and-code", f"?url={OWN}/$LINK&code=$LINK", "422 validation_error", detail="url"),
    expand("url-empty", "?url=", "422 validation_error", detail="url"),
    expand("url-over-2048", f"?url={OWN}/" + "a" * 2048, "422 validation_error", detail="url"),
    expand("url-unparsable-ipv6", "?url=http://%5B::1/abc", "422 validation_error", detail="url"),
    # issue 8, section 4: a scheme other than http(s) is unsupported_scheme, as for a destination
    expand("scheme-javascript", "?url=javascript:alert(1)", "422 unsupported_scheme"),
    expand("scheme-javascript-upper", "?url=JAVASCRIPT:alert(1)", "422 unsupported_scheme"),
    expand("scheme-data", "?url=data:text/html,x", "422 unsupported_scheme"),
    expand("scheme-ftp", "?url=ftp://127.0.0.1/$LINK", "422 unsupported_scheme"),
    expand("scheme-file", "?url=file:///etc/passwd", "422 unsupported_scheme"),
    # the scheme may be omitted (https:// is assumed), and host:port is not a scheme
    expand("no-scheme-and-a-port", f"?url=127.0.0.1:$PORT/{NOPE}", "404 not_found"),
    # Another service's link is followed by the expander (tests/e2e/test_expander.py), once it passes the URL rules.
    expand("userinfo-disguise", "?url=https://127.0.0.1%40evil.example/$LINK", "422 url_has_credentials"),
    expand("userinfo-with-password", "?url=https://a:b@bit.ly/abc", "422 url_has_credentials"),
    # issue 8, section 4: a malformed host is nobody's short domain (these answered 500), and no URL to follow
    expand("host-with-a-space", "?url=http://exa%20mple.org/abc", "422 invalid_url"),
    expand("host-empty-label", "?url=http://a..b/abc", "422 invalid_url"),
    expand("host-percent", "?url=https://%2565vil.example/abc", "422 invalid_url"),
    expand("host-control-char", "?url=http://exa%01mple.org/abc", "422 invalid_url"),
    expand("host-ipv6-zone", "?url=http://[fe80::1%2525eth0]/abc", "422 invalid_url"),
    expand("own-host-empty-path", f"?url={OWN}/", "404 not_found"),
    expand("own-host-no-path", f"?url={OWN}", "404 not_found"),
    expand("own-host-trailing-slash", f"?url={OWN}/$LINK/", "404 not_found"),
    expand("own-host-two-segments", f"?url={OWN}/$LINK/history", "404 not_found"),
    expand("own-host-dot-dot", f"?url={OWN}/%252e%252e", "404 not_found"),
    expand("own-host-nul", f"?url={OWN}/%2500", "404 not_found"),
    expand("own-host-65-chars", f"?url={OWN}/" + "a" * 65, "404 not_found"),
    expand("own-host-unknown-code", f"?url={OWN}/{NOPE}", "404 not_found"),
    expand("code-empty", "?code=", "404 not_found"),
    expand("code-dot-dot", "?code=..", "404 not_found"),
    expand("code-traversal", "?code=../v1/keys", "404 not_found"),
    expand("code-nul", "?code=%00", "404 not_found"),
    expand("code-65-chars", "?code=" + "a" * 65, "404 not_found"),
    expand("code-repeated", "?code=$LINK&code=$LINK", "404 not_found"),
    expand("code-unknown", f"?code={NOPE}", "404 not_found"),
    expand("domain-unregistered", "?code=$LINK&domain=nope.example", "404 unknown_domain"),
    expand("domain-empty", "?code=$LINK&domain=", "422 validation_error", detail="domain"),
    expand("domain-too-long", "?code=$LINK&domain=" + "a" * 254, "422 validation_error", detail="domain"),
    *[
        expand(f"domain-malformed-{name}", f"?code=$LINK&domain={domain}", "422 invalid_domain")
        for name, domain in _MALFORMED_DOMAIN_PARAMS
    ],
]

# --- GET /v1/links: the listing's parameters ------------------------------------------------------------------------


def listing(id: str, query: str, expect: str, **more: Any) -> HostileCase:
    return case(f"list/{id}", f"GET /v1/links{query}", expect, **more)


_BAD_LIMITS = [
    ("zero", "0"),
    ("negative", "-1"),
    ("101", "101"),
    ("huge", "99999999999999999999999"),
    ("letters", "ten"),
    ("empty", ""),
    ("fraction", "1.5"),
    ("exponent", "1e2"),
    ("hex", "0x10"),
    ("plus-sign", "%2B5"),
    ("leading-space", "%205"),
    ("trailing-space", "5%20"),
    ("nul", "5%00"),
    ("repeated", "5&limit=6"),
    # issue 8, section 4: characters str.isdigit() takes and int() does not (these answered 500)
    ("superscript-two", "²"),
    ("circled-one", "①"),
    # digits of other scripts are not the 1-100 a caller writes either (int() would read them)
    ("arabic-indic-three", "٣"),
    ("fullwidth-five", "\uff15"),
]
_OTHER_OWNER_CURSOR = cursor(
    {
        "pk": {"S": "LINK#127.0.0.1#x"},
        "sk": {"S": "LINK"},
        "gsi1pk": {"S": "OWNER#key_SomeoneElse1"},
        "gsi1sk": {"S": "x"},
    }
)
_OWNER_KEYS = {"pk": {"S": "x"}, "sk": {"S": "LINK"}, "gsi1pk": {"S": "x"}, "gsi1sk": {"S": "x"}}
_BAD_CURSORS = [
    ("garbage", "garbage"),
    ("punctuation", "!!!"),
    ("a-json-string", cursor("just a string")),
    ("a-json-array", cursor([])),
    ("a-json-null", cursor(None)),
    ("wrong-keys", cursor({"pk": {"S": "x"}})),
    ("a-number-value", cursor(_OWNER_KEYS | {"pk": {"N": "1"}})),
    ("two-typed-value", cursor(_OWNER_KEYS | {"pk": {"S": "x", "N": "1"}})),
    ("another-owners", _OTHER_OWNER_CURSOR),
    ("scan-cursor-on-an-owners-listing", cursor({"pk": {"S": "LINK#127.0.0.1#x"}, "sk": {"S": "LINK"}})),
    ("invalid-utf8", base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode()),
]
_BAD_STATUSES = [
    ("unknown", "bogus"),
    ("upper-case", "ACTIVE"),
    ("empty", ""),
    ("repeated", "active&status=deleted"),
    ("comma-list", "active,deleted"),
    ("trailing-space", "active%20"),
    ("nul", "active%00"),
]

LIST_CASES = [
    *[listing(f"limit/{n}", f"?limit={v}", "422 validation_error", detail="limit") for n, v in _BAD_LIMITS],
    *[listing(f"cursor/{n}", f"?cursor={v}", "400 invalid_cursor") for n, v in _BAD_CURSORS],
    listing("cursor/an-owners-on-everyones-listing", f"?owner=*&cursor={_OTHER_OWNER_CURSOR}", "400 invalid_cursor"),
    listing("cursor/empty", "?cursor=", "422 validation_error", detail="cursor"),
    listing("cursor/over-2048", "?cursor=" + "a" * 2049, "422 validation_error", detail="cursor"),
    listing("tag/empty", "?tag=", "422 validation_error", detail="tag"),
    listing("tag/over-64", "?tag=" + "t" * 65, "422 validation_error", detail="tag"),
    listing("owner/empty", "?owner=", "422 validation_error", detail="owner"),
    listing("owner/over-64", "?owner=" + "k" * 65, "422 validation_error", detail="owner"),
    *[listing(f"status/{n}", f"?status={v}", "422 validation_error", detail="status") for n, v in _BAD_STATUSES],
]

# --- GET|PATCH|DELETE /v1/links/{code} and /history -------------------------------------------------------------------

_ROUTES_OF_A_LINK = [
    ("read", "GET", "", ABSENT),
    ("patch", "PATCH", "", {"title": "hostile"}),
    ("delete", "DELETE", "", ABSENT),
    ("history", "GET", "/history", ABSENT),
]
_BAD_CODE_SEGMENTS = [
    ("unknown", NOPE),
    ("dot-dot", "%2e%2e"),
    ("nul", "%00"),
    ("encoded-slash", "a%2Fb"),
    ("65-chars", "a" * 65),
    ("non-ascii", "ünï"),
    ("code-and-nul", "$LINK%00"),
]
_BAD_DOMAIN_PARAMS = [
    *[(name, domain, "422 invalid_domain") for name, domain in _MALFORMED_DOMAIN_PARAMS],
    ("unregistered", "nope.example", "404 unknown_domain"),
    ("empty", "", "422 validation_error"),
    ("too-long", "a" * 254, "422 validation_error"),
]
_PATCH_BODIES: list[tuple[str, object, str]] = [
    ("url-javascript", {"url": "javascript:alert(1)"}, "unsupported_scheme"),
    ("url-data", {"url": "data:text/html,x"}, "unsupported_scheme"),
    ("url-credentials", {"url": "https://bank.example@evil.example"}, "url_has_credentials"),
    ("url-backslash", {"url": "https://example.org\\@evil.example/"}, "invalid_url"),
    ("url-empty", {"url": ""}, "invalid_url"),
    ("url-too-long", {"url": "https://example.org/" + "a" * 2048}, "url_too_long"),
    ("url-own-host", {"url": f"{OWN}/$LINK"}, "url_is_short_link"),
    ("url-own-host-decimal", {"url": "http://2130706433/"}, "url_is_short_link"),
    ("url-own-host-ipv4-mapped", {"url": "http://[::ffff:127.0.0.1]/"}, "url_is_short_link"),
    ("url-ipv6-zone-id", {"url": "http://[fe80::1%25eth0]/"}, "invalid_url"),
    ("url-number", {"url": 1}, "validation_error"),
    ("url-over-8192", {"url": "https://example.org/" + "a" * 8200}, "validation_error"),
    ("tags-invalid", {"tags": ["BAD"]}, "invalid_tags"),
    ("tags-string", {"tags": "spring"}, "validation_error"),
    ("tags-21", {"tags": [f"t{i}" for i in range(21)]}, "validation_error"),
    ("expires-at-past", {"expires_at": "2000-01-01T00:00:00Z"}, "invalid_expires_at"),
    ("expires-at-number", {"expires_at": 0}, "validation_error"),
    ("expires-at-no-offset", {"expires_at": "2030-01-01T00:00:00"}, "validation_error"),
    ("expires-at-digit-string", {"expires_at": "1893456000"}, "validation_error"),
    ("title-too-long", {"title": "x" * 201}, "validation_error"),
    ("title-control-char", {"title": "a\u0007b"}, "validation_error"),
    ("redirect-type-303", {"redirect_type": 303}, "validation_error"),
    ("redirect-type-string", {"redirect_type": "301"}, "validation_error"),
    ("forward-query-string", {"forward_query": "false"}, "validation_error"),
    ("disabled-string", {"disabled": "yes"}, "validation_error"),
    ("disabled-number", {"disabled": 1}, "validation_error"),
    ("unknown-owner", {"owner": "$MEMBER_ID"}, "validation_error"),
    ("unknown-version", {"version": 99}, "validation_error"),
    ("unknown-status", {"status": "active"}, "validation_error"),
    ("unknown-code", {"code": "other"}, "validation_error"),
    ("unknown-domain", {"domain": "127.0.0.1"}, "validation_error"),
    ("unknown-alias", {"alias": "renamed"}, "validation_error"),
    ("unknown-created-at", {"created_at": "2020-01-01T00:00:00Z"}, "validation_error"),
]
# If-Match takes an ETag a read returned ("3" or W/"3"); any other value is 422 before the link is looked at.
_BAD_IF_MATCH: list[tuple[str, str | bytes]] = [
    ("star", "*"),
    ("unquoted-word", "abc"),
    ("negative", '"-1"'),
    ("fraction", '"1.0"'),
    ("empty-quotes", '""'),
    ("empty", ""),
    ("weak-prefix-only", "W/"),
    ("list", '"1", "2"'),
    ("13-digits", '"1234567890123"'),
    ("hex", '"0x1"'),
    ("spaces-inside", '" 1 "'),
    # issue 8, section 4 (this answered 500): "²" as its Latin-1 byte, the way an HTTP header carries it ...
    ("superscript-two", b'"\xb2"'),
    # ... and as UTF-8
    ("superscript-two-utf8", '"²"'.encode()),
    ("circled-one-utf8", '"①"'.encode()),
    ("arabic-indic-digit-utf8", '"٣"'.encode()),
]
_OTHER_VERSION = header("If-Match", '"999999"')


def manage(id: str, request: str, expect: str, body: object = ABSENT, **more: Any) -> HostileCase:
    return case(f"link/{id}", request, expect, body, **more)


LINK_CASES = [
    *[
        manage(f"{verb}/{name}", f"{method} /v1/links/{segment}{tail}", "404 not_found", body)
        for verb, method, tail, body in _ROUTES_OF_A_LINK
        for name, segment in _BAD_CODE_SEGMENTS
    ],
    *[
        manage(
            f"{verb}/domain-{name}",
            f"{method} /v1/links/$LINK{tail}?domain={domain}",
            expect,
            body,
            detail="domain" if expect.endswith("validation_error") else None,
        )
        for verb, method, tail, body in _ROUTES_OF_A_LINK
        for name, domain, expect in _BAD_DOMAIN_PARAMS
    ],
    *[manage(f"patch/body-{name}", "PATCH /v1/links/$LINK", f"422 {code}", body) for name, body, code in _PATCH_BODIES],
    *[
        manage(
            f"patch/if-match-{name}",
            "PATCH /v1/links/$LINK",
            "422 validation_error",
            {"title": "hostile"},
            headers=header("If-Match", value),
            detail="If-Match",
        )
        for name, value in _BAD_IF_MATCH
    ],
    manage(
        "patch/if-match-other-version", "PATCH /v1/links/$LINK", "412 precondition_failed", {}, headers=_OTHER_VERSION
    ),
    manage(
        "patch/if-match-weak-other-version",
        "PATCH /v1/links/$LINK",
        "412 precondition_failed",
        {"title": "x"},
        headers=header("If-Match", 'W/"999999"'),
    ),
    manage(
        "patch/media-type", "PATCH /v1/links/$LINK", "415 unsupported_media_type", {"title": "x"}, headers=PLAIN_TEXT
    ),
    manage("patch/empty-body", "PATCH /v1/links/$LINK", "400 malformed_json", raw=b""),
    manage("patch/array-body", "PATCH /v1/links/$LINK", "400 malformed_json", raw=b'[{"title":"x"}]'),
    manage("patch/null-body", "PATCH /v1/links/$LINK", "400 malformed_json", raw=b"null"),
    manage("patch/broken-json", "PATCH /v1/links/$LINK", "400 malformed_json", raw=b'{"title":'),
    manage("patch/over-16kib", "PATCH /v1/links/$LINK", "413 payload_too_large", raw=_TOO_BIG_SINGLE),
    # the order of the checks (docs/api.md, PATCH): the body and the form of If-Match, the link, deleted, the
    # version in If-Match, the field rules
    manage("patch/body-before-link", f"PATCH /v1/links/{NOPE}", "422 validation_error", {"url": 1}),
    manage(
        "patch/if-match-form-before-link",
        f"PATCH /v1/links/{NOPE}",
        "422 validation_error",
        {"title": "x"},
        headers=header("If-Match", "*"),
    ),
    manage("patch/link-before-url-rules", f"PATCH /v1/links/{NOPE}", "404 not_found", {"url": "javascript:x"}),
    manage("patch/deleted", "PATCH /v1/links/$GONE", "410 link_deleted", {"title": "revived"}),
    manage("patch/deleted-cannot-be-enabled", "PATCH /v1/links/$GONE", "410 link_deleted", {"disabled": False}),
    manage("patch/deleted-before-if-match", "PATCH /v1/links/$GONE", "410 link_deleted", {}, headers=_OTHER_VERSION),
    manage(
        "patch/if-match-before-url-rules",
        "PATCH /v1/links/$LINK",
        "412 precondition_failed",
        {"url": "javascript:x"},
        headers=_OTHER_VERSION,
    ),
]

# --- /v1/keys ---------------------------------------------------------------------------------------------------------

_BAD_KEY_SHAPES: list[tuple[str, dict[str, Any]]] = [
    ("empty-object", {}),
    ("no-role", {"name": "hostile"}),
    ("no-name", {"role": "member"}),
    ("role-root", {"name": "hostile", "role": "root"}),
    ("role-upper-case", {"name": "hostile", "role": "ADMIN"}),
    ("role-null", {"name": "hostile", "role": None}),
    ("role-array", {"name": "hostile", "role": ["admin"]}),
    ("name-number", {"name": 7, "role": "member"}),
    ("name-null", {"name": None, "role": "member"}),
    ("name-over-1000", {"name": "n" * 1001, "role": "member"}),
    ("rate-limit-string", {"name": "hostile", "role": "member", "create_rate_limit": "10"}),
    ("rate-limit-fraction", {"name": "hostile", "role": "member", "create_rate_limit": 1.5}),
    ("rate-limit-true", {"name": "hostile", "role": "member", "create_rate_limit": True}),
    ("choosing-the-key", {"name": "hostile", "role": "member", "key": "sl_" + "Z" * 43}),
    ("choosing-the-key-id", {"name": "hostile", "role": "member", "key_id": "key_ChosenById01"}),
    ("revoked-field", {"name": "hostile", "role": "member", "revoked": False}),
    ("created-at-field", {"name": "hostile", "role": "member", "created_at": "2020-01-01T00:00:00Z"}),
]
_BAD_KEY_SPECS: list[tuple[str, dict[str, Any]]] = [
    ("name-empty", {"name": "", "role": "member"}),
    ("name-blank", {"name": "   ", "role": "member"}),
    ("name-101", {"name": "n" * 101, "role": "member"}),
    ("name-newline", {"name": "a\nb", "role": "member"}),
    ("name-nul", {"name": "a\u0000b", "role": "member"}),
    ("name-escape-sequence", {"name": "\u001b[2J", "role": "member"}),
    ("rate-limit-zero", {"name": "hostile", "role": "member", "create_rate_limit": 0}),
    ("rate-limit-negative", {"name": "hostile", "role": "member", "create_rate_limit": -1}),
    ("rate-limit-100001", {"name": "hostile", "role": "member", "create_rate_limit": 100_001}),
    ("rate-limit-huge", {"name": "hostile", "role": "member", "create_rate_limit": 10**30}),
]
_UNKNOWN_KEY_IDS = [
    ("unknown-well-formed", "key_NobodyAtAll2"),
    ("malformed", "nope"),
    ("dot-dot", "%2e%2e"),
    ("traversal", "%2e%2e%2fv1%2flinks"),
    ("nul", "%00"),
    ("the-key-itself", "$MEMBER_KEY"),
    ("too-long", "key_" + "A" * 200),
    ("id-and-more", "$MEMBER_IDx"),
    ("upper-case-prefix", "KEY_NobodyAtAll2"),
]
_TOO_BIG_KEY = sized(b'{"role":"member","name":"', b'"}', SINGLE_LIMIT + 1)

KEY_CASES = [
    case("keys/create/media-type", "POST /v1/keys", "415 unsupported_media_type", {}, headers=PLAIN_TEXT),
    case("keys/create/empty-body", "POST /v1/keys", "400 malformed_json", raw=b""),
    case("keys/create/array-body", "POST /v1/keys", "400 malformed_json", raw=b"[]"),
    case("keys/create/broken-json", "POST /v1/keys", "400 malformed_json", raw=b'{"name":"x",'),
    case("keys/create/over-16kib", "POST /v1/keys", "413 payload_too_large", raw=_TOO_BIG_KEY),
    *[case(f"keys/create/shape-{name}", "POST /v1/keys", "422 validation_error", b) for name, b in _BAD_KEY_SHAPES],
    *[case(f"keys/create/spec-{name}", "POST /v1/keys", "422 invalid_key_spec", b) for name, b in _BAD_KEY_SPECS],
    *[
        case(f"keys/revoke/{name}", f"DELETE /v1/keys/{key_id}", "404 key_not_found")
        for name, key_id in _UNKNOWN_KEY_IDS
    ],
]

# --- /v1/domains ------------------------------------------------------------------------------------------------------


def put_domain(id: str, host: str, changes: dict[str, Any], expect: str, **more: Any) -> HostileCase:
    return case(f"domains/put/{id}", f"PUT /v1/domains/{host}", expect, FULL_DOMAIN | changes, **more)


# a malformed name is no registered one: docs/api.md answers GET and DELETE with 404 unknown_domain
_NOT_REGISTERED_NAMES = [
    ("nul", "%00"),
    ("space", "exa%20mple.org"),
    ("empty-label", "a..b"),
    ("dot-dot", "%2e%2e"),
    ("with-port", "127.0.0.1:$PORT"),
    ("percent", "exa%2525mple.org"),
    ("userinfo", "user@127.0.0.1"),
    ("unregistered", "nope.example"),
]
# issue 8, section 4: PUT on a malformed host is 422 invalid_domain (most answered 500)
_MALFORMED_HOSTS = [
    ("space", "exa%20mple.org"),
    ("empty-label", "a..b"),
    ("dot-dot", "%2e%2e"),
    ("dots-only", "..."),
    ("with-port", "hostile.example:8080"),
    ("nul", "%00"),
    ("control-char", "exa%01mple.org"),
    ("leading-hyphen", "-bad.example"),
    ("label-64", "a" * 64 + ".example"),
    ("host-over-253", ".".join(["a" * 63] * 4) + ".example"),
    ("userinfo", "user@hostile.example"),
    ("ipv6-literal", "[::1]"),
    ("percent", "exa%2525mple.org"),
    ("backslash", "hostile.example%5Cx"),
    # invisible characters are refused, not mapped away: this one would register example.org
    ("zero-width-space", "exa%E2%80%8Bmple.org"),
    ("zero-width-joiner", "exa%E2%80%8Dmple.org"),
]
_BAD_SETTINGS: list[tuple[str, str, object, str]] = [
    # root_url and not_found_url follow the destination rules (issue 8, section 4: these answered 500)
    ("root_url", "javascript", "javascript:alert(1)", "unsupported_scheme"),
    ("root_url", "data", "data:text/html,x", "unsupported_scheme"),
    ("root_url", "credentials", "https://user:pw@example.org/", "url_has_credentials"),
    ("root_url", "backslash", "https://example.org\\@evil.example/", "invalid_url"),
    ("root_url", "empty", "", "invalid_url"),
    ("root_url", "no-scheme", "example.org", "invalid_url"),
    ("root_url", "too-long", "https://example.org/" + "a" * 2048, "url_too_long"),
    ("root_url", "own-host", f"{OWN}/", "url_is_short_link"),
    ("root_url", "own-host-decimal", "http://2130706433/", "url_is_short_link"),
    ("root_url", "itself", f"https://{FRESH}/", "url_is_short_link"),
    ("root_url", "registered-domain", f"https://{LOCKED}/", "url_is_short_link"),
    ("root_url", "number", 1, "validation_error"),
    ("root_url", "over-4096", "https://example.org/" + "a" * 4100, "validation_error"),
    ("not_found_url", "ftp", "ftp://example.org/", "unsupported_scheme"),
    ("not_found_url", "ipv6-zone-id", "http://[fe80::1%25eth0]/", "invalid_url"),
    ("not_found_url", "own-host-short-form", "http://127.1/", "url_is_short_link"),
    ("not_found_url", "whitespace-inside", "https://example.org/a b", "invalid_url"),
    ("not_found_url", "array", ["https://example.org/"], "validation_error"),
    ("base_url", "other-host", "https://other.example", "invalid_domain"),
    ("base_url", "with-path", f"https://{FRESH}/path", "invalid_domain"),
    ("base_url", "with-query", f"https://{FRESH}?x=1", "invalid_domain"),
    ("base_url", "with-fragment", f"https://{FRESH}#top", "invalid_domain"),
    ("base_url", "ftp", f"ftp://{FRESH}", "invalid_domain"),
    ("base_url", "javascript", "javascript:alert(1)", "invalid_domain"),
    ("base_url", "userinfo", f"https://user@{FRESH}", "invalid_domain"),
    ("base_url", "port-too-big", f"https://{FRESH}:99999", "invalid_domain"),
    ("base_url", "empty-port", f"https://{FRESH}:", "invalid_domain"),
    ("base_url", "no-scheme", FRESH, "invalid_domain"),
    ("base_url", "empty", "", "invalid_domain"),
    ("base_url", "lookalike", f"https://{FRESH}.evil.example", "invalid_domain"),
    ("base_url", "number", 443, "validation_error"),
    ("default_redirect_type", "303", 303, "invalid_domain"),
    ("default_redirect_type", "zero", 0, "invalid_domain"),
    ("default_redirect_type", "string", "302", "validation_error"),
    ("default_redirect_type", "fraction", 302.5, "validation_error"),
    ("allowed_keys", "empty-list", [], "invalid_domain"),
    ("allowed_keys", "malformed-id", ["nope"], "invalid_domain"),
    ("allowed_keys", "one-malformed", [NOBODY_KEY_ID, "key_short"], "invalid_domain"),
    ("allowed_keys", "a-key-not-its-id", ["$MEMBER_KEY"], "invalid_domain"),
    ("allowed_keys", "string", NOBODY_KEY_ID, "validation_error"),
    ("allowed_keys", "number-item", [1], "validation_error"),
    ("allowed_keys", "over-100-chars", ["k" * 101], "validation_error"),
    ("is_default", "string", "true", "validation_error"),
    ("is_default", "number", 1, "validation_error"),
]
_BAD_PATCH_SETTINGS: list[tuple[str, str, object, str]] = [
    ("root_url", "javascript", "javascript:alert(1)", "unsupported_scheme"),
    ("root_url", "itself", f"https://{LOCKED}/", "url_is_short_link"),
    ("root_url", "own-host-short-form", "http://127.1/", "url_is_short_link"),
    ("root_url", "number", 1, "validation_error"),
    ("not_found_url", "credentials", "https://bank.example@evil.example/", "url_has_credentials"),
    ("not_found_url", "ipv6-zone-id", "http://[fe80::1%25eth0]/", "invalid_url"),
    ("base_url", "other-host", "https://evil.example", "invalid_domain"),
    ("base_url", "with-path", f"https://{LOCKED}/path", "invalid_domain"),
    ("default_redirect_type", "303", 303, "invalid_domain"),
    ("default_redirect_type", "string", "302", "validation_error"),
    ("allowed_keys", "empty-list", [], "invalid_domain"),
    ("allowed_keys", "malformed-id", ["nope"], "invalid_domain"),
    ("allowed_keys", "string", NOBODY_KEY_ID, "validation_error"),
    ("is_default", "string", "true", "validation_error"),
    ("host", "unknown-field", "evil.example", "validation_error"),
    ("created_at", "unknown-field", "2020-01-01T00:00:00Z", "validation_error"),
]
_FORCE_VALUES = [("yes", "yes"), ("one", "1"), ("empty", ""), ("both", "true&force=false")]
_TOO_BIG_DOMAIN = sized(b'{"root_url":"https://example.org/', b'"}', SINGLE_LIMIT + 1)
_FRESH_PUT = f"PUT /v1/domains/{FRESH}"
_LOCKED_PATCH = f"PATCH /v1/domains/{LOCKED}"

DOMAIN_CASES = [
    *[case(f"domains/read/{n}", f"GET /v1/domains/{h}", "404 unknown_domain") for n, h in _NOT_REGISTERED_NAMES],
    *[case(f"domains/delete/{n}", f"DELETE /v1/domains/{h}", "404 unknown_domain") for n, h in _NOT_REGISTERED_NAMES],
    case("domains/delete/unregistered-forced", "DELETE /v1/domains/nope.example?force=true", "404 unknown_domain"),
    *[
        case(
            f"domains/delete/force-{n}",
            f"DELETE /v1/domains/{LOCKED}?force={v}",
            "422 validation_error",
            detail="force",
        )
        for n, v in _FORCE_VALUES
    ],
    # the default domain has links: removing it takes force (and would break every create naming no domain)
    case("domains/delete/default-with-links", "DELETE /v1/domains/127.0.0.1", "409 domain_in_use"),
    case("domains/put/media-type", _FRESH_PUT, "415 unsupported_media_type", FULL_DOMAIN, headers=PLAIN_TEXT),
    case("domains/put/empty-body", _FRESH_PUT, "400 malformed_json", raw=b""),
    case("domains/put/array-body", _FRESH_PUT, "400 malformed_json", raw=b"[]"),
    case("domains/put/over-16kib", _FRESH_PUT, "413 payload_too_large", raw=_TOO_BIG_DOMAIN),
    # issue 8, section 4: PUT replaces every setting, so every field is required (PATCH changes some)
    case("domains/put/missing-every-field", _FRESH_PUT, "422 validation_error", {}),
    case("domains/put/missing-all-but-base-url", _FRESH_PUT, "422 validation_error", {"base_url": f"https://{FRESH}"}),
    case(
        "domains/put/missing-is-default",
        _FRESH_PUT,
        "422 validation_error",
        {k: v for k, v in FULL_DOMAIN.items() if k != "is_default"},
        detail="is_default",
    ),
    *[put_domain(f"malformed-host/{name}", host, {}, "422 invalid_domain") for name, host in _MALFORMED_HOSTS],
    *[
        put_domain(
            f"{setting}/{name}",
            FRESH,
            {setting: value},
            f"422 {code}",
            detail=setting if code == "validation_error" else None,
        )
        for setting, name, value, code in _BAD_SETTINGS
    ],
    *[
        put_domain(f"unknown-field/{name}", FRESH, {name: value}, "422 validation_error")
        for name, value in [("host", "evil.example"), ("created_at", "2020-01-01T00:00:00Z"), ("default", True)]
    ],
    # the same refusals on a registered domain: its settings stay as they are
    put_domain("registered/root-url-javascript", LOCKED, {"root_url": "javascript:x"}, "422 unsupported_scheme"),
    put_domain("registered/root-url-itself", LOCKED, {"root_url": f"https://{LOCKED}/"}, "422 url_is_short_link"),
    put_domain("registered/allowed-keys-empty", LOCKED, {"allowed_keys": []}, "422 invalid_domain"),
    put_domain("registered/base-url-other-host", LOCKED, {"base_url": "https://evil.example"}, "422 invalid_domain"),
    # PATCH changes some settings of a registered domain, with PUT's rules for each, and never registers one
    *[case(f"domains/patch/{n}", f"PATCH /v1/domains/{h}", "404 unknown_domain", {}) for n, h in _NOT_REGISTERED_NAMES],
    case("domains/patch/never-registers", f"PATCH /v1/domains/{FRESH}", "404 unknown_domain", {"root_url": None}),
    case("domains/patch/media-type", _LOCKED_PATCH, "415 unsupported_media_type", {}, headers=PLAIN_TEXT),
    case("domains/patch/empty-body", _LOCKED_PATCH, "400 malformed_json", raw=b""),
    case("domains/patch/array-body", _LOCKED_PATCH, "400 malformed_json", raw=b"[]"),
    case("domains/patch/over-16kib", _LOCKED_PATCH, "413 payload_too_large", raw=_TOO_BIG_DOMAIN),
    *[
        case(f"domains/patch/{setting}/{name}", _LOCKED_PATCH, f"422 {code}", {setting: value})
        for setting, name, value, code in _BAD_PATCH_SETTINGS
    ],
]

# --- Requests API Gateway itself refuses (its bare {"message"} answers) -----------------------------------------------

_HUGE = b"x" * (GATEWAY_LIMIT + 1)
_NO_ROUTE = [
    ("put-links", "PUT /v1/links"),
    ("delete-links", "DELETE /v1/links"),
    ("patch-keys", "PATCH /v1/keys"),
    ("post-expand", "POST /v1/expand"),
    ("links-trailing-slash", "GET /v1/links/"),
    ("keys-trailing-slash", "DELETE /v1/keys/"),
    ("domains-trailing-slash", "GET /v1/domains/"),
    ("history-and-more", "GET /v1/links/$LINK/history/x"),
    ("traversal-segment", "GET /v1/links/%2e%2e/keys"),
    ("code-and-more", "GET /$LINK/x"),
    ("code-trailing-slash", "GET /$LINK/"),
    ("post-a-code", "POST /$LINK"),
    ("options", "OPTIONS /v1/links"),
]
# over API Gateway's 10 MB payload quota: refused before any function runs
_OVER_10_MB = [
    ("create", "POST /v1/links"),
    ("bulk", "POST /v1/links/bulk"),
    ("patch", "PATCH /v1/links/$LINK"),
    ("put-domain", _FRESH_PUT),
]

GATEWAY_CASES = [
    *[case(f"gateway/no-route/{name}", request, "404 gateway") for name, request in _NO_ROUTE],
    *[case(f"gateway/over-10mb/{name}", request, "413 gateway", raw=_HUGE) for name, request in _OVER_10_MB],
]

CASES: list[HostileCase] = [
    *AUTH_CASES,
    *CREATE_BODY_CASES,
    *CREATE_FIELD_CASES,
    *CREATE_URL_CASES,
    *CREATE_RULE_CASES,
    *CREATE_DOMAIN_CASES,
    *BULK_CASES,
    *REDIRECT_CASES,
    *EXPAND_CASES,
    *LIST_CASES,
    *LINK_CASES,
    *KEY_CASES,
    *DOMAIN_CASES,
    *GATEWAY_CASES,
]
