"""Emails of a kind are rendered once and filled in for each recipient (shown with the signers'
emails, rendered once per statement and language): what arrives must be what rendering each
message whole would have sent."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from undersigned.conftest import SmtpSink, sign_data
from undersigned.jobs.models import Job
from undersigned.mailings import compose, outbox
from undersigned.statements.models import Signature, Statement
from undersigned.statements.queries import forget_all_cached

NAMES = [
    "Ana García",
    "Zoë <script>alert(1)</script> & \"Co\" 'x'",
    "李小龙",
    "نور الهدى",
    "Ana "
    + " ".join(
        compose._placeholder(name, part) for name in ("name", "token") for part in ("text", "html")
    ),
    "x" * 100,
]


def _parse(data: bytes) -> EmailMessage:
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _parts(message: EmailMessage) -> dict[str, Any]:
    """What a reader sees: the headers that say who and what, and each part's decoded text."""
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return {
        "from": str(message["From"]),
        "to": str(message["To"]),
        "subject": str(message["Subject"]),
        # Line ends are the transport's: CRLF on the wire, LF once received.
        "text": text.get_content().replace("\r\n", "\n"),
        "html": html.get_content().replace("\r\n", "\n"),
        "content-type": message.get_content_type(),
    }


def _whole(kind: str, signature: Signature, token: str) -> EmailMessage:
    """The message as rendered whole, without a prepared copy."""
    (email,) = outbox._KINDS[kind].load([{"signature": signature.pk, "token": token}])
    assert email is not None
    return _parse(compose.render(email).message().as_bytes(linesep="\r\n"))


def _sign_and_send(client: Client, smtp_server: SmtpSink, language: str, **data: Any) -> str:
    """Sign, send the queued email, and return the token it carried."""
    response = client.post(f"/s/free-them/{language}/sign/", sign_data(**data))
    assert response.status_code == 302
    token = Job.objects.get().payload["token"]
    call_command("worker", "--once")
    return str(token)


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("name", NAMES)
def test_a_prepared_confirmation_is_the_message_rendered_whole(
    client: Client, statement: Statement, smtp_server: SmtpSink, name: str, language: str
) -> None:
    token = _sign_and_send(client, smtp_server, language, name=name, email="ana@example.net")
    (received,) = smtp_server.messages
    sent = _parse(received.as_bytes())
    signature = Signature.objects.get()
    assert signature.name == name
    assert _parts(sent) == _parts(_whole("confirm_signature", signature, token))
    assert token in _parts(sent)["text"]
    assert smtp_server.envelopes[0].rcpt_tos == ["ana@example.net"]
    assert smtp_server.envelopes[0].mail_from == "noreply@localhost"


def test_already_signed_is_prepared_the_same_way(
    client: Client, statement: Statement, smtp_server: SmtpSink
) -> None:
    _sign_and_send(client, smtp_server, "en", name="Ana <b>García</b>")
    signature = Signature.objects.get()
    signature.state = Signature.State.CONFIRMED
    signature.save()
    token = _sign_and_send(client, smtp_server, "en", name="Ana <b>García</b>")
    sent = _parse(smtp_server.messages[1].as_bytes())
    assert _parts(sent) == _parts(_whole("already_signed", Signature.objects.get(), token))
    assert "Ana &lt;b&gt;García&lt;/b&gt;" in _parts(sent)["html"]


def test_each_prepared_message_has_its_own_id_and_token(
    client: Client, statement: Statement, smtp_server: SmtpSink
) -> None:
    for n in range(3):
        client.post("/s/free-them/en/sign/", sign_data(email=f"p{n}@example.net"))
    tokens = {job.payload["signature"]: job.payload["token"] for job in Job.objects.all()}
    call_command("worker", "--once")
    assert len(smtp_server.messages) == 3
    ids = {message["Message-ID"] for message in smtp_server.messages}
    assert len(ids) == 3 and all(i and i.endswith("@127.0.0.1>") for i in ids)
    for message, envelope in zip(smtp_server.messages, smtp_server.envelopes, strict=True):
        signature = Signature.objects.get(email=envelope.rcpt_tos[0])
        body = _parts(_parse(message.as_bytes()))["text"]
        assert tokens[signature.pk] in body
        assert all(t not in body for pk, t in tokens.items() if pk != signature.pk)


