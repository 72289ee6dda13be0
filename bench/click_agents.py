"""What format 4's user-agent tokens save and cost (domain/click_format.py ``encode_agent``): ``python -m
bench.click_agents``.

For each agent of bench/analytics.py's campaign mix, the bytes of its click record in format 3 (the agent as it
came) and format 4 (the redirect's ``line``), with the same typical fields; the averages weighted by the mix's own
weights (its browsers, and the whole day of records ``analytics.day_of_records`` writes: humans, bots, previews and
misses); and the time to encode an agent and to write a record, per record over the mix's agents, median of 7
passes. Pure Python, no network; the figures go to docs/benchmarks.md ("Issue 13: what each change bought").
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable

from bench import analytics
from shortlinks.domain import click_format as wire

# A short name for each of the mix's browsers, in HUMAN_AGENTS' order.
BROWSER_NAMES = (
    "iPhone Safari",
    "Windows Chrome",
    "Android Chrome (Pixel)",
    "macOS Safari",
    "macOS Chrome",
    "Windows Edge",
    "Samsung Internet",
    "iPhone Instagram in-app",
    "iPhone Facebook in-app",
    "Windows Firefox",
    "iPad Safari",
    "Android tablet Chrome",
    "Linux Chrome",
    "ChromeOS Chrome",
)
PASSES = 7
ROUNDS = 2_000  # per pass, each over every agent of the mix


def fields(agent: str | None) -> dict[str, object]:
    """A typical record's fields (a 302 with a referrer, a country and a visitor id) with ``agent``."""
    return {"c": "AbC1234", "d": "go.bench.example", "s": 302, "ref": "t.co", "ua": agent, "cc": "GB",
            "v": "8f3f3e5882ef4c13"}  # fmt: skip


def format_3(record: dict[str, object]) -> str:
    """The record as format 3's writer wrote it: format 4's line with the agent as it came. A writer of its own, not
    click_format.format_3_record (a decode of format 4), because its time is the baseline of format 4's."""
    written = {wire.MARKER: 3} | {name: value for name, value in record.items() if value is not None}
    if written.get(wire.METHOD) == wire.DEFAULT_METHOD:
        del written[wire.METHOD]
    return json.dumps(written, separators=(",", ":")) + "\n"


def sizes(record: dict[str, object]) -> tuple[int, int]:
    """Bytes of ``record``'s line in format 3 and in format 4."""
    return len(format_3(record).encode()), len(wire.line(record).encode())


def per_record_us(work: Callable[[], object], records: int) -> float:
    """Median over ``PASSES`` of ``ROUNDS`` calls of ``work`` (each over ``records`` records), in us a record."""
    passes = []
    for _ in range(PASSES):
        start = time.perf_counter()
        for _ in range(ROUNDS):
            work()
        passes.append((time.perf_counter() - start) / ROUNDS / records * 1e6)
    return statistics.median(passes)


def main() -> int:
    print("| agent | weight | format 3 B | format 4 B | saved |")
    print("|---|---:|---:|---:|---:|")
    weighted_before = weighted_after = 0.0
    for name, (agent, weight) in zip(BROWSER_NAMES, analytics.HUMAN_AGENTS, strict=True):
        before, after = sizes(fields(agent))
        weighted_before += before * weight
        weighted_after += after * weight
        print(f"| {name} | {weight} | {before} | {after} | {before - after} |")
    others: tuple[tuple[str | None, int], ...] = (*analytics.BOT_AGENTS, *analytics.PREVIEW_AGENTS)
    for other, weight in others:
        if other:
            three, four = sizes(fields(other))
            print(f"| {other[:50]} | {weight} | {three} | {four} | {three - four} |")
    total = sum(weight for _, weight in analytics.HUMAN_AGENTS)
    mean_3, mean_4 = weighted_before / total, weighted_after / total
    print(f"| **browsers, weighted** | {total} | {mean_3:.1f} | {mean_4:.1f} | {mean_3 - mean_4:.1f} |")

    day = analytics.day_of_records()
    lines = [(format_3(record.fields()), record.line() + "\n") for record in day]
    mean_3 = sum(len(three.encode()) for three, _ in lines) / len(lines)
    mean_4 = sum(len(four.encode()) for _, four in lines) / len(lines)
    print(f"| **the day's {len(day):,} records** (humans, bots, previews, misses) | - | {mean_3:.1f} | {mean_4:.1f} | "
          f"{mean_3 - mean_4:.1f} |")  # fmt: skip

    agents = [agent for agent, _ in analytics.HUMAN_AGENTS] + [a for a, _ in analytics.BOT_AGENTS if a]
    records = [fields(agent) for agent in agents]
    encode_us = per_record_us(lambda: [wire.encode_agent(agent) for agent in agents], len(agents))
    line_4_us = per_record_us(lambda: [wire.line(record) for record in records], len(records))
    line_3_us = per_record_us(lambda: [format_3(record) for record in records], len(records))
    print()
    print(
        f"encode_agent: {encode_us:.2f} us an agent; a record's line: format 4 {line_4_us:.2f} us, format 3 "
        f"{line_3_us:.2f} us (median of {PASSES} passes over the mix's {len(agents)} browser and bot agents)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
