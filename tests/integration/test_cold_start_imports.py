"""What each function loads at cold start: only what every request needs (the redirect's own graph is checked in
test_redirect.py and test_redirect_hardening.py)."""

from __future__ import annotations

import json

from tests.events import load_event
from tests.integration.harness import cold_start_modules, cold_start_value

STATISTICS_STACK = {"shortlinks.domain.stats", "shortlinks.schemas.stats", "shortlinks.storage.analytics"}


def test_link_management_loads_the_statistics_stack_only_for_a_route_that_reads_statistics() -> None:
    # GIVEN a fresh links function (its cold start), and one that then served a statistics route
    cold = cold_start_modules("LinksFunction")
    after_stats = cold_start_modules("LinksFunction", then="handler._range({}, ())")

    # THEN the cold start did not load the statistics modules; the route did
    assert cold & STATISTICS_STACK == set()
    assert "shortlinks.domain.stats" in after_stats


# What only some requests of a function need, each loaded by the request that needs it (docs/benchmarks.md, issue 13).
EXPANDER_STACK = {"shortlinks.domain.expansion", "shortlinks.expander.guard", "shortlinks.expander.third_party"}
CREATE_ONLY = {"shortlinks.domain.service"}  # NewLink and create_link: expand resolves links without them
EDIT_WITH_HISTORY = {"pynamodb.transactions"}  # a PATCH that changes the destination writes its history with it
REDIRECT_READ = {"shortlinks.storage.targets", "shortlinks.storage.secrets"}  # expand's read of our own hops


def test_expand_loads_the_hop_rules_and_the_expander_only_for_another_service_s_link() -> None:
    # GIVEN a fresh expand function (its cold start)
    cold = cold_start_modules("ExpandFunction")

    # THEN it holds what expanding one of our own links needs, and none of what following other services' links
    # or creating links needs
    assert "shortlinks.domain.resolve" in cold
    assert cold & (EXPANDER_STACK | CREATE_ONLY | EDIT_WITH_HISTORY | REDIRECT_READ) == set()


def test_create_links_and_keys_load_neither_transactions_nor_the_redirect_s_read_at_cold_start() -> None:
    # GIVEN fresh create, links and keys functions
    for function_id in ("CreateFunction", "LinksFunction", "KeysFunction"):
        cold = cold_start_modules(function_id)

        # THEN none of them loaded pynamodb's transactions or the redirect's projected read
        assert cold & (EDIT_WITH_HISTORY | REDIRECT_READ) == set(), function_id
        assert "pynamodb.models" in cold, function_id  # the storage layer itself is loaded at cold start


# The names of the pydantic models of the schema modules a function imports that are already built (validators and
# serializers made), after ``then``.
BUILT_MODELS = (
    "sorted(f'{module.__name__}.{name}' for module in [m for n, m in list(sys.modules.items()) if n.startswith("
    "'shortlinks.schemas.')] for name, model in vars(module).items() if isinstance(model, type) and "
    "issubclass(model, BaseModel) and model.__module__ == module.__name__ and model.__pydantic_complete__)"
)


def test_a_cold_start_builds_no_api_model_and_a_request_builds_only_those_it_uses() -> None:
    # GIVEN fresh create, expand, links and keys functions: every API model they import is built on first use
    for function_id in ("CreateFunction", "ExpandFunction", "LinksFunction", "KeysFunction"):
        built = cold_start_value(function_id, BUILT_MODELS, then="from pydantic import BaseModel")

        # THEN their cold start built none
        assert built == [], function_id

    # WHEN a links function answers with one link (its GET)
    answered = cold_start_value(
        "LinksFunction",
        BUILT_MODELS,
        then="from pydantic import BaseModel\n"
        "from datetime import UTC, datetime\n"
        "from shortlinks.domain.links import Link\n"
        "from shortlinks.domain.target import Target\n"
        "from shortlinks.schemas.links import LinkResponse\n"
        "now = datetime(2026, 11, 30, tzinfo=UTC)\n"
        "link = Link('sho.rt', 'abc', Target('https://example.org/'), now)\n"
        "LinkResponse.of(link, 'https://sho.rt/abc', now).model_dump_json()",
    )

    # THEN it built that answer's model only, not the request, listing or history models
    assert answered == ["shortlinks.schemas.links.LinkResponse"]


def test_the_first_idempotent_create_sends_through_the_function_s_one_botocore_client() -> None:
    # GIVEN a fresh create function, whose cold start built its botocore client
    # WHEN its first create with an Idempotency-Key sets up Powertools' idempotency layer
    built = cold_start_value(
        "CreateFunction",
        "built",
        then="import botocore.session\n"
        "built = []\n"
        "create_client = botocore.session.Session.create_client\n"
        "def counted(self, *args, **kwargs):\n"
        "    built.append(args[0] if args else kwargs['service_name'])\n"
        "    return create_client(self, *args, **kwargs)\n"
        "botocore.session.Session.create_client = counted\n"
        "handler._idempotent_runner()",
    )

    # THEN no second client was built (each costs about 60 ms): the layer uses the links' own
    assert built == []


# What the API needs of links, short domains and destination URLs, and a redirect never does: what it needs is in
# domain/target.py, domain/short_domain.py and domain/forwarding.py (docs/benchmarks.md, issue 13).
API_ONLY_RULES = {
    "shortlinks.domain.links",  # Link, Utm, HistoryEntry, tags
    "shortlinks.domain.domains",  # registering, changing, removing domains
    "shortlinks.domain.access",  # principals and roles
    "shortlinks.domain.urls",  # the destination rules and their patterns
}
# Every dataclass defined by one of our modules that a fresh interpreter holds, after ``then``.
OUR_DATACLASSES = (
    "sorted(f'{module.__name__}.{name}' for module in [m for n, m in list(sys.modules.items()) if n.startswith("
    "'shortlinks.')] for name, cls in vars(module).items() if isinstance(cls, type) and "
    "cls.__module__ == module.__name__ and '__dataclass_fields__' in vars(cls))"
)
# A redirect whose store does not answer (the harness's endpoint refuses): the link read, then the refusal page.
SERVE_ONE_REDIRECT = (
    "import io, contextlib\n"
    "class Context:\n"
    "    def get_remaining_time_in_millis(self): return 3000\n"
    f"event = json.loads({json.dumps(json.dumps(load_event('redirect')))})\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    status = handler.lambda_handler(event, Context())['statusCode']\n"
    "assert status == 503, status\n"
)


def test_the_redirect_loads_none_of_the_api_s_link_domain_and_url_rules_even_when_it_serves() -> None:
    # GIVEN a fresh redirect function that then served a request (its store unavailable: the read and the refusal)
    modules = cold_start_modules("RedirectFunction", then=SERVE_ONE_REDIRECT)

    # THEN it loaded the target, short-domain and forwarding modules, and none of the API's rules
    assert {"shortlinks.domain.target", "shortlinks.domain.short_domain", "shortlinks.domain.forwarding"} <= modules
    assert modules & API_ONLY_RULES == set()


def test_the_redirect_s_cold_start_builds_only_the_dataclasses_it_reads() -> None:
    # GIVEN a fresh redirect function (each dataclass costs a cold start 0.3-1.5 ms of generated code)
    built = cold_start_value("RedirectFunction", OUR_DATACLASSES)

    # THEN it built its settings, the target it reads and the short domain it answers on; its holders (the daily
    # secret, the hot-link cache) are plain classes
    assert built == [
        "shortlinks.config.Settings",
        "shortlinks.domain.short_domain.ShortDomain",
        "shortlinks.domain.target.Target",
    ]
