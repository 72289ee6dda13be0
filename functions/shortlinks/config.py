"""Typed settings, read from the environment once per cold start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

# Where a Node.js layer's packages are in Lambda (/opt/nodejs/node_modules): the docs layer's swagger-ui-dist.
SWAGGER_UI_DIR = "/opt/nodejs/node_modules/swagger-ui-dist"


class SettingsError(ValueError):
    """The function's environment is wrong: fail the cold start loudly rather than serve wrong answers."""


@dataclass(frozen=True, slots=True)
class Settings:
    table_name: str
    region: str
    dynamodb_endpoint: str | None = None
    short_base_url: str | None = None  # e.g. "https://care.link"; None: the host each request arrived on
    code_length: int = 7
    permanent_redirect_max_age: int = 300
    temporary_redirect_max_age: int = 0
    hsts_max_age: int = 31536000  # Strict-Transport-Security on https short domains (the redirect); 0: none
    blocked_hosts: frozenset[str] = frozenset()  # more hosts refused as destinations (other short domains)
    behind_edge: bool = False  # CloudFront in front (EnableEdge): the viewer's host and address come in headers
    allow_anonymous_create: bool = False  # POST /v1/links without an API key (such links have no owner)
    default_create_rate_limit: int = 60  # links a key may create per minute, unless its record says otherwise
    auth_cache_seconds: int = 60  # how long the authorizer trusts what it read about a key
    domain_cache_seconds: int = 60  # how long a function trusts its copy of the domain registry
    # The redirect's hot-link cache (domain/hot_links.py): how long a container trusts a link it read, a code it
    # did not find, and how many links it holds.
    redirect_cache_seconds: int = 5
    redirect_miss_cache_seconds: int = 1
    redirect_cache_entries: int = 10_000
    # The expander (GET /v1/expand of other services' links).
    expander_enabled: bool = True
    expander_allowed_addresses: str = ""  # exact ip:port pairs the guard lets through (tests, make run); never in prod
    expander_resolve_names: bool = True  # false: IP literals only, no DNS query (the test suites)
    expansion_cache_seconds: int = 24 * 3600  # a chain that reached a page
    expansion_failure_cache_seconds: int = 600  # a chain that stopped early
    expand_rate_limit_anonymous: int = 20  # third-party expansions a minute per source IP, without a key
    expand_rate_limit_key: int = 120  # ... per API key
    # Click analytics (the aggregator): how long rollup buckets are kept (DynamoDB TTL).
    hourly_retention_days: int = 35
    daily_retention_days: int = 730
    # The interactive API page (GET /docs): Swagger UI's distribution, from the docs layer (layers/docs).
    swagger_ui_dir: str = SWAGGER_UI_DIR

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        table_name = env.get("TABLE_NAME", "").strip()
        if not table_name:
            raise SettingsError("TABLE_NAME must name the DynamoDB table")
        base = env.get("SHORT_BASE_URL", "").strip().rstrip("/") or None
        if base is not None:
            parts = urlsplit(base)
            bad = parts.path or parts.query or parts.fragment or "@" in parts.netloc
            if parts.scheme not in ("http", "https") or not parts.hostname or bad:
                raise SettingsError(f"SHORT_BASE_URL must look like https://care.link, not {base!r}")
        return cls(
            table_name=table_name,
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            dynamodb_endpoint=env.get("DYNAMODB_ENDPOINT", "").strip() or None,
            short_base_url=base,
            code_length=_int(env, "CODE_LENGTH", 7, 5, 32),
            permanent_redirect_max_age=_int(env, "PERMANENT_REDIRECT_MAX_AGE", 300, 0, 86400),
            temporary_redirect_max_age=_int(env, "TEMPORARY_REDIRECT_MAX_AGE", 0, 0, 86400),
            hsts_max_age=_int(env, "HSTS_MAX_AGE", 31536000, 0, 63072000),
            allow_anonymous_create=_bool(env, "ALLOW_ANONYMOUS_CREATE", default=False),
            behind_edge=_bool(env, "BEHIND_EDGE", default=False),
            default_create_rate_limit=_int(env, "CREATE_RATE_LIMIT_PER_MINUTE", 60, 1, 100000),
            auth_cache_seconds=_int(env, "AUTH_CACHE_SECONDS", 60, 0, 3600),
            domain_cache_seconds=_int(env, "DOMAIN_CACHE_SECONDS", 60, 0, 3600),
            redirect_cache_seconds=_int(env, "REDIRECT_CACHE_SECONDS", 5, 0, 300),
            redirect_miss_cache_seconds=_int(env, "REDIRECT_MISS_CACHE_SECONDS", 1, 0, 60),
            redirect_cache_entries=_int(env, "REDIRECT_CACHE_ENTRIES", 10_000, 0, 1_000_000),
            expander_enabled=_bool(env, "EXPANDER_ENABLED", default=True),
            expander_allowed_addresses=env.get("EXPANDER_ALLOWED_ADDRESSES", "").strip(),
            expander_resolve_names=_bool(env, "EXPANDER_RESOLVE_NAMES", default=True),
            expansion_cache_seconds=_int(env, "EXPANSION_CACHE_SECONDS", 86400, 0, 30 * 86400),
            expansion_failure_cache_seconds=_int(env, "EXPANSION_FAILURE_CACHE_SECONDS", 600, 0, 86400),
            expand_rate_limit_anonymous=_int(env, "EXPAND_RATE_LIMIT_ANONYMOUS", 20, 1, 100000),
            expand_rate_limit_key=_int(env, "EXPAND_RATE_LIMIT_KEY", 120, 1, 100000),
            hourly_retention_days=_int(env, "HOURLY_RETENTION_DAYS", 35, 1, 366),
            daily_retention_days=_int(env, "DAILY_RETENTION_DAYS", 730, 1, 3650),
            swagger_ui_dir=env.get("SWAGGER_UI_DIR", "").strip() or SWAGGER_UI_DIR,
            blocked_hosts=frozenset(h.strip().lower() for h in env.get("BLOCKED_HOSTS", "").split(",") if h.strip()),
        )

    def short_domain(self, request_host: str) -> str:
        """The short domain a request is served on: the configured one, else the request's own host."""
        if self.short_base_url is not None:
            return bare_host(self.short_base_url.partition("://")[2])
        return bare_host(request_host)

    def short_base(self, request_host: str) -> str:
        """How short links are written without a domain registry: ``SHORT_BASE_URL``, else the request's host."""
        return self.short_base_url or f"https://{request_host.lower()}"

    def short_url(self, request_host: str, code: str) -> str:
        return f"{self.short_base(request_host)}/{code}"

    def own_hosts(self, request_host: str) -> frozenset[str]:
        """Hosts that must never be a destination: every name this service answers on, as written (the URL rules
        compare them with a destination's host once both are canonical: ``127.1`` is ``127.0.0.1``)."""
        return self.blocked_hosts | {self.short_domain(request_host), bare_host(request_host)} - {""}


def bare_host(host: str) -> str:
    """``Care.Link:443`` -> ``care.link``; IPv6 literals keep their brackets off: ``[::1]:80`` -> ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.partition(":")[0].rstrip(".")


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, not {value}")
    return value


def _bool(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("true", "1", "yes"):
        return True
    if raw in ("false", "0", "no"):
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")
