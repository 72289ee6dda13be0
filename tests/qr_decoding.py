"""Reading the QR codes the API serves as a phone camera would: zxing-cpp on the pixels, never on segno's matrix.

PNG is opened with Pillow; SVG is rasterised with resvg (a wheel, no system library) exactly as served.
"""

from __future__ import annotations

import io

import resvg_py
import zxingcpp
from PIL import Image


def png_image(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def svg_image(content: bytes) -> Image.Image:
    """The SVG drawn at its own width and height, then flattened onto white as a screen or a page would show it."""
    rendered = png_image(bytes(resvg_py.svg_to_bytes(svg_string=content.decode("utf-8"))))
    page = Image.new("RGBA", rendered.size, "white")
    page.alpha_composite(rendered.convert("RGBA"))
    return page


def decoded_texts(image: Image.Image) -> list[str]:
    """Every QR code zxing-cpp finds in ``image``, as text (a Micro QR code, or any other symbology, is not one)."""
    barcodes = zxingcpp.read_barcodes(image.convert("L"))
    return [barcode.text for barcode in barcodes if barcode.format == zxingcpp.BarcodeFormat.QRCode]


def decode(media_type: str, content: bytes) -> list[str]:
    image = svg_image(content) if media_type == "image/svg+xml" else png_image(content)
    return decoded_texts(image)
