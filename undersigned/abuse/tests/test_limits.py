"""Rate limits, holds and the email cap, through the sign form and the worker."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from undersigned.abuse import limits, quota
from undersigned.abuse.counters import numbers, numbers_in_rows
from undersigned.abuse.jobs import forget_old
from undersigned.abuse.keys import forget_keys
from undersigned.abuse.models import EmailQuota, HashKey, RateCounter
from undersigned.conftest import against_a_held_lock, answered_early, sign_data
from undersigned.jobs import queue
from undersigned.jobs.models import Job
from undersigned.lib import proof
from undersigned.organisations.models import Organisation
from undersigned.statements import actions, store
from undersigned.statements.jobs import forget_networks
from undersigned.statements.models import Signature, Statement, StatementVersion


@pytest.fixture(autouse=True)
def _fresh_keys() -> Any:
    forget_keys()
    yield
    forget_keys()


@pytest.fixture(autouse=True)
def _early_in_the_hour() -> Any:
    """Rate windows are fixed (each minute, each hour from its start), and the email cap and
    the hashes' key go by the UTC day: each test starts a minute into the hour, far from the
    end of any of them, whatever the time now, and its clock runs on from there.
    """
    start = timezone.now().replace(minute=1, second=0, microsecond=0)
    with time_machine.travel(start, tick=True):
        yield


def _at_once(count: int, work: Any) -> None:
    """Run work(0) ... work(count - 1) in threads let go together, each on its own connection."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            start.wait()
            work(n)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def _sign(client: Client, statement: Statement, **data: Any) -> None:
    """Sign as a browser does, on the production path (see `answered_early`)."""
    response = client.post(f"/s/{statement.slug}/en/sign/", sign_data(statement, **data))
    assert response.status_code == 302
    assert answered_early(response)


def _confirm_all() -> None:
    for signature in Signature.objects.filter(state=Signature.State.PENDING):
        actions.confirm_signature(signature)


def test_past_the_burst_signatures_are_held_with_the_same_response(
    statement: Statement, settings: SettingsWrapper
) -> None:
    settings.SIGN_RATE_LIMITS = "3/60,100/3600"
    client = Client(REMOTE_ADDR="203.0.113.5")
    responses = []
    for n in range(5):
        data = sign_data(statement, email=f"p{n}@example.net")
        response = client.post(f"/s/{statement.slug}/en/sign/", data)
        responses.append(
            (response.status_code, response["Location"], response.content, answered_early(response))
        )
    assert len(set(responses)) == 1
    assert responses[0][3], "on the production path"
    _confirm_all()
    states = list(Signature.objects.order_by("pk").values_list("state", "hold_reason"))
    assert states == [("confirmed", "")] * 3 + [("held", "rate")] * 2
    assert statement.signatures.counted().count() == 3


def test_the_sustained_window_holds_what_bursts_spread_out(
    statement: Statement, settings: SettingsWrapper
) -> None:
    settings.SIGN_RATE_LIMITS = "3/60,4/3600"
    client = Client(REMOTE_ADDR="203.0.113.5")
    # All six inside one hour's window (see `_early_in_the_hour`).
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for n in range(6):
            _sign(client, statement, email=f"p{n}@example.net")
            traveller.shift(61)
    held = Signature.objects.filter(hold_reason="rate").count()
    assert held == 2


def test_limits_count_per_client_and_per_statement(
    statement: Statement, organisation: Organisation, settings: SettingsWrapper
) -> None:
    settings.SIGN_RATE_LIMITS = "2/60"
    other = Statement.objects.create(
        organisation=organisation, slug="other", status="open", default_language="en"
    )
    StatementVersion.objects.create(statement=other, language="en", title="O", summary="s")
    for n in range(2):
        _sign(Client(REMOTE_ADDR="203.0.113.5"), statement, email=f"a{n}@example.net")
        _sign(Client(REMOTE_ADDR="203.0.113.6"), statement, email=f"b{n}@example.net")
        _sign(Client(REMOTE_ADDR="203.0.113.5"), other, email=f"c{n}@example.net")
    assert not Signature.objects.exclude(hold_reason="").exists()
    _sign(Client(REMOTE_ADDR="203.0.113.5"), statement, email="d@example.net")
    assert Signature.objects.get(email="d@example.net").hold_reason == "rate"


def test_the_addresses_of_one_ipv6_network_count_as_one_client(
    statement: Statement, settings: SettingsWrapper
) -> None:
    settings.SIGN_RATE_LIMITS = "10/60"
    # Thirty addresses of one /64, each signing once: one client past its limit.
    for n in range(30):
        client = Client(REMOTE_ADDR=f"2001:db8:1:2:{n:x}:{n * 7:x}::{n + 1:x}")
        _sign(client, statement, email=f"p{n}@example.net")
    assert Signature.objects.filter(hold_reason="rate").count() == 20
    # Another /64 is another client; with the prefix set to 128, each address is one.
    _sign(Client(REMOTE_ADDR="2001:db8:1:3::1"), statement, email="q@example.net")
    settings.CLIENT_IPV6_PREFIX = 128
    _sign(Client(REMOTE_ADDR="2001:db8:1:2::ff"), statement, email="r@example.net")
    assert not Signature.objects.filter(email__in=["q@example.net", "r@example.net"]).exclude(
        hold_reason=""
    )


