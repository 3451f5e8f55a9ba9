"""Emailing an update: to each who asked for updates exactly once, in their language, through a
real SMTP server on loopback; one-click unsubscribe; bounces; progress."""

from __future__ import annotations

import datetime as dt
import re
import smtplib
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from undersigned.conftest import SmtpSink, make_signature, text_body
from undersigned.jobs import queue
from undersigned.jobs.queue import drain
from undersigned.mailings import smtp
from undersigned.organisations.models import Organisation
from undersigned.statements.models import ConsentRecord, Signature, Statement, StatementVersion
from undersigned.updates import delivery, recipients
from undersigned.updates.models import Delivery, Follower, Update, UpdateMailing, UpdateVersion

BILINGUAL = {
    "en": ("Strike on Friday", "<p>Meet at noon.</p>"),
    "es": ("Huelga el viernes", "<p>Nos vemos a mediodía.</p>"),
}


def _published(statement: Statement, texts: dict[str, tuple[str, str]] = BILINGUAL) -> Update:
    update = Update.objects.create(statement=statement, published_at=timezone.now())
    for language, (title, body) in texts.items():
        UpdateVersion.objects.create(update=update, language=language, title=title, body=body)
    return update


def _signers(statement: Statement, count: int, **fields: object) -> list[Signature]:
    return [
        make_signature(
            statement,
            n,
            language="es" if n % 2 else "en",
            wants_updates=True,
            email=f"p{n}@example.org",
            email_canonical=f"p{n}@example.org",
            **fields,
        )
        for n in range(count)
    ]


def _follower(statement: Statement, email: str, language: str = "en", **fields: object) -> Follower:
    values: dict[str, object] = {
        "statement": statement,
        "email": email,
        "email_canonical": email,
        "language": language,
        "consent_version": "v",
        "confirmed_at": timezone.now(),
    }
    values.update(fields)
    return Follower.objects.create(**values)


def _recipients(sink: SmtpSink) -> list[str]:
    return sorted(rcpt for envelope in sink.envelopes for rcpt in envelope.rcpt_tos)


def test_each_recipient_gets_it_once_in_their_language(
    smtp_server: SmtpSink, statement: Statement
) -> None:
    _signers(statement, 30)
    make_signature(statement, 100, wants_updates=False)  # did not ask
    make_signature(statement, 101, wants_updates=True, state=Signature.State.PENDING)
    _follower(statement, "follower@example.org", "es")
    _follower(statement, "p3@example.org")  # also signed: one message, not two
    _follower(statement, "gone@example.org", unsubscribed_at=timezone.now())
    _follower(statement, "unconfirmed@example.org", confirmed_at=None)
    update = _published(statement)

    assert recipients.recipient_count(update) == 31
    delivery.request_mailing(update, actor=None)
    drain()

    expected = sorted([f"p{n}@example.org" for n in range(30)] + ["follower@example.org"])
    assert _recipients(smtp_server) == expected
    by_address = {
        envelope.rcpt_tos[0]: message
        for envelope, message in zip(smtp_server.envelopes, smtp_server.messages, strict=True)
    }
    assert by_address["p1@example.org"]["Subject"] == "Huelga el viernes"
    assert "Nos vemos a mediodía." in text_body(by_address["p1@example.org"])
    assert by_address["p2@example.org"]["Subject"] == "Strike on Friday"
    assert by_address["follower@example.org"]["Subject"] == "Huelga el viernes"
    message = by_address["p2@example.org"]
    assert message["To"] == "p2@example.org"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<http://127\.0\.0\.1:8000/u/s\d+:[-\w]+/>", message["List-Unsubscribe"])
    assert message["From"].startswith("Red Estudiantil <")
    # No tracking: nothing to load, and every link is plain.
    html = next(p for p in message.walk() if p.get_content_type() == "text/html")
    page = html.get_payload(decode=True).decode()
    assert "<img" not in page
    assert set(re.findall(r'href="([^"]+)"', page)) == {
        f"http://127.0.0.1:8000/s/free-them/en/updates/{update.pk}/",
        message["List-Unsubscribe"][1:-1],
    }
    # Every message its own id, and every recipient their own link.
    assert len({m["Message-ID"] for m in smtp_server.messages}) == 31
    assert len({m["List-Unsubscribe"] for m in smtp_server.messages}) == 31

    mailing = UpdateMailing.objects.get()
    assert mailing.finished_at is not None
    assert delivery.progress(mailing) == {"queued": 0, "sent": 31, "failed": 0, "skipped": 0}
    # Asking again sends nothing more.
    with pytest.raises(delivery.MailingError):
        delivery.request_mailing(update, actor=None)
    drain()
    assert len(smtp_server.messages) == 31


