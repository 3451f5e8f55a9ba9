"""A statement's updates: the list (every member), writing one in each language version of the
statement, publishing and deleting it (editors and owners)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from undersigned.audit.models import record
from undersigned.dashboard.access import EDITOR, VIEWER, read_only_below, statement_for
from undersigned.lib import markdown
from undersigned.lib.forms import CleanLineField
from undersigned.mailings import compose, outbox
from undersigned.statements.models import Statement
from undersigned.updates import delivery, emails, recipients
from undersigned.updates.models import Follower, Update, UpdateMailing, UpdateVersion


class UpdateTextForm(forms.Form):
    """One language version of an update; all may be left empty but the default one."""

    title = CleanLineField(label=gettext_lazy("Title"), max_length=200, required=False)
    body = forms.CharField(
        label=gettext_lazy("Text"),
        widget=forms.Textarea(attrs={"rows": 10, "data-markdown": ""}),
        required=False,
        max_length=50_000,
        help_text=UpdateVersion._meta.get_field("body").help_text,
    )

    def __init__(self, *args: Any, required: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.required = required

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        title, body = data.get("title"), (data.get("body") or "").strip()
        if self.required or title or body:
            if not title:
                self.add_error("title", _("Give the update a title in this language."))
            if not body:
                self.add_error("body", _("Write the update's text in this language."))
        return data


def _forms(
    statement: Statement, update: Update | None, data: Any = None
) -> list[tuple[str, UpdateTextForm]]:
    """One form per language version of the statement, the default first."""
    existing = {version.language: version for version in update.versions.all()} if update else {}
    languages = sorted(
        (version.language for version in statement.versions.all()),
        key=lambda language: (language != statement.default_language, language),
    )
    return [
        (
            language,
            UpdateTextForm(
                data,
                prefix=language,
                required=language == statement.default_language,
                initial={"title": existing[language].title, "body": existing[language].body}
                if language in existing
                else None,
            ),
        )
        for language in languages
    ]


def _save(update: Update, texts: list[tuple[str, UpdateTextForm]]) -> None:
    for language, form in texts:
        title, body = form.cleaned_data["title"], form.cleaned_data["body"].strip()
        if title and body:
            UpdateVersion.objects.update_or_create(
                update=update, language=language, defaults={"title": title, "body": body}
            )
        else:
            UpdateVersion.objects.filter(update=update, language=language).delete()


@login_required
@require_safe
def update_list(request: HttpRequest, slug: str) -> HttpResponse:
    statement, membership = statement_for(request, slug, VIEWER)
    updates = Update.objects.filter(statement=statement).prefetch_related("versions")
    return render(
        request,
        "dashboard/updates/list.html",
        {
            "statement": statement,
            "updates": updates,
            "can_edit": membership.can(EDITOR),
            "followers": Follower.objects.following().filter(statement=statement).count(),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def update_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    """A new update (no pk) or one already written, in every language version at once."""
    statement, membership = statement_for(
        request, slug, EDITOR if pk is None or request.method == "POST" else VIEWER
    )
    update = get_object_or_404(Update, statement=statement, pk=pk) if pk is not None else None
    texts = _forms(statement, update, request.POST if request.method == "POST" else None)
    read_only_below(membership, EDITOR, *(form for _language, form in texts))
    previewing = request.method == "POST" and "preview" in request.POST
    valid = request.method == "POST" and all(form.is_valid() for _language, form in texts)
    if valid and not previewing:
        with transaction.atomic():
            if update is None:
                update = Update.objects.create(statement=statement, created_by_id=request.user.pk)
            _save(update, texts)
            record(
                "update.saved",
                actor=request.user,
                statement=statement,
                object_id=update.pk,
                languages=sorted(v.language for v in update.versions.all()),
            )
        messages.success(request, _("The update is saved."))
        return redirect("dashboard:update", statement.slug, update.pk)
    mailing = UpdateMailing.objects.filter(update=update).first() if update else None
    return render(
        request,
        "dashboard/updates/edit.html",
        {
            "statement": statement,
            "update": update,
            "texts": [
                (
                    language,
                    form,
                    markdown.dropped(form.data.get(f"{language}-body", ""))
                    if request.method == "POST"
                    else [],
                )
                for language, form in texts
            ],
            "can_edit": membership.can(EDITOR),
            "mailing": mailing,
            "previewing": previewing,
            "progress": delivery.progress(mailing) if mailing else None,
            "recipients": recipients.recipient_count(update) if update and not mailing else 0,
        },
        status=400 if request.method == "POST" and not (previewing and valid) else 200,
    )


@login_required
@require_POST
def update_publish(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    statement, _membership = statement_for(request, slug, EDITOR)
    with transaction.atomic():
        update = get_object_or_404(Update.objects.select_for_update(), statement=statement, pk=pk)
        if update.published_at is None:
            if not update.versions.filter(language=statement.default_language).exists():
                messages.error(
                    request, _("Write the update in the default language before publishing it.")
                )
                return redirect("dashboard:update", statement.slug, update.pk)
            update.published_at = timezone.now()
            update.save(update_fields=("published_at",))
            record("update.published", actor=request.user, statement=statement, object_id=pk)
    messages.success(request, _("The update is published on the statement's page and feeds."))
    return redirect("dashboard:update", statement.slug, pk)


@login_required
@require_POST
def update_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    statement, _membership = statement_for(request, slug, EDITOR)
    with transaction.atomic():
        update = get_object_or_404(Update, statement=statement, pk=pk)
        update.delete()
        record("update.deleted", actor=request.user, statement=statement, object_id=pk)
    messages.success(request, _("The update is deleted."))
    return redirect("dashboard:updates", statement.slug)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def update_mail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """GET: the update as its recipients will get it, in each language version, with a test to
    oneself and the button that sends it. POST: email a published update to the signers and
    followers who asked for updates, once."""
    statement, _membership = statement_for(request, slug, EDITOR)
    update = get_object_or_404(Update, statement=statement, pk=pk)
    if request.method != "POST":
        return _preview(request, statement, update)
    try:
        delivery.request_mailing(update, actor=request.user)
    except delivery.MailingError as error:
        messages.error(
            request,
            _("Publish the update before emailing it.")
            if str(error) == "draft"
            else _("This update has been emailed already."),
        )
    else:
        messages.success(request, _("The update is being emailed. This page shows how far."))
    return redirect("dashboard:update", statement.slug, pk)


def _languages(statement: Statement, update: Update) -> list[str]:
    """The update's language versions, the statement's default first."""
    return sorted(
        (version.language for version in update.versions.all()),
        key=lambda language: (language != statement.default_language, language),
    )


def _preview(request: HttpRequest, statement: Statement, update: Update) -> HttpResponse:
    previews = []
    for language in _languages(statement, update):
        # As a recipient reading that version gets it (the unsubscribe link names nobody).
        email = emails.update_email(update, language, "", token=emails.NOBODY, delivery=0)
        message = compose.render(email)
        previews.append((language, message.subject, message.body))
    return render(
        request,
        "dashboard/updates/email.html",
        {
            "statement": statement,
            "update": update,
            "previews": previews,
            "languages": [language for language, _subject, _body in previews],
            "mailed": UpdateMailing.objects.filter(update=update).exists(),
            "recipients": recipients.recipient_count(update),
        },
    )


@login_required
@require_POST
def update_mail_test(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The update, as one recipient gets it, to the organiser's own address only."""
    statement, _membership = statement_for(request, slug, EDITOR)
    update = get_object_or_404(Update, statement=statement, pk=pk)
    language = request.POST.get("language", "")
    if language not in _languages(statement, update):
        language = statement.default_language
    to = getattr(request.user, "email", "")
    if not to:
        messages.error(request, _("Your account has no email address to send a test to."))
    else:
        outbox.enqueue(emails.UPDATE_TEST, {"update": update.pk, "language": language, "to": to})
        record("update.tested", actor=request.user, statement=statement, object_id=pk)
        messages.success(
            request,
            _("A test is on its way to %(email)s. Nobody else gets it.") % {"email": to},
        )
    return redirect("dashboard:update_mail", statement.slug, pk)
