"""The sign form's plain POST is stored and answered by SignMiddleware, before the URL is
resolved; everything else goes on to the sign view. Both store and answer alike."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.test import Client
from django.test.client import MULTIPART_CONTENT
from django.urls import Resolver404, resolve
from django.utils import timezone

from undersigned.conftest import answered_early, sign_data
from undersigned.jobs.models import Job
from undersigned.jobs.queue import drain
from undersigned.lib import formtoken
from undersigned.public.middleware import SIGN_PATH
from undersigned.statements.models import Signature, Statement

URL = "/s/free-them/en/sign/"


def _stored() -> list[tuple[Any, ...]]:
    return [
        (signature.email, signature.state, signature.hold_reason, signature.language)
        for signature in Signature.objects.order_by("email")
    ]


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_a_plain_sign_post_is_stored_and_answered_before_the_url_is_resolved(
    client: Client, statement: Statement, encoding: str
) -> None:
    data = sign_data(email="ana@example.net")
    if encoding == "urlencoded":
        response = client.post(
            URL, urlencode(data), content_type="application/x-www-form-urlencoded"
        )
    else:
        response = client.post(URL, data, content_type=MULTIPART_CONTENT)
    assert answered_early(response)
    assert (response.status_code, response["Location"]) == (302, "/s/free-them/en/check-email/")
    assert _stored() == [("ana@example.net", "pending", "", "en")]
    assert Job.objects.get().kind == "mail.confirm_signature"
    # The headers every answer of the site carries.
    assert response["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "no-store"


def test_the_tests_sign_posts_go_as_browsers_send_them(
    client: Client, statement: Statement
) -> None:
    """What every test's `client.post(<sign form>, {...})` sends (the conftest's
    `_sign_posts_as_browsers_send_them`): the production path's request."""
    response = client.post(URL, sign_data(email="ana@example.net", partners=["1", "2"]))
    request = response.wsgi_request
    assert request.content_type == "application/x-www-form-urlencoded"
    assert request.META["HTTP_ORIGIN"] == "http://testserver"
    assert b"&partners=1&partners=2" in request.body
    assert answered_early(response) and response.status_code == 302
    secure = client.post(URL, sign_data(email="bea@example.net"), secure=True)
    assert secure.wsgi_request.META["HTTP_ORIGIN"] == "https://testserver"
    # Named, the content type is sent as it is.
    multipart = client.post(URL, sign_data(email="cas@example.net"), content_type=MULTIPART_CONTENT)
    assert multipart.wsgi_request.content_type == "multipart/form-data"
    assert "HTTP_ORIGIN" not in multipart.wsgi_request.META


def test_the_view_stores_and_answers_a_plain_form_alike(
    client: Client, organiser_client: Client, statement: Statement
) -> None:
    """An organiser has a session, so their form goes on to the view."""
    early = client.post(URL, sign_data(email="ana@example.net"))
    late = organiser_client.post(URL, sign_data(email="bea@example.net"))
    assert answered_early(early) and not answered_early(late)
    assert (early.status_code, early["Location"]) == (late.status_code, late["Location"])
    assert [row[1:] for row in _stored()] == [("pending", "", "en")] * 2
    assert sorted(job.kind for job in Job.objects.all()) == ["mail.confirm_signature"] * 2


def test_a_form_held_for_review_is_stored_early_too(client: Client, statement: Statement) -> None:
    response = client.post(URL, sign_data(website="http://spam.example"))
    assert answered_early(response) and response.status_code == 302
    assert Signature.objects.get().hold_reason == "honeypot"


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("errors", 400),
        ("forged token", 403),
        ("expired token", 400),
        ("another site", 403),
        ("closed", 409),
        ("paused", 409),
        ("draft", 404),
        ("no such version", 404),
        ("no such statement", 404),
    ],
)
def test_what_is_not_plain_goes_on_to_the_view(
    client: Client, statement: Statement, case: str, status: int
) -> None:
    url, data, extra = URL, sign_data(), {}
    if case == "errors":
        data["email"] = "not an address"
    elif case == "forged token":
        data["form_token"] = "forged"
    elif case == "expired token":
        data["form_token"] = formtoken.issue(statement.pk, at=0)
    elif case == "another site":
        extra["HTTP_ORIGIN"] = "https://elsewhere.example"
    elif case == "closed":
        Statement.objects.filter(pk=statement.pk).update(status=Statement.Status.CLOSED)
    elif case == "paused":
        Statement.objects.filter(pk=statement.pk).update(signing_paused=True)
    elif case == "draft":
        Statement.objects.filter(pk=statement.pk).update(status=Statement.Status.DRAFT)
    elif case == "no such version":
        url = "/s/free-them/fr/sign/"
    elif case == "no such statement":
        url = "/s/nowhere/en/sign/"
    response = client.post(url, data, **extra)
    assert response.status_code == status
    assert not answered_early(response)
    assert not Signature.objects.exists()


