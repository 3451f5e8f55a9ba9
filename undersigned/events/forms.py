"""The public RSVP form. The organisers' forms are in undersigned.dashboard."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _

from undersigned.events.models import Event
from undersigned.lib.emails import canonical_email
from undersigned.lib.forms import NameField
from undersigned.statements.models import EMAIL_MAX_LENGTH

# Bump when the wording changes; each attendee records the version agreed to.
RSVP_CONSENT_VERSION = "rsvp-2026-12-07"
RSVP_CONSENT_TEXT = _(
    "I agree that %(organisation)s keeps my name and email address to keep my place at this "
    "event and email me about it (a confirmation, reminders, changes), and nothing else. They "
    "are never shown publicly, and are deleted after the event. I can cancel from the link in "
    "any of these emails."
)
RSVP_CONSENT_WORDINGS = {RSVP_CONSENT_VERSION: RSVP_CONSENT_TEXT}


class RsvpForm(forms.Form):
    name = NameField(
        label=_("Your name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We email you a link to confirm. Never shown to anyone."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    guests = forms.TypedChoiceField(
        label=_("People coming with you"),
        coerce=int,
        choices=(),
        required=False,
        empty_value=0,  # type: ignore[arg-type]
    )
    consent = forms.BooleanField(
        required=True,
        error_messages={"required": _("Please agree, or we cannot keep your place.")},
    )

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "rsvp-%s")
        super().__init__(*args, **kwargs)
        guests = cast(forms.TypedChoiceField, self.fields["guests"])
        if event.max_guests:
            guests.choices = [(n, str(n)) for n in range(event.max_guests + 1)]
        else:
            del self.fields["guests"]
        self.fields["consent"].label = RSVP_CONSENT_TEXT % {"organisation": event.organisation.name}

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"])
        # As the sign form: an internationalised domain grows when written as IDNA.
        if len(canonical_email(email)) > EMAIL_MAX_LENGTH:
            raise forms.ValidationError(EmailValidator.message, code="invalid")
        return email
