"""Reads behind the public pages: one place for the count, the lists and version lookup."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from undersigned.lib.languages import normalise_tag
from undersigned.statements.models import Signature, Statement, StatementVersion


def get_public_statement(request: HttpRequest, slug: str) -> Statement:
    """An open or closed statement, or a draft for members of its organisation; else 404."""
    statement = Statement.objects.select_related("organisation").filter(slug=slug).first()
    if statement is None:
        raise Http404
    if statement.status == Statement.Status.DRAFT and not statement.is_member(request.user):
        raise Http404
    return statement


def get_version(statement: Statement, language: str) -> StatementVersion:
    tag = normalise_tag(language)
    if tag is None:
        raise Http404
    for version in statement.versions.all():
        if version.language.lower() == tag.lower():
            return version
    raise Http404


def signature_count(statement: Statement) -> int:
    """Confirmed signatures across every language version: the one shared count."""
    return Signature.objects.counted().filter(statement=statement).count()


def listed_organisations(statement: Statement) -> QuerySet[Signature]:
    return (
        Signature.objects.listed()
        .filter(statement=statement, kind=Signature.Kind.ORGANISATION)
        .order_by("organisation_name", "id")
    )


def latest_individuals(statement: Statement) -> QuerySet[Signature]:
    return (
        Signature.objects.listed()
        .filter(statement=statement, kind=Signature.Kind.INDIVIDUAL)
        .order_by("-confirmed_at", "-id")
    )
