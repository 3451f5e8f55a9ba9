"""In real Chromium, axe-core (from npm, see package.json) checks every public and dashboard page
against WCAG 2 A and AA: no serious or critical violation on any of them, on a phone (390 by 844,
in the light and the dark colour scheme) and on a laptop (1280 by 800), and no page scrolls
sideways on either.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
from _pytest.fixtures import SubRequest
from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, Route, expect

from undersigned.comments.models import Comment, Report
from undersigned.conftest import _client_for, make_partner, make_signature
from undersigned.events.models import Attendee, Event, Message
from undersigned.events.tests.conftest import make_event
from undersigned.funds.models import Contribution, Fund
from undersigned.lib.tokens import hash_token, new_token
from undersigned.organisations.models import Membership, Organisation
from undersigned.statements.models import Signature, SignatureToken, Source, Statement
from undersigned.statements.tests import test_browser
from undersigned.statements.tests.test_browser import Chromium
from undersigned.updates.delivery import unsubscribe_token
from undersigned.updates.models import Follower, FollowerToken, Update, UpdateVersion

pytestmark = pytest.mark.browser
State = Attendee.State

# The signing tests' browser fixtures, shared.
site = test_browser.site
chromium = test_browser.chromium

LONG_NAME = "Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaft"
LONG_EMAIL = "a.very.long.address.that.never.breaks@campaigns.example-organisation.org"
LONG_URL = "https://example.org/" + "a-path-without-a-single-space-" * 4

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SEVERE = {"serious", "critical"}

# Elements whose ARIA attributes name an id the page does not have: axe leaves these
# "incomplete" (to be reviewed), so they are checked here.
DANGLING_REFERENCES = """
[...document.querySelectorAll("[aria-describedby], [aria-labelledby], [aria-controls]")]
  .flatMap(node => ["aria-describedby", "aria-labelledby", "aria-controls"]
    .flatMap(name => (node.getAttribute(name) || "").split(/\\s+/).filter(Boolean)
      .filter(id => !document.getElementById(id))
      .map(id => `${node.tagName.toLowerCase()}#${node.id} ${name}=${id}`)))
"""


# Cells of a table that becomes cards on a phone without the name of their column.
UNLABELLED = """
[...document.querySelectorAll("table.stack td:not([data-label]):not([colspan])")]
  .map(node => (node.textContent || "").trim().slice(0, 40))
"""

# Elements wider than the window, when the page scrolls sideways: where to look.
SIDEWAYS = """
(() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) return [];
  return [...document.body.querySelectorAll("*")]
    .filter(node => node.getBoundingClientRect().right > root.clientWidth + 0.5)
    .filter(node => ![...node.children].some(child =>
      child.getBoundingClientRect().right > root.clientWidth + 0.5))
    .slice(0, 5)
    .map(node => `${node.tagName.toLowerCase()}${node.className ? "." + node.className : ""}`
      + ` (${Math.round(node.getBoundingClientRect().right)}px): `
      + (node.textContent || "").trim().slice(0, 40));
})()
"""


@dataclass(frozen=True)
class Screen:
    width: int
    height: int
    scheme: Literal["light", "dark"] = "light"

    def __str__(self) -> str:
        return f"{self.width}x{self.height}-{self.scheme}"


PHONE = Screen(390, 844)
SCREENS = [PHONE, Screen(390, 844, "dark"), Screen(1280, 800)]


@pytest.fixture
def page(chromium: Chromium, request: SubRequest) -> Iterator[Page]:
    """A page in which axe can run: the site's CSP allows no inline script, and axe is added as
    one. The CSP is bypassed for the test tool only; the page itself is unchanged. A test picks
    its screen by parametrizing `page` indirectly with a Screen; the phone's otherwise.
    """
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci --no-audit --no-fund` (make test does)")
    screen: Screen = getattr(request, "param", PHONE)
    context = chromium.browser.new_context(
        base_url=chromium.site,
        locale="en-US",
        bypass_csp=True,
        viewport={"width": screen.width, "height": screen.height},
        color_scheme=screen.scheme,
    )

    def abort(route: Route) -> None:
        route.abort()

    context.route(lambda url: not url.startswith("data:") and not chromium.is_local(url), abort)
    yield context.new_page()
    context.close()


def _published_update(statement: Statement) -> Update:
    update = Update.objects.create(statement=statement, published_at=timezone.now())
    for language, title in (("en", "Strike on Friday"), ("es", "Huelga el viernes")):
        UpdateVersion.objects.create(update=update, language=language, title=title, body="<p>x</p>")
    return update


def _token_for(signature: Signature) -> str:
    token = new_token()
    SignatureToken.objects.create(signature=signature, token_hash=hash_token(token))
    return token


def severe_violations(page: Page, path: str) -> list[str]:
    """axe's serious and critical WCAG 2 A/AA violations on the page at `path`, described."""
    response = page.goto(path)
    assert response is not None and response.status == 200, (path, response and response.status)
    assert page.url.endswith(path), f"{path} led to {page.url}"
    return _run_axe(page, path)


