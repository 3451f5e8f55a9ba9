"""Updates: written in the dashboard in each language version, published on the statement's page
with a permalink each, and in Atom and JSON feeds that a feed reader parses."""

from __future__ import annotations

import datetime as dt

import feedparser
import jsonfeed
import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from undersigned.audit.models import AuditLog
from undersigned.statements.models import Statement
from undersigned.updates.models import Update, UpdateMailing, UpdateVersion


def _update(
    statement: Statement, texts: dict[str, tuple[str, str]], *, minutes_ago: int | None = 0
) -> Update:
    update = Update.objects.create(
        statement=statement,
        published_at=None
        if minutes_ago is None
        else timezone.now() - dt.timedelta(minutes=minutes_ago),
    )
    for language, (title, body) in texts.items():
        UpdateVersion.objects.create(update=update, language=language, title=title, body=body)
    return update


BILINGUAL = {
    "en": ("Strike on Friday", "<p>Meet at noon.</p>"),
    "es": ("Huelga el viernes", "<p>Nos vemos a mediodía.</p>"),
}


def test_the_statement_page_shows_the_latest_updates_in_its_language(
    client: Client, statement: Statement
) -> None:
    _update(statement, {"en": ("Older news", "<p>Old.</p>")}, minutes_ago=60)
    update = _update(statement, BILINGUAL)
    english = client.get("/s/free-them/en/").content.decode()
    assert english.index("Strike on Friday") < english.index("Older news")
    assert f'href="/s/free-them/en/updates/{update.pk}/"' in english
    spanish = client.get("/s/free-them/es/").content.decode()
    assert "Huelga el viernes" in spanish and "Strike on Friday" not in spanish
    # No Spanish version: the default one.
    assert "Older news" in spanish


def test_drafts_are_nowhere_public(client: Client, statement: Statement) -> None:
    draft = _update(statement, {"en": ("Secret plan", "<p>Shh.</p>")}, minutes_ago=None)
    for url in (
        "/s/free-them/en/",
        "/s/free-them/en/updates/",
        "/s/free-them/en/updates.atom",
        "/s/free-them/en/updates.json",
        "/o/red-estudiantil/updates.atom",
    ):
        assert "Secret plan" not in client.get(url).content.decode(), url
    assert client.get(f"/s/free-them/en/updates/{draft.pk}/").status_code == 404


