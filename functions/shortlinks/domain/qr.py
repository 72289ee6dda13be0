"""QR codes of short links: what a code encodes, and how large its image may be. Pure Python.

A QR code encodes the link's short URL with the QR marker (``https://sho.rt/AbC1234?_sl=qr``): the redirect
recognises it, records the visit as a scan (``source: "qr"``) and takes it out of the query before forwarding
anything, so the destination never sees it (domain/urls.py ``without_qr_marker``).
"""

from __future__ import annotations

from shortlinks.domain.errors import QrTooLarge
from shortlinks.domain.forwarding import QR_MARKER

# The widest image served, in pixels (or SVG user units): a 40-pixel module fits a short URL's code (25 to 41
# modules) with its quiet zone; anything larger is a print job for the SVG, which scales without loss.
MAX_IMAGE_SIDE = 2048


def scan_url(short_url: str) -> str:
    """What a link's QR code encodes: its short URL (which has no query) with the QR marker."""
    return f"{short_url}?{QR_MARKER}"


def image_side(modules: int, scale: int, margin: int) -> int:
    """The side of the image of a ``modules``-wide code at ``scale`` pixels per module with a ``margin``-module
    quiet zone on each side; ``QrTooLarge`` over ``MAX_IMAGE_SIDE``."""
    side = (modules + 2 * margin) * scale
    if side > MAX_IMAGE_SIDE:
        raise QrTooLarge.over(side, MAX_IMAGE_SIDE)
    return side
