"""Coalitions. The organisation that runs a statement adds and removes partner organisations
(editors and up; viewers see the list). A partner's members see their own share link and the
signers who agreed to hear from their organisation, and nobody else: viewers the figures,
editors and owners the list and its export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from undersigned.audit.models import record
from undersigned.dashboard.access import EDITOR, OWNER, VIEWER, partner_for, statement_for
from undersigned.dashboard.signatures import page_of
from undersigned.dashboard.views.members import MESSAGES
from undersigned.lib import csvexport
from undersigned.lib.csvsafe import neutralise
from undersigned.lib.forms import NameField
from undersigned.lib.share import share_links
from undersigned.organisations import actions as organisation_actions
from undersigned.organisations.models import Organisation
from undersigned.statements import coalition
from undersigned.statements.models import Partner, PartnerConsent, Statement, StatementVersion


class PartnerForm(forms.Form):
    """An organisation already here, by its address; or a new one, whose owner-to-be is
    invited by email."""

    organisation = forms.SlugField(
        label=gettext_lazy("Address of an organisation already on this site"),
        required=False,
        help_text=gettext_lazy(
            "Its members find it on their organisation's page in the dashboard, e.g. "
            "students-union."
        ),
    )
    name = NameField(
        label=gettext_lazy("Or the name of a new organisation"), max_length=200, required=False
    )
    email = forms.EmailField(
        label=gettext_lazy("and the email address of the person who will run it"),
        required=False,
        help_text=gettext_lazy("They get an invitation to own the organisation here."),
    )

    def __init__(self, *args: Any, statement: Statement, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.statement = statement
        self.existing: Organisation | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        slug, name, email = data.get("organisation"), data.get("name"), data.get("email")
        if self.errors:
            return data
        if slug:
            self.existing = Organisation.objects.filter(slug=slug).first()
            if self.existing is None:
                self.add_error("organisation", _("No organisation has this address here."))
            elif self.existing.pk == self.statement.organisation_id:
                self.add_error("organisation", _("This organisation runs the statement already."))
            elif Partner.objects.filter(
                statement=self.statement, organisation=self.existing, active=True
            ).exists():
                self.add_error("organisation", _("This organisation is a partner already."))
        elif name and email:
            pass
        elif name or email:
            self.add_error(
                "email" if name else "name",
                _("A new organisation needs both a name and an email address."),
            )
        else:
            raise forms.ValidationError(
                _(
                    "Give the address of an organisation already here, or the name of a new "
                    "one and an email address."
                )
            )
        return data


def _added_today(statement: Statement) -> int:
    """Partners the statement's organisation asked in the last 24 hours, across its statements:
    each asks a new organisation's owner-to-be or an existing one's owners by email, and counts
    against its daily limit of invitations."""
    return Partner.objects.filter(
        statement__organisation_id=statement.organisation_id,
        asked_at__gt=timezone.now() - dt.timedelta(days=1),
    ).count()


def _links(statement: Statement, code: str) -> list[tuple[str, str]]:
    return [
        (
            version.language,
            settings.SITE_URL
            + reverse("statement", args=(statement.slug, version.language))
            + f"?src={code}",
        )
        for version in statement.versions.all()
    ]


def _default_version(statement: Statement) -> StatementVersion | None:
    versions = list(statement.versions.all())
    return next(
        (version for version in versions if version.language == statement.default_language),
        versions[0] if versions else None,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def partners_page(request: HttpRequest, slug: str) -> HttpResponse:
    statement, membership = statement_for(
        request, slug, EDITOR if request.method == "POST" else VIEWER
    )
    form = PartnerForm(request.POST if request.method == "POST" else None, statement=statement)
    if request.method == "POST" and form.is_valid():
        organisation = form.existing
        try:
            if _added_today(statement) >= settings.INVITATIONS_PER_ORGANISATION_PER_DAY:
                raise organisation_actions.TooManyInvitations
            if organisation is None:
                organisation, _invitation = organisation_actions.create_invited_organisation(
                    form.cleaned_data["name"],
                    form.cleaned_data["email"],
                    by=request.user,
                    language=get_language() or settings.LANGUAGE_CODE,
                )
            coalition.add_partner(statement, organisation, actor=request.user)
        except organisation_actions.TooManyInvitations:
            form.add_error(
                None,
                _(
                    "%(name)s has asked as many organisations to be partners in the last 24 "
                    "hours as this site allows. Nothing was sent: try again later."
                )
                % {"name": statement.organisation.name},
            )
        except organisation_actions.MembershipError as error:
            form.add_error(
                "email", str(MESSAGES.get(type(error), _("The invitation could not be sent.")))
            )
        except coalition.PartnerError:
            form.add_error("organisation", _("This organisation is a partner already."))
        else:
            messages.success(
                request,
                _(
                    "%(name)s is asked to back this statement. Nothing public names it until "
                    "one of its owners accepts."
                )
                % {"name": organisation.name},
            )
            return redirect("dashboard:partners", statement.slug)
    partners = list(
        Partner.objects.filter(statement=statement)
        .select_related("organisation", "source")
        .annotate(members=Count("organisation__membership", distinct=True))
    )
    # Separate queries: two joins of one query would multiply each other's rows.
    agreeing = dict(
        coalition.partner_consents(Partner.objects.filter(statement=statement))
        .values_list("partner_id")
        .annotate(n=Count("pk"))
        .values_list("partner_id", "n")
    )
    through = dict(
        Partner.objects.filter(statement=statement)
        .annotate(total=Sum("source__counts__count"))
        .values_list("pk", "total")
    )
    rows = [
        {
            "partner": partner,
            "through": through.get(partner.pk) or 0,
            "agreeing": agreeing.get(partner.pk, 0),
            "links": _links(statement, partner.source.code),
        }
        for partner in partners
    ]
    default = _default_version(statement)
    return render(
        request,
        "dashboard/partners.html",
        {
            "statement": statement,
            "title": default.title if default else statement.slug,
            "rows": rows,
            "form": form,
            "can_edit": membership.can(EDITOR),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def partner_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    statement, _membership = statement_for(request, slug, EDITOR)
    partner = get_object_or_404(
        Partner.objects.select_related("organisation"), statement=statement, pk=pk
    )
    if partner.active:
        coalition.remove_partner(partner, actor=request.user)
        messages.success(
            request,
            _(
                "%(name)s is no longer a partner. Signers who agreed to hear from it still can, "
                "until they withdraw."
            )
            % {"name": partner.organisation.name},
        )
    return redirect("dashboard:partners", statement.slug)


def _answer(request: HttpRequest, slug: str, organisation: str, *, accept: bool) -> HttpResponse:
    """An owner of the partner organisation agrees to back the statement, or declines (or
    ends the partnership)."""
    partner, _membership = partner_for(request, slug, organisation, OWNER)
    if accept and coalition.accept_partnership(partner, actor=request.user):
        said = _("%(name)s now backs this statement: its page names it.")
    elif not accept and coalition.decline_partnership(partner, actor=request.user):
        said = _("%(name)s does not back this statement: nothing public names it.")
    else:
        said = ""
    if said:
        messages.success(request, said % {"name": partner.organisation.name})
    return redirect("dashboard:partner", slug, organisation)


@login_required
@require_POST
def partner_accept(request: HttpRequest, slug: str, organisation: str) -> HttpResponse:
    return _answer(request, slug, organisation, accept=True)


@login_required
@require_POST
def partner_decline(request: HttpRequest, slug: str, organisation: str) -> HttpResponse:
    return _answer(request, slug, organisation, accept=False)


@login_required
@require_safe
def partner_view(request: HttpRequest, slug: str, organisation: str) -> HttpResponse:
    partner, membership = partner_for(request, slug, organisation, VIEWER)
    statement = partner.statement
    may_see_signers = membership.can(EDITOR)
    signers = coalition.partner_signers(partner).only("name", "email", "language", "confirmed_at")
    page = (
        page_of(signers, request.GET.get("before"), request.GET.get("after"))
        if may_see_signers
        else None
    )
    if page is not None:
        agreed_at = dict(
            PartnerConsent.objects.filter(
                partner=partner, signature__in=[row.pk for row in page.rows]
            ).values_list("signature_id", "at")
        )
        for row in page.rows:
            row.agreed_at = agreed_at.get(row.pk)  # type: ignore[attr-defined]
    default = _default_version(statement)
    links = _links(statement, partner.source.code)
    main = next((url for language, url in links if default and language == default.language), "")
    return render(
        request,
        "dashboard/partner.html",
        {
            "partner": partner,
            "statement": statement,
            "title": default.title if default else statement.slug,
            "links": links,
            "share": share_links(main, default.title) if main and default else [],
            "through": partner.source.counts.aggregate(total=Sum("count"))["total"] or 0,
            "agreeing": signers.count(),
            "page": page,
            "may_see_signers": may_see_signers,
            "may_answer": membership.can(OWNER),
        },
    )


def _partner_rows(partner: Partner) -> Iterator[bytes]:
    """The partner's contacts in chunks, by id: no read stays open during the download."""

    def fetch(last: int, size: int) -> list[tuple[object, ...]]:
        chunk = (
            coalition.partner_consents(partner)
            .filter(signature_id__gt=last)
            .order_by("signature_id")
            .values_list(
                "signature_id",
                "signature__name",
                "signature__email",
                "signature__language",
                "at",
            )[:size]
        )
        return [
            (pk, neutralise(name), neutralise(email), neutralise(language), at.isoformat())
            for pk, name, email, language, at in chunk
        ]

    return csvexport.keyset_rows(["name", "email", "language", "agreed_at"], fetch)


@login_required
@require_safe
def partner_export(request: HttpRequest, slug: str, organisation: str) -> StreamingHttpResponse:
    partner, _membership = partner_for(request, slug, organisation, EDITOR)
    record(
        "partner.signers_exported",
        actor=request.user,
        statement=partner.statement,
        object_id=partner.pk,
    )
    return csvexport.download(
        _partner_rows(partner), f"{partner.statement.slug}-{partner.organisation.slug}.csv"
    )
