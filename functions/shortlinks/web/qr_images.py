"""QR code images with segno (the QR function's layer, layers/qr): the HTTP adapter's rendering, nothing more.

Only the QR function imports this module: segno is in its layer alone.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import segno

from shortlinks.domain.qr import image_side
from shortlinks.schemas.qr import QrQuery

MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


# How the image is drawn (beyond the query's parameters): part of every ETag, with segno's version, so a change to
# either names new bytes.
_STYLE = {"dark": "#000", "light": "#fff"}


@dataclass(frozen=True, slots=True)
class QrImage:
    """A QR code ready to draw: its ``etag`` is known before any byte is drawn, so a revalidation (304) draws none."""

    code: segno.QRCode
    query: QrQuery
    etag: str  # strong: a hash of the data, the parameters, the style and segno's version, which decide the bytes

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.query.format]

    def content(self) -> bytes:
        """The image's bytes (drawn now: a few milliseconds for a large PNG)."""
        out = io.BytesIO()
        scale, border = self.query.size, self.query.margin
        if self.query.format == "svg":
            self.code.save(out, kind="svg", scale=scale, border=border, xmldecl=False, **_STYLE)
        else:
            self.code.save(out, kind="png", scale=scale, border=border, **_STYLE)
        return out.getvalue()


def qr_image(data: str, query: QrQuery) -> QrImage:
    """``data`` as a QR code (never a Micro QR, which most phone cameras cannot read), in ``query``'s format, size,
    quiet zone and error correction level, checked against the largest image (``QrTooLarge``). Dark modules black on
    white: the SVG draws its own white background, so a transparent page behind it cannot hide the code."""
    code = segno.make_qr(data, error=query.ecc.lower(), boost_error=False)
    image_side(int(code.symbol_size(scale=1, border=0)[0]), query.size, query.margin)
    parameters = f"{query.format}|{query.size}|{query.margin}|{query.ecc}|{_STYLE}|segno {segno.__version__}|{data}"
    return QrImage(code, query, f'"{hashlib.sha256(parameters.encode()).hexdigest()[:32]}"')
