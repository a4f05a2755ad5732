"""Inserting a row, or updating a few fields of many, without the ORM's query compiler, for
the few paths where compiling the query costs more than running it (a bid submission, the
opening's batches: docs/architecture.md).

``insert`` writes every concrete field of a model instance exactly as ``Model.save`` would for
a new row (each field's ``pre_save`` and ``get_db_prep_save``, so defaults, ``auto_now_add``,
JSON, binary and UUID columns are prepared by Django itself), with an INSERT statement built
once per model and database vendor. It sends no ``pre_save``/``post_save`` signals (the
project has none) and runs in the caller's transaction. ``update`` writes the named fields of
each instance the same way (``Model.save(update_fields=...)``'s values, one statement prepared
once and run for every instance; Django's ``bulk_update`` builds a CASE expression per field and
row, which cost more than the rows' round trips).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections
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
    database = connections[DEFAULT_DB_ALIAS]  # resolved once: the proxy looks up each attribute
    sql, fields, returning = _insert_sql(type(instance), database.vendor)
    values = [f.get_db_prep_save(f.pre_save(instance, True), database) for f in fields]
    with database.cursor() as cursor:
        prepared.execute(cursor, f"mb_insert_{type(instance)._meta.db_table}", sql, values)
        instance.pk = cursor.fetchone()[0] if returning else cursor.lastrowid
    instance._state.adding = False
    instance._state.db = database.alias
    return instance


@functools.cache
def _update_sql(model: type[Model], names: tuple[str, ...], vendor: str) -> tuple[str, tuple]:
    quote = connection.ops.quote_name
    concrete = {f.name: f for f in model._meta.concrete_fields}
    fields = tuple(concrete[name] for name in names)  # a KeyError: not a column of the model
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in fields)
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET {assignments} "  # noqa: S608 - model names
        f"WHERE {quote(str(model._meta.pk.column))} = %s"
    )
    return sql, fields


def update(instances: list[M], fields: list[str]) -> None:
    """Write ``fields`` of every instance (saved rows of one model) in the caller's transaction."""
    if not instances:
        return
    sql, concrete = _update_sql(type(instances[0]), tuple(fields), connection.vendor)
    rows = [
        [
            *(f.get_db_prep_save(f.pre_save(instance, False), connection) for f in concrete),
            instance.pk,
        ]
        for instance in instances
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


@functools.cache
def _converters(model: type[Model], names: tuple[str, ...] | None, vendor: str) -> tuple:
    """Per field (``names``, else every concrete field): its attribute name, its column
    expression and the converters the ORM applies to it."""
    fields = _fields(model, names)
    out = []
    for field in fields:
        column = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        out.append((field.attname, column, converters))
    return tuple(out)


def from_row(model: type[M], values: Sequence, names: tuple[str, ...] | None = None) -> M:
    """An instance of ``model`` from the values of its concrete fields (or of the fields
    ``names``, the others left to load if asked) in the order of ``columns``, as the database
    returned them, converted as the ORM converts them (e.g. SQLite's text times)."""
    database = connections[DEFAULT_DB_ALIAS]  # the proxy's every attribute is a lookup
    converted, attnames = [], []
    for value, (attname, column, converters) in zip(
        values, _converters(model, names, database.vendor), strict=True
    ):
        for converter in converters:
            value = converter(value, column, database)
        converted.append(value)
        attnames.append(attname)
    return model.from_db(database.alias, attnames, converted)


def _fields(model: type[Model], names: tuple[str, ...] | None) -> list:
    """The concrete fields ``names`` (all if None) in the model's order, the order in which
    ``Model.from_db`` takes a subset of them."""
    if names is None:
        return list(model._meta.concrete_fields)
    wanted = set(names)
    fields = [f for f in model._meta.concrete_fields if f.name in wanted or f.attname in wanted]
    if len(fields) != len(wanted):
        raise ValueError(f"not concrete fields of {model.__name__}: {sorted(wanted)}")
    return fields


def columns(model: type[Model], alias: str, names: tuple[str, ...] | None = None) -> str:
    """The columns of the fields ``names`` (all if None), qualified by ``alias``, in the order
    ``from_row`` takes their values."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(str(f.column))}" for f in _fields(model, names))
