"""The Print pages (editors and owners): a statement's asks for a leaflet, a poster, the paper
sign-up sheet or a delivery pack; an event's for a leaflet or a poster of it (asking to sign its
statement, if it has one). Each lists its documents as the worker makes them, to download."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from undersigned.dashboard.access import EDITOR, event_for, statement_for
from undersigned.dashboard.views.events import title_of, versions_of
from undersigned.events.models import Event
from undersigned.lib.languages import language_name
from undersigned.paper.actions import request_document
from undersigned.paper.models import Document
from undersigned.statements.models import Statement

# Documents listed on the page, newest first.
SHOWN = 30
# How long the organisers' cover letter may be.
LETTER_MAX = 5000


def _choices(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


def _languages(statement: Statement) -> list[tuple[str, str]]:
    versions = sorted(
        (version.language for version in statement.versions.all()),
        key=lambda language: (language != statement.default_language, language),
    )
    return [(language, language_name(language)) for language in versions]


class LeafletForm(forms.Form):
    """A leaflet or a poster: one language, or two side by side."""

    SIZES = (
        ("A5", gettext_lazy("Leaflet (A5)")),
        ("A4", gettext_lazy("Poster (A4)")),
        ("A3", gettext_lazy("Poster (A3)")),
    )
    size = forms.ChoiceField(label=gettext_lazy("Size"), choices=SIZES)
    language = forms.ChoiceField(label=gettext_lazy("Language"))
    beside = forms.ChoiceField(
        label=gettext_lazy("Beside it, in"),
        required=False,
        help_text=gettext_lazy("A second language printed side by side with the first."),
    )

    def __init__(self, *args: Any, languages: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "language").choices = languages
        _choices(self, "beside").choices = [("", _("None: one language")), *languages]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("beside") and data.get("beside") == data.get("language"):
            self.add_error("beside", _("Choose another language, or none."))
        return data

    def options(self) -> dict[str, Any]:
        data = self.cleaned_data
        languages = [data["language"], *([data["beside"]] if data.get("beside") else [])]
        return {"languages": languages, "size": data["size"]}


class StatementLeafletForm(LeafletForm):
    """A statement's leaflet or poster, with the time and place of one of its events if asked."""

    event = forms.TypedChoiceField(
        label=gettext_lazy("For the event"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=gettext_lazy("Print the event's time and place with the statement."),
    )

    def __init__(self, *args: Any, statement: Statement, **kwargs: Any) -> None:
        super().__init__(*args, languages=_languages(statement), **kwargs)
        self.events = {
            event.pk: event
            for event in Event.objects.filter(statement=statement)
            .upcoming()
            .prefetch_related("versions")
        }
        _choices(self, "event").choices = [("", _("None"))] + [
            (event.pk, _event_label(event, statement)) for event in self.events.values()
        ]

    def options(self) -> dict[str, Any]:
        return {**super().options(), "event": self.cleaned_data.get("event")}

    def chosen_event(self) -> Event | None:
        return self.events.get(self.cleaned_data.get("event") or 0)


def _event_label(event: Event, statement: Statement) -> str:
    version = event.version_for(statement.default_language)
    title = version.title if version else str(event.pk)
    return f"{title} · {date_format(timezone.localtime(event.start), 'SHORT_DATETIME_FORMAT')}"


class SheetForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Language"))

    def __init__(self, *args: Any, statement: Statement, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "language").choices = _languages(statement)

    def options(self) -> dict[str, Any]:
        return {"language": self.cleaned_data["language"]}


class PackForm(forms.Form):
    addressee_language = forms.ChoiceField(
        label=gettext_lazy("The addressee's language"),
        help_text=gettext_lazy("The cover letter and the pack's headings are in it."),
    )
    letter = forms.CharField(
        label=gettext_lazy("Cover letter"),
        required=False,
        max_length=LETTER_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy(
            "Plain text; a blank line between paragraphs. Left empty, a short letter says what "
            "the pack holds."
        ),
    )

    def __init__(self, *args: Any, statement: Statement, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "addressee_language").choices = _languages(statement)

    def options(self) -> dict[str, Any]:
        return {
            "addressee_language": self.cleaned_data["addressee_language"],
            "letter": self.cleaned_data["letter"].strip(),
        }


# What each form asks for: the POSTed `kind` -> its form and the document's kind.
FORMS: dict[str, type[StatementLeafletForm] | type[SheetForm] | type[PackForm]] = {
    "leaflet": StatementLeafletForm,
    "sheet": SheetForm,
    "pack": PackForm,
}


def _kind(name: str, form: forms.Form) -> str:
    if name == "leaflet":
        size = form.cleaned_data["size"]
        return Document.Kind.LEAFLET if size == "A5" else Document.Kind.POSTER
    return Document.Kind.SHEET if name == "sheet" else Document.Kind.PACK


def _asked(request: HttpRequest) -> None:
    messages.success(request, _("Asked for. The worker makes it in the background: see it below."))


def _print_page(
    request: HttpRequest, template: str, documents: QuerySet[Document], context: dict[str, Any]
) -> HttpResponse:
    """A Print page: its forms (in `context`) and the documents it lists, newest first."""
    shown = list(documents[:SHOWN])
    return render(
        request,
        template,
        {
            **context,
            "documents": shown,
            "keep_days": settings.PAPER_KEEP_DAYS,
            "busy": any(
                document.state in (Document.State.QUEUED, Document.State.MAKING)
                for document in shown
            ),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def print_page(request: HttpRequest, slug: str) -> HttpResponse:
    statement, _membership = statement_for(request, slug, EDITOR)
    posted = request.POST.get("kind") if request.method == "POST" else None
    bound: dict[str, forms.Form] = {}
    for name, form_class in FORMS.items():
        data = request.POST if name == posted else None
        bound[name] = form_class(data, statement=statement, prefix=name)
    if request.method == "POST":
        form = bound.get(posted or "")
        if form is None:
            return HttpResponse(status=400)
        if form.is_valid():
            event = form.chosen_event() if isinstance(form, StatementLeafletForm) else None
            kind = _kind(str(posted), form)
            request_document(statement, kind, form.options(), request.user, event=event)  # type: ignore[attr-defined]
            _asked(request)
            return redirect("dashboard:print", statement.slug)
    return _print_page(
        request,
        "dashboard/paper/print.html",
        Document.objects.filter(statement=statement),
        {"statement": statement, "forms": bound},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def event_print(request: HttpRequest, pk: int) -> HttpResponse:
    """An event's leaflet or poster, in its languages: with a QR code to sign its statement,
    if it has one, else to the event's own page."""
    event, _membership = event_for(request, pk, EDITOR)
    languages = [
        (version.language, language_name(version.language)) for version in versions_of(event)
    ]
    form = LeafletForm(
        request.POST if request.method == "POST" else None, languages=languages, prefix="leaflet"
    )
    if request.method == "POST" and form.is_valid():
        options = {**form.options(), "event": event.pk}
        kind = _kind("leaflet", form)
        request_document(event.statement, kind, options, request.user, event=event)
        _asked(request)
        return redirect("dashboard:event_print", event.pk)
    return _print_page(
        request,
        "dashboard/paper/event_print.html",
        Document.objects.filter(event=event),
        {"event": event, "title": title_of(event), "forms": {"leaflet": form}},
    )


def _send(document: Document) -> FileResponse:
    """The document's file, to the editor who may have it."""
    path = document.path
    if document.state != Document.State.READY or path is None:
        raise Http404
    try:
        file = path.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    response = FileResponse(
        file, as_attachment=True, filename=document.download_name(), content_type="application/pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def download(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    statement, _membership = statement_for(request, slug, EDITOR)
    return _send(get_object_or_404(Document, statement=statement, pk=pk))


@login_required
@require_safe
def event_download(request: HttpRequest, pk: int, document: int) -> FileResponse:
    event, _membership = event_for(request, pk, EDITOR)
    return _send(
        get_object_or_404(Document.objects.select_related("statement"), event=event, pk=document)
    )
