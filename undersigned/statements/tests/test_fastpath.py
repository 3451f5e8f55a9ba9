"""The sign fast path (undersigned.statements.fastpath) answers and stores exactly as the sign
view does, and hands everything else to the view having stored nothing."""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished
from django.db import OperationalError
from django.db.models import Sum
from django.urls import get_resolver, resolve
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.module_loading import import_string
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from undersigned.abuse.models import EmailQuota, RateCounter
from undersigned.conftest import BrowserLikeClient, sign_data
from undersigned.jobs.models import Job
from undersigned.lib import formtoken, proof
from undersigned.organisations.models import Organisation
from undersigned.statements import actions, coalition, fastpath
from undersigned.statements.forms import SignForm
from undersigned.statements.models import (
    PartnerConsent,
    Signature,
    Source,
    SourceCount,
    Statement,
    StatementVersion,
)

URL = "/s/free-them/en/sign/"


def _post(client: BrowserLikeClient, url: str = URL, **overrides: Any) -> Any:
    statement = Statement.objects.get(slug=url.split("/")[2])
    return client.post(url, sign_data(statement, **overrides))


# What the form makes of a POST ------------------------------------------------------------

_TEXTS = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "Ana García",
            "  Ana  ",
            "x" * 100,
            "x" * 101,
            "Ana\x00",
            "Ana\u202eevil",
            "\u200b",
            "=HYPERLINK()",
            "see example.com",
            "=?utf-8?q?x?=",
            "Sindicato Unido",
            "on",
            "true",
            "False",
            "0",
        ]
    ),
    st.text(max_size=12),
)
_EMAILS = st.one_of(
    st.sampled_from(
        [
            "ana@example.net",
            " Ana@Example.NET ",
            "not-an-email",
            "a@b",
            "a" * 250 + "@example.org",
            "ana@exämple.org",
            "ana@" + "ä" * 60 + ".org",
            "ana@example.org\r\nBcc: x@example.org",
            "",
        ]
    ),
    st.emails().map(str),
)
_CHOICES = st.sampled_from(
    [
        "",
        "individual",
        "organisation",
        "full",
        "initial",
        "hidden",
        "ES",
        "es",
        "XX",
        "on",
        "off",
        "true",
        "false",
        "1",
        "0",
        "-1",
        "abc",
    ]
)


_VALID = {
    "name": "Ana García",
    "email": "ana@example.net",
    "country": "ES",
    "postcode": "28001",
    "kind": "individual",
    "display": "initial",
    "consent": "on",
}


@st.composite
def _forms(draw: st.DrawFn, partner_ids: list[int]) -> dict[str, list[str]]:
    """A valid form with up to three of its fields changed, left out, or sent twice."""
    values: dict[str, st.SearchStrategy[str]] = {
        "name": _TEXTS,
        "email": _EMAILS,
        "country": _CHOICES,
        "postcode": _TEXTS,
        "kind": _CHOICES,
        "organisation_name": _TEXTS,
        "organisation_role": _TEXTS,
        "display": _CHOICES,
        "wants_updates": _CHOICES,
        "consent": _CHOICES,
        "partners": st.one_of(_CHOICES, *[st.just(str(pk)) for pk in partner_ids]),
    }
    form = {name: [value] for name, value in _VALID.items()}
    for name in draw(st.sets(st.sampled_from(sorted(values)), max_size=3)):
        # Absent, once, or twice (the last one counts for a single value).
        changed = draw(st.lists(values[name], max_size=2))
        if changed:
            form[name] = changed
        else:
            form.pop(name, None)
    return form


@pytest.fixture
def statements(organisation: Organisation, statement: Statement) -> list[Statement]:
    """The form's variations: every question, none, a required country, two partners."""
    statement.ask_postcode = True
    statement.require_country = True
    statement.save()
    coalition.add_partner(
        statement, Organisation.objects.create(name="Sindicato", slug="sindicato"), actor=None
    )
    coalition.add_partner(
        statement, Organisation.objects.create(name="Red", slug="red"), actor=None
    )
    bare = Statement.objects.create(
        organisation=organisation,
        slug="bare",
        status=Statement.Status.OPEN,
        ask_country=False,
        allow_organisations=False,
    )
    return [Statement.objects.get(pk=statement.pk), bare]


