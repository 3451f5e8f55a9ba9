"""The demo campaign: a fictional network and a bilingual statement, with signatories.

Everything here is invented for the demo: Valmora is not a real place.
"""

from __future__ import annotations

import datetime as dt
import random

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from undersigned.lib import pictures
from undersigned.lib.emails import canonical_email
from undersigned.organisations.models import Organisation
from undersigned.pictures.actions import store_picture
from undersigned.statements import demo_pictures
from undersigned.statements.forms import CONSENT_VERSION
from undersigned.statements.models import (
    Signature,
    Source,
    SourceCount,
    Statement,
    StatementVersion,
)

SLUG = "free-the-valmora-students"

VERSIONS = {
    "en": {
        "title": "Free the Valmora students",
        "summary": (
            "Forty-one students were arrested after a peaceful march for affordable tuition. "
            "We call for their release and for the charges to be dropped."
        ),
        "body": (
            "On 12 October, thousands of students marched through Valmora to ask for "
            "affordable tuition. The march was peaceful. That night, police arrested "
            "**forty-one students** at their homes and halls of residence.\n\n"
            "# What happened since\n\n"
            "The students have been held for weeks without trial, some without access to a "
            "lawyer. Their families have not been allowed to visit. Several face charges of "
            "“disturbing public order” that carry up to eight years in prison.\n\n"
            "Peaceful protest is a right, not a crime. We, the undersigned student unions, "
            "trade unions, organisations and individuals, stand with them.\n"
        ),
        "cover_alt": (
            "A drawing of a crowd marching at dusk under a banner that reads “Free them · "
            "Libertad” and a sign that reads “41”."
        ),
        "demands": (
            "Release all forty-one students now.\n"
            "Drop every charge brought for taking part in the march.\n"
            "Let families and lawyers visit the detained without delay.\n"
            "Open an independent inquiry into the night of the arrests."
        ),
    },
    "es": {
        "title": "Libertad para los estudiantes de Valmora",
        "summary": (
            "Cuarenta y un estudiantes fueron detenidos tras una marcha pacífica por una "
            "matrícula asequible. Exigimos su liberación y el archivo de los cargos."
        ),
        "body": (
            "El 12 de octubre, miles de estudiantes marcharon por Valmora para pedir una "
            "matrícula asequible. La marcha fue pacífica. Esa noche, la policía detuvo a "
            "**cuarenta y un estudiantes** en sus casas y residencias.\n\n"
            "# Qué ha pasado desde entonces\n\n"
            "Los estudiantes llevan semanas detenidos sin juicio, algunos sin acceso a un "
            "abogado. A sus familias no se les permite visitarlos. Varios están acusados de "
            "«alteración del orden público», con penas de hasta ocho años.\n\n"
            "La protesta pacífica es un derecho, no un delito. Las federaciones de "
            "estudiantes, sindicatos, organizaciones y personas abajo firmantes estamos con "
            "ellos.\n"
        ),
        "cover_alt": (
            "Un dibujo de una multitud que marcha al atardecer bajo una pancarta que dice "
            "«Free them · Libertad» y un cartel que dice «41»."
        ),
        "demands": (
            "Liberen ya a los cuarenta y un estudiantes.\n"
            "Retiren todos los cargos por participar en la marcha.\n"
            "Permitan sin demora las visitas de familias y abogados.\n"
            "Abran una investigación independiente sobre la noche de las detenciones."
        ),
        "addressed_to": "El Ministerio del Interior de Valmora",
    },
}

