"""Statements in the dashboard: the list, creating and copying, settings, language versions,
publishing. Who may reach each view is in test_permissions; here, what each does."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from undersigned.audit.models import AuditLog
from undersigned.conftest import make_signature
from undersigned.dashboard.statement_actions import lacks
from undersigned.dashboard.views.home import start_of_today
from undersigned.lib.markdown import render as render_markdown
from undersigned.organisations.models import Organisation
from undersigned.statements.models import Signature, Statement, StatementVersion

NEW = "/dashboard/o/red-estudiantil/statements/new/"


def new_statement(**overrides: str) -> dict[str, str]:
    data = {
        "slug": "stop-evictions",
        "language": "en",
        "title": "Stop the evictions",
        "summary": "No one on the street.",
        "body": "<p>Families are being evicted.</p>",
        "demands": "Halt evictions\nHouse everyone",
    }
    data.update(overrides)
    return data


def messages_of(response: object) -> list[str]:
    return [str(m) for m in response.context["messages"]]  # type: ignore[attr-defined]


# The list


def test_the_list_shows_status_count_and_signatures_today(
    midday: dt.datetime, viewer_client: Client, statement: Statement
) -> None:
    today = start_of_today()
    make_signature(statement, 1, confirmed_at=today + dt.timedelta(minutes=1))
    make_signature(statement, 2, confirmed_at=today - dt.timedelta(minutes=1))
    make_signature(statement, 3, state=Signature.State.PENDING, confirmed_at=None)
    Statement.objects.create(
        organisation=Organisation.objects.create(name="Other", slug="other"),
        slug="not-ours",
        default_language="en",
    )
    page = viewer_client.get("/dashboard/o/red-estudiantil/statements/")
    assert page.status_code == 200
    (row,) = page.context["statements"]
    assert (row.slug, row.counted, row.today) == ("free-them", 2, 1)
    text = page.content.decode()
    assert "Free them" in text and "open" in text
    assert "not-ours" not in text
    # A viewer is not offered what they may not do.
    assert NEW not in text and "/copy/" not in text


# Creating


def test_an_editor_creates_a_draft_with_its_first_version(
    member_client: Client, organisation: Organisation
) -> None:
    response = member_client.post(NEW, new_statement(language="ES_419"))
    assert response.status_code == 302
    statement = Statement.objects.get(slug="stop-evictions")
    assert response["Location"] == "/dashboard/s/stop-evictions/"
    assert (statement.organisation, statement.status) == (organisation, "draft")
    assert statement.default_language == "es-419"
    (version,) = statement.versions.all()
    assert (version.language, version.title) == ("es-419", "Stop the evictions")
    assert version.demand_list == ["Halt evictions", "House everyone"]
    log = AuditLog.objects.get(action="statement.created")
    assert log.statement == statement and log.actor is not None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("slug", "free-them"),  # taken
        ("slug", "FREE-THEM"),  # taken, in other case
        ("slug", "no spaces/or slashes"),
        ("slug", "x" * 81),
        ("language", "english please"),
        ("language", "e"),
        ("language", ""),
        ("title", ""),
        ("title", "t" * 201),
        ("summary", "s" * 501),
    ],
)
def test_creating_refuses_bad_input_with_a_message(
    organiser_client: Client, statement: Statement, field: str, value: str
) -> None:
    response = organiser_client.post(NEW, new_statement(**{field: value}))
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert Statement.objects.count() == 1


def test_errors_are_in_the_organisers_language(
    organiser_client: Client, statement: Statement
) -> None:
    response = organiser_client.post(
        NEW, new_statement(title=""), headers={"accept-language": "es"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["title"] == ["Este campo es obligatorio."]


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        (
            "¡Libertad para los estudiantes de Valmora, ya!",
            "libertad-para-los-estudiantes-de-valmora-ya",
        ),
        ("Free them", "free-them-2"),  # taken by the fixture's statement
        ("Stop the evictions " * 8, "stop-the-evictions-stop-the-evictions-stop-the-evictions"),
        ("حرية للطلاب", "statement"),
    ],
)
def test_the_address_is_made_from_the_title_when_left_empty(
    organiser_client: Client, statement: Statement, title: str, slug: str
) -> None:
    response = organiser_client.post(NEW, new_statement(slug="", title=title))
    assert response.status_code == 302
    assert Statement.objects.filter(slug=slug).exists()
    assert len(slug) <= 60


def test_the_language_is_picked_by_its_name_or_typed_as_a_tag(
    organiser_client: Client, organisation: Organisation
) -> None:
    page = organiser_client.get(NEW).content.decode()
    # The browser's suggestions, by name, without a script.
    assert 'list="id_language-names"' in page
    assert '<option value="qu">Runa Simi (qu)</option>' in page
    assert '<option value="es">español (es)</option>' in page
    for n, tag in enumerate(["qu", "es-419", "nah", "gsw"]):
        response = organiser_client.post(NEW, new_statement(slug=f"s{n}", language=tag))
        assert response.status_code == 302
        assert Statement.objects.get(slug=f"s{n}").default_language == tag


def test_a_created_body_is_published_as_the_safe_subset(
    organiser_client: Client, organisation: Organisation
) -> None:
    organiser_client.post(NEW, new_statement(body='<p onclick="x()">Hi<script>bad()</script></p>'))
    version = StatementVersion.objects.get(statement__slug="stop-evictions")
    shown = render_markdown(version.body)
    assert "Hi" in shown and "script" not in shown and "onclick" not in shown


# Copying


def test_a_copy_keeps_versions_and_settings_and_no_signature(
    member_client: Client, statement: Statement
) -> None:
    statement.ask_postcode = True
    statement.allow_organisations = False
    statement.status = Statement.Status.CLOSED
    statement.save()
    make_signature(statement, 1)
    response = member_client.post("/dashboard/s/free-them/copy/", {"slug": "free-them-again"})
    assert response.status_code == 302
    copy = Statement.objects.get(slug="free-them-again")
    assert copy.status == Statement.Status.DRAFT and copy.closed_at is None
    assert copy.organisation == statement.organisation
    for name in ("goal", "deadline", "addressed_to", "default_language", "ask_postcode"):
        assert getattr(copy, name) == getattr(statement, name), name
    assert copy.allow_organisations is False
    texts = [
        (v.language, v.title, v.summary, v.body, v.demands)
        for v in copy.versions.order_by("language")
    ]
    assert texts == [
        (v.language, v.title, v.summary, v.body, v.demands)
        for v in statement.versions.order_by("language")
    ]
    assert not copy.signatures.exists()
    assert statement.versions.count() == 2 and statement.signatures.count() == 1
    log = AuditLog.objects.get(action="statement.copied")
    assert log.data == {"original": statement.pk, "versions": 2}


def test_a_copy_needs_a_free_address(member_client: Client, statement: Statement) -> None:
    response = member_client.post("/dashboard/s/free-them/copy/", {"slug": "free-them"})
    assert response.status_code == 200
    assert response.context["form"].errors["slug"]
    assert Statement.objects.count() == 1


# Settings

SETTINGS = "/dashboard/s/free-them/settings/"


def settings_data(**overrides: str) -> dict[str, str]:
    data = {
        "goal": "500",
        "deadline": (timezone.localtime() + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
        "addressed_to": "The Embassy",
        "default_language": "es",
        "ask_country": "on",
        "require_country": "on",
        "ask_postcode": "on",
    }
    data.update(overrides)
    return data


def test_an_editor_changes_the_settings(member_client: Client, statement: Statement) -> None:
    response = member_client.post(SETTINGS, settings_data())
    assert response.status_code == 302
    statement.refresh_from_db()
    assert (statement.goal, statement.addressed_to, statement.default_language) == (
        500,
        "The Embassy",
        "es",
    )
    assert statement.require_country and statement.ask_postcode
    assert not statement.allow_organisations
    log = AuditLog.objects.get(action="statement.settings")
    assert "goal" in log.data["fields"] and "The Embassy" not in str(log.data)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("goal", "0"),
        ("goal", "-5"),
        ("goal", "lots"),
        ("goal", "1000000000000"),
        ("deadline", "2001-01-01T10:00"),
        ("deadline", "tomorrow"),
        ("default_language", "fr"),  # no version in French
        ("default_language", "not a tag"),
        ("addressed_to", "a" * 201),
        ("addressed_to", '=HYPERLINK("https://evil.example/","The Ministry")'),
        ("addressed_to", "The Ministry, see ministry-leaks.com"),
    ],
)
def test_settings_refuse_bad_input_with_a_message(
    organiser_client: Client, statement: Statement, field: str, value: str
) -> None:
    response = organiser_client.post(SETTINGS, settings_data(**{field: value}))
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    statement.refresh_from_db()
    assert statement.addressed_to == "The Ministry"


def test_requiring_the_country_means_asking_for_it(
    organiser_client: Client, statement: Statement
) -> None:
    data = settings_data()
    del data["ask_country"]
    response = organiser_client.post(SETTINGS, data)
    assert response.status_code == 200
    assert response.context["form"].errors["require_country"]


def test_an_unchanged_past_deadline_does_not_block_other_settings(
    organiser_client: Client, statement: Statement
) -> None:
    # With seconds, as the demo and the admin set it; the form shows it to the minute.
    past = timezone.now() - dt.timedelta(days=2)
    Statement.objects.filter(pk=statement.pk).update(deadline=past)
    deadline = timezone.localtime(past).strftime("%Y-%m-%dT%H:%M")
    response = organiser_client.post(SETTINGS, settings_data(deadline=deadline, goal="600"))
    assert response.status_code == 302
    statement.refresh_from_db()
    assert (statement.deadline, statement.goal) == (past, 600)


@pytest.mark.parametrize("utc_hour", [0, 1])
def test_an_unchanged_deadline_in_the_hour_a_dst_change_repeats_stays_as_it_is(
    organiser_client: Client, statement: Statement, settings: Any, utc_hour: int
) -> None:
    """Madrid went from 03:00 back to 02:00 on 25 October 2026: 02:30 came at 00:30 and at
    01:30 UTC."""
    settings.TIME_ZONE = "Europe/Madrid"
    deadline = dt.datetime(2026, 10, 25, utc_hour, 30, tzinfo=dt.UTC)
    Statement.objects.filter(pk=statement.pk).update(deadline=deadline)
    page = organiser_client.get(SETTINGS).content.decode()
    assert 'value="2026-10-25T02:30"' in page
    data = settings_data(deadline="2026-10-25T02:30", goal="600")
    assert organiser_client.post(SETTINGS, data).status_code == 302
    statement.refresh_from_db()
    assert (statement.deadline, statement.goal) == (deadline, 600)


@pytest.mark.parametrize("typed", ["2027-10-31T02:30", "2027-03-28T02:30"])
def test_a_new_deadline_at_a_time_a_dst_change_repeats_or_skips_is_a_form_error(
    organiser_client: Client, statement: Statement, settings: Any, typed: str
) -> None:
    settings.TIME_ZONE = "Europe/Madrid"
    response = organiser_client.post(SETTINGS, settings_data(deadline=typed))
    assert response.status_code == 200
    assert response.context["form"].errors["deadline"]


def test_a_viewer_sees_the_settings_but_cannot_change_them(
    viewer_client: Client, statement: Statement
) -> None:
    page = viewer_client.get(SETTINGS)
    assert page.status_code == 200
    assert all(field.disabled for field in page.context["form"].fields.values())
    assert viewer_client.post(SETTINGS, settings_data()).status_code == 403
    statement.refresh_from_db()
    assert statement.addressed_to == "The Ministry"


def test_an_outsider_cannot_change_settings(outsider_client: Client, statement: Statement) -> None:
    assert outsider_client.post(SETTINGS, settings_data()).status_code == 404
    statement.refresh_from_db()
    assert statement.goal == 100


# Publishing, closing, reopening


@pytest.fixture
def draft(statement: Statement) -> Statement:
    statement.status = Statement.Status.DRAFT
    statement.save()
    return statement


def test_publishing_opens_the_public_page(member_client: Client, draft: Statement) -> None:
    visitor = Client()
    assert visitor.get("/s/free-them/en/").status_code == 404
    response = member_client.post("/dashboard/s/free-them/publish/", follow=True)
    assert "published" in " ".join(messages_of(response))
    draft.refresh_from_db()
    assert draft.status == Statement.Status.OPEN
    assert visitor.get("/s/free-them/en/").status_code == 200
    assert AuditLog.objects.filter(action="statement.published", statement=draft).exists()


@pytest.mark.parametrize(
    ("field", "value"), [("title", ""), ("body", ""), ("body", "<p> </p><script>x</script>")]
)
def test_publishing_refuses_a_default_version_without_title_or_body(
    member_client: Client, draft: Statement, field: str, value: str
) -> None:
    StatementVersion.objects.filter(statement=draft, language="en").update(**{field: value})
    response = member_client.post("/dashboard/s/free-them/publish/", follow=True)
    assert response.status_code == 200
    assert "Not published" in " ".join(messages_of(response))
    draft.refresh_from_db()
    assert draft.status == Statement.Status.DRAFT
    assert not AuditLog.objects.filter(action="statement.published").exists()


def test_publishing_needs_a_version_in_the_default_language(
    member_client: Client, draft: Statement
) -> None:
    Statement.objects.filter(pk=draft.pk).update(default_language="fr")
    member_client.post("/dashboard/s/free-them/publish/")
    draft.refresh_from_db()
    assert draft.status == Statement.Status.DRAFT


def test_closing_and_reopening(member_client: Client, statement: Statement) -> None:
    visitor = Client()
    # The sign form's; the "Follow for updates" form stays on a closed statement.
    sign_form = b'action="/s/free-them/en/sign/"'
    assert sign_form in visitor.get("/s/free-them/en/").content
    member_client.post("/dashboard/s/free-them/close/")
    statement.refresh_from_db()
    assert statement.status == Statement.Status.CLOSED and statement.closed_at is not None
    # The public page, cached before, shows the change at once.
    assert sign_form not in visitor.get("/s/free-them/en/").content
    member_client.post("/dashboard/s/free-them/reopen/")
    statement.refresh_from_db()
    assert statement.status == Statement.Status.OPEN and statement.closed_at is None
    assert sign_form in visitor.get("/s/free-them/en/").content
    actions = list(
        AuditLog.objects.filter(action__startswith="statement.").values_list("action", flat=True)
    )
    assert sorted(actions) == ["statement.closed", "statement.reopened"]


def test_a_transition_from_the_wrong_status_changes_nothing(
    member_client: Client, statement: Statement
) -> None:
    response = member_client.post("/dashboard/s/free-them/reopen/", follow=True)
    assert "Nothing changed" in " ".join(messages_of(response))
    member_client.post("/dashboard/s/free-them/publish/")
    statement.refresh_from_db()
    assert statement.status == Statement.Status.OPEN
    assert not AuditLog.objects.filter(action__startswith="statement.").exists()


def test_status_changes_are_post_only(member_client: Client, statement: Statement) -> None:
    assert member_client.get("/dashboard/s/free-them/close/").status_code == 405
    statement.refresh_from_db()
    assert statement.status == Statement.Status.OPEN


# Language versions


def test_adding_a_version_normalises_its_tag(member_client: Client, statement: Statement) -> None:
    response = member_client.post(
        "/dashboard/s/free-them/versions/new/",
        {"language": "qu_pe", "title": "Kacharichiy", "body": "<p>Qichwa</p>"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/s/free-them/versions/qu-PE/"
    assert statement.versions.filter(language="qu-PE", title="Kacharichiy").exists()
    assert AuditLog.objects.get(action="statement.version_added").data == {"language": "qu-PE"}


@pytest.mark.parametrize("language", ["es", "ES", "", "spanish!", "x"])
def test_adding_a_version_refuses_a_taken_or_bad_tag(
    member_client: Client, statement: Statement, language: str
) -> None:
    response = member_client.post(
        "/dashboard/s/free-them/versions/new/", {"language": language, "title": "T"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["language"]
    assert statement.versions.count() == 2


def test_the_add_page_shows_the_default_version_beside_the_form(
    member_client: Client, statement: Statement
) -> None:
    page = member_client.get("/dashboard/s/free-them/versions/new/")
    assert page.context["default"].language == "en"
    assert "English body" in page.content.decode()


def test_editing_a_version_saves_it_and_the_public_page_shows_it(
    member_client: Client, statement: Statement
) -> None:
    visitor = Client()
    assert "Libertad para ellos" in visitor.get("/s/free-them/es/").content.decode()
    response = member_client.post(
        "/dashboard/s/free-them/versions/es/",
        {"title": "Libertad ya", "summary": "S", "body": "<p>Cuerpo</p>", "demands": "A\nB"},
    )
    assert response.status_code == 302
    assert "Libertad ya" in visitor.get("/s/free-them/es/").content.decode()
    log = AuditLog.objects.get(action="statement.version_edited")
    assert log.data["language"] == "es" and "title" in log.data["fields"]


def test_the_edit_page_shows_the_default_read_only_beside_the_form(
    viewer_client: Client, statement: Statement
) -> None:
    page = viewer_client.get("/dashboard/s/free-them/versions/es/")
    assert page.status_code == 200
    assert page.context["default"].language == "en"
    text = page.content.decode()
    assert "English body" in text and "Cuerpo en español" in text
    assert all(field.disabled for field in page.context["form"].fields.values())


def test_the_default_version_is_edited_alone(member_client: Client, statement: Statement) -> None:
    page = member_client.get("/dashboard/s/free-them/versions/en/")
    assert page.context["default"] is None


def test_a_preview_is_sanitised_and_not_saved(member_client: Client, statement: Statement) -> None:
    response = member_client.post(
        "/dashboard/s/free-them/versions/es/",
        {
            "title": "Nuevo",
            "summary": "",
            "body": '<p>Visto</p><script>alert(1)</script><img src="https://evil.example/x">',
            "demands": "",
            "preview": "1",
        },
    )
    assert response.status_code == 200
    preview = response.content.decode().split('id="preview-heading"')[1]
    assert "<p>Visto</p>" in preview
    assert "<script>" not in preview and "evil.example" not in preview
    assert statement.versions.get(language="es").title == "Libertad para ellos"
    assert not AuditLog.objects.filter(action="statement.version_edited").exists()


def test_an_unknown_version_is_404(member_client: Client, statement: Statement) -> None:
    assert member_client.get("/dashboard/s/free-them/versions/fr/").status_code == 404


def test_a_version_with_bad_input_gets_a_message(
    member_client: Client, statement: Statement
) -> None:
    response = member_client.post(
        "/dashboard/s/free-them/versions/es/", {"title": "", "summary": "s" * 501}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"title", "summary"}


# What a translation lacks


def version(**fields: str) -> StatementVersion:
    values = {"language": "xx", "title": "T", "summary": "S", "body": "<p>B</p>", "demands": ""}
    values.update(fields)
    return StatementVersion(**values)


def test_a_complete_translation_lacks_nothing() -> None:
    default = version(pk=1, body="<p>Twelve chars</p>", demands="a\nb")  # type: ignore[arg-type]
    assert lacks(default, version(body="<p>Doce letras</p>", demands="x\ny")) == []


def test_a_translation_lacks_fields_the_default_has() -> None:
    default = version(summary="Summary", demands="a")
    problems = lacks(default, version(summary="", body="", demands=""))
    assert problems == [
        "The summary is empty.",
        "The body is empty.",
        "The demands are empty.",
    ]


def test_a_translation_lacks_demands_and_body_text() -> None:
    default = version(body="<p>" + "word " * 40 + "</p>", demands="a\nb\nc")
    (fewer, shorter) = lacks(default, version(body="<p>word word</p>", demands="a"))
    assert "1 demand where the default version has 3" in fewer
    assert "much shorter" in shorter


def test_the_detail_page_lists_what_each_translation_lacks(
    viewer_client: Client, statement: Statement
) -> None:
    StatementVersion.objects.filter(language="es").update(demands="Solo una")
    page = viewer_client.get("/dashboard/s/free-them/")
    assert page.status_code == 200
    rows = {v.language: problems for v, problems in page.context["versions"]}
    assert rows["en"] == []
    assert rows["es"] == ["It has 1 demand where the default version has 2."]
    assert "Publish" not in page.content.decode()  # a viewer gets no buttons


def test_each_language_version_names_the_addressee_in_its_own_words(
    member_client: Client, statement: Statement
) -> None:
    spanish = statement.versions.get(language="es")
    response = member_client.post(
        "/dashboard/s/free-them/versions/es/",
        {
            "title": spanish.title,
            "summary": spanish.summary,
            "body": spanish.body,
            "demands": spanish.demands,
            "addressed_to": "El Ministerio",
        },
    )
    assert response.status_code == 302
    spanish_page = Client().get("/s/free-them/es/").content.decode()
    english_page = Client().get("/s/free-them/en/").content.decode()
    assert "El Ministerio" in spanish_page and "The Ministry" not in spanish_page
    # A version with no wording of its own shows the statement's.
    assert "The Ministry" in english_page and "El Ministerio" not in english_page
