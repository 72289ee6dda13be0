"""GET /v1/links/{code}/qr: the QR function on real HTTP API events against the template's table; every image is
decoded from its pixels (tests/qr_decoding.py) and compared with the short URL it must lead to."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest

from local.template import SWAGGER_UI_DIR, function_specs
from shortlinks.domain.forwarding import QR_MARKER
from shortlinks.domain.target import LinkState, utc_now
from shortlinks.web.qr_images import QrImage
from tests.events import load_event
from tests.integration.harness import (
    SHORT_BASE_URL,
    CapturedLogs,
    HttpResponse,
    LambdaFunction,
    LinkStore,
    calls_refused,
    cold_start_modules,
    recording_dynamodb_calls,
)
from tests.qr_decoding import decode, png_image

CODE = "AbC1234"
SCAN_URL = f"{SHORT_BASE_URL}/{CODE}?{QR_MARKER}"
MODULES = 29  # the side of a version 3 code: SCAN_URL's 29 bytes at level M


def ask(
    qr: LambdaFunction,
    query: dict[str, str] | None = None,
    code: str = CODE,
    headers: dict[str, str | None] | None = None,
) -> HttpResponse:
    return qr(load_event("link_qr", path_parameters={"code": code}, query=query or {}, headers=headers))


def content(response: HttpResponse) -> bytes:
    return base64.b64decode(response.body)


# --- the code scans ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("image_format", ["svg", "png"])
@pytest.mark.parametrize("ecc", ["L", "M", "Q", "H"])
def test_every_format_and_level_scans_to_the_short_url_with_the_qr_marker(
    qr: LambdaFunction, store: LinkStore, image_format: str, ecc: str
) -> None:
    # GIVEN a live link
    store.add(CODE)

    # WHEN anyone (no key) asks for its QR code
    response = ask(qr, {"format": image_format, "ecc": ecc})

    # THEN a phone's reader finds exactly the short URL with the QR marker in the image served
    assert response.status == 200, response.body
    assert response.headers["content-type"] == {"svg": "image/svg+xml", "png": "image/png"}[image_format]
    assert decode(response.headers["content-type"], content(response)) == [SCAN_URL]


def test_the_fixture_png_is_the_size_asked_for(qr: LambdaFunction, store: LinkStore) -> None:
    # GIVEN a live link, and the fixture as API Gateway delivers it (tests/events/link_qr.json: format=png&size=4)
    store.add(CODE)

    response = qr(load_event("link_qr"))

    # a version 3 code (29 modules) for this URL at level M, 4 modules of quiet zone on each side, 4 pixels each
    assert response.status == 200, response.body
    assert png_image(content(response)).size == ((MODULES + 2 * 4) * 4,) * 2
    assert decode("image/png", content(response)) == [SCAN_URL]


@pytest.mark.parametrize(("size", "margin"), [("1", "0"), ("3", "16"), ("40", "4")])
def test_size_is_pixels_per_module_and_margin_is_modules_of_quiet_zone(
    qr: LambdaFunction, store: LinkStore, size: str, margin: str
) -> None:
    store.add(CODE)

    response = ask(qr, {"format": "png", "size": size, "margin": margin})

    assert png_image(content(response)).size == ((MODULES + 2 * int(margin)) * int(size),) * 2


def test_the_svg_is_served_as_a_document_that_may_run_and_load_nothing(qr: LambdaFunction, store: LinkStore) -> None:
    store.add(CODE)

    response = ask(qr)

    svg = content(response).decode()
    assert svg.startswith("<svg")
    assert "<script" not in svg
    assert response.headers["content-security-policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"] == f'inline; filename="{CODE}.svg"'


# --- caching -----------------------------------------------------------------------------------------------------


def test_an_image_is_publicly_cacheable_with_a_strong_etag_and_revalidates_to_304(
    qr: LambdaFunction, store: LinkStore
) -> None:
    store.add(CODE)
    first = ask(qr, {"format": "png"})
    etag = first.headers["etag"]

    # THEN the answer may be cached by anyone for five minutes, under a strong ETag
    assert first.headers["cache-control"] == "public, max-age=300"
    assert etag.startswith('"')
    assert etag.endswith('"')
    # AND the same request draws the same bytes under the same ETag
    again = ask(qr, {"format": "png"})
    assert (again.headers["etag"], again.body) == (etag, first.body)
    # AND a client holding it is told it has not changed, with no body
    revalidated = ask(qr, {"format": "png"}, headers={"if-none-match": f'"other", {etag}'})
    assert (revalidated.status, revalidated.body) == (304, "")
    assert revalidated.headers["etag"] == etag
    assert revalidated.headers["cache-control"] == "public, max-age=300"
    # AND it names no content type of its own, which a cache would apply to the image it holds
    assert "content-type" not in revalidated.headers


def test_a_revalidation_draws_no_image(qr: LambdaFunction, store: LinkStore, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a client holding a code's ETag
    store.add(CODE)
    etag = ask(qr, {"format": "png", "size": "40"}).headers["etag"]

    # WHEN it revalidates, and drawing an image would fail
    def no_drawing(image: object) -> bytes:
        raise AssertionError("drew an image for a 304")

    monkeypatch.setattr(QrImage, "content", no_drawing)
    revalidated = ask(qr, {"format": "png", "size": "40"}, headers={"if-none-match": etag})

    # THEN it is told the image has not changed, without one being drawn
    assert (revalidated.status, revalidated.headers["etag"]) == (304, etag)


def test_other_parameters_are_another_image_with_another_etag(qr: LambdaFunction, store: LinkStore) -> None:
    store.add(CODE)
    etags = {
        ask(qr, query).headers["etag"]
        for query in ({}, {"format": "png"}, {"size": "9"}, {"margin": "2"}, {"ecc": "H"})
    }

    assert len(etags) == 5
    assert ask(qr, {"size": "9"}, headers={"if-none-match": ask(qr).headers["etag"]}).status == 200


# --- which links have a code -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        {"state": LinkState.DELETED},
        {"state": LinkState.DISABLED},
        {"expires_at": utc_now() - timedelta(seconds=1)},
        None,
    ],
    ids=["deleted", "disabled", "expired", "unknown"],
)
def test_a_link_that_leads_nowhere_has_no_code_and_answers_404_like_an_unknown_one(
    qr: LambdaFunction, store: LinkStore, link: dict[str, Any] | None
) -> None:
    if link is not None:
        store.add(CODE, **link)

    response = ask(qr)

    assert response.status == 404
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["error"]["code"] == "not_found"


def test_a_link_that_expires_later_has_its_code(qr: LambdaFunction, store: LinkStore) -> None:
    store.add(CODE, expires_at=utc_now() + timedelta(days=1))

    assert ask(qr).status == 200


def test_an_unknown_domain_is_refused(qr: LambdaFunction, store: LinkStore) -> None:
    store.add(CODE)

    response = ask(qr, {"domain": "elsewhere.example"})

    assert (response.status, response.json()["error"]["code"]) == (404, "unknown_domain")


def test_the_links_own_domain_may_be_named(qr: LambdaFunction, store: LinkStore) -> None:
    store.add(CODE)

    response = ask(qr, {"domain": "sho.rt", "format": "png"})

    assert decode("image/png", content(response)) == [SCAN_URL]


# --- bounded parameters ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"format": "gif"}, "format"),
        ({"size": "0"}, "size"),
        ({"size": "41"}, "size"),
        ({"size": "8.5"}, "size"),
        ({"size": "²"}, "size"),
        ({"size": "1_0"}, "size"),
        ({"size": " 8"}, "size"),
        ({"margin": "17"}, "margin"),
        ({"margin": "-1"}, "margin"),
        ({"ecc": "X"}, "ecc"),
        ({"ecc": "m"}, "ecc"),
        ({"domain": "x" * 254}, "domain"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_parameter_out_of_bounds_is_a_422_naming_it(
    qr: LambdaFunction, store: LinkStore, query: dict[str, str], field: str
) -> None:
    store.add(CODE)

    response = ask(qr, query)

    assert response.status == 422, response.body
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert [detail["field"] for detail in error["details"]] == [field]


def test_an_image_over_2048_pixels_is_refused(qr: LambdaFunction, store: LinkStore) -> None:
    store.add(CODE)

    # (29 + 2 * 16) * 40 = 2,440 pixels
    response = ask(qr, {"size": "40", "margin": "16"})

    assert (response.status, response.json()["error"]["code"]) == (422, "qr_too_large")


# --- the scan, at the redirect ------------------------------------------------------------------------------------


@pytest.mark.parametrize("forward_query", [True, False])
def test_a_scan_is_recorded_as_such_and_the_marker_never_reaches_the_destination(
    redirect: LambdaFunction, store: LinkStore, logs: CapturedLogs, forward_query: bool
) -> None:
    # GIVEN a link, whether it forwards the visitor's query or not
    store.add(CODE, "https://example.org/menu?table=4", forward_query=forward_query)

    # WHEN a phone follows the URL its QR code holds, with a parameter of its own after the marker
    response = redirect(load_event("redirect", path_parameters={"code": CODE}, query=f"{QR_MARKER}&lang=fr"))

    # THEN the destination gets the visitor's parameter (when it forwards) and never the marker
    expected = "https://example.org/menu?table=4&lang=fr" if forward_query else "https://example.org/menu?table=4"
    assert response.headers["location"] == expected
    # AND the click record says it was a scan
    [click] = logs.clicks()
    assert click["source"] == "qr"


# --- least privilege, and a cold start of its own -----------------------------------------------------------------


def test_the_function_reads_one_link_by_key_and_nothing_else(qr: LambdaFunction, store: LinkStore) -> None:
    store.add(CODE)

    with recording_dynamodb_calls() as calls:
        response = ask(qr)

    assert response.status == 200
    assert [call.operation for call in calls] == ["GetItem"]
    assert calls_refused("QrFunction", calls) == []


def test_no_other_function_imports_segno_or_the_qr_modules() -> None:
    # GIVEN every other function of the template, routed or not (the authorizer, the aggregator, the console)
    others = sorted(set(function_specs()) - {"QrFunction"})
    assert {"AuthorizerFunction", "AnalyticsFunction", "ConsoleFunction", "LinksFunction"} <= set(others)

    # WHEN each handler is imported in a fresh interpreter, as its cold start does
    loaded = {
        function_id: cold_start_modules(function_id, extra_env={"SWAGGER_UI_DIR": str(SWAGGER_UI_DIR)})
        for function_id in others
    }

    # THEN neither segno nor a QR module came along in any of them
    for function_id, modules in loaded.items():
        qr = {m for m in modules if m.split(".")[0] == "segno" or m.rpartition(".")[2] in ("qr", "qr_images")}
        assert qr == set(), function_id
