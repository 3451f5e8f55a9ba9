"""Many requests at once: signers through the group commit on a connection per thread, and
signers and confirmations through the production web server's processes.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from undersigned.audit.models import AuditLog
from undersigned.conftest import (
    Response,
    WebServer,
    against_a_held_lock,
    cookies_of,
    hidden_fields,
    http,
    make_signature,
    sign_data,
)
from undersigned.jobs.models import Job
from undersigned.jobs.queue import drain
from undersigned.lib.tokens import hash_token, new_token
from undersigned.statements import actions, store
from undersigned.statements.models import Signature, SignatureToken, Statement
from undersigned.statements.queries import signature_count


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
    store._write_signatures(
        [
            store.SignRequest(
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
    # Two jobs as for any address: the worker tells the owner (statements.emails).
    assert [(job.kind, job.payload["new"], job.payload["held"]) for job in Job.objects.all()] == [
        ("mail.confirm_signature", False, False)
    ] * 2
    drain()
    assert [message.to for message in mail.outbox] == [["ana@example.net"]] * 2
    assert all("/confirm/" not in message.body for message in mail.outbox)


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_batches_of_the_same_addresses_in_opposite_orders_are_no_deadlock(
    statement: Statement,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's writers take turns under one lock")

    def request(email: str) -> store.SignRequest:
        return store.SignRequest(
            statement=statement,
            language="en",
            fields={"name": "Ana", "email": email, "kind": "individual"},
            canonical=email,
            token=new_token(),
            at=timezone.now(),
        )

    # Made first: the first request of a day creates the day's hashing key.
    x, y, later_y, later_x = (request(f"{name}@example.net") for name in "xyyx")
    errors = against_a_held_lock(
        lambda: store._write_batch([x]),
        lambda: store._write_batch([y]),
        lambda: store._write_signatures([later_y, later_x]),
    )
    assert errors == []
    assert sorted(Signature.objects.values_list("email", flat=True)) == [
        "x@example.net",
        "y@example.net",
    ]
    assert SignatureToken.objects.count() == 4


# Through the production web server (granian, two processes), each request on a connection of
# its own, all released at once: what many visitors, or one double-clicking, do.


def _at_once(count: int, request: Callable[[int], Response]) -> list[Response]:
    start = threading.Barrier(count)
    results: list[Response | BaseException | None] = [None] * count

    def run(n: int) -> None:
        start.wait()
        try:
            results[n] = request(n)
        except BaseException as error:  # noqa: BLE001 - reported below
            results[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r for r in results if not isinstance(r, Response)] == []
    return [r for r in results if isinstance(r, Response)]


def _seen(response: Response) -> tuple[int, list[tuple[str, str]], str]:
    """What a visitor sees of a response, less what differs per request anyway: the date and
    the tokens and cookie values made for each visitor."""
    headers = sorted(
        (name.lower(), re.sub(r"=[^;]*", "=…", value) if name.lower() == "set-cookie" else value)
        for name, value in response.headers
        if name.lower() != "date"
    )
    body = re.sub(
        r'(name="(?:csrfmiddlewaretoken|form_token)" value=)"[^"]*"', r"\1…", response.text
    )
    return response.status, headers, body


def _sign_form(
    server: WebServer, statement: Statement, email: str
) -> tuple[dict[str, str], dict[str, str]]:
    """The sign form as a new visitor fills it in, and the cookies the page gave them."""
    page = http("GET", f"{server.url}/s/{statement.slug}/en/")
    assert page.status == 200
    data = sign_data(statement, email=email) | hidden_fields(page.text, "sign")
    cookies = "; ".join(f"{k}={v}" for k, v in cookies_of(page).items())
    return data, ({"Cookie": cookies} if cookies else {})


@pytest.mark.django_db(transaction=True)
def test_one_confirmation_link_posted_50_times_at_once_confirms_and_counts_once(
    web_server: WebServer, own_statement: Statement
) -> None:
    signature = make_signature(own_statement, 1, state=Signature.State.PENDING, confirmed_at=None)
    token = new_token()
    SignatureToken.objects.create(signature=signature, token_hash=hash_token(token))
    url = f"{web_server.url}/s/{own_statement.slug}/confirm/{token}/"
    page = http("GET", url)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert page.status == 200 and csrf
    cookie = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies_of(page).items())}
    responses = _at_once(
        50, lambda n: http("POST", url, {"csrfmiddlewaretoken": csrf.group(1)}, cookie)
    )
    thanks = f"/s/{own_statement.slug}/en/thanks/"
    assert {(r.status, r.header("Location")) for r in responses} == {(302, thanks)}
    signature.refresh_from_db()
    assert signature.state == Signature.State.CONFIRMED
    assert (
        AuditLog.objects.filter(action="signature.confirmed", object_id=signature.pk).count() == 1
    )
    assert signature_count(own_statement) == 1
    count = http("GET", f"{web_server.url}/s/{own_statement.slug}/count.json")
    assert json.loads(count.body)["count"] == 1


@pytest.mark.django_db(transaction=True)
def test_one_address_signing_20_times_at_once_makes_one_row_and_20_identical_answers(
    web_server: WebServer, own_statement: Statement
) -> None:
    url = f"{web_server.url}/s/{own_statement.slug}/en/sign/"
    forms = [_sign_form(web_server, own_statement, "ana@example.net") for _ in range(20)]
    responses = _at_once(20, lambda n: http("POST", url, *forms[n]))
    assert responses[0].status in (302, 303)
    assert responses[0].header("Location") == f"/s/{own_statement.slug}/en/check-email/"
    assert {repr(_seen(r)) for r in responses} == {repr(_seen(responses[0]))}
    signature = Signature.objects.get(statement=own_statement)
    assert signature.email_canonical == "ana@example.net"
    assert signature.state == Signature.State.PENDING
    # Every one of the 20 got its own link to that one signature, and an email job. Those that
    # send are one per page (a form's token sends one email per address; pages made in the same
    # seconds share one) up to the address's daily cap, counted exactly.
    assert signature.tokens.count() == 20
    jobs = Job.objects.filter(kind="mail.confirm_signature")
    assert [job.payload["signature"] for job in jobs] == [signature.pk] * 20
    pages = len({form["form_token"] for form, _cookies in forms})
    sending = [job for job in jobs if not job.payload["held"] and job.run_after <= timezone.now()]
    assert len(sending) == min(pages, settings.EMAILS_PER_ADDRESS_PER_DAY)


@pytest.mark.django_db(transaction=True)
def test_signing_looks_the_same_whatever_the_address_did_before(
    web_server: WebServer, own_statement: Statement
) -> None:
    actions.sign(own_statement, "en", {"name": "Pia", "email": "pending@example.net"})
    make_signature(own_statement, 1, email="confirmed@example.net")
    Signature.objects.filter(email="confirmed@example.net").update(
        email_canonical="confirmed@example.net"
    )
    actions.sign(own_statement, "en", {"name": "Wes", "email": "withdrawn@example.net"})
    actions.withdraw_signature(Signature.objects.get(email_canonical="withdrawn@example.net"))
    url = f"{web_server.url}/s/{own_statement.slug}/en/sign/"
    seen = {}
    for kind in ("new", "pending", "confirmed", "withdrawn"):
        data, cookies = _sign_form(web_server, own_statement, f"{kind}@example.net")
        answer = http("POST", url, data, cookies)
        location = answer.header("Location")
        assert location
        # And where it leads: the page a visitor, or a script, reads next.
        following = http("GET", f"{web_server.url}{location}", headers=cookies)
        assert following.status == 200
        seen[kind] = (_seen(answer), _seen(following))
    assert seen["pending"] == seen["new"]
    assert seen["confirmed"] == seen["new"]
    assert seen["withdrawn"] == seen["new"]
    assert set(Signature.objects.values_list("email_canonical", flat=True)) == {
        f"{kind}@example.net" for kind in ("new", "pending", "confirmed", "withdrawn")
    }
