"""Following a statement's updates without signing: the form on the statement's (cached) page,
double opt-in by email, the same consent and anti-abuse rules as signing, and the same answer
whatever the address did before."""

from __future__ import annotations

import datetime as dt
import re
import threading
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from undersigned.audit.models import AuditLog
from undersigned.conftest import (
    SmtpSink,
    follow_data,
    hidden_fields,
    make_signature,
    sign_data,
    text_body,
)
from undersigned.jobs.models import Job
from undersigned.jobs.queue import _PERIODIC, drain
from undersigned.lib.tokens import hash_token, new_token
from undersigned.statements import privacy
from undersigned.statements.forms import FOLLOW_CONSENT_VERSION
from undersigned.statements.models import Statement
from undersigned.updates import actions, delivery, recipients
from undersigned.updates.jobs import purge_unconfirmed_followers
from undersigned.updates.models import Follower, FollowerToken, Update, UpdateVersion

URL = "/s/free-them/en/follow/"
CHECK_EMAIL = "/s/free-them/en/follow/check-email/"


def _follow(client: Client, url: str = URL, **overrides: Any) -> Any:
    return client.post(url, follow_data(**overrides))


def _pending(statement: Statement, email: str, **fields: Any) -> tuple[Follower, str]:
    """A follower waiting for confirmation, and the token of its link."""
    values: dict[str, Any] = {
        "statement": statement,
        "email": email,
        "email_canonical": email,
        "language": "en",
        "consent_version": FOLLOW_CONSENT_VERSION,
    }
    values.update(fields)
    follower = Follower.objects.create(**values)
    token = new_token()
    FollowerToken.objects.create(
        follower=follower, token_hash=hash_token(token), created_at=follower.created_at
    )
    return follower, token


def _published(statement: Statement) -> Update:
    update = Update.objects.create(statement=statement, published_at=timezone.now())
    UpdateVersion.objects.create(
        update=update, language="en", title="Strike on Friday", body="<p>Meet at noon.</p>"
    )
    UpdateVersion.objects.create(
        update=update, language="es", title="Huelga el viernes", body="<p>A mediodía.</p>"
    )
    return update


def _confirm_link(message: Any) -> str:
    body = text_body(message) if not isinstance(message, mail.EmailMessage) else message.body
    found = re.search(r"http://[^/\s]+(/s/free-them/follow/confirm/[-\w]+/)", body)
    assert found is not None, body
    return found.group(1)


# The form


def test_the_form_is_on_open_closed_and_paused_statements(
    client: Client, statement: Statement
) -> None:
    page = client.get("/s/free-them/es/").content.decode()
    form = page[page.index('id="follow"') :]
    assert 'action="/s/free-them/es/follow/"' in form
    assert 'name="form_token"' in form and 'name="website"' in form
    # The statement's language versions, the page's chosen.
    assert '<option value="es" selected>español (es)</option>' in form
    assert '<option value="en">English (en)</option>' in form
    assert (
        "I agree that Red Estudiantil keeps my email address"
        in client.get("/s/free-them/en/").content.decode()
    )
    statement.signing_paused = True
    statement.save()
    assert 'id="follow"' in client.get("/s/free-them/en/").content.decode()
    statement.status = Statement.Status.CLOSED
    statement.save()
    page = client.get("/s/free-them/en/").content.decode()
    assert 'id="follow"' in page and 'id="sign"' not in page


def test_a_draft_has_no_form_and_cannot_be_followed(
    organiser_client: Client, statement: Statement
) -> None:
    statement.status = Statement.Status.DRAFT
    statement.save()
    page = organiser_client.get("/s/free-them/en/")
    assert page.status_code == 200
    assert 'id="follow"' not in page.content.decode()
    assert _follow(organiser_client).status_code == 404
    assert _follow(Client()).status_code == 404
    assert not Follower.objects.exists()


def test_one_version_needs_no_language_choice(client: Client, statement: Statement) -> None:
    statement.versions.filter(language="es").delete()
    page = client.get("/s/free-them/en/").content.decode()
    assert '<input type="hidden" name="language" value="en"' in page
    assert _follow(client).status_code == 302


