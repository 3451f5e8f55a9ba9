"""An organisation's own page: its name, website and logo, its members and their roles, and
invitations by email. Owners change things; any member can see the page and leave. Also
making a new organisation, and the page an invitation's link opens."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from undersigned.dashboard.access import OWNER, VIEWER, organisation_for
from undersigned.lib import colours, pictures
from undersigned.lib.forms import NameField
from undersigned.organisations import actions
from undersigned.organisations.models import Invitation, Membership, Organisation
from undersigned.statements.forms import CountryField

# Logos: raster images only (an SVG can carry script), small enough to serve as they are.
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}
LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_PIXELS = 4096 * 4096
# Logos are shown at most 64 CSS pixels wide (the "Signed on" grid): twice that for sharp screens,
# and some room for wide logos.
LOGO_MAX_WIDTH = 256

MESSAGES = {
    actions.LastOwner: gettext_lazy(
        "An organisation needs at least one owner: make someone else owner first."
    ),
    actions.AlreadyInvited: gettext_lazy(
        "That address has an invitation waiting already. Revoke it first to send a new one."
    ),
    actions.AlreadyMember: gettext_lazy("Someone with that address is a member already."),
}


class OrganisationForm(forms.ModelForm):  # type: ignore[type-arg]
    # Public (statement pages, the sender of every email): a name as every name is.
    name = NameField(label=gettext_lazy("Name"), max_length=200)
    # A website typed without a scheme is taken as https (Django 6.0's default, asked now).
    website = forms.URLField(label=gettext_lazy("Website"), required=False, assume_scheme="https")
    # Typed, not a colour picker: a picker always has a value, and empty means the site's own.
    accent_colour = forms.CharField(
        label=gettext_lazy("Accent colour"),
        required=False,
        # Longer than a colour, so that one digit too many gets the same message as a typo.
        max_length=20,
        help_text=gettext_lazy(
            "For buttons and links on your statements' pages: # and six hex digits, such as "
            "#1a5fb4. It must be dark enough for white text on it. Leave it empty for the "
            "site's own colour."
        ),
        widget=forms.TextInput(
            attrs={"placeholder": "#1a5fb4", "spellcheck": "false", "autocomplete": "off"}
        ),
    )

    country = CountryField(
        label=gettext_lazy("Country"),
        required=False,
        help_text=gettext_lazy(
            "Where your organisation campaigns, if in one country: link previews on social "
            "media then give your statements' language with it (Spanish of Peru)."
        ),
    )

    class Meta:
        model = Organisation
        fields = ("name", "website", "logo", "accent_colour", "country")
        widgets = {
            "logo": forms.ClearableFileInput(
                attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}
            )
        }

    def clean_accent_colour(self) -> str:
        typed: str = self.cleaned_data.get("accent_colour", "")
        if not typed.strip():
            return ""
        colour = colours.normalise(typed)
        if colour is None:
            raise ValidationError(
                _("Write the colour as # and six hex digits (0-9, a-f), such as #1a5fb4.")
            )
        ratio = colours.contrast_ratio(colour, colours.WHITE)
        if ratio < colours.MINIMUM_CONTRAST:
            # Rounded down, so a colour just short of the minimum never reads as 4.50.
            shown = number_format(int(ratio * 100) / 100, decimal_pos=2)
            raise ValidationError(
                _(
                    "White text on this colour has a contrast ratio of %(ratio)s:1; at least "
                    "4.5:1 is needed for everyone to read it. Pick a darker colour."
                )
                % {"ratio": shown}
            )
        return colour

    def clean_logo(self) -> Any:
        logo = self.cleaned_data.get("logo")
        if not logo or logo == self.initial.get("logo"):
            return logo
        if logo.size > LOGO_MAX_BYTES:
            raise ValidationError(_("The logo must be 1 MB or smaller."))
        image = getattr(logo, "image", None)
        if image is None or image.format not in LOGO_FORMATS:
            raise ValidationError(_("The logo must be a PNG, JPEG, GIF or WebP image."))
        if image.width * image.height > LOGO_MAX_PIXELS:
            raise ValidationError(_("The logo is too large: 4096 by 4096 pixels at most."))
        # Pixels only, encoded afresh (no EXIF: a phone's photo of a banner says where it was
        # taken), at the largest size any page shows it; under a name of our own, whose
        # extension matches what the file is, since the logo is served by it.
        logo.seek(0)
        try:
            content, ext = pictures.reencode(logo.read(), LOGO_MAX_WIDTH)
        except pictures.PictureError:
            raise ValidationError(_("The logo must be a PNG, JPEG, GIF or WebP image.")) from None
        return ContentFile(content, name=f"{secrets.token_hex(8)}.{ext}")


class NewOrganisationForm(forms.Form):
    name = NameField(label=gettext_lazy("Name"), max_length=200)
    website = forms.URLField(label=gettext_lazy("Website"), required=False, assume_scheme="https")


class InviteForm(forms.Form):
    # It becomes the account's user name if they make one, which holds 150 characters.
    email = forms.EmailField(label=gettext_lazy("Email address"), max_length=150)
    role = forms.ChoiceField(
        label=gettext_lazy("Role"), choices=Membership.Role.choices, initial=Membership.Role.EDITOR
    )


class RoleForm(forms.Form):
    membership = forms.IntegerField(widget=forms.HiddenInput)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Membership.Role.choices)


class PickForm(forms.Form):
    """Which member, or which invitation, a button is about."""

    pk = forms.IntegerField(widget=forms.HiddenInput)


class SignUpForm(forms.Form):
    password1 = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=gettext_lazy("The same password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, email: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            user = get_user_model()(username=self.email, email=self.email)
            try:
                validate_password(first, user)
            except ValidationError as error:
                self.add_error("password1", error)
        return data


def _page(organisation: Organisation, membership: Membership) -> str:
    return reverse("dashboard:organisation", args=(organisation.slug,))


def _fail(request: HttpRequest, error: actions.MembershipError) -> None:
    messages.error(request, str(MESSAGES[type(error)]))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def organisation_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The organisation, its members and its pending invitations; the owners' edit form posts
    here."""
    role = OWNER if request.method == "POST" else VIEWER
    organisation, membership = organisation_for(request, slug, role)
    form = OrganisationForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        instance=organisation,
    )
    if request.method == "POST" and form.is_valid():
        actions.update_organisation(form.save(commit=False), request.user, list(form.changed_data))
        messages.success(request, _("Saved."))
        return redirect(_page(organisation, membership))
    if request.method == "POST":
        # The invalid form shows its errors; keep what is saved on the page itself.
        organisation.refresh_from_db()
    return _organisation_page(request, organisation, membership, form=form)


