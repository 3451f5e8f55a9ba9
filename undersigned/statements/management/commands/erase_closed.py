"""Erase the signers of statements closed RETENTION_DAYS ago; the worker also runs it hourly."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from undersigned.statements.privacy import erase_closed, statements_due_for_erasure


class Command(BaseCommand):
    help = (
        "Erase signers' names, emails and details on statements closed RETENTION_DAYS ago or "
        "more; confirmed signatures stay as anonymous counted rows where the statement keeps "
        "the count after erasure. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List the statements concerned, erase nothing."
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        if dry_run:
            for statement in statements_due_for_erasure():
                self.stdout.write(statement.slug)
            return
        erased = erase_closed()
        self.stdout.write(
            f"{erased} signatures erased (closed {settings.RETENTION_DAYS} days ago or more)."
        )
