"""What each function loads at cold start: only what every request needs (the redirect's own graph is checked in
test_redirect.py and test_redirect_hardening.py)."""

from __future__ import annotations

from tests.integration.harness import cold_start_modules

STATISTICS_STACK = {"shortlinks.domain.stats", "shortlinks.schemas.stats", "shortlinks.storage.analytics"}


def test_link_management_loads_the_statistics_stack_only_for_a_route_that_reads_statistics() -> None:
    # GIVEN a fresh links function (its cold start), and one that then served a statistics route
    cold = cold_start_modules("LinksFunction")
    after_stats = cold_start_modules("LinksFunction", then="handler._range({}, ())")

    # THEN the cold start did not load the statistics modules; the route did
    assert cold & STATISTICS_STACK == set()
    assert "shortlinks.domain.stats" in after_stats
