"""Exact counters under any concurrency: one INSERT ... ON CONFLICT DO UPDATE ... RETURNING for
a whole batch, inside the caller's transaction. The database orders concurrent updates of a
row, so the Nth event counted in a row is told it is the Nth, whichever process counted it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from typing import TypeVar

from django.db import connection, models

# A key as the database returns it: str for a text column, int for an integer one.
K = TypeVar("K", bound=Hashable)


def numbers(model: type[models.Model], column: str, value: object, keys: Sequence[K]) -> list[int]:
    """Count one event for each key (in order) in the rows (key, `column` = value) of `model`,
    whose fields are key, `column` and count, unique together on (key, `column`). Returns each
    event's number among all counted in its row."""
    return numbers_in_rows(model, column, [(key, value) for key in keys])


def numbers_in_rows(
    model: type[models.Model], column: str, events: Sequence[tuple[K, object]]
) -> list[int]:
    """The same for events counted in rows of different `column` values, (key, value) each,
    with one statement for all: a key counts in one row only, so a key given with two values
    is refused."""
    if not events:
        return []
    wanted = Counter(key for key, _value in events)
    value_of = dict(events)
    if len(set(events)) != len(value_of):
        raise ValueError("a key is counted in one row only")
    table = connection.ops.quote_name(model._meta.db_table)
    other = connection.ops.quote_name(column)
    values = ", ".join(["(%s, %s, %s)"] * len(wanted))
    params: list[object] = []
    # The rows in one order, whoever counts: two transactions counting the same rows at once
    # on PostgreSQL then lock them in the same order, and neither waits for a row the other
    # holds while holding one it wants (a deadlock, which PostgreSQL ends by failing one).
    for key in sorted(wanted, key=str):
        params += [key, value_of[key], wanted[key]]
    sql = (
        f"INSERT INTO {table} (key, {other}, count) VALUES {values} "  # noqa: S608
        f"ON CONFLICT (key, {other}) DO UPDATE SET count = {table}.count + excluded.count "
        "RETURNING key, count"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)  # type: ignore[arg-type]
        totals = dict(cursor.fetchall())
    # This batch's events are the last counted in each row: the first of them is number
    # total - (its key's events in the batch) + 1.
    seen: Counter[K] = Counter()
    result = []
    for key, _value in events:
        seen[key] += 1
        result.append(int(totals[key]) - wanted[key] + seen[key])
    return result
