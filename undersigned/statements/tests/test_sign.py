from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.test import Client
from django.utils import translation

from undersigned.conftest import sign_data
from undersigned.jobs.models import Job
from undersigned.jobs.queue import drain
from undersigned.lib.tokens import hash_token
from undersigned.statements.forms import CONSENT_VERSION, SignForm
from undersigned.statements.models import Signature, Statement
from undersigned.statements.queries import forget_statements, statement_by_slug

URL = "/s/free-them/es/sign/"


def _sign(client: Client, **overrides: Any) -> Any:
    """Post the sign form URL-encoded, as browsers do."""
    body = urlencode(sign_data(**overrides), doseq=True)
    return client.post(URL, body, content_type="application/x-www-form-urlencoded")


def test_signing_stores_a_pending_signature_and_its_email_job(
    client: Client, statement: Statement
) -> None:
    response = _sign(client, wants_updates="on")
    assert response.status_code == 302
    assert response["Location"] == "/s/free-them/es/check-email/"
    signature = Signature.objects.get()
    assert signature.state == Signature.State.PENDING
    assert signature.language == "es"
    assert signature.email_canonical == "ana@example.net"
    assert signature.wants_updates is True
    assert signature.consent_version == CONSENT_VERSION
    assert signature.consent_at is not None
    job = Job.objects.get()
    assert job.kind == "mail.confirm_signature"
    assert job.payload["signature"] == signature.pk
    assert signature.tokens.get().token_hash == hash_token(job.payload["token"])
    assert len(job.payload["token"]) >= 22  # at least 128 random bits, url-safe base64


def test_updates_are_off_unless_ticked(client: Client, statement: Statement) -> None:
    _sign(client)
    assert Signature.objects.get().wants_updates is False


def test_the_form_offers_updates_unticked_and_asks_consent(
    client: Client, statement: Statement
) -> None:
    page = client.get("/s/free-them/en/").content.decode()
    assert 'name="wants_updates"' in page
    assert 'name="wants_updates" id="id_wants_updates" checked' not in page
    assert "Email me updates from Red Estudiantil" in page
    assert 'name="consent"' in page


def test_nothing_is_sent_from_the_request(client: Client, statement: Statement) -> None:
    _sign(client)
    assert mail.outbox == []
    drain()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ana@example.net"]
    assert Job.objects.count() == 0


def test_the_confirmation_email_is_in_the_signers_language(
    client: Client, statement: Statement
) -> None:
    _sign(client)
    drain()
    message = mail.outbox[0]
    assert "Libertad para ellos" in message.subject
    assert "/s/free-them/confirm/" in message.body
    assert "/s/free-them/withdraw/" in message.body
    html = message.alternatives[0][0]
    assert "/s/free-them/withdraw/" in html
    assert "Red Estudiantil" in message.from_email


def test_consent_is_required(client: Client, statement: Statement) -> None:
    response = _sign(client, consent=None)
    assert response.status_code == 400
    assert Signature.objects.count() == 0
    assert Job.objects.count() == 0


def test_signing_again_looks_the_same_and_mails_the_owner(
    client: Client, statement: Statement
) -> None:
    first = _sign(client)
    signature = Signature.objects.get()
    Signature.objects.filter(pk=signature.pk).update(state=Signature.State.CONFIRMED)
    drain()
    mail.outbox.clear()
    second = _sign(client, email="ANA@example.net", name="Someone Else")
    assert (second.status_code, second["Location"]) == (first.status_code, first["Location"])
    assert Signature.objects.count() == 1
    signature.refresh_from_db()
    assert signature.name == "Ana García"  # a confirmed signature is not rewritten
    drain()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Tu firma ya está registrada: Libertad para ellos"
    assert "/withdraw/" in mail.outbox[0].body


def _token_in(message: Any, kind: str) -> str:
    return str(message.body.split(f"/{kind}/")[1].split("/")[0])


def test_signing_again_while_pending_keeps_the_first_form_and_sends_another_link(
    client: Client, statement: Statement
) -> None:
    _sign(client)
    _sign(client, name="Ana María García", display="full", wants_updates="on", website="x")
    signature = Signature.objects.get()
    # Whoever sends the address again cannot change what its first form recorded.
    assert (signature.name, signature.display, signature.wants_updates, signature.hold_reason) == (
        "Ana García",
        Signature.Display.INITIAL,
        False,
        "",
    )
    _sign(client, name="Ana María García")
    drain()
    assert len(mail.outbox) == 2
    first, second = (_token_in(message, "confirm") for message in mail.outbox)
    assert first != second
    # Either email's link confirms: the older one was not made useless.
    assert client.get(f"/s/free-them/confirm/{first}/").status_code == 200
    assert client.get(f"/s/free-them/confirm/{second}/").status_code == 200


