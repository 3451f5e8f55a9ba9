from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommentsConfig(AppConfig):
    name = "undersigned.comments"
    verbose_name = _("Comments")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        # Register the emails and the housekeeping.
        from undersigned.comments import emails, jobs  # noqa: F401
        from undersigned.comments.models import CommentPolicy, statement_policy
        from undersigned.statements.queries import shown_with_statement
        from undersigned.statements.signals import statement_changed

        # A statement's page reads whether it takes comments from the cached statement.
        shown_with_statement(statement_policy)
        post_save.connect(statement_changed, sender=CommentPolicy, dispatch_uid="comments-policy")
        post_delete.connect(
            statement_changed, sender=CommentPolicy, dispatch_uid="comments-policy-"
        )
