from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from undersigned.lib.emails import canonical_email
from undersigned.lib.forms import CleanLineField, NameField
from undersigned.lib.text import publishable
from undersigned.statements.models import EMAIL_MAX_LENGTH, Signature, Statement

# Bump when either consent wording below changes, and add the new wording to CONSENT_WORDINGS;
# each signature records the version it agreed to, for its signature and its updates opt-in.
CONSENT_VERSION = "2026-11-23"
CONSENT_TEXT = _(
    "I agree that %(organisation)s keeps my name, email address and the details above to count "
    "my signature, show it as I chose, and email me about it. My email address is never shown "
    "publicly. I can withdraw my signature at any time from the link in any email."
)
UPDATES_TEXT = _("Email me updates from %(organisation)s")
# The wording printed on paper sheets, agreed to by signing one (dashboard paper entry).
PAPER_CONSENT_VERSION = "paper-2026-11-23"
PAPER_CONSENT_TEXT = _(
    "I agree that %(organisation)s keeps my name and the details I wrote to count my "
    "signature and show it as I chose. If I give an email address, it is used only for what I "
    "ticked and is never shown publicly."
)
# The "Follow for updates" form of someone who does not sign (undersigned.updates): bump when
# the wording changes, and add the new wording to CONSENT_WORDINGS; each follower records the
# version it agreed to.
FOLLOW_CONSENT_VERSION = "follow-2026-11-23"
FOLLOW_TEXT = _(
    "I agree that %(organisation)s keeps my email address to email me its updates about this "
    "statement, and nothing else. My address is never shown or shared. I can stop the updates "
    "at any time from the link in any of them."
)
# What each version asked to agree to, by purpose: keep old versions, records refer to them.
CONSENT_WORDINGS = {
    CONSENT_VERSION: {"signature": CONSENT_TEXT, "updates": UPDATES_TEXT, "partner": UPDATES_TEXT},
    PAPER_CONSENT_VERSION: {"signature": PAPER_CONSENT_TEXT, "updates": UPDATES_TEXT},
    FOLLOW_CONSENT_VERSION: {"follow": FOLLOW_TEXT},
}


@functools.lru_cache(maxsize=32)
def _country_choices(language: str | None) -> tuple[tuple[str, str], ...]:
    return (("", "—"), *((code, str(name)) for code, name in countries))


_COUNTRY_CODES = frozenset(code for code, _name in countries)


class CountryField(forms.ChoiceField):
    """A country select whose ~250 choices are shared, not deep-copied into every form."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=lambda: _country_choices(get_language()), **kwargs)

    def valid_value(self, value: str) -> bool:
        return value in _COUNTRY_CODES


def _input(autocomplete: str) -> forms.TextInput:
    return forms.TextInput(attrs={"autocomplete": autocomplete})


class SignForm(forms.Form):
    name = NameField(label=_("Your name"), max_length=100, widget=_input("name"))
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    country = CountryField(
        label=_("Country"),
        required=False,
        widget=forms.Select(attrs={"autocomplete": "country"}),
    )
    postcode = CleanLineField(
        label=_("Postcode"), max_length=16, required=False, widget=_input("postal-code")
    )
    kind = forms.ChoiceField(
        label=_("I sign"),
        choices=Signature.Kind.choices,
        initial=Signature.Kind.INDIVIDUAL,
        widget=forms.RadioSelect,
    )
    organisation_name = CleanLineField(
        label=_("Organisation name"),
        max_length=200,
        required=False,
        widget=_input("organization"),
    )
    organisation_role = CleanLineField(
        label=_("Your role or title (optional)"),
        max_length=100,
        required=False,
        widget=_input("organization-title"),
    )
    display = forms.ChoiceField(
        label=_("Show my name publicly as"),
        choices=Signature.Display.choices,
        initial=Signature.Display.HIDDEN,
        widget=forms.RadioSelect,
    )
    wants_updates = forms.BooleanField(required=False)
    # One box per partner organisation of the statement (Partner): consent is per organisation,
    # and nothing is ticked for the signer.
    partners = forms.TypedMultipleChoiceField(
        label=_("Updates from the partner organisations of this statement"),
        choices=(),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    consent = forms.BooleanField(
        required=True,
        error_messages={"required": _("Please agree, or your signature cannot be counted.")},
    )

    def __init__(self, *args: Any, statement: Statement, **kwargs: Any) -> None:
        # Django deep-copies every field for every form; the sign form is made on each of
        # thousands of requests a second in a surge, so its fields are prepared once per
        # statement and language, and shared: nothing changes a field after this.
        self.base_fields = {}  # type: ignore[misc]  # an empty dict to deep-copy
        # The templates write each label out without Django's suffix, so none is translated.
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.statement = statement
        self.fields = dict(_fields_of(statement))

    def _clean_fields(self) -> None:
        """Django's own cleaning of each field and its clean_<field>, without making a bound
        field for each first: those are for showing the form, which a valid one, as nearly
        every form of a surge is, never is. None of the sign form's fields is disabled or a
        file, the cases where Django reads a field's value otherwise."""
        for name, field in self.fields.items():
            value = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            try:
                self.cleaned_data[name] = field.clean(value)
                clean = getattr(self, f"clean_{name}", None)
                if clean is not None:
                    self.cleaned_data[name] = clean()
            except ValidationError as error:
                self.add_error(name, error)

    def clean_organisation_name(self) -> str:
        return self._organisation_detail("organisation_name")

    def clean_organisation_role(self) -> str:
        return self._organisation_detail("organisation_role")

    def _organisation_detail(self, field: str) -> str:
        """The rule of every name (lib.forms.NameField), only for a signature of an
        organisation: for an individual these fields are hidden and dropped (see clean), and
        an error there is one they cannot see."""
        value = str(self.cleaned_data[field])
        if self.cleaned_data.get("kind") != Signature.Kind.ORGANISATION:
            return value
        return publishable(value)

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"])
        # An internationalised domain grows when written as IDNA; the stored form must fit.
        if len(canonical_email(email)) > EMAIL_MAX_LENGTH:
            raise ValidationError(EmailValidator.message, code="invalid")
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        organisation = data.get("kind") == Signature.Kind.ORGANISATION
        if organisation and not data.get("organisation_name"):
            self.add_error(
                "organisation_name", _("Enter the name of the organisation you sign for.")
            )
        if not organisation:
            data["organisation_name"] = ""
            data["organisation_role"] = ""
        return data


