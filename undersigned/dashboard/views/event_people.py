"""An event's attendees and the organisers' emails to them. Names and addresses are for the
organisation's editors and owners only: viewers see how many, never who. The check-in list
shows names and guests, never addresses; the export is audited as the signatures' is."""

from __future__ import annotations

import dataclasses

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from undersigned.audit.models import record
from undersigned.dashboard.access import EDITOR, VIEWER, event_for, message_for
from undersigned.dashboard.event_forms import MessageForm
from undersigned.dashboard.views.events import title_of, versions_of
from undersigned.events import actions, emails
from undersigned.events.models import Attendee, Event, Message
from undersigned.lib import csvexport
from undersigned.lib.csvsafe import neutralise
from undersigned.mailings import compose

State = Attendee.State
# The most rows each list on the attendees page shows; the export has them all.
SHOWN = 1000


def _counts(event: Event) -> dict[str, int]:
    held = Q(state=State.PENDING) & ~Q(hold_reason="")
    found = event.attendees.aggregate(
        going=Count("pk", filter=Q(state=State.GOING)),
        waiting=Count("pk", filter=Q(state=State.WAITING)),
        pending=Count("pk", filter=Q(state=State.PENDING, hold_reason="")),
        held=Count("pk", filter=held),
        cancelled=Count("pk", filter=Q(state=State.CANCELLED)),
        checked_in=Count("pk", filter=Q(state=State.GOING, checked_in_at__isnull=False)),
    )
    return {**found, "taken": actions.taken(event)}


@login_required
@require_safe
def attendees(request: HttpRequest, pk: int) -> HttpResponse:
    event, membership = event_for(request, pk, VIEWER)
    may_see = membership.can(EDITOR)
    lists: dict[str, QuerySet[Attendee]] = {}
    if may_see:
        people = event.attendees.only(
            "name",
            "email",
            "guests",
            "state",
            "hold_reason",
            "created_at",
            "confirmed_at",
            "checked_in_at",
        )
        lists = {
            "going": people.filter(state=State.GOING).order_by("name", "pk")[:SHOWN],
            "waiting": people.filter(state=State.WAITING).order_by("confirmed_at", "pk")[:SHOWN],
            "pending": people.filter(state=State.PENDING, hold_reason="").order_by("-pk")[:SHOWN],
            "held": people.filter(state=State.PENDING)
            .exclude(hold_reason="")
            .order_by("pk")[:SHOWN],
            "cancelled": people.filter(state=State.CANCELLED).order_by("name", "pk")[:SHOWN],
        }
    return render(
        request,
        "dashboard/events/attendees.html",
        {
            "event": event,
            "title": title_of(event),
            "counts": _counts(event),
            "may_see": may_see,
            "shown": SHOWN,
            **lists,
        },
    )


def _chosen(request: HttpRequest) -> list[int]:
    return [int(value) for value in request.POST.getlist("attendee") if value.isdigit()]


@login_required
@require_POST
def held(request: HttpRequest, pk: int) -> HttpResponse:
    """Held RSVPs an organiser looked at: released (each is sent its confirmation link now),
    or deleted as spam."""
    event, _membership = event_for(request, pk, EDITOR)
    chosen, decision = _chosen(request), request.POST.get("decision")
    if not chosen or decision not in ("release", "delete"):
        messages.error(request, _("Choose at least one, then release or delete."))
    elif decision == "release":
        count = actions.release(event, chosen, actor=request.user)
        messages.success(
            request,
            ngettext(
                "%(count)d released: it is sent its confirmation link.",
                "%(count)d released: each is sent its confirmation link.",
                count,
            )
            % {"count": count},
        )
    else:
        with transaction.atomic():
            spam = Attendee.objects.filter(event=event, pk__in=chosen, state=State.PENDING).exclude(
                hold_reason=""
            )
            count = actions.erase(spam)
            record("attendees.held_deleted", actor=request.user, object_id=event.pk, count=count)
        messages.success(
            request, ngettext("%(count)d deleted.", "%(count)d deleted.", count) % {"count": count}
        )
    return redirect("dashboard:event_attendees", event.pk)


@login_required
@require_POST
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark someone with a place as come, or take the mark back."""
    event, _membership = event_for(request, pk, EDITOR)
    chosen = _chosen(request)
    person = Attendee.objects.filter(event=event, pk__in=chosen[:1], state=State.GOING).first()
    if person is None:
        messages.error(request, _("Only someone with a place can be checked in."))
        return redirect("dashboard:event_attendees", event.pk)
    person.checked_in_at = None if person.checked_in_at else timezone.now()
    person.save(update_fields=("checked_in_at",))
    action = "attendee.checked_in" if person.checked_in_at else "attendee.check_in_undone"
    record(action, actor=request.user, object_id=person.pk, event=event.pk)
    response = redirect("dashboard:event_attendees", event.pk)
    response["Location"] += f"#attendee-{person.pk}"
    return response


@login_required
@require_safe
def check_in_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The list to print for the door: names and guests, sorted by name, no addresses."""
    event, _membership = event_for(request, pk, EDITOR)
    going = sorted(
        event.attendees.filter(state=State.GOING).only("name", "guests", "checked_in_at"),
        key=lambda person: (person.name.casefold(), person.pk),
    )
    record("attendees.check_in_list", actor=request.user, object_id=event.pk, count=len(going))
    return render(
        request,
        "dashboard/events/check_in_list.html",
        {"event": event, "title": title_of(event), "going": going, "taken": actions.taken(event)},
    )


