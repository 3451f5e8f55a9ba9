"""In real Chromium: an owner invites someone by email, who makes an account from the link and
sees the organisation's campaigns."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from undersigned.conftest import PASSWORD, SmtpSink, text_body
from undersigned.jobs.queue import drain
from undersigned.lib import totp
from undersigned.organisations import actions
from undersigned.statements.models import Statement
from undersigned.statements.tests.test_browser import (  # noqa: F401 - fixtures
    Chromium,
    chromium,
    site,
)

pytestmark = pytest.mark.browser


def test_an_owner_invites_and_the_invitee_joins_from_the_emailed_link(
    chromium: Chromium,  # noqa: F811 - the fixture imported above
    site: str,  # noqa: F811
    statement: Statement,
    organiser: object,
    smtp_server: SmtpSink,
) -> None:
    owner = chromium.new_page()
    owner.goto("/accounts/login/?next=/dashboard/o/red-estudiantil/")
    owner.get_by_label("Username").fill("organiser")
    owner.get_by_label("Password").fill(PASSWORD)
    owner.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()
    expect(owner.get_by_role("heading", level=1)).to_have_text("Red Estudiantil")
    owner.get_by_label("Email address").fill("invitee@example.org")
    owner.get_by_label("Role:", exact=True).select_option("viewer")
    owner.get_by_role("button", name="Send the invitation").click()
    expect(owner.locator(".messages")).to_contain_text("on its way")
    expect(owner.locator("main")).to_contain_text("invitee@example.org")

    assert drain() == 1
    (message,) = smtp_server.messages
    assert message["To"] == "invitee@example.org"
    link = re.search(re.escape(site) + r"/dashboard/invitation/[-\w]+/", text_body(message))
    assert link is not None

    invitee = chromium.new_page()
    invitee.goto(link.group())
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Join Red Estudiantil")
    invitee.get_by_label("Password:", exact=True).fill("Correct-horse-battery-9")
    invitee.get_by_label("The same password again:", exact=True).fill("Correct-horse-battery-9")
    invitee.get_by_role("button", name="Make my account and join").click()
    expect(invitee).to_have_url(site + "/dashboard/o/red-estudiantil/")
    expect(invitee.locator(".messages")).to_contain_text("Welcome to Red Estudiantil")
    expect(invitee.locator("main")).to_contain_text("invitee@example.org")

    invitee.get_by_role("link", name="Dashboard").first.click()
    expect(invitee.locator("main")).to_contain_text("Free them")
    assert chromium.outside_requests() == []


def test_with_two_factor_required_the_invitee_sets_it_up_and_goes_on_to_the_organisation(
    chromium: Chromium,  # noqa: F811
    site: str,  # noqa: F811
    statement: Statement,
    organiser: User,
    smtp_server: SmtpSink,
    settings: Any,
) -> None:
    """Made to set up a second factor before any organiser page, the invitee is then sent on to
    the organisation they joined."""
    settings.TWO_FACTOR_REQUIRED = True
    actions.invite(statement.organisation, organiser, "invitee@example.org", "editor", "en")
    assert drain() == 1
    link = re.search(
        re.escape(site) + r"/dashboard/invitation/[-\w]+/", text_body(smtp_server.messages[0])
    )
    assert link is not None

    invitee = chromium.new_page()
    invitee.goto(link.group())
    invitee.get_by_label("Password:", exact=True).fill("Correct-horse-battery-9")
    invitee.get_by_label("The same password again:", exact=True).fill("Correct-horse-battery-9")
    invitee.get_by_role("button", name="Make my account and join").click()
    expect(invitee).to_have_url(site + "/accounts/security/")
    expect(invitee.locator("main")).to_contain_text("requires two-factor authentication")
    key = invitee.locator("main code").first.inner_text().replace(" ", "")
    invitee.locator("input[name=code]").fill(totp.code_at(key, time.time()))
    invitee.get_by_role("button", name="Turn on").click()
    expect(invitee.locator(".recovery-codes li")).to_have_count(10)
    invitee.get_by_role("link", name="Done").click()
    expect(invitee).to_have_url(site + "/dashboard/o/red-estudiantil/")
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Red Estudiantil")
    invitee.get_by_role("link", name="Dashboard").first.click()
    expect(invitee.locator("main")).to_contain_text("Free them")
    assert chromium.outside_requests() == []
