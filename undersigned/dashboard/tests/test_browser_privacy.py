"""In real Chromium: an owner who is no superuser does, in the dashboard alone, what would
otherwise take the admin: hides the signatory list and shows it again, switches keeping the
count after erasure, handles an erasure request, reads the audit log by statement and by
person, and watches for abuse. No request leaves the site."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from undersigned.audit.models import AuditLog
from undersigned.conftest import PASSWORD, make_signature
from undersigned.statements import actions
from undersigned.statements.models import Signature, Statement
from undersigned.statements.queries import signature_count
from undersigned.statements.tests import test_browser
from undersigned.statements.tests.test_browser import Chromium

pytestmark = pytest.mark.browser

# The signing tests' browser fixtures, shared.
site = test_browser.site
chromium = test_browser.chromium


def _public_list(chromium: Chromium) -> str:
    visitor = chromium.new_page()
    visitor.goto("/s/free-them/en/signatories/")
    text = visitor.locator("main").inner_text()
    visitor.context.close()
    return text


def _section(page: Page, name: str) -> None:
    """Go to a section through the dashboard's navigation, as a person would."""
    page.locator("nav.dashboard-nav").get_by_role("link", name=name, exact=True).click()
    expect(
        page.locator("nav.dashboard-nav").get_by_role("link", name=name, exact=True)
    ).to_have_attribute("aria-current", "page")


def test_an_owner_does_without_the_admin_what_once_needed_it(
    chromium: Chromium, site: str, statement: Statement, organiser: User, member: User
) -> None:
    assert not organiser.is_superuser and not organiser.is_staff
    for n, name, email in (
        (1, "Ana García", "ana@example.net"),
        (2, "Luis Pérez", "luis@example.net"),
    ):
        make_signature(statement, n, name=name, email=email, email_canonical=email)
    now = timezone.now()
    for n in range(3, 6):
        make_signature(
            statement,
            n,
            name=f"Bot {n}",
            email=f"bot{n}@spam.example",
            email_canonical=f"bot{n}@spam.example",
            created_at=now - dt.timedelta(minutes=n),
        )
    held = make_signature(statement, 9, name="Held Signer", email="held@example.org")
    Signature.objects.filter(pk=held.pk).update(state=Signature.State.HELD, hold_reason="noproof")
    # Something the editor did, to find in the log by person.
    actions.pause_signing(statement, paused=False, actor=member)
    actions.pause_signing(statement, paused=True, actor=member)
    actions.pause_signing(statement, paused=False, actor=member)

    page = chromium.new_page()
    page.goto("/accounts/login/?next=/dashboard/")
    page.get_by_label("Username").fill("organiser")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()
    expect(page).to_have_url(site + "/dashboard/")
    # The admin is not for organisers.
    refused = page.goto("/admin/")
    assert refused is not None and refused.status == 403
    page.goto("/dashboard/")
    page.get_by_role("link", name="Free them").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Free them")

    # Hide the whole signatory list, after a confirmation, then show it again.
    assert "Ana García" in _public_list(chromium)
    _section(page, "Privacy")
    page.get_by_role("link", name="Hide the whole signatory list").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hide the whole signatory list?")
    page.get_by_role("button", name="Hide the list").click()
    expect(page.locator(".messages")).to_contain_text("The signatory list is hidden")
    assert "Ana" not in _public_list(chromium)
    page.get_by_role("link", name="Show the signatory list again").click()
    page.get_by_role("button", name="Show the list").click()
    expect(page.locator(".messages")).to_contain_text("shown again")
    assert "Ana" in _public_list(chromium)

    # Keep the count after erasure: off.
    checkbox = page.get_by_label("Keep the count after erasure")
    expect(checkbox).to_be_checked()
    checkbox.uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("takes their signature out of the count")
    expect(page.get_by_label("Keep the count after erasure")).not_to_be_checked()
    statement.refresh_from_db()
    assert not statement.keep_count_after_erasure

    # An erasure request, from the organisation's pages.
    page.locator("nav.dashboard-nav").get_by_role("link", name="Red Estudiantil").click()
    _section(page, "Erasure requests")
    page.get_by_label("The person's email address").fill("Luis@Example.net")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erase this address?")
    expect(page.locator("main table")).to_contain_text("free-them")
    expect(page.locator("main table")).to_contain_text("no longer counted")
    page.get_by_role("button", name="Erase").click()
    expect(page.locator(".messages")).to_contain_text("Erasure done: 1 signature erased.")
    assert not Signature.objects.filter(email="luis@example.net").exists()
    assert signature_count(statement) == 4  # Ana and the three bots

    # Watch for abuse: release the held signature, invalidate the bots, pause and reopen.
    page.goto("/dashboard/s/free-them/")
    _section(page, "Watch for abuse")
    page.get_by_role("button", name="Release: no browser check").click()
    expect(page.locator(".messages")).to_contain_text("1 signature released.")
    page.get_by_role("link", name="email domain").first.click()
    hours = page.locator("main table").filter(has_text="Most frequent")
    expect(hours).to_contain_text("spam.example")
    page.get_by_label("Invalidate by").select_option("domain")
    page.get_by_label("Email domain").fill("spam.example")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("status")).to_contain_text("3 signatures match.")
    page.get_by_role("button", name="Invalidate 3 signatures").click()
    expect(page.locator(".messages")).to_contain_text("3 signatures invalidated.")
    page.get_by_role("button", name="Pause signing").click()
    expect(page.locator(".messages")).to_contain_text("Signing is paused.")
    statement.refresh_from_db()
    assert statement.signing_paused
    page.get_by_role("button", name="Open signing again").click()
    expect(page.locator(".messages")).to_contain_text("Signing is open again.")
    assert signature_count(statement) == 2  # Ana and the released one

    # The audit log, by statement, then by person.
    page.goto("/dashboard/o/red-estudiantil/")
    _section(page, "Audit log")
    log = page.locator("main table.audit")
    expect(log).to_contain_text("Erasure request handled")
    expect(log).to_contain_text("Signatory list hidden")
    page.get_by_label("Statement").select_option("free-them")
    page.get_by_role("button", name="Filter").click()
    expect(log).to_contain_text("Signatures invalidated in bulk")
    expect(log).not_to_contain_text("Erasure request handled")  # the organisation's own row
    page.get_by_label("Person").select_option(label="member")
    page.get_by_role("button", name="Filter").click()
    expect(log.locator("tbody tr")).to_have_count(3)
    expect(log).to_contain_text("Signing paused")
    expect(log).not_to_contain_text("organiser")
    page.get_by_label("Person").select_option(label="organiser")
    page.get_by_role("button", name="Filter").click()
    expect(log).to_contain_text("Keeping the count after erasure changed")
    expect(log).to_contain_text("keep the count: no")
    # Nothing in the log holds an address.
    assert "luis" not in repr(list(AuditLog.objects.values("data"))).lower()
    assert chromium.outside_requests() == []