def _run_axe(page: Page, path: str) -> list[str]:
    """axe's serious and critical violations on the page as it is now, `path` naming it, and
    whether it scrolls sideways."""
    sideways: list[str] = page.evaluate(SIDEWAYS)
    unlabelled: list[str] = page.evaluate(UNLABELLED)
    page.add_script_tag(path=str(AXE))
    results: dict[str, Any] = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
    )
    dangling: list[str] = page.evaluate(DANGLING_REFERENCES)
    return (
        ([f"{path}: scrolls sideways, wider than the window: {sideways}"] if sideways else [])
        + ([f"{path}: cells without a data-label: {unlabelled}"] if unlabelled else [])
        + [f"{path}: refers to no element: {reference}" for reference in dangling]
        + [
            f"{path}: {violation['id']} ({violation['impact']}) {violation['help']} "
            f"at {[node['target'] for node in violation['nodes']]}"
            for violation in results["violations"]
            if violation["impact"] in SEVERE
        ]
    )


def test_the_check_finds_what_axe_calls_serious(
    page: Page, site: str, statement: Statement
) -> None:
    page.goto("/s/free-them/en/")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<a href=\"/elsewhere/\"></a>')")
    assert [found.split()[1] for found in _run_axe(page, "/s/free-them/en/")] == ["link-name"]


def _public_fund(statement: Statement) -> list[str]:
    """A fund of the statement's, in euros, with money in and pledged, its donors listed (one
    with a long name), a pledge waiting for its link and a transfer's details with their EPC QR
    code: the fund's public pages."""
    from undersigned.funds import actions
    from undersigned.funds.models import Contribution
    from undersigned.funds.tests.conftest import make_fund

    fund = make_fund(
        statement.organisation,
        statement,
        currency="EUR",
        bank_iban="ES9121000418450200051332",
        bank_bic="CAIXESBBXXX",
        show_donors=True,
    )
    actions.add_entry(
        fund,
        method="cash",
        amount=124_050,
        received_on=timezone.localdate(),
        donor_name=LONG_NAME,
        show_name=True,
    )
    Contribution.objects.create(
        fund=fund, state="pledged", method="other", amount=30_000, language="en"
    )
    token = new_token()
    Contribution.objects.create(
        fund=fund,
        state="pending",
        method="other",
        amount=500,
        donor_name="Rosa",
        donor_email="rosa@example.org",
        language="en",
        token_hash=hash_token(token),
    )
    transfer = actions.expect_transfer(fund, "en", 2_550, client=actions.Client())
    return [
        f"/f/{fund.pk}/en/",
        f"/f/{fund.pk}/en/check-email/",
        f"/f/{fund.pk}/pledge/{token}/",
        f"/f/{fund.pk}/en/pledged/",
        f"/f/{fund.pk}/en/transfer/{transfer.transfer_code}/",
    ]


