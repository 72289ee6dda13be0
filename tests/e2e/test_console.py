"""The web console in a real browser (headless Chromium) against the local server: what a person does at /console,
click by click, and what an attacker's link title or destination cannot do to the page."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.e2e.chain_server import ChainServer, ChainServers, Reply
from tests.e2e.console_browser import chromium_context

pytestmark = pytest.mark.e2e

CreateLink = Callable[..., dict[str, Any]]


@pytest.fixture
def page(base_url: str) -> Iterator[Page]:
    """A fresh browser tab: its own profile, so its own sessionStorage."""
    with chromium_context() as context:
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        yield tab


@pytest.fixture
def dialogs(page: Page) -> list[str]:
    """The messages of every dialog (alert, confirm, prompt) the page opens; each is dismissed."""
    opened: list[str] = []

    def record(dialog: Dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return opened


def sign_in(page: Page, base_url: str, key: str) -> None:
    page.goto(f"{base_url}/console")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Links", level=1)).to_be_visible()


def create_in_form(page: Page, **fields: str) -> None:
    page.get_by_role("link", name="Create", exact=True).click()
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Create", exact=True).click()


def open_link_page(page: Page, short_url: str) -> None:
    page.get_by_role("link", name="Links", exact=True).click()
    page.get_by_role("link", name=short_url, exact=True).click()
    expect(page.get_by_role("heading", name="Statistics")).to_be_visible()


def test_a_campaign_manager_creates_finds_follows_measures_edits_expands_and_signs_out(
    page: Page, dialogs: list[str], base_url: str, admin_key: str, destination: str, chain_servers: ChainServers
) -> None:
    alias = f"spring-{uuid.uuid4().hex[:8]}"
    short_url = f"{base_url}/{alias}"

    # GIVEN a person signed in with a key
    sign_in(page, base_url, admin_key)
    assert page.evaluate("sessionStorage.getItem('shortlinks.key')") == admin_key
    assert admin_key not in page.url

    # WHEN they create a link with an alias
    create_in_form(page, **{"Destination URL": f"{destination}/spring", "Alias": alias, "Title": "Spring campaign"})

    # THEN the console shows its short URL, ready to copy
    result = page.locator(".result")
    expect(result.get_by_role("heading", name="Created")).to_be_visible()
    expect(result.get_by_role("link", name=short_url)).to_be_visible()
    expect(result.get_by_role("button", name=f"Copy {short_url}")).to_be_visible()

    # AND they find it in the list by searching for its code
    page.get_by_role("link", name="Links", exact=True).click()
    page.get_by_label("Search").fill(alias)
    page.get_by_role("button", name="Apply").click()
    row = page.get_by_role("row").filter(has_text=alias)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"{destination}/spring")

    # WHEN a visitor follows the short URL (this very browser)
    page.goto(short_url)
    expect(page.locator("body")).to_contain_text('"path": "/spring"')

    # THEN the link's statistics count the click (the aggregator gets it within about a second)
    page.goto(f"{base_url}/console#/links")
    open_link_page(page, short_url)
    clicks = page.locator(".totals li").filter(has_text="Clicks").locator(".total")
    deadline = time.monotonic() + 30  # the aggregator is fed within about a second; a loaded machine is slower
    while clicks.text_content() != "1" and time.monotonic() < deadline:
        page.get_by_role("button", name="Show", exact=True).click()
        page.wait_for_timeout(500)
    expect(clicks).to_have_text("1")
    expect(page.locator("svg.chart").first).to_be_visible()
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download CSV").click()
    header, *rows = downloading.value.path().read_text().splitlines()
    assert header.startswith("start,clicks")
    assert sum(int(row.split(",")[1]) for row in rows) == 1

    # WHEN they change its destination
    edit = page.locator("form").filter(has=page.get_by_role("heading", name="Edit"))
    edit.get_by_label("Destination URL").fill(f"{destination}/summer")
    edit.get_by_role("button", name="Save changes").click()

    # THEN the history shows the change
    history = page.locator("section").filter(has=page.get_by_role("heading", name="Destination history"))
    expect(history.get_by_role("row").filter(has_text=f"{destination}/summer")).to_contain_text(f"{destination}/spring")
    expect(page.get_by_text("Version 2")).to_be_visible()

    # WHEN they expand another service's chain that ends at a page
    chain = chain_servers.allowed
    prefix = f"/console-{uuid.uuid4().hex[:8]}"
    chain.script(f"{prefix}/page", Reply.html("<title>landing</title>"))
    start = chain.script(f"{prefix}/start", Reply.redirect(301, chain.url(f"{prefix}/page")))
    page.get_by_role("link", name="Expand", exact=True).click()
    page.get_by_label("Short URL").fill(start)
    page.get_by_role("button", name="Expand", exact=True).click()

    # THEN they see each hop and the final destination
    expect(page.get_by_role("heading", name="Final destination")).to_be_visible()
    hops = page.locator("ol.hops li")
    expect(hops).to_have_count(2)
    expect(hops.first).to_contain_text("301")
    expect(page.locator(".notice")).to_contain_text(chain.url(f"{prefix}/page"))
    expect(page.locator(".notice.warning")).to_have_count(0)

    # WHEN they sign out
    page.get_by_role("button", name="Sign out").click()

    # THEN the key is gone from the tab and the console asks for one again
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0
    assert dialogs == []


def test_a_chain_that_stops_early_is_shown_as_a_warning(
    page: Page, base_url: str, admin_key: str, chain_servers: ChainServers
) -> None:
    # GIVEN a chain whose second hop points where the expander never connects (a port and address not allowed)
    chain: ChainServer = chain_servers.allowed
    prefix = f"/console-{uuid.uuid4().hex[:8]}"
    start = chain.script(f"{prefix}/start", Reply.redirect(302, chain_servers.outsider.url(f"{prefix}/inside")))
    sign_in(page, base_url, admin_key)

    # WHEN it is expanded in the console
    page.get_by_role("link", name="Expand", exact=True).click()
    page.get_by_label("Short URL").fill(start)
    page.get_by_role("button", name="Expand", exact=True).click()

    # THEN the answer is a warning that names why
    warning = page.locator(".notice.warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(re.compile(r"Stopped \(blocked_(address|port)\)"))
    expect(page.get_by_role("heading", name="The chain stopped early")).to_be_visible()
    assert chain_servers.outsider.connections == 0


def test_an_attackers_title_and_destination_render_as_text(
    page: Page, dialogs: list[str], base_url: str, admin_key: str, create_link: CreateLink
) -> None:
    # GIVEN links whose title and destination carry markup and script
    title = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    link = create_link(url='https://example.org/?q="><svg/onload=alert(3)>', title=title)
    hostile = create_link(url="https://example.org/<b>x</b>", title='"><iframe src="javascript:alert(4)">')

    # WHEN the owner lists them and opens one
    sign_in(page, base_url, admin_key)
    page.get_by_label("Search").fill(link["code"])
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("row").filter(has_text=link["code"])).to_contain_text(title)
    page.get_by_role("link", name=link["short_url"], exact=True).click()
    expect(page.get_by_role("heading", name="Statistics")).to_be_visible()

    # THEN the title is text, no element or dialog came from the data
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    assert page.locator("img[src='x'], iframe, svg[onload], main script").count() == 0
    page.goto(f"{base_url}/console#/link/{hostile['domain']}/{hostile['code']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text('"><iframe')
    assert page.locator("iframe, b").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == []


def test_an_api_error_is_shown_next_to_the_field_that_caused_it(page: Page, base_url: str, admin_key: str) -> None:
    sign_in(page, base_url, admin_key)

    create_in_form(page, **{"Destination URL": "javascript:alert(1)", "Alias": "console"})

    error = page.locator('[data-field="url"] .field-error')
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    expect(page.get_by_label("Destination URL")).to_have_attribute("aria-invalid", "true")


def test_a_wrong_key_is_refused_with_words_and_never_stored(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/console")
    page.get_by_label("API key").fill("sl_" + "A" * 43)
    page.get_by_role("button", name="Sign in").click()

    expect(page.locator('[data-field="key"] .field-error')).to_contain_text("not valid")
    assert page.evaluate("sessionStorage.length") == 0


def test_a_change_made_elsewhere_meanwhile_is_not_overwritten_and_the_page_says_so(
    page: Page, base_url: str, admin_key: str, client: httpx.Client, create_link: CreateLink
) -> None:
    # GIVEN a link's page open in the console
    link = create_link(url="https://example.org/first", title="Before")
    sign_in(page, base_url, admin_key)
    page.goto(f"{base_url}/console#/link/{link['domain']}/{link['code']}")
    expect(page.get_by_role("heading", name="Statistics")).to_be_visible()

    # WHEN someone else changes it, then the page saves its own edit
    assert client.patch(f"/v1/links/{link['code']}", json={"title": "Theirs"}).status_code == 200
    page.get_by_label("Title").fill("Mine")
    page.get_by_role("button", name="Save changes").click()

    # THEN nothing is overwritten and the page tells why, with a way to reload
    expect(page.get_by_role("alert")).to_contain_text("Someone else changed this link")
    assert client.get(f"/v1/links/{link['code']}").json()["title"] == "Theirs"
    page.get_by_role("button", name="Reload").click()
    expect(page.get_by_label("Title")).to_have_value("Theirs")


def test_disabling_and_deleting_ask_first(
    page: Page, base_url: str, admin_key: str, client: httpx.Client, create_link: CreateLink
) -> None:
    link = create_link(url="https://example.org/to-remove")
    sign_in(page, base_url, admin_key)
    page.goto(f"{base_url}/console#/link/{link['domain']}/{link['code']}")

    # WHEN "Disable" is pressed, nothing happens until it is confirmed
    page.get_by_role("button", name="Disable", exact=True).click()
    assert client.get(f"/v1/links/{link['code']}").json()["status"] == "active"
    page.get_by_role("button", name="Yes, disable").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("disabled")

    # AND a delete that is cancelled deletes nothing; confirmed, it does
    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("button", name="Cancel").click()
    assert client.get(f"/v1/links/{link['code']}").json()["status"] == "disabled"
    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("button", name="Yes, delete").click()
    expect(page.get_by_role("heading", name="Links", level=1)).to_be_visible()
    assert client.get(f"/v1/links/{link['code']}").json()["status"] == "deleted"


def test_an_admin_creates_a_key_sees_its_secret_once_and_revokes_it(
    page: Page, base_url: str, admin_key: str, client: httpx.Client
) -> None:
    name = f"console {uuid.uuid4().hex[:8]}"
    sign_in(page, base_url, admin_key)
    page.get_by_role("link", name="Keys", exact=True).click()

    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Create key").click()

    secret = page.locator("code.key")
    expect(secret).to_have_text(re.compile(r"^sl_[A-Za-z0-9]{43}$"))
    key = secret.text_content()
    assert key is not None
    assert httpx.get(f"{base_url}/v1/links", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    page.get_by_role("button", name="I have stored it").click()
    expect(page.locator("code.key")).to_have_count(0)

    row = page.get_by_role("row").filter(has_text=name)
    row.get_by_role("button", name="Revoke").click()
    row.get_by_role("button", name="Yes, revoke").click()
    expect(page.get_by_role("row").filter(has_text=name)).to_contain_text("revoked")
    assert [k["revoked"] for k in client.get("/v1/keys").json()["keys"] if k["name"] == name] == [True]


def test_a_member_sees_no_admin_pages_and_a_429_says_when_to_retry(
    page: Page, base_url: str, new_key: Callable[..., dict[str, Any]]
) -> None:
    # GIVEN a member whose key may create one link a minute
    member = new_key("member", create_rate_limit=1)
    sign_in(page, base_url, member["key"])
    expect(page.get_by_role("link", name="Keys", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Domains", exact=True)).to_have_count(0)

    # WHEN it creates two within one clock minute (the limit's window)
    while time.gmtime().tm_sec > 45:
        time.sleep(1)
    create_in_form(page, **{"Destination URL": "https://example.org/one"})
    expect(page.get_by_role("heading", name="Created")).to_be_visible()
    page.get_by_label("Destination URL").fill("https://example.org/two")
    page.get_by_role("button", name="Create", exact=True).click()

    # THEN the second is refused in words that say when to try again
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"Too many requests\. Try again in \d+ seconds?\."))


def test_signing_in_and_creating_work_by_keyboard_every_control_is_labelled_and_a_phone_needs_no_sideways_scroll(
    page: Page, base_url: str, admin_key: str
) -> None:
    # GIVEN a phone-sized window
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base_url}/console")

    # WHEN a person signs in with the keyboard only: Tab to the key field, type, Enter
    page.keyboard.press("Tab")
    page.keyboard.type(admin_key)
    page.keyboard.press("Enter")

    # THEN they are signed in, and each page's controls carry a label and fit the screen
    expect(page.get_by_role("heading", name="Links", level=1)).to_be_visible()
    for route in ("#/links", "#/create", "#/expand", "#/domains", "#/keys"):
        page.goto(f"{base_url}/console{route}")
        page.locator("main h1").wait_for()
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll("main input, main select, main textarea")]
                .filter((control) => control.labels.length === 0 && !control.getAttribute("aria-label"))
                .map((control) => control.outerHTML)"""
        )
        assert unlabelled == [], route
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), route