def _organisation_page(
    request: HttpRequest,
    organisation: Organisation,
    membership: Membership,
    *,
    form: OrganisationForm | None = None,
    invite_form: InviteForm | None = None,
) -> HttpResponse:
    is_owner = membership.can(OWNER)
    members = (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("user__username")
    )
    invitations = (
        Invitation.objects.filter(
            organisation=organisation, accepted_at=None, revoked_at=None
        ).order_by("-created_at")
        if is_owner
        else Invitation.objects.none()
    )
    return render(
        request,
        "dashboard/organisation.html",
        {
            "organisation": organisation,
            "membership": membership,
            "is_owner": is_owner,
            "members": members,
            "invitations": invitations,
            "form": form if form is not None else OrganisationForm(instance=organisation),
            "invite_form": invite_form if invite_form is not None else InviteForm(),
            "roles": Membership.Role.choices,
        },
    )


@login_required
@require_POST
def invite(request: HttpRequest, slug: str) -> HttpResponse:
    """Send an invitation; if it cannot go, the organisation's page with the form as it was
    filled in and why."""
    organisation, membership = organisation_for(request, slug, OWNER)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            actions.invite(
                organisation,
                request.user,
                form.cleaned_data["email"],
                form.cleaned_data["role"],
                get_language(),
            )
        except actions.TooManyInvitations:
            limit = settings.INVITATIONS_PER_ORGANISATION_PER_DAY
            form.add_error(
                None,
                ngettext(
                    "%(name)s has sent %(limit)d invitation in the last 24 hours, as many as "
                    "this site allows. Nothing was sent: try again later.",
                    "%(name)s has sent %(limit)d invitations in the last 24 hours, as many as "
                    "this site allows. Nothing was sent: try again later.",
                    limit,
                )
                % {"name": organisation.name, "limit": limit},
            )
        except actions.MembershipError as error:
            form.add_error("email", str(MESSAGES[type(error)]))
        else:
            messages.success(request, _("The invitation is on its way."))
            return redirect(_page(organisation, membership))
    return _organisation_page(request, organisation, membership, invite_form=form)


