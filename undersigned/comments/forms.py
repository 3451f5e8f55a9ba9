"""The public comment forms: writing a comment (or a reply), changing one's words from the
emailed link, reporting a published comment. The consent's wording is a template,
comments/_consent.html, of version actions.CONSENT_VERSION."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _

from undersigned.comments.models import Report
from undersigned.comments.text import MAX_CHARS
from undersigned.lib.emails import canonical_email
from undersigned.lib.forms import NameField
from undersigned.statements.models import EMAIL_MAX_LENGTH

# Characters that reorder or hide the text around them (bidirectional embeddings, overrides
# and isolates, U+FEFF), and control characters other than the line break: a comment that held
# them could show words its moderators never saw as such. Zero-width joiners stay: some
# scripts and emoji need them.
_DROPPED = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")


class CommentTextField(forms.CharField):
    """A comment's words, NFC-normalised, without the characters above; tabs as spaces, line
    breaks kept, and counted as one character each as the browser's own limit counts them
    (browsers send CRLF)."""

    def to_python(self, value: Any) -> str:
        text = str(super().to_python(value) or "")
        if "\x00" in text:
            raise ValidationError(_("Null characters are not allowed."), code="null")
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
        return unicodedata.normalize("NFC", _DROPPED.sub("", text)).strip()


def _text_field() -> CommentTextField:
    return CommentTextField(
        label=_("Your comment"),
        max_length=MAX_CHARS,
        help_text=_(
            "Plain text: a blank line starts a new paragraph, and web addresses written in "
            "full become links."
        ),
        error_messages={"required": _("Write something, or there is nothing to send.")},
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class CommentForm(forms.Form):
    """A comment or a reply, as anyone writes it: kept unconfirmed until the link emailed to
    the address is followed (actions.submit)."""

    name = NameField(
        label=_("Your name (shown with your comment)"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("Never shown. We send you a link to confirm."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    organisation_name = NameField(
        label=_("Organisation (optional)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    text = _text_field()
    wants_signatory = forms.BooleanField(
        label=_("If I signed this statement from this address, show that I did"),
        required=False,
    )
    notify_replies = forms.BooleanField(label=_("Email me when someone replies"), required=False)
    # Its label is comments/_consent.html.
    consent = forms.BooleanField(
        required=True,
        error_messages={"required": _("Please agree, or your comment cannot be kept.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Apart from the sign and follow forms' fields on the same page.
        kwargs.setdefault("auto_id", "comment-%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"])
        # As the sign form: an internationalised domain grows when written as IDNA.
        if len(canonical_email(email)) > EMAIL_MAX_LENGTH:
            raise ValidationError(EmailValidator.message, code="invalid")
        return email


class EditForm(forms.Form):
    """The writer's new words, while the edit window lasts (actions.edit)."""

    text = _text_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "edit-%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ReportForm(forms.Form):
    """Why a reader reports a published comment (actions.report)."""

    reason = forms.ChoiceField(
        label=_("What is wrong with this comment?"),
        choices=Report.Reason.choices,
        widget=forms.RadioSelect,
    )
    detail = forms.CharField(
        label=_("Anything the moderators should know (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "report-%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_detail(self) -> str:
        return str(self.cleaned_data.get("detail") or "").strip()
