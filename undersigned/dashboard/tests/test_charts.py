from __future__ import annotations

import datetime as dt
import re
import threading
import time
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from undersigned.audit.models import AuditLog
from undersigned.conftest import _client_for, make_signature, sign_data
from undersigned.dashboard import charts, statement_actions
from undersigned.jobs.queue import drain
from undersigned.lib import pagecache
from undersigned.organisations.models import Organisation
from undersigned.statements import actions, details
from undersigned.statements.models import Signature, Source, SourceCount, Statement

SVG = "{http://www.w3.org/2000/svg}"


def _svgs(page: str) -> list[str]:
    return re.findall(r"<svg .*?</svg>", page, flags=re.DOTALL)


def test_a_bar_chart_is_well_formed_xml_with_its_labels_as_text() -> None:
    svg = charts.bar_chart(
        [charts.Point("<script>alert(1)</script>", 3), charts.Point("a & b", 0)],
        title='<script>x</script> "quoted"',
        description="<b>bold</b>",
        ident="t",
    )
    root = ET.fromstring(str(svg))  # noqa: S314 - our own output
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == '<script>x</script> "quoted"'  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "<b>bold</b>"  # type: ignore[union-attr]
    assert [label.text for label in root.iter(f"{SVG}text") if label.get("class") == "label"] == [
        "<script>alert(1)</script>",
        "a & b",
    ]
    assert "<script>" not in str(svg)


def test_bars_are_scaled_to_a_round_top() -> None:
    svg = charts.bar_chart(
        [charts.Point("a", 40), charts.Point("b", 20)], title="t", description="d", ident="t"
    )
    root = ET.fromstring(str(svg))  # noqa: S314 - our own output
    heights = [float(bar.get("height", "")) for bar in root.iter(f"{SVG}rect")]
    assert heights[0] == pytest.approx(2 * heights[1])
    assert "50" in [text.text for text in root.iter(f"{SVG}text")]


def test_the_projection_goes_on_at_the_recent_daily_rate() -> None:
    today = dt.date(2026, 11, 23)
    projection = charts.project(count=40, goal=100, recent=21, days=7, today=today)
    # 60 more at 3 a day: 20 days.
    assert projection.remaining == 60
    assert projection.per_day == 3
    assert projection.date == dt.date(2026, 12, 13)
    # A part of a day is a whole day more.
    assert charts.project(40, 100, 14, 7, today).date == dt.date(2026, 12, 23)
    assert charts.project(41, 100, 14, 7, today).date == dt.date(2026, 12, 23)


def test_the_projection_says_when_it_cannot_be_told() -> None:
    today = dt.date(2026, 11, 23)
    assert charts.project(40, 100, 0, 7, today).date is None
    assert charts.project(40, None, 10, 7, today).date is None
    reached = charts.project(120, 100, 10, 7, today)
    assert reached.reached and reached.date is None and reached.remaining == 0


def test_the_charts_page_shows_hours_days_languages_and_the_goal(
    midday: dt.datetime, viewer_client: Client, statement: Statement
) -> None:
    now = timezone.now()
    for n in range(1, 4):
        make_signature(statement, n, confirmed_at=now - dt.timedelta(hours=n))
    make_signature(statement, 4, language="es", confirmed_at=now - dt.timedelta(days=3))
    make_signature(statement, 5, state=Signature.State.PENDING, confirmed_at=None)
    page = viewer_client.get("/dashboard/s/free-them/charts/")
    assert page.status_code == 200
    text = page.content.decode()
    svgs = _svgs(text)
    # The goal, then all/en/es per hour and per day; no source yet.
    assert len(svgs) == 1 + 3 + 3
    for svg in svgs:
        ET.fromstring(svg)  # noqa: S314 - our own output
    hourly = page.context["hourly_table"]
    assert hourly["heads"] == ["all", "en", "es"]
    assert sum(row[1][0] for row in hourly["rows"]) == 3
    daily = page.context["daily_table"]
    assert sum(row[1][0] for row in daily["rows"]) == 4
    assert sum(row[1][2] for row in daily["rows"]) == 1
    assert page.context["count"] == 4
    # A campaign of 4 days so far (its first signature 3 days ago), 4 signatures: 96 more at
    # 1 a day.
    assert page.context["recent_days"] == 4
    assert page.context["projection"].date == timezone.localdate() + dt.timedelta(days=96)
    assert "That is after the deadline." in text
    assert "<figcaption>" in text and "<table>" in text


