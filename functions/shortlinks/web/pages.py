"""The small HTML pages a browser sees when a short link does not lead anywhere."""

from __future__ import annotations

from html import escape

_TITLES = {
    404: (
        "Link not found",
        "This short link does not exist. Check that it was copied in full: codes are case-sensitive.",
    ),
    410: ("Link no longer available", "This short link no longer leads anywhere."),
}
_EXPIRED = ("Link expired", "This short link has expired and no longer leads anywhere.")
_FALLBACK = ("Link unavailable", "This short link cannot be followed right now. Please try again later.")

# No scripts, no external resources: the page works under the strictest policy.
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


def error_page(status: int, code: str | None = None) -> str:
    title, text = _EXPIRED if code == "link_expired" else _TITLES.get(status, _FALLBACK)
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)}</title>"
        "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:15vh auto;padding:0 1rem;color:#222}"
        "h1{font-size:1.4rem}</style></head>"
        f"<body><h1>{escape(title)}</h1><p>{escape(text)}</p></body></html>\n"
    )
