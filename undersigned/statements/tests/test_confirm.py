from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

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
    # No email; only the scrub of the erased bytes waits (jobs/scrub.py).
    assert list(Job.objects.values_list("kind", flat=True)) == ["jobs.scrub"]


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


# The same mailbox as typed on different days: one signature whatever the spelling.
_SPELLINGS = ("ana.garcia@gmail.com", "AnaGarcia+valmora@gmail.com", "a.n.a.garcia@googlemail.com")
_STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("sign"), st.sampled_from(_SPELLINGS)),
        st.tuples(st.sampled_from(["open", "confirm", "withdraw"]), st.integers(0, 5)),
    ),
    min_size=1,
    max_size=8,
)


@hypothesis_settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=_STEPS)
def test_withdrawing_and_signing_again_stays_consistent(
    client: Client, statement: Statement, steps: list[tuple[str, object]], settings: Any
) -> None:
    from undersigned.statements.queries import forget_all_cached

    # Many examples sign from one client with one address: past the rate limit they would be
    # held, and past the daily email cap get no email, rightly; neither is tested here.
    settings.SIGN_RATE_LIMITS = settings.CLIENT_EMAIL_LIMITS = ""
    settings.EMAILS_PER_ADDRESS_PER_DAY = 10_000
    # Each example starts afresh, beside one other signer who must stay counted throughout.
    Signature.objects.all().delete()
    Job.objects.all().delete()
    forget_all_cached()
    make_signature(statement, 1)
    state: str | None = None  # pending, confirmed, or None when there is no signature
    tokens: list[str] = []  # every link token sent, in order
    live: set[str] = set()  # those that still reach a signature
    for action, arg in steps:
        if action == "sign":
            assert client.post("/s/free-them/es/sign/", sign_data(email=arg)).status_code == 302
            token = Job.objects.latest("pk").payload["token"]
            tokens.append(token)
            if state is None:
                state, live = "pending", set()
            live.add(token)
        elif tokens:
            token = tokens[int(str(arg)) % len(tokens)]
            url = f"/s/free-them/{'withdraw' if action == 'withdraw' else 'confirm'}/{token}/"
            response = client.get(url) if action == "open" else client.post(url)
            if token not in live:
                assert response.status_code == 404
            else:
                assert response.status_code == (200 if action == "open" else 302)
            if token in live and action == "confirm":
                state = "confirmed"
            elif token in live and action == "withdraw":
                state, live = None, set()
        mine = Signature.objects.filter(email_canonical="anagarcia@gmail.com")
        assert mine.count() == (0 if state is None else 1)
        if state is not None:
            assert mine.get().state == state
        assert signature_count(statement) == 1 + (state == "confirmed")


def _other_statement(statement: Statement) -> Statement:
    from undersigned.statements.models import StatementVersion

    other = Statement.objects.create(
        organisation=statement.organisation, slug="other", status="open", default_language="en"
    )
    StatementVersion.objects.create(
        statement=other, language="en", title="O", summary="s", body="b"
    )
    return other


