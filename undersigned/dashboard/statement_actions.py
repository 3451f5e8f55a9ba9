"""What the dashboard does to statements: create, copy, publish, close, reopen, rename and
delete sources, and what a translation still lacks. Each change writes one audit row (keys,
counts and source codes, never text)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from undersigned.audit.models import record
from undersigned.lib import markdown
from undersigned.organisations.models import Organisation
from undersigned.statements.models import Source, Statement, StatementVersion

User = AbstractBaseUser | AnonymousUser

# The settings a copy takes over from its original; status, slug and signatures it does not.
COPIED_SETTINGS = (
    "addressed_to",
    "goal",
    "deadline",
    "default_language",
    "ask_country",
    "require_country",
    "ask_postcode",
    "allow_organisations",
    "keep_count_after_erasure",
    "signatories_hidden",
)
VERSION_TEXT = ("title", "summary", "body", "demands", "addressed_to")

# A translation whose body has less than this share of the default's text is flagged.
SHORT_BODY_RATIO = 0.5


def plain_text(text: str) -> str:
    """The text a reader sees of some Markdown: what the sanitiser keeps, without tags or
    extra spaces."""
    return re.sub(r"\s+", " ", strip_tags(markdown.render(text))).strip()


@transaction.atomic
def create_statement(
    organisation: Organisation, actor: User, *, slug: str, language: str, **text: str
) -> Statement:
    statement = Statement.objects.create(
        organisation=organisation, slug=slug, default_language=language
    )
    StatementVersion.objects.create(statement=statement, language=language, **text)
    record("statement.created", actor=actor, statement=statement, object_id=statement.pk)
    return statement


@transaction.atomic
def copy_statement(original: Statement, actor: User, *, slug: str) -> Statement:
    """A draft with the original's settings and every language version; no signatures."""
    copy = Statement.objects.create(
        organisation=original.organisation,
        slug=slug,
        status=Statement.Status.DRAFT,
        **{name: getattr(original, name) for name in COPIED_SETTINGS},
    )
    versions = [
        StatementVersion(
            statement=copy,
            language=version.language,
            **{name: getattr(version, name) for name in VERSION_TEXT},
        )
        for version in original.versions.all()
    ]
    for version in versions:
        version.save()  # one by one: save() sanitises and the signal clears caches
    record(
        "statement.copied",
        actor=actor,
        statement=copy,
        object_id=copy.pk,
        original=original.pk,
        versions=len(versions),
    )
    return copy


def publish_problems(statement: Statement) -> list[str]:
    """Why the statement cannot be published yet; empty if it can."""
    default = statement.versions.filter(language=statement.default_language).first()
    if default is None:
        return [
            _("There is no version in the default language (%(language)s).")
            % {"language": statement.default_language}
        ]
    problems = []
    if not default.title.strip():
        problems.append(_("The default version has no title."))
    if not plain_text(default.body):
        problems.append(_("The default version has no body."))
    return problems


def set_status(statement: Statement, actor: User, status: str, action: str) -> None:
    was = statement.status
    statement.status = status
    statement.save(update_fields=("status",))
    record(action, actor=actor, statement=statement, object_id=statement.pk, was=was)


def rename_source(source: Source, actor: User, code: str) -> None:
    """Give a source a new code. Its counts stay with it (they point at the source, not its
    code); from now on links with the new code count for it and links with the old one count
    for nothing. Raises IntegrityError if the statement has a source with that code."""
    was = source.code
    if code == was:
        return
    try:
        with transaction.atomic():
            source.code = code
            source.save(update_fields=("code",))
            record(
                "source.renamed",
                actor=actor,
                statement=source.statement,
                object_id=source.pk,
                was=was,
                code=code,
            )
    except IntegrityError:
        source.code = was
        raise


def delete_source(source: Source, actor: User) -> None:
    """Delete a source and its counts. Its links still open the statement, and count for
    nothing."""
    with transaction.atomic():
        # Signing transactions counting into this source hold a share lock on its row (see
        # statements.store._count_sources): wait for them, so that their counts are deleted
        # with the rest; those that come after find no source, and count nothing.
        locked = Source.objects.select_for_update().filter(pk=source.pk).first()
        if locked is None:
            return
        counted = locked.counts.aggregate(total=Sum("count"))["total"] or 0
        locked.delete()
        record(
            "source.deleted",
            actor=actor,
            statement=source.statement,
            object_id=source.pk,
            code=source.code,
            counted=counted,
        )


def lacks(default: StatementVersion, version: StatementVersion) -> list[str]:
    """What `version` still lacks compared with the default version, in words for organisers."""
    if version is default or (version.pk is not None and version.pk == default.pk):
        return []
    problems = []
    labels: dict[str, Any] = {
        "title": _("The title is empty."),
        "summary": _("The summary is empty."),
        "body": _("The body is empty."),
        "demands": _("The demands are empty."),
    }
    for name in VERSION_TEXT:
        if plain_text(getattr(default, name)) and not plain_text(getattr(version, name)):
            problems.append(str(labels[name]))
    ours, theirs = len(version.demand_list), len(default.demand_list)
    if 0 < ours < theirs:
        problems.append(
            ngettext(
                "It has %(ours)d demand where the default version has %(theirs)d.",
                "It has %(ours)d demands where the default version has %(theirs)d.",
                ours,
            )
            % {"ours": ours, "theirs": theirs}
        )
    body, default_body = plain_text(version.body), plain_text(default.body)
    if body and len(body) < SHORT_BODY_RATIO * len(default_body):
        problems.append(
            _("The body is much shorter than the default version's (%(percent)d%%).")
            % {"percent": len(body) * 100 // len(default_body)}
        )
    return problems


def save_changes(form: forms.ModelForm[Any], action: str, *, actor: User, **audit: Any) -> None:
    """Save what the form changed, audited with the names of the fields, never their values."""
    changed = sorted(form.changed_data)
    if changed:
        form.save()
        record(action, actor=actor, fields=changed, **audit)