def test_spoofed_forwarding_headers_do_not_change_whose_limit_counts(
    statement: Statement, settings: SettingsWrapper
) -> None:
    settings.SIGN_RATE_LIMITS = "2/60"
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    for n in range(4):
        client = Client(
            REMOTE_ADDR="203.0.113.5",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
            HTTP_X_REAL_IP=f"198.51.100.{n}",
            HTTP_FORWARDED=f"for=198.51.100.{n}",
        )
        _sign(client, statement, email=f"p{n}@example.net")
    assert Signature.objects.filter(hold_reason="rate").count() == 2
    # Through the trusted proxy, each forwarded client has a limit of its own.
    for n in range(4):
        client = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        _sign(client, statement, email=f"q{n}@example.net")
    assert Signature.objects.filter(hold_reason="rate").count() == 2


def test_every_window_is_counted_by_one_statement_per_batch(
    statement: Statement, settings: SettingsWrapper
) -> None:
    settings.SIGN_RATE_LIMITS = "2/60,3/3600"
    table = RateCounter._meta.db_table
    writes: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.startswith(f'INSERT INTO "{table}"'):
            writes.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        beyond = limits.beyond_limits(["a", "b", "a", "a"], timezone.now())
    assert len(writes) == 1
    # a: 1, 2, 3 in both windows; past the minute's 2 at its third, within the hour's 3.
    assert beyond == [False, False, False, True]
    counts = dict(RateCounter.objects.values_list("key", "count"))
    assert counts == {"60:a": 3, "60:b": 1, "3600:a": 3, "3600:b": 1}
    assert limits.beyond_limits(["a", "c"], timezone.now()) == [True, False]


def test_a_key_is_counted_in_one_row_only(db: None) -> None:
    with pytest.raises(ValueError, match="one row only"):
        numbers_in_rows(RateCounter, "window_start", [("a", 60), ("a", 120)])
    assert not RateCounter.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_counting_rows_in_opposite_orders_at_once_is_no_deadlock() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's writers take turns under one lock")

    def count(*keys: str) -> None:
        numbers(RateCounter, "window_start", 0, keys)

    def second() -> None:
        with transaction.atomic():
            count("b", "a")

    errors = against_a_held_lock(lambda: count("a"), lambda: count("b"), second)
    assert errors == []
    assert dict(RateCounter.objects.values_list("key", "count")) == {"a": 2, "b": 2}


@pytest.mark.django_db(transaction=True)
def test_counting_is_exact_under_concurrency(
    statement: Statement, settings: SettingsWrapper
) -> None:
    settings.SIGN_RATE_LIMITS = "10/3600"
    client = store.Client(rate_key="the-same-client")
    _at_once(
        30,
        lambda n: actions.sign(
            statement, "en", {"name": "A", "email": f"p{n}@example.net"}, client=client
        ),
    )
    assert Signature.objects.filter(hold_reason="").count() == 10
    assert Signature.objects.filter(hold_reason="rate").count() == 20
    assert RateCounter.objects.get().count == 30


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"website": "http://spam.example"}, "honeypot"),
        ({"proof": ""}, "noproof"),
        ({"proof": "wrong"}, "noproof"),
    ],
)
def test_robot_signs_are_held_with_the_same_response(
    statement: Statement, change: dict[str, str], reason: str
) -> None:
    person = Client().post(f"/s/{statement.slug}/en/sign/", sign_data(statement))
    data = sign_data(statement, email="bot@example.net", **change)
    if change.get("proof") == "wrong":
        # A number that does not solve this form's puzzle (some do by chance: look for one).
        data["proof"] = next(
            str(n)
            for n in range(12345, 13000)
            if not proof.is_valid(
                data["form_token"], "bot@example.net", str(n), django_settings.SIGN_PROOF_BITS
            )
        )
    robot = Client().post(f"/s/{statement.slug}/en/sign/", data)
    assert answered_early(person) and answered_early(robot)
    assert (robot.status_code, robot["Location"], robot.content) == (
        person.status_code,
        person["Location"],
        person.content,
    )
    _confirm_all()
    assert Signature.objects.get(email="bot@example.net").state == Signature.State.HELD
    assert Signature.objects.get(email="bot@example.net").hold_reason == reason
    assert Signature.objects.get(email="ana@example.net").state == Signature.State.CONFIRMED


def test_a_form_sent_too_fast_is_held(statement: Statement, settings: SettingsWrapper) -> None:
    from undersigned.lib.formtoken import issue

    settings.SIGN_MIN_SECONDS = 60  # however slowly the test runs, 1 s is far from it
    data = sign_data(statement, form_token=issue(statement.pk, at=time.time() - 1))
    response = Client().post(f"/s/{statement.slug}/en/sign/", data)
    assert response.status_code == 302 and answered_early(response)
    _confirm_all()
    assert Signature.objects.get().hold_reason == "fast"


