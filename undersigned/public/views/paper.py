"""The public check page of a delivery pack: the count and the list's hash as of the moment the
pack was made, so that whoever receives one can check what it says. Nothing about any signer."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_safe

from undersigned.lib.pagecache import public_cache
from undersigned.paper.models import Document
from undersigned.paper.pack import LIST_FILE
from undersigned.public.views.statements import PAGE_SECONDS
from undersigned.statements.queries import get_public_statement


@require_safe
@public_cache(PAGE_SECONDS)
def pack_check(request: HttpRequest, slug: str, pk: str) -> HttpResponse:
    statement = get_public_statement(request, slug)
    pack = (
        Document.objects.filter(statement=statement, pk=pk, kind=Document.Kind.PACK)
        .exclude(sha256="")
        .only("pk", "as_of", "count", "listed", "sha256", "finished_at", "kind")
        .first()
    )
    if pack is None or not pack.checkable:
        raise Http404
    version = statement.version_for(translation.get_language())
    return render(
        request,
        "paper/check.html",
        {"statement": statement, "version": version, "pack": pack, "list_file": LIST_FILE},
    )
