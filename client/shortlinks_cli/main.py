"""The ``shortlinks`` command: the user's commands against the HTTP API, and the operator's ``keys`` and
``domains`` (``shortlinks.cli``, against the table with AWS credentials), which keep their names: they do not
clash with the user's, and the docs and runbooks name them so.

Only the standard library is imported before a command is chosen, so ``shortlinks --help`` works from a bare
``pip install .``; the user's commands need ``pip install 'shortlinks[cli]'`` (httpx, rich), the operator's the
functions' own dependencies.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from shortlinks_cli.exits import CliError, Exit, usage_error
from shortlinks_cli.fields import UTM_FIELDS

if TYPE_CHECKING:
    import httpx

OPERATOR_TOPICS = ("keys", "domains", "clicks")
REDIRECT_TYPES = (301, 302, 307, 308)
PUBLIC_COMMANDS = frozenset({"expand", "qr"})  # work without a key (expand shows more to the link's owner)
EPILOG = """\
configuration: SHORTLINKS_URL and SHORTLINKS_API_KEY, or a profile in $XDG_CONFIG_HOME/shortlinks/config.toml
(~/.config/shortlinks/config.toml; chmod 600); the environment wins. exit status: 0 done, 1 refused by the API,
2 usage or configuration, 3 unavailable (after retries). Reference: docs/cli.md.

