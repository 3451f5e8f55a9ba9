"""An organisation's events: the list, creating one, its overview, its time and place, its
status, publishing it, deleting a draft, its language versions and what is added after it.
Viewers see all of it and change nothing. A change attendees are told of (time, place, links,
status) is saved only once the organiser has seen how many will be emailed. Attendees and the
emails to them are in views/event_people.py."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from undersigned.audit.models import record
from undersigned.dashboard.access import (
    EDITOR,
    VIEWER,
    event_for,
    organisation_for,
    read_only_below,
)
from undersigned.dashboard.event_forms import (
    AfterForm,
    EditEventForm,
    EventForm,
    NewVersionForm,
    ReasonForm,
    ReportForm,
    StatusForm,
    VersionForm,
)
from undersigned.events import actions
from undersigned.events.models import Attendee, Event, EventVersion
from undersigned.lib import markdown
from undersigned.statements.models import Statement
from undersigned.statements.queries import forget_cached

# What an email about a change says changed, by the fields attendees are told of.
_CHANGES = {
    "start": gettext_lazy("the time"),
    "end": gettext_lazy("the time"),
    "zone": gettext_lazy("the time"),
    "status": gettext_lazy("the status"),
    "place": gettext_lazy("the place"),
    "latitude": gettext_lazy("the place"),
    "longitude": gettext_lazy("the place"),
    "online_url": gettext_lazy("the online link"),
    "place_private": gettext_lazy("who is sent the place"),
    "online_private": gettext_lazy("who is sent the online link"),
}


def versions_of(event: Event) -> list[EventVersion]:
    """The event's language versions, the default first."""
    return sorted(
        event.versions.all(),
        key=lambda version: (version.language != event.default_language, version.language),
    )


def title_of(event: Event) -> str:
    version = event.version_for(event.default_language)
    return version.title if version else _("Event %(number)s") % {"number": event.pk}


def told_count(event: Event) -> int:
    """Those a change is emailed to: with a place or on the waiting list."""
    return event.attendees.told_of_changes().count() if event.is_published else 0


def _touched(event: Event, *statements: Statement | None) -> None:
    """After a change the event's page shows: feeds and calendars see it as changed, and the
    statement it is shown beside drops its cached page."""
    Event.objects.filter(pk=event.pk).update(changed_at=timezone.now())
    for statement in {s.pk: s for s in (event.statement, *statements) if s}.values():
        forget_cached(statement)


def _changes(before: dict[str, Any], event: Event) -> list[str]:
    """What attendees would be told changed, each said once, in the organiser's language."""
    after = actions.snapshot(event)
    fields = [field for field in actions.TOLD_FIELDS if before[field] != after[field]]
    return list(dict.fromkeys(str(_CHANGES[field]) for field in fields))


def _saved_message(request: HttpRequest, told: int) -> None:
    if told:
        messages.success(
            request,
            ngettext(
                "Saved. %(count)d attendee is being emailed what changed.",
                "Saved. %(count)d attendees are being emailed what changed.",
                told,
            )
            % {"count": told},
        )
    else:
        messages.success(request, _("Saved."))


