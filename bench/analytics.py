"""The click aggregator's cost per million click records, by batch size, against the redirect's own cost.

What the aggregator costs is mostly DynamoDB writes, and a batch's writes grow with the items it touches, not with
the records it holds: a link's hour, day and all-time buckets, its day's visitor shards, its owner's and its
domain's day. So the figure that matters is how many records a batch brings to each item.

1. **A day of click records**, as the redirect writes them (domain/click_format.py ``line``): ``DAY_RECORDS`` records
   on ``LINKS`` links with a Zipf-like popularity (the n-th link gets 1/n of the first one's share), on two
   domains and four owners (a tenth of the links anonymous). 70% humans with varied user agents, referrers,
   countries and visitor ids (each link's visitors drawn from a pool half the size of its human clicks, so some
   come back), 20% bots (crawlers, scripts, an empty agent), 10% link previews (preview agents, ``HEAD``
   requests), and of all records ``MISS_SHARE`` misses (unknown codes, 404). Seeded: every run counts the same day.
2. **Writes per batch.** The day is cut into batches of each size, each within one minute (a subscription delivers
   within seconds, so a big batch is a busy stream), classified and rolled up as the aggregator does
   (domain/clicks.py), and planned into transactions (storage/analytics.py ``plan_transactions``). An update costs
   2 write units per started KB (a transactional write) of the larger of its item's size before and after, sizes
   computed by DynamoDB's documented item-size rules on a model of the table's items kept over the whole day, so
   visitor shards grow as the day's visitors come. The day is applied in batches of ``STEP_RECORDS``; before each,
   its first ``SAMPLED_RECORDS`` records are weighed in batches of each smaller size against the items as they
   stand (a tenth of those sizes' batches, spread over the day); larger sizes go through the day in their own
   batches. A transaction's marker is a new item of under 100 bytes (2 units). Reads: the owners'
   ``BatchGetItem``, strongly consistent, 1 unit per link of the batch. Estimated, not measured: the local
   DynamoDB (moto) answers ``TransactWriteItems`` with an empty ``ConsumedCapacity`` whatever
   ``ReturnConsumedCapacity`` asks.
3. **Time per batch.** The aggregator's handler in a Lambda-like interpreter (``functions/``, their requirements
   and the analytics layer's packages only; template.yaml's environment), given batches of the same day as
   ``awslogs`` subscription events, DynamoDB answered in-process (bench/canned.py): ms per batch, the median of
   ``REPEATS`` passes. Its ``TransactWriteItems`` calls and actions and its ``BatchGetItem`` calls, counted from
   botocore, must equal the plan's for the same batches.

``python -m bench.analytics`` prints this section alone (with the redirect's warm figure it is compared with). The
module imports only the standard library at its top: it is also the probe that runs in the Lambda-like
interpreter.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import gzip
import hashlib
import importlib
import io
import itertools
import json
import math
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.dynamodb_units import WRITE_UNIT_BYTES, number_bytes

HANDLER = "shortlinks.handlers.analytics"
FUNCTION_ID = "AnalyticsFunction"
SEED = 20261201
DAY_START = datetime(2026, 12, 1, tzinfo=UTC)
DAY_RECORDS = 100_000
LINKS = 100
BATCH_SIZES = (10, 100, 1_000, 10_000)
BATCH_WINDOW_SECONDS = 60.0
HUMAN_SHARE, BOT_SHARE = 0.70, 0.20  # of the records that are not misses; the rest are previews
MISS_SHARE = 0.03
VISITOR_POOL_SHARE = 0.5  # a link's visitors of the day: a pool half the size of its human clicks
STEP_RECORDS = 1_000  # the day's items are kept in steps of this many records (one of BATCH_SIZES)
SAMPLED_RECORDS = 100  # of each step, weighed in batches of each smaller size
TIMED_RECORDS = 2_000  # per batch size and pass (at least one batch)
REPEATS = 3
# Assumed in-region round trips added to the measured in-process time (not measurable without AWS); the handler
# sends its transactions one after the other.
ASSUMED_BATCH_GET_MS = 6.0
ASSUMED_TRANSACTION_MS = 15.0
TRANSACTIONAL_WRITE_UNITS = 2  # per started KB of a write in a transaction

DOMAINS = ("bench.example", "go.bench.example")
OWNERS = ("key_Campaign01", "key_Campaign02", "key_Campaign03", "key_Campaign04")
REDIRECT_LOG_GROUP = "/aws/lambda/shortlinks-RedirectFunction-bench"

# (value, weight): what the redirect records, in proportions like a social-media campaign's.
HUMAN_AGENTS = (
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.1 Mobile/15E148 Safari/604.1", 20),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
     "Safari/537.36", 18),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile "
     "Safari/537.36", 14),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 "
     "Safari/605.1.15", 8),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
     "Safari/537.36", 7),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
     "Safari/537.36 Edg/131.0.0.0", 5),
    ("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 "
     "Chrome/122.0.0.0 Mobile Safari/537.36", 5),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Mobile/22B83 Instagram 356.0.0.41.101 (iPhone15,3; iOS 18_1; en_US; en; scale=3.00; 1290x2796; 652003803)", 5),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Mobile/22B83 [FBAN/FBIOS;FBAV/490.0.0.39.109;FBDV/iPhone15,3;FBMD/iPhone;FBSN/iOS;FBSV/18.1;FBLC/en_US]", 4),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", 4),
    ("Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 "
     "Mobile/15E148 Safari/604.1", 3),
    ("Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
     "Safari/537.36", 1),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", 1),
    ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
     "Safari/537.36", 1),
)  # fmt: skip
BOT_AGENTS = (
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 5),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", 3),
    ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", 3),
    ("Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)", 2),
    ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", 2),
    ("curl/8.5.0", 2),
    ("python-requests/2.32.3", 2),
    ("Go-http-client/1.1", 1),
    ("", 2),  # no user agent at all
)
PREVIEW_AGENTS = (
    ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", 3),
    ("Twitterbot/1.0", 3),
    ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", 4),
    ("WhatsApp/2.23.20.0", 3),
    ("Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)", 1),
    ("LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)", 2),
    ("TelegramBot (like TwitterBot)", 1),
    (None, 3),  # a HEAD request with a browser's agent
)
REFERRERS = (
    (None, 35), ("t.co", 15), ("l.instagram.com", 10), ("lm.facebook.com", 10), ("www.linkedin.com", 8),
    ("www.google.com", 8), ("out.reddit.com", 3), ("mail.google.com", 3), ("teams.microsoft.com", 2),
    ("news.ycombinator.com", 2), ("www.bing.com", 2),
)  # fmt: skip
COUNTRIES = (
    (None, 8), ("US", 30), ("GB", 10), ("DE", 8), ("FR", 7), ("IN", 7), ("BR", 5), ("CA", 5), ("AU", 4),
    ("NL", 3), ("ES", 3), ("JP", 3), ("MX", 3), ("IT", 2), ("SE", 2),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Record:
    """One click record's fields as the redirect writes them (domain/click_format.py), without its time."""

    method: str
    code: str
    domain: str
    status: int
    referrer_host: str | None
    user_agent: str
    country: str | None
    visitor: str

    def fields(self) -> dict[str, Any]:
        """The fields the redirect hands to domain/click_format.py ``line``, by their short keys."""
        from shortlinks.domain import click_format as wire

        return {
            wire.METHOD: self.method,
            wire.CODE: self.code,
            wire.DOMAIN: self.domain,
            wire.STATUS: self.status,
            wire.REFERRER_HOST: self.referrer_host,
            wire.USER_AGENT: self.user_agent[:256] or None,
            wire.COUNTRY: self.country,
            wire.VISITOR: self.visitor,
        }

    def line(self) -> str:
        """The record's log line, byte for byte what the redirect writes (domain/click_format.py ``line``, format 4:
        no time, the log event's timestamp is its time; the agent's boilerplate as tokens), without its newline."""
        from shortlinks.domain import click_format as wire

        return wire.line(self.fields()).rstrip("\n")