def public_pages(statement: Statement) -> list[str]:
    """Every public page, on `statement` with what it needs to show everything (made here): the
    list this test and the markup test (test_markup.py) visit."""
    pending = make_signature(statement, 1, state=Signature.State.PENDING, confirmed_at=None)
    confirmed = make_signature(statement, 2)
    # Long words must wrap rather than widen a phone's page.
    make_signature(statement, 3, name=LONG_NAME, organisation_name=LONG_NAME)
    # With a partner: its box on the sign form and on the signer's page.
    make_partner(
        statement, Organisation.objects.create(name="Sindicato", slug="sindicato"), actor=None
    )
    update = _published_update(statement)
    unsubscribe = "/u/" + unsubscribe_token("s", confirmed.pk) + "/"
    follower = Follower.objects.create(
        statement=statement, email="f@example.org", email_canonical="f@example.org", language="en"
    )
    follow_token = new_token()
    FollowerToken.objects.create(follower=follower, token_hash=hash_token(follow_token))
    fund_pages = _public_fund(statement)
    return [
        "/",
        "/s/free-them/en/",
        "/s/free-them/en/beside/es/",
        "/s/free-them/en/signatories/",
        "/s/free-them/en/check-email/",
        "/s/free-them/en/thanks/",
        f"/s/free-them/confirm/{_token_for(pending)}/",
        f"/s/free-them/withdraw/{_token_for(confirmed)}/",
        f"/s/free-them/signature/{_token_for(confirmed)}/",
        "/s/free-them/en/withdrawn/",
        "/s/free-them/es/updates/",
        f"/s/free-them/es/updates/{update.pk}/",
        unsubscribe,
        "/s/free-them/en/follow/check-email/",
        f"/s/free-them/follow/confirm/{follow_token}/",
        "/s/free-them/en/follow/confirmed/",
        *fund_pages,
        "/accounts/login/",
    ]


@pytest.mark.parametrize("page", SCREENS, indirect=True, ids=str)
def test_no_public_page_has_a_serious_accessibility_violation(
    page: Page, site: str, statement: Statement
) -> None:
    pages = public_pages(statement)
    found = [violation for path in pages for violation in severe_violations(page, path)]
    # The forms as they come back with errors, the organisation's fields shown.
    page.goto("/s/free-them/en/")
    page.locator("#sign input[name=kind][value=organisation]").check()
    with page.expect_navigation():
        page.locator("#sign button[type=submit]").click()
    expect(page.locator("#sign .error").first).to_be_visible()
    found += _run_axe(page, "the sign form with errors")
    page.goto("/s/free-them/en/")
    with page.expect_navigation():
        page.locator("#follow button[type=submit]").click()
    expect(page.locator("#follow .error").first).to_be_visible()
    found += _run_axe(page, "the follow form with errors")
    # A link unknown, expired or used: a neutral page (a 404).
    page.goto("/s/free-them/follow/confirm/a-token-nobody-was-ever-sent-xx/")
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
    found += _run_axe(page, "an unknown follow link")
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill("nobody")
    page.locator("input[name=password]").fill("wrong")
    with page.expect_navigation():
        page.locator("main button[type=submit], main form button").first.click()
    expect(page.locator(".errors")).to_be_visible()
    found += _run_axe(page, "the login form with errors")
    assert found == [], "\n".join(found)


def _events(statement: Statement) -> tuple[Event, Event, Message]:
    """A published event with someone in each state (one with a long name and address), a
    draft, and an email to the attendees."""
    event = make_event(statement.organisation, statement, capacity=3)
    states = [
        State.GOING,
        State.GOING,
        State.WAITING,
        State.PENDING,
        State.PENDING,
        State.CANCELLED,
    ]
    for n, state in enumerate(states):
        Attendee.objects.create(
            event=event,
            name=LONG_NAME if n == 0 else f"Attendee {n}",
            email=LONG_EMAIL if n == 0 else f"a{n}@example.org",
            email_canonical=LONG_EMAIL if n == 0 else f"a{n}@example.org",
            guests=1 if n == 0 else 0,
            language="es",
            consent_version="test",
            state=state,
            hold_reason=Attendee.HoldReason.TOO_FAST if n == 4 else "",
            confirmed_at=None if state == State.PENDING else timezone.now(),
        )
    draft = make_event(statement.organisation, None, published_at=None)
    message = Message.objects.create(
        event=event, subject="Meet at six", body="At the **fountain**."
    )
    return event, draft, message


