"""Forms for events in the dashboard. An event's times are typed as the clock reads where it
happens (its IANA time zone) and stored in UTC; a time the clocks skip is refused, and a time
they show twice is asked about. Errors are in the organiser's interface language."""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
import re
import zoneinfo
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django import forms
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from undersigned.dashboard.statement_forms import _LANGUAGE_HELP, LOCAL_MINUTE, _clean_tag
from undersigned.events.display import utc_offset
from undersigned.events.models import Event, EventVersion, Message
from undersigned.lib.forms import CleanLineField, LanguageTagInput
from undersigned.statements.models import Statement

# Reminders: at most this many, each at most this many hours (30 days) before the start.
MAX_REMINDERS = 10
MAX_REMINDER_HOURS = 720


@functools.cache
def time_zones() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def _zone_table() -> str:
    """zone.tab (country code, coordinates, zone), from the pinned tzdata package, else the
    system's zone data."""
    try:
        return (importlib.resources.files("tzdata") / "zoneinfo" / "zone.tab").read_text()
    except (ModuleNotFoundError, FileNotFoundError):
        pass
    for folder in zoneinfo.TZPATH:
        path = Path(folder) / "zone.tab"
        if path.exists():
            return path.read_text()
    return ""


@functools.cache
def zone_of_country(country: str) -> str:
    """The main time zone of an ISO 3166 country (its first in zone.tab: Europe/Madrid for ES,
    America/New_York for US), else UTC."""
    for line in _zone_table().splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0] == country.upper():
            return parts[2]
    return "UTC"


