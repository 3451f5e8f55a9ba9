from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe
from django_countries import countries

from undersigned.lib.html import sanitise

register = template.Library()


@register.filter
def country_name(code: str) -> str:
    """The country's name in the active interface language."""
    return str(countries.name(code)) if code else ""


@register.filter
def statement_html(text: str) -> SafeString:
    """Organiser HTML, sanitised again on render: text stored before a rule changed, or written
    to the database by another path, is still held to the safe subset.
    """
    return mark_safe(sanitise(text))  # noqa: S308 - the output of the sanitiser
