"""Managing links (domain/service: managed_link, update_link, delete_link, link_history, list_links) against an
in-memory repository: who may touch which link, what a change does, and what it leaves behind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from shortlinks.domain.access import Principal, Role
from shortlinks.domain.errors import (
    CodeTaken,
    EditConflict,
    Forbidden,
    InvalidExpiry,
    InvalidTags,
    LinkDeleted,
    LinkDisabled,
    LinkNotFound,
    ShortlinksError,
    UnsupportedScheme,
    UrlIsShortLink,
    VersionMismatch,
)
from shortlinks.domain.links import HistoryEntry, Link
from shortlinks.domain.service import (
    LinkChanges,
    NewLink,
    create_link,
    delete_link,
    link_history,
    list_links,
    managed_link,
    resolve_link,
    resolve_target,
    update_link,
)
from shortlinks.domain.target import LinkState, LinkStatus, Target
from tests.unit.fake_repository import FakeRepository

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DOMAIN = "sho.rt"
URL = "https://example.org/resources?lang=en"
NEW_URL = "https://example.org/support"
MEMBER = Principal("key_Campaigns001", Role.MEMBER)
OTHER = Principal("key_Volunteers01", Role.MEMBER)
ADMIN = Principal("key_AdminFixture", Role.ADMIN)


def a_link(
    code: str = "AbC1234",
    *,
    owner: str | None = MEMBER.key_id,
    url: str = URL,
    state: LinkState = LinkState.ACTIVE,
    expires_at: datetime | None = None,
    tags: tuple[str, ...] = (),
    title: str | None = "Resources",
    version: int = 1,
    age: timedelta = timedelta(days=1),
) -> Link:
    return Link(
        domain=DOMAIN,
        code=code,
        target=Target(url=url, state=state, expires_at=expires_at),
        created_at=NOW - age,
        title=title,
        owner=owner,
        tags=tags,
        version=version,
    )


def update(
    repository: FakeRepository,
    changes: LinkChanges,
    *,
    principal: Principal = MEMBER,
    code: str = "AbC1234",
    expected_version: int | None = None,
    now: datetime = NOW,
) -> Link:
    return update_link(
        repository,
        principal,
        DOMAIN,
        code,
        changes,
        own_hosts={DOMAIN},
        now=now,
        expected_version=expected_version,
    )


def stored(repository: FakeRepository, code: str = "AbC1234") -> Link:
    [link] = [link for link in repository.links if link.code == code]
    return link


# --- who may manage which link ------------------------------------------------------------------------------------


def test_a_member_manages_its_own_link() -> None:
    repository = FakeRepository([a_link()])

    assert managed_link(repository, MEMBER, DOMAIN, "AbC1234") == a_link()


def test_another_members_link_is_not_found_exactly_as_a_missing_one_is() -> None:
    # GIVEN a link owned by MEMBER
    repository = FakeRepository([a_link()])

    # WHEN another member asks for it, and for a code that does not exist
    with pytest.raises(LinkNotFound) as theirs:
        managed_link(repository, OTHER, DOMAIN, "AbC1234")
    with pytest.raises(LinkNotFound) as missing:
        managed_link(repository, OTHER, DOMAIN, "Nope123")

    # THEN both answers are the same, but for the code named: the link's existence is not confirmed
    assert theirs.value.message == LinkNotFound.for_code("AbC1234").message
    assert missing.value.message == LinkNotFound.for_code("Nope123").message


@pytest.mark.parametrize("owner", [MEMBER.key_id, OTHER.key_id, None], ids=["member's", "other's", "anonymous"])
def test_an_admin_manages_every_link(owner: str | None) -> None:
    repository = FakeRepository([a_link(owner=owner)])

    assert managed_link(repository, ADMIN, DOMAIN, "AbC1234").owner == owner


def test_an_anonymous_link_is_managed_by_admins_only() -> None:
    repository = FakeRepository([a_link(owner=None)])

    with pytest.raises(LinkNotFound):
        managed_link(repository, MEMBER, DOMAIN, "AbC1234")


def test_may_manage_is_the_owner_or_an_admin() -> None:
    assert MEMBER.may_manage(MEMBER.key_id)
    assert not MEMBER.may_manage(OTHER.key_id)
    assert not MEMBER.may_manage(None)
    assert ADMIN.may_manage(OTHER.key_id)
    assert ADMIN.may_manage(None)


@pytest.mark.parametrize(
    "act",
    [
        lambda repository: update(repository, LinkChanges(title="Mine now"), principal=OTHER),
        lambda repository: delete_link(repository, OTHER, DOMAIN, "AbC1234", now=NOW),
        lambda repository: link_history(repository, OTHER, DOMAIN, "AbC1234"),
    ],
    ids=["update", "delete", "history"],
)
def test_another_member_can_neither_change_delete_nor_trace_a_link(act: Callable[[FakeRepository], object]) -> None:
    repository = FakeRepository([a_link()])

    with pytest.raises(LinkNotFound):
        act(repository)

    assert repository.writes() == []
    assert stored(repository) == a_link()


# --- update_link: each field --------------------------------------------------------------------------------------


def test_changing_the_destination_records_who_when_old_and_new() -> None:
    # GIVEN a member's link at version 1
    repository = FakeRepository([a_link()])

    # WHEN its owner points it elsewhere
    updated = update(repository, LinkChanges(url=NEW_URL))

    # THEN it leads there, one version on, stamped with the time of the change
    assert updated.target.url == NEW_URL
    assert (updated.version, updated.updated_at) == (2, NOW)
    assert stored(repository) == updated
    # AND the history says who changed what, when
    assert repository.history(DOMAIN, "AbC1234") == [
        HistoryEntry(changed_at=NOW, changed_by=MEMBER.key_id, old_url=URL, new_url=NEW_URL, version=2)
    ]


def test_the_new_destination_is_normalised_before_it_is_compared_and_stored() -> None:
    repository = FakeRepository([a_link()])

    updated = update(repository, LinkChanges(url="HTTPS://Bücher.Example/straße"))

    assert updated.target.url == "https://xn--bcher-kva.example/stra%C3%9Fe"
    assert repository.history(DOMAIN, "AbC1234")[0].new_url == "https://xn--bcher-kva.example/stra%C3%9Fe"


def test_the_same_destination_spelled_differently_writes_no_history() -> None:
    repository = FakeRepository([a_link()])

    updated = update(repository, LinkChanges(url="HTTPS://EXAMPLE.org/resources?lang=en", title="Renamed"))

    assert (updated.target.url, updated.title) == (URL, "Renamed")
    assert repository.history(DOMAIN, "AbC1234") == []


def test_changes_without_a_destination_write_no_history() -> None:
    repository = FakeRepository([a_link()])

    update(repository, LinkChanges(title="New title", tags=("sale",), forward_query=False, redirect_type=301))

    assert repository.history(DOMAIN, "AbC1234") == []


def test_every_destination_change_is_kept_newest_first_with_whoever_made_it() -> None:
    repository = FakeRepository([a_link()])

    update(repository, LinkChanges(url=NEW_URL), now=NOW)
    update(repository, LinkChanges(url="https://example.org/third"), principal=ADMIN, now=NOW + timedelta(hours=1))

    history = link_history(repository, MEMBER, DOMAIN, "AbC1234")

    assert [(entry.changed_by, entry.old_url, entry.new_url, entry.version) for entry in history] == [
        (ADMIN.key_id, NEW_URL, "https://example.org/third", 3),
        (MEMBER.key_id, URL, NEW_URL, 2),
    ]


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("javascript:alert(document.cookie)", UnsupportedScheme),
        ("https://sho.rt/AbC1234", UrlIsShortLink),
    ],
    ids=["javascript:", "loop"],
)
def test_the_destination_rules_of_create_apply_to_an_update(url: str, error: type[ShortlinksError]) -> None:
    repository = FakeRepository([a_link()])

    with pytest.raises(error):
        update(repository, LinkChanges(url=url))

    assert repository.writes() == []
    assert stored(repository) == a_link()


def test_title_is_set_and_cleared() -> None:
    repository = FakeRepository([a_link(title="Old")])

    assert update(repository, LinkChanges(title="New")).title == "New"
    assert update(repository, LinkChanges(clear_title=True)).title is None


def test_fields_not_given_keep_their_values() -> None:
    original = a_link(title="Keep", tags=("keep",), expires_at=NOW + timedelta(days=1))
    repository = FakeRepository([original])

    updated = update(repository, LinkChanges())

    assert (updated.title, updated.tags, updated.target) == (original.title, original.tags, original.target)


def test_edits_read_the_link_strongly_consistently() -> None:
    # An edit sent right after another must see it, or it would fail with a spurious conflict.
    repository = ConsistencyRecorder([a_link()])

    update(repository, LinkChanges(title="New"))
    delete_link(repository, MEMBER, DOMAIN, "AbC1234", now=NOW)

    assert repository.consistent_reads == [True, True]


class ConsistencyRecorder(FakeRepository):
    def __init__(self, links: list[Link]) -> None:
        super().__init__(links)
        self.consistent_reads: list[bool] = []

    def get(self, domain: str, code: str, *, consistent: bool = False) -> Link | None:
        self.consistent_reads.append(consistent)
        return super().get(domain, code, consistent=consistent)


def test_a_patch_that_changes_nothing_writes_nothing_and_keeps_the_version() -> None:
    repository = FakeRepository([a_link(version=3)])

    unchanged = update(repository, LinkChanges())

    assert (unchanged.version, unchanged.updated_at) == (3, None)
    assert stored(repository).version == 3


def test_tags_are_replaced_as_a_sorted_set_and_can_be_emptied() -> None:
    repository = FakeRepository([a_link(tags=("old",))])

    assert update(repository, LinkChanges(tags=("sale", "artists", "sale"))).tags == ("artists", "sale")
    assert update(repository, LinkChanges(tags=())).tags == ()


@pytest.mark.parametrize("tags", [("Sale",), ("with space",), ("",), ("x" * 51,), tuple(f"t{i}" for i in range(21))])
def test_tags_that_break_the_rules_are_refused_and_nothing_is_written(tags: tuple[str, ...]) -> None:
    repository = FakeRepository([a_link(tags=("keep",))])

    with pytest.raises(InvalidTags):
        update(repository, LinkChanges(tags=tags))

    assert repository.writes() == []


def test_an_expiry_is_set_and_cleared() -> None:
    repository = FakeRepository([a_link()])

    assert update(repository, LinkChanges(expires_at=NOW + timedelta(days=7))).target.expires_at == NOW + timedelta(
        days=7
    )
    assert update(repository, LinkChanges(clear_expiry=True)).target.expires_at is None


@pytest.mark.parametrize(
    "expires_at",
    [NOW, NOW - timedelta(days=1), datetime(2030, 1, 1), NOW + timedelta(days=365 * 100 + 1)],
    ids=["now", "past", "naive", "over 100 years"],
)
def test_an_expiry_that_create_would_refuse_is_refused(expires_at: datetime) -> None:
    repository = FakeRepository([a_link()])

    with pytest.raises(InvalidExpiry):
        update(repository, LinkChanges(expires_at=expires_at))

    assert repository.writes() == []


@pytest.mark.parametrize(
    "changes",
    [LinkChanges(expires_at=NOW + timedelta(days=1)), LinkChanges(clear_expiry=True)],
    ids=["extended", "cleared"],
)
def test_an_expired_link_lives_again_when_its_expiry_is_extended_or_cleared(changes: LinkChanges) -> None:
    repository = FakeRepository([a_link(expires_at=NOW - timedelta(hours=1))])

    updated = update(repository, changes)

    assert updated.status(NOW) is LinkStatus.ACTIVE
    assert resolve_target(repository, DOMAIN, "AbC1234", NOW).url == URL


def test_redirect_type_and_query_forwarding_are_changed() -> None:
    repository = FakeRepository([a_link()])

    updated = update(repository, LinkChanges(redirect_type=308, forward_query=False))

    assert (updated.target.redirect_type, updated.target.forward_query) == (308, False)


def test_a_redirect_type_the_boundary_should_have_refused_is_a_programming_error() -> None:
    repository = FakeRepository([a_link()])

    with pytest.raises(ValueError, match="303"):
        update(repository, LinkChanges(redirect_type=303))

    assert repository.writes() == []


# --- update_link: disabled ----------------------------------------------------------------------------------------


def test_a_disabled_link_is_gone_for_visitors_until_enabled_again() -> None:
    repository = FakeRepository([a_link()])

    # WHEN its owner disables it
    update(repository, LinkChanges(disabled=True))

    # THEN a visitor is told it is disabled (410), while its owner still sees it
    with pytest.raises(LinkDisabled) as refused:
        resolve_target(repository, DOMAIN, "AbC1234", NOW)
    assert refused.value.code == "link_disabled"
    assert resolve_link(repository, DOMAIN, "AbC1234").status(NOW) is LinkStatus.DISABLED

    # AND once enabled again it redirects as before
    assert update(repository, LinkChanges(disabled=False)).status(NOW) is LinkStatus.ACTIVE
    assert resolve_target(repository, DOMAIN, "AbC1234", NOW).url == URL


def test_other_changes_leave_a_disabled_link_disabled() -> None:
    repository = FakeRepository([a_link(state=LinkState.DISABLED)])

    assert update(repository, LinkChanges(title="Still off")).target.state is LinkState.DISABLED


# --- update_link: versions and conflicts --------------------------------------------------------------------------


def test_if_match_with_the_current_version_applies_the_change() -> None:
    repository = FakeRepository([a_link(version=4)])

    assert update(repository, LinkChanges(title="New"), expected_version=4).version == 5


def test_if_match_with_an_old_version_is_refused_before_anything_is_written() -> None:
    repository = FakeRepository([a_link(version=4)])

    with pytest.raises(VersionMismatch) as refused:
        update(repository, LinkChanges(url=NEW_URL), expected_version=3)

    assert refused.value.code == "precondition_failed"
    assert repository.writes() == []
    assert repository.history(DOMAIN, "AbC1234") == []


class RacingRepository(FakeRepository):
    """Another caller's edit lands between this caller's read and its write."""

    def get(self, domain: str, code: str, *, consistent: bool = False) -> Link | None:
        read = super().get(domain, code, consistent=consistent)
        if read is not None:
            super().replace(replace(read, title="Theirs", version=read.version + 1), read.version)
        return read


def test_a_concurrent_edit_makes_the_later_write_a_conflict_not_a_lost_update() -> None:
    # GIVEN another caller changes the link after this caller read it
    repository = RacingRepository([a_link()])

    # WHEN this caller's change is written
    with pytest.raises(EditConflict) as refused:
        update(repository, LinkChanges(url=NEW_URL))

    # THEN it is refused as a conflict, the other caller's change stands, and no history claims the new URL
    assert refused.value.code == "conflict"
    assert (stored(repository).title, stored(repository).target.url) == ("Theirs", URL)
    assert repository.history(DOMAIN, "AbC1234") == []


def test_a_deleted_link_cannot_be_changed() -> None:
    repository = FakeRepository([a_link(state=LinkState.DELETED, version=2)])

    with pytest.raises(LinkDeleted):
        update(repository, LinkChanges(disabled=False))

    assert repository.writes() == []


# --- delete_link --------------------------------------------------------------------------------------------------


def test_delete_leaves_a_tombstone() -> None:
    repository = FakeRepository([a_link()])

    delete_link(repository, MEMBER, DOMAIN, "AbC1234", now=NOW)

    tombstone = stored(repository)
    assert tombstone.target.state is LinkState.DELETED
    assert (tombstone.version, tombstone.updated_at) == (2, NOW)
    assert tombstone.status(NOW) is LinkStatus.DELETED


def test_a_deleted_link_is_gone_for_visitors() -> None:
    repository = FakeRepository([a_link()])
    delete_link(repository, MEMBER, DOMAIN, "AbC1234", now=NOW)

    with pytest.raises(LinkDeleted) as refused:
        resolve_target(repository, DOMAIN, "AbC1234", NOW)

    assert refused.value.code == "link_deleted"


def test_deleting_twice_is_deleting_once() -> None:
    repository = FakeRepository([a_link()])
    delete_link(repository, MEMBER, DOMAIN, "AbC1234", now=NOW)

    delete_link(repository, MEMBER, DOMAIN, "AbC1234", now=NOW + timedelta(hours=1))

    assert len(repository.writes()) == 1
    assert stored(repository).updated_at == NOW


def test_a_deleted_code_is_never_handed_out_again() -> None:
    # GIVEN a deleted link
    repository = FakeRepository([a_link()])
    delete_link(repository, MEMBER, DOMAIN, "AbC1234", now=NOW)

    # WHEN anyone asks for its code as an alias, or the generator draws it
    with pytest.raises(CodeTaken):
        create_link(
            repository, NewLink(url=NEW_URL, alias="AbC1234"), domain=DOMAIN, own_hosts={DOMAIN}, code_length=7, now=NOW
        )
    codes = iter(["AbC1234", "fresh01"])
    drawn = create_link(
        repository,
        NewLink(url=NEW_URL),
        domain=DOMAIN,
        own_hosts={DOMAIN},
        code_length=7,
        now=NOW,
        new_code=lambda _length: next(codes),
    )

    # THEN the tombstone keeps the code
    assert drawn.code == "fresh01"
    assert stored(repository).target.state is LinkState.DELETED


def test_an_admin_deletes_anyones_link() -> None:
    repository = FakeRepository([a_link(owner=OTHER.key_id)])

    delete_link(repository, ADMIN, DOMAIN, "AbC1234", now=NOW)

    assert stored(repository).target.state is LinkState.DELETED


def test_a_history_survives_the_delete() -> None:
    repository = FakeRepository([a_link()])
    update(repository, LinkChanges(url=NEW_URL))

    delete_link(repository, MEMBER, DOMAIN, "AbC1234", now=NOW)

    assert [entry.new_url for entry in link_history(repository, MEMBER, DOMAIN, "AbC1234")] == [NEW_URL]


# --- link_history -------------------------------------------------------------------------------------------------


def test_a_link_never_redirected_elsewhere_has_an_empty_history() -> None:
    assert link_history(FakeRepository([a_link()]), MEMBER, DOMAIN, "AbC1234") == []


def test_an_admin_reads_anyones_history() -> None:
    repository = FakeRepository([a_link(owner=OTHER.key_id)])
    update(repository, LinkChanges(url=NEW_URL), principal=OTHER)

    assert [entry.changed_by for entry in link_history(repository, ADMIN, DOMAIN, "AbC1234")] == [OTHER.key_id]


# --- list_links ---------------------------------------------------------------------------------------------------


def listing(
    repository: FakeRepository,
    principal: Principal = MEMBER,
    *,
    owner: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
    tag: str | None = None,
    status: LinkStatus | None = None,
    domain: str = DOMAIN,
) -> tuple[list[str], str | None]:
    page = list_links(
        repository,
        principal,
        owner=owner,
        limit=limit,
        cursor=cursor,
        tag=tag,
        status=status,
        now=NOW,
        domain=lambda: domain,
    )
    return [link.code for link in page.links], page.next_cursor


def some_links() -> FakeRepository:
    return FakeRepository(
        [
            a_link("mine001", age=timedelta(days=3), tags=("sale",)),
            a_link("mine002", age=timedelta(days=2)),
            a_link("mine003", age=timedelta(days=1), tags=("sale", "artists")),
            a_link("theirs1", owner=OTHER.key_id, age=timedelta(hours=5)),
            a_link("anon001", owner=None, age=timedelta(hours=4)),
        ]
    )


def test_a_member_lists_its_own_links_newest_first() -> None:
    assert listing(some_links()) == (["mine003", "mine002", "mine001"], None)


def test_a_member_may_name_itself_as_owner() -> None:
    assert listing(some_links(), owner=MEMBER.key_id)[0] == ["mine003", "mine002", "mine001"]


@pytest.mark.parametrize("owner", [OTHER.key_id, "*"])
def test_a_member_cannot_list_another_owner_or_everyone(owner: str) -> None:
    repository = some_links()

    with pytest.raises(Forbidden):
        listing(repository, owner=owner)

    assert repository.calls == []


def test_an_admin_lists_its_own_links_by_default_another_keys_on_request_and_everyones_with_a_star() -> None:
    repository = some_links()

    assert listing(repository, ADMIN) == ([], None)
    assert listing(repository, ADMIN, owner=OTHER.key_id)[0] == ["theirs1"]
    assert listing(repository, ADMIN, owner="*")[0] == ["anon001", "theirs1", "mine003", "mine002", "mine001"]


def test_everyones_listing_is_one_domains_and_only_it_asks_which() -> None:
    # GIVEN links on the default domain and one on another
    repository = some_links()
    repository.add(replace(a_link("other01", owner=None), domain="give.link"))
    asked: list[str] = []

    def domain(name: str) -> Callable[[], str]:
        def ask() -> str:
            asked.append(name)
            return name

        return ask

    # WHEN an admin lists every owner's links on each domain, and its own
    give = list_links(
        repository, ADMIN, owner="*", limit=50, cursor=None, tag=None, status=None, now=NOW, domain=domain("give.link")
    )
    own = list_links(
        repository, ADMIN, owner=None, limit=50, cursor=None, tag=None, status=None, now=NOW, domain=domain("unused")
    )

    # THEN each listing holds that domain's links, and only everyone's asked for a domain
    assert [link.code for link in give.links] == ["other01"]
    assert own.links == []
    assert asked == ["give.link"]


def test_the_listing_is_filtered_by_tag() -> None:
    assert listing(some_links(), tag="sale")[0] == ["mine003", "mine001"]
    assert listing(some_links(), tag="artists")[0] == ["mine003"]


def test_deleted_links_are_hidden_unless_asked_for() -> None:
    repository = some_links()
    delete_link(repository, MEMBER, DOMAIN, "mine002", now=NOW)

    assert listing(repository)[0] == ["mine003", "mine001"]
    assert listing(repository, status=LinkStatus.DELETED)[0] == ["mine002"]


def test_the_listing_is_filtered_by_status() -> None:
    repository = FakeRepository(
        [
            a_link("live001", age=timedelta(days=4)),
            a_link("expired", expires_at=NOW - timedelta(seconds=1), age=timedelta(days=3)),
            a_link("disabld", state=LinkState.DISABLED, age=timedelta(days=2)),
        ]
    )

    assert listing(repository, status=LinkStatus.ACTIVE)[0] == ["live001"]
    assert listing(repository, status=LinkStatus.EXPIRED)[0] == ["expired"]
    assert listing(repository, status=LinkStatus.DISABLED)[0] == ["disabld"]
    assert listing(repository)[0] == ["disabld", "expired", "live001"]


def test_pages_follow_the_cursor_to_the_end() -> None:
    repository = some_links()

    first, cursor = listing(repository, limit=2)
    assert cursor is not None
    second, end = listing(repository, limit=2, cursor=cursor)

    assert (first, second, end) == (["mine003", "mine002"], ["mine001"], None)