@hypothesis_settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_plain_data_is_what_the_form_cleans_or_none(
    statements: list[Statement], data: st.DataObject
) -> None:
    statement = data.draw(st.sampled_from(statements))
    partner_ids = [partner.pk for partner in statement.partners.all()]
    post = MultiValueDict(data.draw(_forms(partner_ids)))
    form = SignForm(post, statement=statement)
    expected = form.cleaned_data if form.is_valid() else None
    assert SignForm.plain_data(post, statement) == expected
    event("valid" if expected else "not valid")


@pytest.mark.parametrize(
    ("which", "overrides", "valid"),
    [
        (0, {"postcode": " 28001 ", "wants_updates": "on"}, True),
        (0, {"kind": "organisation", "organisation_name": "Sindicato Unido"}, True),
        (0, {"partners": "__partner__"}, True),
        (1, {"country": None, "organisation_name": "Dropped"}, True),
        (0, {"kind": "organisation"}, False),
        (0, {"kind": "organisation", "organisation_name": "see example.com"}, False),
        (0, {"name": "see example.com"}, False),
        (0, {"email": "a" * 250 + "@example.org"}, False),
        (0, {"country": None}, False),
    ],
)
def test_plain_data_on_chosen_forms(
    statements: list[Statement], which: int, overrides: dict[str, Any], valid: bool
) -> None:
    """The property above on forms chosen for each check, valid ones among them, so that it is
    not met by None alone."""
    statement = statements[which]
    if overrides.get("partners") == "__partner__":
        overrides = {**overrides, "partners": str(statement.partners.first().pk)}  # type: ignore[union-attr]
    post = MultiValueDict(
        {key: [str(value)] for key, value in sign_data(statement, **overrides).items()}
    )
    form = SignForm(post, statement=statement)
    assert form.is_valid() is valid
    assert SignForm.plain_data(post, statement) == (form.cleaned_data if valid else None)


def test_every_field_check_of_the_form_is_in_plain_data() -> None:
    from undersigned.statements.forms import _FIELD_HOOKS

    hooks = {name for name in vars(SignForm) if name.startswith("clean_")}
    assert hooks == {f"clean_{field}" for field in _FIELD_HOOKS}


# What is stored and answered ---------------------------------------------------------------


def _twin(statement: Statement, slug: str) -> Statement:
    """Another statement set up as `statement` is, with its versions, partners and sources."""
    twin = Statement.objects.get(pk=statement.pk)
    twin.pk = None
    twin.slug = slug
    twin.save()
    for version in StatementVersion.objects.filter(statement=statement):
        version.pk = None
        version.statement = twin
        version.save()
    for source in Source.objects.filter(statement=statement, partner__isnull=True):
        Source.objects.create(statement=twin, code=source.code)
    for partner in statement.partners.all():
        coalition.add_partner(twin, partner.organisation, actor=None)
    return twin


def _each_path(
    settings: Any, statement: Statement
) -> Iterator[tuple[bool, Statement, BrowserLikeClient]]:
    """The fast path on `statement`, then the view on a twin of it, each with a new client."""
    twin = _twin(statement, "twin")
    for fast, target in ((True, statement), (False, twin)):
        settings.SIGN_FAST_PATH = fast
        yield fast, target, BrowserLikeClient()


def _stored(statement: Statement) -> list[tuple[Any, ...]]:
    """What signing left for a statement, without ids, times and tokens."""
    # Times are compared as set or not; the network as a keyed hash of the same address.
    fields = [
        field.name
        for field in Signature._meta.concrete_fields
        if field.name not in ("id", "statement", "network")
    ]
    rows: list[tuple[Any, ...]] = []
    for signature in Signature.objects.filter(statement=statement).order_by("email_canonical"):
        jobs = sorted(
            job.kind for job in Job.objects.all() if job.payload.get("signature") == signature.pk
        )
        consents = sorted(
            consent.partner.organisation.slug
            for consent in PartnerConsent.objects.filter(signature=signature)
        )
        rows.append(
            (
                *(_comparable(getattr(signature, name)) for name in fields),
                bool(signature.network),
                signature.tokens.count(),
                jobs,
                consents,
            )
        )
    counts = sorted(
        (count.source.code, count.count)
        for count in SourceCount.objects.filter(source__statement=statement)
    )
    rows.append(tuple(counts))
    return rows


