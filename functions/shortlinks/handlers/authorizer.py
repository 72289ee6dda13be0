"""The HTTP API's Lambda authorizer (payload format 2.0, simple responses): who is calling, for every ``/v1`` route.

It always answers ``isAuthorized: true``, with a context that says what it found (the contract is in
web/auth.py): a refusal here would reach the caller as API Gateway's bare 401/403, not our JSON error, and
expand must stay open to anonymous callers. The route functions enforce.

API Gateway's own result cache is off: it keys on identity sources, and a request missing any of them is refused
with a bare 401 before this function runs, which would shut out anonymous callers and callers using the other
header. This function caches instead, per container, keyed on the key's hash, for ``AUTH_CACHE_SECONDS``
(default 60): valid and invalid answers alike. A revoked key is therefore refused within that time.

Key material is never logged: not the key, not the headers, not the event.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging import correlation_paths

from shortlinks.config import Settings
from shortlinks.domain.access import Principal
from shortlinks.domain.errors import StorageUnavailable, Unauthenticated
from shortlinks.domain.keys import authenticate, hash_key, looks_like_key
from shortlinks.observability import logger
from shortlinks.storage.api_keys import DynamoKeyRepository
from shortlinks.storage.budget import within_budget
from shortlinks.web.auth import AUTH_ANONYMOUS, AUTH_INVALID, AUTH_KEY, AUTH_UNAVAILABLE

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

Context = dict[str, Any]

ANONYMOUS: Context = {"auth": AUTH_ANONYMOUS}
INVALID: Context = {"auth": AUTH_INVALID}
UNAVAILABLE: Context = {"auth": AUTH_UNAVAILABLE}
MAX_CACHED_KEYS = 10_000  # bounds memory when someone sprays well-formed random keys at the API


class AnswerCache:
    """What this container last concluded about each key hash, trusted for ``ttl_seconds``."""

    def __init__(
        self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic, max_entries: int = MAX_CACHED_KEYS
    ) -> None:
        self._ttl, self._clock, self._max = ttl_seconds, clock, max_entries
        self._answers: dict[str, tuple[float, Context]] = {}

    def get(self, key_hash: str) -> Context | None:
        entry = self._answers.get(key_hash)
        if entry is None:
            return None
        if self._clock() >= entry[0]:
            del self._answers[key_hash]
            return None
        return entry[1]

    def put(self, key_hash: str, context: Context) -> None:
        if self._ttl <= 0:
            return
        self._answers.pop(key_hash, None)
        while len(self._answers) >= self._max:  # dicts keep insertion order: the first entry is the oldest
            del self._answers[next(iter(self._answers))]
        self._answers[key_hash] = (self._clock() + self._ttl, context)


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key a request presents, or ``None`` when it has no key header at all.

    ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. Another ``Authorization`` scheme, or two headers
    holding different keys, present something that is not a usable key: ``""``, which no key matches.
    """
    authorization = headers.get("authorization")
    api_key = headers.get("x-api-key")
    bearer: str | None = None
    if authorization is not None:
        scheme, _, token = authorization.strip().partition(" ")
        bearer = token.strip() if scheme.lower() == "bearer" else ""
    if api_key is not None:
        api_key = api_key.strip()
        if bearer is not None and bearer != api_key:
            return ""
        return api_key
    return bearer


def key_context(principal: Principal) -> Context:
    return {
        "auth": AUTH_KEY,
        "key_id": principal.key_id,
        "role": principal.role.value,
        "create_rate_limit": principal.create_rate_limit or 0,
    }


settings = Settings.from_env()
repository = DynamoKeyRepository(settings.table_name, settings.region, settings.dynamodb_endpoint)
repository.warm_up()
answers = AnswerCache(settings.auth_cache_seconds)


def authorize(event: Mapping[str, Any]) -> Context:
    """The authorizer context for ``event``'s request (looking the key up unless this container knows it)."""
    headers = {str(name).lower(): str(value) for name, value in (event.get("headers") or {}).items()}
    key = presented_key(headers)
    if key is None:
        return ANONYMOUS
    if not looks_like_key(key):
        logger.info("api key refused", extra={"malformed": True})
        return INVALID
    key_hash = hash_key(key)
    cached = answers.get(key_hash)
    if cached is not None:
        return cached
    try:
        principal = authenticate(repository, key, datetime.now(UTC).date())
    except Unauthenticated:
        logger.info("api key refused", extra={"malformed": False})
        context = INVALID
    except StorageUnavailable as error:
        logger.warning("api key not checked", extra={"error": error.message})
        # Not cached: the next request tries again. The function answers 503 with the store's own Retry-After.
        return UNAVAILABLE | {"retry_after": error.retry_after}
    else:
        logger.info("api key accepted", extra={"key_id": principal.key_id, "role": principal.role.value})
        context = key_context(principal)
    answers.put(key_hash, context)
    return context


# log_event=False whatever POWERTOOLS_LOGGER_LOG_EVENT says: the event carries the key in its headers.
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@within_budget
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return {"isAuthorized": True, "context": authorize(event)}
