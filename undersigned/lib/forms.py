"""Every form field tied to its error messages for screen readers, whichever template renders
it (FORM_RENDERER in settings.py).

Django 5.2 marks a field that has errors with aria-invalid and, when the field is a single
input, points its aria-describedby at its help text (`<id>_helptext`) and at its list of errors,
which the error list renders as `<ul id="<id>_error">`. It leaves a group of radio buttons or
checkboxes without the pointer, expecting a fieldset around the group to carry it; the site's
templates lay such groups out themselves (or as_p does, without a fieldset), so here every
input of a group carries it too. A widget's own aria-describedby is kept, with these after it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import DjangoTemplates
from django.forms.widgets import Widget
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from undersigned.lib.languages import named_languages
from undersigned.lib.text import clean_line, publishable

# A widget's attributes, as django-stubs type them.
Attrs = dict[str, str | bool]


class BoundField(forms.BoundField):
    @property
    def aria_describedby(self) -> str:
        ids = []
        own = self.field.widget.attrs.get("aria-describedby")
        if own:
            ids.append(str(own))
        if self.auto_id and not self.is_hidden:
            if self.help_text:
                ids.append(f"{self.auto_id}_helptext")
            if self.errors:
                ids.append(f"{self.auto_id}_error")
        return " ".join(ids)

    def build_widget_attrs(self, attrs: Attrs, widget: Widget | None = None) -> Attrs:
        attrs = super().build_widget_attrs(attrs, widget)
        # An aria-describedby given by the template wins, as in Django.
        if not attrs.get("aria-describedby") and (described := self.aria_describedby):
            attrs["aria-describedby"] = described
        return attrs


class FormRenderer(DjangoTemplates):
    bound_field_class = BoundField


class CleanLineField(forms.CharField):
    """One line of text, normalised (see lib.text.clean_line) before length and required
    checks."""

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        if "\x00" in text:
            # Checked before cleaning, which would otherwise fold the NUL away silently.
            raise ValidationError(_("Null characters are not allowed."), code="null")
        return clean_line(text)


class NameField(CleanLineField):
    """A name a person types for others to see: a signer's, an organisation's (its own, or a
    new partner's), a role, whom a statement addresses. Shown on public pages, put in emails
    and exported to spreadsheets, so one rule for all: one clean line (CleanLineField), and
    refused with a message saying why if it holds a web or email address, a MIME encoded word,
    or starts like a spreadsheet formula (lib.text.publishable). Every such field of every
    form is one of these (a test walks the forms)."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value:
            publishable(value)


class LanguageTagInput(forms.TextInput):
    """A language tag, typed, or picked by its language's name from the browser's own
    suggestions (a datalist: no script needed); any other tag may be typed."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        list_id = f"{(attrs or {}).get('id') or name}-names"
        attrs = {**(attrs or {}), "list": list_id, "autocomplete": "off"}
        options = format_html_join("", '<option value="{}">{}</option>', named_languages())
        return format_html(
            '{}<datalist id="{}">{}</datalist>',
            super().render(name, value, attrs, renderer),
            list_id,
            options,
        )
