"""A multi-row INSERT for the signing hot path, without the ORM's per-value compilation.

`bulk_create` builds model instances, compiles its SQL and prepares every value through each
field's full machinery; on the signing path that cost more CPU than the database did. This
writes the same rows from plain dicts: one INSERT … RETURNING id per call, values adapted per
column type as worked out once per model, defaults taken from the model's fields. Only for
models whose fields are plain columns, datetimes and JSON.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import connection, models

_Adapter = Callable[[Any], Any]
_MISSING = object()


@functools.cache
def _plan(
    model: type[models.Model], vendor: str
) -> tuple[str, list[str], list[_Adapter | None], list[Any]]:
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    adapters: list[_Adapter | None] = []
    for field in fields:
        if isinstance(field, models.DateTimeField):
            adapters.append(connection.ops.adapt_datetimefield_value)
        elif isinstance(field, models.JSONField):
            adapters.append(functools.partial(_json, field))
        else:
            adapters.append(None)
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
    return head, [field.attname for field in fields], adapters, defaults


def _json(field: models.JSONField, value: Any) -> Any:
    return field.get_db_prep_save(value, connection)


def insert(
    model: type[models.Model], rows: Sequence[Mapping[str, Any]], returning: Sequence[str] = ()
) -> list[tuple[Any, ...]]:
    """INSERT `rows` (attribute name -> value; fields with a constant default or null may be left
    out) in one statement; return, for each row inserted, its primary key followed by the
    `returning` columns. Neither database promises the order of RETURNING rows, so match them
    to yours by those columns, not by position.
    """
    if not rows:
        return []
    head, attnames, adapters, defaults = _plan(model, connection.vendor)
    params: list[Any] = []
    for row in rows:
        for attname, adapt, default in zip(attnames, adapters, defaults, strict=True):
            value = row.get(attname, default)
            if value is _MISSING:
                raise KeyError(f"{model.__name__}.{attname} needs a value")
            params.append(adapt(value) if adapt is not None and value is not None else value)
    values = "(" + ", ".join(["%s"] * len(attnames)) + ")"
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in (model._meta.pk.column, *returning))
    with connection.cursor() as cursor:
        cursor.execute(f"{head}{', '.join([values] * len(rows))} RETURNING {columns}", params)
        return [tuple(found) for found in cursor.fetchall()]
