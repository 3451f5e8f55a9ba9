"""CSRF and methods on every state-changing route."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from undersigned.accounts.signals import VERIFIED
from undersigned.conftest import PASSWORD, follow_data, sign_data
from undersigned.lib.tests.routes import STATE_CHANGING, TOKEN, example_urls
from undersigned.lib.tests.test_headers import world  # noqa: F401 - the shared fixture
from undersigned.statements.models import Signature, Statement, StatementVersion
from undersigned.updates.models import Follower


def _snapshot() -> tuple[Any, ...]:
    return (
        sorted(Signature.objects.values_list("pk", "state", "name", "display")),
        sorted(
            Statement.objects.values_list(
                "pk", "slug", "status", "signing_paused", "signatories_hidden", "goal"
            )
        ),
        sorted(StatementVersion.objects.values_list("pk", "language", "title", "body")),
        sorted(User.objects.values_list("pk", "password", "is_active")),
        sorted(Follower.objects.values_list("pk", "email", "confirmed_at", "unsubscribed_at")),
    )


def _urls() -> dict[str, str]:
    return {route.name: route.url for route in example_urls() if route.name in STATE_CHANGING}


def _client(user: User | None, **headers: str) -> Client:
    client = Client(enforce_csrf_checks=True, **headers)
    if user is not None:
        client.force_login(user)
        session = client.session
        session[VERIFIED] = True  # through the two-factor step too
        session.save()
    return client


def _valid_data(name: str) -> dict[str, str]:
    if name == "sign":
        return sign_data()
    if name == "follow":
        return follow_data()
    if name == "set_language":
        return {"language": "es", "next": "/"}
    if name == "admin:password_change":
        return {"old_password": PASSWORD, "new_password1": "x", "new_password2": "x"}
    return {"slug": "changed", "name": "Changed", "post": "yes", "action": "delete_selected"}


def test_every_state_changing_route_is_known(world: User) -> None:  # noqa: F811
    assert set(_urls()) == STATE_CHANGING


def test_a_post_without_a_csrf_token_is_refused_everywhere(world: User) -> None:  # noqa: F811
    before = _snapshot()
    for name, url in _urls().items():
        data = _valid_data(name)
        data.pop("form_token", None)
        response = _client(world).post(url, data)
        assert response.status_code == 403, (name, url, response.status_code)
        # The sign, follow and RSVP forms show themselves again, filled in, with their error.
        if name not in ("sign", "follow", "event_rsvp", "fund_pledge", "fund_transfer"):
            assert "could not be accepted" in response.content.decode(), (name, url)
    assert _snapshot() == before


def test_a_post_from_another_site_is_refused_everywhere(world: User) -> None:  # noqa: F811
    before = _snapshot()
    for name, url in _urls().items():
        client = _client(world, HTTP_ORIGIN="https://evil.example")
        # A token that would pass, to show the Origin alone refuses it.
        client.get("/accounts/login/")
        token = client.cookies["csrftoken"].value
        data = {**_valid_data(name), "csrfmiddlewaretoken": token}
        response = client.post(url, data)
        assert response.status_code == 403, (name, url, response.status_code)
    assert _snapshot() == before


def test_the_origin_null_that_no_referrer_alone_would_cause_is_refused(
    world: User,  # noqa: F811
) -> None:
    """Why the pages carry a same-origin referrer meta: without it browsers send this."""
    client = _client(None, HTTP_ORIGIN="null")
    assert client.post("/s/free-them/en/sign/", sign_data()).status_code == 403
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value
    response = client.post("/i18n/setlang/", {"language": "es", "csrfmiddlewaretoken": token})
    assert response.status_code == 403


@pytest.mark.parametrize("secure", [False, True])
def test_a_same_origin_post_passes_over_http_and_https(
    world: User,  # noqa: F811
    settings: Any,
    secure: bool,
) -> None:
    """Over HTTPS Django wants the Origin (or else a Referer) to name this site exactly."""
    scheme = "https" if secure else "http"
    client = _client(None, HTTP_ORIGIN=f"{scheme}://testserver")
    client.get("/accounts/login/", secure=secure)
    token = client.cookies["csrftoken"].value
    data = {"language": "es", "next": "/", "csrfmiddlewaretoken": token}
    assert client.post("/i18n/setlang/", data, secure=secure).status_code == 302
    response = client.post("/s/free-them/en/sign/", sign_data(), secure=secure)
    assert response.status_code == 302
    response = client.post("/s/free-them/en/follow/", follow_data(), secure=secure)
    assert response.status_code == 302
    if secure:
        # The other scheme is another origin.
        other = _client(None, HTTP_ORIGIN="http://testserver")
        other.get("/accounts/login/", secure=True)
        data["csrfmiddlewaretoken"] = other.cookies["csrftoken"].value
        assert other.post("/i18n/setlang/", data, secure=True).status_code == 403


def test_a_get_on_a_state_changing_route_changes_nothing(world: User) -> None:  # noqa: F811
    before = _snapshot()
    pending = Signature.objects.get()
    for name, url in _urls().items():
        response = _client(world).get(url)
        assert response.status_code < 500, (name, url)
    anonymous = _client(None)
    for url in (
        f"/s/free-them/confirm/{TOKEN}/",
        f"/s/free-them/withdraw/{TOKEN}/",
        f"/s/free-them/follow/confirm/{TOKEN}/",
    ):
        assert anonymous.get(url).status_code == 200
    assert _snapshot() == before
    pending.refresh_from_db()
    assert pending.state == Signature.State.PENDING
    assert Follower.objects.get().confirmed_at is None


def test_only_the_routes_that_must_go_without_a_csrf_token_are_exempt() -> None:
    """The sign, follow, RSVP, pledge, transfer, card, comment and report forms check a signed
    form token and the Origin themselves (their pages are the same for everyone, so they carry
    no CSRF cookie; tested above); browsers POST CSP reports with no token; one-click
    unsubscribe (RFC 8058: mail programs POST with no cookie); the mail server's bounce hook,
    which proves itself with its own token, and the payment provider's webhook, which signs
    each event; hiding a notice, which sets a cookie of the reader's own and nothing else, from
    pages stored for everyone (no CSRF cookie there)."""
    from django.urls import get_resolver

    exempt = set()
    for pattern_name, callback in _callbacks(get_resolver().url_patterns):
        if getattr(callback, "csrf_exempt", False):
            exempt.add(pattern_name)
    assert exempt == {
        "sign",
        "follow",
        "event_rsvp",
        "fund_pledge",
        "fund_transfer",
        "csp_report",
        "unsubscribe",
        "bounce_hook",
        "hide_notice",
        "fund_give",
        "fund_webhook",
        "statement_comments",
        "update_comments",
        "comment_reply",
        "comment_report",
    }


def _callbacks(patterns: list[Any], ns: str = "") -> list[tuple[str, Any]]:
    found = []
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            inner = f"{ns}{pattern.namespace}:" if pattern.namespace else ns
            found += _callbacks(pattern.url_patterns, inner)
        else:
            found.append((f"{ns}{pattern.name}", pattern.callback))
    return found
