"""Notices: an announcement at the top of a statement's page (an emergency demonstration),
put up and taken down from the dashboard, hidden by a reader with a plain form, remembered by
their browser alone."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from undersigned.audit.models import AuditLog
from undersigned.lib import pagecache
from undersigned.statements.models import Statement
from undersigned.updates.models import Notice

PAGE = "/s/free-them/en/"
DEMO = "Emergency demonstration Saturday 3 pm, Plaza Mayor"


def _notice(statement: Statement | None, **fields: object) -> Notice:
    return Notice.objects.create(
        statement=statement,
        text=fields.pop("text", DEMO),
        link="https://example.org/route",
        link_text="Details and route",
        **fields,
    )


def test_a_notice_shows_at_the_top_and_a_reader_hides_it_without_a_script(
    statement: Statement,
) -> None:
    notice = _notice(statement)
    reader = Client()
    page = reader.get(PAGE).content.decode()
    assert DEMO in page and 'href="https://example.org/route"' in page
    assert page.index(DEMO) < page.index("<h1>")
    response = reader.post(f"/notices/{notice.pk}/hide/", {"next": PAGE})
    assert (response.status_code, response["Location"]) == (303, PAGE)
    cookie = response.cookies["hidden_notices"]
    assert cookie.value == str(notice.pk) and cookie["httponly"] and cookie["max-age"]
    # Hidden for this reader, though the page is stored for everyone else with the notice.
    assert DEMO not in reader.get(PAGE).content.decode()
    assert DEMO in Client().get(PAGE).content.decode()
    # A newer notice shows again.
    _notice(statement, text="The march moves to Sunday")
    assert "The march moves to Sunday" in reader.get(PAGE).content.decode()


def test_a_reader_who_hid_a_notice_is_never_served_a_stored_page(statement: Statement) -> None:
    notice = _notice(statement)
    Client().get(PAGE)  # stored, with the notice
    reader = Client()
    reader.cookies["hidden_notices"] = str(notice.pk)
    response = reader.get(PAGE)
    assert DEMO not in response.content.decode()
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", ""]
)
def test_hiding_goes_back_to_this_site_only(statement: Statement, target: str) -> None:
    notice = _notice(statement)
    response = Client().post(f"/notices/{notice.pk}/hide/", {"next": target})
    assert response["Location"] == "/"


def test_the_site_wide_notice_shows_on_the_home_page_and_a_statements_own_comes_first(
    statement: Statement,
) -> None:
    _notice(None, text="The site moves on Monday")
    assert "The site moves on Monday" in Client().get("/").content.decode()
    assert "The site moves on Monday" in Client().get(PAGE).content.decode()
    pagecache.clear()
    _notice(statement)
    page = Client().get(PAGE).content.decode()
    assert DEMO in page and "The site moves on Monday" not in page


def test_a_notice_past_its_time_is_gone(statement: Statement) -> None:
    _notice(statement, shown_until=timezone.now() + dt.timedelta(hours=1))
    assert DEMO in Client().get(PAGE).content.decode()
    pagecache.clear()
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2)):
        assert DEMO not in Client().get(PAGE).content.decode()


def test_an_editor_puts_a_notice_up_and_takes_it_down(
    member_client: Client, statement: Statement
) -> None:
    url = "/dashboard/s/free-them/notice/"
    assert "No notice is shown now." in member_client.get(url).content.decode()
    Client().get(PAGE)  # stored without a notice
    response = member_client.post(
        url, {"text": DEMO, "link": "https://example.org/route", "link_text": "Route"}
    )
    assert response.status_code == 302
    # Shown at once: putting it up cleared the stored page.
    assert DEMO in Client().get(PAGE).content.decode()
    response = member_client.post(url, {"action": "end"})
    assert response.status_code == 302
    assert DEMO not in Client().get(PAGE).content.decode()
    assert sorted(
        AuditLog.objects.filter(action__startswith="notice.").values_list("action", flat=True)
    ) == ["notice.ended", "notice.shown"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("text", ""), ("text", "x" * 201), ("link", "http://example.org/"), ("link", "not a link")],
)
def test_a_bad_notice_is_refused_with_a_message(
    member_client: Client, statement: Statement, field: str, value: str
) -> None:
    data = {"text": DEMO, "link": "https://example.org/", "link_text": "", field: value}
    response = member_client.post("/dashboard/s/free-them/notice/", data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not Notice.objects.exists()


def test_a_viewer_sees_the_notice_but_cannot_change_it(
    viewer_client: Client, statement: Statement
) -> None:
    _notice(statement)
    page = viewer_client.get("/dashboard/s/free-them/notice/").content.decode()
    assert DEMO in page and "Take it down" not in page
    assert (
        viewer_client.post("/dashboard/s/free-them/notice/", {"action": "end"}).status_code == 403
    )
    assert Notice.objects.shown().count() == 1
