"""The abuse watch in the dashboard: per-hour figures, held signatures, bulk invalidation, pausing
signing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from undersigned.audit.models import AuditLog
from undersigned.conftest import _client_for, answered_early, make_signature, sign_data
from undersigned.statements.models import Signature, Statement

URLS = ("watch/", "watch/invalidate/", "watch/held/", "watch/pause/")


# Each address, the method it answers and its view's name.
VIEWS = (
    ("get", "watch/", "watch"),
    ("post", "watch/invalidate/", "invalidate"),
    ("post", "watch/held/", "review_held"),
    ("post", "watch/pause/", "pause"),
)


@pytest.mark.parametrize(("method", "path", "name"), VIEWS)
def test_outsiders_get_404_everywhere_and_are_logged(
    statement: Statement, outsider: User, outsider_client: Client, method: str, path: str, name: str
) -> None:
    make_signature(statement, 1, state=Signature.State.HELD, hold_reason="rate")
    data = {"paused": "1", "action": "reject", "by": "domain", "domain": "example.org"}
    response = getattr(outsider_client, method)(f"/dashboard/s/{statement.slug}/{path}", data)
    assert response.status_code == 404
    assert b"Free them" not in response.content
    denied = AuditLog.objects.get(action="access.denied")
    assert (denied.actor, denied.statement, denied.data) == (
        outsider,
        statement,
        {"view": f"dashboard:{name}"},
    )
    statement.refresh_from_db()
    assert not statement.signing_paused
    assert Signature.objects.get().state == Signature.State.HELD


@pytest.mark.parametrize(("method", "path", "name"), VIEWS)
def test_the_other_method_is_refused_alike_whether_the_statement_exists_or_not(
    statement: Statement, outsider_client: Client, method: str, path: str, name: str
) -> None:
    """Refused before anything is looked up: the answer tells an outsider nothing."""
    other = "post" if method == "get" else "get"
    for slug in (statement.slug, "no-such-statement"):
        response = getattr(outsider_client, other)(f"/dashboard/s/{slug}/{path}")
        assert response.status_code == 405
    assert not AuditLog.objects.filter(action="access.denied").exists()


@pytest.mark.parametrize("path", URLS)
def test_anonymous_visitors_are_sent_to_log_in(statement: Statement, path: str) -> None:
    response = Client().post(f"/dashboard/s/{statement.slug}/{path}")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def _signed(
    statement: Statement, n: int, email: str, country: str, network: str, hours_ago: float
) -> None:
    make_signature(
        statement,
        n,
        email=email,
        email_canonical=email,
        country=country,
        network=network,
        created_at=timezone.now() - dt.timedelta(hours=hours_ago),
    )


@pytest.fixture
def surge(midday: dt.datetime, statement: Statement) -> Statement:
    # At noon: no hour ends while the rows of one hour are made.
    for n in range(6):
        _signed(statement, n, f"bot{n}@spam.example", "XX", "a" * 32, 0.1)
    for n in range(6, 9):
        _signed(statement, n, f"p{n}@example.org", "ES", "b" * 32, 3)
    _signed(statement, 9, "old@example.org", "PE", "", 60)
    return statement


@pytest.mark.parametrize(
    ("by", "shown"), [("country", "XX"), ("domain", "spam.example"), ("network", "a" * 32)]
)
def test_signatures_per_hour_by_country_domain_and_network(
    surge: Statement, member_client: Client, by: str, shown: str
) -> None:
    response = member_client.get(f"/dashboard/s/{surge.slug}/watch/?by={by}")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    hours = response.context["hours"]
    assert [hour["total"] for hour in hours] == [6, 3]  # 60 hours ago is outside the window
    assert hours[0]["top"] == [(shown, 6)]
    assert shown in response.content.decode()


def test_an_hours_quarters_add_up_and_its_most_frequent_come_first(
    statement: Statement, member: User
) -> None:
    at = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
    countries = {5: "XX", 20: "ES", 21: "AA", 35: "XX", 50: "PE", 51: "XX", 52: "PE"}
    for n, (minute, country) in enumerate(countries.items()):
        make_signature(statement, n, country=country, created_at=at + dt.timedelta(minutes=minute))
    with time_machine.travel((at + dt.timedelta(hours=1, minutes=5)).timestamp(), tick=False):
        response = _client_for(member).get(f"/dashboard/s/{statement.slug}/watch/?by=country")
    [hour] = response.context["hours"]
    assert hour["total"] == 7
    # XX in three quarters, PE in one; then AA before ES, each once.
    assert hour["top"][:4] == [("XX", 3), ("PE", 2), ("AA", 1), ("ES", 1)]


def test_the_two_hours_the_clocks_go_back_are_counted_apart(
    statement: Statement, member: User, settings: Any
) -> None:
    # At 03:00 on 25 October 2026 Madrid went back to 02:00: 02:30 came at 00:30 and 01:30 UTC.
    settings.TIME_ZONE = "Europe/Madrid"
    for n, utc in enumerate(("00:30", "01:30", "01:40")):
        at = dt.datetime.fromisoformat(f"2026-10-25T{utc}:00+00:00")
        make_signature(statement, n, email=f"p{n}@example.org", created_at=at)
    with time_machine.travel(dt.datetime.fromisoformat("2026-10-25T12:00:00+00:00").timestamp()):
        response = _client_for(member).get(f"/dashboard/s/{statement.slug}/watch/?by=country")
    assert [hour["total"] for hour in response.context["hours"]] == [2, 1]
    assert response.content.decode().count("2026-10-25 02:00") == 2


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"by": "domain", "domain": "@Spam.Example"}, 6),
        ({"by": "network", "network": "b" * 32}, 3),
    ],
)
def test_bulk_invalidation_previews_then_invalidates(
    surge: Statement, organiser_client: Client, criteria: dict[str, str], expected: int
) -> None:
    url = f"/dashboard/s/{surge.slug}/watch/"
    preview = organiser_client.get(url, {"preview": "1", **criteria})
    assert preview.context["preview"] == expected
    assert Signature.objects.filter(state=Signature.State.REJECTED).count() == 0
    response = organiser_client.post(f"{url}invalidate/", criteria)
    assert response.status_code == 302
    assert Signature.objects.filter(state=Signature.State.REJECTED).count() == expected
    assert surge.signatures.counted().count() == 10 - expected
    entry = AuditLog.objects.get(action="signatures.invalidated")
    assert entry.data["count"] == expected
    assert "@" not in str(entry.data)


def test_bulk_invalidation_by_time_window(
    midday: dt.datetime, surge: Statement, organiser_client: Client
) -> None:
    # From noon: four hours back on the local clock is a time there was, and only once.
    now = timezone.localtime()
    criteria = {
        "by": "window",
        "start": (now - dt.timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"),
        "end": (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    }
    preview = organiser_client.get(
        f"/dashboard/s/{surge.slug}/watch/", {"preview": "1", **criteria}
    )
    assert preview.context["preview"] == 3
    organiser_client.post(f"/dashboard/s/{surge.slug}/watch/invalidate/", criteria)
    assert set(Signature.objects.filter(state="rejected").values_list("country", flat=True)) == {
        "ES"
    }


@pytest.mark.parametrize(
    "criteria",
    [
        {"by": "domain"},
        {"by": "window", "start": "2026-11-23T10:00", "end": "2026-11-23T09:00"},
        {"by": "window", "start": "yesterday"},
        {"by": "nonsense"},
    ],
)
def test_bad_invalidation_criteria_give_a_form_error_and_change_nothing(
    surge: Statement, organiser_client: Client, criteria: dict[str, str]
) -> None:
    response = organiser_client.post(f"/dashboard/s/{surge.slug}/watch/invalidate/", criteria)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert not Signature.objects.filter(state=Signature.State.REJECTED).exists()


def test_pausing_keeps_the_page_and_refuses_signatures(
    statement: Statement, member_client: Client
) -> None:
    make_signature(statement, 1)
    member_client.post(f"/dashboard/s/{statement.slug}/watch/pause/", {"paused": "1"})
    page = Client().get(f"/s/{statement.slug}/en/")
    assert page.status_code == 200
    assert "Signing is paused" in page.content.decode()
    # No sign form; the "Follow for updates" form stays.
    assert f'action="/s/{statement.slug}/en/sign/"' not in page.content.decode()
    # Posted as a browser posts it: the production path (SignMiddleware) refuses it too.
    response = Client().post(f"/s/{statement.slug}/en/sign/", sign_data(statement))
    assert response.status_code == 409
    assert not answered_early(response)
    assert Signature.objects.count() == 1
    assert AuditLog.objects.filter(action="statement.paused").exists()
    member_client.post(f"/dashboard/s/{statement.slug}/watch/pause/", {"paused": "0"})
    response = Client().post(f"/s/{statement.slug}/en/sign/", sign_data(statement))
    assert response.status_code == 302
    assert answered_early(response)
    assert Signature.objects.count() == 2


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "signatures/export.csv"),
        ("get", "signatures/export.xlsx"),
        ("post", "privacy/signatories/"),
        ("post", "watch/invalidate/"),
        ("post", "watch/held/"),
        ("post", "watch/pause/"),
    ],
)
def test_viewers_see_but_neither_export_nor_change(
    statement: Statement, viewer_client: Client, method: str, path: str
) -> None:
    assert viewer_client.get(f"/dashboard/s/{statement.slug}/").status_code == 200
    page = viewer_client.get(f"/dashboard/s/{statement.slug}/watch/")
    assert page.status_code == 200
    # No button that would only lead to a refusal.
    assert 'method="post"' not in page.content.decode().split("<main", 1)[1].split("</main>")[0]
    data = {
        "paused": "1",
        "hidden": "1",
        "action": "reject",
        "by": "domain",
        "domain": "example.org",
    }
    response = getattr(viewer_client, method)(f"/dashboard/s/{statement.slug}/{path}", data)
    assert response.status_code == 403
    statement.refresh_from_db()
    assert not statement.signing_paused and not statement.signatories_hidden
    assert AuditLog.objects.filter(action="access.denied").exists()
    assert not AuditLog.objects.filter(action="signatures.exported").exists()


def test_viewers_see_the_watch_page_without_email_domains(
    surge: Statement, viewer_client: Client
) -> None:
    url = f"/dashboard/s/{surge.slug}/watch/"
    page = viewer_client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    # The rest of the page: held signatures, signatures per hour by country, the networks.
    assert [hour["top"] for hour in page.context["hours"]] == [[("XX", 6)], [("ES", 3)]]
    assert "?by=network" in text and "?by=domain" not in text
    assert 'name="domain"' not in text and 'value="domain"' not in text
    assert "spam.example" not in text and "example.org" not in text
    by_network = viewer_client.get(url, {"by": "network"})
    assert by_network.context["hours"][0]["top"] == [("a" * 32, 6)]
    preview = viewer_client.get(url, {"preview": "1", "by": "network", "network": "b" * 32})
    assert preview.context["preview"] == 3
    # A domain's signers counted, per hour or in a preview: refused, and audited.
    for asked in ({"by": "domain"}, {"preview": "1", "by": "domain", "domain": "spam.example"}):
        refused = viewer_client.get(url, asked)
        assert refused.status_code == 403
        assert b"spam.example" not in refused.content
    assert AuditLog.objects.filter(action="access.denied").count() == 2
