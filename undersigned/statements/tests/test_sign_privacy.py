"""What signing tells about an address, and what it can be made to send: a sign request does
the same work whatever the address did before, and the emails it causes are capped per address,
per client and per form (issue: "the site never tells anyone whether an address has signed")."""

from __future__ import annotations

import random
import re
import statistics
import time
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from undersigned.abuse.keys import forget_keys
from undersigned.conftest import follow_data, sign_data
from undersigned.jobs.queue import drain
from undersigned.lib.tokens import hash_token
from undersigned.organisations.models import Organisation
from undersigned.statements import actions, privacy
from undersigned.statements.models import Signature, Statement, StatementVersion

URL = "/s/free-them/en/sign/"


def _sign(client: Client, statement: Statement | None = None, **overrides: Any) -> Any:
    """Post the sign form URL-encoded, as browsers do (through SignMiddleware)."""
    url = f"/s/{statement.slug}/en/sign/" if statement else URL
    body = urlencode(sign_data(statement, **overrides), doseq=True)
    response = client.post(url, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 302
    return response


def _past(statement: Statement, email: str, past: str) -> None:
    """Give `email` a past on `statement`: pending, confirmed, or signed and withdrawn."""
    _sign(Client(REMOTE_ADDR="192.0.2.200"), email=email)
    signature = Signature.objects.get(statement=statement, email=email)
    if past == "confirmed":
        actions.confirm_signature(signature)
    elif past == "withdrawn":
        actions.confirm_signature(signature)
        privacy.withdraw(signature)


def _statements_of(client: Client, email: str) -> list[str]:
    """The SQL a sign request runs, with its parameters' places, in order."""
    run: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        # Savepoints are numbered per transaction; the rest is the statement as run.
        run.append(re.sub(r'"s\d+_x\d+"', '"savepoint"', re.sub(r"\s+", " ", sql)))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        _sign(client, email=email, name="Someone Else", partners=None)
    return run


@pytest.fixture
def _no_limits(settings: SettingsWrapper) -> None:
    # One client probes many times: past the limits every form is held, which is the same for
    # every address; the point here is the address's past.
    settings.SIGN_RATE_LIMITS = settings.CLIENT_EMAIL_LIMITS = ""


PASTS = ["pending", "confirmed", "withdrawn"]


@pytest.mark.usefixtures("_no_limits")
@pytest.mark.parametrize("past", PASTS)
def test_a_sign_request_runs_the_same_statements_whatever_the_address_did_before(
    statement: Statement, past: str
) -> None:
    _past(statement, "known@example.net", past)
    client = Client(REMOTE_ADDR="198.51.100.7")
    # Warm: the first request of a process reads what later ones have cached.
    _statements_of(client, "warm@example.net")
    new = _statements_of(client, "new@example.net")
    known = _statements_of(client, "known@example.net")
    assert known == new
    assert any(sql.startswith("INSERT INTO") for sql in new)


@pytest.mark.usefixtures("_no_limits")
def test_a_sign_request_takes_as_long_whatever_the_address_did_before(
    statement: Statement,
) -> None:
    """The timing probe of an outside review, here in-process: many requests per case,
    interleaved in a random order, compared by their medians. A difference is reported only if
    it is both large (a millisecond; the review found 2.5 ms, and this test 5 ms before the
    fix) and beyond what shuffling the same timings between the cases gives (none of 4,999
    shuffles as far apart). The exact check is the one above: the same statements."""
    for past in PASTS:
        _past(statement, f"{past}@example.net", past)
    client = Client(REMOTE_ADDR="198.51.100.8")
    rounds = 120
    order = [case for case in ["new", *PASTS] for _ in range(rounds)]
    random.Random(22).shuffle(order)
    times: dict[str, list[float]] = {case: [] for case in ["new", *PASTS]}
    for _ in range(20):
        _sign(client, email=f"warm{_}@example.net")
    for n, case in enumerate(order):
        email = f"new{n}@example.net" if case == "new" else f"{case}@example.net"
        data = urlencode(sign_data(email=email, name="Someone Else"), doseq=True)
        start = time.perf_counter()
        client.post(URL, data, content_type="application/x-www-form-urlencoded")
        times[case].append(time.perf_counter() - start)
    shuffler = random.Random(7)
    for past in PASTS:
        observed = statistics.median(times[past]) - statistics.median(times["new"])
        pooled = times[past] + times["new"]
        beyond = 0
        for _ in range(4999):
            shuffler.shuffle(pooled)
            shuffled = statistics.median(pooled[:rounds]) - statistics.median(pooled[rounds:])
            beyond += abs(shuffled) >= abs(observed)
        assert not (abs(observed) > 0.001 and beyond == 0), (past, observed)


def test_a_second_form_for_a_pending_address_changes_nothing_it_recorded(
    statement: Statement,
) -> None:
    _sign(Client(), display="hidden", wants_updates=None)
    _sign(Client(REMOTE_ADDR="203.0.113.9"), name="Intruder", display="full", wants_updates="on")
    _sign(Client(REMOTE_ADDR="203.0.113.10"), website="http://spam.example")
    signature = Signature.objects.get()
    assert (signature.name, signature.display, signature.wants_updates) == (
        "Ana García",
        Signature.Display.HIDDEN,
        False,
    )
    assert signature.hold_reason == ""


def test_a_held_form_is_sent_nothing_until_released(statement: Statement) -> None:
    _sign(Client(), website="http://spam.example")
    drain()
    assert mail.outbox == []
    actions.review_held(statement, release=True, reason="", actor=None)
    drain()
    assert [message.to for message in mail.outbox] == [["ana@example.net"]]
    assert "/confirm/" in mail.outbox[0].body


def test_tags_reach_one_mailbox_and_count_against_one_cap(
    statement: Statement, settings: SettingsWrapper
) -> None:
    """Wherever the provider is not known to deliver +tags to one mailbox, the addresses stay
    apart as signatures, but are counted together against the address's daily emails."""
    settings.EMAILS_PER_ADDRESS_PER_DAY = 3
    for n in range(8):
        _sign(Client(REMOTE_ADDR=f"198.51.100.{n}"), email=f"target+{n}@example.org")
    assert Signature.objects.count() == 8
    drain()
    assert len(mail.outbox) == 3


def test_one_client_cannot_make_the_site_send_more_than_its_limit(
    organisation: Organisation, settings: SettingsWrapper
) -> None:
    settings.CLIENT_EMAIL_LIMITS = "3/60,5/86400"
    statements = []
    for n in range(4):
        statement = Statement.objects.create(
            organisation=organisation, slug=f"s{n}", status="open", default_language="en"
        )
        StatementVersion.objects.create(statement=statement, language="en", title="T", summary="s")
        statements.append(statement)
    client = Client(REMOTE_ADDR="2001:db8::1")
    for n in range(4):
        _sign(client, statements[n], email=f"person{n}@example.net")
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=2)):
        for n in range(4):
            _sign(client, statements[n], email=f"other{n}@example.net")
        drain()
    # Three in the first minute, and two in the day: the fourth of that minute was held, and
    # counts; the rest held, sent nothing.
    assert len(mail.outbox) == 4
    assert Signature.objects.filter(hold_reason="rate").count() == 4
    # Someone else is not held back.
    _sign(Client(REMOTE_ADDR="198.51.100.99"), statements[0], email="else@example.net")
    drain()
    assert mail.outbox[-1].to == ["else@example.net"]


