from __future__ import annotations

import re
from html import unescape

from django import template
from django.conf import settings
from django.utils.formats import get_format, number_format
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from undersigned.lib import names
from undersigned.lib.html import to_text
from undersigned.lib.languages import own_name
from undersigned.lib.markdown import render, render_for_email

register = template.Library()

_FIGURE = re.compile(r"<figure>.*?</figure>", re.DOTALL)


@register.filter
def statement_html(text: str) -> SafeString:
    """Organiser Markdown as the safe HTML subset (lib.markdown), whatever path wrote it."""
    return mark_safe(render(text))  # noqa: S308 - the output of the sanitiser


@register.filter
def own_language_name(tag: str) -> str:
    """The language of a version in its own words ("Español", "Runa Simi"), else its tag."""
    name = own_name(tag)
    return name[:1].upper() + name[1:] if name else tag


@register.filter
def excerpt(text: str, words: int = 40) -> str:
    """The opening words of organiser Markdown as plain text (no picture, no markup): an
    update's teaser on the statement's page, which stays light."""
    shown = _FIGURE.sub(" ", render(text))  # a picture's caption is not the text's opening
    return Truncator(" ".join(unescape(strip_tags(shown)).split())).words(words)


@register.filter
def email_html(text: str) -> SafeString:
    """Organiser Markdown as an email's HTML (lib.markdown.render_for_email)."""
    return mark_safe(render_for_email(text, settings.SITE_URL))  # noqa: S308 - sanitised


@register.filter
def as_text(text: str) -> str:
    """Organiser Markdown as plain text, for an email's text part."""
    return to_text(render(text))


@register.filter
def grouped(number: int) -> str:
    """A count with its digits grouped as the page's language writes them: 4,812 in English,
    4.812 in Spanish. Only for display: attributes and data keep the plain number."""
    return number_format(number, force_grouping=True)


@register.simple_tag
def name_rule_words(which: str) -> str:
    """The word lists of lib.names, for site.js to show a name as the server will."""
    words = names.SECOND_GIVEN_NAMES if which == "given" else names.PARTICLES
    return " ".join(sorted(words))


@register.simple_tag
def thousands() -> str:
    """The separator `grouped` puts between groups of digits in the page's language, for the
    script that updates a count to write it the same way."""
    return str(get_format("THOUSAND_SEPARATOR"))
