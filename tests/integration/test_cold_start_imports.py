"""What each function loads at cold start: only what every request needs (the redirect's own graph is checked in
test_redirect.py and test_redirect_hardening.py)."""

from __future__ import annotations

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