@dataclass
class BatchSize:
    """One batch size's figures: the day's totals (the plan and the item model) and the handler's timing."""

    records_per_batch: int
    day_batches: int  # the day's batches of this size
    batches: int  # how many of them the write and read figures sum over
    transactions: int
    actions: int
    write_units: int
    shard_write_units: int  # of which, updates of visitor shards
    read_units: int
    batch_gets: int
    ms_per_batch: float
    log_bytes_per_batch: float
    timed_batches: int
    counted_as_planned: bool

    def per_batch(self, total: float) -> float:
        return total / self.batches


@dataclass
class AnalyticsFigures:
    sizes: list[BatchSize]
    mix: dict[str, int]  # the day's records as the aggregator classified them
    largest_shard_ids: int  # visitor ids in the fullest shard at the day's end
    largest_item_bytes: int
    memory_mb: int
    day_records: int = DAY_RECORDS
    links: int = LINKS


def measure() -> AnalyticsFigures:
    """Every figure, from one run of the probe in a Lambda-like interpreter."""
    from bench.coldstart import lambda_site, makefile_layer_site
    from bench.fixtures import BENCH_TABLE, FUNCTIONS_DIR, function_environment, run_probe
    from local.template import ROOT, function_specs, resolve_environment

    spec = function_specs()[FUNCTION_ID]
    env = function_environment("analytics", "http://dynamodb.invalid")  # the bench's table, region, credentials
    template_env = resolve_environment(spec.environment, table_name=BENCH_TABLE)
    env |= {name: value for name, value in template_env.items() if name not in env}
    # The function's package and its two layers (template.yaml: Powertools, and the user-agent classifiers).
    sites = [FUNCTIONS_DIR, lambda_site(), makefile_layer_site("PowertoolsDependencies"), layer_site(), ROOT]
    env["PYTHONPATH"] = os.pathsep.join(map(str, sites))
    env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = str(spec.memory_size)
    outcome = run_probe("bench.analytics", ["probe"], env)
    return AnalyticsFigures(
        sizes=[BatchSize(**size) for size in outcome["sizes"]],
        mix=outcome["mix"],
        largest_shard_ids=outcome["largest_shard_ids"],
        largest_item_bytes=outcome["largest_item_bytes"],
        memory_mb=spec.memory_size,
    )