def test_a_connection_carries_so_many_emails_and_is_closed_once_none_is_due(
    smtp_server: SmtpSink, statement: Statement, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("undersigned.mailings.smtp.MESSAGES_PER_CONNECTION", 2)
    _signers(statement, 25)
    delivery.request_mailing(_published(statement), actor=None)
    drain()
    assert len(smtp_server.messages) == 25
    peers = smtp_server.peers
    assert max(peers.count(peer) for peer in set(peers)) == 2
    # None left open once the mailing is done.
    assert sorted(smtp_server.quits) == sorted(set(peers))


def test_a_draft_is_not_emailed(statement: Statement) -> None:
    update = Update.objects.create(statement=statement)
    with pytest.raises(delivery.MailingError):
        delivery.request_mailing(update, actor=None)
    assert UpdateMailing.objects.count() == 0


def test_one_click_unsubscribe_works_with_a_post_and_no_cookie(
    smtp_server: SmtpSink, statement: Statement
) -> None:
    signer = _signers(statement, 1)[0]
    follower = _follower(statement, "follower@example.org")
    delivery.request_mailing(_published(statement), actor=None)
    drain()
    links = {m["To"]: m["List-Unsubscribe"][1:-1] for m in smtp_server.messages}
    client = Client(enforce_csrf_checks=True)
    for address in ("p0@example.org", "follower@example.org"):
        path = links[address].removeprefix("http://127.0.0.1:8000")
        # Opening the link (a mail scanner) changes nothing.
        assert client.get(path).status_code == 200
        response = client.post(
            path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 200
        assert "You are unsubscribed" in response.content.decode()
    signer.refresh_from_db()
    follower.refresh_from_db()
    assert not signer.wants_updates
    assert follower.unsubscribed_at is not None
    assert ConsentRecord.objects.filter(signature=signer, purpose="updates", given=False).exists()
    # The next update goes to nobody.
    delivery.request_mailing(_published(statement), actor=None)
    drain()
    assert len(smtp_server.messages) == 2


@pytest.mark.parametrize("link", ["signer", "follower"])
def test_unsubscribing_stops_the_updates_to_the_address_that_also_follows(
    smtp_server: SmtpSink, client: Client, statement: Statement, link: str
) -> None:
    # The same person signed (asking for updates) and follows: one email each update, from the
    # signature; an older email's link may name the follower.
    signer = _signers(statement, 1)[0]
    follower = _follower(statement, "p0@example.org")
    delivery.request_mailing(_published(statement), actor=None)
    drain()
    assert _recipients(smtp_server) == ["p0@example.org"]
    token = (
        recipients.unsubscribe_token("s", signer.pk)
        if link == "signer"
        else recipients.unsubscribe_token("f", follower.pk)
    )
    assert client.post(f"/u/{token}/").status_code == 200
    delivery.request_mailing(_published(statement), actor=None)
    drain()
    assert _recipients(smtp_server) == ["p0@example.org"]
    signer.refresh_from_db()
    follower.refresh_from_db()
    assert not signer.wants_updates
    assert follower.unsubscribed_at is not None


def test_the_link_still_unsubscribes_once_the_language_followed_is_gone(
    client: Client, statement: Statement
) -> None:
    signer = make_signature(statement, 1, language="es", wants_updates=True)
    follower = _follower(statement, "follower@example.org", "es")
    # The organisers delete the Spanish version after the email went out.
    statement.versions.filter(language="es").delete()
    for kind, pk in (("s", signer.pk), ("f", follower.pk)):
        path = f"/u/{recipients.unsubscribe_token(kind, pk)}/"
        assert client.get(path).status_code == 200
        response = client.post(path)
        assert response.status_code == 200
        assert "You are unsubscribed" in response.content.decode()
    signer.refresh_from_db()
    follower.refresh_from_db()
    assert not signer.wants_updates
    assert follower.unsubscribed_at is not None


@pytest.mark.parametrize("token", ["nonsense-token", "s1:forged-signature-here", "x1:abcdefghij"])
def test_a_wrong_unsubscribe_link_is_a_neutral_404(
    client: Client, statement: Statement, token: str
) -> None:
    response = client.post(f"/u/{token}/")
    assert response.status_code == 404
    assert "This link is not known here." in response.content.decode()


def test_unsubscribed_erased_or_bounced_since_the_request_are_skipped(
    smtp_server: SmtpSink, statement: Statement
) -> None:
    a, b, c, d = _signers(statement, 4)
    delivery.request_mailing(_published(statement), actor=None)
    drain(max_jobs=1)  # the recipients' rows only
    assert Delivery.objects.filter(state="queued").count() == 4
    Signature.objects.filter(pk=a.pk).update(wants_updates=False)
    Signature.objects.filter(pk=b.pk).update(erased_at=timezone.now())
    recipients.mark_bounced(["P2@Example.org"], "command")
    drain()
    assert _recipients(smtp_server) == ["p3@example.org"]
    assert delivery.progress(UpdateMailing.objects.get()) == {
        "queued": 0,
        "sent": 1,
        "failed": 0,
        "skipped": 3,
    }


def test_a_refused_recipient_fails_and_the_others_go(
    smtp_server: SmtpSink, statement: Statement, monkeypatch: pytest.MonkeyPatch
) -> None:
    _signers(statement, 3)
    real = SmtpSink.handle_DATA

    async def refuse_p1(self: SmtpSink, server: object, session: object, envelope: object) -> str:
        if "p1@example.org" in envelope.rcpt_tos:  # type: ignore[attr-defined]
            return "550 No such user"
        return await real(self, server, session, envelope)

    monkeypatch.setattr(SmtpSink, "handle_DATA", refuse_p1)
    delivery.request_mailing(_published(statement), actor=None)
    drain()
    assert _recipients(smtp_server) == ["p0@example.org", "p2@example.org"]
    failed = Delivery.objects.get(state="failed")
    assert failed.error == "SMTPDataError 550"
    assert UpdateMailing.objects.get().finished_at is not None


@pytest.mark.parametrize(
    ("reply", "state"), [("450 Try again later", "queued"), ("550 No", "failed")]
)
def test_a_recipient_refused_for_now_is_retried_and_for_good_is_not(
    smtp_server: SmtpSink,
    statement: Statement,
    monkeypatch: pytest.MonkeyPatch,
    reply: str,
    state: str,
) -> None:
    _signers(statement, 3)

    async def refuse_p1(
        self: SmtpSink,
        server: object,
        session: object,
        envelope: object,
        address: str,
        options: object,
    ) -> str:
        if address == "p1@example.org":
            return reply
        envelope.rcpt_tos.append(address)  # type: ignore[attr-defined]
        return "250 OK"

    monkeypatch.setattr(SmtpSink, "handle_RCPT", refuse_p1, raising=False)
    delivery.request_mailing(_published(statement), actor=None)
    drain()
    assert _recipients(smtp_server) == ["p0@example.org", "p2@example.org"]
    refused = Delivery.objects.get(signature__email="p1@example.org")
    assert (refused.state, refused.attempts) == (state, 1)


def _stalling_after_load(monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[], None]) -> None:
    """The next worker to take deliveries stalls once it has read its recipients, and
    `meanwhile` happens before it goes on."""
    real = delivery._load
    stalled: list[bool] = []

    def load(deliveries: list[Delivery]) -> object:
        found = real(deliveries)
        if not stalled:
            stalled.append(True)
            meanwhile()
        return found

    monkeypatch.setattr(delivery, "_load", load)


def _another_worker_after_the_lease() -> None:
    later = timezone.now() + delivery._lease() + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=True):
        assert delivery.send_some() == 3


