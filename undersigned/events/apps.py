from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "undersigned.events"
    verbose_name = _("Events")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        # Register the emails, the reminders' job and the housekeeping.
        from undersigned.events import emails, jobs  # noqa: F401
        from undersigned.events.models import Event, EventVersion, upcoming_events
        from undersigned.statements.queries import shown_with_statement
        from undersigned.statements.signals import statement_changed

        # A statement's page shows its next events, from the cached statement.
        shown_with_statement(upcoming_events)
        for model in (Event, EventVersion):
            post_save.connect(statement_changed, sender=model, dispatch_uid=f"events-{model}")
            post_delete.connect(statement_changed, sender=model, dispatch_uid=f"events-{model}-")