def _funds(statement: Statement) -> tuple[Fund, Fund, dict[str, Contribution]]:
    """A published fund with a line in each state (one donor with a long name and address,
    cash at an event, a cheque in another currency), and a draft."""
    from decimal import Decimal

    from undersigned.funds import actions
    from undersigned.funds.tests.conftest import make_fund

    fund = make_fund(statement.organisation, statement, bank_iban="GB82WEST12345698765432")
    today = timezone.localdate()
    cash = actions.add_entry(
        fund,
        method="cash",
        amount=124_050,
        received_on=today,
        donor_name=LONG_NAME,
        donor_email=LONG_EMAIL,
        note="Bucket at the march",
        event=make_event(statement.organisation, statement),
    )
    actions.add_entry(
        fund,
        method="cheque",
        amount=0,
        received_on=today,
        reference="Cheque 000123",
        conversion=actions.Conversion("EUR", 10_000, Decimal("0.8571"), today),
    )
    actions.void(actions.add_entry(fund, method="cash", amount=99, received_on=today), "Twice")
    people: dict[str, Any] = {"fund": fund, "donor_name": "Ana", "donor_email": "ana@example.org"}
    pledged = Contribution.objects.create(
        **people, state="pledged", method="other", amount=5_000, pledged_at=timezone.now()
    )
    held = Contribution.objects.create(
        **people, state="pending", method="other", amount=700, hold_reason="too_fast"
    )
    Contribution.objects.create(**people, state="pending", method="other", amount=800)
    actions.lapse(
        Contribution.objects.create(
            **people, state="pledged", method="other", amount=900, pledged_at=timezone.now()
        )
    )
    transfer = actions.expect_transfer(fund, "en", 2_500, name="Bo", client=actions.Client())
    draft = make_fund(statement.organisation, None, published_at=None)
    return fund, draft, {"cash": cash, "pledged": pledged, "held": held, "transfer": transfer}


def _comments(statement: Statement, organiser: User) -> dict[str, Comment]:
    """Comments in each state a moderation page shows: one waiting with every reason and a
    reader's report, a reply, a long unbroken name and link, a held form, a hidden commenter."""
    from undersigned.comments import moderation

    now = timezone.now()
    people: dict[str, Any] = {
        "organisation": statement.organisation,
        "statement": statement,
        "language": "es",
        "confirmed_at": now,
    }
    published = Comment.objects.create(
        **people,
        name="Rosa",
        email="rosa@example.org",
        email_canonical="rosa@example.org",
        text="Desde Arequipa, con ustedes.",
        state=Comment.State.PUBLISHED,
        published_at=now,
        is_signatory=True,
    )
    held = Comment.objects.create(
        **people,
        parent=published,
        name=LONG_NAME,
        organisation_name=LONG_NAME,
        email=LONG_EMAIL,
        email_canonical=LONG_EMAIL,
        text=f"Mira {LONG_URL}\n\nY otra cosa.",
        state=Comment.State.HELD,
        reasons="pre,first,link,words,reported",
        held_at=now,
    )
    Report.objects.create(comment=held, reason="abuse", detail="Insults", client="a")
    Comment.objects.create(
        **people,
        name="Bot",
        email="bot@example.org",
        email_canonical="bot@example.org",
        text="Buy now",
        reasons="honeypot",
    )
    troll = Comment.objects.create(
        **people,
        name="Troll",
        email="troll@example.org",
        email_canonical="troll@example.org",
        text="Nonsense",
        state=Comment.State.PUBLISHED,
        published_at=now,
    )
    moderation.hide_commenter(troll, by=organiser)
    return {"published": published, "held": held}