def layer_site() -> Path:
    """The analytics layer (layers/analytics/requirements.txt) for this machine, alone: links to the dev venv's
    copies of exactly those distributions, which the venv installs at the same pins. Nothing is downloaded, and sam
    build's arm64 layer could not load here (ua-parser-rs is native code). Made again when the requirements change.
    """
    from importlib.metadata import PackageNotFoundError, distribution

    from local.template import ROOT

    requirements = ROOT / "layers" / "analytics" / "requirements.txt"
    site = ROOT / ".aws-sam" / "bench-analytics-site"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    marker = site / ".requirements-sha256"
    if marker.exists() and marker.read_text() == digest:
        return site
    pins = [line.partition("#")[0].strip() for line in requirements.read_text(encoding="utf-8").splitlines()]
    links: dict[str, Path] = {}
    for pin in filter(None, pins):
        name, _, version = pin.partition("==")
        name = name.partition("[")[0]
        try:
            installed = distribution(name)
        except PackageNotFoundError:
            raise SystemExit(
                f"{name} is not installed in this venv: run `make` (it installs the layer's pins)"
            ) from None
        if installed.version != version:
            raise SystemExit(f"{name} {installed.version} is installed, the layer pins {version}: run `make`")
        for entry in {Path(str(path)).parts[0] for path in installed.files or () if not str(path).startswith("..")}:
            links[entry] = Path(str(installed.locate_file(entry)))
    if site.exists():
        for old in site.iterdir():
            old.unlink()
    site.mkdir(parents=True, exist_ok=True)
    for entry, target in links.items():
        (site / entry).symlink_to(target)
    marker.write_text(digest)
    return site


@dataclass
class PerMillion:
    """What a million click records cost the aggregator in batches of one size."""

    billed_ms: int  # per batch
    invocations: float
    gb_seconds: float
    lambda_dollars: float
    dynamodb_dollars: float
    logs_dollars: float

    @property
    def dollars(self) -> float:
        return self.lambda_dollars + self.dynamodb_dollars + self.logs_dollars


