"""The dashboard's forms for comments: the moderation pages' filters, the moderators' choices
for one comment or several, the organisation's reply, the organisation's moderation settings
and a statement's comment policy. Nothing here looks for or shows a commenter's address:
moderators find comments by their words, name and organisation only. Views are in
dashboard/views/comment_queue.py and comment_settings.py."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from undersigned.comments.models import Comment, CommentPolicy, Moderation
from undersigned.comments.text import MAX_CHARS
from undersigned.lib.languages import language_name
from undersigned.statements.models import Statement

State = Comment.State
Reason = Comment.Reason

# Why a confirmed comment waits for a moderator: the queue's filter.
QUEUE_REASONS = (
    Reason.PREMODERATED,
    Reason.FIRST,
    Reason.LINK,
    Reason.WORDS,
    Reason.REPORTED,
    Reason.EDITED,
    Reason.HIDDEN,
)
# Why a form was held before its confirmation was sent: the held forms' page.
FORM_REASONS = (Reason.HONEYPOT, Reason.TOO_FAST, Reason.NO_PROOF, Reason.RATE)
# The states the list of all comments shows (not those nobody confirmed).
LISTED = (State.HELD, State.PUBLISHED, State.REJECTED, State.SPAM, State.HIDDEN, State.DELETED)
# Most comments one bulk action takes: a page's worth, and some.
MOST_AT_ONCE = 200
# Most words in the organisation's list, and longest word.
MOST_WORDS = 500
LONGEST_WORD = 100


def with_reason(code: str) -> Q:
    """Comments whose comma-separated reasons include `code`."""
    return (
        Q(reasons=code)
        | Q(reasons__startswith=f"{code},")
        | Q(reasons__endswith=f",{code}")
        | Q(reasons__contains=f",{code},")
    )


def statement_label(statement: Statement) -> str:
    version = statement.version_for(statement.default_language)
    return f"{version.title} ({statement.slug})" if version else statement.slug


class _StatementFilterForm(forms.Form):
    """A filter by one of the organisation's statements, by its slug."""

    statement = forms.ChoiceField(label=_("Statement"), required=False)

    def __init__(self, *args: Any, statements: list[Statement], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["statement"])
        field.choices = [
            ("", _("all statements")),
            *((s.slug, statement_label(s)) for s in statements),
        ]
        self.statements = {s.slug: s for s in statements}

    def apply(self, rows: QuerySet[Comment]) -> QuerySet[Comment]:
        """`rows` narrowed to the filters; none at all when a filter is not one of the
        choices (the page then says what is wrong)."""
        if not self.is_valid():
            return rows.none()
        slug = self.cleaned_data["statement"]
        if slug:
            rows = rows.filter(statement=self.statements[slug])
        return rows

    def query(self) -> str:
        """The valid filters given, as a query string for links and redirects."""
        if not self.is_valid():
            return ""
        query = QueryDict(mutable=True)
        for name, value in self.cleaned_data.items():
            if value:
                query[name] = str(value)
        return query.urlencode()


class QueueFilterForm(_StatementFilterForm):
    reason = forms.ChoiceField(
        label=_("Why it waits"),
        required=False,
        choices=(("", _("any reason")), *((r.value, r.label) for r in QUEUE_REASONS)),
    )

    def apply(self, rows: QuerySet[Comment]) -> QuerySet[Comment]:
        rows = super().apply(rows)
        if self.is_valid() and self.cleaned_data["reason"]:
            rows = rows.filter(with_reason(self.cleaned_data["reason"]))
        return rows


class ListFilterForm(_StatementFilterForm):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=(("", _("all")), *((s.value, s.label) for s in LISTED)),
    )
    q = forms.CharField(
        label=_("Search the words, name or organisation"), max_length=200, required=False
    )

    def apply(self, rows: QuerySet[Comment]) -> QuerySet[Comment]:
        rows = super().apply(rows)
        if not self.is_valid():
            return rows
        data = self.cleaned_data
        if data["state"]:
            rows = rows.filter(state=data["state"])
        text = str(data["q"]).strip()
        if text:
            # Never the address: a moderator could otherwise learn who commented by trying one.
            rows = rows.filter(
                Q(text__icontains=text)
                | Q(name__icontains=text)
                | Q(organisation_name__icontains=text)
            )
        return rows