def _counted() -> tuple[int, int]:
    """Sign requests counted against the rate limits, and emails against the address's quota
    (their keys change at midnight, so the totals are compared, not the rows)."""
    return (
        RateCounter.objects.aggregate(total=Sum("count"))["total"] or 0,
        EmailQuota.objects.aggregate(total=Sum("count"))["total"] or 0,
    )


def _comparable(value: Any) -> Any:
    return "a time" if isinstance(value, dt.datetime) else value


def _wrong_nonce(token: str, email: str) -> str:
    """A number that is not a proof of work for this form (any one number is, by chance, once in
    2**bits tries)."""
    return next(
        str(nonce)
        for nonce in range(1, 1000)
        if not proof.is_valid(token, email, str(nonce), django_settings.SIGN_PROOF_BITS)
    )


def _answer(response: Any, slug: str) -> tuple[int, list[tuple[str, str]], list[str]]:
    headers = sorted((name, value.replace(slug, "<slug>")) for name, value in response.items())
    return response.status_code, headers, sorted(response.cookies)


_CASES: list[tuple[str, dict[str, Any]]] = [
    ("an individual", {}),
    ("updates wanted", {"wants_updates": "on", "display": "full"}),
    ("an organisation", {"kind": "organisation", "organisation_name": "Sindicato Unido"}),
    ("a partner's updates", {"partners": "__partner__"}),
    ("through a source", {"src": "newsletter"}),
    ("through an unknown source", {"src": "nowhere"}),
    ("the honeypot filled", {"website": "http://spam.example"}),
    ("sent too fast", {"form_token": "__fresh__"}),
    ("no proof of work", {"proof": "__wrong__"}),
    ("a Spanish version", {"__language__": "es"}),
]


@pytest.mark.parametrize(("case", "overrides"), _CASES, ids=[case for case, _o in _CASES])
def test_the_fast_path_stores_and_answers_as_the_view_does(
    settings: Any, statement: Statement, case: str, overrides: dict[str, Any]
) -> None:
    Source.objects.create(statement=statement, code="newsletter")
    coalition.add_partner(
        statement, Organisation.objects.create(name="Sindicato", slug="sindicato"), actor=None
    )
    outcomes = []
    for fast, target, client in _each_path(settings, statement):
        form = dict(overrides)
        language = form.pop("__language__", "en")
        if form.get("partners") == "__partner__":
            form["partners"] = str(target.partners.get().pk)
        if form.get("form_token") == "__fresh__":
            form["form_token"] = formtoken.issue(target.pk)
            settings.SIGN_MIN_SECONDS = 60  # too fast, however slowly the test runs
        if form.get("proof") == "__wrong__":
            form["form_token"] = formtoken.issue(target.pk, at=time.time() - 60)
            form["proof"] = _wrong_nonce(form["form_token"], "ana@example.net")
        counted = _counted()
        # Twice: the second time, signing again while pending.
        answers = [
            _answer(
                client.post(f"/s/{target.slug}/{language}/sign/", sign_data(target, **form)),
                target.slug,
            )
            for _time in range(2)
        ]
        assert client.answered_fast == (2 if fast else 0)
        counts = [now - before for now, before in zip(_counted(), counted, strict=True)]
        outcomes.append((answers, _stored(target), counts))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0][0][0] == 302


def test_signing_again_once_confirmed_is_answered_alike(
    settings: Any, statement: Statement
) -> None:
    outcomes = []
    for fast, target, client in _each_path(settings, statement):
        counted = _counted()
        client.post(f"/s/{target.slug}/en/sign/", sign_data(target))
        Signature.objects.filter(statement=target).update(
            state=Signature.State.CONFIRMED, confirmed_at=timezone.now()
        )
        response = client.post(f"/s/{target.slug}/en/sign/", sign_data(target, name="Ana Otra"))
        assert client.answered_fast == (2 if fast else 0)
        counts = [now - before for now, before in zip(_counted(), counted, strict=True)]
        outcomes.append((_answer(response, target.slug), _stored(target), counts))
    assert outcomes[0] == outcomes[1]


