"""Queries and statements that the ORM builds once per process: later calls only bind new values and run.

Why: for the short reads that every Query API request makes (the signing key, a user by name, the
caller's policies), building the query costs Django 0.3-0.9 ms of CPU per call
(`Query.build_filter`, `SQLCompiler.as_sql`), ten times what the database takes to answer it
(bench/README.md). A `PreparedQuery` keeps the ORM as the only author of the SQL and of the way rows
become model instances (`select_related` included); it only skips rebuilding them.

    user_named = PreparedQuery(
        lambda account_id, name: User.objects.filter(account_id=account_id, user_name__lower=name),
        account_id=int, name=str,
    )
    user = user_named.first(account_id=account.pk, name="alice")

`PreparedStatement` does the same for an ORM call that runs exactly one statement (`count()`,
`exists()`, `update()`, a `delete()` without cascades): the first call runs it with marker values
and keeps the statement it sent. `PreparedInsert` is `create()`, `PreparedDelete` is `obj.delete()`
for rows whose dependents Django deletes with one statement each, `lock_row` a SELECT … FOR UPDATE.

Each slot is filled at compile time with a value of its declared type that cannot occur otherwise;
the compiled parameters are searched for it, so a slot that the ORM transformed or inlined fails at
the first call (in tests), never silently. Slots must be plain filter values (no `__in` lists).
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import CASCADE, DO_NOTHING, PROTECT, Model, ProtectedError, QuerySet, signals, sql
from django.db.models.deletion import Collector
from django.db.models.query import get_related_populators

M = TypeVar("M", bound=Model)

_markers = itertools.count(1)


def _marker(kind: type) -> Any:
    """A value of `kind` that no real parameter equals."""
    number = next(_markers)
    if kind is int:
        return -(2**62) + number  # ids are positive; no quota or count comes near this
    if kind is str:
        return f"prepared-slot-{number}-{secrets.token_hex(8)}"  # no NUL: PostgreSQL refuses it in text
    raise TypeError(f"a prepared query slot must be int or str, not {kind!r}")


Slots = tuple[tuple[int, str], ...]  # (position in the parameters, slot name)


def _slot_positions(params: Any, markers: dict[str, Any]) -> tuple[tuple[Any, ...], Slots]:
    """The compiled parameters with None where a slot goes, and where each slot goes."""
    slots = []
    constants: list[Any] = list(params)
    for position, value in enumerate(params):
        for name, marker in markers.items():
            if type(value) is type(marker) and value == marker:
                slots.append((position, name))
                constants[position] = None
    missing = set(markers) - {name for _, name in slots}
    if missing:
        raise ValueError(f"prepared query slots not found in the compiled parameters: {sorted(missing)}")
    return tuple(constants), tuple(slots)


def _bind(constants: tuple[Any, ...], slots: Slots, values: dict[str, Any]) -> list[Any]:
    params = list(constants)
    for position, name in slots:
        params[position] = values[name]
    return params


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]  # constants, with None where a slot goes
    slots: Slots
    converters: tuple[tuple[int, tuple[Callable, ...], Any], ...]
    build_row: Callable[[list[Any], str], Any]

    def bind(self, values: dict[str, Any]) -> list[Any]:
        return _bind(self.params, self.slots, values)


class PreparedQuery(Generic[M]):
    """A SELECT built by `build(**slots)` once per database alias, run with new values each call."""

    WINDOWS = 16  # the (offset, limit) pairs kept compiled: Django writes them into the SQL

    def __init__(self, build: Callable[..., QuerySet[M]], **slots: type) -> None:
        self._build = build
        self._slots = slots
        self._compiled: dict[tuple[str, tuple[int, int] | None], _Compiled] = {}

    def all(
        self, *, using: str = DEFAULT_DB_ALIAS, window: tuple[int, int] | None = None, **values: Any
    ) -> list[M]:
        """Every row as a model instance (or as a tuple, for a `values_list` query); `window`
        (start, stop) slices the query as `queryset[start:stop]` would."""
        if values.keys() != self._slots.keys():
            raise TypeError(f"expected values for {sorted(self._slots)}, got {sorted(values)}")
        compiled = self._compiled.get((using, window)) or self._compile(using, window)
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, compiled.bind(values))
            rows = cursor.fetchall()
        result = []
        for raw in rows:
            row = list(raw)
            for position, converters, expression in compiled.converters:
                value = row[position]
                for converter in converters:
                    value = converter(value, expression, connection)
                row[position] = value
            result.append(compiled.build_row(row, using))
        return result

    def first(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> M | None:
        """The first row, or None (the query itself should say `[:1]` and its ordering)."""
        rows = self.all(using=using, **values)
        return rows[0] if rows else None

    def _compile(self, using: str, window: tuple[int, int] | None) -> _Compiled:
        markers = {name: _marker(kind) for name, kind in self._slots.items()}
        queryset = self._build(**markers)
        if window is not None:
            queryset = queryset[window[0] : window[1]]
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        constants, slots = _slot_positions(params, markers)
        expressions = [column for column, _sql, _alias in compiler.select]
        converters = tuple(
            (position, tuple(convs), expression)
            for position, (convs, expression) in compiler.get_converters(expressions).items()
        )
        build_row = _row_builder(queryset, compiler)
        compiled = _Compiled(sql, constants, slots, converters, build_row)
        if window is not None and len(self._compiled) >= self.WINDOWS:
            self._compiled.pop(next(k for k in self._compiled if k[1] is not None))
        self._compiled[(using, window)] = compiled
        return compiled


def _row_builder(queryset: QuerySet, compiler: Any) -> Callable[[list[Any], str], Any]:
    """How a row becomes a result: a model instance with its select_related objects and annotations
    (as Django's ModelIterable does it), or a tuple for values_list queries."""
    klass_info = compiler.klass_info
    if klass_info is None or queryset._fields is not None:
        return lambda row, _using: tuple(row)
    if queryset._prefetch_related_lookups:
        raise ValueError("prepared queries do not support prefetch_related")
    annotations = tuple((compiler.annotation_col_map or {}).items())
    select = compiler.select
    model = klass_info["model"]
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    attnames = [column[0].target.attname for column in select[start:end]]
    populators_by_alias: dict[str, list] = {}

    def build(row: list[Any], using: str) -> Model:
        obj = model.from_db(using, attnames, row[start:end])
        populators = populators_by_alias.get(using)
        if populators is None:
            populators = populators_by_alias[using] = get_related_populators(klass_info, select, using)
        for populator in populators:
            populator.populate(row, obj)
        for name, position in annotations:
            setattr(obj, name, row[position])
        return obj

    return build


@dataclass(frozen=True)
class _Captured:
    sql: str
    params: tuple[Any, ...]
    slots: Slots


class PreparedStatement:
    """An ORM call that sends one SELECT, UPDATE or DELETE, kept as that statement after its first run.

    The first call runs `run(**slots)` with marker values (which match no row) to see the statement;
    every call then sends it with the real values. For counts, existence checks, counter updates and
    deletes without cascades; anything that sends more or other statements fails at once.
    """

    def __init__(self, run: Callable[..., object], **slots: type) -> None:
        self._run = run
        self._slots = slots
        self._captured: dict[str, _Captured] = {}

    def scalar(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> Any:
        """The first column of the first row (None without rows): a count, or 1 for exists()."""
        with self._cursor(using, values, ("SELECT",)) as cursor:
            row = cursor.fetchone()
        return None if row is None else row[0]

    def execute(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> int:
        """Run an UPDATE or DELETE: how many rows it changed."""
        with self._cursor(using, values, ("UPDATE", "DELETE")) as cursor:
            return cursor.rowcount

    def _cursor(self, using: str, values: dict[str, Any], verbs: tuple[str, ...]) -> Any:
        if values.keys() != self._slots.keys():
            raise TypeError(f"expected values for {sorted(self._slots)}, got {sorted(values)}")
        captured = self._captured.get(using) or self._capture(using)
        # What an ORM call sends can depend on the rows it finds (a delete with cascades, finding none
        # of the marker's, only SELECTs): a statement of the wrong kind means the call was not simple.
        if not captured.sql.lstrip().upper().startswith(verbs):
            expected = " or ".join(verbs)
            raise ValueError(f"a prepared statement expected {expected}, the call sent {captured.sql!r}")
        cursor = connections[using].cursor()
        cursor.execute(captured.sql, _bind(captured.params, captured.slots, values))
        return cursor

    def _capture(self, using: str) -> _Captured:
        markers = {name: _marker(kind) for name, kind in self._slots.items()}
        sent: list[tuple[str, Any]] = []

        def keep(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
            sent.append((sql, params))
            return execute(sql, params, many, context)

        with connections[using].execute_wrapper(keep):
            self._run(**markers)
        if len(sent) != 1 or not sent[0][0].lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
            raise ValueError(f"a prepared statement must send one SELECT, UPDATE or DELETE, not {sent!r}")
        sql, params = sent[0]
        constants, slots = _slot_positions(params or (), markers)
        captured = self._captured[using] = _Captured(sql, constants, slots)
        return captured


_ROW_LOCKS: dict[type[Model], PreparedStatement] = {}


def lock_row(model: type[Model], pk: int) -> bool:
    """Lock one row by primary key for the rest of the transaction (SELECT … FOR UPDATE; SQLite's
    IMMEDIATE transactions lock the whole database anyway): False if the row has gone."""
    statement = _ROW_LOCKS.get(model)
    if statement is None:
        statement = _ROW_LOCKS[model] = PreparedStatement(
            lambda pk: model.objects.select_for_update().filter(pk=pk).exists(), pk=int
        )
    return statement.scalar(pk=pk) is not None


class PreparedInsert(Generic[M]):
    """`Model.objects.create()` with its INSERT built once per database alias.

    Each call adapts the new row's values with the fields' own `pre_save` and `get_db_prep_save`, as
    `save()` does, and sends the statement. No model signals are sent (the portal has no receivers);
    use it only for models whose `save()` adds nothing to an insert.
    """

    def __init__(self, model: type[M]) -> None:
        self._model = model
        meta = model._meta
        self._fields = [
            f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated
        ]
        self._compiled: dict[str, tuple[str, bool]] = {}  # alias -> (INSERT, whether it RETURNs the pk)

    def create(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> M:
        obj = self._model(**values)
        connection = connections[using]
        statement, returns_pk = self._compiled.get(using) or self._compile(using, obj)
        params = [f.get_db_prep_save(f.pre_save(obj, True), connection=connection) for f in self._fields]
        meta = self._model._meta
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            if returns_pk:
                pk = cursor.fetchone()[0]
            else:
                pk = connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column)
        obj.pk = pk
        obj._state.adding, obj._state.db = False, using
        return obj

    def _compile(self, using: str, obj: M) -> tuple[str, bool]:
        meta = self._model._meta
        if meta.auto_field is None or meta.pk is not meta.auto_field:
            raise ValueError("prepared inserts are for models with an automatic primary key")
        query = sql.InsertQuery(self._model)
        query.insert_values(self._fields, [obj])
        compiler = query.get_compiler(using=using)
        returns_pk = connections[using].features.can_return_columns_from_insert
        compiler.returning_fields = [meta.pk] if returns_pk else None
        ((statement, _params),) = compiler.as_sql()
        self._compiled[using] = (statement, returns_pk)
        return statement, returns_pk


# (PROTECT checks and CASCADE deletes by referencing model, the row's own DELETE)
_Steps = list[tuple[type[Model], "PreparedStatement"]]
_DeletePlan = tuple[_Steps, _Steps, "PreparedStatement"]


class PreparedDelete:
    """`obj.delete()` for one model, as prepared statements: one DELETE per table whose rows reference
    the row (`on_delete=CASCADE`), an existence check per PROTECT relation, then the row's own DELETE.

    Django's Collector builds these queries again on every call, which costs more than running them.
    Only for models whose dependents are plain rows that Django would delete in one statement each
    (no dependents or signals of their own): anything else fails at the first call.
    """

    def __init__(self, model: type[Model]) -> None:
        self._model = model
        self._plan: _DeletePlan | None = None

    def delete(self, pk: int, *, checked_absent: Collection[type[Model]] = ()) -> None:
        """Delete the row and what cascades from it. `checked_absent`: models the caller has just
        found no referencing rows of, in this transaction (with the row locked); they are skipped."""
        protected, cascades, own = self._planned()
        for model, check in protected:
            if model not in checked_absent and check.scalar(pk=pk) is not None:
                message = f"{self._model.__name__} {pk} is still referenced by {model.__name__}"
                raise ProtectedError(message, set())
        for model, statement in cascades:
            if model not in checked_absent:
                statement.execute(pk=pk)
        own.execute(pk=pk)

    def _planned(self) -> _DeletePlan:
        if self._plan is not None:
            return self._plan
        model = self._model
        if signals.pre_delete.has_listeners(model) or signals.post_delete.has_listeners(model):
            raise ValueError(f"{model.__name__} has delete signal receivers: use obj.delete()")
        collector = Collector(DEFAULT_DB_ALIAS)
        protected, cascades = [], []
        for relation in model._meta.get_fields(include_hidden=True):
            if relation.concrete or not relation.auto_created or relation.many_to_many:
                continue  # the model's own fields, and many-to-many tables (none here) Django handles
            related, rows = relation.related_model, _referencing(relation)
            if relation.on_delete is PROTECT:
                check = PreparedStatement(lambda pk, rows=rows: rows(pk).exists(), pk=int)
                protected.append((related, check))
            elif relation.on_delete is CASCADE and collector.can_fast_delete(related._base_manager.all()):
                delete = PreparedStatement(lambda pk, rows=rows: rows(pk).delete(), pk=int)
                cascades.append((related, delete))
            elif relation.on_delete is not DO_NOTHING:
                raise ValueError(f"{related.__name__}.{relation.field.name} needs Django's Collector")
        own = PreparedStatement(
            lambda pk: model._base_manager.filter(pk=pk)._raw_delete(DEFAULT_DB_ALIAS), pk=int
        )
        self._plan = (protected, cascades, own)
        return self._plan


def _referencing(relation: Any) -> Callable[[int], QuerySet]:
    """The rows of a reverse relation that point at one primary key."""
    related, field_name = relation.related_model, relation.field.name
    return lambda pk: related._base_manager.filter(**{field_name: pk})