class ZoneInput(forms.TextInput):
    """A time zone, typed or picked from the browser's suggestions (a datalist: no script)."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        list_id = f"{(attrs or {}).get('id') or name}-zones"
        attrs = {**(attrs or {}), "list": list_id, "autocomplete": "off", "spellcheck": "false"}
        options = format_html_join("", '<option value="{}"></option>', ((z,) for z in time_zones()))
        return format_html(
            '{}<datalist id="{}">{}</datalist>',
            super().render(name, value, attrs, renderer),
            list_id,
            options,
        )


class LocalTimeField(forms.Field):
    """A date and time with no zone, as a datetime-local input sends it: the form says where."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MINUTE)
    default_error_messages = {"invalid": _("Enter a date and time, such as 2026-12-12 18:00.")}
    FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")

    def to_python(self, value: Any) -> dt.datetime | None:
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=None)
        text = str(value or "").strip()
        if not text:
            return None
        for pattern in self.FORMATS:
            try:
                return dt.datetime.strptime(text, pattern)  # noqa: DTZ007 - zone given by the form
            except ValueError:
                continue
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class RemindersField(forms.CharField):
    """Hours before the start, as "24, 1": a list of whole hours, largest first."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(str(hours) for hours in value)
        return value

    def to_python(self, value: Any) -> list[int]:  # type: ignore[override]
        if isinstance(value, list):
            return value
        text = str(value or "").strip()
        parts = [part for part in re.split(r"[\s,;]+", text) if part]
        wrong = forms.ValidationError(
            _(
                "Write whole hours from 1 to %(most)s, separated by commas, such as 24, 1 "
                "(or leave it empty for no reminder)."
            ),
            params={"most": MAX_REMINDER_HOURS},
            code="invalid",
        )
        if not all(part.isdigit() for part in parts):
            raise wrong
        hours = sorted({int(part) for part in parts}, reverse=True)
        if any(not 1 <= n <= MAX_REMINDER_HOURS for n in hours):
            raise wrong
        if len(hours) > MAX_REMINDERS:
            raise forms.ValidationError(
                _("At most %(most)s reminders."), params={"most": MAX_REMINDERS}, code="too_many"
            )
        return hours


def _https(value: str) -> str:
    if value and not value.startswith("https://"):
        raise forms.ValidationError(_("Give an address that starts with https://."))
    return value


def _statement_label(statement: Statement) -> str:
    versions = list(statement.versions.all())
    first = next((v for v in versions if v.language == statement.default_language), None)
    title = first.title if first else statement.slug
    return str(Truncator(title).chars(80))


FOLD_CHOICES = (("0", _("the first time")), ("1", _("the second time")))


class EventForm(forms.ModelForm):  # type: ignore[type-arg]
    """The event's time, place and places. Its texts are in its language versions."""

    start = LocalTimeField(label=_("Starts"))
    end = LocalTimeField(label=_("Ends"))
    # Asked only for a time the clocks show twice (the night they go back).
    start_fold = forms.ChoiceField(
        label=_("Which time is the start?"),
        choices=FOLD_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    end_fold = forms.ChoiceField(
        label=_("Which time is the end?"),
        choices=FOLD_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    online_url = forms.URLField(
        label=_("Online link"),
        required=False,
        assume_scheme="https",
        help_text=Event._meta.get_field("online_url").help_text,
    )
    reminders = RemindersField(
        label=_("Reminders, in hours before the start"),
        required=False,
        help_text=_(
            "Attendees with a place are emailed this many hours before the start, such as "
            "24, 1. Empty for no reminder."
        ),
    )

    field_order: tuple[str, ...] = ("statement", "zone", "start", "start_fold", "end", "end_fold")

    class Meta:
        model = Event
        fields: tuple[str, ...] = (
            "statement",
            "zone",
            "start",
            "end",
            "place",
            "latitude",
            "longitude",
            "place_private",
            "online_url",
            "online_private",
            "capacity",
            "max_guests",
            "rsvp_open",
            "reminders",
        )
        widgets = {
            "zone": ZoneInput(),
            "place": forms.Textarea(attrs={"rows": 3}),
            "latitude": forms.NumberInput(attrs={"step": "0.00001"}),
            "longitude": forms.NumberInput(attrs={"step": "0.00001"}),
        }

    def __init__(self, *args: Any, organisation: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.folds: set[str] = set()
        event = self.instance
        statement = self.fields["statement"]
        if isinstance(statement, forms.ModelChoiceField):
            statement.queryset = Statement.objects.filter(
                organisation=organisation
            ).prefetch_related("versions")
            statement.label_from_instance = _statement_label  # type: ignore[method-assign,assignment]
            statement.empty_label = _("No statement")
        self.fields["latitude"].help_text = _(
            "Optional, with the longitude: the page links to the place on OpenStreetMap."
        )
        if event.pk:
            self.initial["start"] = event.local_start.replace(tzinfo=None)
            self.initial["end"] = event.local_end.replace(tzinfo=None)
        else:
            self.initial["zone"] = self.initial.get("zone") or zone_of_country(
                getattr(organisation, "country", "")
            )

    def shown_fields(self) -> Iterable[forms.BoundField]:
        """The fields to show: the question of which time only where it is asked."""
        for field in self:
            if field.name in ("start_fold", "end_fold") and field.name not in self.folds:
                continue
            yield field

    def clean_zone(self) -> str:
        zone = str(self.cleaned_data["zone"]).strip()
        if zone not in time_zones():
            raise forms.ValidationError(
                _("Pick a time zone from the list, such as Europe/Madrid or America/Lima.")
            )
        return zone

    def clean_online_url(self) -> str:
        return _https(str(self.cleaned_data.get("online_url") or ""))

    def _local(self, name: str, zone: str) -> dt.datetime | None:
        """The time typed in `name` in `zone`, in UTC; None with an error on the field."""
        typed: dt.datetime | None = self.cleaned_data.get(name)
        if typed is None:
            return None
        event = self.instance
        current: dt.datetime | None = getattr(event, name) if event.pk else None
        if current is not None and zone == event.zone:
            # Sent back as shown: the time as it is, even in the hour the clocks repeat.
            if current.astimezone(event.tz).replace(tzinfo=None) == typed:
                return current.astimezone(dt.UTC)
        tz = zoneinfo.ZoneInfo(zone)
        first, second = typed.replace(tzinfo=tz, fold=0), typed.replace(tzinfo=tz, fold=1)
        shown = date_format(typed, "SHORT_DATETIME_FORMAT")
        if first.utcoffset() == second.utcoffset():
            return first.astimezone(dt.UTC)
        if first.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None) != typed:
            # In the gap: the hour the clocks skip.
            after = first.astimezone(dt.UTC).astimezone(tz)
            self.add_error(
                name,
                forms.ValidationError(
                    _(
                        "%(time)s does not exist in %(zone)s: the clocks go forward that night "
                        "and skip it. Choose another time, such as %(after)s."
                    ),
                    params={
                        "time": shown,
                        "zone": zone,
                        "after": date_format(after.replace(tzinfo=None), "TIME_FORMAT"),
                    },
                    code="skipped",
                ),
            )
            return None
        # The clocks go back: the time comes twice.
        fold_name = f"{name}_fold"
        self.folds.add(fold_name)
        choice = self.fields[fold_name]
        if isinstance(choice, forms.ChoiceField):
            choice.choices = [
                ("0", _("the first time (%(offset)s)") % {"offset": utc_offset(first)}),
                ("1", _("the second time (%(offset)s)") % {"offset": utc_offset(second)}),
            ]
        fold = self.cleaned_data.get(fold_name)
        if fold in ("0", "1"):
            return (second if fold == "1" else first).astimezone(dt.UTC)
        self.add_error(
            name,
            forms.ValidationError(
                _(
                    "%(time)s comes twice in %(zone)s: the clocks go back that night. "
                    "Say below which of the two you mean."
                ),
                params={"time": shown, "zone": zone},
                code="repeated",
            ),
        )
        return None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        zone = data.get("zone")
        if zone:
            start, end = self._local("start", zone), self._local("end", zone)
            if start is not None and end is not None and end <= start:
                self.add_error("end", _("The event must end after it starts."))
            for name, value in (("start", start), ("end", end)):
                if value is not None and name not in self.errors:
                    data[name] = value
        else:
            # Times typed for no known zone are not times yet.
            data.pop("start", None)
            data.pop("end", None)
        place = str(data.get("place") or "").strip()
        if not place and not data.get("online_url"):
            self.add_error("place", _("Give a place, an online link, or both."))
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("longitude", _("Give both the latitude and the longitude, or neither."))
        if data.get("place_private") and not place:
            self.add_error("place_private", _("There is no place to keep for attendees."))
        if data.get("online_private") and not data.get("online_url"):
            self.add_error("online_private", _("There is no online link to keep for attendees."))
        return data


class EditEventForm(EventForm):
    default_language = forms.ChoiceField(label=_("Default language"))
    field_order = ("default_language", *EventForm.field_order)

    class Meta(EventForm.Meta):
        fields = ("default_language", *EventForm.Meta.fields)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        languages = [v.language for v in self.instance.versions.all()]
        default = self.fields["default_language"]
        if isinstance(default, forms.ChoiceField):
            default.choices = [(language, language) for language in languages]
        default.help_text = _("Shown to readers whose language the event has no version in.")


class VersionForm(forms.ModelForm):  # type: ignore[type-arg]
    """An event's text in one language. Only the title is required."""

    class Meta:
        model = EventVersion
        fields: tuple[str, ...] = ("title", "description", "status_reason", "report")
        field_classes = {"title": CleanLineField, "status_reason": CleanLineField}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 10, "data-markdown": ""}),
            "report": forms.Textarea(attrs={"rows": 6, "data-markdown": ""}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status_reason"].help_text = _(
            "Shown beside the status when the event is postponed or cancelled."
        )
        self.fields["report"].help_text = _(
            "After the event: what happened, shown on its page. Markdown."
        )