class PaperForm(SignForm):
    """A paper signature as the organiser types it in (dashboard paper entry): the sign form's
    fields and cleaning, with the email optional and the consent given on the sheet. The
    printed sheet (undersigned.paper) has one column per field, in this order."""

    email = forms.EmailField(
        label=_("Email address (optional, for updates)"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    consent = None  # type: ignore[assignment]  # agreed on paper (PAPER_CONSENT_TEXT)
    # Partners' updates are offered online only: the sheet has no box for them.
    partners = None  # type: ignore[assignment]

    def __init__(self, *args: Any, statement: Statement, **kwargs: Any) -> None:
        # Not SignForm's shared fields: this form is rare, and changes its own.
        forms.Form.__init__(self, *args, **kwargs)
        self.statement = statement
        self.fields["name"].widget.attrs.update(autofocus=True, autocomplete="off")
        self.fields["name"].label = _("Name")
        self.fields["wants_updates"].label = _("Wants updates from %(organisation)s by email") % {
            "organisation": statement.organisation.name
        }
        self.fields["display"].label = _("List the name as")
        self.fields["kind"].label = _("Signed")
        self.fields["organisation_role"].label = _("Role or title (optional)")
        if not statement.ask_country:
            del self.fields["country"]
        if not statement.ask_postcode:
            del self.fields["postcode"]
        if not statement.allow_organisations:
            for name in ("kind", "organisation_name", "organisation_role"):
                del self.fields[name]

    def clean_email(self) -> str:
        if not self.cleaned_data.get("email"):
            return ""
        return super().clean_email()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("wants_updates") and not data.get("email"):
            self.add_error("email", _("Updates need an email address."))
        if data.get("email") and Signature.objects.filter(
            statement=self.statement, email_canonical=canonical_email(data["email"])
        ):
            self.add_error("email", _("This address has signed already."))
        return data


class DisplayForm(forms.Form):
    """How a signer's name appears publicly, changed from their signature page."""

    display = forms.ChoiceField(
        label=_("Show my name publicly as"),
        choices=Signature.Display.choices,
        widget=forms.RadioSelect,
    )


@dataclass(frozen=True)
class _FieldsKey:
    """What a statement's sign form depends on, in one language."""

    organisation: str
    ask_country: bool
    require_country: bool
    ask_postcode: bool
    allow_organisations: bool
    # (partner id, organisation name) of each partner the form offers
    partners: tuple[tuple[int, str], ...]
    language: str | None

    @classmethod
    def of(cls, statement: Statement, language: str | None) -> _FieldsKey:
        return cls(
            organisation=statement.organisation.name,
            ask_country=statement.ask_country,
            require_country=statement.require_country,
            ask_postcode=statement.ask_postcode,
            allow_organisations=statement.allow_organisations,
            partners=tuple(
                (partner.pk, partner.organisation.name)
                for partner in statement.partners.all()
                if partner.offered
            ),
            language=language,
        )


# The attribute of a Statement object that holds its form's fields per language.
_FIELDS = "_sign_form_fields"


def _fields_of(statement: Statement) -> dict[str, forms.Field]:
    """The statement's form fields in the active language, kept on the statement object: the
    shared one (queries.statement_by_slug) is read again every few seconds, so a change to the
    statement or its partners shows as soon as it would without this. Working out the key (the
    partners' related manager above all) would otherwise cost every sign POST."""
    language = get_language()
    known: dict[str | None, dict[str, forms.Field]] = statement.__dict__.setdefault(_FIELDS, {})
    fields = known.get(language)
    if fields is None:
        fields = known[language] = _prepared_fields(_FieldsKey.of(statement, language))
    return fields


@functools.lru_cache(maxsize=256)
def _prepared_fields(key: _FieldsKey) -> dict[str, forms.Field]:
    fields = copy.deepcopy(SignForm.base_fields)
    fields["wants_updates"].label = UPDATES_TEXT % {"organisation": key.organisation}
    fields["consent"].label = CONSENT_TEXT % {"organisation": key.organisation}
    if not key.ask_country:
        del fields["country"]
    elif key.require_country:
        fields["country"].required = True
    if not key.ask_postcode:
        del fields["postcode"]
    if not key.allow_organisations:
        for name in ("kind", "organisation_name", "organisation_role"):
            del fields[name]
    partners = fields["partners"]
    if key.partners and isinstance(partners, forms.ChoiceField):
        partners.choices = [
            (pk, UPDATES_TEXT % {"organisation": name}) for pk, name in key.partners
        ]
    else:
        del fields["partners"]
    return fields
