"""The fighting funds of a statement, on its page: a compact thermometer of each that is open
or has money, from the cached statement (its `shown_funds`) and the cached totals, so that the
page reads nothing more from the database."""

from __future__ import annotations

from typing import Any

from django import template

from undersigned.statements.models import Statement, StatementVersion

register = template.Library()

# Funds shown on a statement's page, the latest published first.
SHOWN = 2


def statement_funds(statement: Statement, version: StatementVersion) -> list[dict[str, Any]]:
    """What funds/_statement_funds.html shows for `version` of `statement`: each fund in the
    version's language where it has it (else its default one), with its figures."""
    from undersigned.public.views.thermometer import figures

    shown = []
    for fund in getattr(statement, "shown_funds", None) or []:
        fund_version = fund.version_for(version.language)
        if fund_version is None:
            continue
        found = figures(fund, version.language)
        if not (fund.takes_gifts() or found.has_money):
            continue
        shown.append({"fund": fund, "version": fund_version, "figures": found})
        if len(shown) == SHOWN:
            break
    return shown


@register.inclusion_tag("funds/_statement_funds.html")
def fund_thermometers(statement: Statement, version: StatementVersion) -> dict[str, Any]:
    return {"funds": statement_funds(statement, version)}
