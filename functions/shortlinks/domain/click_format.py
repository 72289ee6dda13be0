"""The click record's shape on the wire: one short JSON line per redirect request, in the redirect's log group.

Every redirect writes one, so its bytes are a cost per redirect (CloudWatch Logs ingestion and storage): the keys
are short, a field without a value is left out, and the line carries no EMF metric (metric filters on these records
count redirects, misses, 410s and 503s; template.yaml). Format 3 (``line``), e.g.::

    {"click":3,"c":"AbC1234","d":"sho.rt","s":302,"ref":"news.example.com","ua":"Mozilla/5.0 ...","cc":"GB",
     "v":"8f3f3e5882ef4c13"}

It leaves out what every log event already says or what nothing reads:

* no time: CloudWatch Logs stamps every log event with its own ``timestamp`` (ms), the moment Lambda took the line
  from stdout, and hands it to the aggregator with the message (handlers/analytics.py passes it to
  domain/clicks.py ``parse_click``);
* no method when it is ``GET``, nearly every request; a ``HEAD`` says so (``"m":"HEAD"``), since it is a preview;
* no request id: the aggregator never reads it (a batch is counted once by its log events' ids, not by its
  records'), and no query joins on it. A request is still found by its id in the API's access log, and its click
  record by its time, domain and code (docs/operations.md, "Click records").

Format 2 (``{"click":2,"t":<epoch seconds>,"id":<request id>,"m":"GET",...}``, the same short keys) and format 1
(``"record":"click"`` and the long names in ``FORMAT_1_NAMES``) are what the redirect wrote before; the aggregator
reads all three, so records written during a deployment are counted either way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

FORMAT = 3
FORMAT_2 = 2  # read, never written: records with their own time and request id
MARKER = "click"  # {"click": 3}: the subscription's and the metric filters' pattern ({ $.click >= 2 })

METHOD = "m"  # absent for GET (DEFAULT_METHOD)
CODE = "c"  # "" for a domain's root
DOMAIN = "d"
STATUS = "s"
REFERRER_HOST = "ref"  # only when the request had a Referer
USER_AGENT = "ua"  # only when it had a User-Agent
COUNTRY = "cc"  # CloudFront-Viewer-Country, only when present
VISITOR = "v"  # only when the redirect held the day's secret
MISS = "miss"  # 1 on a redirect to a domain's not_found_url (an unknown code answered with a 302)
SOURCE = "src"  # "qr" for a QR code's scan (its marker taken out of the query); absent for any other request
DEFAULT_METHOD = "GET"

# Format 2's time, which format 3 leaves out (read, never written). Its request id ("id") is read by nothing.
TIMESTAMP = "t"  # epoch seconds, UTC, to the millisecond

# Format 1's names for the same fields (read, never written).
FORMAT_1_NAMES = {
    TIMESTAMP: "ts",
    METHOD: "method",
    CODE: "code",
    DOMAIN: "domain",
    STATUS: "status",
    REFERRER_HOST: "referrer_host",
    USER_AGENT: "user_agent",
    COUNTRY: "country",
    VISITOR: "visitor",
    MISS: "miss",
    SOURCE: "source",
}

_COMPACT = (",", ":")


def line(fields: Mapping[str, Any]) -> str:
    """One request's click record in format 3, as the line the redirect writes (with its newline): ``fields`` by
    their short keys above, those whose value is ``None`` left out, and the method too when it is ``GET``.

    It runs on every redirect: one dict and one ``json.dumps``, as cheap as the format 2 writer it replaces."""
    record: dict[str, Any] = {MARKER: FORMAT}
    record.update((name, value) for name, value in fields.items() if value is not None)
    if record.get(METHOD) == DEFAULT_METHOD:
        del record[METHOD]
    return json.dumps(record, separators=_COMPACT) + "\n"