def per_million(size: BatchSize, memory_mb: int) -> PerMillion:
    """Lambda (arm64: requests and GB-s of the billed ms), DynamoDB on-demand (write and read units) and CloudWatch
    Logs ingestion (the aggregator's own lines and Lambda's) per million records, at bench/cost.py's prices."""
    from bench import cost

    per = size.per_batch
    billed_ms = math.ceil(
        size.ms_per_batch
        + per(size.batch_gets) * ASSUMED_BATCH_GET_MS
        + per(size.transactions) * ASSUMED_TRANSACTION_MS
    )
    invocations = 1e6 / size.records_per_batch
    gb_seconds = invocations * billed_ms / 1000 * memory_mb / 1024
    write_units, read_units = invocations * per(size.write_units), invocations * per(size.read_units)
    log_bytes = invocations * (size.log_bytes_per_batch + cost.platform_log_bytes(FUNCTION_ID))
    return PerMillion(
        billed_ms=billed_ms,
        invocations=invocations,
        gb_seconds=gb_seconds,
        lambda_dollars=invocations / 1e6 * cost.price("lambda_requests")
        + gb_seconds * cost.price("lambda_arm_duration"),
        dynamodb_dollars=(write_units * cost.price("dynamodb_writes") + read_units * cost.price("dynamodb_reads"))
        / 1e6,
        logs_dollars=log_bytes / 1024**3 * cost.price("logs_ingestion"),
    )