# (name, email, country, display, language, kind, organisation, role, state)
SIGNERS = [
    ("Lucía Fernández", "lucia@example.org", "AR", "full", "es", "individual", "", "", "confirmed"),
    (
        "Tomás Ribeiro",
        "tomas@example.org",
        "PT",
        "initial",
        "es",
        "individual",
        "",
        "",
        "confirmed",
    ),
    ("Grace Okafor", "grace@example.org", "NG", "full", "en", "individual", "", "", "confirmed"),
    ("Mei Lin", "mei@example.org", "TW", "initial", "en", "individual", "", "", "confirmed"),
    ("Jonas Berg", "jonas@example.org", "SE", "hidden", "en", "individual", "", "", "confirmed"),
    ("Rosa Quispe", "rosa@example.org", "PE", "full", "es", "individual", "", "", "confirmed"),
    ("Sam Carter", "sam@example.org", "GB", "full", "en", "individual", "", "", "pending"),
    (
        "Inés Castro",
        "ines@example.org",
        "CL",
        "full",
        "es",
        "organisation",
        "Federación de Estudiantes del Sur",
        "Secretaria general",
        "confirmed",
    ),
    (
        "Peter Nowak",
        "peter@example.org",
        "PL",
        "initial",
        "en",
        "organisation",
        "Teachers' Union of the North",
        "International officer",
        "confirmed",
    ),
    (
        "Amal Haddad",
        "amal@example.org",
        "FR",
        "full",
        "en",
        "organisation",
        "Students Without Borders",
        "",
        "confirmed",
    ),
    (
        "Diego Paz",
        "diego@example.org",
        "BO",
        "full",
        "es",
        "organisation",
        "Colectivo Aymara de Estudiantes",
        "Vocero",
        "approval",
    ),
]


# The crowd: invented names, spread over three weeks with one surge day (the day a well-known
# person shared the statement), so that the count, the charts and the sources mean something.
FIRST = (
    "Ana Luis Carmen Jorge Sofía Mateo Valentina Diego Camila Pablo Lucía Andrés María José "
    "Emma Liam Olivia Noah Ava Ethan Chloe Samuel Aisha Yusuf Nadia Omar Lina Karim Hana Jonas "
    "Freya Nils Ingrid Kofi Ama Kwame Zainab Ravi Priya Arjun Meera Tariq Leila Marta Pau Núria"
).split()
LAST = (
    "Quispe Mamani Condori Huamán Flores Rojas García López Torres Vargas Castro Silva Romero "
    "Smith Jones Taylor Brown Wilson Evans Patel Khan Ali Hassan Mensah Owusu Nielsen Larsen "
    "Berg Novak Kowalski Costa Pereira Santos Moreno Ortega Ruiz Herrera Medina Aguilar"
).split()
COUNTRIES = "PE PE PE BO CL AR MX ES ES GB GB US FR DE NG GH IN SE PL BR CO EC".split()
DAYS = 21
SURGE_DAY = 6  # days ago
SOURCES = ("union-newsletter", "instagram", "leaflet")


def _daily(rng: random.Random) -> list[int]:
    """Signatures on each of the last DAYS days, oldest first."""
    counts = []
    for day in range(DAYS, 0, -1):
        steady = 6 + (DAYS - day) // 2 + rng.randint(0, 6)
        counts.append(150 + rng.randint(0, 20) if day == SURGE_DAY else steady)
    return counts


def _crowd(statement: Statement, now: dt.datetime) -> None:
    """A few hundred confirmed signers, counted by source per hour as signing counts them.
    Done once: a second run finds them and adds nothing."""
    if Signature.objects.filter(statement=statement, email__startswith="supporter-").exists():
        return
    rng = random.Random(2026)  # noqa: S311 - a repeatable demo, not a secret
    sources = {
        code: Source.objects.get_or_create(statement=statement, code=code)[0] for code in SOURCES
    }
    per_hour: dict[tuple[str, dt.datetime], int] = {}
    rows = []
    n = 0
    for offset, count in enumerate(_daily(rng)):
        day_start = now - dt.timedelta(days=DAYS - offset)
        for _ in range(count):
            n += 1
            # Daytime mostly; the surge comes in the evening, after the post.
            hour = rng.choice(range(18, 24)) if DAYS - offset == SURGE_DAY else rng.randint(7, 23)
            at = day_start.replace(hour=hour, minute=0, second=0, microsecond=0) + dt.timedelta(
                minutes=rng.randint(0, 59), seconds=rng.randint(0, 59)
            )
            if at > now:
                at = now - dt.timedelta(minutes=rng.randint(1, 600))
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            email = f"supporter-{n}@example.org"
            language = "es" if rng.random() < 0.55 else "en"
            display = rng.choices(("hidden", "initial", "full"), (45, 30, 25))[0]
            rows.append(
                Signature(
                    statement=statement,
                    name=name,
                    email=email,
                    email_canonical=canonical_email(email),
                    country=rng.choice(COUNTRIES),
                    display=display,
                    language=language,
                    kind="individual",
                    state="confirmed",
                    consent_version=CONSENT_VERSION,
                    consent_at=at,
                    created_at=at,
                    confirmed_at=at + dt.timedelta(minutes=rng.randint(1, 30)),
                )
            )
            if DAYS - offset == SURGE_DAY or rng.random() < 0.3:
                code = "instagram" if DAYS - offset == SURGE_DAY else rng.choice(SOURCES)
                key = (code, at.replace(minute=0, second=0, microsecond=0))
                per_hour[key] = per_hour.get(key, 0) + 1
    Signature.objects.bulk_create(rows, batch_size=500)
    SourceCount.objects.bulk_create(
        SourceCount(source=sources[code], hour=hour, count=count)
        for (code, hour), count in per_hour.items()
    )


