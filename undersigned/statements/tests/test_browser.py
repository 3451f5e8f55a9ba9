"""End to end in real Chromium: signing, confirming, approving and withdrawing as people do it,
with the emails crossing a real SMTP server on loopback, and no request leaving the site.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.db import connections
from django.utils import timezone
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

from undersigned.conftest import PASSWORD, SmtpSink, text_body
from undersigned.jobs.queue import drain
from undersigned.statements import actions
from undersigned.statements.models import Signature, Statement

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Organiser HTML that would load things from elsewhere if any of it reached the page.
HOSTILE_BODY = (
    '<p>Read <a href="https://evil.example/more" ping="https://evil.example/ping">the '
    "background</a>.</p>"
    '<img src="https://evil.example/x.png">'
    '<p style="background: url(https://evil.example/bg.png)">Styled.</p>'
    '<iframe src="https://evil.example/frame"></iframe>'
    '<script src="https://evil.example/x.js"></script>'
    '<link rel="stylesheet" href="https://evil.example/x.css">'
    '<video poster="https://evil.example/poster.png"></video>'
    '<picture><source srcset="https://evil.example/s.png"><img src="https://evil.example/p.png">'
    "</picture>"
)


# Installed in every page before its own scripts: hands each Content-Security-Policy
# violation to the test. The policy blocks a fetch(), a sendBeacon() or an image from another
# site before any request is made, so the requests alone would never show them.
REPORT_CSP = """
document.addEventListener("securitypolicyviolation", (e) => {
    window.__cspViolation(e.violatedDirective + " " + e.blockedURI);
});
"""


@dataclass
class Chromium:
    """A browser whose pages talk only to the live server, recording every request they make
    and every Content-Security-Policy violation they meet."""

    browser: Browser
    site: str
    requests: list[str] = field(default_factory=list)
    # "<page's address>: <directive> <what was blocked>", from the page's scripts
    violations: list[str] = field(default_factory=list)
    # What Chromium itself says of the policy in the console, for pages without scripts too.
    console: list[str] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)

    def is_local(self, url: str) -> bool:
        return urlsplit(url).netloc == urlsplit(self.site).netloc

    def new_page(self, *, javascript: bool = True) -> Page:
        """A page in a fresh context: its own cookies, as a different person would have."""
        context = self.browser.new_context(
            base_url=self.site, locale="en-US", java_script_enabled=javascript
        )
        context.on("request", lambda request: self.requests.append(request.url))
        context.expose_binding(
            "__cspViolation",
            lambda source, report: self.violations.append(f"{source['page'].url}: {report}"),
        )
        context.add_init_script(REPORT_CSP)
        context.on("console", self._on_console)

        # A safety net, not the check: even if a test fails, nothing reaches the internet.
        def abort(route: Route) -> None:
            route.abort()

        context.route(lambda url: not url.startswith("data:") and not self.is_local(url), abort)
        page = context.new_page()
        self.pages.append(page)
        return page

    def _on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.console.append(f"{message.page.url if message.page else ''}: {message.text}")

    def outside_requests(self) -> list[str]:
        return [
            url for url in self.requests if not url.startswith("data:") and not self.is_local(url)
        ]

    def csp_violations(self) -> list[str]:
        """Every violation of the policy on every page so far, as the page's scripts saw it
        and as Chromium logged it."""
        for page in self.pages:
            if not page.is_closed():
                # A round trip to each page: what it reported before is in by its answer.
                page.evaluate("0")
        return self.violations + self.console


@pytest.fixture
def site(live_server: LiveServer, settings: object, transactional_db: None) -> str:
    """The live server's address, which links in emails and share links point at."""
    settings.SITE_URL = live_server.url  # type: ignore[attr-defined]
    # A test fills in a form faster than any person: it would be held as a robot's.
    settings.SIGN_MIN_SECONDS = 0  # type: ignore[attr-defined]
    return live_server.url