def test_signing_again_cannot_disable_a_signers_withdraw_link(
    client: Client, statement: Statement
) -> None:
    _sign(client)
    drain()
    withdraw = _token_in(mail.outbox[0], "withdraw")
    client.post(f"/s/free-them/confirm/{withdraw}/")
    for _ in range(3):
        _sign(client, name="Someone Else")
    drain()
    assert len(mail.outbox) == 4
    assert client.post(f"/s/free-them/withdraw/{withdraw}/").status_code == 302
    assert Signature.objects.count() == 0


@pytest.mark.parametrize(
    "variant", ["a.n.a+petition@gmail.com", "ANA@googlemail.com", "ana+x@gmail.com"]
)
def test_one_signature_per_canonical_email(
    client: Client, statement: Statement, variant: str
) -> None:
    _sign(client, email="ana@gmail.com")
    _sign(client, email=variant)
    assert Signature.objects.count() == 1


def test_the_database_refuses_a_second_row_for_one_address(statement: Statement) -> None:
    from django.db import IntegrityError, transaction

    fields = {
        "statement": statement,
        "language": "en",
        "name": "A",
        "email": "a@example.org",
        "email_canonical": "a@example.org",
        "consent_version": "x",
        "consent_at": statement.created_at,
    }
    Signature.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Signature.objects.create(**fields)


def test_organisation_signature_needs_the_organisation_name(
    client: Client, statement: Statement
) -> None:
    response = _sign(client, kind="organisation", organisation_name="")
    assert response.status_code == 400
    assert "Escribe el nombre de la organización" in response.content.decode()
    assert Signature.objects.count() == 0


def test_an_individual_keeps_no_organisation_fields(client: Client, statement: Statement) -> None:
    _sign(client, kind="individual", organisation_name="Ignored", organisation_role="Boss")
    signature = Signature.objects.get()
    assert (signature.organisation_name, signature.organisation_role) == ("", "")


def test_errors_appear_next_to_fields_in_the_page_language(
    client: Client, statement: Statement
) -> None:
    response = _sign(client, name="", email="not-an-email")
    assert response.status_code == 400
    page = response.content.decode()
    assert 'lang="es"' in page
    assert "Este campo es obligatorio" in page
    assert "dirección de correo electrónico válida" in page


def test_a_closed_statement_takes_no_signature(client: Client, statement: Statement) -> None:
    Statement.objects.filter(pk=statement.pk).update(status=Statement.Status.CLOSED)
    response = _sign(client)
    assert response.status_code == 409
    assert Signature.objects.count() == 0


def test_statement_without_country_or_organisations(client: Client, statement: Statement) -> None:
    Statement.objects.filter(pk=statement.pk).update(ask_country=False, allow_organisations=False)
    page = client.get("/s/free-them/en/").content.decode()
    assert 'name="country"' not in page
    # The sign form's field (the comment form has one of its own, for the commenter's).
    assert 'id="id_organisation_name"' not in page
    _sign(client, country="XX", kind="organisation", organisation_name="Sneaky")
    signature = Signature.objects.get()
    assert (signature.country, signature.kind) == ("", Signature.Kind.INDIVIDUAL)


def test_the_sign_form_follows_the_statement_once_it_is_read_again(statement: Statement) -> None:
    def fields() -> dict[str, Any]:
        shared = statement_by_slug(statement.slug)
        assert shared is not None
        return SignForm(statement=shared).fields

    with translation.override("en"):
        assert "country" in fields()
        english = str(fields()["consent"].label)
    with translation.override("es"):
        assert str(fields()["consent"].label) != english
    Statement.objects.filter(pk=statement.pk).update(ask_country=False)
    # The shared copy stays a few seconds (queries.STATEMENT_SECONDS), and its form with it.
    assert "country" in fields()
    forget_statements()
    assert "country" not in fields()
    with translation.override("es"):
        assert "country" not in fields()


def test_required_country_and_postcode(client: Client, statement: Statement) -> None:
    Statement.objects.filter(pk=statement.pk).update(require_country=True, ask_postcode=True)
    assert _sign(client, country="").status_code == 400
    assert _sign(client, country="XX").status_code == 400
    assert _sign(client, country="PE", postcode="15001").status_code == 302
    assert Signature.objects.get().postcode == "15001"
