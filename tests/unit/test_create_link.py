"""Creating links (domain/service.create_link) against an in-memory repository."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from shortlinks.domain.codes import BASE62, generate_code
from shortlinks.domain.errors import (
    AliasReserved,
    CodeSpaceExhausted,
    CodeTaken,
    InvalidAlias,
    InvalidExpiry,
    InvalidTags,
    InvalidUrl,
    RateLimited,
    ShortlinksError,
    UnsupportedScheme,
    UrlIsShortLink,
)
from shortlinks.domain.links import Link
from shortlinks.domain.service import MAX_EXPIRY, MAX_GENERATION_ATTEMPTS, NewLink, create_link
from shortlinks.domain.target import LinkState, Target
from tests.unit.fake_repository import FakeRateLimiter, FakeRepository

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DOMAIN = "sho.rt"
URL = "https://example.org/resources?lang=en"


class CodeSequence:
    """A ``new_code`` that hands out fixed codes in order and remembers the lengths it was asked for."""

    def __init__(self, *codes: str) -> None:
        self._codes = list(codes)
        self.lengths: list[int] = []

    def __call__(self, length: int) -> str:
        self.lengths.append(length)
        return self._codes.pop(0)


def create(
    repository: FakeRepository,
    request: NewLink,
    *,
    new_code: Callable[[int], str] = generate_code,
    owner: str | None = None,
    admit: Callable[[], None] | None = None,
) -> Link:
    """``create_link`` on DOMAIN at NOW, with 7-character codes."""
    return create_link(
        repository,
        request,
        domain=DOMAIN,
        own_hosts={DOMAIN},
        code_length=7,
        now=NOW,
        owner=owner,
        new_code=new_code,
        admit=admit,
    )


def existing(
    code: str,
    url: str = "https://old.example/",
    *,
    owner: str | None = None,
    state: LinkState = LinkState.ACTIVE,
    expires_at: datetime | None = None,
    age: timedelta = timedelta(days=3),
) -> Link:
    return Link(
        domain=DOMAIN,
        code=code,
        target=Target(url=url, state=state, expires_at=expires_at),
        created_at=NOW - age,
        owner=owner,
    )


class Admissions:
    """An ``admit`` hook that records when it ran (how many writes had happened by then) and can refuse."""

    def __init__(self, repository: FakeRepository, *, refuse: bool = False) -> None:
        self._repository = repository
        self._refuse = refuse
        self.writes_before: list[int] = []

    def __call__(self) -> None:
        self.writes_before.append(len(self._repository.writes()))
        if self._refuse:
            raise RateLimited.creating(2, 30)


# --- the happy paths ----------------------------------------------------------------------------------------------


def test_a_link_gets_a_generated_code_of_the_configured_length() -> None:
    repository = FakeRepository()

    link = create_link(repository, NewLink(url=URL), domain=DOMAIN, own_hosts=(), code_length=9, now=NOW)

    assert len(link.code) == 9
    assert set(link.code) <= set(BASE62)
    assert repository.links == [link]


def test_the_new_link_carries_the_normalised_url_and_every_option() -> None:
    repository = FakeRepository()
    expires = NOW + timedelta(days=30)
    request = NewLink(
        url="HTTPS://Bücher.Example/straße",
        redirect_type=308,
        forward_query=False,
        expires_at=expires,
        title="Books",
    )

    link = create(repository, request, new_code=CodeSequence("AbC1234"), owner="team-a")

    assert link == Link(
        domain=DOMAIN,
        code="AbC1234",
        target=Target(
            url="https://xn--bcher-kva.example/stra%C3%9Fe", redirect_type=308, forward_query=False, expires_at=expires
        ),
        created_at=NOW,
        title="Books",
        owner="team-a",
    )
    assert repository.links == [link]


def test_defaults_are_a_302_that_forwards_the_query_and_never_expires() -> None:
    link = create(FakeRepository(), NewLink(url=URL))

    assert link.target == Target(url=URL, redirect_type=302, forward_query=True, expires_at=None)


def test_new_code_is_asked_for_the_configured_length() -> None:
    codes = CodeSequence("abcdefg")

    create(FakeRepository(), NewLink(url=URL), new_code=codes)

    assert codes.lengths == [7]


def test_an_alias_becomes_the_code_and_no_code_is_generated() -> None:
    repository = FakeRepository()
    codes = CodeSequence()

    link = create(repository, NewLink(url=URL, alias="Spring-Sale"), new_code=codes)

    assert link.code == "Spring-Sale"
    assert codes.lengths == []
    assert repository.links == [link]


def test_the_same_alias_on_another_domain_is_another_link() -> None:
    repository = FakeRepository([existing("help")])

    link = create_link(
        repository, NewLink(url=URL, alias="help"), domain="other.example", own_hosts=(), code_length=7, now=NOW
    )

    assert link.domain == "other.example"
    assert len(repository.links) == 2


# --- codes that are taken -----------------------------------------------------------------------------------------


def test_a_taken_alias_raises_code_taken_and_writes_nothing() -> None:
    # GIVEN the alias "help" already leads somewhere
    original = existing("help")
    repository = FakeRepository([original])

    # WHEN someone asks for it again
    with pytest.raises(CodeTaken) as refused:
        create(repository, NewLink(url=URL, alias="help"))

    # THEN they are told, and the original link is exactly as it was
    assert refused.value.code == "code_taken"
    assert repository.links == [original]
    assert repository.calls == [("add", DOMAIN, "help")]


def test_aliases_are_case_sensitive() -> None:
    repository = FakeRepository([existing("help")])

    link = create(repository, NewLink(url=URL, alias="HELP"))

    assert link.code == "HELP"
    assert len(repository.links) == 2


def test_a_taken_generated_code_is_drawn_again() -> None:
    # GIVEN the first code the generator draws is taken
    repository = FakeRepository([existing("taken01")])
    codes = CodeSequence("taken01", "fresh01")

    # WHEN a link is created without an alias
    link = create(repository, NewLink(url=URL), new_code=codes)

    # THEN the next code is used, and the taken one still leads where it did
    assert link.code == "fresh01"
    assert [call[0] for call in repository.calls] == ["add", "add"]
    assert repository.links == [existing("taken01"), link]


def test_a_reserved_generated_code_is_drawn_again_without_a_write() -> None:
    repository = FakeRepository()
    codes = CodeSequence("admin", "fresh01")

    link = create(repository, NewLink(url=URL), new_code=codes)

    assert link.code == "fresh01"
    assert repository.calls == [("add", DOMAIN, "fresh01")]


def test_code_generation_gives_up_after_max_attempts() -> None:
    # GIVEN every code the generator can draw is taken
    taken = [f"taken{i:02d}" for i in range(MAX_GENERATION_ATTEMPTS + 1)]
    repository = FakeRepository([existing(code) for code in taken])
    before = repository.links

    # WHEN a link is created
    with pytest.raises(CodeSpaceExhausted) as refused:
        create(repository, NewLink(url=URL), new_code=CodeSequence(*taken))

    # THEN it tries exactly MAX_GENERATION_ATTEMPTS codes and writes nothing
    assert refused.value.code == "code_generation_failed"
    assert len(repository.calls) == MAX_GENERATION_ATTEMPTS
    assert repository.links == before


# --- expiry -------------------------------------------------------------------------------------------------------


def test_a_future_expiry_is_stored() -> None:
    expires = NOW + timedelta(hours=1)

    link = create(FakeRepository(), NewLink(url=URL, expires_at=expires))

    assert link.target.expires_at == expires


def test_an_expiry_in_another_time_zone_is_accepted() -> None:
    expires = datetime.fromisoformat("2026-11-26T09:00:00+09:00")  # after NOW, written in Tokyo time

    link = create(FakeRepository(), NewLink(url=URL, expires_at=expires))

    assert link.target.expires_at == expires


def test_an_expiry_exactly_100_years_ahead_is_accepted() -> None:
    link = create(FakeRepository(), NewLink(url=URL, expires_at=NOW + MAX_EXPIRY))

    assert link.target.expires_at == NOW + MAX_EXPIRY


@pytest.mark.parametrize(
    ("expires_at", "reason"),
    [
        (NOW - timedelta(seconds=1), "future"),
        (NOW, "future"),
        (datetime(2020, 1, 1, tzinfo=UTC), "future"),
        (datetime(2030, 1, 1), "time zone"),  # naive: which midnight would that be?
        (NOW + MAX_EXPIRY + timedelta(seconds=1), "100 years"),
        (datetime(9999, 12, 31, tzinfo=UTC), "100 years"),
    ],
)
def test_an_expiry_that_is_past_naive_or_too_far_is_refused_and_nothing_is_written(
    expires_at: datetime, reason: str
) -> None:
    repository = FakeRepository()

    with pytest.raises(InvalidExpiry, match=reason) as refused:
        create(repository, NewLink(url=URL, expires_at=expires_at))

    assert refused.value.code == "invalid_expires_at"
    assert repository.calls == []


# --- nothing is written when any rule fails -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        (NewLink(url="javascript:alert(1)"), UnsupportedScheme),
        (NewLink(url="https://sho.rt/elsewhere"), UrlIsShortLink),
        (NewLink(url="not a url"), InvalidUrl),
        (NewLink(url=URL, alias="a"), InvalidAlias),
        (NewLink(url=URL, alias="Admin"), AliasReserved),
        (NewLink(url=URL, alias="ok-alias", expires_at=NOW - timedelta(days=1)), InvalidExpiry),
    ],
)
def test_a_refused_request_reads_and_writes_nothing(request_: NewLink, error: type[ShortlinksError]) -> None:
    repository = FakeRepository([existing("keep-me")])
    codes = CodeSequence("AbC1234")

    with pytest.raises(error):
        create(repository, request_, new_code=codes)

    assert repository.calls == []
    assert repository.links == [existing("keep-me")]
    assert codes.lengths == []


def test_a_redirect_type_the_boundary_should_have_refused_is_a_programming_error() -> None:
    repository = FakeRepository()

    with pytest.raises(ValueError, match="303"):
        create(repository, NewLink(url=URL, redirect_type=303))

    assert repository.calls == []


@pytest.mark.parametrize(
    "request_",
    [NewLink(url=URL, tags=("Spring",)), NewLink(url=URL, tags=tuple(f"t{i}" for i in range(21)))],
    ids=["bad tag", "21 tags"],
)
def test_invalid_tags_are_refused_before_anything_is_read_or_written(request_: NewLink) -> None:
    repository = FakeRepository()

    with pytest.raises(InvalidTags):
        create(repository, request_)

    assert repository.calls == []


def test_tags_are_stored_as_a_sorted_set() -> None:
    link = create(FakeRepository(), NewLink(url=URL, tags=("sale", "artists", "sale")))

    assert link.tags == ("artists", "sale")


# --- the admit hook (the caller's rate limit) ---------------------------------------------------------------------


def test_admit_runs_once_after_the_rules_and_before_the_first_write() -> None:
    # GIVEN a create whose first generated code is taken (so it writes twice)
    repository = FakeRepository([existing("taken01")])
    admissions = Admissions(repository)

    # WHEN the link is created
    create(repository, NewLink(url=URL), new_code=CodeSequence("taken01", "fresh01"), admit=admissions)

    # THEN the caller was admitted once, before any write: a second draw is not a second creation
    assert admissions.writes_before == [0]
    assert len(repository.writes()) == 2


@pytest.mark.parametrize(
    "request_",
    [
        NewLink(url="javascript:alert(1)"),
        NewLink(url=URL, alias="admin"),
        NewLink(url=URL, expires_at=NOW - timedelta(seconds=1)),
        NewLink(url=URL, tags=("Not A Tag",)),
    ],
    ids=["scheme", "reserved alias", "past expiry", "bad tag"],
)
def test_a_request_the_rules_refuse_is_never_admitted(request_: NewLink) -> None:
    repository = FakeRepository()
    admissions = Admissions(repository)

    with pytest.raises(ShortlinksError):
        create(repository, request_, admit=admissions)

    assert admissions.writes_before == []


def test_a_refused_admission_writes_nothing() -> None:
    repository = FakeRepository()

    with pytest.raises(RateLimited):
        create(repository, NewLink(url=URL, alias="blocked"), admit=Admissions(repository, refuse=True))

    assert repository.writes() == []
    assert repository.links == []


def test_a_key_over_its_rate_limit_is_refused_and_that_link_is_not_written() -> None:
    # GIVEN a key allowed 2 links a minute
    limiter = FakeRateLimiter()
    repository = FakeRepository()

    def admit() -> None:
        limiter.hit("key_A", 2, NOW)

    # WHEN it creates three links in the same minute
    create(repository, NewLink(url=URL), owner="key_A", admit=admit)
    create(repository, NewLink(url=URL + "&2"), owner="key_A", admit=admit)
    with pytest.raises(RateLimited) as refused:
        create(repository, NewLink(url=URL + "&3"), owner="key_A", admit=admit)

    # THEN the third is refused, told when to retry, and not written; another key is unaffected
    assert refused.value.retry_after == 60
    assert len(repository.links) == 2
    limiter.hit("key_B", 2, NOW)
    limiter.hit("key_A", 2, NOW + timedelta(minutes=1))


# --- reuse --------------------------------------------------------------------------------------------------------

OWNER = "key_Campaigns001"


def test_reuse_returns_the_owners_active_link_to_the_same_normalised_url_without_writing_or_admitting() -> None:
    # GIVEN the owner already has a link to the URL
    mine = existing("mine001", URL, owner=OWNER)
    repository = FakeRepository([mine])
    admissions = Admissions(repository)

    # WHEN it asks for a link to the same URL, spelled differently, with reuse
    link = create(
        repository, NewLink(url="HTTPS://EXAMPLE.org/resources?lang=en", reuse=True), owner=OWNER, admit=admissions
    )

    # THEN it gets its existing link, and nothing was written or counted
    assert link == mine
    assert repository.writes() == []
    assert admissions.writes_before == []


def test_reuse_prefers_the_newest_active_link() -> None:
    older = existing("older01", URL, owner=OWNER, age=timedelta(days=9))
    newer = existing("newer01", URL, owner=OWNER, age=timedelta(days=1))
    repository = FakeRepository([older, newer])

    assert create(repository, NewLink(url=URL, reuse=True), owner=OWNER) == newer


@pytest.mark.parametrize(
    "other",
    [
        existing("theirs1", URL, owner="key_Volunteers01"),
        existing("anon001", URL),
        existing("expired", URL, owner=OWNER, expires_at=NOW - timedelta(seconds=1)),
        existing("disabld", URL, owner=OWNER, state=LinkState.DISABLED),
        existing("deleted", URL, owner=OWNER, state=LinkState.DELETED),
        existing("elsewhr", "https://example.org/other", owner=OWNER),
    ],
    ids=["another owner's", "anonymous", "expired", "disabled", "deleted", "another URL"],
)
def test_reuse_makes_a_new_link_when_the_owner_has_no_active_one_to_that_url(other: Link) -> None:
    repository = FakeRepository([other])

    link = create(repository, NewLink(url=URL, reuse=True), owner=OWNER, new_code=CodeSequence("fresh01"))

    assert link.code == "fresh01"
    assert link.owner == OWNER
    assert len(repository.links) == 2


def test_without_reuse_a_second_link_to_the_same_url_is_made_and_nothing_is_looked_up() -> None:
    repository = FakeRepository([existing("mine001", URL, owner=OWNER)])

    link = create(repository, NewLink(url=URL), owner=OWNER, new_code=CodeSequence("fresh01"))

    assert link.code == "fresh01"
    assert [call[0] for call in repository.calls] == ["add"]


def test_an_alias_request_never_reuses() -> None:
    # GIVEN the owner has a link to the URL
    repository = FakeRepository([existing("mine001", URL, owner=OWNER)])

    # WHEN it asks for the same URL under an alias, with reuse
    link = create(repository, NewLink(url=URL, alias="spring", reuse=True), owner=OWNER)

    # THEN the alias is what it gets: a new link, without even looking for the old one
    assert link.code == "spring"
    assert [call[0] for call in repository.calls] == ["add"]


def test_an_alias_request_for_a_taken_alias_is_refused_even_with_reuse() -> None:
    repository = FakeRepository([existing("spring", URL, owner=OWNER)])

    with pytest.raises(CodeTaken):
        create(repository, NewLink(url=URL, alias="spring", reuse=True), owner=OWNER)


def test_anonymous_callers_cannot_reuse() -> None:
    repository = FakeRepository([existing("anon001", URL)])

    link = create(repository, NewLink(url=URL, reuse=True), new_code=CodeSequence("fresh01"))

    assert link.code == "fresh01"
    assert [call[0] for call in repository.calls] == ["add"]
