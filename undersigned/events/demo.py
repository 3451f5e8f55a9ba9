"""The demo campaign's events: an emergency demonstration to come, with a few attendees, and
an online meeting held two weeks ago, with its recording and report. Invented, as the rest of
the demo: Valmora is not a real place."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from undersigned.events import actions
from undersigned.events.forms import RSVP_CONSENT_VERSION
from undersigned.events.models import Attendee, Event, EventVersion
from undersigned.statements.models import Statement

ZONE = "America/Lima"

DEMONSTRATION = {
    "en": {
        "title": "Emergency demonstration: free the 41",
        "description": (
            "The students' hearing was postponed again. We gather in front of the Ministry of "
            "the Interior to ask for their release.\n\n"
            "- Bring a banner or a candle; no flags of political parties.\n"
            "- Stewards wear yellow armbands: follow their directions.\n"
            "- Legal support on the day: the number is in the email you get when you confirm."
        ),
    },
    "es": {
        "title": "Concentración urgente: libertad para los 41",
        "description": (
            "La audiencia de los estudiantes se volvió a aplazar. Nos reunimos frente al "
            "Ministerio del Interior para exigir su liberación.\n\n"
            "- Trae una pancarta o una vela; sin banderas de partidos.\n"
            "- El equipo de orden lleva brazalete amarillo: sigue sus indicaciones.\n"
            "- Apoyo legal ese día: el número va en el correo que recibes al confirmar."
        ),
    },
}

MEETING = {
    "en": {
        "title": "Online meeting: how to support the families",
        "description": "An hour with the families' lawyers and the student unions.",
        "report": (
            "Three hundred and twelve people joined. The lawyers explained the charges and "
            "the next hearings; the families asked for letters to the detained, which the "
            "unions will collect and deliver."
        ),
    },
    "es": {
        "title": "Reunión en línea: cómo apoyar a las familias",
        "description": "Una hora con los abogados de las familias y las federaciones.",
        "report": (
            "Se conectaron trescientas doce personas. Los abogados explicaron los cargos y las "
            "próximas audiencias; las familias pidieron cartas para los detenidos, que las "
            "federaciones recogerán y entregarán."
        ),
    },
}

ATTENDEES = [
    ("Rosa Quispe", 1, "es"),
    ("Tom Baker", 0, "en"),
    ("Carmen Huamán", 2, "es"),
    ("Diego Torres", 0, "es"),
]


def _at(days: int, hour: int) -> dt.datetime:
    """A local time in Lima, `days` from today."""
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(ZONE)).date()
    day = today + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=zoneinfo.ZoneInfo(ZONE))


@transaction.atomic
def load_demo_events(statement: Statement) -> None:
    """Idempotent, as the rest of the demo."""
    if EventVersion.objects.filter(
        event__organisation=statement.organisation, title=DEMONSTRATION["en"]["title"]
    ).exists():
        return
    now = timezone.now()
    demonstration = Event.objects.create(
        organisation=statement.organisation,
        statement=statement,
        default_language=statement.default_language,
        start=_at(3, 18),
        end=_at(3, 20),
        zone=ZONE,
        place="Plaza Mayor de Valmora, in front of the Ministry of the Interior",
        latitude=Decimal("-12.04637"),
        longitude=Decimal("-77.03063"),
        capacity=500,
        max_guests=2,
        published_at=now,
    )
    for language, texts in DEMONSTRATION.items():
        EventVersion.objects.create(event=demonstration, language=language, **texts)
    for n, (name, guests, language) in enumerate(ATTENDEES):
        email = f"demo-attendee-{n}@example.org"
        Attendee.objects.create(
            event=demonstration,
            name=name,
            email=email,
            email_canonical=email,
            guests=guests,
            language=language,
            consent_version=RSVP_CONSENT_VERSION,
            state=Attendee.State.GOING,
            confirmed_at=now - dt.timedelta(hours=n + 1),
            placed_at=now - dt.timedelta(hours=n + 1),
        )
    actions.schedule_reminders(demonstration)
    meeting = Event.objects.create(
        organisation=statement.organisation,
        statement=statement,
        default_language=statement.default_language,
        start=_at(-14, 19),
        end=_at(-14, 20),
        zone=ZONE,
        online_url="https://meet.example.org/valmora-families",
        online_private=True,
        recording_url="https://video.example.org/w/valmora-families",
        attendance=312,
        published_at=now - dt.timedelta(days=20),
    )
    for language, texts in MEETING.items():
        EventVersion.objects.create(event=meeting, language=language, **texts)
