"""Many signers at once, through the group commit, on a real database connection per thread."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from undersigned.jobs.models import Job
from undersigned.statements import actions
from undersigned.statements.models import Signature, SignatureToken, Statement


@pytest.mark.django_db(transaction=True)
def test_concurrent_signers_are_all_stored_once(statement: Statement) -> None:
    emails = [f"person{n}@example.net" for n in range(30)] + ["same@example.net"] * 10
    start = threading.Barrier(len(emails))
    errors: list[BaseException] = []

    def sign(email: str) -> None:
        try:
            start.wait()
            actions.sign(statement, "en", {"name": "Ana García", "email": email})
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign, args=(email,)) for email in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Signature.objects.count() == 31
    assert SignatureToken.objects.count() == 40
    assert Job.objects.filter(kind="mail.confirm_signature").count() == 40
    same = Signature.objects.get(email_canonical="same@example.net")
    assert same.tokens.count() == 10


@pytest.mark.django_db(transaction=True)
def test_signing_a_confirmed_address_in_a_batch_mails_its_owner(statement: Statement) -> None:
    actions.sign(statement, "en", {"name": "Ana", "email": "ana@example.net"})
    Signature.objects.update(state=Signature.State.CONFIRMED)
    Job.objects.all().delete()
    actions._write_signatures(
        [
            actions.SignRequest(
                statement=statement,
                language="es",
                fields={"name": "Otra", "email": "ANA@example.net", "kind": "individual"},
                canonical="ana@example.net",
                token=f"token-{n}-abcdefghijklmnop",
                at=Signature.objects.get().created_at,
            )
            for n in range(2)
        ]
    )
    signature = Signature.objects.get()
    assert signature.name == "Ana"
    assert list(Job.objects.values_list("kind", flat=True)) == ["mail.already_signed"] * 2


@pytest.mark.django_db(transaction=True)
def test_a_conflicting_batch_is_written_again_one_by_one(
    statement: Statement, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import IntegrityError

    actions.sign(statement, "en", {"name": "Ana", "email": "ana@example.net"})
    actions.sign(statement, "en", {"name": "Bea", "email": "bea@example.net"})
    Signature.objects.filter(email="bea@example.net").update(state=Signature.State.CONFIRMED)

    def conflict(requests: object) -> None:
        # What another process inserting the same address meanwhile makes PostgreSQL raise.
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(actions, "_write_batch", conflict)
    for email in ("ana@example.net", "bea@example.net", "cai@example.net"):
        actions.sign(statement, "es", {"name": "Nueva", "email": email})
    names = dict(Signature.objects.values_list("email_canonical", "name"))
    assert names == {
        "ana@example.net": "Nueva",
        "bea@example.net": "Bea",
        "cai@example.net": "Nueva",
    }
    kinds = list(Job.objects.order_by("id").values_list("kind", flat=True))
    assert kinds[2:] == ["mail.confirm_signature", "mail.already_signed", "mail.confirm_signature"]
