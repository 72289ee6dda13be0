"""``shortlinks``: the operator's command. ``shortlinks keys create|list|revoke`` manages API keys and ``shortlinks
domains add|list|remove`` short domains, in the table directly, through the domain service and the storage adapter
(no API key needed: AWS credentials are the authority here). ``shortlinks clicks decode|tokens`` reads the
redirect's click records (no table, no credentials): format 4's user agents as received, and the table of tokens.

Configured like the functions: ``TABLE_NAME`` (required), ``AWS_REGION`` or ``AWS_DEFAULT_REGION``, and
``DYNAMODB_ENDPOINT`` for a local DynamoDB. With ``DYNAMODB_ENDPOINT`` set and no ``AWS_ACCESS_KEY_ID`` or
``AWS_PROFILE``, dummy credentials are used, as the local server does (moto and DynamoDB Local accept any).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC

from shortlinks.config import Settings, SettingsError
from shortlinks.domain import click_format
from shortlinks.domain.access import Role
from shortlinks.domain.domains import list_domains, register_domain, remove_domain
from shortlinks.domain.errors import ShortlinksError
from shortlinks.domain.keys import MAX_CREATE_RATE_LIMIT, MAX_KEY_NAME_LENGTH, ApiKey, create_key, list_keys, revoke_key
from shortlinks.domain.short_domain import ShortDomain
from shortlinks.domain.target import REDIRECT_TYPES, utc_now
from shortlinks.storage import budget as store_budget
from shortlinks.storage.api_keys import DynamoKeyRepository
from shortlinks.storage.domains import DynamoDomainRepository

COMMAND_SECONDS = 10.0  # every store call of one command shares this
_DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (0 done, 1 refused or failed, 2 usage or configuration)."""
    arguments = _parser().parse_args(argv)
    if arguments.topic == "clicks":  # log lines in, log lines out: no table
        return _clicks(arguments.command)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"shortlinks: {error}", file=sys.stderr)
        return 2
    if settings.dynamodb_endpoint and not (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")):
        os.environ.update(_DUMMY_CREDENTIALS)  # botocore reads credentials from the process environment
    with store_budget.limited(COMMAND_SECONDS):  # a store that hangs gets one clear line, not a long wait
        return _run(arguments, settings)


def _run(arguments: argparse.Namespace, settings: Settings) -> int:
    if arguments.topic == "domains":
        return _domains(arguments, settings)
    repository = DynamoKeyRepository(settings.table_name, settings.region, settings.dynamodb_endpoint)
    try:
        if arguments.command == "create":
            return _create(repository, arguments.name, Role(arguments.role), arguments.rate_limit)
        if arguments.command == "list":
            return _list(repository, as_json=arguments.json)
        return _revoke(repository, arguments.key_id)
    except ShortlinksError as error:
        print(f"shortlinks: {error.message} ({error.code})", file=sys.stderr)
        return 1


def _create(repository: DynamoKeyRepository, name: str, role: Role, rate_limit: int | None) -> int:
    key, plaintext = create_key(repository, name, role, utc_now(), rate_limit)
    print(f"Created API key {key.key_id} ({key.role.value}, {key.name!r}).", file=sys.stderr)
    print(plaintext)  # alone on stdout, so KEY=$(shortlinks keys create ...) captures exactly the key
    print(
        "Store it now: it is not stored anywhere (only its hash is) and will not be shown again.",
        file=sys.stderr,
    )
    return 0


def _list(repository: DynamoKeyRepository, *, as_json: bool) -> int:
    keys = list_keys(repository)
    if as_json:
        print(json.dumps([_record(key) for key in keys], indent=2))
        return 0
    rows = [["KEY_ID", "ROLE", "CREATED", "LAST_USED", "STATUS", "RATE_LIMIT", "NAME"]]
    for key in keys:
        record = _record(key)
        rows.append(
            [
                key.key_id,
                key.role.value,
                str(record["created_at"]),
                key.last_used_day.isoformat() if key.last_used_day else "-",
                "revoked" if key.revoked else "active",
                str(key.create_rate_limit) if key.create_rate_limit else "default",
                key.name,
            ]
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]]))
    return 0


