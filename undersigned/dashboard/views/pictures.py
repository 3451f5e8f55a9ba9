"""An organisation's pictures: upload (re-encoded without any metadata, lib.pictures), the
Markdown that shows each inside a statement or an update, and deletion."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from undersigned.audit.models import record
from undersigned.dashboard.access import EDITOR, VIEWER, organisation_for
from undersigned.lib.pictures import ACCEPTED, MAX_PIXELS, PictureError
from undersigned.pictures.actions import store_picture
from undersigned.pictures.models import Picture
from undersigned.statements.models import Statement

ERRORS = {
    "format": gettext_lazy("The picture must be a JPEG, PNG, WebP or GIF image."),
    "not_image": gettext_lazy("This file is not a picture that can be read."),
    "too_many_pixels": gettext_lazy("The picture is too large: 40 megapixels at most."),
}


def max_bytes() -> int:
    """The largest picture taken: what fits in a request with its form (REQUEST_BODY_MAX_BYTES)."""
    return max(settings.REQUEST_BODY_MAX_BYTES - 64 * 1024, 64 * 1024)


class PictureForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Picture"),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}
        ),
    )
    alt = forms.CharField(
        label=Picture._meta.get_field("alt").verbose_name.capitalize(),
        max_length=500,
        help_text=Picture._meta.get_field("alt").help_text,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    credit = forms.CharField(
        label=Picture._meta.get_field("credit").verbose_name.capitalize(),
        max_length=200,
        required=False,
        help_text=Picture._meta.get_field("credit").help_text,
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > max_bytes():
            raise ValidationError(
                _("The picture must be %(size)s or smaller.")
                % {"size": filesizeformat(max_bytes())}
            )
        data: bytes = upload.read()
        return data


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def pictures_page(request: HttpRequest, slug: str) -> HttpResponse:
    role = EDITOR if request.method == "POST" else VIEWER
    organisation, membership = organisation_for(request, slug, role)
    form = PictureForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            picture = store_picture(
                organisation,
                form.cleaned_data["file"],
                alt=form.cleaned_data["alt"].strip(),
                credit=form.cleaned_data["credit"].strip(),
                actor=request.user,
            )
        except PictureError as error:
            form.add_error("file", ERRORS[error.code])
        else:
            messages.success(
                request,
                _(
                    "The picture is added, without any of the file's metadata. Copy its Markdown "
                    "into a text, or make it a statement's cover in the statement's settings."
                ),
            )
            return redirect(f"{request.path}#picture-{picture.pk}")
    covers = dict(
        Statement.objects.filter(organisation=organisation, cover__isnull=False).values_list(
            "cover_id", "slug"
        )
    )
    return render(
        request,
        "dashboard/pictures.html",
        {
            "organisation": organisation,
            "membership": membership,
            "form": form,
            "pictures": [(p, covers.get(p.pk)) for p in organisation.pictures.all()],
            "can_edit": membership.can(EDITOR),
            "limit": filesizeformat(max_bytes()),
            "formats": ", ".join(ACCEPTED.values()),
            "megapixels": MAX_PIXELS // 1_000_000,
        },
    )


@login_required
@require_POST
def picture_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    organisation, _membership = organisation_for(request, slug, EDITOR)
    with transaction.atomic():
        picture = (
            Picture.objects.select_for_update().filter(organisation=organisation, pk=pk).first()
        )
        if picture is None:
            raise Http404
        cover_of = Statement.objects.filter(cover=picture).values_list("slug", flat=True).first()
        if cover_of is not None:
            messages.error(
                request,
                _("This picture is the cover of “%(slug)s”: choose another cover there first.")
                % {"slug": cover_of},
            )
            return redirect("dashboard:pictures", organisation.slug)
        picture.delete()
        record("picture.deleted", actor=request.user, object_id=pk, organisation=organisation.pk)
    messages.success(request, _("The picture is deleted. Texts that showed it no longer do."))
    return redirect("dashboard:pictures", organisation.slug)
