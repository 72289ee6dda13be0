"""The arithmetic behind make bench's cost and hot-link figures: write units from the template's indexes, the
simulated reads of a viral link, and the metrics a function's EMF can create."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench import analytics, cost, hotlinks
from bench.dynamodb_units import item_bytes, number_bytes, read_units, write_units
from bench.fixtures import link_item
from local.template import load_template, table_definition
from shortlinks.domain import click_format
from shortlinks.domain.clicks import parse_click

INDEXES = {index["IndexName"]: index for index in table_definition(load_template())["GlobalSecondaryIndexes"]}


def _owned_link() -> dict[str, Any]:
    return link_item() | {
        "gsi1pk": {"S": "OWNER#key_BenchAdmin01"},
        "gsi1sk": {"S": "2026-11-25T12:00:00.000Z#bench.example#bench01"},
        "gsi2pk": {"S": "URL#key_BenchAdmin01#bench.example#bbda95655b04f20c062986ce02cb32d0"},
        "gsi2sk": {"S": "2026-11-25T12:00:00.000Z"},
        "gsi3pk": {"S": "LINKS#bench.example"},
        "gsi3sk": {"S": "2026-11-25T12:00:00.000Z#bench01"},
    }


def test_an_owned_link_is_written_to_the_table_and_all_three_indexes() -> None:
    assert write_units(_owned_link(), INDEXES) == {"table": 1, "gsi1": 1, "gsi2": 1, "gsi3": 1}


def test_an_index_whose_keys_the_item_lacks_costs_nothing() -> None:
    anonymous = {name: value for name, value in _owned_link().items() if not name.startswith(("gsi1", "gsi2"))}

    assert write_units(anonymous, INDEXES) == {"table": 1, "gsi3": 1}


def test_a_write_over_a_kilobyte_costs_a_unit_per_started_kilobyte() -> None:
    item = _owned_link() | {"title": {"S": "x" * 1500}}

    units = write_units(item, INDEXES)

    assert units["table"] == 2
    assert units["gsi1"] == 2  # projects ALL
    assert units["gsi2"] == 2  # projects the title
    assert units["gsi3"] == 1  # projects state, expiry and tags only


def test_sizes_follow_dynamodbs_rules() -> None:
    assert item_bytes({"url": {"S": "https://a.example"}}) == 3 + 17
    assert number_bytes(302) == 3  # two significant-digit pairs, plus one
    assert number_bytes(1000) == 2
    assert read_units(link_item(), consistent=False) == 0.5


def test_without_the_cache_every_redirect_reads_the_item() -> None:
    hot = hotlinks.simulate(10_000, duration_ms=10.0, ttl_seconds=0)

    assert hot.reads_cached == hot.reads_uncached == 10_000


@pytest.mark.parametrize("rate", hotlinks.RATES)
def test_with_the_cache_each_container_reads_about_once_per_ttl(rate: int) -> None:
    # GIVEN rate x 10 ms of containers, each refreshing its copy every 5 s
    hot = hotlinks.simulate(rate, duration_ms=10.0, ttl_seconds=5.0, window_seconds=60.0)

    # THEN the item is read about containers / TTL times a second (a little less: a copy is refreshed on the first
    # request after it expired, not at the instant)
    assert hot.containers == rate // 100
    assert 0.9 * hot.containers / 5.0 <= hot.reads_cached <= hot.containers / 5.0 + hot.containers / 60.0


def test_the_metrics_a_function_can_emit_are_read_from_its_code() -> None:
    # a literal chosen between two, and the JSON adapter's variable assigned either of two
    assert cost.metric_names("CreateFunction") == {"LinksCreated", "LinksReused", "ClientErrors", "ServerErrors"}
    # a variable iterated over a tuple of (name, value) pairs
    assert {"ClicksCounted", "MissesCounted", "ClickRecordsSkipped"} <= cost.metric_names("AnalyticsFunction")
    assert cost.metric_names("AuthorizerFunction") == set()


def test_no_platform_lines_are_priced_for_a_function_that_logs_them_at_warn() -> None:
    assert cost.platform_log_bytes("RedirectFunction") == 0


def test_the_access_log_line_is_sized_from_the_template_with_a_sample_for_every_variable() -> None:
    # GIVEN template.yaml's access-log format, every $context variable replaced by the bench's typical value
    separator, pieces = load_template()["Resources"]["HttpApi"]["Properties"]["AccessLogSettings"]["Format"]["Fn::Join"]
    fields = json.loads(separator.join(pieces))
    line = json.dumps(
        {key: cost._ACCESS_LOG_SAMPLE[variable] for key, variable in fields.items()}, separators=(",", ":")
    )

    # THEN the bench prices that line and its newline, and it fails rather than size a variable by its name
    assert cost.access_log_bytes() == len(line) + 1
    with pytest.MonkeyPatch.context() as patch:
        patch.delitem(cost._ACCESS_LOG_SAMPLE, "$context.status")
        cost.access_log_bytes.cache_clear()
        with pytest.raises(ValueError, match="no sample value"):
            cost.access_log_bytes()
    cost.access_log_bytes.cache_clear()


def _redirect(init_ms: float = 300.0, log_bytes: int = 237) -> cost.Operation:
    invocation = cost.Invocation("RedirectFunction", 600.0, init_ms, 4.0, log_bytes, 1)
    return cost.Operation("redirect", (invocation,), 0.5, 0.0, 10_000_000)


def test_init_is_billed_at_the_import_time_measured_on_a_full_core_as_lambdas_burst_cpu_runs_it() -> None:
    # GIVEN a 256 MB redirect whose import took 300 ms here, and 1% of invocations starting a container
    assert cost._specs()["RedirectFunction"].memory_size == 256

    line = cost.lambda_design(_redirect(init_ms=300.0))

    # THEN a million requests pay for 10,000 INITs of 0.3 s at 0.25 GB, not stretched to a 256 MB vCPU share
    assert line.parts["lambda_init"] == pytest.approx(10_000 * 0.3 * 0.25 * cost.price("lambda_arm_duration"))


def test_the_access_log_is_priced_at_its_log_groups_class_and_the_functions_lines_at_standard() -> None:
    # GIVEN template.yaml's default: the access log in the Infrequent Access class
    assert cost.access_log_ingestion_price() == "logs_ingestion_ia"
    per_gigabyte = 1e6 / 1024**3

    line = cost.lambda_design(_redirect(log_bytes=237))

    assert line.parts["logs_ingestion"] == pytest.approx(
        (237 * cost.price("logs_ingestion") + cost.access_log_bytes() * cost.price("logs_ingestion_ia")) * per_gigabyte
    )
    assert cost.price("logs_ingestion_ia") == cost.price("logs_ingestion") / 2


def test_logs_are_kept_at_the_size_cloudwatch_bills_gzip_level_6_plus_26_bytes_an_event() -> None:
    per_gigabyte = 1e6 / 1024**3
    months = cost.log_retention_days() / cost.DAYS_PER_MONTH

    line = cost.lambda_design(_redirect(log_bytes=237))

    # THEN each line is stored at its kind's measured ratio, and each of the two events (click record, access-log
    # line) adds its metadata
    stored = 237 * cost.archive_ratio("function") + cost.access_log_bytes() * cost.archive_ratio("access") + 2 * 26
    assert line.parts["logs_storage"] == pytest.approx(stored * per_gigabyte * cost.price("logs_storage") * months)
    # a day of campaign records repeats its agents, domains and referrers: gzip keeps well under half of it
    assert 0.05 < cost.archive_ratio("function") < 0.5
    assert 0.05 < cost.archive_ratio("access") < 0.6


def test_the_cost_report_states_the_access_log_line_and_what_each_operation_wrote() -> None:
    parts = dict.fromkeys(("api", "lambda_requests", "lambda_duration", "lambda_init", "dynamodb"), 0.0)
    parts |= dict.fromkeys(("logs_ingestion", "logs_storage", "metrics"), 0.0)
    written = {"redirect": 237, "create": 512}
    costs = [cost.Cost(name, "HTTP API + Lambda", 1, dict(parts), count) for name, count in written.items()]

    report = "\n".join(cost.report(costs, []))

    assert f"the API's access-log line {cost.access_log_bytes()} " in report
    assert "redirect 237, create 512 (the redirect's is its click record alone" in report


def test_the_analytics_bench_writes_click_records_as_the_redirect_does() -> None:
    record = analytics.Record("GET", "AbC1234", "sho.rt", 302, None, "Mozilla/5.0", "FR", "3f2a9c0d1e4b5a67")

    line = record.line()

    assert line + "\n" == click_format.line(
        {"m": "GET", "c": "AbC1234", "d": "sho.rt", "s": 302, "ua": "Mozilla/5.0", "cc": "FR", "v": "3f2a9c0d1e4b5a67"}
    )
    assert parse_click(line, 1796116443118) is not None