class IdsField(forms.Field):
    """Comment ids, one or more, as checkboxes or a button's form send them."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Choose at least one comment."),
        "invalid": _("This is not a comment of this page."),
        "too_many": _("Choose at most %(most)d comments at once."),
    }

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        ids = []
        for item in values:
            text = str(item)
            if not text.isdigit() or len(text) > 18:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            ids.append(int(text))
        if len(set(ids)) > MOST_AT_ONCE:
            raise forms.ValidationError(
                self.error_messages["too_many"], code="too_many", params={"most": MOST_AT_ONCE}
            )
        return list(dict.fromkeys(ids))


class ChosenForm(forms.Form):
    """What a moderator does to the comments chosen: `actions` are (value, label) pairs."""

    action = forms.ChoiceField(
        label=_("With the selected comments"),
        error_messages={
            "required": _("Choose what to do with the comments."),
            "invalid_choice": _("Choose one of the actions offered."),
        },
    )
    comment = IdsField()

    def __init__(self, *args: Any, actions: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["action"]).choices = actions

    def errors_said(self) -> list[str]:
        return [str(error) for errors in self.errors.values() for error in errors]


class ReplyForm(forms.Form):
    """The organisation's answer to a comment, published at once under its name."""

    text = forms.CharField(
        label=_("Your reply"),
        max_length=MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Plain text: a blank line starts a paragraph, and web addresses written in full "
            "become links."
        ),
    )
    language = forms.ChoiceField(label=_("Language of the reply"))

    def __init__(self, *args: Any, comment: Comment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        statement = comment.statement
        codes = [version.language for version in statement.versions.all()]
        if comment.language not in codes:
            codes.insert(0, comment.language)
        field = cast(forms.ChoiceField, self.fields["language"])
        field.choices = [(code, language_name(code)) for code in codes]
        field.initial = comment.language
        field.help_text = _("The comment was written in %(language)s.") % {
            "language": language_name(comment.language)
        }

    def clean_text(self) -> str:
        text = str(self.cleaned_data["text"]).replace("\x00", "").strip()
        if not text:
            raise forms.ValidationError(_("Write the reply."), code="required")
        return text


class ModerationForm(forms.ModelForm):  # type: ignore[type-arg]
    """The organisation's settings for all its statements: the word list, and how many
    readers' reports send a published comment back to the queue."""

    reports_to_hold = forms.IntegerField(
        label=_("Reports before a comment returns to the queue"),
        min_value=1,
        max_value=100,
        help_text=_(
            "A published comment that this many readers report waits for a moderator again."
        ),
    )

    class Meta:
        model = Moderation
        fields = ("words", "reports_to_hold")
        widgets = {"words": forms.Textarea(attrs={"rows": 8})}

    def clean_words(self) -> str:
        lines: list[str] = []
        for line in str(self.cleaned_data["words"]).replace("\x00", "").splitlines():
            word = " ".join(line.split())
            if not word or word.casefold() in (known.casefold() for known in lines):
                continue
            if len(word) > LONGEST_WORD:
                raise forms.ValidationError(
                    _("Each line holds at most %(most)d characters.") % {"most": LONGEST_WORD},
                    code="too_long",
                )
            lines.append(word)
        if len(lines) > MOST_WORDS:
            raise forms.ValidationError(
                _("The list holds at most %(most)d words or phrases.") % {"most": MOST_WORDS},
                code="too_many",
            )
        return "\n".join(lines)


class DigestForm(forms.Form):
    digest = forms.BooleanField(
        label=_("Email me when comments wait for a moderator"),
        required=False,
        help_text=_(
            "One email now and then, listing how many wait on each statement, rather than one "
            "per comment. In the language of this interface."
        ),
    )


class PolicyForm(forms.ModelForm):  # type: ignore[type-arg]
    """How a statement takes comments (its updates' too)."""

    class Meta:
        model = CommentPolicy
        fields = ("mode", "hold_first", "hold_links", "hold_words")
        widgets = {"mode": forms.RadioSelect}