def test_an_address_beyond_ascii_gets_the_message_rendered_whole(
    client: Client, statement: Statement, smtp_server: SmtpSink
) -> None:
    token = _sign_and_send(client, smtp_server, "en", email="ana@bücher.example")
    (received,) = smtp_server.messages
    assert smtp_server.envelopes[0].rcpt_tos == ["ana@xn--bcher-kva.example"]
    expected = _whole("confirm_signature", Signature.objects.get(), token)
    assert _parts(_parse(received.as_bytes()))["text"] == _parts(expected)["text"]


def test_an_edited_title_reaches_the_next_emails(
    client: Client, statement: Statement, smtp_server: SmtpSink
) -> None:
    _sign_and_send(client, smtp_server, "en", email="one@example.net")
    version = statement.versions.get(language="en")
    version.title = "Free them all"
    version.save()
    # The worker's copy of the statement is kept a few seconds; then read again.
    forget_all_cached()
    Job.objects.all().delete()
    _sign_and_send(client, smtp_server, "en", email="two@example.net")
    first, second = (_parts(_parse(m.as_bytes())) for m in smtp_server.messages)
    assert "“Free them” by" in first["text"]
    assert "“Free them all” by" in second["text"]
    assert second["subject"] == "Confirm your signature: Free them all"


@pytest.mark.parametrize("kind", ["confirm_signature", "already_signed"])
@pytest.mark.parametrize("language", ["en", "es"])
def test_signature_emails_are_filled_in_not_rendered_each_time(
    client: Client, statement: Statement, kind: str, language: str
) -> None:
    client.post(f"/s/free-them/{language}/sign/", sign_data(name="Ana García"))
    job = Job.objects.get()
    (email,) = outbox._KINDS[kind].load([job.payload])
    assert email is not None
    assert compose._prepare(email).data is not None
    assert compose._filled(email) is not None


def test_an_update_with_its_unsubscribe_header_is_filled_in_not_rendered_each_time(
    statement: Statement,
) -> None:
    from undersigned.updates.emails import update_email
    from undersigned.updates.models import Update, UpdateVersion

    update = Update.objects.create(statement=statement)
    UpdateVersion.objects.create(update=update, language="es", title="Huelga", body="<p>Sí</p>")
    email = update_email(update, "es", "ana@example.net", "token-of-ana-123", 7)
    prepared = compose._prepare(email)
    assert prepared.data is not None
    sender, data = compose._filled(email) or ("", b"")
    assert b"List-Unsubscribe: <http" in data and b"/u/token-of-ana-123/>" in data
    assert b"Message-ID: <update-" in data and b"-7@" in data


@pytest.mark.parametrize(
    "site_url",
    [
        "http://127.0.0.1:8000",
        "https://firmas.sindicato-de-trabajadores.example.org",
        "https://" + "a" * 40 + ".example.org",
    ],
)
def test_an_update_whose_part_is_encoded_gets_each_recipients_own_link(
    statement: Statement, settings: Any, site_url: str
) -> None:
    """A paragraph longer than a line may be makes a part quoted-printable, which can split a
    placeholder across its soft line breaks: each message must still carry its own token."""
    from undersigned.updates.emails import update_email
    from undersigned.updates.models import Update, UpdateVersion

    settings.SITE_URL = site_url
    update = Update.objects.create(statement=statement)
    body = "<p>" + "Solidaridad con los estudiantes detenidos. " * 40 + "</p>"
    UpdateVersion.objects.create(update=update, language="es", title="Huelga", body=body)
    for n, token in enumerate(("token-of-ana-123456", "token-of-bea-654321")):
        email = update_email(update, "es", f"p{n}@example.net", token, n)
        _sender, data = compose.composed(email)
        parts = _parts(_parse(data))
        for part in ("text", "html"):
            assert f"/u/{token}/" in parts[part]
            assert "PLACEHOLDER" not in parts[part]
