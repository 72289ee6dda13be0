"""What expanding another service's link needs, built once per container from the settings: the guarded HTTP
client and the expansion cache. The expand function imports this module on its first third-party URL only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shortlinks.config import Settings
from shortlinks.domain.expansion import Fetcher
from shortlinks.expander.client import USER_AGENT, GuardedFetcher
from shortlinks.expander.guard import (
    AddressGuard,
    Resolver,
    no_name_resolution,
    parse_allowed_addresses,
    system_resolver,
)
from shortlinks.storage.expansions import DynamoExpansionCache


@dataclass(frozen=True)
class ThirdPartyExpander:
    fetcher: Callable[[], Fetcher]
    cache: DynamoExpansionCache

    @classmethod
    def build(
        cls, settings: Settings, *, share_with: Any = None, resolver: Resolver | None = None
    ) -> ThirdPartyExpander:
        allowed = parse_allowed_addresses(settings.expander_allowed_addresses)  # checked at the cold start
        if resolver is None:
            resolver = system_resolver if settings.expander_resolve_names else no_name_resolution
        fetcher = GuardedFetcher(AddressGuard(allowed, resolver), user_agent=USER_AGENT)
        cache = DynamoExpansionCache(
            settings.table_name, settings.region, settings.dynamodb_endpoint, share_with=share_with
        )
        return cls(fetcher=lambda: fetcher, cache=cache)