def _revoke(repository: DynamoKeyRepository, key_id: str) -> int:
    key = revoke_key(repository, key_id)
    print(f"Revoked API key {key.key_id} ({key.role.value}, {key.name!r}).")
    return 0


def _domains(arguments: argparse.Namespace, settings: Settings) -> int:
    repository = DynamoDomainRepository(settings.table_name, settings.region, settings.dynamodb_endpoint)
    try:
        if arguments.command == "add":
            domain = register_domain(
                repository,
                arguments.host,
                base_url=arguments.base_url,
                default_redirect_type=arguments.redirect_type,
                root_url=arguments.root_url,
                not_found_url=arguments.not_found_url,
                allowed_keys=arguments.allow,
                is_default=arguments.default,
                now=utc_now(),
                own_hosts=settings.own_hosts(""),  # no request: SHORT_BASE_URL's host and BLOCKED_HOSTS
            )
            print(f"Registered {domain.host}: links are {domain.short_url('<code>')}", file=sys.stderr)
            print(json.dumps(_domain_record(domain), indent=2))
            return 0
        if arguments.command == "list":
            return _list_domains(repository, as_json=arguments.json)
        tombstoned = remove_domain(repository, arguments.host, force=arguments.force, now=utc_now())
        left = f"; {tombstoned} link(s) left as tombstones" if tombstoned else ""
        print(f"Removed {arguments.host.strip().lower()}{left}.")
        return 0
    except ShortlinksError as error:
        print(f"shortlinks: {error.message} ({error.code})", file=sys.stderr)
        return 1


def _list_domains(repository: DynamoDomainRepository, *, as_json: bool) -> int:
    domains = list_domains(repository)
    if as_json:
        print(json.dumps([_domain_record(domain) for domain in domains], indent=2))
        return 0
    rows = [["HOST", "DEFAULT", "BASE_URL", "REDIRECT", "ROOT", "NOT_FOUND", "KEYS"]]
    for domain in domains:
        keys = ",".join(sorted(domain.allowed_keys)) if domain.allowed_keys is not None else "all"
        rows.append(
            [
                domain.host,
                "yes" if domain.is_default else "-",
                domain.base_url,
                str(domain.default_redirect_type),
                domain.root_url or "404",
                domain.not_found_url or "404",
                keys,
            ]
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]]))
    return 0


def _domain_record(domain: ShortDomain) -> Mapping[str, object]:
    return {
        "host": domain.host,
        "base_url": domain.base_url,
        "default_redirect_type": domain.default_redirect_type,
        "root_url": domain.root_url,
        "not_found_url": domain.not_found_url,
        "allowed_keys": sorted(domain.allowed_keys) if domain.allowed_keys is not None else None,
        "is_default": domain.is_default,
        "created_at": domain.created_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        if domain.created_at
        else None,
    }


def _record(key: ApiKey) -> Mapping[str, object]:
    return {
        "key_id": key.key_id,
        "name": key.name,
        "role": key.role.value,
        "created_at": key.created_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "last_used_day": key.last_used_day.isoformat() if key.last_used_day else None,
        "revoked": key.revoked,
        "create_rate_limit": key.create_rate_limit,
    }


def _clicks(command: str) -> int:
    """``decode``: each line of stdin to stdout, a format 4 click record in it rewritten as the same record in format
    3 (its agent as received); ``tokens``: the agent phrases and the token each is written as."""
    if command == "tokens":
        for token, phrase in click_format.agent_tokens():
            print(f"{token}\t{json.dumps(phrase)}")
        return 0
    for text in sys.stdin:
        sys.stdout.write(decode_click_line(text))
    return 0


