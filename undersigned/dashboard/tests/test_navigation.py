"""One organiser interface: the old organiser addresses lead to the dashboard, its navigation
says where one is, and no two links of one page share a name but lead to different pages."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from undersigned.conftest import make_signature
from undersigned.dashboard.tests.test_permissions import CASES, VIEWS, address
from undersigned.dashboard.tests.test_permissions import targets as targets  # noqa: F401
from undersigned.statements.models import Signature, Statement


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/s/free-them/manage/", "/dashboard/s/free-them/"),
        ("/s/free-them/manage/signatures.csv", "/dashboard/s/free-them/signatures/export.csv"),
        ("/s/free-them/manage/watch/", "/dashboard/s/free-them/watch/"),
    ],
)
def test_the_old_organiser_addresses_move_permanently_to_the_dashboard(
    statement: Statement, organiser_client: Client, old: str, new: str
) -> None:
    for client in (organiser_client, Client()):
        response = client.get(old)
        assert (response.status_code, response["Location"]) == (301, new)
        assert client.head(old).status_code == 301
    # A POST is not sent on to where it might change something.
    assert organiser_client.post(old).status_code == 405
    assert organiser_client.get(old, follow=True).status_code == 200


@pytest.mark.parametrize(
    "old",
    [
        "/s/free-them/manage/hide-signatories/",
        "/s/free-them/manage/watch/invalidate/",
        "/s/free-them/manage/watch/held/",
        "/s/free-them/manage/watch/pause/",
    ],
)
def test_the_old_buttons_addresses_are_gone(
    statement: Statement, organiser_client: Client, old: str
) -> None:
    response = organiser_client.post(old, {"paused": "1", "action": "reject", "hidden": "1"})
    assert response.status_code == 404
    statement.refresh_from_db()
    assert not statement.signing_paused and not statement.signatories_hidden


class _Links(HTMLParser):
    """The page's links outside tables (a table's rows repeat theirs for each row), by name."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.current: list[str] | None = None
        self.href = ""
        self.tables = 0
        self.in_main = False
        self.nav: list[tuple[str, str, bool]] = []
        self.in_nav = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "main":
            self.in_main = True
        elif tag == "table":
            self.tables += 1
        elif tag == "nav" and found.get("class") == "dashboard-nav":
            self.in_nav = True
        elif tag == "a" and self.in_main and not self.tables:
            self.current = []
            self.href = str(found.get("href") or "")
            self.aria_current = found.get("aria-current") == "page"

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.tables -= 1
        elif tag == "nav":
            self.in_nav = False
        elif tag == "a" and self.current is not None:
            name = " ".join("".join(self.current).split())
            self.links.append((name, self.href.split("?")[0].split("#")[0]))
            if self.in_nav:
                self.nav.append((name, self.href, self.aria_current))
            self.current = None

    def handle_data(self, data: str) -> None:
        if self.current is not None:
            self.current.append(data)


def _links(page: str) -> _Links:
    parser = _Links()
    parser.feed(page)
    return parser


# Every dashboard page: each view that answers GET, with its queries.
PAGES = [case for case in CASES if case.values[1] == "get" and "get" in VIEWS[case.values[0]]]


@pytest.mark.parametrize(("view", "method", "query"), PAGES)
def test_no_two_links_of_a_page_share_a_name_but_lead_to_different_pages(
    organiser_client: Client,
    targets: dict[str, Any],  # noqa: F811
    view: str,
    method: str,
    query: str,
) -> None:
    url = address(view, query, targets)
    response = organiser_client.get(url)
    if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
        return
    links = _links(response.content.decode()).links
    assert links, url
    where: dict[str, set[str]] = {}
    for name, href in links:
        where.setdefault(name, set()).add(href)
    assert {name: hrefs for name, hrefs in where.items() if len(hrefs) > 1} == {}, url


@pytest.mark.parametrize(
    ("url", "here"),
    [
        ("/dashboard/s/free-them/", "Overview"),
        ("/dashboard/s/free-them/signatures/", "Signatures"),
        ("/dashboard/s/free-them/signatures/moderation/", "Moderation"),
        ("/dashboard/s/free-them/watch/", "Watch for abuse"),
        ("/dashboard/s/free-them/privacy/", "Privacy"),
        ("/dashboard/s/free-them/settings/", "Settings"),
        ("/dashboard/o/red-estudiantil/", "Members"),
        ("/dashboard/o/red-estudiantil/statements/", "Statements"),
        ("/dashboard/o/red-estudiantil/erasure/", "Erasure requests"),
        ("/dashboard/o/red-estudiantil/audit/", "Audit log"),
    ],
)
def test_the_navigation_shows_the_organisation_the_statement_and_the_section(
    organiser_client: Client, statement: Statement, url: str, here: str
) -> None:
    nav = _links(organiser_client.get(url).content.decode()).nav
    names = [name for name, _href, _current in nav]
    assert names[:2] == ["Dashboard", "Red Estudiantil"]
    if url.startswith("/dashboard/s/"):
        assert names[2:4] == ["Statements", "free-them"]
    assert [name for name, _href, current in nav if current] == [here]


def test_viewers_see_no_section_they_may_not_open(
    viewer_client: Client, statement: Statement
) -> None:
    nav = _links(viewer_client.get("/dashboard/o/red-estudiantil/").content.decode()).nav
    names = [name for name, _href, _current in nav]
    assert "Erasure requests" not in names and "Audit log" not in names
    nav = _links(viewer_client.get("/dashboard/s/free-them/signatures/").content.decode()).nav
    assert "Moderation" not in [name for name, _href, _current in nav]


def test_the_overview_counts_signatures_by_state_and_points_to_waiting_organisations(
    member_client: Client, viewer_client: Client, statement: Statement
) -> None:
    make_signature(statement, 1)
    make_signature(statement, 2, state=Signature.State.PENDING, confirmed_at=None)
    for n in (3, 4):
        make_signature(
            statement,
            n,
            kind="organisation",
            organisation_name=f"Union {n}",
            state=Signature.State.AWAITING_APPROVAL,
        )
    response = member_client.get("/dashboard/s/free-them/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    states = dict(response.context["states"])
    assert (states["confirmed"], states["waiting for approval"], states["rejected"]) == (1, 2, 0)
    text = response.content.decode()
    assert "2 organisations are waiting for your approval." in text
    assert 'href="/dashboard/s/free-them/signatures/moderation/"' in text
    viewers = viewer_client.get("/dashboard/s/free-them/").content.decode()
    assert "/dashboard/s/free-them/signatures/?state=pending&amp;kind=organisation" in viewers