EXPORT_HEADER = ("name", "email", "guests", "state", "confirmed_at", "language")


@login_required
@require_safe
def export(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Everyone who confirmed (with a place, waiting or cancelled since) as CSV; nobody
    unconfirmed, as in the signature export. Cells a spreadsheet could run are neutralised."""
    event, _membership = event_for(request, pk, EDITOR)
    rows = event.attendees.exclude(state=State.PENDING)
    record("attendees.exported", actor=request.user, object_id=event.pk, format="csv")

    def fetch(last: int, size: int) -> list[tuple[object, ...]]:
        found = rows.filter(pk__gt=last).order_by("pk")[:size]
        return [
            (
                person.pk,
                neutralise(person.name),
                neutralise(person.email),
                person.guests,
                person.state,
                person.confirmed_at.isoformat() if person.confirmed_at else "",
                neutralise(person.language),
            )
            for person in found
        ]

    response = csvexport.download(
        csvexport.keyset_rows(EXPORT_HEADER, fetch), f"event-{event.pk}-attendees.csv"
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _recipients(message: Message) -> int:
    people = message.event.attendees.going()
    if message.include_waiting:
        people = message.event.attendees.told_of_changes()
    return people.count()


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def message_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The emails sent to the event's attendees, with how many each went to; a new one is
    written here (editors and owners), then previewed, tested and sent from its own page."""
    event, membership = event_for(request, pk, EDITOR if request.method == "POST" else VIEWER)
    form = MessageForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if not event.is_published:
            messages.error(request, _("Publish the event first: a draft has no attendees."))
            return redirect("dashboard:event_messages", event.pk)
        message = form.save(commit=False)
        message.event = event
        message.save()
        record("event.message_written", actor=request.user, object_id=event.pk, message=message.pk)
        return redirect("dashboard:event_message", message.pk)
    return render(
        request,
        "dashboard/events/messages.html",
        {
            "event": event,
            "title": title_of(event),
            "form": form,
            "sent": Message.objects.filter(event=event),
            "can_edit": membership.can(EDITOR),
        },
        status=400 if request.method == "POST" else 200,
    )


def _previews(message: Message, event: Event) -> list[tuple[str, str, str]]:
    """The message as an attendee reading each language version gets it (its cancel link
    names nobody): (language, subject, text)."""
    previews = []
    for version in versions_of(event):
        test = emails.test_email(message, version.language, "preview@example.invalid")
        if test is None:
            continue
        rendered = compose.render(dataclasses.replace(test, kind=emails.MESSAGE))
        previews.append((version.language, str(rendered.subject), str(rendered.body)))
    return previews


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def message_page(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the message as attendees will get it, in each language version, with a test to
    oneself and the button that sends it. POST: change it, while it is not sent."""
    message, _membership = message_for(request, pk, EDITOR)
    event = message.event
    form = MessageForm(request.POST if request.method == "POST" else None, instance=message)
    if request.method == "POST":
        if message.sent_at is not None:
            messages.error(request, _("This message has been sent already."))
            return redirect("dashboard:event_message", message.pk)
        if form.is_valid():
            form.save()
            record("event.message_edited", actor=request.user, object_id=event.pk, message=pk)
            messages.success(request, _("Saved. Read it below as attendees will get it."))
            return redirect("dashboard:event_message", message.pk)
    return render(
        request,
        "dashboard/events/message.html",
        {
            "event": event,
            "title": title_of(event),
            "message": message,
            "form": form,
            "previews": _previews(Message.objects.get(pk=message.pk), event),
            "languages": [version.language for version in versions_of(event)],
            "recipients": message.recipients if message.sent_at else _recipients(message),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def message_test(request: HttpRequest, pk: int) -> HttpResponse:
    """The message, as one attendee gets it, to the organiser's own address only."""
    message, _membership = message_for(request, pk, EDITOR)
    languages = [version.language for version in versions_of(message.event)]
    language = request.POST.get("language", "")
    if language not in languages:
        language = message.event.default_language
    to = getattr(request.user, "email", "")
    if not to:
        messages.error(request, _("Your account has no email address to send a test to."))
    elif not message.event.is_published:
        messages.error(request, _("Publish the event first: a draft has no attendees."))
    else:
        actions.send_test(message, language, to)
        record("event.message_tested", actor=request.user, object_id=message.event_id, message=pk)
        messages.success(
            request, _("A test is on its way to %(email)s. Nobody else gets it.") % {"email": to}
        )
    return redirect("dashboard:event_message", message.pk)


@login_required
@require_POST
def message_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Email the message to the attendees, once."""
    message, _membership = message_for(request, pk, EDITOR)
    if message.sent_at is not None:
        messages.error(request, _("This message has been sent already."))
    elif not message.event.is_published:
        messages.error(request, _("Publish the event first: a draft has no attendees."))
    else:
        count = actions.send_message(message, actor=request.user)
        messages.success(
            request,
            ngettext(
                "The message is being emailed to %(count)d person.",
                "The message is being emailed to %(count)d people.",
                count,
            )
            % {"count": count},
        )
    return redirect("dashboard:event_message", message.pk)