def test_following_stores_a_pending_follower_and_queues_its_email(
    client: Client, statement: Statement
) -> None:
    response = _follow(client, "/s/free-them/es/follow/", email="Flor@Example.net", language="es")
    assert response.status_code == 302
    assert response["Location"] == "/s/free-them/es/follow/check-email/"
    follower = Follower.objects.get()
    assert follower.email == "Flor@Example.net"
    assert follower.email_canonical == "flor@example.net"
    assert follower.language == "es"
    assert follower.consent_version == FOLLOW_CONSENT_VERSION
    assert follower.consent_at is not None
    assert follower.confirmed_at is None and follower.unsubscribed_at is None
    job = Job.objects.get()
    assert job.kind == "mail.confirm_follower"
    assert job.payload["follower"] == follower.pk
    assert follower.tokens.get().token_hash == hash_token(job.payload["token"])
    # Nothing is sent from the request.
    assert mail.outbox == []
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Libertad para ellos" in page.content.decode()


def test_the_language_chosen_is_the_emails(client: Client, statement: Statement) -> None:
    _follow(client, language="es")
    drain()
    (message,) = mail.outbox
    assert message.to == ["flor@example.net"]
    assert "Libertad para ellos" in message.subject
    assert "Libertad para ellos" in message.body
    html = message.alternatives[0][0]
    assert '<html lang="es">' in html
    assert _confirm_link(message)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"consent": None}, "consent"),
        ({"email": "not-an-address"}, "email"),
        # 254 characters as typed, longer once the domain is written in IDNA.
        ({"email": "a" * 230 + "@" + "ñ" * 19 + ".com"}, "email"),
        ({"language": "fr"}, "language"),
        ({"email": "flor\x00@example.net"}, "email"),
    ],
)
def test_bad_input_is_a_clear_error_and_stores_nothing(
    client: Client, statement: Statement, overrides: dict[str, Any], field: str
) -> None:
    response = _follow(client, **overrides)
    assert response.status_code == 400
    page = response.content.decode()
    form = page[page.index('id="follow"') :]
    assert "Please correct the fields marked below." in form
    if field == "consent":
        assert re.search(
            r'<div class="field checkbox invalid">\s*<label><input[^>]*id="follow-consent"', form
        )
    else:
        assert re.search(rf'<div class="field invalid">\s*<label for="follow-{field}"', form)
    assert not Follower.objects.exists() and not Job.objects.exists()


def test_an_old_page_asks_to_press_follow_again(client: Client, statement: Statement) -> None:
    from undersigned.lib.formtoken import MAX_AGE_SECONDS, issue

    old = issue(statement.pk, at=timezone.now().timestamp() - MAX_AGE_SECONDS - 60)
    response = _follow(client, form_token=old)
    assert response.status_code == 400
    page = response.content.decode()
    assert "press Follow again" in page
    # What was typed is kept, with a fresh token to send it again.
    assert 'value="flor@example.net"' in page
    fresh = hidden_fields(page, "follow")["form_token"]
    assert _follow(client, form_token=fresh).status_code == 302
    assert Follower.objects.count() == 1


def test_a_missing_or_forged_token_or_another_origin_is_refused(
    client: Client, statement: Statement
) -> None:
    assert _follow(client, form_token=None).status_code == 403
    assert _follow(client, form_token="forged").status_code == 403
    other = Client(HTTP_ORIGIN="https://evil.example")
    response = _follow(other)
    assert response.status_code == 403
    assert "could not be accepted" in response.content.decode()
    assert not Follower.objects.exists()


# No enumeration


