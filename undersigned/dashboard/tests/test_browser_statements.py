# ruff: noqa: F811 - the browser fixtures are imported from test_browser and used by name
"""In real Chromium: an organiser writes a bilingual statement in the dashboard, publishes it,
and a visitor signs it in Spanish; nothing is loaded from another site."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from undersigned.conftest import PASSWORD, SmtpSink, text_body
from undersigned.statements.models import Signature, Statement
from undersigned.statements.tests.test_browser import (  # noqa: F401 - fixtures
    Chromium,
    chromium,
    expect_count,
    fill_sign_form,
    mail_to,
    page,
    site,
)

pytestmark = pytest.mark.browser


def field(label: str) -> re.Pattern[str]:
    """A field's label, with or without the mark of a required one."""
    return re.compile(rf"^{label}( \*)?$")


def fill_version(page: Page, *, title: str, summary: str, body: str, demands: str) -> None:
    page.get_by_label(field("Title")).fill(title)
    page.get_by_label(field("Summary")).fill(summary)
    page.get_by_label(field("Body")).fill(body)
    page.get_by_label(field("Demands")).fill(demands)


def test_an_organiser_publishes_a_bilingual_statement_and_a_visitor_signs_it(
    chromium: Chromium, page: Page, site: str, organiser: User, smtp_server: SmtpSink
) -> None:
    organiser_page = chromium.new_page()
    organiser_page.goto("/accounts/login/?next=/dashboard/o/red-estudiantil/statements/")
    organiser_page.get_by_label("Username").fill("organiser")
    organiser_page.get_by_label("Password").fill(PASSWORD)
    organiser_page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()
    expect(organiser_page).to_have_url(re.compile(r"/dashboard/o/red-estudiantil/statements/$"))

    organiser_page.get_by_role("link", name="New statement").click()
    organiser_page.get_by_label(field("Address")).fill("stop-evictions")
    organiser_page.get_by_label("Default language").fill("en")
    fill_version(
        organiser_page,
        title="Stop the evictions",
        summary="No family on the street.",
        body="<p>Families are being evicted every week.</p>",
        demands="Halt evictions\nHouse everyone",
    )
    organiser_page.get_by_role("button", name="Save as a draft").click()
    expect(organiser_page).to_have_url(re.compile(r"/dashboard/s/stop-evictions/$"))
    expect(organiser_page.locator(".messages")).to_contain_text("saved as a draft")

    organiser_page.get_by_role("link", name="Add a language version").click()
    organiser_page.get_by_label(field("Language")).fill("es")
    organiser_page.get_by_label(field("Title")).fill("Paren los desalojos")
    organiser_page.get_by_role("button", name="Add the version").click()
    expect(organiser_page).to_have_url(re.compile(r"/dashboard/s/stop-evictions/versions/es/$"))
    # Beside the form, the default version to translate from; above, what is still missing.
    expect(organiser_page.locator(".default-version")).to_contain_text("evicted every week")
    expect(organiser_page.locator("section.lacks")).to_contain_text("The body is empty.")

    fill_version(
        organiser_page,
        title="Paren los desalojos",
        summary="Ninguna familia en la calle.",
        body="<p>Cada semana desalojan a familias enteras.</p>",
        demands="Detener los desalojos\nVivienda para todos",
    )
    organiser_page.get_by_role("button", name="Preview").click()
    expect(organiser_page.locator("section.preview")).to_contain_text("desalojan a familias")
    organiser_page.get_by_role("button", name="Save", exact=True).click()
    expect(organiser_page.locator(".messages")).to_contain_text("The version is saved.")
    expect(organiser_page.locator("section.lacks")).to_have_count(0)

    organiser_page.get_by_role("link", name="Overview", exact=True).click()
    organiser_page.get_by_role("button", name="Publish").click()
    expect(organiser_page.locator(".messages")).to_contain_text("The statement is published")
    assert Statement.objects.get(slug="stop-evictions").status == Statement.Status.OPEN

    page.goto("/s/stop-evictions/es/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Paren los desalojos")
    expect_count(page, 0)
    fill_sign_form(page, name="Ana García", email="ana@example.net", display="full")
    expect(page).to_have_url(re.compile(r"/s/stop-evictions/es/check-email/$"))
    body = text_body(mail_to(smtp_server, "ana@example.net"))
    confirm = re.search(re.escape(site) + r"/s/stop-evictions/confirm/[-\w]+/", body)
    assert confirm is not None, body
    page.goto(confirm.group())
    page.get_by_role("button", name=re.compile("confirm", re.IGNORECASE)).click()
    expect(page).to_have_url(re.compile(r"/s/stop-evictions/es/thanks/$"))
    assert Signature.objects.get(email="ana@example.net").state == Signature.State.CONFIRMED

    organiser_page.goto("/dashboard/o/red-estudiantil/statements/")
    row = organiser_page.get_by_role("row", name=re.compile("Stop the evictions"))
    expect(row).to_contain_text("open")
    assert chromium.outside_requests() == []
