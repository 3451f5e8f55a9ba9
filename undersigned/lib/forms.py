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

from django import forms
from django.forms.renderers import DjangoTemplates
from django.forms.widgets import Widget

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
