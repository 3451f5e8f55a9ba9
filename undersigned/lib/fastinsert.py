"""A multi-row INSERT for the signing hot path, without the ORM's per-value compilation.

`bulk_create` builds model instances, compiles its SQL and prepares every value through each
field's full machinery; on the signing path that costs more CPU than the database does. This
writes the same rows from plain dicts: one INSERT … RETURNING id per call, values adapted per
column type as worked out once per model, defaults taken from the model's fields. Only for
models whose fields are plain columns, datetimes and JSON.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import connection, models

_Adapter = Callable[[Any], Any]
_MISSING = object()


@dataclasses.dataclass(frozen=True, slots=True)
class _Plan:
    head: str
    # (attribute name, default) for each column, in the INSERT's order.
    columns: list[tuple[str, Any]]
    # (position, adapter) of the columns whose values are adapted for the database.
    adapted: list[tuple[int, _Adapter]]


@functools.cache
def _plan(model: type[models.Model], vendor: str, tz: object) -> _Plan:
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    adapted: list[tuple[int, _Adapter]] = []
    for index, field in enumerate(fields):
        if isinstance(field, models.DateTimeField):
            adapted.append((index, _datetime_adapter(vendor, tz)))
        elif isinstance(field, models.JSONField):
            adapted.append((index, functools.partial(_json, field)))
    # What a model instance would hold; a callable default (a time, say) must be given.
    defaults = [
        _MISSING if field.has_default() and callable(field.default) else field.get_default()
        for field in fields
    ]
    # Names come from the model, quoted; values are always parameters.
    head = (
        f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608
        f"({', '.join(quote(field.column) for field in fields)}) VALUES "
    )
    return _Plan(
        head, list(zip([field.attname for field in fields], defaults, strict=True)), adapted
    )


def _datetime_adapter(vendor: str, tz: object) -> _Adapter:
    adapt = connection.ops.adapt_datetimefield_value
    if vendor != "sqlite" or tz is not dt.UTC:
        return adapt

    def utc_text(value: Any) -> Any:
        # What Django's adapter makes of the aware UTC times timezone.now() gives, without
        # its time zone conversion: this runs five times a signature, inside the batch's
        # write lock.
        if isinstance(value, dt.datetime) and value.tzinfo is dt.UTC:
            return str(value.replace(tzinfo=None))
        return adapt(value)

    return utc_text


def _json(field: models.JSONField, value: Any) -> Any:
    return field.get_db_prep_save(value, connection)


def insert(
    model: type[models.Model],
    rows: Sequence[Mapping[str, Any]],
    returning: Sequence[str] = (),
    *,
    skip_existing: bool = False,
) -> list[tuple[Any, ...]]:
    """INSERT `rows` (attribute name -> value; fields with a constant default or null may be left
    out) in one statement; return, for each row inserted, its primary key followed by the
    `returning` columns. Neither database promises the order of RETURNING rows, so match them
    to yours by those columns, not by position.

    With `skip_existing`, a row that would break a unique constraint is left out instead
    (ON CONFLICT DO NOTHING), and is not returned.
    """
    if not rows:
        return []
    plan = _plan(model, connection.vendor, connection.timezone)
    params: list[Any] = []
    for row in rows:
        get = row.get
        values = [get(attname, default) for attname, default in plan.columns]
        if _MISSING in values:
            missing = next(
                name
                for (name, _default), value in zip(plan.columns, values, strict=True)
                if value is _MISSING
            )
            raise KeyError(f"{model.__name__}.{missing} needs a value")
        for index, adapt in plan.adapted:
            value = values[index]
            if value is not None:
                values[index] = adapt(value)
        params += values
    placeholders = "(" + ", ".join(["%s"] * len(plan.columns)) + ")"
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in (model._meta.pk.column, *returning))
    with connection.cursor() as cursor:
        conflict = " ON CONFLICT DO NOTHING" if skip_existing else ""
        cursor.execute(
            f"{plan.head}{', '.join([placeholders] * len(rows))}{conflict} RETURNING {columns}",
            params,
        )
        return [tuple(found) for found in cursor.fetchall()]