operator commands (AWS credentials and TABLE_NAME, straight against the table; see shortlinks keys --help):
  keys      API keys: create, list, revoke
  domains   short domains: add, list, remove
  clicks    click records: decode (format 4's user agents as received), tokens (no table)"""


def main(
    argv: Sequence[str] | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run the command line; returns the exit status. ``transport`` and ``sleep`` are for tests (a scripted API,
    no real waiting)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] in OPERATOR_TOPICS:
        from shortlinks.cli import main as operator_main  # the functions' package: only the operator needs it

        return operator_main(arguments)
    parsed = parser().parse_args(arguments)
    try:
        return int(_run(parsed, transport, sleep))
    except CliError as error:
        print(f"shortlinks: {error.code}: {error.message}", file=sys.stderr)
        return int(error.exit)
    except KeyboardInterrupt:
        print("shortlinks: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader left (shortlinks links list | head): stop quietly, as a shell command would
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit's flush finds no broken pipe
        return 141


def _run(parsed: argparse.Namespace, transport: httpx.BaseTransport | None, sleep: Callable[[float], None]) -> Exit:
    try:
        from shortlinks_cli import commands, transfer
        from shortlinks_cli.api import Api
        from shortlinks_cli.config import config_path, load_config
    except ImportError as error:
        raise usage_error(f"{error.name} is missing: pip install 'shortlinks[cli]'") from None
    config = load_config(os.environ, parsed.profile)
    if config.api_key is None and parsed.command not in PUBLIC_COMMANDS:
        raise usage_error(f"no API key: set SHORTLINKS_API_KEY, or api_key in a profile of {config_path(os.environ)}")
    if config.key_in_clear():
        print(
            f"shortlinks: warning: {config.url} is plain http: the API key crosses the network unencrypted",
            file=sys.stderr,
        )
    run: dict[str, Callable[[Api, argparse.Namespace], Exit]] = {
        "shorten": commands.shorten,
        "expand": commands.expand,
        "links list": commands.links_list,
        "links get": commands.links_get,
        "links update": commands.links_update,
        "links delete": commands.links_delete,
        "links history": commands.links_history,
        "stats": commands.stats,
        "qr": commands.qr,
        "import": lambda api, arguments: transfer.import_links(api, arguments, sleep=sleep),
        "export": transfer.export_links,
    }
    name = " ".join(filter(None, (parsed.command, getattr(parsed, "action", None))))
    with Api(config, retries=parsed.retries, transport=transport, sleep=sleep) as api:
        return run[name](api, parsed)


def _retries(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or int(raw) > 10:
        raise argparse.ArgumentTypeError("0 to 10")
    return int(raw)


def _version(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
        raise argparse.ArgumentTypeError("a link's version: digits, at most 12")
    return int(raw)


def _limit(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 100:
        raise argparse.ArgumentTypeError("1 to 100")
    return int(raw)


def _common() -> argparse.ArgumentParser:
    """Options every user command takes, after its name."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--profile", metavar="NAME", help="the profile of the config file (default: default)")
    common.add_argument("--json", action="store_true", help="print the API's JSON instead of a table")
    common.add_argument(
        "--retries", type=_retries, default=3, metavar="N", help="resend a 429/503 or lost request N times (default 3)"
    )
    return common


def _domain(command: argparse.ArgumentParser) -> None:
    command.add_argument("--domain", metavar="HOST", help="the link's short domain (default: the default domain)")


def _utm(command: argparse.ArgumentParser) -> None:
    group = command.add_argument_group("UTM tags (added to the destination's query; each at most 100 characters)")
    for name in UTM_FIELDS:
        group.add_argument(f"--utm-{name}", metavar="TEXT")


def _link_fields(command: argparse.ArgumentParser) -> None:
    """The options shorten and update share."""
    command.add_argument("--title", metavar="TEXT", help="at most 200 characters")
    command.add_argument("--tag", action="append", metavar="TAG", help="a tag (repeat for several)")
    command.add_argument("--expires", metavar="WHEN", help="RFC 3339 with an offset, e.g. 2026-12-31T23:59:59Z")
    command.add_argument("--redirect-type", type=int, choices=REDIRECT_TYPES, metavar="N", help="301, 302, 307 or 308")
    _utm(command)


def parser() -> argparse.ArgumentParser:
    """The whole command line (the operator's topics are listed in the epilog and parsed by shortlinks.cli)."""
    top = argparse.ArgumentParser(
        prog="shortlinks",
        description="Shorten, expand and manage links through the shortlinks API.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common = _common()
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    shorten = commands.add_parser("shorten", parents=[common], help="create a short link and print it")
    shorten.add_argument("url", metavar="URL")
    shorten.add_argument("--alias", metavar="CODE", help="a code of your choosing (3-64 of A-Z a-z 0-9 _ -)")
    _domain(shorten)
    _link_fields(shorten)
    shorten.add_argument("--no-forward-query", action="store_true", help="do not pass visitors' query strings on")
    shorten.add_argument("--reuse", action="store_true", help="return your active link to the same URL if there is one")

    expand = commands.add_parser("expand", parents=[common], help="show where a link leads (ours or another's)")
    expand.add_argument("url", metavar="URL")
    expand.add_argument("--refresh", action="store_true", help="follow another service's link again (needs a key)")

    links = commands.add_parser("links", help="list, read, change, delete your links; their history")
    actions = links.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", parents=[common], help="your links, newest first")
    _list_filters(listing)
    listing.add_argument("--limit", type=_limit, default=50, metavar="N", help="links per page, 1-100 (default 50)")
    listing.add_argument("--cursor", metavar="CURSOR", help="the page after the one that printed this cursor")
    listing.add_argument("--all", action="store_true", help="every page (--limit links a request)")
    for action, text in (("get", "read a link"), ("delete", "delete a link"), ("history", "changes of destination")):
        command = actions.add_parser(action, parents=[common], help=text)
        command.add_argument("code", metavar="CODE")
        _domain(command)
    _update_parser(actions, common)

    stats = commands.add_parser("stats", parents=[common], help="a link's clicks: totals, series, breakdowns")
    stats.add_argument("code", metavar="CODE")
    _domain(stats)
    stats.add_argument("--from", dest="since", metavar="WHEN", help="ISO 8601 date or date-time (default: 7 days back)")
    stats.add_argument("--to", dest="until", metavar="WHEN", help="ISO 8601 date or date-time (default: now)")
    stats.add_argument("--granularity", choices=("day", "hour"), help="buckets of the series (default: day)")

    qr = commands.add_parser("qr", parents=[common], help="a QR code of a link's short URL, as SVG or PNG")
    qr.add_argument("code", metavar="CODE")
    qr.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write it: FILE.svg or FILE.png")
    qr.add_argument("--format", choices=("svg", "png"), help="instead of FILE's extension")
    qr.add_argument("--size", type=int, metavar="N", help="module size (the API's size parameter)")
    qr.add_argument("--margin", type=int, metavar="N", help="quiet zone in modules")
    qr.add_argument("--ecc", choices=("L", "M", "Q", "H"), help="error correction level")
    _domain(qr)

    importing = commands.add_parser("import", parents=[common], help="create the links of a CSV file, 100 at a time")
    importing.add_argument("file", metavar="FILE.csv", help="a header row, then one link a row (docs/cli.md)")
    importing.add_argument("--results", metavar="FILE", help="the results CSV (default: FILE.results.csv)")
    importing.epilog = "--retries bounds the rounds in a row that create nothing; rounds that create links go on."

    export = commands.add_parser("export", parents=[common], help="your links as CSV")
    export.add_argument("-o", "--output", metavar="FILE", help="write FILE instead of stdout")
    export.add_argument(
        "--page-size",
        type=_limit,
        default=100,
        metavar="N",
        help="links a request, 1-100 (default 100; less is quicker)",
    )
    _list_filters(export)
    return top


def _list_filters(command: argparse.ArgumentParser) -> None:
    command.add_argument("--tag", metavar="TAG", help="only links with this tag")
    command.add_argument("--status", choices=("active", "expired", "disabled", "deleted"), help="only this status")
    command.add_argument("--owner", metavar="KEY_ID", help="admins: another key's links, or * for a domain's")
    command.add_argument("--domain", metavar="HOST", help="with --owner '*': the domain whose links to list")


def _update_parser(
    actions: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    update = actions.add_parser("update", parents=[common], help="change a link (only what the options name)")
    update.add_argument("code", metavar="CODE")
    _domain(update)
    update.add_argument("--url", metavar="URL", help="the new destination")
    _link_fields(update)
    update.add_argument("--no-tags", action="store_true", help="remove every tag")
    update.add_argument("--no-expiry", action="store_true", help="never expire")
    update.add_argument("--no-utm", action="store_true", help="remove the UTM tags")
    update.add_argument(
        "--forward-query", action=argparse.BooleanOptionalAction, default=None, help="pass visitors' query strings on"
    )
    state = update.add_mutually_exclusive_group()
    state.add_argument("--disable", dest="disabled", action="store_const", const=True, help="visitors get 410")
    state.add_argument("--enable", dest="disabled", action="store_const", const=False, help="redirect again")
    update.add_argument(
        "--if-match",
        type=_version,
        metavar="VERSION",
        help="only if the link is at VERSION (default: the version read now)",
    )