@login_required
@require_POST
def revoke(request: HttpRequest, slug: str) -> HttpResponse:
    organisation, membership = organisation_for(request, slug, OWNER)
    form = PickForm(request.POST)
    invitation = (
        Invitation.objects.filter(
            organisation=organisation,
            pk=form.cleaned_data["pk"],
            accepted_at=None,
            revoked_at=None,
        ).first()
        if form.is_valid()
        else None
    )
    if invitation is not None:
        actions.revoke_invitation(invitation, request.user)
        messages.success(request, _("The invitation is revoked: its link no longer works."))
    return redirect(_page(organisation, membership))


def _member(organisation: Organisation, pk: object) -> Membership | None:
    # Only among this organisation's members, whatever the form says.
    if not isinstance(pk, int):
        return None
    return Membership.objects.filter(organisation=organisation, pk=pk).first()


@login_required
@require_POST
def change_role(request: HttpRequest, slug: str) -> HttpResponse:
    organisation, membership = organisation_for(request, slug, OWNER)
    form = RoleForm(request.POST)
    target = _member(organisation, form.cleaned_data["membership"]) if form.is_valid() else None
    if target is not None:
        try:
            actions.change_role(target, form.cleaned_data["role"], request.user)
        except actions.MembershipError as error:
            _fail(request, error)
        else:
            messages.success(request, _("The role is changed."))
    return redirect(_page(organisation, membership))


@login_required
@require_POST
def remove_member(request: HttpRequest, slug: str) -> HttpResponse:
    organisation, membership = organisation_for(request, slug, OWNER)
    form = PickForm(request.POST)
    target = _member(organisation, form.cleaned_data["pk"]) if form.is_valid() else None
    if target is not None:
        try:
            actions.remove_member(target, request.user)
        except actions.MembershipError as error:
            _fail(request, error)
        else:
            messages.success(request, _("The member is removed."))
            if target.pk is None and target.user_id == request.user.pk:
                return redirect("dashboard:home")
    return redirect(_page(organisation, membership))


@login_required
@require_POST
def leave(request: HttpRequest, slug: str) -> HttpResponse:
    organisation, membership = organisation_for(request, slug, VIEWER)
    try:
        actions.leave(membership)
    except actions.MembershipError as error:
        _fail(request, error)
        return redirect(_page(organisation, membership))
    messages.success(request, _("You have left %(name)s.") % {"name": organisation.name})
    return redirect("dashboard:home")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def new_organisation(request: HttpRequest) -> HttpResponse:
    """Anyone logged in may start an organisation; they become its owner."""
    form = NewOrganisationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        organisation = actions.create_organisation(
            request.user, form.cleaned_data["name"], form.cleaned_data["website"]
        )
        return redirect("dashboard:organisation", organisation.slug)
    return render(request, "dashboard/new_organisation.html", {"form": form})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """What an invitation's link opens. Someone logged in joins with one button; someone
    without an account makes one here (their address is its name) and joins. A link that is
    unknown, used, revoked or expired gets the same neutral page."""
    found = actions.invitation_for_token(token)
    if found is None:
        return render(request, "dashboard/invitation_invalid.html", status=404)
    user = request.user if request.user.is_authenticated else None
    if request.method == "POST" and user is not None:
        return _joined(request, found, actions.accept_invitation(found, user))
    users = get_user_model().objects
    taken = user is None and users.filter(username__iexact=found.email).exists()
    form = None if user is not None else SignUpForm(found.email, request.POST or None)
    if request.method == "POST" and form is not None and not taken and form.is_valid():
        with transaction.atomic():
            user = users.create_user(found.email, found.email, form.cleaned_data["password1"])
            joined = actions.accept_invitation(found, user)
            if joined is None:
                transaction.set_rollback(True)
        if joined is not None:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return _joined(request, found, joined)
    return render(
        request,
        "dashboard/invitation.html",
        {
            "invitation": found,
            "form": form,
            "taken": taken,
            "login_url": reverse("login") + "?" + urlencode({"next": request.path}),
        },
    )


def _joined(request: HttpRequest, found: Invitation, joined: Membership | None) -> HttpResponse:
    if joined is None:
        return render(request, "dashboard/invitation_invalid.html", status=404)
    messages.success(request, _("Welcome to %(name)s.") % {"name": found.organisation.name})
    return redirect("dashboard:organisation", found.organisation.slug)
