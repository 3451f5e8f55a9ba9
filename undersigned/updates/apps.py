from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UpdatesConfig(AppConfig):
    name = "undersigned.updates"
    verbose_name = _("Updates")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from undersigned.lib.pagecache import personal_cookie
        from undersigned.statements.queries import shown_with_statement
        from undersigned.statements.signals import statement_changed

        # Register the mailing's job and idle work, and the followers' housekeeping.
        from undersigned.updates import actions, delivery, emails, jobs  # noqa: F401
        from undersigned.updates.models import Notice, Update, UpdateVersion, latest_updates
        from undersigned.updates.notices import COOKIE

        # The statement's page shows its latest updates, from the cached statement.
        shown_with_statement(latest_updates)
        # A reader who hid a notice gets pages without it, rendered for them.
        personal_cookie(COOKIE)
        for model in (Update, UpdateVersion, Notice):
            post_save.connect(statement_changed, sender=model, dispatch_uid=f"updates-{model}")
            post_delete.connect(statement_changed, sender=model, dispatch_uid=f"updates-{model}-")