@pytest.mark.parametrize(
    ("day", "night"),
    [
        # At 02:00 on 29 March 2026 the clocks in Madrid went to 03:00: no 02:00 that night.
        ("2026-03-29", ["23:00", "00:00", "01:00", "03:00", "04:00"]),
        # At 03:00 on 25 October 2026 they went back to 02:00: 02:00 came twice.
        ("2026-10-25", ["00:00", "01:00", "02:00", "02:00", "03:00"]),
    ],
)
def test_the_hours_are_the_48_there_were_across_a_dst_change(
    viewer: User, statement: Statement, settings: Any, day: str, night: list[str]
) -> None:
    settings.TIME_ZONE = "Europe/Madrid"
    midnight = dt.datetime.fromisoformat(f"{day}T00:00:00+00:00")
    # One signature in each of five hours around the change, at half past.
    for n in range(5):
        at = midnight + dt.timedelta(hours=n - 2, minutes=30)
        make_signature(statement, n, confirmed_at=at)
    with time_machine.travel((midnight + dt.timedelta(hours=12)).timestamp(), tick=False):
        page = _client_for(viewer).get("/dashboard/s/free-them/charts/")
    rows = page.context["hourly_table"]["rows"]
    assert len(rows) == 48
    counted = [index for index, (_hour, values) in enumerate(rows) if values[0]]
    shown = rows[counted[0] : counted[-1] + 1]
    assert shown == [(hour, [1, 1, 0]) for hour in night]


def test_a_signature_counts_in_its_local_hour_and_day_where_the_offset_is_not_whole_hours(
    viewer: User, statement: Statement, settings: Any
) -> None:
    """Kathmandu is 5:45 ahead of UTC: its midnight is at a quarter past six, UTC."""
    settings.TIME_ZONE = "Asia/Kathmandu"
    evening = dt.datetime(2026, 12, 1, 18, 0, tzinfo=dt.UTC)
    # Local 23:45, 23:59:59.999999, then 00:00 and 00:14 the next day.
    for n, minutes in enumerate([0, 14.99999999, 15, 29]):
        make_signature(statement, n, confirmed_at=evening + dt.timedelta(minutes=minutes))
    make_signature(statement, 9, language="es", confirmed_at=evening + dt.timedelta(minutes=15))
    with time_machine.travel(dt.datetime(2026, 12, 2, 6, 0, tzinfo=dt.UTC).timestamp(), tick=False):
        page = _client_for(viewer).get("/dashboard/s/free-them/charts/")
    daily = {day: values for day, values in page.context["daily_table"]["rows"] if values[0]}
    assert daily == {"1 Dec": [2, 2, 0], "2 Dec": [3, 2, 1]}
    hourly = {hour: values for hour, values in page.context["hourly_table"]["rows"] if values[0]}
    assert hourly == {"23:00": [2, 2, 0], "00:00": [3, 2, 1]}


def test_a_title_with_markup_stays_text_in_the_charts(
    viewer_client: Client, statement: Statement
) -> None:
    statement.versions.filter(language="en").update(title="<script>alert(1)</script>")
    make_signature(statement, 1)
    text = viewer_client.get("/dashboard/s/free-them/charts/").content.decode()
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_without_a_goal_nothing_is_projected(viewer_client: Client, statement: Statement) -> None:
    Statement.objects.filter(pk=statement.pk).update(goal=None)
    page = viewer_client.get("/dashboard/s/free-them/charts/")
    assert "No goal is set, so nothing can be projected." in page.content.decode()


def test_without_recent_signatures_the_date_cannot_be_projected(
    viewer_client: Client, statement: Statement
) -> None:
    make_signature(statement, 1, confirmed_at=timezone.now() - dt.timedelta(days=30))
    page = viewer_client.get("/dashboard/s/free-them/charts/")
    assert "The date cannot be projected" in page.content.decode()


