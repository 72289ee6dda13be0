"""The console's files as the browser gets them: the page, and every asset under a name made of its content.

Fingerprinting happens once, at cold start: each asset's name gets the first 12 hex digits of the SHA-256 of its
content (``app.js`` becomes ``app.3f2a1b9c0d4e.js``), after the references it makes to other assets (an ES module's
``import "./api.js"``) have been rewritten to their fingerprinted names. So a name changes exactly when what the
browser would run under it changes, dependencies included, and an asset can be cached for a year. The page refers
to assets as ``/console/assets/<name>`` and is rewritten the same way; it is never cached without revalidation.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGE_FILE = "index.html"
ASSET_PREFIX = "/console/assets/"
FINGERPRINT_LENGTH = 12
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# A reference to another asset: "./name.js" in a module, "/console/assets/name.css" in the page.
_REFERENCE = re.compile(
    r"""(?P<quote>["'])(?P<prefix>\./|/console/assets/)(?P<name>[A-Za-z0-9_-]+\.(?:js|css))(?P=quote)"""
)


@dataclass(frozen=True)
class Asset:
    name: str  # the fingerprinted name, e.g. app.3f2a1b9c0d4e.js
    body: str
    content_type: str


@dataclass(frozen=True)
class Site:
    page: str  # index.html with every asset reference fingerprinted
    page_etag: str
    assets: dict[str, Asset]  # by fingerprinted name


def build_site(static_dir: Path = STATIC_DIR) -> Site:
    """Read ``static_dir`` and fingerprint it. A reference to a missing asset, or a cycle of imports, is an error
    at cold start rather than a broken page."""
    sources = {
        path.name: path.read_text(encoding="utf-8") for path in static_dir.iterdir() if path.suffix in CONTENT_TYPES
    }
    built: dict[str, Asset] = {}

    def build(name: str, visiting: tuple[str, ...]) -> Asset:
        if name in built:
            return built[name]
        if name in visiting:
            raise ValueError(f"console assets import each other in a cycle: {' -> '.join((*visiting, name))}")
        if name not in sources:
            raise ValueError(f"{visiting[-1] if visiting else PAGE_FILE} refers to a missing asset: {name}")
        body = _rewrite(sources[name], lambda ref: build(ref, (*visiting, name)).name)
        stem, suffix = name.rsplit(".", 1)
        built[name] = Asset(f"{stem}.{_digest(body)}.{suffix}", body, CONTENT_TYPES[f".{suffix}"])
        return built[name]

    for name in sorted(sources):
        build(name, ())
    page = _rewrite((static_dir / PAGE_FILE).read_text(encoding="utf-8"), lambda ref: build(ref, ()).name)
    return Site(page=page, page_etag=f'"{_digest(page)}"', assets={asset.name: asset for asset in built.values()})


def _rewrite(text: str, fingerprinted: Callable[[str], str]) -> str:
    return _REFERENCE.sub(
        lambda m: f"{m['quote']}{m['prefix']}{fingerprinted(m['name'])}{m['quote']}",
        text,
    )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:FINGERPRINT_LENGTH]
