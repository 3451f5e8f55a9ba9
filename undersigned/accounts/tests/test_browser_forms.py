# ruff: noqa: F811 - the browser fixtures are imported from test_browser and used by name
"""In real Chromium, under Referrer-Policy: no-referrer and the strict CSP: every kind of form
still posts (log in with two-factor, admin, set language, log out) and no page breaks the policy.
"""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from undersigned.accounts import security
from undersigned.accounts.models import TwoFactor
from undersigned.conftest import PASSWORD
from undersigned.lib import totp
from undersigned.statements.models import Statement
from undersigned.statements.tests.test_browser import (  # noqa: F401 - fixtures
    Chromium,
    chromium,
    page,
    site,
)

pytestmark = pytest.mark.browser

# Records every Content-Security-Policy violation the page sees.
WATCH_CSP = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", e => {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def violations(page: Page) -> list[str]:
    result: list[str] = page.evaluate("window.__violations || []")
    return result


def test_an_organiser_logs_in_with_two_factor_uses_the_admin_and_logs_out(
    page: Page, site: str, statement: Statement, organiser: User
) -> None:
    page.context.add_init_script(WATCH_CSP)
    organiser.is_staff = True
    organiser.is_superuser = True
    organiser.save()
    secret = totp.new_secret()
    assert security.enable_two_factor(organiser, secret, totp.code_at(secret, time.time()))
    TwoFactor.objects.filter(user=organiser).update(last_step=0)  # its code may be used again

    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.locator("input[name=username]").fill("organiser")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/$"))
    page.locator("input[name=code]").fill(totp.code_at(secret, time.time()))
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    assert violations(page) == []

    # An admin form posts and saves.
    page.goto(f"/admin/statements/statement/{statement.pk}/change/")
    page.locator("input[name=addressed_to]").fill("The Minister")
    page.locator("input[name=_save]").click()
    expect(page).to_have_url(re.compile(r"/admin/statements/statement/$"))
    statement.refresh_from_db()
    assert statement.addressed_to == "The Minister"
    assert violations(page) == []

    # The interface language form, then logging out, both POSTs with Django's CSRF token.
    page.goto("/accounts/security/")
    page.locator("select[name=language]").select_option("es")
    page.locator("footer button").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.locator("header form button").click()
    page.goto("/dashboard/s/free-them/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert violations(page) == []


def test_enrolling_in_two_factor_works_in_the_browser(
    page: Page, site: str, organiser: User, settings: object
) -> None:
    page.context.add_init_script(WATCH_CSP)
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill("organiser")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/accounts/security/")
    expect(page.locator("figure.qr svg")).to_be_visible()
    key = page.locator("main code").first.inner_text().replace(" ", "")
    page.locator("input[name=code]").fill(totp.code_at(key, time.time()))
    page.get_by_role("button", name="Turn on").click()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    assert TwoFactor.objects.filter(user=organiser).exists()
    assert violations(page) == []


def test_without_the_meta_tag_chromium_would_send_origin_null(
    page: Page, site: str, chromium: Chromium
) -> None:
    """The trap the meta tag avoids, shown in the browser: no-referrer alone nulls the Origin."""
    origins: list[str | None] = []
    page.on(
        "request",
        lambda request: (
            origins.append(request.headers.get("origin")) if request.method == "POST" else None
        ),
    )
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill("nobody")
    page.locator("input[name=password]").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".errors")).to_be_visible()
    page.evaluate("document.querySelector('meta[name=referrer]').content = 'no-referrer'")
    page.locator("input[name=password]").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("h1")).to_contain_text("could not be accepted")
    assert origins[0] == site
    assert origins[1] == "null"


def test_the_admin_pages_break_no_part_of_the_policy(
    page: Page, site: str, statement: Statement, organiser: User
) -> None:
    """The admin's own scripts (filters, actions, inlines, calendars) under the CSP."""
    from undersigned.conftest import make_signature

    make_signature(statement, 1)
    organiser.is_staff = organiser.is_superuser = True
    organiser.save()
    page.context.add_init_script(WATCH_CSP)
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill("organiser")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/$"))
    organisation = statement.organisation.pk
    for url in (
        "/admin/",
        "/admin/statements/statement/",
        "/admin/statements/statement/add/",
        f"/admin/statements/statement/{statement.pk}/change/",
        f"/admin/statements/statement/{statement.pk}/delete/",
        f"/admin/statements/statement/{statement.pk}/history/",
        "/admin/statements/signature/?state__exact=confirmed",
        f"/admin/organisations/organisation/{organisation}/change/",
        "/admin/auth/user/add/",
        "/admin/audit/auditlog/",
    ):
        page.goto(url)
        expect(page.locator("#content")).to_be_visible()
        # Open what scripts build: the calendar, an autocomplete box, the action bar.
        for selector in (".datetimeshortcuts a", ".select2-selection", "#action-toggle"):
            widget = page.locator(selector).first
            if widget.count() and widget.is_visible():
                widget.click()
        assert violations(page) == [], url
    # The watch itself works: an inline style attribute is refused and seen.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    page.wait_for_function("window.__violations.length > 0")
    assert violations(page)[0].startswith("style-src")


def test_the_mastodon_form_may_go_on_to_the_readers_server(
    page: Page, site: str, chromium: Chromium, statement: Statement
) -> None:
    """form-action 'self' holds a form's redirect too: the thanks page allows https: for it.
    The browser's own safety net aborts the request, so nothing leaves the machine.
    """
    page.context.add_init_script(WATCH_CSP)
    page.goto("/s/free-them/en/thanks/")
    page.locator("input[name=instance]").fill("mastodon.example")
    assert violations(page) == []
    with page.expect_request(lambda r: r.url.startswith("https://mastodon.example/")) as sent:
        page.locator("form.mastodon button").click()
    assert sent.value.url.startswith("https://mastodon.example/share?text=")
    assert sent.value.redirected_from is not None
