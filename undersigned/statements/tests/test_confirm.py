from __future__ import annotations

import datetime as dt
import re

import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from undersigned.audit.models import AuditLog
from undersigned.conftest import make_signature, sign_data
from undersigned.jobs.models import Job
from undersigned.jobs.queue import drain
from undersigned.statements.actions import purge_unconfirmed
from undersigned.statements.models import Signature, Statement
from undersigned.statements.queries import signature_count


def _signed_links(client: Client, **overrides: str) -> tuple[str, str]:
    client.post("/s/free-them/es/sign/", sign_data(**overrides))
    drain()
    body = mail.outbox[-1].body
    confirm = re.search(r"http://\S+/confirm/\S+/", body)
    withdraw = re.search(r"http://\S+/withdraw/\S+/", body)
    assert confirm and withdraw
    strip = len("http://127.0.0.1:8000")
    return confirm.group(0)[strip:], withdraw.group(0)[strip:]


def test_opening_the_link_does_not_confirm(client: Client, statement: Statement) -> None:
    confirm, _ = _signed_links(client)
    response = client.get(confirm)
    assert response.status_code == 200
    assert "Confirmar mi firma" in response.content.decode()
    assert Signature.objects.get().state == Signature.State.PENDING
    assert signature_count(statement) == 0


def test_the_button_confirms_and_thanks(client: Client, statement: Statement) -> None:
    confirm, _ = _signed_links(client)
    response = client.post(confirm)
    assert response.status_code == 302
    assert response["Location"] == "/s/free-them/es/thanks/"
    signature = Signature.objects.get()
    assert signature.state == Signature.State.CONFIRMED
    assert signature.confirmed_at is not None
    assert signature_count(statement) == 1
    assert AuditLog.objects.filter(action="signature.confirmed", object_id=signature.pk).exists()


def test_confirming_twice_counts_once(client: Client, statement: Statement) -> None:
    confirm, _ = _signed_links(client)
    client.post(confirm)
    second = client.post(confirm)
    assert second.status_code == 302
    assert signature_count(statement) == 1
    assert AuditLog.objects.filter(action="signature.confirmed").count() == 1


def test_a_confirmed_person_is_listed_as_they_chose(client: Client, statement: Statement) -> None:
    confirm, _ = _signed_links(client, display="initial")
    client.post(confirm)
    page = client.get("/s/free-them/en/").content.decode()
    assert "Ana G." in page
    assert "Ana García" not in page
    assert "ana@example.net" not in page


def test_a_hidden_signer_is_counted_not_listed(client: Client, statement: Statement) -> None:
    confirm, _ = _signed_links(client, display="hidden")
    client.post(confirm)
    page = client.get("/s/free-them/en/signatories/").content.decode()
    assert "Ana" not in page
    assert signature_count(statement) == 1


def test_an_organisation_appears_only_once_approved(
    client: Client, statement: Statement, organiser: object
) -> None:
    from undersigned.statements.actions import review_organisations

    confirm, _ = _signed_links(
        client, kind="organisation", organisation_name="Sindicato Unido", organisation_role="Sec"
    )
    client.post(confirm)
    signature = Signature.objects.get()
    assert signature.state == Signature.State.AWAITING_APPROVAL
    assert "Sindicato Unido" not in client.get("/s/free-them/es/").content.decode()
    assert signature_count(statement) == 0
    assert review_organisations([signature], approve=True, actor=organiser) == 1
    page = client.get("/s/free-them/es/").content.decode()
    assert "Sindicato Unido" in page
    assert signature_count(statement) == 1


def test_withdrawing_removes_from_list_and_count_and_deletes(
    client: Client, statement: Statement
) -> None:
    confirm, withdraw = _signed_links(client, display="full")
    client.post(confirm)
    assert signature_count(statement) == 1
    page = client.get(withdraw)
    assert page.status_code == 200
    assert Signature.objects.count() == 1  # a GET changes nothing
    response = client.post(withdraw)
    assert response["Location"] == "/s/free-them/es/withdrawn/"
    assert Signature.objects.count() == 0
    assert signature_count(statement) == 0
    assert "Ana García" not in client.get("/s/free-them/es/").content.decode()
    assert client.post(withdraw).status_code == 404
    assert client.post(confirm).status_code == 404


def test_a_signer_can_withdraw_from_a_draft_or_closed_statement(
    client: Client, statement: Statement
) -> None:
    confirm, withdraw = _signed_links(client)
    client.post(confirm)
    statement.status = Statement.Status.DRAFT
    statement.save()  # as the admin does, which tells the caches
    assert client.get("/s/free-them/es/").status_code == 404
    assert client.get(withdraw).status_code == 200
    response = client.post(withdraw, follow=True)
    assert response.status_code == 200
    assert "Libertad para ellos" not in response.content.decode()  # a draft's title stays hidden
    assert Signature.objects.count() == 0


def test_withdrawing_a_pending_signature_cancels_its_emails(
    client: Client, statement: Statement
) -> None:
    client.post("/s/free-them/es/sign/", sign_data())
    job = Job.objects.get()
    token = job.payload["token"]
    client.post(f"/s/free-them/withdraw/{token}/")
    assert Job.objects.count() == 0


def test_a_wrong_token_is_a_404(client: Client, statement: Statement) -> None:
    _signed_links(client)
    assert client.get("/s/free-them/confirm/" + "A" * 32 + "/").status_code == 404
    assert client.post("/s/free-them/confirm/" + "A" * 32 + "/").status_code == 404
    assert client.post("/s/free-them/withdraw/" + "A" * 32 + "/").status_code == 404


def test_a_token_of_another_statement_is_a_404(client: Client, statement: Statement) -> None:
    from undersigned.statements.models import StatementVersion

    other = Statement.objects.create(
        organisation=statement.organisation, slug="other", status="open", default_language="en"
    )
    StatementVersion.objects.create(
        statement=other, language="en", title="O", summary="s", body="b"
    )
    confirm, _ = _signed_links(client)
    crossed = confirm.replace("/s/free-them/", "/s/other/")
    assert client.post(crossed).status_code == 404
    assert Signature.objects.get().state == Signature.State.PENDING


def test_unconfirmed_signatures_are_deleted_after_the_set_days(
    client: Client, statement: Statement, settings: object
) -> None:
    settings.UNCONFIRMED_DAYS = 7  # type: ignore[attr-defined]
    client.post("/s/free-them/es/sign/", sign_data(email="old@example.net"))
    confirmed = make_signature(statement, 1, created_at=timezone.now() - dt.timedelta(days=30))
    with time_machine.travel(dt.timedelta(days=6, hours=23)):
        client.post("/s/free-them/es/sign/", sign_data(email="new@example.net"))
    assert Job.objects.count() == 2
    with time_machine.travel(dt.timedelta(days=7, hours=1)):
        call_command("worker", "--once")
    assert list(Signature.objects.order_by("pk").values_list("email", flat=True)) == [
        confirmed.email,
        "new@example.net",
    ]
    assert AuditLog.objects.filter(action="signatures.purged_unconfirmed").get().data == {
        "count": 1
    }


def test_signing_again_restarts_the_time_to_confirm(client: Client, statement: Statement) -> None:

    client.post("/s/free-them/es/sign/", sign_data())
    with time_machine.travel(dt.timedelta(days=6)):
        client.post("/s/free-them/es/sign/", sign_data())
    with time_machine.travel(dt.timedelta(days=8)):
        assert purge_unconfirmed() == 0
    assert Signature.objects.count() == 1