def _seen(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    return response.status_code, sorted(response.headers.items()), response.content


def test_following_looks_the_same_whatever_the_address_did_before(
    statement: Statement,
) -> None:
    _pending(statement, "pending@example.net")
    _pending(statement, "confirmed@example.net", confirmed_at=timezone.now())
    _pending(
        statement,
        "unsubscribed@example.net",
        confirmed_at=timezone.now(),
        unsubscribed_at=timezone.now(),
    )
    # One who signed the statement is no follower: also the same.
    make_signature(statement, 1, email="signed@example.net", email_canonical="signed@example.net")
    seen = {}
    for kind in ("new", "pending", "confirmed", "unsubscribed", "signed"):
        client = Client()
        answer = _follow(client, email=f"{kind}@example.net")
        following = client.get(answer["Location"])
        seen[kind] = (_seen(answer), _seen(following))
    for kind in ("pending", "confirmed", "unsubscribed", "signed"):
        assert seen[kind] == seen["new"], kind
    # Behind the same answer: a confirmed follower is left as it is and gets nothing; the
    # others wait for confirmation, each with a new link.
    state = {
        follower.email: (follower.confirmed_at is not None, follower.unsubscribed_at is not None)
        for follower in Follower.objects.all()
    }
    assert state == {
        "new@example.net": (False, False),
        "pending@example.net": (False, False),
        "confirmed@example.net": (True, False),
        "unsubscribed@example.net": (False, False),
        "signed@example.net": (False, False),
    }
    mailed = Follower.objects.filter(pk__in=[job.payload["follower"] for job in Job.objects.all()])
    assert sorted(mailed.values_list("email", flat=True)) == [
        "new@example.net",
        "pending@example.net",
        "signed@example.net",
        "unsubscribed@example.net",
    ]


def test_the_honeypot_stores_and_sends_nothing_and_looks_the_same(
    client: Client, statement: Statement
) -> None:
    person = _follow(Client(), email="person@example.net")
    robot = _follow(client, email="robot@example.net", website="http://spam.example")
    assert _seen(robot) == _seen(person)
    assert list(Follower.objects.values_list("email", flat=True)) == ["person@example.net"]
    assert Job.objects.count() == 1


# Caps and limits


def test_the_address_daily_cap_counts_signing_and_following_and_is_silent(
    midday: dt.datetime, statement: Statement, settings: Any
) -> None:
    settings.EMAILS_PER_ADDRESS_PER_DAY = 3
    client = Client()
    signed = client.post("/s/free-them/en/sign/", sign_data(email="flor@example.net"))
    assert signed.status_code == 302
    answers = [_seen(_follow(Client())) for _ in range(4)]
    assert len(set(map(repr, answers))) == 1
    # One for the signature, two for following; then nothing more is queued.
    kinds = sorted(Job.objects.values_list("kind", flat=True))
    assert kinds == ["mail.confirm_follower"] * 2 + ["mail.confirm_signature"]
    assert FollowerToken.objects.count() == 2


def test_past_the_sign_rate_limits_nothing_is_stored_or_sent(
    midday: dt.datetime, statement: Statement, settings: Any
) -> None:
    settings.SIGN_RATE_LIMITS = "3/60"  # a window from the minute's start: far from it at noon
    client = Client()
    # Signing and following count against the same limits, per client and statement.
    assert client.post("/s/free-them/en/sign/", sign_data()).status_code == 302
    answers = [_follow(client, email=f"p{n}@example.net") for n in range(4)]
    assert {(answer.status_code, answer["Location"]) for answer in answers} == {(302, CHECK_EMAIL)}
    assert sorted(Follower.objects.values_list("email", flat=True)) == [
        "p0@example.net",
        "p1@example.net",
    ]
    assert Job.objects.filter(kind="mail.confirm_follower").count() == 2


def test_following_from_one_ipv6_network_counts_as_one_client(
    midday: dt.datetime, statement: Statement, settings: Any
) -> None:
    settings.SIGN_RATE_LIMITS = "2/60"
    for n in range(4):
        _follow(Client(REMOTE_ADDR=f"2001:db8:7:8::{n + 1:x}"), email=f"p{n}@example.net")
    assert Follower.objects.count() == 2


# Confirming


def test_the_link_opens_a_page_and_only_its_post_confirms(statement: Statement) -> None:
    follower, token = _pending(statement, "flor@example.net", language="es")
    url = f"/s/free-them/follow/confirm/{token}/"
    client = Client(enforce_csrf_checks=True)
    page = client.get(url)
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    assert "Libertad para ellos" in page.content.decode()
    assert page.content.decode().count('type="submit"') == 1
    assert client.head(url).status_code == 200
    follower.refresh_from_db()
    assert follower.confirmed_at is None
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert csrf is not None
    # Without the page's CSRF token, refused.
    assert Client(enforce_csrf_checks=True).post(url).status_code == 403
    response = client.post(url, {"csrfmiddlewaretoken": csrf.group(1)})
    assert response.status_code == 302
    assert response["Location"] == "/s/free-them/es/follow/confirmed/"
    follower.refresh_from_db()
    assert follower.confirmed_at is not None
    assert client.get(response["Location"]).status_code == 200
    # The link is spent: used again, it does nothing and says so neutrally.
    again = client.post(url, {"csrfmiddlewaretoken": csrf.group(1)})
    assert again.status_code == 404
    assert "This link does not work" in again.content.decode()
    assert AuditLog.objects.filter(action="follower.confirmed", object_id=follower.pk).count() == 1
    assert not FollowerToken.objects.exists()


def test_unknown_expired_and_other_statements_links_get_a_neutral_page(
    client: Client, statement: Statement, settings: Any
) -> None:
    settings.UNCONFIRMED_DAYS = 7
    _follower, token = _pending(statement, "flor@example.net")
    Statement.objects.create(
        organisation=statement.organisation, slug="other", status=Statement.Status.OPEN
    )
    urls = [
        "/s/free-them/follow/confirm/a-token-nobody-was-ever-sent-xx/",
        f"/s/other/follow/confirm/{token}/",
        f"/s/nowhere/follow/confirm/{token}/",
    ]
    for url in urls:
        for response in (client.get(url), client.post(url)):
            assert response.status_code == 404, url
            assert "This link does not work" in response.content.decode()
    with time_machine.travel(timezone.now() + dt.timedelta(days=7, minutes=1)):
        expired = client.get(f"/s/free-them/follow/confirm/{token}/")
    assert expired.status_code == 404
    assert "This link does not work" in expired.content.decode()
    assert client.get(f"/s/free-them/follow/confirm/{token}/").status_code == 200


def test_asking_again_keeps_earlier_links_working(client: Client, statement: Statement) -> None:
    _follow(client)
    _follow(client)
    drain()
    first, second = (_confirm_link(message) for message in mail.outbox)
    assert first != second
    assert client.get(first).status_code == 200
    assert client.post(first).status_code == 302
    # Confirmed: every link of the follower is spent.
    assert client.get(second).status_code == 404


# The whole flow, through a real SMTP server


def test_follow_confirm_and_receive_an_update_by_email(
    smtp_server: SmtpSink, statement: Statement
) -> None:
    browser = Client()
    page = browser.get("/s/free-them/es/").content.decode()
    data = follow_data(email="flor@example.net", language="es") | hidden_fields(page, "follow")
    answer = browser.post("/s/free-them/es/follow/", data)
    assert answer["Location"] == "/s/free-them/es/follow/check-email/"

    assert drain() == 1
    (message,) = smtp_server.messages
    assert message["To"] == "flor@example.net"
    assert message["From"].startswith("Red Estudiantil <")
    link = _confirm_link(message)
    assert browser.get(link).status_code == 200
    assert Follower.objects.get().confirmed_at is None  # a mail scanner opening it does nothing
    assert browser.post(link).status_code == 302
    follower = Follower.objects.get()
    assert follower.confirmed_at is not None

    update = _published(statement)
    assert recipients.recipient_count(update) == 1
    delivery.request_mailing(update, actor=None)
    drain()
    news = smtp_server.messages[1:]
    assert [m["To"] for m in news] == ["flor@example.net"]
    assert news[0]["Subject"] == "Huelga el viernes"
    assert "A mediodía." in text_body(news[0])
    assert news[0]["List-Unsubscribe"]


def test_refollowing_after_unsubscribing_needs_confirming_again(
    smtp_server: SmtpSink, statement: Statement
) -> None:
    client = Client()
    _follow(client)
    drain()
    client.post(_confirm_link(smtp_server.messages[0]))
    follower = Follower.objects.get()
    assert client.post(f"/u/{recipients.unsubscribe_token('f', follower.pk)}/").status_code == 200
    follower.refresh_from_db()
    assert follower.unsubscribed_at is not None

    _follow(client)
    follower.refresh_from_db()
    assert follower.confirmed_at is None and follower.unsubscribed_at is None
    # Until confirmed again, no update is emailed to it.
    first = _published(statement)
    assert recipients.recipient_count(first) == 0
    delivery.request_mailing(first, actor=None)
    drain()
    assert [m["To"] for m in smtp_server.messages] == ["flor@example.net"] * 2
    assert "follow/confirm/" in text_body(smtp_server.messages[1])

    client.post(_confirm_link(smtp_server.messages[1]))
    second = _published(statement)
    delivery.request_mailing(second, actor=None)
    drain()
    assert len(smtp_server.messages) == 3
    assert smtp_server.messages[2]["Subject"] == "Strike on Friday"
    actions_done = list(
        AuditLog.objects.filter(object_id=follower.pk, action__startswith="follower.")
        .order_by("at", "pk")
        .values_list("action", flat=True)
    )
    assert actions_done == ["follower.confirmed", "follower.unsubscribed", "follower.confirmed"]


def test_a_stale_confirmation_job_sends_nothing(
    smtp_server: SmtpSink, statement: Statement
) -> None:
    client = Client()
    _follow(client)
    Follower.objects.update(confirmed_at=timezone.now())
    assert drain() == 1
    assert smtp_server.messages == []


# Housekeeping and erasure


def test_unconfirmed_followers_are_purged_after_unconfirmed_days(
    client: Client, statement: Statement, settings: Any
) -> None:
    settings.UNCONFIRMED_DAYS = 7
    _follow(client, email="old@example.net")
    old = Follower.objects.get()
    confirmed, _token = _pending(statement, "confirmed@example.net", confirmed_at=timezone.now())
    with time_machine.travel(timezone.now() + dt.timedelta(days=6)):
        _follow(Client(), email="recent@example.net")
    with time_machine.travel(timezone.now() + dt.timedelta(days=7, hours=1)):
        assert (60 * 10, purge_unconfirmed_followers) in [
            (seconds, func) for seconds, func in _PERIODIC
        ]
        purge_unconfirmed_followers()
    assert sorted(Follower.objects.values_list("email", flat=True)) == [
        "confirmed@example.net",
        "recent@example.net",
    ]
    assert not FollowerToken.objects.filter(follower=old.pk).exists()
    assert not Job.objects.filter(payload__follower=old.pk).exists()
    purged = AuditLog.objects.get(action="followers.purged_unconfirmed")
    assert purged.data == {"count": 1}
    assert Follower.objects.filter(pk=confirmed.pk).exists()


def test_retention_erases_followers_with_the_signers(
    client: Client, statement: Statement, settings: Any
) -> None:
    settings.RETENTION_DAYS = 30
    make_signature(statement, 1)
    _follow(client, email="pending@example.net")
    follower, _token = _pending(statement, "flor@example.net", confirmed_at=timezone.now())
    actions.unsubscribe_follower(follower)
    _pending(statement, "following@example.net", confirmed_at=timezone.now())
    # Another statement's followers stay.
    other = Statement.objects.create(
        organisation=statement.organisation, slug="other", status=Statement.Status.OPEN
    )
    _pending(other, "elsewhere@example.net", confirmed_at=timezone.now())
    statement.status = Statement.Status.CLOSED
    statement.save()
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        assert [s.slug for s in privacy.statements_due_for_erasure()] == ["free-them"]
        assert privacy.erase_closed() == 1
        assert list(privacy.statements_due_for_erasure()) == []
    assert list(Follower.objects.values_list("email", flat=True)) == ["elsewhere@example.net"]
    assert not Job.objects.filter(kind="mail.confirm_follower").exists()
    assert FollowerToken.objects.filter(follower__statement=statement).count() == 0
    erased = AuditLog.objects.get(action="followers.erased")
    assert erased.data == {"reason": "retention", "deleted": 3}
    # The audit log keeps what was done, no longer to which row.
    assert AuditLog.objects.get(action="follower.unsubscribed").object_id is None
    assert "@" not in repr(list(AuditLog.objects.values()))


def test_a_statement_with_followers_only_is_erased_too(statement: Statement, settings: Any) -> None:
    settings.RETENTION_DAYS = 30
    _pending(statement, "flor@example.net", confirmed_at=timezone.now())
    statement.status = Statement.Status.CLOSED
    statement.save()
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        assert privacy.erase_closed() == 0
    assert not Follower.objects.exists()


def test_erasing_some_signers_leaves_the_followers(statement: Statement) -> None:
    from undersigned.statements.models import Signature

    signature = make_signature(statement, 1)
    _pending(statement, "flor@example.net", confirmed_at=timezone.now())
    privacy.erase_signers(statement, Signature.objects.filter(pk=signature.pk), reason="request")
    assert Follower.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_address_following_ten_times_at_once_makes_one_follower(
    statement: Statement, settings: Any
) -> None:
    settings.EMAILS_PER_ADDRESS_PER_DAY = 100
    start = threading.Barrier(10)
    errors: list[BaseException] = []

    def follow() -> None:
        try:
            start.wait()
            actions.follow(statement, "en", "Flor@example.net")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=follow) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    follower = Follower.objects.get()
    assert follower.tokens.count() == 10
    assert Job.objects.filter(kind="mail.confirm_follower").count() == 10


