"""Hide every signer's name on a statement's public pages at once, when the risk changes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from undersigned.statements.models import Statement
from undersigned.statements.privacy import hide_signatories


class Command(BaseCommand):
    help = (
        "Hide the whole signatory list of the given statements on public pages (the count "
        "stays; organisers' exports are unchanged). --show lists them again as each signer chose."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slugs", nargs="+", metavar="slug")
        parser.add_argument("--show", action="store_true", help="Show the lists again.")

    def handle(self, *args: Any, slugs: list[str], show: bool = False, **options: Any) -> None:
        statements = {s.slug: s for s in Statement.objects.filter(slug__in=slugs)}
        missing = sorted(set(slugs) - set(statements))
        if missing:
            raise CommandError(f"No statement with the slug: {', '.join(missing)}")
        for slug in slugs:
            changed = hide_signatories(statements[slug], hidden=not show)
            state = "shown" if show else "hidden"
            self.stdout.write(f"{slug}: {state}" if changed else f"{slug}: already {state}")
