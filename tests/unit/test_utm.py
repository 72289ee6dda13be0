"""UTM tagging: the tagged URL (domain/utm.py), and how create, reuse and PATCH keep it (domain/service.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shortlinks.domain.access import Principal, Role
from shortlinks.domain.errors import InvalidUtm, TaggedUrlTooLong, UrlIsShortLink
from shortlinks.domain.links import HistoryEntry, Link, Utm
from shortlinks.domain.service import LinkChanges, NewLink, create_link, update_link
from shortlinks.domain.target import Target
from shortlinks.domain.urls import MAX_URL_LENGTH, normalise_destination
from shortlinks.domain.utm import MAX_UTM_VALUE_LENGTH, check_utm, tag_url, tagged_destination
from tests.unit.fake_repository import FakeRepository

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DOMAIN = "sho.rt"
OWNER = Principal("key_Campaigns001", Role.MEMBER)
URL = "https://example.org/resources?lang=en"
SPRING = Utm(source="newsletter", medium="email", campaign="spring")


# --- the tagged URL -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "utm", "tagged"),
    [
        (
            "https://example.org/",
            Utm(source="news", medium="email", campaign="spring", term="shoes", content="top"),
            "https://example.org/?utm_source=news&utm_medium=email&utm_campaign=spring&utm_term=shoes&utm_content=top",
        ),
        # the URL's own parameters keep their order; utm_* of the same names are replaced, others kept
        (
            "https://example.org/p?utm_source=old&lang=en&utm_medium=print&b=2",
            Utm(source="new"),
            "https://example.org/p?lang=en&utm_medium=print&b=2&utm_source=new",
        ),
        # a replaced parameter in any spelling (an escaped name, no value, repeated)
        (
            "https://example.org/?utm%5Fsource=a&utm_source&utm_source=b&x=1",
            Utm(source="c"),
            "https://example.org/?x=1&utm_source=c",
        ),
        # the fragment stays last
        ("https://example.org/a#top", Utm(campaign="spring"), "https://example.org/a?utm_campaign=spring#top"),
        ("https://example.org/a?q=1#s", Utm(term="t"), "https://example.org/a?q=1&utm_term=t#s"),
        # values are percent-encoded as UTF-8; only unreserved characters stay as they are
        (
            "https://example.org/",
            Utm(source="news letter", medium="a&b=c#d", campaign="été/hiver", term="100%", content="x+y_~.-"),
            "https://example.org/?utm_source=news%20letter&utm_medium=a%26b%3Dc%23d"
            "&utm_campaign=%C3%A9t%C3%A9%2Fhiver&utm_term=100%25&utm_content=x%2By_~.-",
        ),
        # an existing escape elsewhere in the query is left alone
        ("https://example.org/?q=a%20b", Utm(source="s"), "https://example.org/?q=a%20b&utm_source=s"),
        # an empty query or a lone "?"
        ("https://example.org/?", Utm(source="s"), "https://example.org/?utm_source=s"),
    ],
    ids=[
        "all five",
        "replaced in place",
        "every spelling",
        "fragment",
        "query and fragment",
        "encoding",
        "escapes",
        "empty query",
    ],
)
def test_the_utm_parameters_are_merged_into_the_query(url: str, utm: Utm, tagged: str) -> None:
    assert tag_url(url, utm) == tagged


def test_an_internationalised_destination_is_tagged_in_its_stored_form() -> None:
    # GIVEN a destination on an internationalised host, with a non-ASCII path, as create normalises it
    url = normalise_destination("https://bücher.example/straße?q=ü")
    assert url == "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC"

    # WHEN it is tagged
    tagged = tagged_destination(url, Utm(source="füße"), own_hosts=())

    # THEN the host stays punycode, the existing escapes stay, the value is escaped as UTF-8
    assert tagged == "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC&utm_source=f%C3%BC%C3%9Fe"
    # AND the tagged URL is already normal: normalising it again changes nothing
    assert normalise_destination(tagged) == tagged


def test_no_tagging_leaves_no_tagged_url() -> None:
    assert tagged_destination(URL, None, own_hosts=()) is None
    assert check_utm(Utm()) is None
    assert check_utm(None) is None


def test_a_tagged_url_over_the_length_limit_is_refused_with_its_own_code() -> None:
    # GIVEN a URL that fits the limit, but not once tagged
    url = "https://example.org/?q=" + "a" * (MAX_URL_LENGTH - len("https://example.org/?q=") - 10)
    assert normalise_destination(url) == url

    # THEN tagging it is refused, saying why
    with pytest.raises(TaggedUrlTooLong) as refused:
        tagged_destination(url, Utm(source="newsletter"), own_hosts=())
    assert refused.value.code == "tagged_url_too_long"


@pytest.mark.parametrize(
    ("utm", "field"),
    [
        (Utm(source=""), "source"),
        (Utm(medium="x" * (MAX_UTM_VALUE_LENGTH + 1)), "medium"),
        (Utm(campaign="spring\nsale"), "campaign"),
        (Utm(term="a\x7f"), "term"),
        (Utm(content="\x85"), "content"),
    ],
    ids=["empty", "too long", "newline", "DEL", "C1 control"],
)
def test_a_utm_value_outside_the_rules_is_refused_naming_its_field(utm: Utm, field: str) -> None:
    with pytest.raises(InvalidUtm, match=f"utm.{field}"):
        check_utm(utm)


def test_a_value_of_exactly_the_limit_is_accepted() -> None:
    utm = Utm(source="x" * MAX_UTM_VALUE_LENGTH)
    assert check_utm(utm) == utm


# --- create, reuse, PATCH -----------------------------------------------------------------------------------------


def create(repository: FakeRepository, request: NewLink, own_hosts: frozenset[str] = frozenset({DOMAIN})) -> Link:
    return create_link(
        repository, request, domain=DOMAIN, own_hosts=own_hosts, code_length=7, now=NOW, owner=OWNER.key_id
    )


def test_a_link_keeps_its_url_and_utm_and_redirects_to_the_tagged_url() -> None:
    # GIVEN a create with UTM tagging
    repository = FakeRepository()

    # WHEN the link is created
    link = create(repository, NewLink(url=URL, utm=SPRING))

    # THEN it keeps the URL as given and the tagging apart, and the target holds the tagged URL
    assert link.target.url == URL
    assert link.utm == SPRING
    assert link.target.destination == f"{URL}&utm_source=newsletter&utm_medium=email&utm_campaign=spring"
    # AND that is what the redirect reads, in its one read
    assert repository.get_target(DOMAIN, link.code) == link.target


def test_a_destination_on_our_own_host_is_refused_tagged_or_not() -> None:
    # GIVEN one of our own hosts (a domain registered after links to it were refused, say)
    with pytest.raises(UrlIsShortLink):
        create(FakeRepository(), NewLink(url="https://sho.rt/abc", utm=SPRING))


def test_reuse_treats_other_tagging_as_another_destination() -> None:
    # GIVEN the owner has a link to URL tagged for the spring campaign, and one untagged
    repository = FakeRepository()
    spring = create(repository, NewLink(url=URL, utm=SPRING))
    untagged = create(repository, NewLink(url=URL))

    # WHEN it asks again with reuse: the same tagging finds the tagged link, none the untagged one
    assert create(repository, NewLink(url=URL, utm=SPRING, reuse=True)) == spring
    assert create(repository, NewLink(url=URL, reuse=True)) == untagged

    # AND other tagging makes a new link
    autumn = create(repository, NewLink(url=URL, utm=Utm(source="newsletter", campaign="autumn"), reuse=True))
    assert autumn.code not in (spring.code, untagged.code)


def update(repository: FakeRepository, changes: LinkChanges, code: str) -> Link:
    return update_link(repository, OWNER, DOMAIN, code, changes, own_hosts={DOMAIN}, now=NOW)


def test_patch_replaces_the_tagging_whole_and_records_the_new_destination() -> None:
    # GIVEN a tagged link
    repository = FakeRepository()
    link = create(repository, NewLink(url=URL, utm=SPRING))
    before = link.target.destination

    # WHEN its owner gives other tagging
    updated = update(repository, LinkChanges(utm=Utm(campaign="autumn")), link.code)

    # THEN the tagging is replaced whole (no field of the old one is kept)
    assert updated.utm == Utm(campaign="autumn")
    assert updated.target.destination == f"{URL}&utm_campaign=autumn"
    # AND visitors now land elsewhere, so the history records it
    assert repository.history(DOMAIN, link.code) == [
        HistoryEntry(NOW, OWNER.key_id, before, f"{URL}&utm_campaign=autumn", version=2)
    ]


def test_patch_utm_null_removes_the_tagging() -> None:
    repository = FakeRepository()
    link = create(repository, NewLink(url=URL, utm=SPRING))

    updated = update(repository, LinkChanges(clear_utm=True), link.code)

    assert updated.utm is None
    assert updated.target == Target(url=URL)
    assert updated.target.destination == URL


def test_a_new_url_keeps_the_tagging_and_is_tagged_again() -> None:
    repository = FakeRepository()
    link = create(repository, NewLink(url=URL, utm=Utm(source="print")))

    updated = update(repository, LinkChanges(url="https://example.org/new#a"), link.code)

    assert updated.utm == Utm(source="print")
    assert updated.target.destination == "https://example.org/new?utm_source=print#a"


def test_the_same_tagging_again_is_no_destination_change() -> None:
    repository = FakeRepository()
    link = create(repository, NewLink(url=URL, utm=SPRING))

    update(repository, LinkChanges(utm=SPRING, title="Same"), link.code)

    assert repository.history(DOMAIN, link.code) == []
