from __future__ import annotations

from django import template
from django_countries import countries

register = template.Library()


@register.filter
def country_name(code: str) -> str:
    """The country's name in the active interface language."""
    return str(countries.name(code)) if code else ""
