"""The click record's shape on the wire: one short JSON line per redirect request, in the redirect's log group.

Every redirect writes one, so its bytes are a cost per redirect (CloudWatch Logs ingestion and storage): the keys
are short, a field without a value is left out, and the line carries no EMF metric (metric filters on these records
count redirects, misses, 410s and 503s; template.yaml). Format 2, e.g.::

    {"click":2,"t":1796047380.586,"id":"B2fMxgQjIAMEc7A=","m":"GET","c":"AbC1234","d":"sho.rt","s":302,
     "ref":"news.example.com","ua":"Mozilla/5.0 ...","cc":"GB","v":"8f3f3e5882ef4c13"}

Format 1 (``"record":"click"`` and the long names in ``FORMAT_1_NAMES``) is what the redirect wrote before; the
aggregator (domain/clicks.py) reads both, so records written during a deployment are counted either way.
"""

from __future__ import annotations

FORMAT = 2
MARKER = "click"  # {"click": 2}: the subscription's and the metric filters' pattern ({ $.click = 2 })

TIMESTAMP = "t"  # epoch seconds, UTC, to the millisecond
REQUEST_ID = "id"  # API Gateway's request id
METHOD = "m"
CODE = "c"  # "" for a domain's root
DOMAIN = "d"
STATUS = "s"
REFERRER_HOST = "ref"  # only when the request had a Referer
USER_AGENT = "ua"  # only when it had a User-Agent
COUNTRY = "cc"  # CloudFront-Viewer-Country, only when present
VISITOR = "v"  # only when the redirect held the day's secret
MISS = "miss"  # 1 on a redirect to a domain's not_found_url (an unknown code answered with a 302)
SOURCE = "src"  # "qr" for a QR code's scan (its marker taken out of the query); absent for any other request

# Format 1's names for the same fields (read, never written).
FORMAT_1_NAMES = {
    TIMESTAMP: "ts",
    REQUEST_ID: "request_id",
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
