"""A statement's notice: a short announcement at the top of its public page, such as an
emergency demonstration (updates.models.Notice). Every member sees it; editors and owners put
one up and take it down."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from undersigned.audit.models import record
from undersigned.dashboard.access import EDITOR, VIEWER, read_only_below, statement_for
from undersigned.dashboard.statement_forms import LOCAL_MINUTE, DeadlineField
from undersigned.lib.forms import CleanLineField
from undersigned.updates.models import Notice


class NoticeForm(forms.ModelForm):  # type: ignore[type-arg]
    link = forms.URLField(
        label=gettext_lazy("link"),
        required=False,
        assume_scheme="https",
        help_text=Notice._meta.get_field("link").help_text,
    )

    class Meta:
        model = Notice
        fields = ("text", "link", "link_text", "shown_until")
        field_classes = {
            "text": CleanLineField,
            "link_text": CleanLineField,
            "shown_until": DeadlineField,
        }
        widgets = {
            "shown_until": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format=LOCAL_MINUTE
            ),
        }

    def clean_link(self) -> str:
        link = str(self.cleaned_data.get("link") or "")
        if link and not link.startswith("https://"):
            raise forms.ValidationError(_("Give an address that starts with https://."))
        return link

    def clean_shown_until(self) -> Any:
        until = self.cleaned_data.get("shown_until")
        if until is not None and until <= timezone.now():
            raise forms.ValidationError(_("Choose a time in the future, or leave it empty."))
        return until


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def notice(request: HttpRequest, slug: str) -> HttpResponse:
    """The notice shown now, if any, and a form to put up a new one (which replaces it), or to
    take it down."""
    statement, membership = statement_for(
        request, slug, EDITOR if request.method == "POST" else VIEWER
    )
    shown = Notice.objects.shown().filter(statement=statement).first()
    form = NoticeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if request.POST.get("action") == "end":
            if shown is not None:
                # One by one: each save clears the cached public pages (updates.apps).
                for up in Notice.objects.shown().filter(statement=statement):
                    up.shown_until = timezone.now()
                    up.save(update_fields=["shown_until"])
                record("notice.ended", actor=request.user, statement=statement, object_id=shown.pk)
                messages.success(request, _("The notice is taken down."))
            return redirect("dashboard:notice", statement.slug)
        if form.is_valid():
            form.instance.statement = statement
            form.save()
            record(
                "notice.shown", actor=request.user, statement=statement, object_id=form.instance.pk
            )
            messages.success(request, _("The notice is up on the statement's page."))
            return redirect("dashboard:notice", statement.slug)
    read_only_below(membership, EDITOR, form)
    return render(
        request,
        "dashboard/notice.html",
        {
            "statement": statement,
            "shown": shown,
            "form": form,
            "can_edit": membership.can(EDITOR),
        },
        status=400 if request.method == "POST" else 200,
    )