def test_a_form_used_again_with_the_same_address_sends_nothing_more(statement: Statement) -> None:
    data = sign_data()
    body = urlencode(data, doseq=True)
    for _ in range(5):
        Client().post(URL, body, content_type="application/x-www-form-urlencoded")
    other = urlencode(sign_data(form_token=data["form_token"], email="luis@example.net"))
    Client().post(URL, other, content_type="application/x-www-form-urlencoded")
    drain()
    assert sorted(message.to[0] for message in mail.outbox) == [
        "ana@example.net",
        "luis@example.net",
    ]


def _drain_the_next_day() -> None:
    """What the worker sends once the day's counts start again (UTC midnight)."""
    with time_machine.travel(timezone.now() + timezone.timedelta(days=1)):
        forget_keys()
        drain()


def test_a_signer_whose_day_was_used_up_gets_her_link_the_next_day(
    statement: Statement, settings: SettingsWrapper
) -> None:
    settings.EMAILS_PER_ADDRESS_PER_DAY = 2
    other = Statement.objects.create(
        organisation=statement.organisation, slug="other", status="open", default_language="en"
    )
    StatementVersion.objects.create(statement=other, language="en", title="T", summary="s")
    for n in range(2):
        _sign(Client(REMOTE_ADDR=f"203.0.113.{n}"), other, email="victim@example.net")
    _sign(Client(REMOTE_ADDR="198.51.100.1"), email="victim@example.net", name="Victim")
    drain()
    assert len(mail.outbox) == 2
    _drain_the_next_day()
    assert len(mail.outbox) == 3
    assert f"/s/{statement.slug}/confirm/" in mail.outbox[-1].body


