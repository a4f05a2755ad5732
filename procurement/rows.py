"""Inserting a row without the ORM's query compiler, for the few paths where compiling the
query costs more than running it (a bid submission: docs/performance.md).

``insert`` writes every concrete field of a model instance exactly as ``Model.save`` would for
a new row (each field's ``pre_save`` and ``get_db_prep_save``, so defaults, ``auto_now_add``,
JSON, binary and UUID columns are prepared by Django itself), with an INSERT statement built
once per model and database vendor. It sends no ``pre_save``/``post_save`` signals (the
project has none) and runs in the caller's transaction.
"""

from __future__ import annotations

import functools
from typing import TypeVar

from django.db import connection
from django.db.models import Model
from django.db.models.fields import AutoFieldMixin

from procurement import prepared

M = TypeVar("M", bound=Model)


@functools.cache
def _insert_sql(model: type[Model], vendor: str) -> tuple[str, tuple, bool]:
    quote = connection.ops.quote_name
    fields = tuple(
        f for f in model._meta.local_concrete_fields if not isinstance(f, AutoFieldMixin)
    )
    returning = connection.features.can_return_columns_from_insert
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608 - names from the model
        f"({', '.join(quote(str(f.column)) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    if returning:
        sql += f" RETURNING {quote(str(model._meta.pk.column))}"
    return sql, fields, returning


def insert(instance: M) -> M:
    """Insert ``instance`` as a new row (its primary key is set from the database)."""
    sql, fields, returning = _insert_sql(type(instance), connection.vendor)
    values = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    with connection.cursor() as cursor:
        prepared.execute(cursor, f"mb_insert_{type(instance)._meta.db_table}", sql, values)
        instance.pk = cursor.fetchone()[0] if returning else cursor.lastrowid
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance
