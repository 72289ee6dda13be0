"""``shortlinks``: the operator's command. ``shortlinks keys create|list|revoke`` manages API keys in the table
directly, through the domain service and the storage adapter (no API key needed: AWS credentials are the
authority here).

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
from shortlinks.domain.access import Role
from shortlinks.domain.errors import ShortlinksError
from shortlinks.domain.keys import MAX_CREATE_RATE_LIMIT, MAX_KEY_NAME_LENGTH, ApiKey, create_key, list_keys, revoke_key
from shortlinks.domain.links import utc_now
from shortlinks.storage.api_keys import DynamoKeyRepository

_DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (0 done, 1 refused or failed, 2 usage or configuration)."""
    arguments = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"shortlinks: {error}", file=sys.stderr)
        return 2
    if settings.dynamodb_endpoint and not (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")):
        os.environ.update(_DUMMY_CREDENTIALS)  # botocore reads credentials from the process environment
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
    return parser


if __name__ == "__main__":
    sys.exit(main())