def _pictures(organisation: Organisation, statement: Statement) -> None:
    """The network's logo and the statement's cover, drawn by the demo (once)."""
    if not organisation.logo:
        content, ext = pictures.reencode(demo_pictures.logo(), 256)
        organisation.logo.save(f"demo-logo.{ext}", ContentFile(content), save=False)
        organisation.save(update_fields=("logo",))
    if statement.cover_id is None:
        statement.cover = store_picture(
            organisation,
            demo_pictures.march(),
            alt=(
                "A drawing of a crowd marching at dusk under a banner that reads “Free them · "
                "Libertad” and a sign that reads “41”."
            ),
            credit="Drawing: the demo of Undersigned",
        )
        statement.save(update_fields=("cover",))
    # Two of the organisations that signed sent their logos.
    for name, initials, colour in (
        ("Federación de Estudiantes del Sur", "FES", (31, 94, 140)),
        ("Teachers' Union of the North", "TUN", (46, 110, 60)),
    ):
        signed = Signature.objects.filter(
            statement=statement, organisation_name=name, logo__isnull=True
        ).first()
        if signed is not None:
            signed.logo = store_picture(
                organisation, demo_pictures.logo(initials, colour), alt=f"The logo of {name}"
            )
            signed.save(update_fields=("logo",))


@transaction.atomic
def load_demo() -> Statement:
    """Create or update the demo. Idempotent: running it twice doubles nothing."""
    now = timezone.now()
    organisation, _ = Organisation.objects.update_or_create(
        slug="student-solidarity-network",
        defaults={
            "name": "Student Solidarity Network",
            "website": "https://example.org/",
            "accent_colour": "#9b1c31",
        },
    )
    statement, _ = Statement.objects.update_or_create(
        slug=SLUG,
        defaults={
            "organisation": organisation,
            "status": Statement.Status.OPEN,
            "addressed_to": "The Ministry of the Interior of Valmora",
            "goal": 1000,
            "deadline": now + dt.timedelta(days=30),
            "default_language": "en",
        },
    )
    for language, fields in VERSIONS.items():
        StatementVersion.objects.update_or_create(
            statement=statement, language=language, defaults=fields
        )
    for index, row in enumerate(SIGNERS):
        name, email, country, display, language, kind, org, role, state = row
        at = now - dt.timedelta(hours=len(SIGNERS) - index)
        Signature.objects.get_or_create(
            statement=statement,
            email_canonical=canonical_email(email),
            defaults={
                "name": name,
                "email": email,
                "country": country,
                "display": display,
                "language": language,
                "kind": kind,
                "organisation_name": org,
                "organisation_role": role,
                "state": state,
                "consent_version": CONSENT_VERSION,
                "consent_at": at,
                "created_at": at,
                "confirmed_at": None if state == "pending" else at,
                "approved_at": at if kind == "organisation" and state == "confirmed" else None,
            },
        )
    _crowd(statement, now)
    _pictures(organisation, statement)
    return statement