def test_the_charts_page_makes_the_same_few_queries_however_many_signatures(
    viewer_client: Client, statement: Statement
) -> None:
    Source.objects.create(statement=statement, code="newsletter")
    viewer_client.get("/dashboard/s/free-them/charts/")
    with CaptureQueriesContext(connection) as few:
        viewer_client.get("/dashboard/s/free-them/charts/")
    now = timezone.now()
    for n in range(1, 30):
        make_signature(
            statement, n, language="en" if n % 2 else "es", confirmed_at=now - dt.timedelta(hours=n)
        )
    with CaptureQueriesContext(connection) as many:
        viewer_client.get("/dashboard/s/free-them/charts/")
    assert len(many) == len(few)
    assert len(many) <= 12


def _source_counts(statement: Statement) -> dict[str, int]:
    """The counts once the worker has written those of the forms sent so far."""
    drain()
    return {
        source.code: sum(count.count for count in source.counts.all())
        for source in Source.objects.filter(statement=statement)
    }


def test_signing_through_a_source_counts_for_it_and_not_on_the_signature(
    midday: dt.datetime, client: Client, statement: Statement
) -> None:
    Source.objects.create(statement=statement, code="union-newsletter")
    Source.objects.create(statement=statement, code="posters")
    assert (
        client.post("/s/free-them/en/sign/", sign_data(src="union-newsletter")).status_code == 302
    )
    client.post("/s/free-them/en/sign/", sign_data(email="b@example.net", src="union-newsletter"))
    client.post("/s/free-them/en/sign/", sign_data(email="c@example.net", src="posters"))
    client.post("/s/free-them/en/sign/", sign_data(email="d@example.net"))
    assert _source_counts(statement) == {"union-newsletter": 2, "posters": 1}
    row = SourceCount.objects.filter(source__code="union-newsletter").get()
    assert row.hour == timezone.now().replace(minute=0, second=0, microsecond=0)
    assert Signature.objects.count() == 4
    assert not any(
        "newsletter" in str(value) for value in Signature.objects.values().first().values()
    )  # type: ignore[union-attr]


def test_signing_again_while_pending_counts_once(client: Client, statement: Statement) -> None:
    Source.objects.create(statement=statement, code="posters")
    client.post("/s/free-them/en/sign/", sign_data(src="posters"))
    client.post("/s/free-them/en/sign/", sign_data(src="posters"))
    assert _source_counts(statement) == {"posters": 1}


def test_unknown_sources_are_ignored_without_error(
    client: Client, statement: Statement, organisation: Organisation
) -> None:
    other = Statement.objects.create(organisation=organisation, slug="other", default_language="en")
    Source.objects.create(statement=other, code="elsewhere")
    for n, code in enumerate(["nope", "elsewhere", "x" * 500, "<b>"]):
        response = client.post(
            "/s/free-them/en/sign/", sign_data(email=f"u{n}@example.net", src=code)
        )
        assert response.status_code == 302
    assert Signature.objects.filter(statement=statement).count() == 4
    assert SourceCount.objects.count() == 0


def test_a_share_link_with_a_source_is_served_the_cached_page_without_one(
    client: Client, statement: Statement, settings: object, still_page_store: float
) -> None:
    first = client.get("/s/free-them/en/")
    assert first.status_code == 200
    assert 'name="src" value=""' in first.content.decode()
    with CaptureQueriesContext(connection) as queries:
        shared = client.get("/s/free-them/en/?src=union-newsletter")
    assert shared.content == first.content
    assert len(queries) == 0
    pagecache.clear()


def test_editors_create_sources_and_it_is_audited(
    member_client: Client, statement: Statement
) -> None:
    response = member_client.post("/dashboard/s/free-them/sources/", {"code": "union-newsletter"})
    assert response.status_code == 302
    source = Source.objects.get()
    assert (source.statement, source.code) == (statement, "union-newsletter")
    log = AuditLog.objects.get(action="source.created")
    assert log.object_id == source.pk and log.statement == statement
    page = member_client.get("/dashboard/s/free-them/sources/").content.decode()
    assert "http://testserver/s/free-them/en/?src=union-newsletter" in page or (
        "/s/free-them/en/?src=union-newsletter" in page
    )
    assert "/s/free-them/es/?src=union-newsletter" in page
    assert "bsky.app/intent/compose" in page


