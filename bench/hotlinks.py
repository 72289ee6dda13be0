"""A viral link, simulated: how many DynamoDB reads per second land on its one item at 1k to 100k redirects a
second, with and without the redirect's per-container cache; and what a scan of random codes costs.

No network, no AWS: Lambda runs ``rate x duration`` containers (each serves one request at a time), requests reach
each container as a Poisson stream, and a container reads the item when it has no fresh copy: on its first request,
then on the first request after each TTL. ``python -m bench.hotlinks`` prints the table alone.
"""

from __future__ import annotations

import argparse
import math
import random
from dataclasses import dataclass

from local.template import load_template, parameter_values

RATES = (1_000, 10_000, 50_000, 100_000)  # redirects a second on one link
# DynamoDB serves a partition 3,000 read units a second; an eventually consistent read of an item up to 4 KB is half
# a unit, so 6,000 reads a second of one link's item.
PARTITION_READS_PER_SECOND = 6_000
GOAL_SHARE = 0.10  # of the partition limit, at the highest rate
WINDOW_SECONDS = 60.0
SEED = 13
# Until template.yaml has the cache's parameters (issue 13's redirect cache), their intended defaults.
DEFAULT_CACHE_SECONDS = 5.0
DEFAULT_MISS_CACHE_SECONDS = 1.0


@dataclass(frozen=True)
class HotLink:
    rate: int  # redirects a second
    containers: int
    reads_uncached: float  # a second: one GetItem per redirect
    reads_cached: float  # a second, simulated

    @property
    def share_cached(self) -> float:
        return self.reads_cached / PARTITION_READS_PER_SECOND

    @property
    def share_uncached(self) -> float:
        return self.reads_uncached / PARTITION_READS_PER_SECOND


def cache_seconds() -> tuple[float, float]:
    """``RedirectCacheSeconds`` and ``RedirectMissCacheSeconds`` as template.yaml deploys them by default."""
    parameters = parameter_values(load_template())
    return (
        float(parameters.get("RedirectCacheSeconds", DEFAULT_CACHE_SECONDS)),
        float(parameters.get("RedirectMissCacheSeconds", DEFAULT_MISS_CACHE_SECONDS)),
    )


def containers(rate: float, duration_ms: float) -> int:
    """Lambda's concurrency for ``rate`` requests a second that each take ``duration_ms``: one request per container."""
    return max(1, math.ceil(rate * duration_ms / 1000))


def simulate(rate: int, duration_ms: float, ttl_seconds: float, window_seconds: float = WINDOW_SECONDS) -> HotLink:
    """Reads a second of one item over ``window_seconds``, every container starting cold at the window's start."""
    count = containers(rate, duration_ms)
    if ttl_seconds <= 0:
        return HotLink(rate, count, float(rate), float(rate))
    random_draw = random.Random(f"{SEED}-{rate}-{duration_ms}-{ttl_seconds}")
    per_container = rate / count  # requests a second reaching each container
    reads = 0
    for _ in range(count):
        moment = random_draw.expovariate(per_container)  # its first request: a miss, it reads
        while moment < window_seconds:
            reads += 1
            # Its copy serves every request until it expires; the first request after that reads again.
            moment += ttl_seconds + random_draw.expovariate(per_container)
    return HotLink(
        rate=rate,
        containers=count,
        reads_uncached=float(rate),
        reads_cached=reads / window_seconds,
    )


def viral_link(duration_ms: float, ttl_seconds: float) -> list[HotLink]:
    return [simulate(rate, duration_ms, ttl_seconds) for rate in RATES]


def report(duration_ms: float, redirect_dollars_per_million: float, ttl_seconds: float | None = None) -> list[str]:
    """The section of ``make bench``'s report: the viral link at each rate, then the scans. ``ttl_seconds``:
    the cache's TTL, template.yaml's default unless given."""
    ttl, miss_ttl = cache_seconds()
    ttl = ttl if ttl_seconds is None else ttl_seconds
    results = viral_link(duration_ms, ttl)
    lines = [
        f"### Hot links (simulated: {duration_ms:.1f} ms a redirect, TTL {ttl:g} s, miss TTL {miss_ttl:g} s, "
        f"{WINDOW_SECONDS:.0f} s from cold)",
        "",
        "| redirects/s on one link | containers | reads/s, no cache | of partition limit | reads/s, cache | "
        "of partition limit |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for hot in results:
        lines.append(
            f"| {hot.rate:,} | {hot.containers:,} | {hot.reads_uncached:,.0f} | {hot.share_uncached:.0%} | "
            f"{hot.reads_cached:,.1f} | {hot.share_cached:.2%} |"
        )
    hammered = simulate(RATES[-1], duration_ms, miss_ttl)
    rate_limit = int(parameter_values(load_template())["RedirectRateLimit"])
    lines += [
        "",
        f"Partition limit: {PARTITION_READS_PER_SECOND:,} eventually consistent reads/s of one small item "
        f"(3,000 read units). One unknown code hammered at {hammered.rate:,}/s: {hammered.reads_cached:,.0f} reads/s "
        f"(miss TTL). A scan of random codes misses every time, whatever the cache: one read per request, spread "
        f"over the table's partitions (no hot key), at the redirect's full cost: "
        + ", ".join(
            f"{rate:,}/s = ${rate * 3600 / 1e6 * redirect_dollars_per_million:,.2f} an hour" for rate in RATES[:2]
        )
        + f". API Gateway answers 429 above RedirectRateLimit ({rate_limit:,}/s by default) before any function "
        "runs: a campaign expecting more raises it.",
    ]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hotlinks")
    parser.add_argument("--duration-ms", type=float, default=10.0, help="one redirect's duration in Lambda")
    parser.add_argument("--dollars-per-million", type=float, default=1.40, help="a redirect's all-in cost")
    parser.add_argument("--ttl", type=float, default=None, help="the cache's TTL in s (template.yaml's default)")
    args = parser.parse_args()
    for line in report(args.duration_ms, args.dollars_per_million, args.ttl):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
