"""Single-table key design (docs/architecture.md explains it). Every key is built here and nowhere else."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the redirect imports this module: no domain import at run time
    from shortlinks.domain.rollups import Scope

LINK_SK = "LINK"


def link_pk(domain: str, code: str) -> str:
    """Links are namespaced per short domain: the same code on two domains is two items."""
    return f"LINK#{domain}#{code}"


def history_sk(changed_at_iso: str, version: int) -> str:
    """History shares the link's partition: one Query returns a link's changes in time order."""
    return f"HIST#{changed_at_iso}#{version:010d}"


HISTORY_PREFIX = "HIST#"


def owner_gsi1pk(owner: str) -> str:
    return f"OWNER#{owner}"


def owner_gsi1sk(created_at_iso: str, domain: str, code: str) -> str:
    """Sorts an owner's links by creation time (ISO 8601 UTC strings sort as times)."""
    return f"{created_at_iso}#{domain}#{code}"


def url_gsi2pk(owner: str, domain: str, url: str, tagging: str = "") -> str:
    """Finds an owner's links to one destination (``reuse``) without reading the rest. ``tagging`` (the link's UTM
    fields, written out) is part of the destination: the same URL with other tagging is another partition, and
    a link without tagging keeps the key it always had."""
    identity = f"{url}\n{tagging}" if tagging else url
    return f"URL#{owner}#{domain}#{hashlib.sha256(identity.encode()).hexdigest()[:32]}"


# gsi3: every link by its domain, newest first. What lists a domain's links (admins' owner=*, a domain's removal)
# queries one partition of it, so no function needs a Scan, which IAM cannot confine to a key prefix.
DOMAIN_LINKS_PREFIX = "LINKS#"


def domain_gsi3pk(domain: str) -> str:
    """``LINKS#<domain>``: every link on ``domain`` (owned or anonymous, deleted included) in one gsi3 partition."""
    return f"{DOMAIN_LINKS_PREFIX}{domain}"


def domain_gsi3sk(created_at_iso: str, code: str) -> str:
    """Sorts a domain's links by creation time; the code breaks ties."""
    return f"{created_at_iso}#{code}"


def rate_pk(key_id: str) -> str:
    return f"RATE#{key_id}"


EXPANSION_SK = "EXPANSION"


def expand_caller(key_id: str) -> str:
    """The rate counter subject (``RATE#expand#<key_id>``) of a key holder's expansions: under ``RATE#expand#``,
    the prefix the expand function's IAM statement names."""
    return f"expand#{key_id}"


def expand_caller_ip(source_ip: str) -> str:
    """... of an anonymous caller's: a hash of the source address, so the table never holds an IP address (the
    counter itself expires within the hour)."""
    return f"expand#ip#{hashlib.sha256(source_ip.encode()).hexdigest()[:32]}"


def expansion_pk(url: str) -> str:
    """``EXPAND#<sha256 of the normalised URL>``: fixed length whatever the URL, and no URL in a key."""
    return f"EXPAND#{hashlib.sha256(url.encode()).hexdigest()}"


API_KEY_SK = "APIKEY"
API_KEYS_GSI1PK = "APIKEYS"  # every key in one gsi1 partition: there are few, and an admin lists them all


def api_key_pk(key_hash: str) -> str:
    """A key is found by the SHA-256 of the key itself, in one GetItem; the plaintext is never stored."""
    return f"APIKEY#{key_hash}"


def api_key_gsi1sk(created_at_iso: str, key_id: str) -> str:
    """Sorts keys by creation time (ISO 8601 UTC strings sort as times); the id breaks ties."""
    return f"{created_at_iso}#{key_id}"


# Every short domain in one partition of the table: there are few, every function reads them all in one Query, and
# IAM can grant exactly that partition (dynamodb:LeadingKeys "DOMAINS"), which it cannot do for a gsi1 partition.
DOMAINS_PK = "DOMAINS"


def domain_sk(host: str) -> str:
    """A short domain's registration, found by its host in one GetItem (``pk = DOMAINS``)."""
    return f"DOMAIN#{host}"


DOMAIN_SK_PREFIX = "DOMAIN#"


# Click statistics (storage/analytics.py). A scope's buckets share one partition, so one Query reads a range.
STATS_TOTAL_SK = "TOTAL"
HOUR_SK_PREFIX = "H#"
DAY_SK_PREFIX = "D#"
VISITOR_SHARD_MARK = "#V"  # D#<day>#V<hex>: a day's visitor shards sort right after the day's bucket


def stats_pk(scope: Scope) -> str:
    """``STATS#LINK#<domain>#<code>``, ``STATS#OWNER#<key_id>`` or ``STATS#DOMAIN#<domain>``."""
    if scope.kind == "link":
        return f"STATS#LINK#{scope.domain}#{scope.code}"
    if scope.kind == "owner":
        return f"STATS#OWNER#{scope.owner}"
    return f"STATS#DOMAIN#{scope.domain}"


def hour_bucket_sk(hour: str) -> str:
    """``H#<YYYY-MM-DDTHH>``: hour buckets sort as times."""
    return f"{HOUR_SK_PREFIX}{hour}"


def day_bucket_sk(day: str) -> str:
    """``D#<YYYY-MM-DD>``."""
    return f"{DAY_SK_PREFIX}{day}"


def visitor_shard_sk(day: str, visitor: str) -> str:
    """``D#<day>#V<first character of the id>``: 16 shards per link and day, each a string set of visitor ids.
    They sort between ``D#<day>`` and the next day's bucket, so one Query returns days with their visitors."""
    return f"{DAY_SK_PREFIX}{day}{VISITOR_SHARD_MARK}{visitor[:1]}"


def day_range_last_sk(day: str) -> str:
    """The upper bound of a Query that ends with ``day``'s bucket and its visitor shards (``~`` sorts after them)."""
    return f"{DAY_SK_PREFIX}{day}#~"


def batch_pk(batch_id: str) -> str:
    """The marker of an applied batch of click records (one item per transaction of it, ``sk`` its index)."""
    return f"BATCH#{batch_id}"


def batch_chunk_sk(index: int) -> str:
    return str(index)


VISITOR_SECRET_PK = "SECRET#visitor"  # noqa: S105 - a key, not the secret


def visitor_secret_sk(day: str) -> str:
    """The daily visitor secret's ``sk``: the day, ``YYYY-MM-DD`` (UTC)."""
    return day
