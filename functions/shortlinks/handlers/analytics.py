"""The click aggregator: a CloudWatch Logs subscription's batch of the redirect's click records, counted once.

CloudWatch Logs invokes the function asynchronously with ``{"awslogs": {"data": ...}}`` (base64 of gzip of JSON).
The function decodes it, names the batch by its log events' ids (a redelivery has the same ids, so the same
name), and hands the lines, each with its log event's timestamp (a format 4 or 3 record's time), to
``domain/clicks.py`` ``count_clicks``, which classifies them and reads the clicked links' owners
(``storage/owners.py``: one ``BatchGetItem`` per 100 links). The store adds the resulting rollup exactly once per
batch name (``storage/analytics.py``).

A line that is not a click record is skipped and counted (``ClickRecordsSkipped``), never failing the batch. A
store failure is never swallowed: the invocation fails, Lambda retries it, and then sends the event to the
on-failure queue. The metrics count what each delivery processed (a redelivery counts again there, not in the
statistics).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zlib
from typing import TYPE_CHECKING, Any

from shortlinks.config import Settings
from shortlinks.domain.clicks import batch_totals, count_clicks, load_agent_rules
from shortlinks.domain.rollups import Retention
from shortlinks.observability import MetricUnit, logger, metrics
from shortlinks.storage.analytics import DynamoRollupStore
from shortlinks.storage.budget import within_budget
from shortlinks.storage.owners import DynamoLinkOwners

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# CloudWatch Logs sends at most 1 MB of log events per invocation (compressed far smaller); anything that inflates
# past this is not a subscription's payload.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
DATA_MESSAGE = "DATA_MESSAGE"
CONTROL_MESSAGE = "CONTROL_MESSAGE"  # CloudWatch Logs checking that it can reach the function: nothing to count


class InvalidSubscriptionEvent(ValueError):
    """The event is not a CloudWatch Logs subscription payload. It fails the invocation, so the event ends in the
    on-failure queue for someone to look at, rather than vanishing."""


settings = Settings.from_env()
owners = DynamoLinkOwners(settings.table_name, settings.region, settings.dynamodb_endpoint)
owners.warm_up()
store = DynamoRollupStore(settings.table_name, settings.region, settings.dynamodb_endpoint, share_with=owners)
retention = Retention(hourly_days=settings.hourly_retention_days, daily_days=settings.daily_retention_days)
load_agent_rules()


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
@within_budget
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    payload = decode_subscription(event)
    if payload.get("messageType") != DATA_MESSAGE:
        logger.info("subscription message ignored", extra={"message_type": str(payload.get("messageType"))[:32]})
        return {"batch_id": None, "records": 0, "skipped": 0}
    log_events = _log_events(payload)
    if not log_events:
        return {"batch_id": None, "records": 0, "skipped": 0}
    batch_id = batch_id_of(log_events)
    logger.set_correlation_id(batch_id)
    rollup = count_clicks(
        [
            (line if isinstance(line := log_event.get("message"), str) else "", log_event.get("timestamp"))
            for log_event in log_events
        ],
        owners,
    )
    if rollup.buckets:
        store.apply(batch_id, rollup, retention)
    totals = batch_totals(rollup)
    for name, value in (
        ("ClicksCounted", totals.clicks),
        ("BotsCounted", totals.bots),
        ("PreviewsCounted", totals.previews),
        ("MissesCounted", totals.misses),
        ("ClickRecordsSkipped", rollup.skipped),
    ):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    logger.info(
        "click batch counted",
        extra={
            "batch_id": batch_id,
            "log_group": str(payload.get("logGroup", ""))[:512],
            "records": len(log_events),
            "skipped": rollup.skipped,
            "buckets": len(rollup.buckets),
        },
    )
    return {"batch_id": batch_id, "records": len(log_events), "skipped": rollup.skipped}


def decode_subscription(event: dict[str, Any]) -> dict[str, Any]:
    """The JSON document inside ``awslogs.data``: base64, then gzip (inflated to at most ``MAX_PAYLOAD_BYTES``)."""
    data = (event.get("awslogs") or {}).get("data") if isinstance(event, dict) else None
    if not isinstance(data, str):
        raise InvalidSubscriptionEvent("the event has no awslogs.data")
    try:
        compressed = base64.b64decode(data, validate=True)
        inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)  # gzip framing
        raw = inflater.decompress(compressed, MAX_PAYLOAD_BYTES + 1)
    except (binascii.Error, zlib.error) as error:
        raise InvalidSubscriptionEvent(f"awslogs.data is not base64 of gzip: {error}") from None
    if len(raw) > MAX_PAYLOAD_BYTES or not inflater.eof:
        raise InvalidSubscriptionEvent(f"awslogs.data inflates past {MAX_PAYLOAD_BYTES} bytes, or is truncated")
    try:
        payload = json.loads(raw)
    except ValueError:
        raise InvalidSubscriptionEvent("awslogs.data does not hold JSON") from None
    if not isinstance(payload, dict):
        raise InvalidSubscriptionEvent("awslogs.data does not hold a JSON object")
    return payload


def batch_id_of(log_events: list[dict[str, Any]]) -> str:
    """The batch's name: SHA-256 of its log events' ids, sorted (CloudWatch Logs keeps an event's id when it
    delivers it again, whatever the order)."""
    return hashlib.sha256("\n".join(sorted(str(event["id"]) for event in log_events)).encode()).hexdigest()


def _log_events(payload: dict[str, Any]) -> list[dict[str, Any]]:
    events = payload.get("logEvents")
    if not isinstance(events, list) or not all(
        isinstance(event, dict) and isinstance(event.get("id"), str) and event["id"] for event in events
    ):
        raise InvalidSubscriptionEvent("logEvents must be a list of log events, each with its id")
    return events
