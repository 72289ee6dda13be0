"""What each function loads at cold start: only what every request needs (the redirect's own graph is checked in
test_redirect.py and test_redirect_hardening.py)."""

from __future__ import annotations

import json
from pathlib import Path

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
        # AND pynamodb waits for the first write or query: a link's read goes through the bare client
        assert ("pynamodb.models" in cold) == (function_id == "KeysFunction"), function_id


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

    # WHEN a links function validates a PATCH body (its GET of one link answers without any model: see below)
    answered = cold_start_value(
        "LinksFunction",
        BUILT_MODELS,
        then="from pydantic import BaseModel\n"
        "from shortlinks.schemas.link_management import UpdateLinkRequest\n"
        'UpdateLinkRequest.model_validate_json(\'{"title": "Spring sale"}\')',
    )

    # THEN it built that request's model only, not the response, listing or history models
    assert answered == ["shortlinks.schemas.link_management.UpdateLinkRequest"]


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


# A read route answers from schemas/bodies.py: no pydantic, neither at cold start nor for its first request (about 45 ms
# of import and the model's build), and a link's read goes through the bare botocore client (storage/link_items.py):
# no pynamodb either (docs/benchmarks.md, issue 13). Only a route with a body to validate loads pydantic; only a
# write or a query loads pynamodb.
PYDANTIC = {"pydantic", "pydantic_core"}
EVENTS = Path(__file__).parents[1] / "events"
# Serve one request of the handler module in scope as ``handler``. The store does not answer in these interpreters:
# the link's item comes from a stand-in for the botocore client (so the repository's own read and parse run), the
# keys from a stand-in for the listing, and the domains are the one short domain.
_SERVE_WITHOUT_STORE = """
from datetime import UTC, datetime
from types import SimpleNamespace
from shortlinks.domain.access import Role
from shortlinks.domain.short_domain import ShortDomain
from shortlinks.domain.keys import ApiKey
item = {{'pk': {{'S': 'LINK#sho.rt#AbC1234'}}, 'sk': {{'S': 'LINK'}}, 'domain': {{'S': 'sho.rt'}},
        'code': {{'S': 'AbC1234'}}, 'url': {{'S': 'https://example.org/'}}, 'redirect_type': {{'N': '302'}},
        'forward_query': {{'BOOL': True}}, 'created_at': {{'S': '2026-11-30T12:00:00.000Z'}},
        'owner': {{'S': 'key_Campaigns001'}}, 'state': {{'S': 'active'}}, 'version': {{'N': '1'}}}}
short_domain = ShortDomain('sho.rt', 'https://sho.rt')
handler.domains = SimpleNamespace(named=lambda requested, host: short_domain,
                                  short_url=lambda domain, code, host: short_domain.short_url(code),
                                  own_hosts=lambda host: frozenset({{'sho.rt'}}))
client = SimpleNamespace(get_item=lambda **request: {{'Item': item}}, put_item=lambda **request: {{}},
                         update_item=lambda **request: {{}})
for holder in ('repository', 'rate_limiter'):
    if hasattr(getattr(handler, holder, None), '_table'):
        getattr(handler, holder)._table.client = client
if hasattr(handler, 'list_keys'):
    handler.list_keys = lambda repository: [ApiKey('key_AdminFixture', 'ops', Role.ADMIN, datetime.now(UTC))]
event = json.loads(open({event!r}).read())
answer = getattr(handler, '_serve', None) or handler.expand
response = answer(event)
"""
SERVED = "[response['statusCode'], json.loads(response['body']), sorted(set(sys.modules) & {modules!r})]"


def test_read_routes_load_no_pydantic_at_cold_start_or_for_their_answer() -> None:
    for function_id, event, answered in (
        ("LinksFunction", "get_link.json", "short_url"),  # GET /v1/links/{code}
        ("ExpandFunction", "expand.json", "short_url"),  # expanding one of our own links
        ("KeysFunction", "list_keys.json", "keys"),  # GET /v1/keys
    ):
        # GIVEN a fresh function: its cold start loaded no pydantic
        assert cold_start_modules(function_id) & PYDANTIC == set(), function_id

        # WHEN it answers its read route
        status, body, loaded = cold_start_value(
            function_id,
            SERVED.format(modules=PYDANTIC),
            then=_SERVE_WITHOUT_STORE.format(event=str(EVENTS / event)),
        )

        # THEN the answer was what the route answers, and still nothing of pydantic is loaded
        assert (status, answered in body, loaded) == (200, True, []), function_id


def test_a_create_from_a_plainly_valid_body_loads_no_pydantic() -> None:
    # GIVEN a fresh create function; WHEN it creates a link from a plainly valid body (web/create_body.py)
    status, body, loaded = cold_start_value(
        "CreateFunction",
        SERVED.format(modules=PYDANTIC),
        then=_SERVE_WITHOUT_STORE.format(event=str(EVENTS / "create_link.json")),
    )

    # THEN it answered 201 with the link, without loading pydantic (about 45 ms of import, 11 ms of model build)
    assert (status, "code" in body, loaded) == (201, True, [])


def test_a_link_s_read_and_creation_load_no_pynamodb_and_an_edit_does() -> None:
    for function_id, event in (
        ("LinksFunction", "get_link.json"),
        ("ExpandFunction", "expand.json"),
        ("CreateFunction", "create_link.json"),  # a link's conditional PutItem, the rate limit's UpdateItem
    ):
        # GIVEN a fresh function; WHEN it reads (or creates) one of our links through its repository and answers
        status, body, loaded = cold_start_value(
            function_id,
            "[response['statusCode'], json.loads(response['body']), "
            "sorted(n for n in sys.modules if n.split('.')[0] == 'pynamodb')]",
            then=_SERVE_WITHOUT_STORE.format(event=str(EVENTS / event)),
        )

        # THEN it answered with the link, and loaded nothing of pynamodb but its exception classes (which every
        # function's storage/failures.py names): no model, connection, attribute or expression
        assert (status, "code" in body) == (201 if function_id == "CreateFunction" else 200, True)
        assert loaded == ["pynamodb", "pynamodb.exceptions"], function_id

    # WHEN the links function's repository binds its model for an edit
    loaded = cold_start_value("LinksFunction", "'pynamodb.models' in sys.modules", then="handler.repository._item")

    # THEN pynamodb is loaded then, not before
    assert loaded is True


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
