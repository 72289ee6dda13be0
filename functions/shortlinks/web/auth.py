"""Who is calling, as the API's Lambda authorizer established it.

The authorizer (handlers/authorizer.py) runs in front of every ``/v1/*`` route and always answers
``isAuthorized: true`` with a context saying what it found, because an HTTP API can only answer a refused
request with its own bare 401/403 bodies, and expand must stay open to anonymous callers. The functions
enforce, through this module, and so answer 401 with our JSON error. The context contract
(``requestContext.authorizer.lambda``):

- ``{"auth": "key", "key_id": "...", "role": "admin"|"member", "create_rate_limit": <int or 0>}``: a valid key
- ``{"auth": "anonymous"}``: no key header at all
- ``{"auth": "invalid"}``: a malformed, unknown or revoked key (which one is not said)
- ``{"auth": "unavailable"}``: a well-formed key the authorizer could not check because the table did not answer
  (the functions answer 503 ``service_unavailable``, not a 401 that would tell a caller its key is bad)
"""

from __future__ import annotations

from typing import Any

from shortlinks.domain.access import Principal, Role
from shortlinks.domain.errors import Forbidden, StorageUnavailable, Unauthenticated

AUTH_KEY = "key"
AUTH_ANONYMOUS = "anonymous"
AUTH_INVALID = "invalid"
AUTH_UNAVAILABLE = "unavailable"


def authorizer_context(event: dict[str, Any]) -> dict[str, Any]:
    context = ((event.get("requestContext") or {}).get("authorizer") or {}).get("lambda")
    return context if isinstance(context, dict) else {}


def principal_of(event: dict[str, Any]) -> Principal | None:
    """The caller, or ``None`` when anonymous. A presented but invalid key is ``Unauthenticated``, never anonymous.

    A request that reached us without any authorizer context is treated as anonymous: only routes that allow
    anonymous callers accept that.
    """
    context = authorizer_context(event)
    auth = context.get("auth", AUTH_ANONYMOUS)
    if auth == AUTH_KEY:
        try:
            role = Role(str(context["role"]))
            key_id = str(context["key_id"])
        except (KeyError, ValueError):
            raise Unauthenticated.rejected() from None
        limit = int(context.get("create_rate_limit") or 0)
        return Principal(key_id=key_id, role=role, create_rate_limit=limit or None)
    if auth == AUTH_ANONYMOUS:
        return None
    if auth == AUTH_UNAVAILABLE:
        retry_after = context.get("retry_after")
        seconds = retry_after if isinstance(retry_after, int) and 0 < retry_after <= 60 else 1
        raise StorageUnavailable.because("the API key could not be checked", retry_after=seconds)
    raise Unauthenticated.rejected()


def require_principal(event: dict[str, Any]) -> Principal:
    principal = principal_of(event)
    if principal is None:
        raise Unauthenticated.missing()
    return principal


def require_admin(event: dict[str, Any]) -> Principal:
    principal = require_principal(event)
    if not principal.is_admin:
        raise Forbidden.admins_only()
    return principal
