"""Events' public pages: the event in each language, the RSVP form and the pages around it,
the calendar files and the organisation's events. What a visitor sees never depends on whether
an address said it was coming: the form stores and answers the same way for every address, and
only the emails differ (undersigned.events.actions.rsvp).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from undersigned.events import actions, calendar
from undersigned.events.emails import attendee_of_cancel_token
from undersigned.events.forms import RsvpForm
from undersigned.events.models import Attendee, Event, EventVersion
from undersigned.lib import conditional, formtoken
from undersigned.lib.languages import direction, ui_language
from undersigned.lib.markdown import render_for_email
from undersigned.lib.pagecache import public_cache
from undersigned.organisations.models import Organisation
from undersigned.public.templatetags.funds import event_funds
from undersigned.public.views import formguard
from undersigned.public.views.feeds import _Atom, absolute, xml_text
from undersigned.public.views.statements import PAGE_SECONDS

# Past events listed on an organisation's events page and in its feeds.
PAST_EVENTS = 20


def public_event(request: HttpRequest, pk: int | str) -> Event:
    """A published event, or a draft for its organisation's members; else 404."""
    event = (
        Event.objects.select_related("organisation", "statement")
        .prefetch_related("versions", "statement__versions")
        .filter(pk=pk)
        .first()
    )
    if event is None or (
        not event.is_published and not event.organisation.has_member(request.user)
    ):
        raise Http404
    return event


def _version(event: Event, language: str) -> EventVersion:
    """The event's version in `language`, the interface switched to it; 404 without one."""
    version = next((v for v in event.versions.all() if v.language == language), None)
    if version is None:
        raise Http404
    translation.activate(ui_language(version.language, event.default_language))
    return version


def _form_subject(event: Event) -> str:
    return f"event-{event.pk}"


def _context(event: Event, version: EventVersion, **extra: Any) -> dict[str, Any]:
    statement = event.statement
    statement_version = None
    if statement is not None and statement.status != statement.Status.DRAFT:
        statement_version = statement.version_for(version.language)
    return {
        "event": event,
        "version": version,
        "versions": list(event.versions.all()),
        "organisation": event.organisation,
        "statement": statement if statement_version else None,
        "statement_version": statement_version,
        "is_over": event.is_over(),
        "direction": direction(version.language),
        **extra,
    }