def test_held_signatures_are_not_counted_until_released(
    statement: Statement, organiser_client: Client
) -> None:
    _sign(Client(), statement, proof="")
    _confirm_all()
    assert statement.signatures.counted().count() == 0
    page = organiser_client.get(f"/dashboard/s/{statement.slug}/watch/")
    assert page.status_code == 200
    assert "no browser check" in page.content.decode()
    response = organiser_client.post(
        f"/dashboard/s/{statement.slug}/watch/held/", {"action": "release", "reason": "noproof"}
    )
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.state, signature.hold_reason) == (Signature.State.CONFIRMED, "")
    assert statement.signatures.counted().count() == 1


def test_a_pending_held_signature_released_counts_once_confirmed(
    statement: Statement, organiser_client: Client
) -> None:
    _sign(Client(), statement, website="x")
    organiser_client.post(f"/dashboard/s/{statement.slug}/watch/held/", {"action": "release"})
    _confirm_all()
    assert Signature.objects.get().state == Signature.State.CONFIRMED


def test_rejecting_held_signatures(statement: Statement, organiser_client: Client) -> None:
    _sign(Client(), statement, website="x")
    _confirm_all()
    organiser_client.post(f"/dashboard/s/{statement.slug}/watch/held/", {"action": "reject"})
    assert Signature.objects.get().state == Signature.State.REJECTED


def test_a_victim_gets_no_more_emails_than_the_cap(
    organisation: Organisation, settings: SettingsWrapper
) -> None:
    """Mail-bomb: the victim's address typed into sign forms 100 times, across statements and
    client addresses."""
    settings.EMAILS_PER_ADDRESS_PER_DAY = 4
    statements = []
    for n in range(5):
        statement = Statement.objects.create(
            organisation=organisation, slug=f"s{n}", status="open", default_language="en"
        )
        StatementVersion.objects.create(statement=statement, language="en", title="T", summary="s")
        statements.append(statement)
    for n in range(100):
        client = Client(REMOTE_ADDR=f"198.51.100.{n}")
        _sign(client, statements[n % 5], email="Victim@Example.net")
        if n % 10 == 0:
            # Another person signs meanwhile and gets their email.
            _sign(client, statements[n % 5], email=f"someone{n}@example.net")
    queue.drain()
    to_victim = [m for m in mail.outbox if m.to == ["Victim@Example.net"]]
    assert len(to_victim) == 4
    assert len([m for m in mail.outbox if m.to != ["Victim@Example.net"]]) == 10
    # The next day, each statement's newest form past the cap sends its link, one per
    # statement; on statements[0] a form of that day is the newest, and sends within the new
    # day's cap.
    with time_machine.travel(timezone.now() + timezone.timedelta(days=1)):
        forget_keys()
        _sign(Client(), statements[0], email="victim@example.net")
        queue.drain()
    next_day = [m for m in mail.outbox if m.to[0].lower() == "victim@example.net"][4:]
    assert len(next_day) == 5
    assert sorted(m.body.split("/s/")[1].split("/")[0] for m in next_day) == [
        "s0",
        "s1",
        "s2",
        "s3",
        "s4",
    ]


def test_what_anti_abuse_keeps_is_gone_after_48_hours(
    statement: Statement, settings: SettingsWrapper
) -> None:
    _sign(Client(REMOTE_ADDR="203.0.113.5"), statement)
    queue.drain()
    signature = Signature.objects.get()
    assert len(signature.network) == 32
    assert "203.0.113" not in str(list(Signature.objects.values()))
    assert HashKey.objects.count() == 1
    assert RateCounter.objects.exists() and EmailQuota.objects.exists()
    forget_old(timezone.now() + timezone.timedelta(hours=49))
    forget_networks(timezone.now() + timezone.timedelta(hours=49))
    signature.refresh_from_db()
    assert signature.network == ""
    assert not HashKey.objects.exists()
    assert not RateCounter.objects.exists()
    assert not EmailQuota.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_email_cap_is_exact_under_concurrency(
    organisation: Organisation, settings: SettingsWrapper
) -> None:
    settings.EMAILS_PER_ADDRESS_PER_DAY = 7
    statements = [
        Statement.objects.create(
            organisation=organisation, slug=f"s{n}", status="open", default_language="en"
        )
        for n in range(30)
    ]
    _at_once(
        30,
        lambda n: actions.sign(statements[n], "en", {"name": "A", "email": "victim@example.net"}),
    )
    assert Signature.objects.count() == 30
    # A job each: 7 to send today, the others past the cap wait for the next day.
    jobs = Job.objects.filter(kind__startswith="mail.")
    assert jobs.count() == 30
    assert not [job for job in jobs if job.payload["held"]]
    waiting = [job for job in jobs if job.payload["deferred"]]
    assert len(waiting) == 23
    assert {job.run_after for job in waiting} == {quota.next_day()}