def test_each_update_has_a_permalink_in_each_language(client: Client, statement: Statement) -> None:
    update = _update(statement, BILINGUAL)
    response = client.get(f"/s/free-them/es/updates/{update.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Huelga el viernes" in page and "Nos vemos a mediodía." in page
    assert 'lang="es"' in page
    # A language the statement is not in has no page, as the statement has none in it.
    assert client.get(f"/s/free-them/xx/updates/{update.pk}/").status_code == 404
    # The same language tag in other letters is sent to the permalink.
    other = client.get(f"/s/free-them/ES/updates/{update.pk}/")
    assert (other.status_code, other["Location"]) == (302, f"/s/free-them/es/updates/{update.pk}/")
    assert client.get("/s/free-them/en/updates/999999/").status_code == 404


def test_the_list_pages_from_newest_to_oldest(client: Client, statement: Statement) -> None:
    for n in range(25):
        _update(statement, {"en": (f"News number {n:02}", "<p>x</p>")}, minutes_ago=100 - n)
    first = client.get("/s/free-them/en/updates/").content.decode()
    assert "News number 24" in first and "News number 05" in first
    assert "News number 04" not in first
    older = Update.objects.get(versions__title="News number 05").pk
    assert f"?before={older}" in first
    second = client.get(f"/s/free-them/en/updates/?before={older}").content.decode()
    assert "News number 04" in second and "News number 00" in second
    assert "News number 05" not in second


@pytest.mark.parametrize("before", ["²", "١٢", "9" * 30, "9" * 5000, "-1", "x"])
def test_a_malformed_page_cursor_shows_the_first_page(
    client: Client, statement: Statement, before: str
) -> None:
    _update(statement, BILINGUAL)
    response = client.get("/s/free-them/en/updates/", {"before": before})
    assert response.status_code == 200
    assert "Strike on Friday" in response.content.decode()


@pytest.mark.parametrize("number", ["9" * 19, "9" * 30, "9" * 5000])
def test_an_update_number_too_long_for_the_database_is_not_found(
    client: Client, statement: Statement, number: str
) -> None:
    assert client.get(f"/s/free-them/en/updates/{number}/").status_code == 404


def test_organiser_html_is_sanitised(client: Client, statement: Statement) -> None:
    _update(statement, {"en": ("Title", '<p onclick="x()">Hi<script>alert(1)</script></p>')})
    for url in ("/s/free-them/en/", "/s/free-them/en/updates/", "/s/free-them/en/updates.json"):
        body = client.get(url).content.decode()
        assert "<script>alert" not in body and "onclick" not in body, url


def test_the_atom_feed_parses_with_each_update_in_the_language(
    client: Client, statement: Statement
) -> None:
    _update(statement, {"en": ("Older news", "<p>Old.</p>")}, minutes_ago=60)
    update = _update(statement, BILINGUAL)
    response = client.get("/s/free-them/es/updates.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    assert feed.feed.title == "Libertad para ellos"
    assert [entry.title for entry in feed.entries] == ["Huelga el viernes", "Older news"]
    assert feed.entries[0].link == f"{settings.SITE_URL}/s/free-them/es/updates/{update.pk}/"
    assert "Nos vemos a mediodía." in feed.entries[0].summary
    assert feed.entries[0].id != feed.entries[1].id


def test_the_json_feed_parses(client: Client, statement: Statement) -> None:
    update = _update(statement, BILINGUAL)
    response = client.get("/s/free-them/en/updates.json")
    assert response["Content-Type"].startswith("application/feed+json")
    feed = jsonfeed.Feed.parse_string(response.content.decode())
    assert feed.title == "Free them"
    assert feed.language == "en"
    assert [item.title for item in feed.items] == ["Strike on Friday"]
    assert feed.items[0].url.endswith(f"/s/free-them/en/updates/{update.pk}/")
    assert feed.items[0].content_html == "<p>Meet at noon.</p>"
    assert feed.items[0].date_published == update.published_at.isoformat()


def test_the_organisations_feed_has_every_public_statements_updates(
    client: Client, statement: Statement
) -> None:
    _update(statement, BILINGUAL)
    draft_statement = Statement.objects.create(
        organisation=statement.organisation, slug="draft", default_language="en"
    )
    _update(draft_statement, {"en": ("Not yet public", "<p>x</p>")})
    feed = feedparser.parse(client.get("/o/red-estudiantil/updates.atom").content)
    assert not feed.bozo, feed.bozo_exception
    assert [entry.title for entry in feed.entries] == ["Strike on Friday"]
    assert client.get("/o/nobody/updates.atom").status_code == 404


def test_control_characters_in_the_text_do_not_break_the_feeds(
    member_client: Client, client: Client, statement: Statement
) -> None:
    # Characters XML 1.0 cannot carry, pasted into the update and the statement's summary.
    response = member_client.post(
        "/dashboard/s/free-them/updates/new/",
        {"en-title": "Strike", "en-body": "<p>Meet\x01 at\x0b noon\x1f.</p>"},
    )
    assert response.status_code == 302
    update = Update.objects.get()
    member_client.post(f"/dashboard/s/free-them/updates/{update.pk}/publish/")
    statement.versions.filter(language="en").update(summary="Release\x0c them.")
    for url in ("/s/free-them/en/updates.atom", "/o/red-estudiantil/updates.atom"):
        response = client.get(url)
        assert response.status_code == 200, url
        feed = feedparser.parse(response.content)
        assert not feed.bozo, feed.bozo_exception
        assert "Meet at noon." in feed.entries[0].summary
    response = client.get("/s/free-them/en/updates.json")
    assert response.status_code == 200


def test_pages_link_to_their_feeds(client: Client, statement: Statement) -> None:
    _update(statement, BILINGUAL)
    page = client.get("/s/free-them/es/").content.decode()
    assert 'type="application/atom+xml"' in page
    assert "/s/free-them/es/updates.atom" in page
    assert "/s/free-them/es/updates.json" in page


# The dashboard


def test_an_editor_writes_a_bilingual_update_and_publishes_it(
    member_client: Client, client: Client, statement: Statement
) -> None:
    response = member_client.post(
        "/dashboard/s/free-them/updates/new/",
        {
            "en-title": "Strike on Friday",
            "en-body": "<p>Meet at noon.</p>",
            "es-title": "Huelga el viernes",
            "es-body": "<p>Nos vemos a mediodía.</p>",
        },
    )
    assert response.status_code == 302
    update = Update.objects.get()
    assert update.published_at is None
    assert sorted(update.versions.values_list("language", flat=True)) == ["en", "es"]
    assert "Strike on Friday" not in client.get("/s/free-them/en/").content.decode()

    response = member_client.post(f"/dashboard/s/free-them/updates/{update.pk}/publish/")
    assert response.status_code == 302
    update.refresh_from_db()
    assert update.published_at is not None
    assert "Huelga el viernes" in client.get("/s/free-them/es/").content.decode()
    assert AuditLog.objects.filter(action="update.published", object_id=update.pk).exists()


def test_a_language_left_empty_falls_back_and_the_default_is_required(
    member_client: Client, statement: Statement
) -> None:
    response = member_client.post(
        "/dashboard/s/free-them/updates/new/",
        {"en-title": "", "en-body": "", "es-title": "Solo", "es-body": "<p>x</p>"},
    )
    assert response.status_code == 400
    assert "Give the update a title in this language." in response.content.decode()
    assert Update.objects.count() == 0
    response = member_client.post(
        "/dashboard/s/free-them/updates/new/",
        {"en-title": "Only English", "en-body": "<p>x</p>", "es-title": "", "es-body": ""},
    )
    assert response.status_code == 302
    assert list(UpdateVersion.objects.values_list("language", flat=True)) == ["en"]
    response = member_client.post(
        "/dashboard/s/free-them/updates/new/",
        {"en-title": "Half", "en-body": "<p>x</p>", "es-title": "Sin texto", "es-body": ""},
    )
    assert response.status_code == 400
    assert "Write the update&#x27;s text in this language." in response.content.decode()


def test_editing_keeps_the_publication_date_and_emptying_a_language_removes_it(
    member_client: Client, statement: Statement
) -> None:
    update = _update(statement, BILINGUAL, minutes_ago=30)
    published = update.published_at
    response = member_client.post(
        f"/dashboard/s/free-them/updates/{update.pk}/",
        {
            "en-title": "Strike on Saturday",
            "en-body": "<p>Moved.</p>",
            "es-title": "",
            "es-body": "",
        },
    )
    assert response.status_code == 302
    update.refresh_from_db()
    assert update.published_at == published
    assert list(update.versions.values_list("language", "title")) == [("en", "Strike on Saturday")]


def test_deleting_removes_it_from_the_page(
    member_client: Client, client: Client, statement: Statement
) -> None:
    update = _update(statement, BILINGUAL)
    assert "Strike on Friday" in client.get("/s/free-them/en/").content.decode()
    response = member_client.post(f"/dashboard/s/free-them/updates/{update.pk}/delete/")
    assert response.status_code == 302
    assert Update.objects.count() == 0
    assert "Strike on Friday" not in client.get("/s/free-them/en/").content.decode()


@pytest.mark.parametrize("action", ["publish", "delete"])
def test_another_statements_update_is_not_found(
    member_client: Client, statement: Statement, action: str
) -> None:
    other = Statement.objects.create(
        organisation=statement.organisation, slug="other", default_language="en"
    )
    update = _update(other, {"en": ("Other", "<p>x</p>")}, minutes_ago=None)
    response = member_client.post(f"/dashboard/s/free-them/updates/{update.pk}/{action}/")
    assert response.status_code == 404
    assert Update.objects.filter(pk=update.pk, published_at=None).exists()


def test_an_editor_emails_a_published_update_once_and_watches_the_progress(
    member_client: Client, statement: Statement
) -> None:
    from django.core import mail

    from undersigned.conftest import make_signature
    from undersigned.jobs.queue import drain

    for n in range(2):
        make_signature(statement, n, wants_updates=True)
    make_signature(statement, 5)  # did not ask for updates
    draft = _update(statement, BILINGUAL, minutes_ago=None)
    page = member_client.get(f"/dashboard/s/free-them/updates/{draft.pk}/").content.decode()
    assert "Preview and email this update" not in page  # a draft is published first
    response = member_client.post(f"/dashboard/s/free-them/updates/{draft.pk}/email/")
    assert response.status_code == 302
    assert not UpdateMailing.objects.filter(update=draft).exists()

    update = _update(statement, BILINGUAL)
    page = member_client.get(f"/dashboard/s/free-them/updates/{update.pk}/").content.decode()
    assert "Email it to the 2 people who asked for updates" in page
    response = member_client.post(f"/dashboard/s/free-them/updates/{update.pk}/email/")
    assert response.status_code == 302
    page = member_client.get(f"/dashboard/s/free-them/updates/{update.pk}/").content.decode()
    assert "Getting the list of recipients ready" in page
    assert 'http-equiv="refresh"' in page
    drain()
    page = member_client.get(f"/dashboard/s/free-them/updates/{update.pk}/").content.decode()
    assert "Finished on" in page and 'http-equiv="refresh"' not in page
    assert "<dt>Sent</dt><dd>2</dd>" in page
    assert "Preview and email this update" not in page
    assert len(mail.outbox) == 2
    # Asking again sends nothing.
    response = member_client.post(f"/dashboard/s/free-them/updates/{update.pk}/email/")
    messages = [m.message for m in response.wsgi_request._messages]  # type: ignore[attr-defined]
    assert messages == ["This update has been emailed already."]
    drain()
    assert len(mail.outbox) == 2
    assert AuditLog.objects.filter(action="update.mailing_requested").count() == 1


def test_emailing_an_update_shows_it_first_and_a_test_goes_to_the_editor_alone(
    member_client: Client, statement: Statement
) -> None:
    from django.core import mail

    from undersigned.conftest import make_signature
    from undersigned.jobs.queue import drain

    make_signature(statement, 1, wants_updates=True)
    update = _update(statement, BILINGUAL)
    page = member_client.get(f"/dashboard/s/free-them/updates/{update.pk}/").content.decode()
    # The update's page only leads to the preview: no form there sends it.
    assert f'href="/dashboard/s/free-them/updates/{update.pk}/email/"' in page
    assert f'action="/dashboard/s/free-them/updates/{update.pk}/email/"' not in page
    preview = member_client.get(f"/dashboard/s/free-them/updates/{update.pk}/email/")
    assert preview.status_code == 200
    shown = preview.content.decode()
    for title, text in (("Strike on Friday", "Meet at noon."), ("Huelga el viernes", "mediodía")):
        assert title in shown and text in shown
    assert "Send to 1 person" in shown
    # Looking sends nothing, to anyone.
    drain()
    assert mail.outbox == [] and not UpdateMailing.objects.exists()

    response = member_client.post(
        f"/dashboard/s/free-them/updates/{update.pk}/email/test/", {"language": "es"}
    )
    assert response.status_code == 302
    drain()
    (test,) = mail.outbox
    assert test.to == ["member@example.com"]
    assert test.subject == "[Prueba] Huelga el viernes"
    assert "mediodía" in test.body
    # Only a test: no mailing, no recipient reached.
    assert not UpdateMailing.objects.exists()
    assert AuditLog.objects.filter(action="update.tested").count() == 1
