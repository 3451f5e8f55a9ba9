from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundsConfig(AppConfig):
    name = "undersigned.funds"
    verbose_name = _("Fighting funds")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        # Register the emails and the housekeeping.
        from undersigned.funds import emails, jobs  # noqa: F401
        from undersigned.funds.models import Fund, FundVersion, statement_funds
        from undersigned.statements.queries import shown_with_statement
        from undersigned.statements.signals import statement_changed

        # A statement's page shows its fund's thermometer, from the cached statement.
        shown_with_statement(statement_funds)
        for model in (Fund, FundVersion):
            post_save.connect(statement_changed, sender=model, dispatch_uid=f"funds-{model}")
            post_delete.connect(statement_changed, sender=model, dispatch_uid=f"funds-{model}-")