@pytest.mark.parametrize("server", ["accepts", "fails"])
def test_a_worker_whose_lease_ran_out_sends_nothing_another_worker_took(
    smtp_server: SmtpSink, statement: Statement, monkeypatch: pytest.MonkeyPatch, server: str
) -> None:
    _signers(statement, 3)
    delivery.request_mailing(_published(statement), actor=None)
    drain(max_jobs=1)  # the recipients' rows only

    def meanwhile() -> None:
        _another_worker_after_the_lease()
        if server == "fails":
            # The stalled worker's connection breaks: it must not put them back as unsent.
            monkeypatch.setattr(smtp.Client, "begin", _broken)

    _stalling_after_load(monkeypatch, meanwhile)
    delivery.send_some()
    monkeypatch.undo()
    drain()
    assert _recipients(smtp_server) == ["p0@example.org", "p1@example.org", "p2@example.org"]
    assert delivery.progress(UpdateMailing.objects.get())["sent"] == 3


def _broken(*args: object) -> None:
    raise smtplib.SMTPServerDisconnected("gone")


def test_a_worker_whose_lease_ran_out_sends_nothing_twice_without_smtp(
    statement: Statement, monkeypatch: pytest.MonkeyPatch
) -> None:
    _signers(statement, 3)
    delivery.request_mailing(_published(statement), actor=None)
    drain(max_jobs=1)
    _stalling_after_load(monkeypatch, _another_worker_after_the_lease)
    delivery.send_some()
    assert sorted(m.to[0] for m in mail.outbox) == [f"p{n}@example.org" for n in range(3)]