@login_required
@require_safe
def event_list(request: HttpRequest, slug: str) -> HttpResponse:
    organisation, membership = organisation_for(request, slug, VIEWER)
    now = timezone.now()
    events = list(
        Event.objects.filter(organisation=organisation)
        .prefetch_related("versions")
        .annotate(
            going=Count("attendees", filter=Q(attendees__state=Attendee.State.GOING)),
            waiting=Count("attendees", filter=Q(attendees__state=Attendee.State.WAITING)),
        )
        .order_by("start", "pk")
    )
    return render(
        request,
        "dashboard/events/list.html",
        {
            "organisation": organisation,
            "membership": membership,
            "can_edit": membership.can(EDITOR),
            "drafts": [e for e in events if not e.is_published],
            "upcoming": [e for e in events if e.is_published and not e.is_over(now)],
            "past": [e for e in reversed(events) if e.is_published and e.is_over(now)],
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def event_new(request: HttpRequest, slug: str) -> HttpResponse:
    organisation, membership = organisation_for(request, slug, EDITOR)
    data = request.POST if request.method == "POST" else None
    form = EventForm(data, instance=Event(organisation=organisation), organisation=organisation)
    version_form = NewVersionForm(data)
    if request.method == "POST" and form.is_valid() and version_form.is_valid():
        with transaction.atomic():
            event = form.save(commit=False)
            event.default_language = version_form.cleaned_data["language"]
            event.created_by_id = request.user.pk
            event.save()
            version = version_form.save(commit=False)
            version.event = event
            version.save()
            record(
                "event.created", actor=request.user, object_id=event.pk, language=version.language
            )
        messages.success(
            request,
            _("The event is saved as a draft: nobody outside your organisation sees it yet."),
        )
        return redirect("dashboard:event", event.pk)
    return render(
        request,
        "dashboard/events/new.html",
        {
            "organisation": organisation,
            "membership": membership,
            "form": form,
            "version_form": version_form,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_safe
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event, membership = event_for(request, pk, VIEWER)
    by_state = dict(
        event.attendees.values_list("state").annotate(n=Count("id")).values_list("state", "n")
    )
    return render(
        request,
        "dashboard/events/detail.html",
        {
            "event": event,
            "title": title_of(event),
            "versions": versions_of(event),
            "taken": actions.taken(event),
            "going": by_state.get(Attendee.State.GOING, 0),
            "waiting": by_state.get(Attendee.State.WAITING, 0),
            "can_edit": membership.can(EDITOR),
            "over": event.is_over(),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The time, place, places and reminders. Saving a change attendees are told of asks once
    more, saying how many will be emailed; then every one with a place or waiting is."""
    event, membership = event_for(request, pk, EDITOR if request.method == "POST" else VIEWER)
    before = actions.snapshot(event)
    old_statement = event.statement
    # A copy: the form changes its instance as it validates, and the page shows the event.
    form = EditEventForm(
        request.POST if request.method == "POST" else None,
        instance=Event.objects.get(pk=event.pk),
        organisation=event.organisation,
    )
    read_only_below(membership, EDITOR, form)
    told, changes = told_count(event), []
    if request.method == "POST" and form.is_valid():
        changes = _changes(before, form.instance)
        if not (changes and told) or request.POST.get("confirmed"):
            with transaction.atomic():
                saved = form.save()
                record(
                    "event.edited", actor=request.user, object_id=event.pk, fields=form.changed_data
                )
                emailed = actions.changed(saved, before, actor=request.user)
            _touched(saved, old_statement)
            _saved_message(request, told if emailed else 0)
            return redirect("dashboard:event", event.pk)
    return render(
        request,
        "dashboard/events/edit.html",
        {
            "event": event,
            "title": title_of(event),
            "form": form,
            "told": told,
            # Asked before saving: what changed, and that this many are emailed.
            "confirm": changes if told else [],
            "can_edit": membership.can(EDITOR),
        },
        status=400 if request.method == "POST" and not form.is_valid() else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def event_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Scheduled, postponed or cancelled, with the reason in each language version. A new
    status is emailed to attendees, once the organiser has seen how many."""
    event, membership = event_for(request, pk, EDITOR if request.method == "POST" else VIEWER)
    data = request.POST if request.method == "POST" else None
    form = StatusForm(data, initial={"status": event.status})
    versions = versions_of(event)
    reasons = [
        (
            version,
            ReasonForm(
                data, prefix=version.language, initial={"status_reason": version.status_reason}
            ),
        )
        for version in versions
    ]
    read_only_below(membership, EDITOR, form, *(reason for _version, reason in reasons))
    told, changes = told_count(event), []
    valid = request.method == "POST" and form.is_valid() and all(r.is_valid() for _v, r in reasons)
    if valid:
        before = actions.snapshot(event)
        event.status = form.cleaned_data["status"]
        changes = _changes(before, event)
        if not (changes and told) or request.POST.get("confirmed"):
            with transaction.atomic():
                event.save(update_fields=("status",))
                for version, reason in reasons:
                    version.status_reason = reason.cleaned_data["status_reason"]
                    version.save(update_fields=("status_reason",))
                record("event.status", actor=request.user, object_id=event.pk, status=event.status)
                emailed = actions.changed(event, before, actor=request.user)
            _touched(event)
            _saved_message(request, told if emailed else 0)
            return redirect("dashboard:event", event.pk)
        event.status = before["status"]
    return render(
        request,
        "dashboard/events/status.html",
        {
            "event": event,
            "title": title_of(event),
            "form": form,
            "reasons": reasons,
            "told": told,
            "confirm": changes if told else [],
            "can_edit": membership.can(EDITOR),
        },
        status=400 if request.method == "POST" and not valid else 200,
    )


@login_required
@require_POST
def event_publish(request: HttpRequest, pk: int) -> HttpResponse:
    event, _membership = event_for(request, pk, EDITOR)
    if event.is_published:
        messages.error(request, _("The event is published already."))
    else:
        actions.publish(event, actor=request.user)
        _touched(event)
        messages.success(
            request, _("The event is published: anyone with its address can say they are coming.")
        )
    return redirect("dashboard:event", event.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def event_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft only: once published, people may have said they are coming."""
    event, _membership = event_for(request, pk, EDITOR)
    if event.is_published:
        messages.error(
            request, _("A published event cannot be deleted: cancel it from its status page.")
        )
        return redirect("dashboard:event", event.pk)
    if request.method == "POST":
        organisation = event.organisation
        with transaction.atomic():
            Event.objects.filter(pk=event.pk, published_at__isnull=True).delete()
            record("event.deleted", actor=request.user, object_id=pk)
        messages.success(request, _("The draft is deleted."))
        return redirect("dashboard:events", organisation.slug)
    return render(
        request, "dashboard/events/delete.html", {"event": event, "title": title_of(event)}
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def version_new(request: HttpRequest, pk: int) -> HttpResponse:
    event, _membership = event_for(request, pk, EDITOR)
    form = NewVersionForm(
        request.POST if request.method == "POST" else None,
        instance=EventVersion(event=event),
        event=event,
    )
    if form.is_valid():
        version = form.save()
        record(
            "event.version_added",
            actor=request.user,
            object_id=event.pk,
            version=version.pk,
            language=version.language,
        )
        _touched(event)
        messages.success(request, _("The version is added."))
        return redirect("dashboard:event_version", event.pk, version.language)
    return render(
        request,
        "dashboard/events/version_new.html",
        {"event": event, "title": title_of(event), "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _version_of(event: Event, language: str) -> EventVersion:
    version = event.versions.filter(language=language).first()
    if version is None:
        raise Http404
    return version


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def version_edit(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    event, membership = event_for(request, pk, EDITOR if request.method == "POST" else VIEWER)
    version = _version_of(event, language)
    previewing = request.method == "POST" and "preview" in request.POST
    form = VersionForm(request.POST if request.method == "POST" else None, instance=version)
    read_only_below(membership, EDITOR, form)
    if request.method == "POST" and not previewing and form.is_valid():
        form.save()
        record(
            "event.version_edited",
            actor=request.user,
            object_id=event.pk,
            version=version.pk,
            language=version.language,
        )
        _touched(event)
        messages.success(request, _("The version is saved."))
        return redirect("dashboard:event_version", event.pk, version.language)
    text = request.POST.get("description", "") if request.method == "POST" else version.description
    return render(
        request,
        "dashboard/events/version_edit.html",
        {
            "event": event,
            "title": title_of(event),
            "version": version,
            "form": form,
            "previewing": previewing and form.is_valid(),
            "dropped": markdown.dropped(text),
            "can_edit": membership.can(EDITOR),
        },
        status=400 if request.method == "POST" and not form.is_valid() else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def version_delete(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    event, _membership = event_for(request, pk, EDITOR)
    version = _version_of(event, language)
    if version.language == event.default_language:
        messages.error(
            request,
            _("The default version cannot be deleted: make another one the default first."),
        )
        return redirect("dashboard:event_version", event.pk, version.language)
    if request.method == "POST":
        version.delete()
        record("event.version_deleted", actor=request.user, object_id=event.pk, language=language)
        _touched(event)
        messages.success(request, _("The version is deleted."))
        return redirect("dashboard:event", event.pk)
    return render(
        request,
        "dashboard/events/version_delete.html",
        {"event": event, "title": title_of(event), "version": version},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def event_after(request: HttpRequest, pk: int) -> HttpResponse:
    """The recording, the attendance counted and a report in each language: shown on the
    event's page, and never emailed to attendees."""
    event, membership = event_for(request, pk, EDITOR if request.method == "POST" else VIEWER)
    data = request.POST if request.method == "POST" else None
    form = AfterForm(data, instance=Event.objects.get(pk=event.pk))
    reports = [
        (version, ReportForm(data, prefix=version.language, initial={"report": version.report}))
        for version in versions_of(event)
    ]
    read_only_below(membership, EDITOR, form, *(report for _version, report in reports))
    valid = request.method == "POST" and form.is_valid() and all(r.is_valid() for _v, r in reports)
    if valid:
        before = actions.snapshot(event)
        with transaction.atomic():
            saved = form.save()
            for version, report in reports:
                version.report = report.cleaned_data["report"].strip()
                version.save(update_fields=("report",))
            record(
                "event.after_saved",
                actor=request.user,
                object_id=event.pk,
                fields=form.changed_data,
            )
            # Nothing attendees are told of is in this form: they are emailed nothing.
            actions.changed(saved, before, actor=request.user)
        _touched(saved)
        messages.success(request, _("Saved: the event's page shows it."))
        return redirect("dashboard:event", event.pk)
    return render(
        request,
        "dashboard/events/after.html",
        {
            "event": event,
            "title": title_of(event),
            "form": form,
            "reports": reports,
            "can_edit": membership.can(EDITOR),
        },
        status=400 if request.method == "POST" and not valid else 200,
    )