def test_a_host_not_allowed_is_refused_as_django_refuses_it(
    client: Client, statement: Statement
) -> None:
    response = client.post(URL, sign_data(), HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert not Signature.objects.exists()


def test_a_failure_while_storing_is_answered_with_djangos_error_page(
    statement: Statement, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("undersigned.statements.actions.sign", fail)
    response = Client(raise_request_exception=False).post(URL, sign_data())
    assert response.status_code == 500
    assert b"<!doctype html>" in response.content.lower()


def test_signing_again_once_confirmed_is_answered_alike(
    client: Client, statement: Statement
) -> None:
    first = client.post(URL, sign_data(email="ana@example.net"))
    Signature.objects.update(state=Signature.State.CONFIRMED, confirmed_at=timezone.now())
    again = client.post(URL, sign_data(email="ana@example.net", name="Ana Otra"))
    assert answered_early(again)
    assert (again.status_code, again["Location"]) == (first.status_code, first["Location"])
    # One job each, whatever the address's past; the worker sends the owner "already signed"
    # (and the first form's link no longer, as it has confirmed).
    assert [job.kind for job in Job.objects.all()] == ["mail.confirm_signature"] * 2
    drain()
    assert [message.to for message in mail.outbox] == [["ana@example.net"]]
    assert "/confirm/" not in mail.outbox[0].body


@pytest.mark.parametrize(
    "path",
    [
        "/s/free-them/en/sign/",
        "/s/free_them-2/es-419/sign/",
        "/s/x/zh-Hant-TW/sign/",
        "/s/free-them/en/sign",
        "/s/free-them/sign/",
        "/s/free-them/e/sign/",
        "/s/free-them/en/signatories/",
        "/s/free them/en/sign/",
        "/s/free-them/en/sign/x/",
    ],
)
def test_its_address_is_the_sign_views(path: str) -> None:
    try:
        view = resolve(path).url_name
    except Resolver404:
        view = None
    assert (SIGN_PATH.fullmatch(path) is not None) == (view == "sign")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (
            b"name=Ana+Garc%C3%ADa&email=ana%40example.net&kind=&partners=1&partners=2",
            "application/x-www-form-urlencoded",
        ),
        (b"name=Ana&name=Bea&empty=&=novalue&noequals", "application/x-www-form-urlencoded"),
        (b"name=Ana+Garc%ED", "application/x-www-form-urlencoded; charset=iso-8859-1"),
        (b"name=Ana+Garc\xeda", "application/x-www-form-urlencoded"),
        (b"name=%FF%FE", "application/x-www-form-urlencoded"),
        (b"name=Ana", "text/plain"),
    ],
)
def test_the_form_is_read_as_django_reads_request_post(body: bytes, content_type: str) -> None:
    from django.test import RequestFactory

    from undersigned.public.views.signing import form_data

    def outcome(read: Any) -> Any:
        request = RequestFactory().generic("POST", URL, body, content_type=content_type)
        try:
            return dict(read(request).lists())
        except Exception as error:  # noqa: BLE001 - what Django refuses, refused alike
            return type(error)

    assert outcome(form_data) == outcome(lambda request: request.POST)


def test_too_many_fields_are_refused_as_django_refuses_them(
    client: Client, statement: Statement, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    body = "&".join(f"f{n}=x" for n in range(10))
    response = client.post(URL, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert not Signature.objects.exists()