def report(figures: AnalyticsFigures, redirect: Any) -> list[str]:
    """The section of the benchmark report, in Markdown; ``redirect`` is the redirect's ``cost.Cost`` line of the
    same run (HTTP API + Lambda), the baseline."""
    from bench import cost

    total = sum(figures.mix.values())
    mix = ", ".join(f"{kind} {count / total:.1%}" for kind, count in figures.mix.items())
    costs = [per_million(size, figures.memory_mb) for size in figures.sizes]
    lines = [
        "### Click analytics: the aggregator's cost per million click records, by batch size",
        "",
        f"A day of {figures.day_records:,} click records on {figures.links} links (Zipf-like popularity), as the "
        f"aggregator classified them: {mix}. A subscription's batch is one redirect instance's log stream over a few "
        "seconds: small when traffic is light, large when it is busy. Write units estimated by DynamoDB's item-size "
        "rules over the day's items (moto returns no consumed capacity for transactions); ms / batch measured in a "
        f"Lambda-like interpreter, DynamoDB answered in-process, median of {REPEATS} passes.",
        "",
        "| records / batch | transactions | actions | write units | of which visitor shards | read units | ms | "
        "billed ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, dollars in zip(figures.sizes, costs, strict=True):
        per = size.per_batch
        lines.append(
            f"| {size.records_per_batch:,} | {per(size.transactions):.2f} | {per(size.actions):,.1f} | "
            f"{per(size.write_units):,.1f} | {size.shard_write_units / size.write_units:.0%} | "
            f"{per(size.read_units):.1f} | {size.ms_per_batch:.2f} | {dollars.billed_ms} |"
        )
    lines += [
        "",
        f"Per million click records (one per redirect), {figures.memory_mb} MB arm64, us-east-1 list prices as of "
        f"{cost.PRICES_AS_OF}; baseline: the redirect's own **{redirect.dollars_per_million:.2f} $** per million "
        "(HTTP API + Lambda, the cost table above):",
        "",
        "| records / batch | invocations | GB-s | Lambda $ | DynamoDB $ | Logs $ | total $ | x redirect |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, dollars in zip(figures.sizes, costs, strict=True):
        lines.append(
            f"| {size.records_per_batch:,} | {dollars.invocations:,.0f} | {dollars.gb_seconds:,.1f} | "
            f"{dollars.lambda_dollars:.3f} | {dollars.dynamodb_dollars:.3f} | {dollars.logs_dollars:.4f} | "
            f"**{dollars.dollars:.2f}** | {dollars.dollars / redirect.dollars_per_million:.2f}x |"
        )
    checked = all(size.counted_as_planned for size in figures.sizes)
    lines += [
        "",
        f"Billed ms = measured ms + an assumed {ASSUMED_BATCH_GET_MS:.0f} ms per `BatchGetItem` (owners) and "
        f"{ASSUMED_TRANSACTION_MS:.0f} ms per `TransactWriteItems` (sent one after another), rounded up. Write "
        "units: 2 per started KB of each update's item (the larger of before and after) and 2 per batch marker; "
        "read units: 1 per link looked up (strongly consistent, < 4 KB). The fullest visitor shard held "
        f"{figures.largest_shard_ids:,} ids at the day's end, the largest item was "
        f"{figures.largest_item_bytes / 1024:.1f} KB: busier links make bigger shards, and each update of a shard "
        "pays for its whole size. The subscription adds no CloudWatch charge of its own: the click records are the "
        "redirect's log lines, whose ingestion the redirect's Logs $ already pays; Logs $ here is the aggregator's "
        "own lines (measured, plus Lambda's). `TransactWriteItems` calls and actions and `BatchGetItem` calls "
        f"counted from botocore on the timed batches {'equal' if checked else '**do not equal**'} "
        "`plan_transactions`' for the same batches.",
    ]
    return lines


# -- the probe, in a Lambda-like interpreter ------------------------------------------------------------------------


def _weighted(choices: tuple[tuple[Any, int], ...]) -> tuple[list[Any], list[int]]:
    values = [value for value, _ in choices]
    return values, list(itertools.accumulate(weight for _, weight in choices))


def _links() -> list[tuple[str, str, str | None]]:
    """(domain, code, owner) of each link, most popular first."""
    return [
        (
            DOMAINS[1] if index % 4 == 3 else DOMAINS[0],
            f"camp{index:03d}",
            None if index % 10 == 9 else OWNERS[index % 4],
        )
        for index in range(LINKS)
    ]


def _visitor(link: int, number: int) -> str:
    """Visitor ``number`` of ``link`` as 16 hex characters (what the redirect's HMAC gives, without the HMAC)."""
    return hashlib.blake2b(f"{link}:{number}".encode(), digest_size=8).hexdigest()


def day_of_records() -> list[Record]:
    """The day's records, in the order they are written (deterministic)."""
    rng = random.Random(SEED)
    links = _links()
    popularity = list(itertools.accumulate(1 / rank for rank in range(1, LINKS + 1)))
    humans, human_weights = _weighted(HUMAN_AGENTS)
    bots, bot_weights = _weighted(BOT_AGENTS)
    previews, preview_weights = _weighted(PREVIEW_AGENTS)
    referrers, referrer_weights = _weighted(REFERRERS)
    countries, country_weights = _weighted(COUNTRIES)
    human_clicks = DAY_RECORDS * (1 - MISS_SHARE) * HUMAN_SHARE
    pools = [max(1, round(human_clicks * VISITOR_POOL_SHARE / (rank * popularity[-1]))) for rank in range(1, LINKS + 1)]
    records = []
    for _ in range(DAY_RECORDS):
        visitor = f"{rng.getrandbits(64):016x}"
        if rng.random() < MISS_SHARE:
            agent = rng.choices(humans, cum_weights=human_weights)[0]
            code = f"x{rng.getrandbits(24):06x}"  # an unknown code: a 404
            records.append(Record("GET", code, DOMAINS[0], 404, None, agent, None, visitor))
            continue
        link = bisect.bisect_left(popularity, rng.random() * popularity[-1])
        domain, code, _ = links[link]
        country = rng.choices(countries, cum_weights=country_weights)[0]
        kind = rng.random()
        if kind < HUMAN_SHARE:
            agent = rng.choices(humans, cum_weights=human_weights)[0]
            referrer = rng.choices(referrers, cum_weights=referrer_weights)[0]
            visitor = _visitor(link, rng.randrange(pools[link]))
            records.append(Record("GET", code, domain, 302, referrer, agent, country, visitor))
        elif kind < HUMAN_SHARE + BOT_SHARE:
            agent = rng.choices(bots, cum_weights=bot_weights)[0]
            records.append(Record("GET", code, domain, 302, None, agent, country, visitor))
        else:
            preview = rng.choices(previews, cum_weights=preview_weights)[0]
            if preview is None:
                records.append(Record("HEAD", code, domain, 302, None, humans[0], country, visitor))
            else:
                records.append(Record("GET", code, domain, 302, None, preview, None, visitor))
    return records


def batch_times(batch: int, size: int, records: int) -> list[float]:
    """Epoch seconds of each record of batch ``batch`` (of ``size`` records): the batches are spread over the day,
    each within ``BATCH_WINDOW_SECONDS``."""
    start = DAY_START.timestamp() + batch * size / DAY_RECORDS * 86_400
    step = min(BATCH_WINDOW_SECONDS / size, 86_400 / DAY_RECORDS)
    return [round(start + index * step, 3) for index in range(records)]


class ItemSizes:
    """The rollup items as DynamoDB holds them, reduced to what their sizes need (DynamoDB's item-size rules:
    attribute names and values in bytes, a number 1 byte per two significant digits plus 1)."""

    def __init__(self) -> None:
        self._numbers: dict[tuple[str, str], dict[str, int]] = {}
        self._ids: dict[tuple[str, str], set[str]] = {}
        self._sizes: dict[tuple[str, str], int] = {}

    def write_units(self, update: Any, *, apply: bool = True) -> int:
        """The write units of ``update`` (an ``ItemUpdate``) in a transaction; applied to the items unless
        ``apply`` is false (a batch weighed against the items as they stand)."""
        key = (update.pk, update.sk)
        before = self._sizes.get(key)
        size = before if before is not None else _attribute("pk", update.pk) + _attribute("sk", update.sk)
        numbers = self._numbers.get(key, {})
        changed: dict[str, int] = {}
        for name, amount in update.adds:
            old = numbers.get(name)
            changed[name] = (old or 0) + amount
            size += number_bytes(changed[name]) - (number_bytes(old) if old is not None else -len(name.encode()))
        ids = self._ids.get(key, set())
        new_ids = [visitor for visitor in update.ids if visitor not in ids]
        if new_ids:
            size += (0 if ids else len(b"ids")) + sum(len(visitor) for visitor in new_ids)
        if update.ttl is not None and "ttl" not in numbers:
            changed["ttl"] = update.ttl
            size += len(b"ttl") + number_bytes(update.ttl)
        if apply:
            self._numbers.setdefault(key, {}).update(changed)
            if new_ids:
                self._ids.setdefault(key, set()).update(new_ids)
            self._sizes[key] = size
        return _transactional_units(max(size, before or 0))

    def largest(self) -> int:
        return max(self._sizes.values(), default=0)

    def fullest_set(self) -> int:
        return max(map(len, self._ids.values()), default=0)


def _attribute(name: str, value: str) -> int:
    return len(name.encode()) + len(value.encode())


def _transactional_units(size: int) -> int:
    return TRANSACTIONAL_WRITE_UNITS * max(1, math.ceil(size / WRITE_UNIT_BYTES))


def _marker_units(batch_id: str, index: int, ttl: int) -> int:
    """A batch marker as storage/analytics.py puts it: ``pk = BATCH#<id>``, ``sk`` its index, ``ttl``."""
    size = _attribute("pk", f"BATCH#{batch_id}") + _attribute("sk", str(index)) + len(b"ttl") + number_bytes(ttl)
    return _transactional_units(size)


@dataclass
class _Tally:
    """One batch size's writes and reads, summed over the batches weighed."""

    batches: int = 0
    transactions: int = 0
    actions: int = 0
    write_units: int = 0
    shard_write_units: int = 0
    read_units: int = 0
    batch_gets: int = 0


def _probe() -> None:
    """Classify the day once, weigh every batch size's writes against the item model, then time the handler on
    batches of each size, its DynamoDB calls answered in-process and counted. Prints one JSON line."""
    from bench.canned import answer_in_process
    from shortlinks.domain.clicks import add_to_rollup, batch_totals, classify, parse_click
    from shortlinks.domain.rollups import Rollup, Scope
    from shortlinks.storage.analytics import plan_transactions
    from shortlinks.storage.keys import VISITOR_SHARD_MARK

    with contextlib.redirect_stdout(io.StringIO()):
        module = importlib.import_module(HANDLER)  # init: settings, clients, the agent rules
    retention = module.retention
    client = module.owners._item._get_connection().connection.client
    if module.store._client() is not client:
        raise SystemExit("the rollup store does not share the owners' botocore client")
    answers: dict[str, Any] = {"TransactWriteItems": {}}  # and each batch's owners, set before it is sent
    dynamodb = (client, answers, answer_in_process(client, answers))
    owner_of = {Scope.link(domain, code): owner for domain, code, owner in _links()}
    records = day_of_records()
    classified = []
    for record in records:
        parsed = parse_click(record.line(), int(DAY_START.timestamp() * 1000))
        if parsed is None:
            raise SystemExit(f"not a click record: {record}")
        classified.append(classify(parsed))
    marker_ttl = int(DAY_START.timestamp()) + 7 * 86_400

    def rollup_of(batch: int, size: int) -> tuple[Any, int]:
        """Batch ``batch`` of ``size`` records rolled up as count_clicks does, and how many links it looks up."""
        clicks = classified[batch * size : (batch + 1) * size]
        moments = [datetime.fromtimestamp(ts, UTC) for ts in batch_times(batch, size, len(clicks))]
        rollup = Rollup()
        for click, moment in zip(clicks, moments, strict=True):
            add_to_rollup(rollup, replace(click, at=moment), owner_of[click.link] if click.counts_on_link else None)
        return rollup, len({click.link for click in clicks if click.counts_on_link})

    def weigh(tally: _Tally, items: ItemSizes, batch: int, size: int, *, apply: bool) -> Any:
        rollup, looked_up = rollup_of(batch, size)
        transactions = plan_transactions(rollup, retention)
        batch_id = hashlib.sha256(f"{size}:{batch}".encode()).hexdigest()  # as long as a real batch's id
        for index, updates in enumerate(transactions):
            tally.write_units += _marker_units(batch_id, index, marker_ttl)
            for update in updates:
                units = items.write_units(update, apply=apply)
                tally.write_units += units
                tally.shard_write_units += units if VISITOR_SHARD_MARK in update.sk else 0
        tally.batches += 1
        tally.transactions += len(transactions)
        tally.actions += sum(len(updates) + 1 for updates in transactions)  # each one's updates and its marker
        tally.read_units += looked_up  # strongly consistent reads of items under 4 KB
        tally.batch_gets += math.ceil(looked_up / 100)
        return rollup

    # The day in steps of STEP_RECORDS, each applied to the items as one batch. Before each step, the first
    # SAMPLED_RECORDS of it, cut into batches of each smaller size, are weighed against the items as they stand
    # (not applied: the step applies those records). Larger sizes go through the whole day in their own batches.
    tallies = {size: _Tally() for size in BATCH_SIZES}
    mix = dict.fromkeys(("humans", "bots", "previews", "misses"), 0)
    items = ItemSizes()
    steps = DAY_RECORDS // STEP_RECORDS
    for step in range(steps):
        for size in (size for size in BATCH_SIZES if size < STEP_RECORDS):
            first = step * STEP_RECORDS // size
            for batch in range(first, first + SAMPLED_RECORDS // size):
                weigh(tallies[size], items, batch, size, apply=False)
        rollup = weigh(tallies.get(STEP_RECORDS, _Tally()), items, step, STEP_RECORDS, apply=True)
        counted = batch_totals(rollup)  # the day's mix, as the aggregator classified it
        for kind, amount in zip(mix, (counted.human, counted.bots, counted.previews, counted.misses), strict=True):
            mix[kind] += amount
    largest_ids, largest_item = items.fullest_set(), items.largest()
    for size in (size for size in BATCH_SIZES if size > STEP_RECORDS):
        items = ItemSizes()
        for batch in range(math.ceil(DAY_RECORDS / size)):
            weigh(tallies[size], items, batch, size, apply=True)
        largest_ids, largest_item = max(largest_ids, items.fullest_set()), max(largest_item, items.largest())

    sizes: list[dict[str, Any]] = []
    for size, tally in tallies.items():
        day_batches = math.ceil(DAY_RECORDS / size)
        timed = _timed_batches(day_batches, size)
        expected = {}
        for batch in timed:
            rollup, looked_up = rollup_of(batch, size)
            transactions = plan_transactions(rollup, retention)
            expected[batch] = {
                "TransactWriteItems": len(transactions),
                "actions": sum(len(updates) + 1 for updates in transactions),
                "BatchGetItem": math.ceil(looked_up / 100),
            }
        sizes.append(
            {"records_per_batch": size, "day_batches": day_batches, **tally.__dict__}
            | _time_handler(module, dynamodb, records, size, timed, expected)
        )
    print(
        json.dumps({"sizes": sizes, "mix": mix, "largest_shard_ids": largest_ids, "largest_item_bytes": largest_item})
    )


def _timed_batches(batches: int, size: int) -> list[int]:
    """Which of the day's batches are timed: enough for ``TIMED_RECORDS``, spread over the day."""
    count = min(batches, max(1, TIMED_RECORDS // size))
    return sorted({batch * batches // count for batch in range(count)})


def _subscription_event(lines: list[str], times: list[float], first_id: int) -> dict[str, Any]:
    """An ``awslogs`` event as CloudWatch Logs invokes the aggregator with (base64 of gzip of JSON)."""
    payload = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": REDIRECT_LOG_GROUP,
        "logStream": "2026/12/01/[$LATEST]6e3b0f6a1c2d4e8f9a0b1c2d3e4f5a6b",
        "subscriptionFilters": ["shortlinks-ClickRecordsSubscription-bench"],
        "logEvents": [
            {"id": f"{first_id + index:056d}", "timestamp": int(ts * 1000), "message": line + "\n"}
            for index, (line, ts) in enumerate(zip(lines, times, strict=True))
        ],
    }
    data = gzip.compress(json.dumps(payload).encode(), mtime=0)
    return {"awslogs": {"data": base64.b64encode(data).decode()}}


def _time_handler(
    module: Any,
    dynamodb: tuple[Any, dict[str, Any], Any],
    records: list[Record],
    size: int,
    timed: list[int],
    planned: dict[int, dict[str, int]],
) -> dict[str, Any]:
    """The handler on the ``timed`` batches of ``size``: once counted (its botocore calls against the plan, its log
    bytes), then ``REPEATS`` timed passes. ``dynamodb``: the handler's client, the in-process answers it gets (each
    batch's owners; transactions succeed) and its call counter."""
    import gc

    from bench.coldstart_probe import Context
    from bench.warm_probe import _redirect_logs

    class AggregatorContext(Context):
        function_name = "analytics"
        memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"))

        def get_remaining_time_in_millis(self) -> int:
            return 30_000  # template.yaml's Timeout

    client, answers, calls = dynamodb
    table = module.settings.table_name
    link_items = {
        (domain, code): {"domain": {"S": domain}, "code": {"S": code}} | ({"owner": {"S": owner}} if owner else {})
        for domain, code, owner in _links()
    }
    events, owners = [], []
    for batch in timed:
        chosen = records[batch * size : (batch + 1) * size]
        times = batch_times(batch, size, len(chosen))
        events.append(_subscription_event([record.line() for record in chosen], times, batch * size))
        found = sorted({(r.domain, r.code) for r in chosen if (r.domain, r.code) in link_items})
        owners.append({"Responses": {table: [link_items[link] for link in found]}, "UnprocessedKeys": {}})

    actions = [0]

    def count_actions(params: dict[str, Any], **_: Any) -> None:
        actions[0] += len(params.get("TransactItems", ()))

    context = AggregatorContext()
    captured = io.StringIO()
    _redirect_logs(captured)
    counted_as_planned = True
    client.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", count_actions)
    with contextlib.redirect_stdout(captured):
        for batch, event, answer in zip(timed, events, owners, strict=True):
            calls.clear()
            actions[0] = 0
            answers["BatchGetItem"] = answer
            outcome = module.lambda_handler(event, context)
            if outcome["records"] != len(records[batch * size : (batch + 1) * size]) or outcome["skipped"]:
                raise SystemExit(f"batch {batch} of {size} was not counted whole: {outcome}")
            counted = {"TransactWriteItems": calls["TransactWriteItems"], "actions": actions[0]}
            counted["BatchGetItem"] = calls["BatchGetItem"]
            counted_as_planned &= counted == planned[batch]
    client.meta.events.unregister("provide-client-params.dynamodb.TransactWriteItems", count_actions)
    log_bytes = len(captured.getvalue().encode()) / len(timed)

    passes = []
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        _redirect_logs(sink)
        for _ in range(REPEATS):
            gc.collect()
            elapsed = 0.0
            for event, answer in zip(events, owners, strict=True):
                answers["BatchGetItem"] = answer
                started = time.perf_counter()
                module.lambda_handler(event, context)
                elapsed += time.perf_counter() - started
            passes.append(elapsed / len(timed) * 1000)
        _redirect_logs(sys.__stdout__)  # before the sink closes
    return {
        "ms_per_batch": statistics.median(passes),
        "log_bytes_per_batch": log_bytes,
        "timed_batches": len(timed),
        "counted_as_planned": counted_as_planned,
    }


def main() -> int:
    from bench import cost, warm
    from bench.fixtures import ensure_paths

    ensure_paths()
    print("... click analytics", file=sys.stderr, flush=True)
    figures = measure()
    print("... the redirect's warm figure (the baseline)", file=sys.stderr, flush=True)
    measured = warm.measure(("redirect", "create", "expand", "authorizer"))
    baseline = cost.lambda_design(cost.operations(measured, {})[0])  # the redirect, without its INIT share
    for line in report(figures, baseline):
        print(line)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "probe":
        _probe()
    else:
        sys.exit(main())