def decode_click_line(text: str) -> str:
    """``text`` (a log line, as ``aws logs tail`` or a Logs Insights export prints it: the record possibly after a
    time and a stream name) with the format 4 click record it ends with written as format 3 would have written it;
    any other line as it is."""
    start = text.find(_FORMAT_4_START)
    if start < 0:
        return text
    body = text[start:].rstrip()
    try:
        record = json.loads(body)
    except ValueError:
        return text
    if not isinstance(record, dict):
        return text
    as_format_3 = click_format.format_3_record(record)
    return text[:start] + json.dumps(as_format_3, separators=(",", ":")) + text[start + len(body) :]


_FORMAT_4_START = f'{{"{click_format.MARKER}":{click_format.FORMAT},'


def _rate_limit(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a whole number of links a minute, not {raw!r}") from None
    if not 1 <= value <= MAX_CREATE_RATE_LIMIT:
        raise argparse.ArgumentTypeError(f"1 to {MAX_CREATE_RATE_LIMIT} links a minute")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shortlinks",
        description="Operate shortlinks. Reads TABLE_NAME, AWS_REGION (or AWS_DEFAULT_REGION) and DYNAMODB_ENDPOINT.",
    )
    topics = parser.add_subparsers(dest="topic", required=True, metavar="TOPIC")
    keys = topics.add_parser("keys", help="API keys: create, list, revoke", description="Manage API keys.")
    commands = keys.add_subparsers(dest="command", required=True, metavar="COMMAND")
    create = commands.add_parser("create", help="create a key and print it (once)")
    create.add_argument("--name", required=True, help=f"who or what the key is for (1-{MAX_KEY_NAME_LENGTH} chars)")
    create.add_argument("--role", required=True, choices=[role.value for role in Role])
    create.add_argument(
        "--rate-limit",
        type=_rate_limit,
        default=None,
        metavar="N",
        help="links it may create a minute (default: the service's)",
    )
    listing = commands.add_parser("list", help="list every key, newest first (never the keys themselves)")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    revoke = commands.add_parser("revoke", help="revoke a key by its id (key_...)")
    revoke.add_argument("key_id", metavar="KEY_ID")
    _domains_parser(topics)
    clicks = topics.add_parser(
        "clicks", help="click records: decode, tokens", description="Read the redirect's click records (no table)."
    )
    commands = clicks.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("decode", help="stdin to stdout, each format 4 click record as format 3 (agents as received)")
    commands.add_parser("tokens", help="the user-agent phrases format 4 writes as tokens, one per line")
    return parser


def _domains_parser(topics: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    domains = topics.add_parser("domains", help="short domains: add, list, remove", description="Manage short domains.")
    commands = domains.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add = commands.add_parser("add", help="register a short domain, or replace its settings")
    add.add_argument("host", metavar="HOST", help="the domain's host name, e.g. care.link")
    add.add_argument("--base-url", metavar="URL", help="how links on it are written (default: https://HOST)")
    add.add_argument("--root-url", metavar="URL", help="where GET / goes (default: 404)")
    add.add_argument("--not-found-url", metavar="URL", help="where unknown codes go (default: our 404 page)")
    add.add_argument("--default", action="store_true", help="make it the default domain (the first one always is)")
    add.add_argument(
        "--redirect-type", type=int, choices=REDIRECT_TYPES, default=302, metavar="N", help="301, 302, 307 or 308"
    )
    add.add_argument(
        "--allow",
        action="extend",
        nargs="+",
        metavar="KEY_ID",
        help="only these keys (and admins) may create links on it (default: every key)",
    )
    listing = commands.add_parser("list", help="list every short domain")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    remove = commands.add_parser("remove", help="unregister a short domain")
    remove.add_argument("host", metavar="HOST")
    remove.add_argument("--force", action="store_true", help="even with links on it: they are left as tombstones")


if __name__ == "__main__":
    sys.exit(main())