def test_https_answers_carry_the_same_strict_transport_security(
    settings: Any, statement: Statement
) -> None:
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_SSL_REDIRECT = True
    answers = []
    for fast, target, client in _each_path(settings, statement):
        response = client.post(
            f"/s/{target.slug}/en/sign/",
            sign_data(target),
            secure=True,
            HTTP_ORIGIN="https://testserver",
        )
        assert client.answered_fast == (1 if fast else 0)
        answers.append(_answer(response, target.slug))
    assert answers[0] == answers[1]
    assert ("Strict-Transport-Security", "max-age=3600") in answers[0][1]


# What goes to the view -----------------------------------------------------------------------


def _refused(client: BrowserLikeClient, response: Any, status: int, stored: int = 0) -> None:
    assert client.answered_fast == 0
    assert response.status_code == status
    assert Signature.objects.count() == stored


def test_a_form_with_errors_goes_to_the_view(
    client: BrowserLikeClient, statement: Statement
) -> None:
    response = _post(client, email="not-an-email")
    _refused(client, response, 400)
    assert "Enter a valid email address." in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({"form_token": "forged"}, 403),
        ({"form_token": "__old__"}, 400),
        ({"form_token": "__other__"}, 403),
    ],
)
def test_a_token_not_valid_goes_to_the_view(
    client: BrowserLikeClient, statement: Statement, overrides: dict[str, Any], status: int
) -> None:
    token = overrides["form_token"]
    if token == "__old__":
        token = formtoken.issue(statement.pk, at=time.time() - formtoken.MAX_AGE_SECONDS - 60)
    elif token == "__other__":
        token = formtoken.issue(statement.pk + 1000)
    _refused(client, _post(client, form_token=token), status)


def test_another_sites_form_goes_to_the_view(
    client: BrowserLikeClient, statement: Statement
) -> None:
    response = client.post(URL, sign_data(), HTTP_ORIGIN="https://evil.example")
    _refused(client, response, 403)


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"signing_paused": True}, 409),
        ({"status": Statement.Status.CLOSED}, 409),
        ({"deadline": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}, 409),
        ({"status": Statement.Status.DRAFT}, 404),
    ],
)
def test_a_statement_not_open_goes_to_the_view(
    client: BrowserLikeClient, statement: Statement, change: dict[str, Any], status: int
) -> None:
    Statement.objects.filter(pk=statement.pk).update(**change)
    _refused(client, _post(client), status)


def test_a_language_without_a_version_goes_to_the_view(
    client: BrowserLikeClient, statement: Statement
) -> None:
    _refused(client, client.post("/s/free-them/fr/sign/", sign_data()), 404)
    _refused(client, client.post("/s/nowhere/en/sign/", sign_data()), 404)


def test_a_visitor_with_a_session_goes_to_the_view(statement: Statement, organiser: Any) -> None:
    client = BrowserLikeClient()
    client.force_login(organiser)
    _refused(client, _post(client), 302, stored=1)


def test_a_body_not_in_utf8_goes_to_the_view(
    client: BrowserLikeClient, statement: Statement
) -> None:
    body = urlencode(sign_data()).encode() + b"&name=Ana+Garc\xeda"
    response = client.post(URL, body, content_type="application/x-www-form-urlencoded")
    _refused(client, response, 302, stored=1)
    assert Signature.objects.get().name == "Ana García"  # as Latin-1, Django's fallback


def test_a_multipart_form_is_signed_by_the_view(
    client: BrowserLikeClient, statement: Statement
) -> None:
    from django.test.client import MULTIPART_CONTENT

    response = client.post(URL, sign_data(), content_type=MULTIPART_CONTENT)
    _refused(client, response, 302, stored=1)


def test_a_named_charset_goes_to_the_view(client: BrowserLikeClient, statement: Statement) -> None:
    # Django refuses any but UTF-8 for this content type.
    body = urlencode(sign_data(), encoding="latin-1")
    response = client.post(
        URL, body, content_type="application/x-www-form-urlencoded; charset=iso-8859-1"
    )
    _refused(client, response, 400)


def test_a_body_over_the_limits_goes_to_the_view(
    settings: Any, client: BrowserLikeClient, statement: Statement
) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    _refused(client, _post(client), 400)
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    _refused(client, _post(client), 400)


def test_a_host_not_allowed_goes_to_the_view(
    client: BrowserLikeClient, statement: Statement
) -> None:
    response = client.post(URL, sign_data(), HTTP_HOST="evil.example")
    _refused(client, response, 400)


