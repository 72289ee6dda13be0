"""Telling a QR code's scan from a click: the marker the redirect strips (domain/urls.py) and the ``sources``
breakdown the aggregator counts (domain/clicks.py)."""

from __future__ import annotations

import pytest

from shortlinks.domain.clicks import add_to_rollup, classify
from shortlinks.domain.errors import QrTooLarge
from shortlinks.domain.forwarding import QR_MARKER, merge_query, without_qr_marker
from shortlinks.domain.qr import MAX_IMAGE_SIDE, image_side, scan_url
from shortlinks.domain.rollups import BucketKey, Granularity, Rollup, Scope
from tests.unit.test_clicks import DAY, line, parsed


@pytest.mark.parametrize(
    ("raw_query", "kept", "scanned"),
    [
        ("", "", False),
        ("ref=7", "ref=7", False),
        (QR_MARKER, "", True),
        (f"{QR_MARKER}&ref=7", "ref=7", True),
        (f"a=1&{QR_MARKER}&b=2&{QR_MARKER}", "a=1&b=2", True),
        # only the exact pair is the marker: another value, or the name in another pair, is the visitor's
        ("_sl=qrx&x_sl=qr", "_sl=qrx&x_sl=qr", False),
        ("_sl=QR", "_sl=QR", False),
    ],
    ids=["none", "other", "alone", "first", "repeated", "look-alikes", "other case"],
)
def test_the_marker_is_taken_out_of_the_query_and_nothing_else(raw_query: str, kept: str, scanned: bool) -> None:
    assert without_qr_marker(raw_query) == (kept, scanned)


def test_a_scanned_visit_forwards_the_rest_of_the_query_without_the_marker() -> None:
    # GIVEN a QR-encoded short URL followed with a parameter of the visitor's own
    kept, _ = without_qr_marker(f"{QR_MARKER}&lang=fr")

    # THEN the destination receives the visitor's parameter and never the marker
    assert merge_query("https://example.org/a?x=1#top", kept) == "https://example.org/a?x=1&lang=fr#top"
    assert merge_query("https://example.org/a", without_qr_marker(QR_MARKER)[0]) == "https://example.org/a"


@pytest.mark.parametrize(
    ("source", "counted_as"),
    [("qr", "qr"), ("link", "link"), (None, "link"), ("paper", "link")],
    ids=["a scan", "a click", "a record from before sources", "an unknown source"],
)
def test_each_click_counts_in_the_sources_breakdown_of_its_links_day(source: str | None, counted_as: str) -> None:
    record = parsed(line(source=source))
    assert record is not None
    rollup = Rollup()

    add_to_rollup(rollup, classify(record), None)

    day = rollup.buckets[BucketKey(Scope.link("sho.rt", "AbC1234"), Granularity.DAY, DAY)]
    assert day.breakdowns["sources"] == {counted_as: 1}


def test_a_source_that_is_not_a_short_string_makes_the_line_no_click_record() -> None:
    assert parsed(line(source=7)) is None
    assert parsed(line(source="q" * 17)) is None


# --- what a code holds, and how large its image may be ------------------------------------------------------------


def test_a_code_holds_the_short_url_with_the_marker() -> None:
    assert scan_url("https://sho.rt/AbC1234") == "https://sho.rt/AbC1234?_sl=qr"
    assert without_qr_marker(scan_url("https://sho.rt/AbC1234").partition("?")[2]) == ("", True)


@pytest.mark.parametrize(
    ("modules", "scale", "margin", "side"), [(29, 8, 4, 296), (21, 1, 0, 21), (29, 32, 3, 1120), (41, 40, 4, 1960)]
)
def test_the_image_side_is_modules_and_quiet_zone_times_the_scale(
    modules: int, scale: int, margin: int, side: int
) -> None:
    assert image_side(modules, scale, margin) == side


def test_an_image_wider_than_the_limit_is_refused() -> None:
    assert image_side(2048, 1, 0) == MAX_IMAGE_SIDE
    with pytest.raises(QrTooLarge):
        image_side(2047, 1, 1)
