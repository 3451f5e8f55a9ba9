from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _

from undersigned.lib.emails import canonical_email
from undersigned.lib.languages import language_name
from undersigned.statements.forms import FOLLOW_TEXT
from undersigned.statements.models import EMAIL_MAX_LENGTH, Statement


class FollowForm(forms.Form):
    """Follow a statement's updates without signing: an address, the language of the emails,
    consent. It shares the statement page with the sign form, hence its own ids."""

    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    language = forms.ChoiceField(label=_("Language of the updates"), choices=())
    consent = forms.BooleanField(
        required=True,
        error_messages={"required": _("Please agree, or we cannot email you the updates.")},
    )

    def __init__(self, *args: Any, statement: Statement, language: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "follow-%s")
        kwargs.setdefault("initial", {"language": language})
        super().__init__(*args, **kwargs)
        versions = [version.language for version in statement.versions.all()]
        field = cast(forms.ChoiceField, self.fields["language"])
        field.choices = [(tag, language_name(tag)) for tag in versions]
        if len(versions) < 2:
            field.widget = forms.HiddenInput()
        self.fields["consent"].label = FOLLOW_TEXT % {"organisation": statement.organisation.name}

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"])
        # As the sign form: an internationalised domain grows when written as IDNA.
        if len(canonical_email(email)) > EMAIL_MAX_LENGTH:
            raise forms.ValidationError(EmailValidator.message, code="invalid")
        return email
