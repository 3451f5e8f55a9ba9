"""Erasure, retention after closing, and hiding a whole signatory list."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from undersigned.audit.models import AuditLog
from undersigned.conftest import make_signature, sign_data
from undersigned.jobs.models import Job
from undersigned.jobs.queue import drain
from undersigned.mailings.models import DemoMail
from undersigned.statements import privacy
from undersigned.statements.actions import confirm_signature, withdraw_signature
from undersigned.statements.models import ConsentRecord, Signature, SignatureToken, Statement
from undersigned.statements.queries import signature_count

# What an anonymous row may still hold; any other column must be back to its default.
_ANONYMOUS_KEEPS = {
    "id",
    "statement_id",
    "language",
    "kind",
    "state",
    "created_at",
    "confirmed_at",
    "approved_at",
    "consent_at",
    "erased_at",
    "email_canonical",
    "display",
}


def _signed_and_confirmed(client: Client, statement: Statement, **overrides: str) -> Signature:
    client.post("/s/free-them/en/sign/", sign_data(**overrides))
    signature = Signature.objects.get(email=overrides.get("email", "ana@example.net"))
    confirm_signature(signature)
    return signature


def _everything_linked_to(signature_id: int) -> dict[str, int]:
    return {
        "tokens": SignatureToken.objects.filter(signature_id=signature_id).count(),
        "jobs": Job.objects.filter(payload__signature=signature_id).count(),
        "consents": ConsentRecord.objects.filter(signature_id=signature_id).count(),
        "audit": AuditLog.objects.filter(object_id=signature_id).count(),
    }


def _with_links(client: Client, statement: Statement) -> Signature:
    """A confirmed organisation's signature with a token, a queued email, a consent record and
    audit rows: something of every kind that points at a person."""
    signature = _signed_and_confirmed(
        client,
        statement,
        kind="organisation",
        organisation_name="Sindicato Unido",
        organisation_role="Secretaria",
        postcode="28001",
        wants_updates="on",
    )
    Signature.objects.filter(pk=signature.pk).update(state=Signature.State.CONFIRMED)
    signature.refresh_from_db()
    privacy.set_updates(signature, False)
    client.post("/s/free-them/en/sign/", sign_data())  # queues an "already signed" email
    assert all(_everything_linked_to(signature.pk).values())
    return signature


def test_erasure_keeping_the_count_leaves_an_anonymous_counted_row(
    client: Client, statement: Statement
) -> None:
    signature = _with_links(client, statement)
    assert signature_count(statement) == 1
    privacy.erase_signers(statement, reason="request")
    row = Signature.objects.values().get()
    for name, value in row.items():
        if name not in _ANONYMOUS_KEEPS:
            field = Signature._meta.get_field(name.removesuffix("_id"))
            assert value == field.get_default(), name
    assert "@" not in row["email_canonical"]
    assert row["display"] == Signature.Display.HIDDEN
    assert row["erased_at"] is not None
    # Rounded to the hour: an exact time could be matched against another record.
    assert row["confirmed_at"].minute == row["confirmed_at"].second == 0
    assert _everything_linked_to(signature.pk) == {
        "tokens": 0,
        "jobs": 0,
        "consents": 0,
        "audit": 0,
    }
    assert signature_count(statement) == 1
    page = client.get("/s/free-them/en/signatories/?kind=organisation").content.decode()
    assert "Sindicato" not in page
    audit = AuditLog.objects.get(action="signatures.erased")
    assert audit.data == {"reason": "request", "deleted": 0, "kept_in_count": 1}


def test_erasure_without_keeping_the_count_deletes_the_row(
    client: Client, statement: Statement
) -> None:
    statement.keep_count_after_erasure = False
    statement.save()
    signature = _with_links(client, statement)
    privacy.erase_signers(statement, reason="request")
    assert not Signature.objects.exists()
    assert signature_count(statement) == 0
    assert _everything_linked_to(signature.pk) == {
        "tokens": 0,
        "jobs": 0,
        "consents": 0,
        "audit": 0,
    }


def test_only_confirmed_signatures_stay_in_the_count(statement: Statement) -> None:
    make_signature(statement, 1)
    for n, state in enumerate(
        (Signature.State.PENDING, Signature.State.AWAITING_APPROVAL, Signature.State.REJECTED), 2
    ):
        make_signature(statement, n, state=state)
    privacy.erase_signers(statement, reason="request")
    assert list(Signature.objects.values_list("state", "name")) == [("confirmed", "")]


def test_withdrawing_deletes_everything_even_where_the_count_is_kept(
    client: Client, statement: Statement, settings: object
) -> None:
    settings.DEMO_MODE = True  # type: ignore[attr-defined]
    settings.EMAIL_BACKEND = "undersigned.mailings.backends.DemoMailboxBackend"  # type: ignore[attr-defined]
    assert statement.keep_count_after_erasure
    signature = _with_links(client, statement)
    drain()
    assert DemoMail.objects.filter(to__contains="ana@example.net").exists()
    withdraw_signature(signature)
    assert not Signature.objects.exists()
    assert signature_count(statement) == 0
    assert _everything_linked_to(signature.pk) == {
        "tokens": 0,
        "jobs": 0,
        "consents": 0,
        "audit": 0,
    }
    assert not DemoMail.objects.exists()
    withdrawn = AuditLog.objects.get(action="signature.withdrawn")
    assert withdrawn.object_id is None and withdrawn.statement == statement


def test_no_audit_row_keeps_a_signers_name_or_email(client: Client, statement: Statement) -> None:
    signature = _with_links(client, statement)
    privacy.change_display(signature, Signature.Display.FULL)
    privacy.hide_signatories(statement)
    withdraw_signature(signature)
    # Every column but the id and the time, whose microseconds could hold "28001" by chance.
    columns = ("actor_id", "action", "statement_id", "object_id", "data")
    text = repr(list(AuditLog.objects.values(*columns)))
    for secret in ("Ana", "ana@example.net", "Sindicato", "Secretaria", "28001"):
        assert secret not in text


def _close(statement: Statement, days_ago: float) -> None:
    with time_machine.travel(timezone.now() - dt.timedelta(days=days_ago)):
        statement.status = Statement.Status.CLOSED
        statement.save()


def test_closing_records_when_and_reopening_clears_it(statement: Statement) -> None:
    assert statement.closed_at is None
    statement.status = Statement.Status.CLOSED
    statement.save(update_fields=("status",))
    statement.refresh_from_db()
    assert statement.closed_at is not None
    statement.status = Statement.Status.OPEN
    statement.save()
    statement.refresh_from_db()
    assert statement.closed_at is None


def test_retention_erases_signers_of_statements_closed_long_enough(
    statement: Statement, settings: object
) -> None:
    settings.RETENTION_DAYS = 180  # type: ignore[attr-defined]
    make_signature(statement, 1)
    make_signature(statement, 2, state=Signature.State.PENDING)
    _close(statement, 179)
    assert privacy.erase_closed() == 0
    assert Signature.objects.filter(name="Person Number1").exists()
    with time_machine.travel(dt.timedelta(days=1, hours=1)):
        assert privacy.erase_closed() == 2
        assert privacy.erase_closed() == 0  # safe to run again
    assert list(Signature.objects.values_list("name", "email")) == [("", "")]
    assert signature_count(statement) == 1


def test_retention_counts_from_a_passed_deadline(statement: Statement, settings: object) -> None:
    settings.RETENTION_DAYS = 30  # type: ignore[attr-defined]
    make_signature(statement, 1)
    deadline = statement.deadline
    assert deadline is not None
    with time_machine.travel(deadline + dt.timedelta(days=29)):
        assert privacy.erase_closed() == 0
    with time_machine.travel(deadline + dt.timedelta(days=31)):
        assert privacy.erase_closed() == 1


def test_retention_leaves_open_and_draft_statements_alone(
    statement: Statement, settings: object
) -> None:
    settings.RETENTION_DAYS = 0  # type: ignore[attr-defined]
    statement.deadline = None
    statement.save()
    make_signature(statement, 1)
    assert privacy.erase_closed() == 0
    statement.status = Statement.Status.DRAFT
    statement.deadline = timezone.now() - dt.timedelta(days=400)
    statement.save()
    assert privacy.erase_closed() == 0
    assert Signature.objects.get().name == "Person Number1"


def test_the_worker_and_the_command_run_retention(statement: Statement, settings: object) -> None:
    settings.RETENTION_DAYS = 180  # type: ignore[attr-defined]
    make_signature(statement, 1)
    _close(statement, 200)
    out = io.StringIO()
    call_command("erase_closed", "--dry-run", stdout=out)
    assert out.getvalue().split() == ["free-them"]
    assert Signature.objects.get().name == "Person Number1"
    call_command("worker", "--once")
    assert Signature.objects.get().name == ""
    out = io.StringIO()
    call_command("erase_closed", stdout=out)
    assert out.getvalue().startswith("0 signatures erased")


def test_retention_erases_in_chunks(
    statement: Statement, settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(privacy, "CHUNK", 2)
    statement.keep_count_after_erasure = False
    statement.save()
    for n in range(5):
        make_signature(statement, n)
    _close(statement, 400)
    assert privacy.erase_closed() == 5
    assert not Signature.objects.exists()


def _public_names(client: Client) -> str:
    return (
        client.get("/s/free-them/en/").content.decode()
        + client.get("/s/free-them/en/signatories/").content.decode()
    )


def test_the_hide_command_hides_every_name_and_keeps_the_count(
    client: Client, statement: Statement
) -> None:
    make_signature(statement, 1)
    make_signature(statement, 2, kind="organisation", organisation_name="Sindicato Unido")
    assert "Person Number1" in _public_names(client)
    out = io.StringIO()
    call_command("hide_signatories", "free-them", stdout=out)
    assert out.getvalue().strip() == "free-them: hidden"
    page = _public_names(client)
    assert "Person Number" not in page and "Sindicato" not in page
    assert signature_count(statement) == 2
    assert "2 signatures in all" in page
    assert AuditLog.objects.filter(action="statement.signatories_hidden").count() == 1
    call_command("hide_signatories", "free-them", stdout=out)  # twice: audited once
    assert AuditLog.objects.filter(action="statement.signatories_hidden").count() == 1
    call_command("hide_signatories", "free-them", "--show", stdout=out)
    assert "Person Number1" in _public_names(client)
    with pytest.raises(CommandError, match="nope"):
        call_command("hide_signatories", "nope")


SECRET_NAME = "Zelda Quillfeather"
SECRET_EMAIL = "zelda.quillfeather@probe.example"


def _signed_in_secret(statement: Statement) -> Signature:
    return _signed_and_confirmed(
        Client(), statement, name=SECRET_NAME, email=SECRET_EMAIL, display="full"
    )


def _worker_after_the_erasures() -> None:
    """The worker, two minutes on: the scrub that follows an erasure is due by then."""
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2), tick=True):
        drain()


def _database_files() -> dict[str, bytes]:
    from pathlib import Path

    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    files = {suffix: Path(name + suffix) for suffix in ("", "-wal", "-shm")}
    return {suffix: path.read_bytes() for suffix, path in files.items() if path.exists()}


@pytest.mark.parametrize("how", ["withdrawn", "erased on request"])
def test_an_erased_signers_bytes_leave_the_sqlite_files(
    transactional_db: None, statement: Statement, how: str
) -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's files are its server's (see the vacuum test)")
    signature = _signed_in_secret(statement)
    # Part of it in the database file already, as the checkpoints of a running site put it.
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
    files = _database_files()
    assert SECRET_NAME.encode() in files[""] + files["-wal"]
    if how == "withdrawn":
        withdraw_signature(signature)
    else:
        privacy.erase_signers(statement, Signature.objects.all(), reason="request")
    _worker_after_the_erasures()
    for suffix, data in _database_files().items():
        lowered = data.lower()
        for secret in (SECRET_NAME, SECRET_EMAIL, "quillfeather"):
            assert secret.lower().encode() not in lowered, (
                f"{secret} in undersigned.sqlite3{suffix}"
            )


def test_the_tables_an_erasure_touched_are_vacuumed_on_postgresql(
    transactional_db: None, statement: Statement
) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite is checkpointed instead (see the test above)")

    def vacuumed() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT relname FROM pg_stat_user_tables WHERE last_vacuum >= %s", [started]
            )
            return {name for (name,) in cursor.fetchall()}

    started = timezone.now()
    withdraw_signature(_signed_in_secret(statement))
    assert "statements_signature" not in vacuumed()
    _worker_after_the_erasures()
    assert {"statements_signature", "updates_follower", "jobs_job"} <= vacuumed()


def test_a_burst_of_erasures_is_scrubbed_once(transactional_db: None, statement: Statement) -> None:
    for n in range(5):
        make_signature(statement, n)
    for signature in Signature.objects.all()[:3]:
        withdraw_signature(signature)
    privacy.erase_signers(statement, reason="request")
    assert Job.objects.filter(kind="jobs.scrub").count() == 1
    _worker_after_the_erasures()
    assert not Job.objects.filter(kind="jobs.scrub").exists()
    # Once it has started, the next erasure is scrubbed by a job of its own.
    withdraw_signature(make_signature(statement, 9))
    assert Job.objects.filter(kind="jobs.scrub").count() == 1
