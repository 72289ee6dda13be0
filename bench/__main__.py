"""``make bench``: run every benchmark, print one report, and (with --update-doc) put it in docs/benchmarks.md."""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import analytics, coldstart, cost, expander, package, throughput, warm
from bench.fixtures import ensure_paths
from local.template import ROOT

DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--update-doc", action="store_true", help="write the report into docs/benchmarks.md")
    parser.add_argument("--runs", type=int, default=coldstart.RUNS, help="cold starts per function")
    parser.add_argument("--skip-throughput", action="store_true", help="skip the 2 x 30 s load test")
    args = parser.parse_args()
    ensure_paths()
    lines: list[str] = []

    def out(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    out(f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {_machine()}; command: `make bench`.")
    out()

    # 1. Cold start
    print("... cold starts", file=sys.stderr, flush=True)
    server, endpoint = coldstart.start_dynamodb()
    try:
        cold = coldstart.measure(endpoint, args.runs)
        breakdown = coldstart.import_breakdown(endpoint)
    finally:
        server.stop()
    base = cold["baseline"].median_ms
    out(f"### Cold start (fresh interpreter: import + first request; median of {args.runs})")
    out()
    out("| function | median ms | import ms | x baseline | budget | within |")
    out("|---|---:|---:|---:|---:|:---:|")
    for name, result in cold.items():
        ratio = result.median_ms / base
        budget = coldstart.BUDGETS.get(name)
        within = "" if budget is None else ("yes" if ratio <= budget else "**no**")
        budget_text = "-" if budget is None else f"{budget:.2f}x"
        row = f"| {name} | {result.median_ms:.1f} | {result.median_init_ms:.1f} | {ratio:.2f}x | {budget_text} |"
        out(f"{row} {within} |")
    out()
    out(
        "Redirect function, import time per top-level package (`python -X importtime` self times summed, ms; "
        "`shortlinks` includes module-scope init: settings and the DynamoDB client):"
    )
    out()
    out("| package | ms |")
    out("|---|---:|")
    for module, ms in breakdown:
        out(f"| `{module}` | {ms:.1f} |")
    out()

    # 2. Warm overhead, 3. requests per operation
    print("... warm invocations", file=sys.stderr, flush=True)
    warm_runs = warm.measure()
    warm_us = {name: result.us_per_invocation for name, result in warm_runs.items()}
    out("### Warm invocation (DynamoDB answered in-process, no socket; median of 7 batches of 2,000)")
    out()
    out("| function | us / invocation | x baseline | budget | within |")
    out("|---|---:|---:|---:|:---:|")
    for name, micros in warm_us.items():
        ratio = micros / warm_us["baseline"]
        budget = warm.BUDGET_REDIRECT if name == "redirect" else None
        within = "" if budget is None else ("yes" if ratio <= budget else "**no**")
        budget_text = "-" if budget is None else f"{budget:.2f}x"
        out(f"| {name} | {micros:.0f} | {ratio:.2f}x | {budget_text} | {within} |")
    out()
    out("### DynamoDB requests per operation (botocore events, one request each; init apart)")
    out()
    out("| operation | reads | writes | calls | at init (cold start) |")
    out("|---|---:|---:|---|---|")
    for name in (name for name in warm_runs if name != "baseline"):
        run = warm_runs[name]
        reads = sum(n for op, n in run.calls.items() if op in ("GetItem", "Query", "Scan", "BatchGetItem"))
        writes = sum(
            n for op, n in run.calls.items() if op in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem")
        )
        init = _calls(run.init_calls) or "-"
        if run.first_start_of_the_day_calls:
            init += f" (the day's first start anywhere: its visitor secret {_calls(run.first_start_of_the_day_calls)})"
        out(f"| {name} | {reads} | {writes} | {_calls(run.calls)} | {init} |")
    out()
    redirect_run = warm_runs["redirect"]
    per_request = {"GetItem": redirect_run.run_invocations}
    verdict = "1 read and 0 writes each" if redirect_run.run_calls == per_request else "**not one GetItem each**"
    out(
        f"Redirect over its whole timed warm run: {redirect_run.run_invocations:,} invocations made "
        f"{_calls(redirect_run.run_calls) or 'no call'}: {verdict}; the visitor secret is read at init only."
    )
    out()

    # 4. Package size
    print("... sam build", file=sys.stderr, flush=True)
    package.build()
    sizes = package.measure({name: result.modules for name, result in cold.items()})
    out("### Package size (`sam build`, arm64)")
    out()
    out("| function | unzipped MB | zipped MB | largest parts (MB) | shipped, never imported (MB) |")
    out("|---|---:|---:|---|---|")
    for size in sizes:
        largest = ", ".join(f"{entry} {mb:.1f}" for entry, mb in size.largest)
        unused = ", ".join(f"{entry} {mb:.1f}" for entry, mb in size.unused if mb >= 0.05) or "-"
        out(f"| {size.function} | {size.unzipped_mb:.1f} | {size.zipped_mb:.1f} | {largest} | {unused} |")
    out()

    # 5. Local server throughput
    if args.skip_throughput:
        out("### Local server throughput: skipped (--skip-throughput)")
    elif not throughput.wrk_available():
        out("### Local server throughput: skipped (wrk is not installed: `apt-get install wrk`)")
    else:
        print(f"... load test, 2 x {throughput.DURATION_S} s", file=sys.stderr, flush=True)
        results = throughput.measure()
        out(
            f"### Local server throughput (wrk, {throughput.THREADS} threads, {throughput.CONNECTIONS} connections, "
            f"{throughput.DURATION_S} s each; developer experience, not the cloud)"
        )
        out()
        out("| target | requests/s | p50 ms | p99 ms | x baseline |")
        out("|---|---:|---:|---:|---:|")
        for load in results:
            out(
                f"| {load.target} | {load.requests_per_s:.0f} | {load.p50_ms:.2f} | {load.p99_ms:.2f} | "
                f"{load.requests_per_s / results[0].requests_per_s:.2f}x |"
            )
    out()

    # 6. Cost model
    log_bytes = {name: warm_runs[name].log_bytes for name in ("redirect", "create")}
    memory = 256
    costs = [
        cost.lambda_design("redirect", warm_us["redirect"], memory, 0.5, 0, log_bytes["redirect"]),
        cost.direct_integration_design("redirect", 0.5, 0),
        # create: the conditional put and the caller's rate counter, behind the authorizer
        cost.lambda_design("create", warm_us["create"], memory, 0, 2, log_bytes["create"], warm_us["authorizer"]),
        cost.direct_integration_design("create", 0, 1),
    ]
    out(f"### Cost per million requests (us-east-1 list prices as of {cost.PRICES_AS_OF}; {memory} MB arm64)")
    out()
    out("| operation | design | billed ms | API $ | Lambda $ | DynamoDB $ | Logs $ | total $ |")
    out("|---|---|---:|---:|---:|---:|---:|---:|")
    for line_item in costs:
        p = line_item.parts
        out(
            f"| {line_item.operation} | {line_item.design} | {line_item.billed_ms or '-'} | {p['api']:.3f} | "
            f"{p['lambda']:.3f} | {p['dynamodb']:.4f} | {p['logs']:.4f} | **{line_item.dollars_per_million:.2f}** |"
        )
    out()
    out(
        f"Log bytes per invocation written by our code: redirect {log_bytes['redirect']}, create "
        f"{log_bytes['create']} (plus ~{cost.LAMBDA_PLATFORM_LOG_BYTES} of Lambda's own lines). Billed ms = "
        f"measured warm time + an assumed {cost.ASSUMED_GET_ITEM_MS:.0f} ms GetItem / "
        f"{cost.ASSUMED_PUT_ITEM_MS:.0f} ms PutItem round trip, rounded up. Create also pays the authorizer "
        "(one more invocation, billed 1 ms: its per-container cache answers without DynamoDB) and a second write "
        "unit for the rate counter; the direct-integration design has neither keys nor rate limits."
    )

    # 7. The expander: own links load none of it; the third-party path's overhead over bare urllib3
    print("... expander", file=sys.stderr, flush=True)
    out()
    for line in expander.report(expander.measure()):
        out(line)

    # 8. Click analytics: the aggregator's cost per million click records by batch size, against the redirect's
    print("... click analytics", file=sys.stderr, flush=True)
    out()
    for line in analytics.report(analytics.measure(), costs[0]):
        out(line)

    if args.update_doc:
        _update_doc("\n".join(lines))
        print(f"\nwrote the report into {DOC.relative_to(ROOT)}", file=sys.stderr)
    return 0


def _calls(calls: dict[str, int]) -> str:
    return ", ".join(f"{operation} x{count:,}" for operation, count in sorted(calls.items()))


def _machine() -> str:
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        match = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        cpu = match.group(1).strip() if match else ""
    return (
        f"{platform.machine()}, {os.cpu_count()} cores{', ' + cpu if cpu else ''}, Python {platform.python_version()}"
    )


def _update_doc(report: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{DOC} lacks the {START} / {END} markers")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    DOC.write_text(f"{head}{START}\n{report}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    os.environ.setdefault("SAM_CLI_TELEMETRY", "0")
    sys.exit(main())