@pytest.mark.parametrize("code", ["", "Has Spaces", "<script>", "ä"])
def test_a_bad_source_code_is_refused(
    member_client: Client, statement: Statement, code: str
) -> None:
    response = member_client.post("/dashboard/s/free-them/sources/", {"code": code})
    assert response.status_code == 400
    assert not Source.objects.exists()


def test_a_source_code_is_not_created_twice(member_client: Client, statement: Statement) -> None:
    Source.objects.create(statement=statement, code="posters")
    response = member_client.post("/dashboard/s/free-them/sources/", {"code": "posters"})
    assert response.status_code == 400
    assert Source.objects.count() == 1


def test_a_source_code_taken_by_another_editor_meanwhile_is_a_form_error(
    member_client: Client, statement: Statement, monkeypatch: pytest.MonkeyPatch
) -> None:
    from undersigned.dashboard.views import charts as views

    Source.objects.create(statement=statement, code="posters")
    # As if the other editor's insert landed between this form's check and its insert.
    monkeypatch.setattr(views.SourceForm, "clean_code", lambda form: form.cleaned_data["code"])
    response = member_client.post("/dashboard/s/free-them/sources/", {"code": "posters"})
    assert response.status_code == 400
    assert "already has a source with this code" in response.content.decode()
    assert Source.objects.count() == 1


def test_viewers_see_the_counts_but_no_form(viewer_client: Client, statement: Statement) -> None:
    source = Source.objects.create(statement=statement, code="posters")
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    SourceCount.objects.create(source=source, hour=hour, count=7)
    SourceCount.objects.create(source=source, hour=hour - dt.timedelta(days=5), count=2)
    page = viewer_client.get("/dashboard/s/free-them/sources/")
    row = page.context["rows"][0]
    assert (row["recent"], row["total"]) == (7, 9)
    assert '<form method="post">' not in page.content.decode()


def test_another_statements_sources_stay_out(viewer_client: Client, statement: Statement) -> None:
    other_org = Organisation.objects.create(name="Other", slug="other-org")
    other = Statement.objects.create(organisation=other_org, slug="theirs", default_language="en")
    theirs = Source.objects.create(statement=other, code="their-secret")
    SourceCount.objects.create(source=theirs, hour=timezone.now(), count=5)
    Source.objects.create(statement=statement, code="ours")
    for url in ("/dashboard/s/free-them/sources/", "/dashboard/s/free-them/charts/"):
        text = viewer_client.get(url).content.decode()
        assert "their-secret" not in text and "ours" in text
    assert viewer_client.get("/dashboard/s/theirs/charts/").status_code == 404
    assert viewer_client.post("/dashboard/s/theirs/sources/", {"code": "x"}).status_code == 404


def _counted_source(statement: Statement, code: str = "posters", count: int = 3) -> Source:
    source = Source.objects.create(statement=statement, code=code)
    SourceCount.objects.create(
        source=source, hour=timezone.now() - dt.timedelta(days=2), count=count
    )
    return source