def test_plain_http_is_redirected_by_django_when_https_is_required(
    settings: Any, client: BrowserLikeClient, statement: Statement
) -> None:
    settings.SECURE_SSL_REDIRECT = True
    response = _post(client)
    _refused(client, response, 301)
    assert response["Location"].startswith("https://")


def test_the_setting_turns_it_off(
    settings: Any, client: BrowserLikeClient, statement: Statement
) -> None:
    settings.SIGN_FAST_PATH = False
    _refused(client, _post(client), 302, stored=1)


def test_an_unknown_middleware_turns_it_off(
    settings: Any, client: BrowserLikeClient, statement: Statement, caplog: Any
) -> None:
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django.middleware.gzip.GZipMiddleware"]
    with caplog.at_level(logging.WARNING, logger="undersigned.statements.fastpath"):
        _refused(client, _post(client), 302, stored=1)
    assert "GZipMiddleware" in caplog.text


def _failing_write(monkeypatch: Any, *, after_commit: bool) -> list[int]:
    """Make the next batch's write fail with the database's error, before or after it has
    committed (a connection lost during the commit, say); the ones after succeed."""
    write = actions._write_signatures
    calls: list[int] = []

    def failing_once(requests: Any) -> None:
        calls.append(len(requests))
        if len(calls) == 1 and not after_commit:
            raise OperationalError("database is locked")
        write(requests)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(actions._signing, "_write", failing_once)
    return calls


@pytest.mark.parametrize("after_commit", [False, True])
def test_a_failure_while_storing_is_answered_as_the_view_answers_it(
    settings: Any, statement: Statement, monkeypatch: Any, after_commit: bool
) -> None:
    """Never tried again behind the signer's back: the signature may have been stored, and a
    second try would send a second email and count the signer twice against the limits."""
    outcomes = []
    for fast, target, _client in _each_path(settings, statement):
        client = BrowserLikeClient(raise_request_exception=False)
        calls = _failing_write(monkeypatch, after_commit=after_commit)
        response = _post(client, f"/s/{target.slug}/en/sign/")
        assert client.answers == [(500, fast)]
        assert calls == [1]
        outcomes.append((_answer(response, target.slug), _stored(target)))
    assert outcomes[0] == outcomes[1]
    assert Signature.objects.count() == (2 if after_commit else 0)
    assert Job.objects.count() == (2 if after_commit else 0)


@pytest.mark.parametrize(
    "middleware",
    [
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "django.middleware.locale.LocaleMiddleware",
        "django.middleware.security.SecurityMiddleware",
    ],
)
def test_a_middleware_failing_once_stored_is_answered_as_django_answers_it(
    settings: Any, statement: Statement, monkeypatch: Any, middleware: str
) -> None:
    """The signature is stored; the answer is Django's error page, through the middleware
    further out, as Django's own chain gives it, never the server's bare 500."""

    def broken(self: Any, request: Any, response: Any) -> Any:
        raise RuntimeError("a bug in a middleware")

    outcomes = []
    try:
        monkeypatch.setattr(import_string(middleware), "process_response", broken)
        fastpath._chain.cache_clear()
        for fast, target, _client in _each_path(settings, statement):
            client = BrowserLikeClient(raise_request_exception=False)
            response = _post(client, f"/s/{target.slug}/en/sign/")
            assert client.answers == [(500, fast)]
            assert b"<html" in response.content.lower()
            outcomes.append((_answer(response, target.slug), _stored(target)))
    finally:
        monkeypatch.undo()
        fastpath._chain.cache_clear()
    assert outcomes[0] == outcomes[1]
    assert Signature.objects.count() == 2


def test_a_failure_before_storing_goes_to_the_view(
    client: BrowserLikeClient, statement: Statement, monkeypatch: Any, caplog: Any
) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(SignForm, "plain_data", broken)
    with caplog.at_level(logging.WARNING, logger="undersigned.statements.fastpath"):
        response = _post(client)
    _refused(client, response, 302, stored=1)
    assert "The sign fast path failed" in caplog.text
    assert len(client.fast_path_failures) == 1
    client.fast_path_failures.clear()


# How it fits Django ----------------------------------------------------------------------------


