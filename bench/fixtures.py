"""What every benchmark shares: the functions under test, their environment, their events and a context."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from local.template import ROOT, function_specs, resolve_environment

BENCH_TABLE = "shortlinks-bench"
BENCH_DOMAIN = "bench.example"
BENCH_CODE = "bench01"
BENCH_URL = "https://example.org/resources/artists/mental-health?lang=en"
BENCH_VISITOR_SECRET = bytes(range(32))  # the day's visitor-id secret in the bench table (random in real life)
EVENTS = ROOT / "tests" / "events"
FUNCTIONS_DIR = ROOT / "functions"

# Each function under test: its handler module and the event its first request carries.
HANDLERS = {
    "baseline": "bench.baseline_handler",
    "redirect": "shortlinks.handlers.redirect",
    "create": "shortlinks.handlers.create",
    "expand": "shortlinks.handlers.expand",
    "links": "shortlinks.handlers.links",
    "keys": "shortlinks.handlers.keys",
    "authorizer": "shortlinks.handlers.authorizer",
}
FUNCTION_IDS = {
    "redirect": "RedirectFunction",
    "create": "CreateFunction",
    "expand": "ExpandFunction",
    "links": "LinksFunction",
    "keys": "KeysFunction",
    "authorizer": "AuthorizerFunction",
}
# The bench's API key: an admin whose record the bench puts in the table (authorizer) and whose context the
# other functions' events carry (as the authorizer would have set it).
BENCH_KEY = "sl_" + "B" * 43
BENCH_KEY_ID = "key_BenchAdmin01"
ADMIN_CONTEXT = {"lambda": {"auth": "key", "key_id": BENCH_KEY_ID, "role": "admin", "create_rate_limit": 0}}


def function_environment(name: str, dynamodb_endpoint: str | None) -> dict[str, str]:
    """The environment Lambda would give function ``name`` (from template.yaml), pointed at the bench table."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "SHORT_", "TABLE_", "DYNAMODB_"))}
    if name in FUNCTION_IDS:
        spec = function_specs()[FUNCTION_IDS[name]]
        env |= resolve_environment(spec.environment, table_name=BENCH_TABLE)
    env |= {
        "TABLE_NAME": BENCH_TABLE,
        "SHORT_BASE_URL": f"https://{BENCH_DOMAIN}",
        "BENCH_DOMAIN": BENCH_DOMAIN,
        "AWS_ACCESS_KEY_ID": env.get("AWS_ACCESS_KEY_ID", "bench"),
        "AWS_SECRET_ACCESS_KEY": env.get("AWS_SECRET_ACCESS_KEY", "bench"),
        "AWS_DEFAULT_REGION": env.get("AWS_DEFAULT_REGION", "us-east-1"),
        "PYTHONPATH": os.pathsep.join([str(FUNCTIONS_DIR), str(ROOT)]),
    }
    if dynamodb_endpoint:
        env["DYNAMODB_ENDPOINT"] = dynamodb_endpoint
    return env


def event_for(name: str) -> dict[str, Any]:
    """A real HTTP API event (from tests/events) for the first request of function ``name``."""
    if name in ("baseline", "redirect"):
        event = _load("redirect.json")
        event["pathParameters"] = {"code": BENCH_CODE}
        event["rawPath"] = event["requestContext"]["http"]["path"] = f"/{BENCH_CODE}"
        event["rawQueryString"] = ""
        event.pop("queryStringParameters", None)
    elif name == "create":
        event = _load("create_link.json")
        event["body"] = json.dumps({"url": BENCH_URL})
        event["isBase64Encoded"] = False
    elif name == "expand":
        event = _load("expand.json")
        event["rawQueryString"] = f"code={BENCH_CODE}"
        event["queryStringParameters"] = {"code": BENCH_CODE}
    elif name == "links":
        event = _load("get_link.json")
        event["pathParameters"] = {"code": BENCH_CODE}
    elif name == "keys":
        event = _load("list_keys.json")
    else:
        event = _load("authorizer.json")
        event["headers"] = {**event.get("headers", {}), "authorization": f"Bearer {BENCH_KEY}"}
    if name in ("create", "links", "keys"):
        event["requestContext"]["authorizer"] = ADMIN_CONTEXT
    event["headers"] = {**event.get("headers", {}), "host": BENCH_DOMAIN}
    event["requestContext"]["domainName"] = BENCH_DOMAIN
    return event


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return loaded


def ensure_paths() -> None:
    for path in (str(FUNCTIONS_DIR), str(ROOT)):
        if path not in sys.path:
            sys.path.insert(0, path)


def key_item() -> dict[str, Any]:
    """The bench key's record as storage.api_keys writes it (only its hash identifies it)."""
    import hashlib

    return {
        "pk": {"S": f"APIKEY#{hashlib.sha256(BENCH_KEY.encode()).hexdigest()}"},
        "sk": {"S": "APIKEY"},
        "entity": {"S": "apikey"},
        "key_id": {"S": BENCH_KEY_ID},
        "name": {"S": "bench"},
        "role": {"S": "admin"},
        "created_at": {"S": "2026-11-25T12:00:00.000Z"},
        "revoked": {"BOOL": False},
        "gsi1pk": {"S": "APIKEYS"},
        "gsi1sk": {"S": f"2026-11-25T12:00:00.000Z#{BENCH_KEY_ID}"},
    }


def link_item() -> dict[str, Any]:
    """The bench link as DynamoDB stores it (what storage.repository writes)."""
    return {
        "pk": {"S": f"LINK#{BENCH_DOMAIN}#{BENCH_CODE}"},
        "sk": {"S": "LINK"},
        "entity": {"S": "link"},
        "domain": {"S": BENCH_DOMAIN},
        "code": {"S": BENCH_CODE},
        "url": {"S": BENCH_URL},
        "redirect_type": {"N": "302"},
        "forward_query": {"BOOL": True},
        "created_at": {"S": "2026-11-25T12:00:00.000Z"},
        "owner": {"S": BENCH_KEY_ID},
        "state": {"S": "active"},
        "version": {"N": "1"},
    }


def visitor_secret_item(day: date | None = None) -> dict[str, Any]:
    """The day's visitor-id secret as storage.secrets writes it (today, UTC, unless ``day``): what the redirect's
    init reads; it creates the item only on the day's first start anywhere."""
    day = day or datetime.now(UTC).date()
    expires = datetime.combine(day, time.min, tzinfo=UTC) + timedelta(hours=48)
    return {
        "pk": {"S": "SECRET#visitor"},
        "sk": {"S": day.isoformat()},
        "entity": {"S": "secret"},
        "secret": {"S": base64.b64encode(BENCH_VISITOR_SECRET).decode()},
        "ttl": {"N": str(int(expires.timestamp()))},
    }


def run_probe(module: str, arguments: list[str], env: dict[str, str], timeout: float = 600) -> dict[str, Any]:
    """Run ``python -S -m <module> <arguments>`` (a Lambda-like interpreter: no site-packages but ``env``'s
    PYTHONPATH) and return the JSON object its last line of output holds; ``RuntimeError`` with its stderr if it
    failed."""
    completed = subprocess.run(
        [sys.executable, "-S", "-m", module, *arguments],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(arguments[:1])} failed:\n{completed.stderr[-3000:]}")
    outcome: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return outcome