# The cached page


def test_the_form_on_the_cached_page_works_for_two_different_browsers(
    statement: Statement, still_page_store: float
) -> None:
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    page = first.get("/s/free-them/en/")
    with CaptureQueriesContext(connection) as queries:
        cached = second.get("/s/free-them/en/")
    # The same bytes, from the page store: nothing in them is anyone's own.
    assert len(queries) == 0 and cached.content == page.content
    assert cached["Cache-Control"].startswith("public")
    assert not page.cookies and not cached.cookies
    for client, response, email in ((first, page, "ana@example.net"), (second, cached, "bo@x.org")):
        fields = hidden_fields(response.content.decode(), "follow")
        answer = client.post(
            URL, follow_data(email=email) | fields, HTTP_ORIGIN="http://testserver"
        )
        assert answer.status_code == 302, answer.content.decode()
    assert sorted(Follower.objects.values_list("email", flat=True)) == [
        "ana@example.net",
        "bo@x.org",
    ]
    assert Job.objects.filter(kind="mail.confirm_follower").count() == 2


def test_the_statement_page_still_makes_a_fixed_number_of_queries(
    client: Client, statement: Statement
) -> None:
    with CaptureQueriesContext(connection) as queries:
        client.get("/s/free-them/en/")
    # The statement, read with what is shown beside it (updates, events, funds, the comment
    # policy), is cached; the comments (the threads, their replies) are read with each render.
    assert len(queries) <= 13


# The dashboard


def test_the_updates_page_counts_the_followers_still_following(
    viewer_client: Client, statement: Statement
) -> None:
    page = viewer_client.get("/dashboard/s/free-them/updates/").content.decode()
    assert "0 people follow the updates without signing" in page
    _pending(statement, "a@example.net", confirmed_at=timezone.now())
    _pending(statement, "b@example.net", confirmed_at=timezone.now())
    _pending(statement, "pending@example.net")
    _pending(
        statement,
        "gone@example.net",
        confirmed_at=timezone.now(),
        unsubscribed_at=timezone.now(),
    )
    page = viewer_client.get("/dashboard/s/free-them/updates/").content.decode()
    assert "2 people follow the updates without signing" in page
    assert "@example.net" not in page