def test_editors_rename_a_source_and_only_the_new_code_counts_from_then_on(
    member_client: Client, client: Client, statement: Statement, still_page_store: float
) -> None:
    source = _counted_source(statement)
    # The public page is in the page cache before the rename, as on a busy day.
    cached = client.get("/s/free-them/en/?src=posters").content
    page = member_client.get(f"/dashboard/s/free-them/sources/{source.pk}/rename/")
    assert page.status_code == 200
    assert 'value="posters"' in page.content.decode()
    response = member_client.post(
        f"/dashboard/s/free-them/sources/{source.pk}/rename/", {"code": "street-posters"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/s/free-them/sources/"
    assert _source_counts(statement) == {"street-posters": 3}
    log = AuditLog.objects.get(action="source.renamed")
    assert (log.object_id, log.statement, log.data) == (
        source.pk,
        statement,
        {"was": "posters", "code": "street-posters"},
    )
    assert client.get("/s/free-them/en/?src=street-posters").content == cached
    client.post("/s/free-them/en/sign/", sign_data(email="new@example.net", src="street-posters"))
    client.post("/s/free-them/en/sign/", sign_data(email="old@example.net", src="posters"))
    assert _source_counts(statement) == {"street-posters": 4}
    assert Signature.objects.count() == 2
    listing = member_client.get("/dashboard/s/free-them/sources/").content.decode()
    assert "?src=street-posters" in listing and "?src=posters" not in listing


@pytest.mark.parametrize("code", ["flyers", "Has Spaces", ""])
def test_a_source_is_not_renamed_to_a_taken_or_bad_code(
    member_client: Client, statement: Statement, code: str
) -> None:
    source = _counted_source(statement)
    Source.objects.create(statement=statement, code="flyers")
    response = member_client.post(
        f"/dashboard/s/free-them/sources/{source.pk}/rename/", {"code": code}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["code"]
    # The page still names the source by the code it has.
    assert "Rename the source “posters”" in response.content.decode()
    source.refresh_from_db()
    assert source.code == "posters"
    assert not AuditLog.objects.filter(action="source.renamed").exists()


def test_renaming_a_source_to_its_own_code_changes_nothing(
    member_client: Client, statement: Statement
) -> None:
    source = _counted_source(statement)
    response = member_client.post(
        f"/dashboard/s/free-them/sources/{source.pk}/rename/", {"code": "posters"}
    )
    assert response.status_code == 302
    assert not AuditLog.objects.filter(action="source.renamed").exists()


def test_deleting_a_source_asks_first_then_takes_its_counts_and_keeps_the_signatures(
    member_client: Client, client: Client, statement: Statement
) -> None:
    source = _counted_source(statement)
    client.post("/s/free-them/en/sign/", sign_data(src="posters"))
    assert _source_counts(statement) == {"posters": 4}
    url = f"/dashboard/s/free-them/sources/{source.pk}/delete/"
    listing = member_client.get("/dashboard/s/free-them/sources/").content.decode()
    assert f'href="{url}"' in listing
    # The link opens a page that asks; only the POST of its button deletes.
    page = member_client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert f'<form method="post" action="{url}">' in text and "4 new signatures" in text
    assert Source.objects.filter(pk=source.pk).exists()
    response = member_client.post(url)
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/s/free-them/sources/"
    assert not Source.objects.exists() and not SourceCount.objects.exists()
    assert Signature.objects.count() == 1
    log = AuditLog.objects.get(action="source.deleted")
    assert (log.object_id, log.statement, log.data) == (
        source.pk,
        statement,
        {"code": "posters", "counted": 4},
    )
    # Its links still sign, for no source.
    response = client.post("/s/free-them/en/sign/", sign_data(email="b@example.net", src="posters"))
    assert response.status_code == 302
    assert Signature.objects.count() == 2 and not SourceCount.objects.exists()
    assert member_client.post(url).status_code == 404


def test_viewers_and_outsiders_can_neither_rename_nor_delete_a_source(
    viewer_client: Client, outsider_client: Client, member_client: Client, statement: Statement
) -> None:
    source = _counted_source(statement)
    other = Statement.objects.create(
        organisation=statement.organisation, slug="another", default_language="en"
    )
    theirs = _counted_source(other, "theirs")
    for action in ("rename", "delete"):
        url = f"/dashboard/s/free-them/sources/{source.pk}/{action}/"
        for method in ("get", "post"):
            assert getattr(viewer_client, method)(url, {"code": "x"}).status_code == 403
            assert getattr(outsider_client, method)(url, {"code": "x"}).status_code == 404
        # A source of another statement, through this statement's address.
        wrong = f"/dashboard/s/free-them/sources/{theirs.pk}/{action}/"
        assert member_client.post(wrong, {"code": "x"}).status_code == 404
    assert _source_counts(statement) == {"posters": 3}
    assert _source_counts(other) == {"theirs": 3}
    assert AuditLog.objects.filter(action="access.denied").count() >= 4
    viewers_page = viewer_client.get("/dashboard/s/free-them/sources/").content.decode()
    assert "/rename/" not in viewers_page and "/delete/" not in viewers_page


@pytest.mark.django_db(transaction=True)
def test_a_source_deleted_while_a_form_is_sent_counts_nothing_and_fails_no_signer(
    statement: Statement,
) -> None:
    """The form's source was read before an organiser deleted it: committed, a count for it
    would break the foreign key, and the signer's transaction with it."""
    source = Source.objects.create(statement=statement, code="posters").pk
    Source.objects.filter(pk=source).delete()
    actions.sign(statement, "en", {"name": "Ana", "email": "ana@example.net"}, source=source)
    assert Signature.objects.count() == 1
    assert not SourceCount.objects.exists()


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        row = cursor.fetchone()
    return bool(row and row[0])


@pytest.mark.django_db(transaction=True)
def test_deleting_a_source_waits_for_a_signer_counting_into_it_and_takes_that_count_too(
    statement: Statement, member: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time")
    source = Source.objects.create(statement=statement, code="posters")
    signature = make_signature(statement, 1, state=Signature.State.PENDING, confirmed_at=None)
    counted, commit = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def sign() -> None:
        # The worker writing a new signature's details (statements.details).
        payload = {
            "signature": signature.pk,
            "new": True,
            "partners": [],
            "source": source.pk,
            "at": timezone.now().isoformat(),
        }
        try:
            with transaction.atomic():
                details.write_details(payload)
                counted.set()
                commit.wait(timeout=60)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            counted.set()
            connection.close()

    def delete() -> None:
        try:
            statement_actions.delete_source(source, member)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    signer = threading.Thread(target=sign)
    signer.start()
    counted.wait(timeout=60)
    deleter = threading.Thread(target=delete)
    deleter.start()
    # The deletion starts while the signer's count is not yet committed, and must wait for it.
    for _ in range(6000):
        if _someone_waits_for_a_lock() or not deleter.is_alive():
            break
        time.sleep(0.01)
    commit.set()
    signer.join()
    deleter.join()
    assert errors == []
    assert not Source.objects.exists() and not SourceCount.objects.exists()
    assert AuditLog.objects.get(action="source.deleted").data["counted"] == 1


def test_the_per_day_table_adds_up_to_the_count_every_page_shows(
    midday: dt.datetime, viewer_client: Client, statement: Statement
) -> None:
    now = timezone.now()
    make_signature(statement, 1, confirmed_at=now - dt.timedelta(hours=1))
    # Counted with no confirmation time (as an older version could store one): on its day.
    make_signature(statement, 2, confirmed_at=None, created_at=now - dt.timedelta(days=2))
    for n, state in enumerate(
        (
            Signature.State.PENDING,
            Signature.State.HELD,
            Signature.State.AWAITING_APPROVAL,
            Signature.State.REJECTED,
        ),
        start=3,
    ):
        make_signature(statement, n, state=state)
    detail = viewer_client.get("/dashboard/s/free-them/").context["counted"]
    charts_page = viewer_client.get("/dashboard/s/free-them/charts/").context
    daily = charts_page["daily_table"]
    assert detail == charts_page["count"] == sum(row[1][0] for row in daily["rows"]) == 2


def test_a_projection_over_one_day_says_day_not_days(
    midday: dt.datetime, viewer_client: Client, organisation: Organisation
) -> None:
    statement = Statement.objects.create(
        organisation=organisation, slug="new", status=Statement.Status.OPEN, goal=10
    )
    statement.versions.create(language="en", title="New", summary="s", body="b")
    page = viewer_client.get("/dashboard/s/new/charts/").content.decode()
    assert "in the last day." in page
    assert "10 more signatures are needed." in page
    assert "1 days" not in page
    make_signature(statement, 1, confirmed_at=timezone.now())
    page = viewer_client.get("/dashboard/s/new/charts/").content.decode()
    assert "At the rate of the last day (1.0 a day), the goal would be reached on" in page
    assert "9 more signatures are needed." in page
