"""Mark addresses that bounce: no update is emailed to them again."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from undersigned.audit.models import record
from undersigned.updates.recipients import mark_bounced


class Command(BaseCommand):
    help = (
        "Send no more updates to these addresses (bounced mail). Reads them from the command "
        "line or, with -, one per line from standard input."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addresses", nargs="+", help="Email addresses, or - to read stdin.")

    def handle(self, *args: Any, **options: Any) -> None:
        addresses = [a for a in options["addresses"] if a != "-"]
        if "-" in options["addresses"]:
            addresses += [line.strip() for line in sys.stdin if line.strip()]
        added = mark_bounced(addresses, "command")
        record("bounces.reported", source="command", addresses=len(addresses), new=added)
        self.stdout.write(f"{added} address(es) newly marked as bouncing, of {len(addresses)}.")