def dashboard_pages(statement: Statement, organiser: User) -> list[str]:
    """Every dashboard page `organiser`, an owner of `statement`'s organisation, can open, with
    what they need to show everything (made here): the list this test and test_markup.py visit.
    """
    signature = make_signature(statement, 1)
    # Long unbroken addresses and names must wrap rather than widen a phone's page.
    make_signature(statement, 3, name=LONG_NAME, email=LONG_EMAIL, email_canonical=LONG_EMAIL)
    Organisation.objects.filter(pk=statement.organisation.pk).update(website=LONG_URL)
    # The organiser also owns a partner organisation, to see a partner's page.
    partner = Organisation.objects.create(name="Sindicato", slug="sindicato")
    Membership.objects.create(organisation=partner, user=organiser, role=Membership.Role.OWNER)
    make_partner(statement, partner, actor=None)
    make_signature(
        statement,
        2,
        kind=Signature.Kind.ORGANISATION,
        organisation_name="Sindicato Unido",
        state=Signature.State.AWAITING_APPROVAL,
    )
    source = Source.objects.create(statement=statement, code="posters")
    organisation = statement.organisation.slug
    event, draft, message = _events(statement)
    fund, draft_fund, lines = _funds(statement)
    comments = _comments(statement, organiser)
    return [
        "/dashboard/",
        f"/dashboard/o/{organisation}/",
        f"/dashboard/o/{organisation}/statements/",
        f"/dashboard/o/{organisation}/statements/new/",
        "/dashboard/s/free-them/",
        "/dashboard/s/free-them/settings/",
        "/dashboard/s/free-them/versions/en/",
        "/dashboard/s/free-them/signatures/",
        "/dashboard/s/free-them/signatures/moderation/",
        "/dashboard/s/free-them/signatures/paper/",
        f"/dashboard/s/free-them/signatures/{signature.pk}/hide/",
        f"/dashboard/s/free-them/signatures/{signature.pk}/remove/",
        "/dashboard/s/free-them/charts/",
        "/dashboard/s/free-them/sources/",
        "/dashboard/s/free-them/partners/",
        "/dashboard/s/free-them/updates/",
        "/dashboard/s/free-them/updates/new/",
        f"/dashboard/s/free-them/updates/{_published_update(statement).pk}/",
        "/dashboard/s/free-them/partner/sindicato/",
        f"/dashboard/s/free-them/sources/{source.pk}/rename/",
        f"/dashboard/s/free-them/sources/{source.pk}/delete/",
        "/dashboard/s/free-them/watch/",
        "/dashboard/s/free-them/watch/?by=domain&preview=1&domain=example.org",
        "/dashboard/s/free-them/privacy/",
        "/dashboard/s/free-them/privacy/signatories/",
        f"/dashboard/o/{organisation}/erasure/",
        f"/dashboard/o/{organisation}/audit/",
        f"/dashboard/o/{organisation}/pictures/",
        "/dashboard/organisations/new/",
        "/dashboard/s/free-them/versions/new/",
        "/dashboard/s/free-them/copy/",
        f"/dashboard/o/{organisation}/events/",
        f"/dashboard/o/{organisation}/events/new/",
        f"/dashboard/events/{event.pk}/",
        f"/dashboard/events/{event.pk}/edit/",
        f"/dashboard/events/{event.pk}/status/",
        f"/dashboard/events/{event.pk}/after/",
        f"/dashboard/events/{event.pk}/print/",
        f"/dashboard/events/{event.pk}/versions/en/",
        f"/dashboard/events/{event.pk}/versions/new/",
        f"/dashboard/events/{event.pk}/attendees/",
        f"/dashboard/events/{event.pk}/attendees/check-in-list/",
        f"/dashboard/events/{event.pk}/emails/",
        f"/dashboard/events/emails/{message.pk}/",
        f"/dashboard/events/{draft.pk}/",
        f"/dashboard/events/{draft.pk}/delete/",
        f"/dashboard/o/{organisation}/funds/",
        f"/dashboard/o/{organisation}/funds/new/",
        f"/dashboard/funds/{fund.pk}/",
        f"/dashboard/funds/{fund.pk}/settings/",
        f"/dashboard/funds/{fund.pk}/versions/en/",
        f"/dashboard/funds/{fund.pk}/versions/new/",
        f"/dashboard/funds/{fund.pk}/ledger/",
        f"/dashboard/funds/{fund.pk}/ledger/new/",
        f"/dashboard/funds/{fund.pk}/pledges/",
        f"/dashboard/funds/{fund.pk}/transfers/",
        f"/dashboard/funds/entries/{lines['cash'].pk}/void/",
        f"/dashboard/funds/entries/{lines['pledged'].pk}/receive/",
        f"/dashboard/funds/entries/{lines['pledged'].pk}/lapse/",
        f"/dashboard/funds/entries/{lines['held'].pk}/release/",
        f"/dashboard/funds/entries/{lines['transfer'].pk}/receive/",
        f"/dashboard/funds/{draft_fund.pk}/",
        f"/dashboard/funds/{draft_fund.pk}/delete/",
        f"/dashboard/o/{organisation}/comments/",
        f"/dashboard/o/{organisation}/comments/all/",
        f"/dashboard/o/{organisation}/comments/held/",
        f"/dashboard/o/{organisation}/comments/settings/",
        f"/dashboard/o/{organisation}/comments/{comments['held'].pk}/reply/",
        f"/dashboard/o/{organisation}/comments/{comments['published'].pk}/hide/",
        "/dashboard/s/free-them/comments/",
        "/accounts/security/",
    ]


