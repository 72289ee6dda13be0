"""Unique visitors without an IP address: the redirect's visitor ids under the daily secret (issue 10)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from shortlinks.domain.visitors import visitor_id
from tests.events import load_event
from tests.integration.harness import CapturedLogs, LambdaFunction, LinkStore, recording_dynamodb_calls

TODAY = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def follow(
    redirect: LambdaFunction,
    *,
    ip: str = "198.51.100.7",
    agent: str = "Mozilla/5.0 (X11; Linux)",
    code: str = "AbC1234",
) -> None:
    event = load_event("redirect", path_parameters={"code": code}, headers={"user-agent": agent})
    event["requestContext"]["http"]["sourceIp"] = ip
    redirect(event)


def secret_items(store: LinkStore) -> list[dict[str, Any]]:
    return [item for item in store.items() if item["pk"]["S"] == "SECRET#visitor"]


@pytest.fixture
def on_day(redirect: LambdaFunction, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Move the redirect's clock to a given moment, with a fresh container's secret cache."""
    module = redirect.module
    module.daily_secret.forget()
    monkeypatch.setattr(module.daily_secret, "clock", lambda: 0.0)

    def move(moment: datetime) -> None:
        monkeypatch.setattr(module, "utc_now", lambda: moment)

    return move


def test_one_visitor_has_one_id_a_day_and_nothing_identifies_them(
    redirect: LambdaFunction, store: LinkStore, logs: CapturedLogs, on_day: Any
) -> None:
    # GIVEN a link, and the day's secret not created yet
    store.add("AbC1234")
    on_day(TODAY)
    # WHEN the same visitor follows it twice, and someone else once
    follow(redirect)
    follow(redirect)
    follow(redirect, ip="198.51.100.8")
    follow(redirect, agent="Mozilla/5.0 (iPhone)")
    # THEN the visitor's two clicks share an id, the others differ, and no address is recorded
    ids = [click["visitor"] for click in logs.clicks()]
    assert ids[0] == ids[1]
    assert len(set(ids)) == 3
    assert "198.51.100.7" not in json.dumps(logs.records())
    # AND the id is the HMAC under the day's secret, which expires 48 hours after the day began
    [item] = [item for item in secret_items(store) if item["sk"]["S"] == "2026-12-01"]
    secret = base64.b64decode(item["secret"]["S"])
    assert ids[0] == visitor_id(secret, "198.51.100.7", "Mozilla/5.0 (X11; Linux)", "sho.rt")
    assert item["sk"]["S"] == "2026-12-01"
    assert int(item["ttl"]["N"]) == int(datetime(2026, 12, 3, tzinfo=UTC).timestamp())


def test_a_new_day_brings_a_new_secret_and_new_ids(
    redirect: LambdaFunction, store: LinkStore, logs: CapturedLogs, on_day: Any
) -> None:
    store.add("AbC1234")
    on_day(TODAY)
    follow(redirect)
    on_day(TODAY + timedelta(days=1))
    follow(redirect)

    first, second = (click["visitor"] for click in logs.clicks())
    assert first != second
    assert {"2026-12-01", "2026-12-02"} <= {item["sk"]["S"] for item in secret_items(store)}


def test_the_secret_is_read_once_per_day_not_per_request(
    redirect: LambdaFunction, store: LinkStore, on_day: Any
) -> None:
    store.add("AbC1234")
    on_day(TODAY)
    reads: list[object] = []
    module = redirect.module
    load: Callable[[date], bytes] = module.daily_secret.load

    def counted(day: date) -> bytes:
        reads.append(day)
        return load(day)

    module.daily_secret.load = counted

    for _ in range(5):
        follow(redirect)

    assert len(reads) == 1


def test_containers_share_the_days_secret(redirect: LambdaFunction, store: LinkStore) -> None:
    first = redirect.module.repository.visitor_secret(TODAY.date())
    again = redirect.module.repository.visitor_secret(TODAY.date())
    assert first == again
    assert len(first) == 32
    assert [item["sk"]["S"] for item in secret_items(store)].count("2026-12-01") == 1


def test_without_its_secret_a_redirect_still_redirects_and_records_no_visitor(
    redirect: LambdaFunction, store: LinkStore, logs: CapturedLogs, monkeypatch: pytest.MonkeyPatch, on_day: Any
) -> None:
    from shortlinks.domain.errors import StorageUnavailable

    # GIVEN a day whose secret nobody has created, and a store that fails to create it
    store.add("AbC1234")
    on_day(TODAY)

    def unavailable(day: object) -> bytes:
        raise StorageUnavailable.because("test")

    monkeypatch.setattr(redirect.module.daily_secret, "load", unavailable)

    # WHEN the link is followed
    follow(redirect)

    # THEN the visitor is redirected, and the click has no visitor id
    [click] = logs.clicks()
    assert click["status"] == 302
    assert click["visitor"] is None


def test_a_cold_container_reads_its_link_and_the_days_secret_in_one_batch(
    redirect: LambdaFunction, store: LinkStore, logs: CapturedLogs, on_day: Any
) -> None:
    # GIVEN a link, the day's secret already created by another container, and a container that holds no secret
    store.add("AbC1234")
    secret = redirect.module.repository.visitor_secret(TODAY.date())
    on_day(TODAY)
    redirect.module.domains.of_request("sho.rt")  # the registry read (docs/architecture.md), not what is counted

    # WHEN a visitor follows the link, and another follows another link (the first is cached)
    store.add("Other12")
    with recording_dynamodb_calls() as calls:
        follow(redirect)
        follow(redirect, code="Other12")

    # THEN the first request made one BatchGetItem (link and secret), the second one GetItem: no other read, no
    # write, and both visitors have ids under the day's secret
    assert [call.operation for call in calls] == ["BatchGetItem", "GetItem"]
    first, second = logs.clicks()
    assert first["visitor"] == visitor_id(secret, "198.51.100.7", "Mozilla/5.0 (X11; Linux)", "sho.rt")
    assert second["visitor"] == first["visitor"]


def test_a_cache_hit_on_a_new_day_reads_only_the_days_secret(
    redirect: LambdaFunction, store: LinkStore, logs: CapturedLogs, on_day: Any
) -> None:
    # GIVEN a link the container holds in its cache, and a new day whose secret exists
    store.add("AbC1234")
    on_day(TODAY)
    follow(redirect)
    tomorrow = TODAY + timedelta(days=1)
    redirect.module.repository.visitor_secret(tomorrow.date())
    on_day(tomorrow)

    # WHEN the link is followed again, within the cache time
    with recording_dynamodb_calls() as calls:
        follow(redirect)

    # THEN the one read was the day's secret
    assert [call.operation for call in calls] == ["GetItem"]
    assert calls[0].params["Key"]["pk"] == {"S": "SECRET#visitor"}