def test_one_erased_while_their_email_is_being_sent_gets_nothing(
    smtp_server: SmtpSink, statement: Statement, monkeypatch: pytest.MonkeyPatch
) -> None:
    from undersigned.statements import privacy

    signers = _signers(statement, 3)
    delivery.request_mailing(_published(statement), actor=None)
    drain(max_jobs=1)
    _stalling_after_load(
        monkeypatch,
        lambda: privacy.withdraw(signers[1]),
    )
    drain()
    assert _recipients(smtp_server) == ["p0@example.org", "p2@example.org"]


def test_one_who_unsubscribes_while_their_email_is_being_sent_gets_nothing(
    smtp_server: SmtpSink, statement: Statement, monkeypatch: pytest.MonkeyPatch
) -> None:
    signers = _signers(statement, 2)
    follower = _follower(statement, "follower@example.org")
    delivery.request_mailing(_published(statement), actor=None)
    drain(max_jobs=1)

    def unsubscribe() -> None:
        client = Client()
        for kind, pk in (("s", signers[1].pk), ("f", follower.pk)):
            client.post(f"/u/{recipients.unsubscribe_token(kind, pk)}/")

    _stalling_after_load(monkeypatch, unsubscribe)
    drain()
    assert _recipients(smtp_server) == ["p0@example.org"]
    assert delivery.progress(UpdateMailing.objects.get()) == {
        "queued": 0,
        "sent": 1,
        "failed": 0,
        "skipped": 2,
    }


