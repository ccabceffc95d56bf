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
from dataclasses import dataclass
from functools import cache

from django.db import connection, connections, models

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
    shape = _shape(model, connection.alias)
    if len(instances) == 1:  # one row: scalar parameters, cheaper to adapt than one-element arrays
        [instance] = instances
        params = [
            _sent(field, field.pre_save(instance, add=True), is_json) for field, is_json in shape.fields
        ]
        sql = f"{shape.insert} VALUES ({shape.row}) {shape.returning}"
    else:
        params, selects = [], []
        for (field, is_json), cast in zip(shape.fields, shape.array_casts, strict=True):
            values = [field.pre_save(instance, add=True) for instance in instances]
            if is_json:  # compared and sent as text: {"a": true} is not {"a": 1}
                values = [_sent(field, v, True) for v in values]
            if _all_same(values):  # the batch's account, type, times, NULLs
                first = values[0] if is_json else field.get_db_prep_save(values[0], connection)
                params += [[first], len(instances)]
                selects.append(f"array_fill((%s{cast})[1], ARRAY[%s])")
            else:
                params.append(values if is_json else [field.get_db_prep_save(v, connection) for v in values])
                selects.append(f"%s{cast}")
        sql = f"{shape.insert} SELECT * FROM unnest({', '.join(selects)}) {shape.returning}"
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


@dataclass(frozen=True)
class _Shape:
    """What a model's INSERT needs that does not change between calls (db_type() per column per call
    was a tenth of a one-event publish's bulk_insert)."""

    fields: list[tuple[models.Field, bool]]  # each column's field, and whether it is JSON (sent as text)
    array_casts: list[str]
    insert: str
    row: str
    returning: str


@cache
def _shape(model: type[models.Model], alias: str) -> _Shape:
    db = connections[alias]
    fields = [(f, isinstance(f, models.JSONField)) for f in model._meta.concrete_fields if not f.primary_key]
    types = ["jsonb" if is_json else field.db_type(db) for field, is_json in fields]
    columns = ", ".join(db.ops.quote_name(field.column) for field, _ in fields)
    return _Shape(
        fields,
        array_casts=[
            "::text[]::jsonb[]" if is_json else f"::{kind}[]"
            for (_, is_json), kind in zip(fields, types, strict=True)
        ],
        insert=f"INSERT INTO {db.ops.quote_name(model._meta.db_table)} ({columns})",
        row=", ".join(
            "%s::text::jsonb" if is_json else f"%s::{kind}"
            for (_, is_json), kind in zip(fields, types, strict=True)
        ),
        returning=f"RETURNING {db.ops.quote_name(model._meta.pk.column)}, token",
    )


def _sent(field: models.Field, value, is_json: bool):
    """One column value as the statement sends it: JSON as its text (None stays NULL)."""
    if is_json:
        return None if value is None else json.dumps(value, cls=field.encoder)
    return field.get_db_prep_save(value, connection)


def _all_same(values: list) -> bool:
    """Equal and of one type (so True and 1, or 1 and 1.0, are never taken for each other)."""
    first, kind = values[0], type(values[0])
    return all(value is first or (type(value) is kind and value == first) for value in values)
