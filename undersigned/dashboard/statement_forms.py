"""Forms for statements in the dashboard. Each clean_<field> returns the normalised value; errors
are in the organiser's interface language."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.text import Truncator, slugify
from django.utils.translation import gettext_lazy as _

from undersigned.lib.forms import LanguageTagInput, NameField
from undersigned.lib.languages import normalise_tag
from undersigned.pictures.models import Picture
from undersigned.statements.models import Statement, StatementVersion

_LANGUAGE_HELP = _(
    "Pick the language by its name, or write its tag if it is not in the list (such as es-419)."
)


def _clean_new_slug(value: str) -> str:
    slug = value.strip().lower()
    if Statement.objects.filter(slug=slug).exists():
        raise forms.ValidationError(_("Another statement already has this address."))
    return slug


# A slug made from a title is cut at a word to at most this many characters.
_PROPOSED_LENGTH = 60


def proposed_slug(title: str) -> str:
    """An address for a new statement, from its title: its words in plain letters and digits,
    joined by hyphens, cut at a word, and made unique with -2, -3…; "statement" when the title
    has no such letters (a title in another script)."""
    base = slugify(title)[:_PROPOSED_LENGTH].strip("-")
    if len(slugify(title)) > _PROPOSED_LENGTH and "-" in base:
        base = base.rsplit("-", 1)[0]
    base = base or "statement"
    slug, n = base, 1
    while Statement.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _clean_tag(value: str) -> str:
    tag = normalise_tag(value)
    if tag is None:
        raise forms.ValidationError(
            _("Write a language tag such as en, es, qu or es-419."), code="invalid"
        )
    return tag


class VersionTextForm(forms.ModelForm):  # type: ignore[type-arg]
    """A version's text. Only the title is required: a translation can be saved half done."""

    class Meta:
        model = StatementVersion
        fields: tuple[str, ...] = (
            "title",
            "summary",
            "body",
            "demands",
            "addressed_to",
            "cover_alt",
        )
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "body": forms.Textarea(attrs={"rows": 16, "data-markdown": ""}),
            "demands": forms.Textarea(attrs={"rows": 6}),
        }
        field_classes = {"addressed_to": NameField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("summary", "body", "demands"):
            self.fields[name].required = False
        if self.instance.statement_id is None or self.instance.statement.cover_id is None:
            del self.fields["cover_alt"]  # nothing to describe


class NewStatementForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.SlugField(
        label=_("Address"),
        max_length=80,
        required=False,
        help_text=_(
            "The end of the statement's web address: letters, digits and hyphens. Left empty, "
            "it is made from the title."
        ),
        widget=forms.TextInput(attrs={"data-slug-from": "id_title"}),
    )
    language = forms.CharField(
        label=_("Default language"),
        max_length=35,
        help_text=_LANGUAGE_HELP,
        widget=LanguageTagInput(),
    )
    summary = forms.CharField(
        label=_("Summary"), max_length=500, required=False, widget=forms.Textarea({"rows": 3})
    )
    body = forms.CharField(
        label=_("Body"),
        required=False,
        widget=forms.Textarea({"rows": 12, "data-markdown": ""}),
        help_text=StatementVersion._meta.get_field("body").help_text,
    )
    demands = forms.CharField(
        label=_("Demands"),
        required=False,
        widget=forms.Textarea({"rows": 5}),
        help_text=_("One demand per line."),
    )

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        return _clean_new_slug(slug) if slug else ""

    def clean_language(self) -> str:
        return _clean_tag(self.cleaned_data["language"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("slug") and data.get("title") and "slug" not in self.errors:
            data["slug"] = proposed_slug(data["title"])
        return data


class CopyStatementForm(forms.Form):
    slug = forms.SlugField(
        label=_("Address of the copy"),
        max_length=80,
        help_text=_("The end of the copy's web address: letters, digits and hyphens."),
    )

    def clean_slug(self) -> str:
        return _clean_new_slug(self.cleaned_data["slug"])


class NewVersionForm(VersionTextForm):
    language = forms.CharField(
        label=_("Language"),
        max_length=35,
        help_text=_LANGUAGE_HELP,
        widget=LanguageTagInput(),
    )

    class Meta(VersionTextForm.Meta):
        fields = ("language", "title", "summary", "body", "demands", "addressed_to", "cover_alt")

    def __init__(self, *args: Any, statement: Statement, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.statement = statement

    def clean_language(self) -> str:
        tag = _clean_tag(self.cleaned_data["language"])
        if self.statement.versions.filter(language__iexact=tag).exists():
            raise forms.ValidationError(
                _("This statement already has a version in %(tag)s."), params={"tag": tag}
            )
        return tag


# How a datetime-local input shows and sends a time: local, to the minute.
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


class DeadlineField(forms.DateTimeField):
    """A time in TIME_ZONE, as a datetime-local input sends it. The deadline the form showed,
    sent back as shown, is the statement's own deadline as it is: shown to the minute, and in
    the hour a DST change repeats, local time alone does not say which of the two it is.
    """

    current: dt.datetime | None = None

    def to_python(self, value: Any) -> dt.datetime | None:
        current = self.current
        if current is not None and isinstance(value, str):
            if value.strip() == timezone.localtime(current).strftime(LOCAL_MINUTE):
                return current
        return super().to_python(value)


def _picture_label(picture: Picture) -> str:
    """A picture, in the cover's list: by its description."""
    return Truncator(picture.alt).chars(80)


class SettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Statement
        fields = (
            "goal",
            "deadline",
            "addressed_to",
            "default_language",
            "ask_country",
            "require_country",
            "ask_postcode",
            "allow_organisations",
            "cover",
        )
        # Whom it addresses is shown on the statement's page: a name as every name is.
        field_classes = {"deadline": DeadlineField, "addressed_to": NameField}
        widgets = {
            "deadline": forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MINUTE),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        deadline = self.fields["deadline"]
        if isinstance(deadline, DeadlineField):
            deadline.current = self.instance.deadline
        cover = self.fields["cover"]
        if isinstance(cover, forms.ModelChoiceField):
            # Only the organisation's own pictures, named by their description.
            cover.queryset = Picture.objects.filter(organisation_id=self.instance.organisation_id)
            cover.label_from_instance = _picture_label  # type: ignore[method-assign,assignment]
            cover.empty_label = _("No cover picture")

    def clean_goal(self) -> int | None:
        goal: int | None = self.cleaned_data["goal"]
        if goal is not None and goal > 100_000_000:
            raise forms.ValidationError(_("Set a goal of at most 100,000,000 signatures."))
        return goal

    def clean_deadline(self) -> Any:
        deadline = self.cleaned_data["deadline"]
        unchanged = deadline == self.instance.deadline
        if deadline is not None and not unchanged and deadline <= timezone.now():
            raise forms.ValidationError(_("Choose a deadline in the future."))
        return deadline

    def clean_default_language(self) -> str:
        tag = _clean_tag(self.cleaned_data["default_language"])
        if not self.instance.versions.filter(language=tag).exists():
            raise forms.ValidationError(
                _("Add a version in %(tag)s before making it the default."), params={"tag": tag}
            )
        return tag

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("require_country") and not cleaned.get("ask_country"):
            self.add_error("require_country", _("To require the country, ask for it as well."))
        return cleaned