def render_event(
    request: HttpRequest,
    event: Event,
    version: EventVersion,
    form: RsvpForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = _context(event, version, funds=event_funds(event, version.language))
    if event.takes_rsvps():
        context["form"] = form or RsvpForm(event=event)
        context["form_token"] = formtoken.issue(_form_subject(event))
        context["proof_bits"] = settings.SIGN_PROOF_BITS
        context["full"] = event.capacity is not None and actions.taken(event) >= event.capacity
    return render(request, "events/event.html", context, status=status)


@require_safe
def event_default(request: HttpRequest, pk: str) -> HttpResponse:
    """The event in the reader's language where it has a version, else its default."""
    event = public_event(request, pk)
    wanted = translation.get_language_from_request(request)
    versions = {v.language.lower(): v.language for v in event.versions.all()}
    language = versions.get(wanted.lower()) or next(
        (tag for low, tag in versions.items() if low.split("-")[0] == wanted.split("-")[0]),
        None,
    )
    version = event.version_for(language or event.default_language)
    if version is None:
        raise Http404
    return redirect("event", pk, version.language)


@require_safe
@public_cache(PAGE_SECONDS)
def event_page(request: HttpRequest, pk: str, language: str) -> HttpResponse:
    event = public_event(request, pk)
    return render_event(request, event, _version(event, language))


@csrf_exempt  # The form carries its own token instead, as the sign form: see lib/formtoken.py.
@require_POST
def rsvp(request: HttpRequest, pk: str, language: str) -> HttpResponse:
    event = public_event(request, pk)
    version = _version(event, language)
    if not formtoken.same_origin(request):
        return render(
            request, "events/form_refused.html", {"event": event, "version": version}, status=403
        )
    if not event.takes_rsvps():
        return render_event(request, event, version, status=409)
    post = request.POST
    token = formtoken.check(post.get("form_token", ""), _form_subject(event))
    form = RsvpForm(post, event=event)
    if token is not formtoken.TokenState.VALID and form.is_valid():
        # An old page, or one made with a key since changed: shown again with a fresh token,
        # nothing stored. A missing or forged token is refused (403).
        form.add_error(
            None,
            _("This page was open for a long time. Check your details and press the button again."),
        )
    if not form.is_valid():
        status = 403 if token is formtoken.TokenState.INVALID else 400
        return render_event(request, event, version, form=form, status=status)
    cleaned = form.cleaned_data
    actions.rsvp(
        event,
        version.language,
        cleaned["name"],
        cleaned["email"],
        int(cleaned.get("guests") or 0),
        client=_client(request, event, cleaned["email"]),
    )
    return redirect("event_check_email", event.pk, version.language)


def _client(request: HttpRequest, event: Event, email: str) -> actions.Client:
    """As for a sign form: a robot's form is held for the organisers, and the answer is the
    same either way (public.views.formguard)."""
    return formguard.client(request, "rsvp", event.pk, email)


@require_safe
def check_email(request: HttpRequest, pk: str, language: str) -> HttpResponse:
    event = public_event(request, pk)
    version = _version(event, language)
    return render(request, "events/check_email.html", _context(event, version))


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, pk: str, token: str) -> HttpResponse:
    """GET shows a button; only its POST confirms, because mail scanners open links. A link
    unknown, expired or used already gets a page that says so, and tells nothing more."""
    event = Event.objects.select_related("organisation").filter(pk=pk).first()
    found = actions.attendee_for_token(event, token) if event else None
    if event is None or found is None:
        return render(request, "events/link_unknown.html", status=404)
    attendee, asked = found
    version = event.version_for(asked.language)
    if version is None:
        raise Http404
    translation.activate(ui_language(version.language, event.default_language))
    if request.method == "POST":
        outcome = actions.confirm(attendee, asked)
        response = redirect("event_confirmed", event.pk, version.language)
        if outcome != actions.Outcome.GOING:
            response["Location"] += f"?{outcome}"
        return response
    return render(
        request,
        "events/confirm.html",
        {**_context(event, version), "asked": asked, "attendee": attendee, "token": token},
    )


_OUTCOMES = (actions.Outcome.WAITING, actions.Outcome.KEPT, actions.Outcome.CLOSED)


@require_safe
def confirmed(request: HttpRequest, pk: str, language: str) -> HttpResponse:
    event = public_event(request, pk)
    version = _version(event, language)
    outcome = next((o for o in _OUTCOMES if o in request.GET), actions.Outcome.GOING)
    return render(request, "events/confirmed.html", _context(event, version, outcome=outcome))


@require_http_methods(["GET", "HEAD", "POST"])
def cancel(request: HttpRequest, pk: str, token: str) -> HttpResponse:
    """The link in every email: GET asks, POST cancels."""
    attendee_id = attendee_of_cancel_token(token)
    attendee = (
        Attendee.objects.select_related("event__organisation")
        .filter(pk=attendee_id, event_id=pk)
        .first()
        if attendee_id
        else None
    )
    if attendee is None:
        return render(request, "events/link_unknown.html", status=404)
    event = attendee.event
    version = event.version_for(attendee.language)
    if version is None:
        raise Http404
    translation.activate(ui_language(version.language, event.default_language))
    context = {**_context(event, version), "attendee": attendee, "token": token}
    if request.method == "POST":
        actions.cancel(attendee)
        return render(request, "events/cancelled.html", context)
    if attendee.state == Attendee.State.CANCELLED:
        return render(request, "events/cancelled.html", context)
    return render(request, "events/cancel.html", context)


