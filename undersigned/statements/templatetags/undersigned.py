from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from undersigned.lib.html import sanitise, to_text

register = template.Library()


@register.filter
def statement_html(text: str) -> SafeString:
    """Organiser HTML, sanitised again on render: text stored before a rule changed, or written
    to the database by another path, is still held to the safe subset.
    """
    return mark_safe(sanitise(text))  # noqa: S308 - the output of the sanitiser


@register.filter
def as_text(text: str) -> str:
    """Organiser HTML as plain text, for an email's text part."""
    return to_text(text)
