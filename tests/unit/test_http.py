"""HTTP presentation (web/http.py): the one error-to-status registry, error bodies, content negotiation."""

from __future__ import annotations

import inspect
import json

import pytest

from shortlinks.domain import errors
from shortlinks.domain.errors import ShortlinksError
from shortlinks.web.http import (
    BadRequest,
    error_body,
    etag_matches,
    lower_headers,
    request_host,
    source_ip,
    status_for,
    wants_html,
)

# Every error the domain can raise and the status a caller sees for it. A new error class must be added here.
EXPECTED_STATUS: dict[type[ShortlinksError], int] = {
    errors.InvalidUrl: 422,
    errors.UnsupportedScheme: 422,
    errors.UrlTooLong: 422,
    errors.UrlHasCredentials: 422,
    errors.UrlIsShortLink: 422,
    errors.InvalidAlias: 422,
    errors.AliasReserved: 422,
    errors.InvalidExpiry: 422,
    errors.NotOurShortUrl: 422,
    errors.CodeTaken: 409,
    errors.LinkNotFound: 404,
    errors.LinkExpired: 410,
    errors.CodeSpaceExhausted: 503,
    errors.StorageUnavailable: 503,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.RateLimited: 429,
    errors.LinkGone: 410,
    errors.LinkDisabled: 410,
    errors.LinkDeleted: 410,
    errors.InvalidTags: 422,
    errors.InvalidUtm: 422,
    errors.TaggedUrlTooLong: 422,
    errors.QrTooLarge: 422,
    errors.InvalidCursor: 400,
    errors.EditConflict: 409,
    errors.VersionMismatch: 412,
    errors.InvalidKeySpec: 422,
    errors.KeyNotFound: 404,
    errors.InvalidDomain: 422,
    errors.UnknownDomain: 404,
    errors.DomainNotAllowed: 403,
    errors.DomainInUse: 409,
    errors.InvalidRange: 422,
}


def _domain_error_classes() -> set[type[ShortlinksError]]:
    return {
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, ShortlinksError) and cls is not ShortlinksError
    }


def test_every_domain_error_has_a_decided_status() -> None:
    assert _domain_error_classes() == set(EXPECTED_STATUS)


@pytest.mark.parametrize(("error_class", "status"), EXPECTED_STATUS.items(), ids=lambda v: getattr(v, "__name__", v))
def test_each_domain_error_maps_to_its_status(error_class: type[ShortlinksError], status: int) -> None:
    assert status_for(error_class("message")) == status


def test_every_domain_error_has_its_own_machine_readable_code() -> None:
    codes = [cls.code for cls in _domain_error_classes()]

    assert len(codes) == len(set(codes))
    assert "error" not in codes


def test_an_error_without_a_registered_ancestor_is_a_400() -> None:
    class Unmapped(ShortlinksError):
        code = "unmapped"

    assert status_for(Unmapped("x")) == 400


def test_a_subclass_inherits_its_parents_status() -> None:
    class YetAnotherUrlRule(errors.InvalidUrl):
        code = "yet_another"

    assert status_for(YetAnotherUrlRule("x")) == 422


@pytest.mark.parametrize(
    ("refusal", "status", "code"),
    [
        (BadRequest.malformed_json("Expecting value"), 400, "malformed_json"),
        (BadRequest.not_an_object(), 400, "malformed_json"),
        (BadRequest.too_large(16384), 413, "payload_too_large"),
        (BadRequest.unsupported_media_type("text/plain"), 415, "unsupported_media_type"),
        (BadRequest.invalid([{"field": "url", "message": "required"}]), 422, "validation_error"),
    ],
)
def test_boundary_refusals_carry_their_status_and_code(refusal: BadRequest, status: int, code: str) -> None:
    assert (refusal.status, refusal.code) == (status, code)


def test_an_error_body_is_a_json_object_with_code_and_message() -> None:
    assert json.loads(error_body("not_found", "no link with code 'x'")) == {
        "error": {"code": "not_found", "message": "no link with code 'x'"}
    }


def test_an_error_body_lists_details_only_when_there_are_some() -> None:
    details = [{"field": "alias", "message": "unknown field"}]

    assert json.loads(error_body("validation_error", "m", details))["error"]["details"] == details
    assert "details" not in json.loads(error_body("validation_error", "m", []))["error"]


