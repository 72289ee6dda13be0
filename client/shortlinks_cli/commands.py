"""The user's commands, each a thin translation: arguments to one API call (or a few), the answer to a table or
JSON. docs/cli.md is their reference."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from shortlinks_cli.api import Api, code_path
from shortlinks_cli.exits import CliError, Exit, usage_error
from shortlinks_cli.fields import LINK_FIELDS, UTM_FIELDS
from shortlinks_cli.output import note, print_json, print_record, print_table

PAGE_SIZE = 100  # the API's largest page
QR_FORMATS = {"svg": "image/svg+xml", "png": "image/png"}


def utm_body(arguments: argparse.Namespace) -> dict[str, str] | None:
    """The ``utm`` object from the ``--utm-*`` options given, or ``None`` when none was."""
    given = {name: getattr(arguments, f"utm_{name}") for name in UTM_FIELDS}
    utm = {name: value for name, value in given.items() if value is not None}
    return utm or None


def shorten(api: Api, arguments: argparse.Namespace) -> Exit:
    """``POST /v1/links``; prints the short URL (``--json``: the link). An ``Idempotency-Key`` makes a resend
    after a lost answer return the same link instead of a second one."""
    body: dict[str, Any] = {"url": arguments.url}
    optional = {
        "alias": arguments.alias,
        "domain": arguments.domain,
        "expires_at": arguments.expires,
        "title": arguments.title,
        "redirect_type": arguments.redirect_type,
        "tags": arguments.tag,
        "utm": utm_body(arguments),
    }
    body.update({name: value for name, value in optional.items() if value is not None})
    if arguments.no_forward_query:
        body["forward_query"] = False
    if arguments.reuse:
        body["reuse"] = True
    link = api.json("POST", "/v1/links", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    if arguments.json:
        print_json(link)
        return Exit.OK
    print(link["short_url"])
    if link.get("destination") and link["destination"] != link.get("url"):
        note(f"destination: {link['destination']}")
    return Exit.OK


def expand(api: Api, arguments: argparse.Namespace) -> Exit:
    """``GET /v1/expand?url=``: one of ours (the link, or where it leads) or another service's (its hops)."""
    answer = api.json(
        "GET", "/v1/expand", params={"url": arguments.url, "refresh": "true" if arguments.refresh else None}
    )
    if arguments.json:
        print_json(answer)
    elif "hops" in answer:
        print_record(answer, ("url", "final_url", "final_status", "stopped", "cached", "checked_at"))
        hops = answer["hops"]
        rows = [
            (n, hop["status"], hop["kind"], hop["ms"], hop["url"], hop["location"]) for n, hop in enumerate(hops, 1)
        ]
        print_table(["#", "STATUS", "KIND", "MS", "URL", "LOCATION"], rows, title="Hops")
    else:
        print_record(answer, LINK_FIELDS)
    return Exit.OK


def iter_links(api: Api, filters: Mapping[str, str | None], page_size: int = PAGE_SIZE) -> Iterator[dict[str, Any]]:
    """Every link ``GET /v1/links`` lists with ``filters``, page after page."""
    cursor: str | None = None
    while True:
        page = api.json("GET", "/v1/links", params={**filters, "limit": page_size, "cursor": cursor})
        yield from page["links"]
        cursor = page.get("next_cursor")
        if not cursor:
            return


def list_filters(arguments: argparse.Namespace) -> dict[str, str | None]:
    """The listing's filters as the API names them."""
    return {"tag": arguments.tag, "status": arguments.status, "owner": arguments.owner, "domain": arguments.domain}


def links_list(api: Api, arguments: argparse.Namespace) -> Exit:
    """``GET /v1/links``: one page (``--limit``, ``--cursor``), or every page with ``--all``."""
    if arguments.all:
        links, cursor = list(iter_links(api, list_filters(arguments), arguments.limit)), None
    else:
        params = {**list_filters(arguments), "limit": arguments.limit, "cursor": arguments.cursor}
        page = api.json("GET", "/v1/links", params=params)
        links, cursor = page["links"], page.get("next_cursor")
    if arguments.json:
        print_json({"links": links, "next_cursor": cursor})
        return Exit.OK
    rows = [
        (
            link["code"],
            link["short_url"],
            link.get("destination") or link["url"],
            link.get("clicks", 0),
            link["status"],
            link["tags"],
            link["created_at"][:10],
        )
        for link in links
    ]
    print_table(["CODE", "SHORT URL", "DESTINATION", "CLICKS", "STATUS", "TAGS", "CREATED"], rows)
    if cursor:
        note(f"more links: add --cursor {cursor} (or --all)")
    return Exit.OK


def links_get(api: Api, arguments: argparse.Namespace) -> Exit:
    """``GET /v1/links/{code}``."""
    link = api.json("GET", code_path(arguments.code), params={"domain": arguments.domain})
    _show_link(link, as_json=arguments.json)
    return Exit.OK


