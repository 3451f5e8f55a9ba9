from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaperConfig(AppConfig):
    name = "undersigned.paper"
    verbose_name = _("Paper and PDF")

    def ready(self) -> None:
        from undersigned.paper import actions, jobs  # noqa: F401 - the job and housekeeping
        from undersigned.statements import privacy

        # A delivery pack prints names: erasing or withdrawing a listed signer deletes the
        # statement's pack files (their public check records stay).
        privacy.keeps_personal_data(
            privacy.KeptElsewhere(
                of_signatures=actions.forget_signatures,
                of_statement=actions.forget_statement,
                held=actions.packs_with_files,
            )
        )