@pytest.mark.parametrize("link", ["confirm", "withdraw"])
@pytest.mark.parametrize(
    "token",
    [
        "A" * 32,  # well formed, never issued
        "A" * 16,
        "-" * 64,
        "_" * 40,
        "A" * 15,  # too short for a token
        "A" * 65,  # too long
        "A" * 31 + "%00",
        "A" * 31 + "%FF",
        "A" * 31 + "%E2%80%AE",  # U+202E
        "A" * 31 + "\u00e9",
        "..%2F..%2Fadmin",
        "A" * 31 + "%0D%0ASet-Cookie:x=1",
        "A" * 2000,
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_invalid_or_unknown_token_is_a_404_and_changes_nothing(
    client: Client, statement: Statement, link: str, token: str, method: str
) -> None:
    _signed_links(client)
    response = getattr(client, method)(f"/s/free-them/{link}/{token}/")
    assert response.status_code == 404
    assert "x" not in response.cookies
    assert Signature.objects.get().state == Signature.State.PENDING


@pytest.mark.parametrize("method", ["put", "patch", "delete", "head", "options"])
def test_other_methods_on_a_link_are_refused_and_change_nothing(
    client: Client, statement: Statement, method: str
) -> None:
    confirm, withdraw = _signed_links(client)
    for url in (confirm, withdraw):
        assert getattr(client, method)(url).status_code == 405
    assert Signature.objects.get().state == Signature.State.PENDING


def test_a_token_of_another_statement_changes_nothing_by_get_or_post(
    client: Client, statement: Statement
) -> None:
    _other_statement(statement)
    confirm, withdraw = _signed_links(client)
    for url in (confirm, withdraw):
        crossed = url.replace("/s/free-them/", "/s/other/")
        assert client.get(crossed).status_code == 404
        assert client.post(crossed).status_code == 404
        assert client.post(url.replace("/s/free-them/", "/s/no-such-statement/")).status_code == 404
    assert Signature.objects.get().state == Signature.State.PENDING
    # The real links still work afterwards.
    assert client.post(confirm).status_code == 302
    assert Signature.objects.get().state == Signature.State.CONFIRMED


def test_a_confirm_link_can_be_opened_many_times_and_stays_pending(
    client: Client, statement: Statement
) -> None:
    confirm, withdraw = _signed_links(client)
    for _ in range(3):
        assert client.get(confirm).status_code == 200
        assert client.get(withdraw).status_code == 200
    assert Signature.objects.get().state == Signature.State.PENDING
    assert signature_count(statement) == 0


def test_an_expired_link_is_a_404(client: Client, statement: Statement, settings: object) -> None:
    settings.UNCONFIRMED_DAYS = 7  # type: ignore[attr-defined]
    confirm, withdraw = _signed_links(client)
    with time_machine.travel(dt.timedelta(days=8)):
        call_command("worker", "--once")
        for url in (confirm, withdraw):
            assert client.get(url).status_code == 404
            assert client.post(url).status_code == 404
    assert not Signature.objects.exists()


def test_every_link_sent_stays_valid_and_a_replayed_confirm_counts_once(
    client: Client, statement: Statement
) -> None:
    first_confirm, first_withdraw = _signed_links(client)
    second_confirm, _ = _signed_links(client)
    assert first_confirm != second_confirm
    assert client.post(first_confirm).status_code == 302
    for url in (second_confirm, first_confirm, second_confirm):
        assert client.post(url).status_code == 302
    assert signature_count(statement) == 1
    assert AuditLog.objects.filter(action="signature.confirmed").count() == 1
    assert client.post(first_withdraw).status_code == 302
    for url in (first_confirm, second_confirm, first_withdraw):
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    assert signature_count(statement) == 0


def test_the_thank_you_page_of_a_person_says_confirmed_and_nothing_of_organisations(
    client: Client, statement: Statement
) -> None:
    confirm, _ = _signed_links(client)
    response = client.post(confirm, follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/s/free-them/es/thanks/"
    assert "Gracias: tu firma está confirmada" in page
    assert "organizacion" not in page.lower()


def test_the_thank_you_page_of_an_organisation_says_it_waits_for_approval(
    client: Client, statement: Statement
) -> None:
    confirm, _ = _signed_links(
        client, kind="organisation", organisation_name="Sindicato Unido", organisation_role="Sec"
    )
    response = client.post(confirm, follow=True)
    assert response.redirect_chain[-1][0] == "/s/free-them/es/thanks/?approval"
    page = client.get("/s/free-them/en/thanks/?approval").content.decode()
    assert "Thank you: your email address is confirmed" in page
    assert "once the statement's organisers have approved it" in page
    assert "your signature is confirmed" not in page


def test_the_thank_you_page_of_a_held_signature_does_not_say_confirmed(
    client: Client, statement: Statement
) -> None:
    confirm, _ = _signed_links(client)
    # Held after its email went out (many signatures from its network, found later).
    Signature.objects.update(hold_reason=Signature.HoldReason.RATE)
    response = client.post(confirm, follow=True)
    assert Signature.objects.get().state == Signature.State.HELD
    assert response.redirect_chain[-1][0] == "/s/free-them/es/thanks/?review"
    page = client.get("/s/free-them/en/thanks/?review").content.decode()
    assert "your signature is confirmed" not in page
    assert "Your signature is counted once the statement's organisers have checked it" in page
    assert signature_count(statement) == 0


def test_the_thank_you_page_of_a_rejected_signature_says_it_is_not_counted(
    client: Client, statement: Statement
) -> None:
    confirm, _ = _signed_links(client)
    client.post(confirm)
    Signature.objects.update(state=Signature.State.REJECTED)
    response = client.post(confirm, follow=True)
    assert response.redirect_chain[-1][0] == "/s/free-them/es/thanks/?rejected"
    page = client.get("/s/free-them/en/thanks/?rejected").content.decode()
    assert "did not accept this signature: it is not counted" in page
    assert "checked it" not in page and "your signature is confirmed" not in page


def test_with_the_list_hidden_the_form_promises_no_listing(
    client: Client, statement: Statement
) -> None:
    assert "You will appear as:" in client.get("/s/free-them/en/").content.decode()
    statement.signatories_hidden = True
    statement.save()
    page = client.get("/s/free-them/en/").content.decode()
    assert "You will appear as:" not in page
    assert "only the count is public" in page
