"""In real Chromium: an editor approves an organisation, enters two paper signatures with the
keyboard only, and exports."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import User
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from undersigned.conftest import _client_for, make_signature
from undersigned.statements.models import Signature, Statement
from undersigned.statements.queries import signature_count
from undersigned.statements.tests import test_browser
from undersigned.statements.tests.test_browser import Chromium

pytestmark = pytest.mark.browser

# The signing tests' browser fixtures, shared.
site = test_browser.site
chromium = test_browser.chromium
page = test_browser.page


def _log_in(page: Page, site: str, user: User) -> None:
    """As the user, through password and two-factor code (the session a login leaves)."""
    client = _client_for(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site}]
    )


def _focus(page: Page, name: str, value: str | None = None) -> None:
    """Tab (only) until the field `name` has the focus."""
    for _ in range(30):
        focused = page.evaluate("[document.activeElement.name, document.activeElement.value]")
        if focused[0] == name and value in (None, focused[1]):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"no {name} field reached by Tab")


def test_an_editor_approves_an_organisation_enters_paper_signatures_and_exports(
    chromium: Chromium, page: Page, site: str, statement: Statement, member: User
) -> None:
    make_signature(
        statement,
        1,
        name="María López",
        kind=Signature.Kind.ORGANISATION,
        organisation_name="Sindicato Unido",
        state=Signature.State.AWAITING_APPROVAL,
    )
    _log_in(page, site, member)

    page.goto("/dashboard/s/free-them/signatures/moderation/")
    page.get_by_label("Choose Sindicato Unido").check()
    page.get_by_role("button", name="Approve the chosen").click()
    expect(page.locator(".messages")).to_contain_text("1 organisation approved.")
    assert signature_count(statement) == 1

    page.goto("/dashboard/s/free-them/signatures/paper/")
    # The name has the focus: type, choose the listing by arrow keys, Enter saves.
    name = page.locator("input[name=name]")
    expect(name).to_be_focused()  # autofocus lands once the page is parsed; keys before it are lost
    page.keyboard.type("Rosa Parks")
    _focus(page, "display")
    page.keyboard.press("ArrowDown")  # from "not listed" round to "my full name"
    page.keyboard.press("Enter")
    expect(page.locator("#paper-count")).to_contain_text("1 entered in this session.")
    expect(name).to_be_focused()
    page.keyboard.type("Luis Ortega")
    page.keyboard.press("Enter")
    expect(page.locator("#paper-count")).to_contain_text("2 entered in this session.")
    assert signature_count(statement) == 3
    assert dict(Signature.objects.filter(channel="paper").values_list("name", "display")) == {
        "Rosa Parks": "full",
        "Luis Ortega": "hidden",
    }

    page.goto("/dashboard/s/free-them/signatures/?channel=paper")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    path = download.value.path()
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert sorted(row["name"] for row in rows) == ["Luis Ortega", "Rosa Parks"]
    # Every signer, the contacts preset, as .xlsx: the form's own buttons, no script. Paper
    # signers gave no address, so they are nobody's contacts.
    page.goto("/dashboard/s/free-them/signatures/")
    page.get_by_label("Columns").select_option("contacts")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download .xlsx (Excel, LibreOffice)").click()
    assert download.value.suggested_filename == "free-them-signatures-contacts.xlsx"
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    assert sheet is not None
    found = sorted((row[0], row[1]) for row in sheet.iter_rows(min_row=2, values_only=True))
    assert found == [("María", "López")]
    assert chromium.outside_requests() == []
    assert chromium.csp_violations() == []