def test_her_own_form_gets_her_link_the_next_day_however_many_came_before(
    statement: Statement, settings: SettingsWrapper
) -> None:
    """Someone types her address into this statement's form well past her day's cap; then she
    signs herself. The next day she gets one email, with the link of her own form."""
    settings.EMAILS_PER_ADDRESS_PER_DAY = 2
    for n in range(6):
        _sign(Client(REMOTE_ADDR=f"203.0.113.{n}"), email="victim@example.net", name="Not Her")
    _sign(Client(REMOTE_ADDR="198.51.100.1"), email="victim@example.net", name="Victim")
    drain()
    assert len(mail.outbox) == 2
    signature = Signature.objects.get(email="victim@example.net")
    # Her form came last: its token is the signature's newest.
    newest = signature.tokens.order_by("created_at", "pk").last()
    _drain_the_next_day()
    assert len(mail.outbox) == 3
    link = re.search(r"/s/free-them/confirm/([\w-]+)/", mail.outbox[-1].body)
    assert link is not None
    assert newest is not None and hash_token(link.group(1)) == newest.token_hash
    # Nothing more waits: the other forms past the cap were not her newest.
    with time_machine.travel(timezone.now() + timezone.timedelta(days=2)):
        drain()
    assert len(mail.outbox) == 3


@pytest.mark.parametrize("after", ["page-sent-again", "held"])
def test_a_form_that_sends_nothing_after_hers_does_not_stop_her_link(
    statement: Statement, settings: SettingsWrapper, after: str
) -> None:
    """Her day used up; she signs; then someone sends a form that sends nothing (a page sent
    again with her address, or a form held for review). The next day she still gets a link."""
    settings.EMAILS_PER_ADDRESS_PER_DAY = 2
    for n in range(2):
        _sign(Client(REMOTE_ADDR=f"203.0.113.{n}"), email="victim@example.net", name="Not Her")
    _sign(Client(REMOTE_ADDR="198.51.100.1"), email="victim@example.net", name="Victim")
    if after == "page-sent-again":
        body = urlencode(sign_data(email="victim@example.net"), doseq=True)
        for _ in range(2):
            Client().post(URL, body, content_type="application/x-www-form-urlencoded")
    else:
        _sign(Client(REMOTE_ADDR="198.51.100.9"), email="victim@example.net", website="spam")
    signature = Signature.objects.get(email="victim@example.net")
    assert signature.tokens.filter(unsent=True).exists()
    drain()
    assert len(mail.outbox) == 2
    _drain_the_next_day()
    assert len(mail.outbox) == 3
    assert "/s/free-them/confirm/" in mail.outbox[-1].body


def test_follow_forms_count_against_the_same_client_limit(
    statement: Statement, settings: SettingsWrapper
) -> None:
    settings.CLIENT_EMAIL_LIMITS = "2/60"
    client = Client(REMOTE_ADDR="2001:db8::2")
    for n in range(2):
        _sign(client, email=f"person{n}@example.net")
    response = client.post("/s/free-them/en/follow/", follow_data(email="flor@example.net"))
    assert response.status_code == 302
    drain()
    assert sorted(message.to[0] for message in mail.outbox) == [
        "person0@example.net",
        "person1@example.net",
    ]