@pytest.fixture
def chromium(site: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Chromium]:
    # Playwright's sync API leaves its asyncio loop marked as running in this thread, so Django
    # takes every ORM call made here (fixtures, drain(), assertions) for one made from async
    # code and raises SynchronousOnlyOperation. No async code shares the connection: the test
    # makes its calls one at a time between browser steps, and the live server answers from its
    # own thread. Set for this test only, so other tests keep the check.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield Chromium(browser=browser, site=site)
        finally:
            browser.close()
            # For the same reason Django keeps the connections opened meanwhile in a context-local
            # store (asgiref's Local), apart from pytest-django's: close them while it is still
            # the one in use, or they outlive the test and PostgreSQL cannot drop the test database.
            connections.close_all()


@pytest.fixture
def page(chromium: Chromium) -> Page:
    return chromium.new_page()


def outside_assets(page: Page, chromium: Chromium) -> list[str]:
    """What the open page would load from elsewhere: headless Chromium skips some fetches (icons),
    so the document is checked as well as the requests.
    """
    urls: list[str] = page.locator("[src], link[href]").evaluate_all(
        "nodes => nodes.map(n => n.src || n.href)"
    )
    assert urls, "every page loads at least its own stylesheet and script"
    return [url for url in urls if not chromium.is_local(url)]


def count_on(page: Page) -> int:
    """The signature count as the statement page shows it."""
    return int(page.locator(".count .number strong").inner_text())


def expect_count(page: Page, count: int) -> None:
    expect(page.locator(".count .number strong")).to_have_text(str(count))


def fill_sign_form(
    page: Page,
    *,
    name: str,
    email: str,
    display: str,
    country: str = "ES",
    organisation: str = "",
    role: str = "",
) -> None:
    """Fill in and send the form on the statement page that is open, in whichever language."""
    form = page.locator("#sign form")
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=email]").fill(email)
    form.locator("select[name=country]").select_option(country)
    if organisation:
        expect(form.locator("input[name=organisation_name]")).to_be_hidden()
        form.locator("input[name=kind][value=organisation]").check()
        # The organisation fields appear once "for an organisation" is chosen.
        form.locator("input[name=organisation_name]").fill(organisation)
        form.locator("input[name=organisation_role]").fill(role)
    else:
        form.locator("input[name=kind][value=individual]").check()
    form.locator(f"input[name=display][value={display}]").check()
    form.locator("input[name=consent]").check()
    # The page's script first does the proof of work, then sends the form: wait for it.
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


@dataclass
class Links:
    confirm: str
    withdraw: str


def mail_to(smtp_server: SmtpSink, address: str) -> Message:
    """Send what is queued, as the worker does, and return the one message sent to `address`."""
    already = len(smtp_server.messages)
    assert drain() == 1
    (message,) = smtp_server.messages[already:]
    assert message["To"] == address
    return message


def links_in(message: Message, site: str) -> Links:
    body = text_body(message)
    base = re.escape(site) + r"/s/free-them"
    confirm = re.search(base + r"/confirm/[-\w]+/", body)
    withdraw = re.search(base + r"/withdraw/[-\w]+/", body)
    assert confirm is not None, body
    assert withdraw is not None, body
    return Links(confirm=confirm.group(), withdraw=withdraw.group())


