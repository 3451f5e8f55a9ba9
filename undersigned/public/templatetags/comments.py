"""Comments on a statement's page and an update's: the section with the latest threads and the
form (`{% comments_section statement version %}`, `... update=update %}`), and the filters
that show one comment. Nothing here reads or writes a commenter's address."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.safestring import SafeString

from undersigned.comments import queries
from undersigned.comments import text as comment_text
from undersigned.comments.forms import CommentForm
from undersigned.comments.models import policy_for
from undersigned.lib import formtoken
from undersigned.lib.languages import language_name
from undersigned.statements.models import Statement, StatementVersion
from undersigned.updates.models import Update

register = template.Library()


def shows_comments(statement: Statement) -> bool:
    """Whether the statement's pages show comments: not a draft's, nor where they are off.
    From the cached statement's policy: no query."""
    return statement.status != Statement.Status.DRAFT and policy_for(statement).is_shown


def takes_comments(statement: Statement) -> bool:
    """Whether the statement takes new comments (and replies) now."""
    return statement.status != Statement.Status.DRAFT and policy_for(statement).is_open


def list_url(statement: Statement, language: str, update: Update | None = None) -> str:
    """The comments page of the statement, or of its update: where its form posts too."""
    if update is not None:
        return reverse("update_comments", args=(statement.slug, language, update.pk))
    return reverse("statement_comments", args=(statement.slug, language))


def form_context(statement: Statement, form_token: str | None = None) -> dict[str, Any]:
    """What comments/_form.html needs besides the form and where it posts: the page's token
    (the statement's own, which its sign and follow forms carry too) and the proof of work."""
    return {
        "form_token": form_token or formtoken.issue(statement.pk),
        "proof_bits": settings.SIGN_PROOF_BITS,
    }


@register.inclusion_tag("comments/_section.html", takes_context=True)
def comments_section(
    context: template.Context,
    statement: Statement,
    version: StatementVersion,
    update: Update | None = None,
    with_form: bool = True,
) -> dict[str, Any]:
    """The latest threads under the statement (or the update) and the form, or nothing where
    comments are off. Without the form (`with_form=False`: the statement's page, whose form
    is the sign form, with the same name and email fields a signer could mistake for it), a
    link to the comments page, which has it."""
    if not shows_comments(statement):
        return {"shown": False}
    found = queries.shown(statement, update)
    section: dict[str, Any] = {
        "shown": True,
        "statement": statement,
        "version": version,
        "update": update,
        "page": found,
        "takes": takes_comments(statement),
        "list_url": list_url(statement, version.language, update),
        "more": found.older is not None,
    }
    if section["takes"] and not with_form:
        section["write_url"] = section["list_url"] + "#comment-form-heading"
    elif section["takes"]:
        section["form"] = CommentForm()
        section.update(form_context(statement, context.get("form_token")))
        # The sign form's section loads the proof-of-work script already, where it is shown;
        # loaded twice, it would work each form twice.
        section["load_script"] = not context.get("proof_bits")
    return section


@register.filter
def comment_html(text: str) -> SafeString:
    """A comment's words as HTML: escaped, paragraphs, links (comments.text.render)."""
    return comment_text.render(text)


@register.filter
def initials(name: str) -> str:
    return comment_text.initials(name)


@register.filter
def badge_class(name: str) -> str:
    """The class of the name's badge colour (comments.css): the page's policy allows no
    inline style."""
    return "badge-" + comment_text.badge_colour(name).lstrip("#")


@register.filter
def language_label(tag: str) -> str:
    """'español (es)': which language a comment written on another version is in."""
    return language_name(tag)


@register.filter
def comments_shown(statement: Statement) -> bool:
    """For a page's head: whether it links the comments' stylesheet."""
    return shows_comments(statement)
