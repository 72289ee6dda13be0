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
    InvalidUrl,
    ShortlinksError,
    UnsupportedScheme,
    UrlIsShortLink,
)
from shortlinks.domain.links import Link, Target
from shortlinks.domain.service import MAX_EXPIRY, MAX_GENERATION_ATTEMPTS, NewLink, create_link
from tests.unit.fake_repository import FakeRepository

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
) -> Link:
    """``create_link`` on DOMAIN at NOW, with 7-character codes."""
    return create_link(
        repository, request, domain=DOMAIN, own_hosts={DOMAIN}, code_length=7, now=NOW, owner=owner, new_code=new_code
    )


def existing(code: str, url: str = "https://old.example/") -> Link:
    return Link(domain=DOMAIN, code=code, target=Target(url=url), created_at=NOW - timedelta(days=3))


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
