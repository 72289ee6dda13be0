"""Custom short domains on the local server: it answers on whichever registered domain the Host header names
(it registered its own host, 127.0.0.1, as the default domain when it started)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.domain_settings import DOMAIN_DEFAULTS

pytestmark = pytest.mark.e2e

DOMAIN = "care.link"


@pytest.fixture
def care_link(client: httpx.Client) -> Iterator[str]:
    """care.link registered through the admin API; removed (its links tombstoned) afterwards."""
    response = client.put(f"/v1/domains/{DOMAIN}", json=DOMAIN_DEFAULTS)
    assert response.status_code == 200, response.text
    assert response.json()["is_default"] is False  # 127.0.0.1 stays the default
    yield DOMAIN
    assert client.delete(f"/v1/domains/{DOMAIN}", params={"force": "true"}).status_code == 204


def test_a_link_on_a_registered_domain_answers_on_that_host_only(
    client: httpx.Client,
    anonymous: httpx.Client,
    destination: str,
    care_link: str,
    unique_alias: Callable[[str], str],
) -> None:
    # GIVEN a link created on care.link
    code = unique_alias("care")
    created = client.post("/v1/links", json={"url": f"{destination}/help", "alias": code, "domain": care_link})
    assert created.status_code == 201, created.text
    assert (created.json()["domain"], created.json()["short_url"]) == (care_link, f"https://care.link/{code}")

    # WHEN it is asked for with Host: care.link THEN it redirects to the destination
    response = anonymous.get(f"/{code}", headers={"Host": care_link})
    assert response.status_code == 302, response.text
    assert response.headers["location"] == f"{destination}/help"

    # AND on the server's own host (the default domain) the same code is unknown
    assert anonymous.get(f"/{code}").status_code == 404
