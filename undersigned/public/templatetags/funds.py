"""The fighting funds of a statement or an event, on its page: a compact thermometer of each
that is open or has money. A statement's come from the cached statement (its `shown_funds`)
and the cached totals, so that its page reads nothing more from the database; an event's page
(stored by the page cache as well) reads its funds with it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from undersigned.events.models import Event
from undersigned.funds.models import Fund
from undersigned.statements.models import Statement, StatementVersion

register = template.Library()

# Funds shown on a statement's page, the latest published first.
SHOWN = 2


def statement_funds(statement: Statement, version: StatementVersion) -> list[dict[str, Any]]:
    """What funds/_statement_funds.html shows for `version` of `statement`: each fund in the
    version's language where it has it (else its default one), with its figures."""
    return _shown(getattr(statement, "shown_funds", None) or [], version.language)


def _shown(funds: Iterable[Fund], language: str) -> list[dict[str, Any]]:
    from undersigned.public.views.thermometer import figures

    shown = []
    for fund in funds:
        fund_version = fund.version_for(language)
        if fund_version is None:
            continue
        found = figures(fund, language)
        if not (fund.takes_gifts() or found.has_money):
            continue
        shown.append({"fund": fund, "version": fund_version, "figures": found})
        if len(shown) == SHOWN:
            break
    return shown


@register.inclusion_tag("funds/_statement_funds.html")
def fund_thermometers(statement: Statement, version: StatementVersion) -> dict[str, Any]:
    return {"funds": statement_funds(statement, version)}


def event_funds(event: Event, language: str) -> list[dict[str, Any]]:
    """The event's published funds, as statement_funds gives a statement's."""
    funds = (
        Fund.objects.published()
        .filter(event=event)
        .select_related("organisation")
        .prefetch_related("versions")
        .order_by("-published_at", "-pk")
    )
    return _shown(funds, language)