@pytest.mark.parametrize("page", SCREENS, indirect=True, ids=str)
def test_no_dashboard_page_has_a_serious_accessibility_violation(
    page: Page, site: str, statement: Statement, organiser: User
) -> None:
    pages = dashboard_pages(statement, organiser)
    client = _client_for(organiser)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site}]
    )
    organisation = statement.organisation.slug
    found = [violation for path in pages for violation in severe_violations(page, path)]
    # What an erasure request found, and its form with an error.
    page.goto(f"/dashboard/o/{organisation}/erasure/")
    page.get_by_label("The person's email address").fill("p1@example.org")
    with page.expect_navigation():
        page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erase this address?")
    found += _run_axe(page, "the signatures an erasure request found")
    page.goto(f"/dashboard/o/{organisation}/erasure/")
    page.get_by_label("The person's email address").fill("not an address")
    with page.expect_navigation():
        page.get_by_role("button", name="Find").click()
    expect(page.locator(".errors")).to_be_visible()
    found += _run_axe(page, "the erasure form with errors")
    # The page that asks before held comment forms are released, and a reply with an error.
    page.goto(f"/dashboard/o/{organisation}/comments/held/")
    with page.expect_navigation():
        page.get_by_role("button", name="Release", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Release this form?")
    found += _run_axe(page, "the held comment forms to release")
    page.goto(f"/dashboard/o/{organisation}/comments/")
    with page.expect_navigation():
        page.get_by_role("button", name="Approve and reply").first.click()
    with page.expect_navigation():
        page.get_by_role("button", name="Approve and publish the reply").click()
    expect(page.locator(".errors")).to_be_visible()
    found += _run_axe(page, "the reply form with errors")
    assert found == [], "\n".join(found)


def test_the_first_tab_stop_skips_to_the_content(
    page: Page, site: str, statement: Statement
) -> None:
    page.goto("/s/free-them/en/signatories/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    # The header's links are passed: the next stop is the first link in the main content.
    expect(page.locator("main a").first).to_be_focused()