def test_a_new_links_qr_code_downloads_as_svg_and_png(page: Page, base_url: str, admin_key: str) -> None:
    alias = f"qr-{uuid.uuid4().hex[:8]}"
    sign_in(page, base_url, admin_key)
    create_in_form(page, **{"Destination URL": "https://example.org/qr", "Alias": alias})

    qr = page.locator(".result img.qr")
    expect(qr).to_be_visible()
    # THEN the image loaded and decoded (visible comes first: the browser may still be fetching it)
    page.wait_for_function("(image) => image.complete && image.naturalWidth > 0", arg=qr.element_handle())
    for name, suffix, magic in [("Download SVG", ".svg", b"<svg"), ("Download PNG", ".png", b"\x89PNG")]:
        with page.expect_download() as downloading:
            page.get_by_role("link", name=name).click()
        download = downloading.value
        assert download.suggested_filename == f"{alias}{suffix}"
        assert magic in download.path().read_bytes()[:512]


def test_utm_fields_tag_the_destination_visitors_reach(
    page: Page, base_url: str, admin_key: str, client: httpx.Client
) -> None:
    alias = f"utm-{uuid.uuid4().hex[:8]}"
    sign_in(page, base_url, admin_key)

    create_in_form(
        page,
        **{
            "Destination URL": "https://example.org/sale",
            "Alias": alias,
            "utm_source": "news",
            "utm_campaign": "spring",
        },
    )

    destination = page.locator(".result .destination")
    expect(destination).to_contain_text(
        re.compile(r"utm_source=news.*utm_campaign=spring|utm_campaign=spring.*utm_source=news")
    )
    stored = client.get(f"/v1/links/{alias}").json()
    assert stored["utm"]["source"] == "news"
    assert stored["url"] == "https://example.org/sale"
