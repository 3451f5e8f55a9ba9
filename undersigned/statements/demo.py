"""The demo campaign: a fictional network and a bilingual statement, with signatories.

Everything here is invented for the demo: Valmora is not a real place.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from undersigned.lib.emails import canonical_email
from undersigned.organisations.models import Organisation
from undersigned.statements.forms import CONSENT_VERSION
from undersigned.statements.models import Signature, Statement, StatementVersion

SLUG = "free-the-valmora-students"

VERSIONS = {
    "en": {
        "title": "Free the Valmora students",
        "summary": (
            "Forty-one students were arrested after a peaceful march for affordable tuition. "
            "We call for their release and for the charges to be dropped."
        ),
        "body": (
            "<p>On 12 October, thousands of students marched through Valmora to ask for "
            "affordable tuition. The march was peaceful. That night, police arrested "
            "<strong>forty-one students</strong> at their homes and halls of residence.</p>"
            "<h2>What happened since</h2>"
            "<p>The students have been held for weeks without trial, some without access to a "
            "lawyer. Their families have not been allowed to visit. Several face charges of "
            "&ldquo;disturbing public order&rdquo; that carry up to eight years in prison.</p>"
            "<p>Peaceful protest is a right, not a crime. We, the undersigned student unions, "
            "trade unions, organisations and individuals, stand with them.</p>"
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
            "<p>El 12 de octubre, miles de estudiantes marcharon por Valmora para pedir una "
            "matrícula asequible. La marcha fue pacífica. Esa noche, la policía detuvo a "
            "<strong>cuarenta y un estudiantes</strong> en sus casas y residencias.</p>"
            "<h2>Qué ha pasado desde entonces</h2>"
            "<p>Los estudiantes llevan semanas detenidos sin juicio, algunos sin acceso a un "
            "abogado. A sus familias no se les permite visitarlos. Varios están acusados de "
            "&laquo;alteración del orden público&raquo;, con penas de hasta ocho años.</p>"
            "<p>La protesta pacífica es un derecho, no un delito. Las federaciones de "
            "estudiantes, sindicatos, organizaciones y personas abajo firmantes estamos con "
            "ellos.</p>"
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


@transaction.atomic
def load_demo() -> Statement:
    """Create or update the demo. Idempotent: running it twice doubles nothing."""
    now = timezone.now()
    organisation, _ = Organisation.objects.update_or_create(
        slug="student-solidarity-network",
        defaults={"name": "Student Solidarity Network", "website": "https://example.org/"},
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
    return statement