def _ics(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require_safe
@public_cache(PAGE_SECONDS)
@conditional.validated
def event_ics(request: HttpRequest, pk: str) -> HttpResponse:
    """One event, to add to a calendar: in the language asked for (`?language=`) where it has a
    version, else in its default one."""
    event = public_event(request, pk)
    # Not the reader's browser's: the answer is stored for every reader of the address.
    language = request.GET.get("language", "")
    return _ics(calendar.calendar([event], language), f"event-{event.pk}.ics")


def public_events(organisation: Organisation) -> tuple[list[Event], list[Event]]:
    """An organisation's published events: those to come (soonest first), and the latest past
    ones (latest first)."""
    published = (
        Event.objects.published()
        .filter(organisation=organisation)
        .select_related("organisation")
        .prefetch_related("versions")
    )
    upcoming = list(published.upcoming().order_by("start", "pk"))
    past = list(published.past().order_by("-start", "-pk")[:PAST_EVENTS])
    return upcoming, past


def _organisation(slug: str) -> Organisation:
    """An organisation with a published event, else 404."""
    found = get_object_or_404(Organisation, slug=slug)
    if not Event.objects.published().filter(organisation=found).exists():
        raise Http404
    return found


@require_safe
def organisation_events(request: HttpRequest, organisation: str) -> HttpResponse:
    found = _organisation(organisation)
    upcoming, past = public_events(found)
    language = translation.get_language()
    return render(
        request,
        "events/organisation.html",
        {
            "organisation": found,
            "upcoming": [(event, event.version_for(language)) for event in upcoming],
            "past": [(event, event.version_for(language)) for event in past],
        },
    )


@require_safe
@public_cache(PAGE_SECONDS)
@conditional.validated
def organisation_ics(request: HttpRequest, organisation: str) -> HttpResponse:
    """The organisation's calendar: events to come and the latest past ones, cancelled ones
    included (as CANCELLED), so that a subscribed calendar follows every change."""
    found = _organisation(organisation)
    upcoming, past = public_events(found)
    language = request.GET.get("language", "")
    return _ics(calendar.calendar([*upcoming, *past], language, name=found.name), "events.ics")


class EventsFeed(Feed):  # type: ignore[type-arg]
    """Atom: an organisation's events, newest announced first, each in its default language."""

    feed_type = _Atom

    def get_object(self, request: HttpRequest, organisation: str) -> Organisation:
        found = _organisation(organisation)
        upcoming, past = public_events(found)
        events = sorted([*upcoming, *past], key=lambda event: event.changed_at, reverse=True)
        found.feed_events = events  # type: ignore[attr-defined]
        return found

    def get_feed(self, obj: Organisation, request: HttpRequest) -> Any:
        feed = super().get_feed(obj, request)
        events: list[Event] = obj.feed_events  # type: ignore[attr-defined]
        feed.feed["language"] = events[0].default_language if events else settings.LANGUAGE_CODE
        return feed

    def title(self, obj: Organisation) -> str:
        return xml_text(_("Events of %(organisation)s") % {"organisation": obj.name})

    def link(self, obj: Organisation) -> str:
        return absolute(reverse("organisation_events", args=(obj.slug,)))

    def feed_url(self, obj: Organisation) -> str:
        return absolute(reverse("organisation_events_atom", args=(obj.slug,)))

    feed_guid = feed_url

    def author_name(self, obj: Organisation) -> str:
        return xml_text(obj.name)

    def items(self, obj: Organisation) -> list[Event]:
        events: list[Event] = obj.feed_events  # type: ignore[attr-defined]
        return events

    def _version(self, item: Event) -> EventVersion | None:
        return item.version_for(item.default_language)

    def item_title(self, item: Event) -> str:
        version = self._version(item)
        title = version.title if version else ""
        if item.status != Event.Status.SCHEDULED:
            title = f"{title} ({item.get_status_display()})"
        return xml_text(title)

    def item_description(self, item: Event) -> str:
        version = self._version(item)
        with translation.override(ui_language(item.default_language)):
            when = item.when
        text = f"<p>{when}</p>"
        if version:
            text += render_for_email(version.description, settings.SITE_URL)
        return xml_text(text)

    def item_link(self, item: Event) -> str:
        version = self._version(item)
        language = version.language if version else item.default_language
        return absolute(reverse("event", args=(item.pk, language)))

    def item_guid(self, item: Event) -> str:
        return absolute(reverse("event_default", args=(item.pk,)))

    def item_pubdate(self, item: Event) -> Any:
        return item.published_at

    def item_updateddate(self, item: Event) -> Any:
        return item.changed_at

    def item_extra_kwargs(self, item: Event) -> dict[str, Any]:
        return {"language": item.default_language}


organisation_events_atom = require_safe(
    public_cache(PAGE_SECONDS)(conditional.validated(EventsFeed()))
)