def test_the_organisations_rate_limit_paces_the_sending(
    smtp_server: SmtpSink, statement: Statement, settings: object
) -> None:
    settings.UPDATE_EMAILS_PER_MINUTE = 5  # type: ignore[attr-defined]
    _signers(statement, 12)
    delivery.request_mailing(_published(statement), actor=None)
    # At the start of a minute, so the sending cannot straddle two of the limit's windows.
    start = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    with time_machine.travel(start, tick=True):
        drain()
    assert len(smtp_server.messages) == 5
    assert Delivery.objects.filter(state="queued").count() == 7


def test_one_organisation_at_its_rate_limit_does_not_hold_up_another(
    smtp_server: SmtpSink, statement: Statement, settings: object
) -> None:
    settings.UPDATE_EMAILS_PER_MINUTE = 5  # type: ignore[attr-defined]
    other = Statement.objects.create(
        organisation=Organisation.objects.create(name="Otra", slug="otra"),
        slug="other",
        status=Statement.Status.OPEN,
        default_language="en",
    )
    StatementVersion.objects.create(
        statement=other, language="en", title="Other", summary="", body="<p>x</p>", demands=""
    )
    _signers(statement, 12)
    make_signature(other, 50, wants_updates=True)
    make_signature(other, 51, wants_updates=True)
    # The first organisation asked first, for more than its minute allows.
    delivery.request_mailing(_published(statement), actor=None)
    delivery.request_mailing(_published(other, {"en": ("Hi", "<p>x</p>")}), actor=None)
    start = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    with time_machine.travel(start, tick=True):
        drain()
    sent = _recipients(smtp_server)
    assert "p50@example.org" in sent and "p51@example.org" in sent
    assert len(sent) == 7


def test_without_smtp_each_is_sent_in_the_transaction_that_records_it(
    statement: Statement,
) -> None:
    _signers(statement, 3)
    delivery.request_mailing(_published(statement), actor=None)
    drain()
    assert sorted(m.to[0] for m in mail.outbox) == [f"p{n}@example.org" for n in range(3)]
    assert mail.outbox[0].extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.fixture
def mail_server_down(settings: object) -> None:
    """SMTP to a loopback port nothing listens on."""
    from undersigned.conftest import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # type: ignore[attr-defined]
    settings.EMAIL_HOST = "127.0.0.1"  # type: ignore[attr-defined]
    settings.EMAIL_PORT = free_port()  # type: ignore[attr-defined]


def test_while_the_mail_server_is_down_deliveries_wait_for_a_retry(
    statement: Statement, mail_server_down: None
) -> None:
    _signers(statement, 3)
    delivery.request_mailing(_published(statement), actor=None)
    drain()
    rows = list(Delivery.objects.values_list("state", "attempts", "error"))
    assert rows == [("queued", 1, "ConnectionRefusedError")] * 3
    assert Delivery.objects.filter(run_after__gt=timezone.now()).count() == 3
    assert UpdateMailing.objects.get().finished_at is None


def test_an_outage_longer_than_a_few_retries_does_not_fail_the_mailing(
    statement: Statement, mail_server_down: None, settings: Any
) -> None:
    _signers(statement, 2)
    delivery.request_mailing(_published(statement), actor=None)
    drain()  # prepares the mailing; its first try finds no server
    # Past the tries a refusing server gets, the deliveries still wait for the server to return.
    Delivery.objects.update(attempts=settings.JOB_MAX_ATTEMPTS, run_after=timezone.now())
    drain()
    assert set(Delivery.objects.values_list("state", flat=True)) == {"queued"}
    # After about a day without a server they are given up.
    Delivery.objects.update(attempts=queue.UNAVAILABLE_ATTEMPTS - 1, run_after=timezone.now())
    drain()
    assert set(Delivery.objects.values_list("state", flat=True)) == {"failed"}


def test_erasing_a_signer_deletes_the_record_of_what_was_emailed_to_them(
    statement: Statement,
) -> None:
    from undersigned.statements import privacy

    _signers(statement, 2)
    delivery.request_mailing(_published(statement), actor=None)
    drain()
    assert Delivery.objects.count() == 2
    privacy.erase_signers(statement, reason="test")
    assert Delivery.objects.count() == 0
