"""Nothing a signer or an organiser types can add a header or a recipient to an email."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import Message
from email.utils import getaddresses

import pytest
from django.core.management import call_command
from django.test import Client

from undersigned.conftest import SmtpSink, sign_data, text_body
from undersigned.statements.models import Signature, Statement

URL = "/s/free-them/en/sign/"
# What a message of ours carries at the top level; anything else was injected.
HEADERS = {
    "content-type",
    "mime-version",
    "subject",
    "from",
    "to",
    "date",
    "message-id",
    "auto-submitted",
}

INJECTIONS = [
    "Ana\r\nBcc: victim@example.org",
    "Ana\nBcc: victim@example.org",
    "Ana\rTo: victim@example.org",
    "Ana =?utf-8?q?=0D=0ABcc=3A_victim=40example=2Eorg?=",
    "=?utf-8?b?QW5hDQpCY2M6IHZpY3RpbUBleGFtcGxlLm9yZw==?=",
    "Ana%0d%0aBcc:%20victim@example.org",
]


def _headers(message: Message) -> set[str]:
    return {key.lower() for key in message}


def _only_to_the_signer(smtp_server: SmtpSink, address: str) -> Message:
    (message,) = smtp_server.messages
    assert smtp_server.envelopes[0].rcpt_tos == [address]
    assert _headers(message) == HEADERS
    assert getaddresses(message.get_all("To")) == [("", address)]
    assert message.get_all("Bcc") is None and message.get_all("Cc") is None
    return message


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize("field", ["name", "organisation_name", "organisation_role"])
def test_header_injection_through_a_name_is_refused_at_the_form(
    client: Client, statement: Statement, payload: str, field: str
) -> None:
    data = sign_data(kind="organisation", organisation_name="Union", organisation_role="Chair")
    data[field] = payload
    response = client.post(URL, data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Signature.objects.exists()


@pytest.mark.parametrize(
    "name",
    [
        "Ana\r\nX-Injected: 1",
        "Ana\nSubject: Hi",
        "Ana\r\n\r\nA body of my own",
        "Ana\r\n.\r\nMAIL FROM:<x@y>",
        "Ana " * 25,
    ],
)
def test_a_name_with_line_breaks_becomes_one_line_and_adds_no_header(
    client: Client, statement: Statement, smtp_server: SmtpSink, name: str
) -> None:
    assert client.post(URL, sign_data(name=name, email="ana@example.net")).status_code == 302
    stored = Signature.objects.get().name
    assert "\r" not in stored and "\n" not in stored
    call_command("worker", "--once")
    message = _only_to_the_signer(smtp_server, "ana@example.net")
    assert text_body(message).startswith(f"Hello {stored},")


@pytest.mark.parametrize("payload", INJECTIONS + ["Red " * 50])
def test_organiser_text_in_the_subject_and_sender_adds_no_header(
    client: Client, statement: Statement, smtp_server: SmtpSink, payload: str
) -> None:
    # Written straight to the database, as a path without the admin's checks would.
    statement.organisation.name = payload
    statement.organisation.save()
    version = statement.versions.get(language="en")
    version.title = payload[:200]
    version.save()
    client.post(URL, sign_data(email="ana@example.net"))
    call_command("worker", "--once")
    raw = _only_to_the_signer(smtp_server, "ana@example.net")
    # Read as a mail program does: headers unfolded, encoded words decoded.
    message = message_from_bytes(raw.as_bytes(), policy=policy.default)
    (sender,) = message["From"].addresses
    assert sender.addr_spec == "noreply@localhost"
    for decoded in (sender.display_name, str(message["Subject"])):
        assert "\n" not in decoded and "\r" not in decoded


def test_a_subject_is_the_title_as_typed_not_escaped_as_html(
    client: Client, statement: Statement, smtp_server: SmtpSink
) -> None:
    version = statement.versions.get(language="en")
    version.title = "Tom & Jerry's <fund>"
    version.save()
    client.post(URL, sign_data(email="ana@example.net"))
    call_command("worker", "--once")
    message = message_from_bytes(smtp_server.messages[0].as_bytes(), policy=policy.default)
    assert str(message["Subject"]) == "Confirm your signature: Tom & Jerry's <fund>"