def update_body(arguments: argparse.Namespace) -> dict[str, Any]:
    """The ``PATCH`` body: only what the options change."""
    body: dict[str, Any] = {}
    if arguments.url is not None:
        body["url"] = arguments.url
    if arguments.title is not None:
        body["title"] = arguments.title or None
    if arguments.tag is not None or arguments.no_tags:
        body["tags"] = arguments.tag or []
    if arguments.expires is not None or arguments.no_expiry:
        body["expires_at"] = arguments.expires
    if arguments.redirect_type is not None:
        body["redirect_type"] = arguments.redirect_type
    if arguments.forward_query is not None:
        body["forward_query"] = arguments.forward_query
    if arguments.disabled is not None:
        body["disabled"] = arguments.disabled
    utm = utm_body(arguments)
    if utm is not None or arguments.no_utm:
        body["utm"] = utm
    return body


def links_update(api: Api, arguments: argparse.Namespace) -> Exit:
    """``PATCH /v1/links/{code}`` with ``If-Match``: ``--if-match`` VERSION, else the version just read, so a
    change made meanwhile by someone else is refused (``412``) rather than overwritten."""
    body = update_body(arguments)
    if not body:
        raise usage_error("nothing to change: give at least one option (see shortlinks links update --help)")
    params = {"domain": arguments.domain}
    version = arguments.if_match
    if version is None:
        version = api.json("GET", code_path(arguments.code), params=params)["version"]
    link = api.json("PATCH", code_path(arguments.code), params=params, json=body, headers={"If-Match": f'"{version}"'})
    _show_link(link, as_json=arguments.json)
    return Exit.OK


def links_delete(api: Api, arguments: argparse.Namespace) -> Exit:
    """``DELETE /v1/links/{code}``: the link becomes a tombstone (its code is never reused)."""
    api.request("DELETE", code_path(arguments.code), params={"domain": arguments.domain})
    if arguments.json:
        print_json({"code": arguments.code, "deleted": True})
    else:
        note(f"deleted {arguments.code}: it answers 410 from now on")
    return Exit.OK


def links_history(api: Api, arguments: argparse.Namespace) -> Exit:
    """``GET /v1/links/{code}/history``: changes of destination, newest first."""
    history = api.json("GET", f"{code_path(arguments.code)}/history", params={"domain": arguments.domain})["history"]
    if arguments.json:
        print_json(history)
        return Exit.OK
    rows = [(h["changed_at"], h["changed_by"], h["version"], h["old_url"], h["new_url"]) for h in history]
    print_table(["CHANGED AT", "BY", "VERSION", "OLD URL", "NEW URL"], rows)
    return Exit.OK


def stats(api: Api, arguments: argparse.Namespace) -> Exit:
    """``GET /v1/links/{code}/stats``: totals, the series and the breakdowns."""
    params = {
        "domain": arguments.domain,
        "from": arguments.since,
        "to": arguments.until,
        "granularity": arguments.granularity,
    }
    answer = api.json("GET", f"{code_path(arguments.code)}/stats", params=params)
    if arguments.json:
        print_json(answer)
        return Exit.OK
    counts = ("clicks", "human", "bots", "previews", "unique_visitors")
    headline = f"{answer['code']} on {answer['domain']}, {answer['from']} to {answer['to']} by {answer['granularity']}"
    print_table(
        ["", *(name.upper() for name in counts)], [("total", *(answer["totals"][n] for n in counts))], title=headline
    )
    series = [(bucket["start"], *(bucket[n] for n in counts)) for bucket in answer["series"]]
    print_table(["START", *(name.upper() for name in counts)], series)
    for breakdown in ("referrers", "countries", "devices", "browsers", "os", "sources"):
        entries = answer.get(breakdown)
        if entries:
            print_table([breakdown.upper(), "CLICKS"], [(entry["value"], entry["clicks"]) for entry in entries])
    return Exit.OK


def qr(api: Api, arguments: argparse.Namespace) -> Exit:
    """``GET /v1/links/{code}/qr`` (public) into ``-o`` FILE; the format from ``--format`` or FILE's extension."""
    output = Path(arguments.output)
    by_extension = output.suffix.lower().lstrip(".")
    image_format = arguments.format or by_extension
    if image_format not in QR_FORMATS:
        raise usage_error(f"cannot tell the format from {output.name!r}: name it .svg or .png, or give --format")
    if arguments.format and by_extension in QR_FORMATS and by_extension != arguments.format:
        raise usage_error(f"--format {arguments.format} but {output.name!r} says {by_extension}")
    params = {
        "format": image_format,
        "size": arguments.size,
        "margin": arguments.margin,
        "ecc": arguments.ecc,
        "domain": arguments.domain,
    }
    response = api.request("GET", f"{code_path(arguments.code)}/qr", params=params, public=True)
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media_type != QR_FORMATS[image_format]:
        answered = media_type or "no Content-Type"
        raise CliError(Exit.REFUSED, "unexpected_answer", f"asked for {image_format}, the API answered {answered}")
    output.write_bytes(response.content)
    if arguments.json:
        print_json(
            {"code": arguments.code, "file": str(output), "format": image_format, "bytes": len(response.content)}
        )
    else:
        note(f"wrote {output} ({image_format}, {len(response.content)} bytes)")
    return Exit.OK


def _show_link(link: Mapping[str, Any], *, as_json: bool) -> None:
    if as_json:
        print_json(link)
    else:
        print_record(link, LINK_FIELDS)
