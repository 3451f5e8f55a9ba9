"""Security headers and cookies on every route of the URLconf."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from undersigned.accounts.security import enable_two_factor
from undersigned.audit.models import record
from undersigned.comments.models import Comment, CommentToken, HiddenCommenter
from undersigned.conftest import PASSWORD, make_partner, make_signature
from undersigned.events.models import Message
from undersigned.events.tests.conftest import make_event
from undersigned.funds.models import Contribution
from undersigned.funds.tests.conftest import make_fund
from undersigned.jobs.models import Job
from undersigned.lib import totp
from undersigned.lib.tests.routes import TOKEN, Route, example_urls
from undersigned.lib.tokens import hash_token
from undersigned.organisations.models import Organisation
from undersigned.paper.models import Document
from undersigned.pictures.models import Picture
from undersigned.statements.models import Signature, SignatureToken, Source, Statement
from undersigned.updates.models import Follower, FollowerToken, Notice, Update, UpdateVersion

# Answers made from their address alone, the same for everyone: kept even when logged in.
SAME_FOR_EVERYONE = {"accent_css"}

# Pages that show or lead to personal data: never kept by a browser or a proxy.
PERSONAL = {
    "confirm",
    "withdraw",
    "follow_confirm",
    "fund_pledge_confirm",
    "fund_transfer_details",
    "comment_confirm",
    "comment_manage",
    "dashboard:statement",
    "dashboard:signatures_export",
    "dashboard:signatures_export_xlsx",
    "dashboard:watch",
    "dashboard:erasure",
    "dashboard:audit",
    "dashboard:event_attendees",
    "dashboard:event_attendees_export",
    "dashboard:event_check_in_list",
    "dashboard:document_download",
    "dashboard:fund_ledger",
    "dashboard:fund_ledger_export",
    "dashboard:fund_ledger_export_xlsx",
    "dashboard:fund_pledges",
    "dashboard:fund_transfers",
    "dashboard:comments",
    "dashboard:comment_list",
    "dashboard:comment_held_forms",
    "dashboard:comment_reply",
    "dashboard:comment_hide",
    "dashboard:comment_settings",
    "mailbox",
    "login",
}


@pytest.fixture
def world(statement: Statement, settings: Any) -> User:
    """One of every kind of row a route can be about; returns a superuser."""
    settings.DEMO_MODE = True
    signature = make_signature(statement, 1, state=Signature.State.PENDING, confirmed_at=None)
    SignatureToken.objects.create(signature=signature, token_hash=hash_token(TOKEN))
    Source.objects.create(statement=statement, code="posters")
    follower = Follower.objects.create(
        statement=statement, email="f@example.org", email_canonical="f@example.org", language="en"
    )
    FollowerToken.objects.create(follower=follower, token_hash=hash_token(TOKEN))
    Job.objects.create(kind="test.nothing")
    Group.objects.create(name="Editors")
    update = Update.objects.create(statement=statement, published_at=timezone.now())
    UpdateVersion.objects.create(update=update, language="en", title="News", body="<p>x</p>")
    Notice.objects.create(statement=statement, text="Demonstration on Saturday")
    Picture.objects.create(
        organisation=statement.organisation,
        name="pictures/abcdefghij0123456789-480x320.jpg",
        width=480,
        height=320,
        alt="A crowd in a square",
    )
    # A delivery pack whose file is gone, its check record kept.
    Document.objects.create(
        statement=statement,
        kind=Document.Kind.PACK,
        state=Document.State.DELETED,
        as_of=timezone.now(),
        finished_at=timezone.now(),
        count=1,
        listed=1,
        sha256="0" * 64,
    )
    make_partner(statement, Organisation.objects.create(name="Partner", slug="partner"), actor=None)
    event = make_event(statement.organisation, statement)
    Message.objects.create(event=event, subject="Meet", body="At six.")
    # A fund with a line in its ledger: a pledge, which every change to a line applies to.
    fund = make_fund(statement.organisation, statement)
    Contribution.objects.create(fund=fund, state="pledged", method="other", amount=5_000)
    # A published comment (its reply and report pages), its edit-or-delete link, and another
    # waiting for its confirmation link.
    comment = Comment.objects.create(
        organisation=statement.organisation,
        statement=statement,
        language="en",
        name="Rosa",
        email="rosa@example.org",
        text="Solidarity.",
        state=Comment.State.PUBLISHED,
        confirmed_at=timezone.now(),
        published_at=timezone.now(),
    )
    CommentToken.objects.create(comment=comment, token_hash=hash_token(TOKEN))
    Comment.objects.create(
        organisation=statement.organisation,
        statement=statement,
        language="en",
        name="Bo",
        email="bo@example.org",
        text="Unconfirmed.",
        confirm_hash=hash_token(TOKEN),
    )
    # A commenter the organisation hid (showing them again is a dashboard route).
    HiddenCommenter.objects.create(
        organisation=statement.organisation, email_canonical="troll@example.org", name="Troll"
    )
    admin = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    record("test.row", actor=admin)
    secret = totp.new_secret()
    enable_two_factor(admin, secret, totp.code_at(secret, time.time()))
    return admin


def _logged_in(user: User) -> Client:
    from undersigned.conftest import _client_for

    return _client_for(user)


def _assert_security_headers(route: Route, response: Any) -> None:
    where = f"{route.name} {route.url} -> {response.status_code}"
    policy = response.get("Content-Security-Policy", "")
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in policy, where
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, where
    assert response["Referrer-Policy"] == "no-referrer", where
    assert response["X-Content-Type-Options"] == "nosniff", where
    if response.get("Content-Type", "").startswith("text/html"):
        assert response["X-Frame-Options"] == "DENY", where
    cache = response["Cache-Control"]
    assert "no-store" in cache or cache.startswith("public"), where
    for cookie in response.cookies.values():
        assert cookie["httponly"], f"{where}: cookie {cookie.key} readable by scripts"
        assert cookie["samesite"] in ("Lax", "Strict"), f"{where}: cookie {cookie.key}"


def test_every_route_has_an_example(world: User) -> None:
    names = {route.name for route in example_urls()}
    assert {"home", "sign", "confirm", "dashboard:statement", "login", "admin:index"} <= names


def test_every_route_sends_the_security_headers_to_anyone(client: Client, world: User) -> None:
    for route in example_urls():
        for response in (client.get(route.url), client.head(route.url)):
            _assert_security_headers(route, response)
            if route.name in PERSONAL:
                assert "no-store" in response["Cache-Control"], route


def test_every_route_sends_the_security_headers_to_a_superuser(world: User) -> None:
    client = _logged_in(world)
    for route in example_urls():
        response = client.get(route.url)
        assert response.status_code < 500, route
        _assert_security_headers(route, response)
        # Logged in, nothing is public: any page may show what only this person may see.
        if route.name not in SAME_FOR_EVERYONE:
            assert "no-store" in response["Cache-Control"], route


def test_a_page_from_the_public_cache_has_the_headers_too(
    client: Client, statement: Statement, still_page_store: float
) -> None:
    first = client.get("/s/free-them/en/")
    second = client.get("/s/free-them/en/")
    assert first.content == second.content
    assert second["Cache-Control"].startswith("public")
    assert "frame-ancestors 'none'" in second["Content-Security-Policy"]
    assert second["Referrer-Policy"] == "no-referrer"


def test_pages_with_a_form_post_with_their_own_origin(client: Client, statement: Statement) -> None:
    """The meta tag that lets POSTs carry an Origin the CSRF checks accept."""
    for url in ("/", "/s/free-them/en/", "/accounts/login/"):
        assert '<meta name="referrer" content="same-origin">' in client.get(url).content.decode()


def test_violations_are_reported_to_this_site_only(client: Client, statement: Statement) -> None:
    policy = client.get("/s/free-them/en/")["Content-Security-Policy"]
    assert "report-uri /csp-report/" in policy


def test_a_csp_report_is_logged_without_the_page_address(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    report = {
        "csp-report": {
            "document-uri": "http://testserver/s/x/confirm/secret-token-here-123456/",
            "referrer": "http://testserver/s/x/confirm/secret-token-here-123456/",
            "effective-directive": "script-src-elem",
            "blocked-uri": "https://evil.example/path/x.js?who=ana@example.net",
            "script-sample": "alert('ana@example.net')",
        }
    }
    response = client.post(
        "/csp-report/", json.dumps(report), content_type="application/csp-report"
    )
    assert response.status_code == 204
    assert "script-src-elem blocked https://evil.example" in caplog.text
    assert "secret-token" not in caplog.text and "ana@" not in caplog.text


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"[1, 2]", b'{"csp-report": "x"}', b"x" * 100_000]
)
def test_a_bad_csp_report_is_dropped_quietly(client: Client, body: bytes) -> None:
    response = client.post("/csp-report/", body, content_type="application/csp-report")
    assert response.status_code == 204


def test_cookies_set_by_posts_are_httponly_and_same_site(client: Client, organiser: User) -> None:
    responses = [
        client.post("/i18n/setlang/", {"language": "es", "next": "/"}),
        client.post("/accounts/login/", {"username": "organiser", "password": PASSWORD}),
    ]
    cookies = {name: morsel for r in responses for name, morsel in r.cookies.items()}
    assert {"django_language", "sessionid", "csrftoken"} <= set(cookies)
    for name, morsel in cookies.items():
        assert morsel["httponly"] and morsel["samesite"] == "Lax", name


@pytest.fixture
def https(settings: Any) -> None:
    """What HTTPS=1 sets (test_deploy checks settings.py sets exactly these)."""
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.LANGUAGE_COOKIE_SECURE = True


def test_over_https_every_route_sends_hsts_and_only_secure_cookies(
    https: None, world: User
) -> None:
    for client in (Client(), _logged_in(world)):
        for route in example_urls():
            response = client.get(route.url, secure=True)
            where = (route.name, response.status_code)
            assert response["Strict-Transport-Security"] == (
                "max-age=31536000; includeSubDomains"
            ), where
            _assert_security_headers(route, response)
            for cookie in response.cookies.values():
                assert cookie["secure"], (where, cookie.key)
    response = Client().post("/i18n/setlang/", {"language": "es"}, secure=True)
    assert response.cookies["django_language"]["secure"]