def test_its_address_is_the_sign_views() -> None:
    from undersigned.public.views import signing

    pattern = next(
        entry for entry in get_resolver().url_patterns if getattr(entry, "name", "") == "sign"
    )
    assert pattern.callback is signing.sign
    for path in [
        "/s/free-them/en/sign/",
        "/s/free-them/es-419/sign/",
        "/s/a_b-9/zh-Hant-TW/sign/",
        "/s/free-them/e/sign/",
        "/s/free-them/english/sign/",
        "/s/free-them/en/sign",
        "/s/free them/en/sign/",
        "/s/free-them/en/sign/x/",
        "/s/free-them/en/signatories/",
    ]:
        matched = fastpath.SIGN_PATH.fullmatch(path) is not None
        try:
            routed = resolve(path).func is signing.sign
        except Exception:  # noqa: BLE001 - a 404
            routed = False
        assert matched == routed, path


@pytest.mark.parametrize("change", ["not exempt", "atomic requests"])
def test_it_is_off_where_django_would_run_the_view_otherwise(
    settings: Any, monkeypatch: Any, change: str
) -> None:
    from django.db import connections

    from undersigned.public.views import signing

    fastpath._chain.cache_clear()
    assert fastpath._chain(tuple(settings.MIDDLEWARE)) is not None
    fastpath._chain.cache_clear()
    if change == "not exempt":
        monkeypatch.setattr(signing.sign, "csrf_exempt", False)
    else:
        monkeypatch.setitem(connections.databases["default"], "ATOMIC_REQUESTS", True)
    try:
        assert fastpath._chain(tuple(settings.MIDDLEWARE)) is None
    finally:
        fastpath._chain.cache_clear()


@pytest.mark.parametrize("length", ["", "-1", "1.5", "²", "１２"])
def test_a_content_length_not_in_ascii_digits_goes_to_django(length: str) -> None:
    body = io.BytesIO(b"a=b")
    environ = {
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": length,
        "wsgi.input": body,
    }
    assert fastpath._form_body(environ) is None
    assert body.tell() == 0


def test_every_middleware_is_known() -> None:
    """A new middleware must be placed in KNOWN_MIDDLEWARE: what it does to a sign POST."""
    assert set(django_settings.MIDDLEWARE) <= set(fastpath.KNOWN_MIDDLEWARE)


@pytest.mark.django_db(transaction=True)
def test_served_through_wsgi_with_the_requests_signals(statement: Statement) -> None:
    """As granian calls it: the answer's status and headers, request_finished once closed,
    and a POST it does not answer given to Django with its body intact."""
    application = fastpath.SignFastPath(WSGIHandler())
    finished = []

    def on_finished(sender: Any, **kwargs: Any) -> None:
        finished.append(sender)

    def call(body: bytes) -> tuple[str, dict[str, str], bytes]:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": URL,
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "HTTP_HOST": "testserver",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "REMOTE_ADDR": "127.0.0.1",
        }
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]]) -> None:
            answer.update(status=status, headers=dict(headers))

        result = application(environ, start_response)
        content = b"".join(result)
        result.close()  # type: ignore[attr-defined]
        return answer["status"], answer["headers"], content

    request_finished.connect(on_finished)
    try:
        status, headers, content = call(urlencode(sign_data()).encode())
        assert (status, content) == ("302 Found", b"")
        assert headers["Location"] == "/s/free-them/en/check-email/"
        assert headers["Content-Language"] == "en"
        assert headers["Cache-Control"] == "no-store"
        assert "Content-Security-Policy" in headers
        assert finished == [fastpath.SignFastPath]
        status, headers, content = call(urlencode(sign_data(email="bad")).encode())
        assert status.startswith("400")
        assert b"Enter a valid email address." in content
    finally:
        request_finished.disconnect(on_finished)
    assert Signature.objects.count() == 1


def test_a_malformed_csrf_cookie_is_replaced_as_django_would(
    settings: Any, statement: Statement
) -> None:
    cookies = []
    for fast, target, client in _each_path(settings, statement):
        client.cookies[settings.CSRF_COOKIE_NAME] = "not!a!token"
        response = client.post(f"/s/{target.slug}/en/sign/", sign_data(target))
        assert client.answered_fast == (1 if fast else 0)
        cookie = response.cookies.get(settings.CSRF_COOKIE_NAME)
        cookies.append(bool(cookie and re.fullmatch(r"[A-Za-z0-9]{32}", cookie.value)))
    assert cookies == [True, True]