def subject_of(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def confirm_by_email(page: Page, links: Links, language: str) -> None:
    page.goto(links.confirm)
    page.get_by_role("button", name=re.compile("confirm", re.IGNORECASE)).click()
    expect(page).to_have_url(re.compile(rf"/s/free-them/{language}/thanks/$"))


def test_a_visitor_signs_in_spanish_and_confirms_from_the_email(
    page: Page, site: str, statement: Statement, smtp_server: SmtpSink
) -> None:
    page.goto("/s/free-them/es/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Libertad para ellos")
    before = count_on(page)

    fill_sign_form(page, name="Ana García", email="ana@example.net", display="initial")

    expect(page).to_have_url(re.compile(r"/s/free-them/es/check-email/$"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("main")).to_contain_text("Libertad para ellos")

    message = mail_to(smtp_server, "ana@example.net")
    links = links_in(message, site)
    assert "firma" in subject_of(message).lower()

    page.goto(links.confirm)
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("main")).to_contain_text("Ana G.")
    confirm = page.get_by_role("button", name=re.compile("confirm", re.IGNORECASE))
    expect(confirm).to_be_visible()
    # Mail scanners open links too: opening the page must not have confirmed anything.
    assert Signature.objects.get(email="ana@example.net").state == Signature.State.PENDING

    confirm.click()

    expect(page).to_have_url(re.compile(r"/s/free-them/es/thanks/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("confirmada")
    expect(page.locator("main")).not_to_contain_text("organizaciones")
    expect(page.locator("ul.share a[href^='https://bsky.app/']")).to_be_visible()
    page.goto("/s/free-them/es/")
    expect(page.locator("section.latest")).to_contain_text("Ana G.")
    expect(page.locator("section.latest")).not_to_contain_text("García")
    expect_count(page, before + 1)


def test_an_organisation_is_listed_and_counted_only_once_the_organiser_approves_it(
    chromium: Chromium,
    page: Page,
    site: str,
    statement: Statement,
    organiser: User,
    smtp_server: SmtpSink,
) -> None:
    page.goto("/s/free-them/en/")
    before = count_on(page)
    fill_sign_form(
        page,
        name="María López",
        email="maria@sindicato.example",
        display="full",
        organisation="Sindicato Unido",
        role="Secretaria general",
    )
    expect(page).to_have_url(re.compile(r"/s/free-them/en/check-email/$"))
    links = links_in(mail_to(smtp_server, "maria@sindicato.example"), site)
    page.goto(links.confirm)
    expect(page.locator("main")).to_contain_text("Sindicato Unido (Secretaria general)")
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page).to_have_url(re.compile(r"/s/free-them/en/thanks/\?approval$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you: your email address is confirmed"
    )
    expect(page.locator("main")).to_contain_text("once the statement's organisers have approved")

    page.goto("/s/free-them/en/")
    expect(page.get_by_role("heading", name="Latest signers")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Sindicato Unido")
    expect_count(page, before)
    page.goto("/s/free-them/en/signatories/")
    expect(page.locator("main")).not_to_contain_text("Sindicato Unido")

    # The organiser approves it in the dashboard's moderation queue.
    dashboard = chromium.new_page()
    dashboard.goto("/dashboard/s/free-them/signatures/moderation/")
    dashboard.get_by_label("Username").fill("organiser")
    dashboard.get_by_label("Password").fill(PASSWORD)
    dashboard.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()
    dashboard.get_by_label("Choose Sindicato Unido").check()
    dashboard.get_by_role("button", name="Approve the chosen").click()
    expect(dashboard.locator(".messages")).to_contain_text("1 organisation approved.")

    page.goto("/s/free-them/en/")
    signed_on = page.locator("section.signed-on")
    expect(signed_on).to_contain_text("Sindicato Unido")
    expect(signed_on).to_contain_text("María López, Secretaria general")
    expect_count(page, before + 1)
    page.goto("/s/free-them/en/signatories/?kind=organisation")
    expect(page.locator("ul.signatories")).to_contain_text("Sindicato Unido")


def test_a_signer_withdraws_from_the_emailed_link(
    page: Page, site: str, statement: Statement, smtp_server: SmtpSink
) -> None:
    page.goto("/s/free-them/en/")
    fill_sign_form(page, name="Luis Pérez", email="luis@example.net", display="full")
    links = links_in(mail_to(smtp_server, "luis@example.net"), site)
    confirm_by_email(page, links, "en")
    page.goto("/s/free-them/en/")
    expect(page.locator("section.latest")).to_contain_text("Luis Pérez")
    confirmed = count_on(page)

    page.goto(links.withdraw)
    withdraw = page.get_by_role("button", name="Withdraw my signature")
    expect(withdraw).to_be_visible()
    # Opening the page alone withdraws nothing.
    assert Signature.objects.filter(email="luis@example.net").exists()

    withdraw.click()

    expect(page).to_have_url(re.compile(r"/s/free-them/en/withdrawn/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your signature has been withdrawn")
    page.goto("/s/free-them/en/")
    expect(page.locator("section.latest")).not_to_contain_text("Luis Pérez")
    expect_count(page, confirmed - 1)
    page.goto("/s/free-them/en/signatories/")
    expect(page.locator("main")).not_to_contain_text("Luis Pérez")


@pytest.mark.parametrize("body", [None, HOSTILE_BODY], ids=["as-written", "hostile-organiser-html"])
def test_no_page_makes_a_request_to_another_site(
    chromium: Chromium,
    page: Page,
    site: str,
    statement: Statement,
    smtp_server: SmtpSink,
    body: str | None,
) -> None:
    if body is not None:
        version = statement.versions.get(language="en")
        version.body = body
        version.save()

    outside: list[str] = []
    for path in (
        "/",
        "/s/free-them/es/",
        "/s/free-them/en/beside/es/",
        "/s/free-them/es/signatories/",
        "/share/mastodon/?instance=not+a+server",
        "/s/free-them/",
        "/s/free-them/en/signatories/?kind=organisation",
        "/s/free-them/en/check-email/",
        "/s/free-them/en/thanks/",
        "/s/free-them/en/withdrawn/",
        "/accounts/login/",
        "/s/free-them/en/",
    ):
        page.goto(path)
        outside += outside_assets(page, chromium)
    # The form with an error on it, as a person who mistyped sees it.
    fill_sign_form(page, name="Ana García", email="not an address", display="initial")
    expect(page.locator(".field.invalid").first).to_be_visible()
    outside += outside_assets(page, chromium)
    if body is not None:
        # The page shows the organiser's text, its link kept as a plain link, its images gone.
        link = page.locator("article .body a", has_text="the background")
        expect(link).to_have_attribute("href", "https://evil.example/more")
        expect(link).to_have_attribute("rel", "nofollow noopener noreferrer")
        expect(page.locator("article .body")).to_contain_text("Styled.")
        expect(page.locator("main img, main iframe, main video, main source")).to_have_count(0)
    fill_sign_form(page, name="Ana García", email="ana@example.net", display="initial")
    expect(page).to_have_url(re.compile(r"/s/free-them/en/check-email/$"))
    outside += outside_assets(page, chromium)
    message = mail_to(smtp_server, "ana@example.net")
    emails = [html_body(message)]
    links = links_in(message, site)
    page.goto(links.withdraw)
    outside += outside_assets(page, chromium)
    page.goto(links.confirm)
    outside += outside_assets(page, chromium)
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page).to_have_url(re.compile(r"/s/free-them/en/thanks/$"))
    outside += outside_assets(page, chromium)
    page.get_by_role("link", name="Back to the statement").click()
    expect(page.locator("section.latest")).to_contain_text("Ana G.")
    fill_sign_form(page, name="Ana García", email="ana@example.net", display="initial")
    emails.append(html_body(mail_to(smtp_server, "ana@example.net")))  # already signed
    for html in emails:
        # Opened as a mail program shows it: whatever it would load is requested now.
        email_page = chromium.new_page()
        email_page.set_content(html, wait_until="load")
        assert "/s/free-them/" in html
        loads = email_page.locator("[src], [srcset], link[href], [style*='url(' i], [background]")
        assert loads.count() == 0
        email_page.close()
    page.goto(links.withdraw)
    page.get_by_role("button", name="Withdraw my signature").click()
    expect(page).to_have_url(re.compile(r"/s/free-them/en/withdrawn/$"))
    outside += outside_assets(page, chromium)
    response = page.goto("/s/no-such-statement/en/")
    assert response is not None and response.status == 404
    assert outside == []

    # The recorder saw the pages and their assets, so an empty list below means something.
    assert site + "/static/css/site.css" in chromium.requests
    assert site + "/s/free-them/en/beside/es/" in chromium.requests
    assert site + "/accounts/login/" in chromium.requests
    assert chromium.outside_requests() == []
    # What the policy stopped before it became a request: a script's fetch() or sendBeacon()
    # to another site, say.
    assert chromium.csp_violations() == []


def test_a_script_reaching_another_site_is_caught_though_the_policy_stops_it(
    chromium: Chromium, page: Page, statement: Statement
) -> None:
    """The check above can fail: a fetch() and a sendBeacon() to another host, refused by
    the policy before any request is made, are each seen."""
    page.goto("/s/free-them/en/")
    assert chromium.csp_violations() == []
    # Both sent, and waited for until the page has seen both refused.
    page.evaluate(
        """() => new Promise((resolve) => {
            let refused = 0;
            document.addEventListener("securitypolicyviolation", () => {
                if (++refused === 2) resolve();
            });
            fetch("https://example.invalid/fetched").catch(() => null);
            navigator.sendBeacon("https://example.invalid/beacon", "x");
        })"""
    )
    seen = chromium.csp_violations()
    # Each seen by the page's listener and in what Chromium logs.
    for blocked in ("https://example.invalid/fetched", "https://example.invalid/beacon"):
        assert any(f"connect-src {blocked}" in line for line in chromium.violations), seen
        assert any(f"'{blocked}'" in line for line in chromium.console), seen


def test_the_thanks_page_shares_through_plain_links_only(
    chromium: Chromium, page: Page, site: str, statement: Statement
) -> None:
    page.goto("/s/free-them/en/thanks/")

    share = page.locator("ul.share a")
    expect(share.first).to_be_visible()
    bluesky = page.get_by_role("link", name="Bluesky")
    href = bluesky.get_attribute("href")
    assert href is not None and href.startswith("https://bsky.app/")
    assert bluesky.evaluate("a => a.tagName") == "A"
    for href in share.evaluate_all("links => links.map(a => a.href)"):
        assert urlsplit(href).scheme in ("https", "mailto")
    assert outside_assets(page, chromium) == []
    assert chromium.outside_requests() == []
    assert chromium.csp_violations() == []


def test_the_browser_proves_its_work_and_is_counted(
    page: Page, site: str, statement: Statement, smtp_server: SmtpSink, settings: object
) -> None:
    settings.SIGN_PROOF_BITS = 16  # type: ignore[attr-defined]  # the production default
    page.goto("/s/free-them/en/")
    fill_sign_form(page, name="Ana García", email=" Ana@Example.net", display="full")
    expect(page).to_have_url(re.compile(r"/s/free-them/en/check-email/$"))
    signature = Signature.objects.get()
    assert signature.hold_reason == ""
    confirm_by_email(page, links_in(mail_to(smtp_server, "Ana@Example.net"), site), "en")
    assert Signature.objects.get().state == Signature.State.CONFIRMED


def test_without_javascript_a_signature_is_held_for_review(
    chromium: Chromium, site: str, statement: Statement, smtp_server: SmtpSink
) -> None:
    page = chromium.new_page(javascript=False)
    page.goto("/s/free-them/en/")
    fill_sign_form(page, name="Ana García", email="ana@example.net", display="full")
    expect(page).to_have_url(re.compile(r"/s/free-them/en/check-email/$"))
    signature = Signature.objects.get()
    assert (signature.state, signature.hold_reason) == (Signature.State.PENDING, "noproof")
    # Sent nothing while held; once an organiser releases it, its link, which counts it.
    drain()
    assert smtp_server.messages == []
    actions.review_held(statement, release=True, reason="", actor=None)
    confirm_by_email(page, links_in(mail_to(smtp_server, "ana@example.net"), site), "en")
    signature.refresh_from_db()
    assert signature.state == Signature.State.CONFIRMED
    page.goto("/s/free-them/en/")
    expect_count(page, 1)


# Each would set window.__xss, or open a dialog, if it ran. None contains an address or starts
# like a formula, so the sign form takes them as names.
XSS = [
    "<script>window.__xss=1</script>",
    '"><img src=x onerror="window.__xss=2">',
    "'><svg onload=window.__xss=3>",
    "</title><script>alert(4)</script>",
    "<iframe srcdoc='<script>parent.__xss=5</script>'></iframe>",
    "javascript:window.__xss=6",
    "<a href=javascript:alert(7)>x</a>",
    "{{7*7}}<style>*{background:url(/x)}</style>",
]
XSS_BODY = (
    "<p onclick='window.__xss=8'>Body</p>"
    '<a href="javascript:window.__xss=9">click</a>'
    '<a href="data:text/html,<script>alert(10)</script>">data</a>'
    "<svg><script>window.__xss=11</script></svg>"
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(12)>"
    '<noscript><p title="</noscript><img src=x onerror=alert(13)>">'
)

# Installed in every page before its own scripts: records what an attack would leave behind.
WATCH = """
window.__dialogs = 0;
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
    window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def _hostile_statement(statement: Statement) -> None:
    """Every field a person types, organiser or signer, holding a payload."""
    from undersigned.conftest import make_signature

    organisation = statement.organisation
    organisation.name = XSS[0]
    organisation.save()
    statement.addressed_to = XSS[1]
    statement.save()
    for version in statement.versions.all():
        version.title = XSS[2]
        version.summary = XSS[3]
        version.body = XSS_BODY + XSS[4]
        version.demands = "\n".join(XSS)
        version.save()
    for n, payload in enumerate(XSS):
        make_signature(statement, n, name=payload, display="full")
        make_signature(
            statement,
            100 + n,
            kind="organisation",
            name=payload,
            organisation_name=payload,
            organisation_role=payload,
            display="full",
            approved_at=timezone.now(),
        )
        make_signature(
            statement,
            200 + n,
            kind="organisation",
            name=payload,
            organisation_name=payload,
            organisation_role=payload,
            state=Signature.State.AWAITING_APPROVAL,
        )


def _assert_inert(page: Page, dialogs: list[str], where: str) -> None:
    assert page.evaluate("window.__xss") is None, where
    assert page.evaluate("window.__violations") == [], where
    assert dialogs == [], where
    assert (
        page.locator("a[href^='javascript:' i], a[href^='data:' i], [onerror], [onload]").count()
        == 0
    ), where


def html_body(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text/html part")


def test_no_script_typed_by_anyone_runs_anywhere(
    chromium: Chromium,
    site: str,
    statement: Statement,
    organiser: User,
    smtp_server: SmtpSink,
) -> None:
    _hostile_statement(statement)
    page = chromium.new_page()
    page.context.add_init_script(WATCH)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    for path in (
        "/",
        "/s/free-them/en/",
        "/s/free-them/es/",
        "/s/free-them/en/beside/es/",
        "/s/free-them/en/signatories/",
        "/s/free-them/en/signatories/?kind=organisation",
        "/s/free-them/en/check-email/",
        "/s/free-them/en/thanks/",
    ):
        page.goto(path)
        _assert_inert(page, dialogs, path)
    # The text is shown as text: escaped, not dropped.
    page.goto("/s/free-them/en/signatories/")
    expect(page.locator("main")).to_contain_text(XSS[0])

    # A signer types one through the form; it comes back on the error-free pages and in emails.
    page.goto("/s/free-them/en/")
    fill_sign_form(
        page, name=XSS[1], email="eve@example.net", display="full", organisation=XSS[2], role=XSS[7]
    )
    expect(page).to_have_url(re.compile(r"/s/free-them/en/check-email/$"))
    _assert_inert(page, dialogs, "check-email")
    message = mail_to(smtp_server, "eve@example.net")
    links = links_in(message, site)
    emails = [html_body(message)]
    page.goto(links.confirm)
    expect(page.locator("main")).to_contain_text(XSS[1])
    _assert_inert(page, dialogs, "confirm")
    page.goto(links.withdraw)
    _assert_inert(page, dialogs, "withdraw")
    page.get_by_role("button", name="Withdraw my signature").click()
    _assert_inert(page, dialogs, "withdrawn")
    # A signature that exists already gets the "already signed" email.
    page.goto("/s/free-them/en/")
    fill_sign_form(page, name=XSS[3], email="p1@example.org", display="full")
    emails.append(html_body(mail_to(smtp_server, "p1@example.org")))

    # A sign form with an error shows what was typed again.
    page.goto("/s/free-them/en/")
    fill_sign_form(page, name=XSS[5], email="not an address", display="full")
    _assert_inert(page, dialogs, "form with errors")

    # Each email's HTML, opened as a mail program would show it.
    for html in emails:
        assert "<script>" not in html
        page.set_content(html)
        _assert_inert(page, dialogs, html[:80])

    # The organiser's page.
    organiser_page = chromium.new_page()
    organiser_page.context.add_init_script(WATCH)
    organiser_page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    organiser_page.goto("/accounts/login/?next=/dashboard/s/free-them/signatures/")
    organiser_page.get_by_label("Username").fill("organiser")
    organiser_page.get_by_label("Password").fill(PASSWORD)
    organiser_page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()
    expect(organiser_page).to_have_url(re.compile(r"/dashboard/s/free-them/signatures/$"))
    expect(organiser_page.locator("main")).to_contain_text(XSS[0])
    _assert_inert(organiser_page, dialogs, "signatures")
    for path in (
        "/dashboard/s/free-them/",
        "/dashboard/s/free-them/signatures/moderation/",
        "/dashboard/s/free-them/watch/",
        "/dashboard/o/red-estudiantil/audit/",
    ):
        organiser_page.goto(path)
        _assert_inert(organiser_page, dialogs, path)
    expect(organiser_page.get_by_role("heading", level=1)).to_contain_text(XSS[0])  # the log's
    organiser_page.goto("/dashboard/s/free-them/signatures/")
    # The export is a download, never a page a browser renders.
    with organiser_page.expect_download() as download:
        organiser_page.get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename == "free-them-signatures.csv"
    _assert_inert(organiser_page, dialogs, "after the export")


NAMES = [
    "María José Quispe",
    "Juan Carlos Mamani Quispe",
    "María del Carmen Quispe Huamán",
    "Ana García López",
    "Ana de la Cruz",
    "José Ángel Ñahui",
    "Jose A\u0301ngel N\u0303ahui",
    "  mei   lin ",
    "Mei",
]


def test_the_sign_form_shows_how_the_name_will_appear_by_the_servers_rule(
    page: Page, statement: Statement
) -> None:
    from undersigned.lib.names import initialled

    page.goto("/s/free-them/en/")
    form = page.locator("#sign form")
    preview = form.locator("[data-name-preview]")
    # Not listed is the default.
    expect(preview).to_have_text("You will appear as: not listed, only counted")
    form.locator("input[name=display][value=initial]").check()
    expect(preview).to_be_hidden()
    for name in NAMES:
        form.locator("input[name=name]").fill(name)
        expect(preview).to_have_text(f"You will appear as: {initialled(name)}")
    form.locator("input[name=name]").fill("María José Quispe")
    expect(preview).to_have_text("You will appear as: María José Q.")
    form.locator("input[name=display][value=full]").check()
    expect(preview).to_have_text("You will appear as: María José Quispe")
    form.locator("input[name=kind][value=organisation]").check()
    form.locator("input[name=organisation_name]").fill("Sindicato Unido")
    expect(preview).to_have_text("You will appear as: Sindicato Unido (María José Quispe)")
    form.locator("input[name=display][value=hidden]").check()
    expect(preview).to_have_text("You will appear as: not listed, only counted")
