"""The body of a ``PUT /v1/domains/{domain}``: every setting, since a PUT replaces them all (issue 8).

One definition for every kind of test, so a new setting is added in one place.
"""

from __future__ import annotations

from typing import Any, Final

# What a new domain takes when it wants nothing special.
DOMAIN_DEFAULTS: Final[dict[str, Any]] = {
    "base_url": None,
    "default_redirect_type": 302,
    "root_url": None,
    "not_found_url": None,
    "allowed_keys": None,
    "is_default": False,
}


def domain_settings(**changes: Any) -> dict[str, Any]:
    """A whole PUT body: the defaults with ``changes`` laid over them."""
    return DOMAIN_DEFAULTS | changes
