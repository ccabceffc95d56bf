"""Bulk inserts for the ingest path: on PostgreSQL one `INSERT ... SELECT FROM unnest(arrays)` per
model, with one array parameter per column, instead of Django's multi-row VALUES (whose SQL, built
and parsed afresh for every batch, cost more than the rows themselves). A column whose values are all
the same is sent once and repeated by `array_fill`: rendering array literals is the largest Python cost
of a batch (docs/performance.md, "Batch ingest"). Elsewhere, bulk_create.

Ids are set on the instances as bulk_create would set them, matched by token (not by row order).
Companion inserts (PostgreSQL) ride on the same statement as data-modifying CTEs that read the new
rows' `id, token` from the CTE `inserted`: an event and its messages are one round trip.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection, models

Companion = tuple[str, list]  # an INSERT reading `inserted` (id, token), and its parameters


def bulk_insert(
    model: type[models.Model], instances: list[models.Model], companions: Sequence[Companion] = ()
) -> None:
    """Insert `instances` (unsaved, each with a unique `token`) and set their primary keys; run each
    companion INSERT in the same statement (PostgreSQL only: elsewhere there are none to run)."""
    if not instances:
        return
    if connection.vendor != "postgresql":
        assert not companions, "companion inserts need PostgreSQL's data-modifying CTEs"
        model.objects.bulk_create(instances)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    arrays, selects = [], []
    for field in fields:
        values = [field.pre_save(instance, add=True) for instance in instances]
        if isinstance(field, models.JSONField):  # compared and sent as text: {"a": true} is not {"a": 1}
            values = [None if v is None else json.dumps(v, cls=field.encoder) for v in values]
            prepare, cast = None, "text[]::jsonb[]"
        else:
            prepare, cast = field.get_db_prep_save, f"{field.db_type(connection)}[]"
        if len(values) > 1 and _all_same(values):  # the batch's account, type, times, NULLs
            values = values[:1]
        if prepare is not None:
            values = [prepare(v, connection) for v in values]
        if len(values) < len(instances):
            arrays += [values, len(instances)]
            selects.append(f"array_fill((%s::{cast})[1], ARRAY[%s])")
        else:
            arrays.append(values)
            selects.append(f"%s::{cast}")
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) "
        f"SELECT * FROM unnest({', '.join(selects)}) RETURNING {connection.ops.quote_name(model._meta.pk.column)}, token"
    )
    params = list(arrays)
    if companions:
        ctes = "".join(f", companion_{n} AS ({companion})" for n, (companion, _) in enumerate(companions))
        sql = f"WITH inserted AS ({sql}){ctes} SELECT * FROM inserted"
        params += [param for _, companion_params in companions for param in companion_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = dict((token, pk) for pk, token in cursor.fetchall())
    for instance in instances:
        instance.pk = ids[instance.token]
        instance._state.adding = False
        instance._state.db = connection.alias


def _all_same(values: list) -> bool:
    """Equal and of one type (so True and 1, or 1 and 1.0, are never taken for each other)."""
    first, kind = values[0], type(values[0])
    return all(value is first or (type(value) is kind and value == first) for value in values)
