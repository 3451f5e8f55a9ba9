"""The demo campaign's comments: words of solidarity in both languages, one from a signer shown
as such, an answer from the organisers, one on the update, and one that waits in the queue
because it holds a link. Invented, as the rest of the demo."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from undersigned.comments import actions, moderation
from undersigned.comments.models import Comment, CommentPolicy
from undersigned.statements.models import Statement

# (hours ago, name, organisation, address, language, text, shown as a signatory)
PUBLISHED = [
    (
        70,
        "Rosa Quispe",
        "Sindicato Minero de Arequipa",
        "rosa@example.org",
        "es",
        "Desde el sindicato minero de Arequipa: estamos con ustedes. Ningún estudiante "
        "debe ir a juicio por protestar.",
        False,
    ),
    (
        46,
        "Grace Okafor",
        "",
        "grace@example.org",
        "en",
        "I signed and shared this with my whole department. Solidarity from Lagos.",
        True,
    ),
    (
        20,
        "Lucía Fernández",
        "",
        "lucia@example.org",
        "es",
        "Mi hermano es uno de los 41.\n\nGracias a cada persona que firma: las familias "
        "lo leemos todo.",
        True,
    ),
]

REPLY = (
    "en",
    "Thank you, Grace. The letter goes to the embassy with every name on Friday: please "
    "keep sharing until then.",
)

ON_UPDATE = (
    9,
    "Tomás Ortega",
    "",
    "tomas@example.org",
    "es",
    "¡Qué buena noticia! Allí estaremos el sábado.",
)

WAITING = (
    2,
    "Sam Carter",
    "",
    "sam@example.org",
    "en",
    "We wrote about the case on our blog: https://example.org/valmora-41 — more should know.",
)


def _comment(
    statement: Statement,
    hours: int,
    name: str,
    organisation: str,
    email: str,
    language: str,
    text: str,
    **fields: object,
) -> Comment:
    at = timezone.now() - dt.timedelta(hours=hours)
    return Comment.objects.create(
        organisation_id=statement.organisation_id,
        statement=statement,
        language=language,
        name=name,
        organisation_name=organisation,
        email=email,
        email_canonical=email,
        text=text,
        consent_version=actions.CONSENT_VERSION,
        consent_at=at,
        created_at=at,
        confirmed_at=at,
        **fields,
    )


def load_demo_comments(statement: Statement) -> None:
    """Add the demo's comments to `statement` (its first update gets one), once."""
    if Comment.objects.filter(statement=statement).exists():
        return
    with transaction.atomic():
        # The demo shows both ways: published at once, with the rules that hold some back.
        CommentPolicy.objects.update_or_create(
            statement=statement, defaults={"mode": CommentPolicy.Mode.POST}
        )
        shown = []
        for hours, name, organisation, email, language, text, signed in PUBLISHED:
            at = timezone.now() - dt.timedelta(hours=hours)
            shown.append(
                _comment(
                    statement,
                    hours,
                    name,
                    organisation,
                    email,
                    language,
                    text,
                    state=Comment.State.PUBLISHED,
                    published_at=at,
                    wants_signatory=signed,
                    is_signatory=signed,
                )
            )
        language, text = REPLY
        moderation.reply_as_organisation(shown[1], text, by=None, language=language)
        update = statement.updates.order_by("published_at").first()
        if update is not None:
            hours, name, organisation, email, language, text = ON_UPDATE
            _comment(
                statement,
                hours,
                name,
                organisation,
                email,
                language,
                text,
                update=update,
                state=Comment.State.PUBLISHED,
                published_at=timezone.now() - dt.timedelta(hours=hours),
            )
        hours, name, organisation, email, language, text = WAITING
        _comment(
            statement,
            hours,
            name,
            organisation,
            email,
            language,
            text,
            state=Comment.State.HELD,
            reasons=",".join((Comment.Reason.FIRST, Comment.Reason.LINK)),
            held_at=timezone.now() - dt.timedelta(hours=hours),
        )