# --- content negotiation ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", True),  # Firefox
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),  # Safari
        ("TEXT/HTML", True),
        ("application/json;q=0.5, text/html", True),
        ("text/html, application/json", True),  # a tie goes to the page
        ("application/json", False),
        ("application/json, text/html;q=0.9", False),
        ("text/html;q=0.5, application/*", False),
        ("*/*", False),  # curl
        ("", False),
        ("text/plain", False),
        ("text/html;q=0", False),
        ("text/html;q=not-a-number", False),
    ],
)
def test_wants_html_only_when_html_ranks_at_least_as_high_as_json(accept: str, html: bool) -> None:
    assert wants_html(accept) is html


# --- request facts ------------------------------------------------------------------------------------------------


def test_header_names_are_lower_cased() -> None:
    assert lower_headers({"headers": {"Host": "sho.rt", "X-Thing": "1"}}) == {"host": "sho.rt", "x-thing": "1"}
    assert lower_headers({"headers": None}) == {}
    assert lower_headers({}) == {}


def test_the_request_host_is_the_host_header_else_the_api_domain() -> None:
    context = {"domainName": "k3x9qz1v2m.execute-api.us-east-1.amazonaws.com"}

    assert request_host({"headers": {"Host": "sho.rt"}, "requestContext": context}, behind_edge=False) == "sho.rt"
    assert request_host({"headers": {}, "requestContext": context}, behind_edge=False) == context["domainName"]
    assert request_host({}, behind_edge=False) == ""


EXECUTE_API = "k3x9qz1v2m.execute-api.us-east-1.amazonaws.com"


def test_behind_the_edge_the_request_host_is_the_one_the_visitor_asked_cloudfront_for() -> None:
    # GIVEN a request CloudFront forwarded to the API's execute-api host, with the viewer's host copied
    event = {
        "headers": {"host": EXECUTE_API, "x-viewer-host": "care.link"},
        "requestContext": {"domainName": EXECUTE_API},
    }

    # WHEN the stack is behind the edge, THEN the host is the visitor's
    assert request_host(event, behind_edge=True) == "care.link"
    # and, without a copied host (an edge misconfigured, or a direct call), the host API Gateway saw
    assert request_host({"headers": {"host": EXECUTE_API}}, behind_edge=True) == EXECUTE_API


def test_without_the_edge_a_viewer_host_header_is_ignored() -> None:
    """Anyone can send X-Viewer-Host to the API directly: only CloudFront's copy may choose the short domain."""
    event = {"headers": {"host": "sho.rt", "x-viewer-host": "evil.example"}}

    assert request_host(event, behind_edge=False) == "sho.rt"


@pytest.mark.parametrize(
    ("viewer_address", "expected"),
    [
        ("198.51.100.7:46532", "198.51.100.7"),
        ("2001:db8::8a2e:370:7334:46532", "2001:db8::8a2e:370:7334"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        (None, "130.176.0.1"),  # no header: the address API Gateway saw
    ],
)
def test_behind_the_edge_the_source_ip_is_the_visitors_not_cloudfronts(
    viewer_address: str | None, expected: str
) -> None:
    # GIVEN API Gateway saw CloudFront's address, and CloudFront sent the visitor's as ip:port
    headers = {"cloudfront-viewer-address": viewer_address} if viewer_address else {}
    event = {"headers": headers, "requestContext": {"http": {"sourceIp": "130.176.0.1"}}}

    # WHEN the stack is behind the edge, THEN the source address is the visitor's, without its port
    assert source_ip(event, behind_edge=True) == expected


def test_without_the_edge_the_source_ip_is_the_one_api_gateway_saw() -> None:
    event = {
        "headers": {"cloudfront-viewer-address": "198.51.100.7:46532"},
        "requestContext": {"http": {"sourceIp": "203.0.113.9"}},
    }

    assert source_ip(event, behind_edge=False) == "203.0.113.9"
    assert source_ip({}, behind_edge=False) == ""


@pytest.mark.parametrize(
    ("if_none_match", "matches"),
    [
        (None, False),
        ("", False),
        ('"abc"', True),
        ('W/"abc"', True),  # weak comparison, as RFC 9110 asks of If-None-Match
        ('"old", "abc"', True),
        ("*", True),
        ('"abd"', False),
        ("abc", False),  # an ETag is quoted: the bare value names nothing
    ],
)
def test_if_none_match_names_the_current_etag(if_none_match: str | None, matches: bool) -> None:
    assert etag_matches(if_none_match, '"abc"') is matches
