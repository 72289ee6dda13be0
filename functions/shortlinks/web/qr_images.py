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


@dataclass(frozen=True, slots=True)
class QrImage:
    content: bytes
    media_type: str
    etag: str  # strong: a hash of the parameters and the bytes they produced


def qr_image(data: str, query: QrQuery) -> QrImage:
    """``data`` as a QR code (never a Micro QR, which most phone cameras cannot read), in ``query``'s format, size,
    quiet zone and error correction level. Dark modules black on white: the SVG draws its own white background,
    so a transparent page behind it cannot hide the code."""
    code = segno.make_qr(data, error=query.ecc.lower(), boost_error=False)
    image_side(int(code.symbol_size(scale=1, border=0)[0]), query.size, query.margin)
    out = io.BytesIO()
    if query.format == "svg":
        code.save(out, kind="svg", scale=query.size, border=query.margin, dark="#000", light="#fff", xmldecl=False)
    else:
        code.save(out, kind="png", scale=query.size, border=query.margin, dark="#000", light="#fff")
    content = out.getvalue()
    parameters = f"{query.format}|{query.size}|{query.margin}|{query.ecc}|{data}".encode()
    digest = hashlib.sha256(parameters + b"\n" + content).hexdigest()[:32]
    return QrImage(content, MEDIA_TYPES[query.format], f'"{digest}"')
