from __future__ import annotations

from django.apps import AppConfig


class PublicConfig(AppConfig):
    """The public site: statements with their updates, signing and following, a signer's own
    page (pretix's "presale"). Above the domain apps, whose models and actions it shows."""

    name = "undersigned.public"
    label = "public"