class NewVersionForm(VersionForm):
    language = forms.CharField(
        label=_("Language"), max_length=35, help_text=_LANGUAGE_HELP, widget=LanguageTagInput()
    )

    class Meta(VersionForm.Meta):
        fields = ("language", "title", "description", "status_reason", "report")

    def __init__(self, *args: Any, event: Event | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event = event

    def clean_language(self) -> str:
        tag = _clean_tag(self.cleaned_data["language"])
        if self.event is not None and self.event.versions.filter(language__iexact=tag).exists():
            raise forms.ValidationError(
                _("This event already has a version in %(tag)s."), params={"tag": tag}
            )
        return tag


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Event.Status.choices)


class ReasonForm(forms.Form):
    """The reason for the status, in one language version."""

    status_reason = CleanLineField(
        label=_("Reason"),
        max_length=300,
        required=False,
        help_text=_("Such as: the square is closed; a new date follows."),
    )


class AfterForm(forms.ModelForm):  # type: ignore[type-arg]
    recording_url = forms.URLField(
        label=_("Recording"),
        required=False,
        assume_scheme="https",
        help_text=Event._meta.get_field("recording_url").help_text,
    )

    class Meta:
        model = Event
        fields = ("recording_url", "attendance")

    def clean_recording_url(self) -> str:
        return _https(str(self.cleaned_data.get("recording_url") or ""))


class ReportForm(forms.Form):
    report = forms.CharField(
        label=_("Report"),
        required=False,
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 6, "data-markdown": ""}),
        help_text=_("What happened, shown on the event's page in this language. Markdown."),
    )


class MessageForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Message
        fields = ("subject", "body", "include_waiting")
        field_classes = {"subject": CleanLineField}
        widgets = {"body": forms.Textarea(attrs={"rows": 12, "data-markdown": ""})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["include_waiting"].label = _("Send it to the waiting list too")
        self.fields["include_waiting"].help_text = _(
            "Else it goes to those with a place only. Nobody unconfirmed or cancelled gets it."
        )
