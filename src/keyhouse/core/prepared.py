"""Hot statements: compiled once per dialect and run on the connection's DBAPI cursor.

For a small indexed lookup, SQLAlchemy's per-call execution machinery (cache key, execution
context, result object) costs more than the query itself: Core `Connection.execute` of the
key lookup measured ~22 µs against ~10 µs for the driver alone (docs/performance.md). A
`Prepared` statement is compiled once per dialect; a call binds its values in the compiled
order, runs it on the DBAPI cursor and converts the values with the columns' own SQLAlchemy
types (`result_processor`), so rows come back exactly as `Connection.execute` would give them.

The connection, its pool and its transaction stay SQLAlchemy's. Two fall-backs keep it
honest: when anything observes statements (a `before_cursor_execute` or
`after_cursor_execute` listener — tracing, statement counting in tests — or `echo`), the
ordinary `Connection.execute` path runs, so they see the statement; and when the driver
raises, the ordinary path runs again, so the error surfaces as SQLAlchemy's, with its
disconnect handling.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.sql import Select

Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    order: tuple[str, ...] | None  # parameter names in order (positional drivers), or None
    defaults: dict[str, Any]  # values the statement itself binds (constants)
    binds: tuple[tuple[str, Callable[[Any], Any]], ...]  # parameters that need conversion
    conversions: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column index, converter)


def observed(conn: Connection) -> bool:
    """Whether anything watches this connection's statements (then they must see ours)."""
    if conn.engine.echo:
        return True
    dispatch = conn.dispatch
    return bool(dispatch.before_cursor_execute) or bool(dispatch.after_cursor_execute)


class Prepared:
    """A Core `SELECT` to run often with different values (no expanding `IN` lists)."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, str], _Compiled] = {}

    def _compile(self, dialect: Dialect) -> _Compiled:
        key = (dialect.name, dialect.driver)
        found = self._compiled.get(key)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            binds = []
            for name, bind in compiled.binds.items():
                process = bind.type.dialect_impl(dialect).bind_processor(dialect)
                if process is not None:
                    binds.append((name, process))
            columns = list(self.statement.selected_columns)
            found = _Compiled(
                sql=str(compiled),
                order=tuple(compiled.positiontup or ()) if dialect.positional else None,
                defaults={
                    name: bind.effective_value
                    for name, bind in compiled.binds.items()
                    if not bind.required
                },
                binds=tuple(binds),
                conversions=tuple(
                    (index, fn)
                    for index, column in enumerate(columns)
                    if (fn := column.type.dialect_impl(dialect).result_processor(dialect, None))
                ),
            )
            self._compiled[key] = found
        return found

    def rows(self, conn: Connection, params: dict[str, Any]) -> list[Row]:
        """Every row, as tuples in the statement's column order."""
        if not observed(conn):
            compiled = self._compile(conn.dialect)
            if not conn.in_transaction():
                conn.begin()  # what Connection.execute's autobegin would do
            values = {**compiled.defaults, **params} if compiled.defaults else dict(params)
            for name, process in compiled.binds:
                values[name] = process(values[name])
            bound: Any = (
                values if compiled.order is None else tuple(values[n] for n in compiled.order)
            )
            dbapi_connection = conn.connection.dbapi_connection
            assert dbapi_connection is not None
            try:
                cursor = dbapi_connection.cursor()
                try:
                    cursor.execute(compiled.sql, bound)
                    raw = cursor.fetchall()
                finally:
                    cursor.close()
            except conn.dialect.loaded_dbapi.Error:
                pass  # the ordinary path below raises SQLAlchemy's error, invalidating if needed
            else:
                if not compiled.conversions:
                    return [tuple(r) for r in raw]
                return [_convert(r, compiled.conversions) for r in raw]
        return [tuple(r) for r in conn.execute(self.statement, params)]

    def first(self, conn: Connection, params: dict[str, Any]) -> Row | None:
        """The first row, or None (for lookups by a unique key)."""
        found = self.rows(conn, params)
        return found[0] if found else None


def _convert(raw: Any, conversions: tuple[tuple[int, Callable[[Any], Any]], ...]) -> Row:
    values = list(raw)
    for index, fn in conversions:
        value = values[index]
        if value is not None:
            values[index] = fn(value)
    return tuple(values)
