"""A fund's totals, as the thermometer shows them: read from the ledger at most once per fund
and process every TOTALS_SECONDS, so that a surge of readers (the statement page, the
thermometer image on a partner's site) does not touch the ledger; changes made through this
process show at once (forget)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading

from django.db import transaction
from django.db.models import Count, Max, Sum

from undersigned.funds.models import Contribution, Fund
from undersigned.lib import pagecache

TOTALS_SECONDS = 2.0

# Channels in the breakdown under the bar, in order: how the money received came in.
CHANNELS = tuple(Contribution.Method.values)


@dataclasses.dataclass(frozen=True, slots=True)
class Totals:
    # Minor units of the fund's currency.
    received: int = 0
    # Confirmed pledges not yet received.
    pledged: int = 0
    # Gifts received (a bucket of cash at an event is one).
    gifts: int = 0
    pledges: int = 0
    # Method -> amount received that way; every method, in CHANNELS order.
    by_channel: tuple[tuple[str, int], ...] = ()
    # Gifts received in other currencies: each currency, with the date of the latest rate
    # the organisers converted it at.
    converted: tuple[tuple[str, dt.date], ...] = ()

    def percent(self, target: int) -> int:
        """Received, as a whole percentage of the target (over 100 once past it)."""
        return self.received * 100 // target if target > 0 else 0

    def bar(self, target: int) -> tuple[float, float]:
        """The widths of the bar's two tones, in percent of its length: received, then
        pledged, together at most 100."""
        if target <= 0:
            return 0.0, 0.0
        received = min(100.0, self.received * 100 / target)
        pledged = min(100.0 - received, self.pledged * 100 / target)
        return round(received, 2), round(pledged, 2)


# fund id -> (expires at, totals, forget number when read)
_cache: dict[int, tuple[float, Totals, int]] = {}
_lock = threading.Lock()
_forgets: dict[int, int] = {}
_counter = 0
_forget_lock = threading.Lock()


def read(fund_id: int) -> Totals:
    """From the ledger, now."""
    rows = (
        Contribution.objects.filter(
            fund_id=fund_id, state__in=(Contribution.State.RECEIVED, Contribution.State.PLEDGED)
        )
        .values_list("state", "method")
        .annotate(total=Sum("amount"), number=Count("pk"))
        .order_by()
    )
    channels = dict.fromkeys(CHANNELS, 0)
    received = pledged = gifts = pledges = 0
    for state, method, total, number in rows:
        if state == Contribution.State.RECEIVED:
            received += int(total)
            gifts += int(number)
            channels[method] = channels.get(method, 0) + int(total)
        else:
            pledged += int(total)
            pledges += int(number)
    converted = (
        Contribution.objects.filter(fund_id=fund_id, state=Contribution.State.RECEIVED)
        .exclude(original_currency="")
        .exclude(rate_date=None)
        .values_list("original_currency")
        .annotate(latest=Max("rate_date"))
        .order_by("original_currency")
    )
    return Totals(
        received,
        pledged,
        gifts,
        pledges,
        tuple(channels.items()),
        tuple((currency, latest) for currency, latest in converted),
    )


def _fresh(fund_id: int, asked: int) -> Totals | None:
    entry = _cache.get(fund_id)
    if entry is not None and entry[0] > pagecache.clock() and entry[2] >= asked:
        return entry[1]
    return None


def totals(fund: Fund | int) -> Totals:
    """The fund's totals, at most TOTALS_SECONDS old."""
    fund_id = fund if isinstance(fund, int) else fund.pk
    asked = _forgets.get(fund_id, 0)
    found = _fresh(fund_id, asked)
    if found is not None:
        return found
    # One reader reads while the others wait for its figures.
    with _lock:
        found = _fresh(fund_id, asked)
        if found is not None:
            return found
        begun = _forgets.get(fund_id, 0)
        found = read(fund_id)
        if len(_cache) > 1000:
            _cache.clear()
        _cache[fund_id] = (pagecache.clock() + TOTALS_SECONDS, found, begun)
        return found


def forget(fund: Fund) -> None:
    """After a change to the ledger: this process's totals and pages of the fund (and of its
    statement) are dropped, now and again once the transaction commits."""
    pk = fund.pk
    slug = fund.statement.slug if fund.statement_id and fund.statement else ""

    def drop() -> None:
        global _counter
        with _forget_lock:
            _counter += 1
            _forgets[pk] = _counter
        _cache.pop(pk, None)
        pagecache.clear(f"/f/{pk}/")
        if slug:
            pagecache.clear(f"/s/{slug}/")

    drop()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(drop)


def forget_all() -> None:
    _cache.clear()
