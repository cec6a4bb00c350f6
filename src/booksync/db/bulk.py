"""Many rows per statement, straight to the driver: the bulk writer of the ledger and the bank.

A bulk import writes hundreds of thousands of entries and lines, and a first
bank sync as many statement lines and transaction ids, in one transaction.
Through the ORM every row pays for Python-side defaults (a UUIDv7 each),
SQLAlchemy's parameter processing and statement compilation, which cost
more than the database's own work.  So the bulk paths of
:mod:`booksync.ledger.writer` and of the statement importer share this
module, which does that work once per batch:

- ``uid``, ``version`` and ``created_at`` are filled in for a whole batch
  (one clock read, one ``os.urandom`` call; ``version`` is a literal ``1``);
- values go through each column's bind processor, looked up once per
  insert, so rows written here read back through the ORM like any other;
- a few hundred rows travel per statement (multi-row ``VALUES``): on SQLite
  a statement that may fire a trigger copies every page it touches to a
  statement journal first, and doing that once per few hundred rows instead
  of once per row halved the time of an import;
- new ids are taken before the insert when the caller needs them
  (:meth:`BulkSQL.new_ids`: the table's sequence on PostgreSQL, the next
  rowids under the write lock on SQLite) and written with the rows, so the
  insert returns nothing; otherwise they come back by ``RETURNING``, matched
  to their rows by uid, since the order of a multi-row ``VALUES``'s returned
  rows is not promised;
- rows may be given column by column (:meth:`BulkInsert.insert_columns`):
  each column is laid into the statement's parameters with one slice
  assignment and processed with one pass, and a value the same in every row
  (a company, a source, a run) is processed once.

On PostgreSQL the statements are written with ``$n`` placeholders and run
through psycopg's raw cursor: psycopg turns ``%s`` into ``$n`` by parsing
the query text on every execution and caches the result only for short
queries, and for a statement of 500 rows that took longer than running it.
Sent as they are, they are prepared by the server from the fifth run on.
Inserts that need no ids back go by ``COPY`` instead (see :data:`PG_COPY`),
which needs no statement at all.

Errors the driver raises here (a trigger's refusal above all) come out as
SQLAlchemy's ``DBAPIError``, as from any other statement, so the
application shows them alike (docs/architecture.md, "Errors").
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Table, column
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql import ColumnElement

from booksync.db.base import UTCDateTime, utcnow
from booksync.db.uuid7 import uuid7_ints

__all__ = [
    "PG_COPY",
    "ROWS_PER_STATEMENT",
    "BulkInsert",
    "BulkSQL",
    "Insert",
    "Same",
    "Stamps",
    "Statement",
    "bind_processor",
]

# Rows per statement: bound parameters stay far below SQLite's 32,766 and
# PostgreSQL's 65,535, and larger statements gain nothing measurable.
ROWS_PER_STATEMENT = 500
# PostgreSQL: inserts that need no ids back go by COPY rather than multi-row VALUES.
PG_COPY = True


def bind_processor(column: ColumnElement[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """The function that turns a Python value into what ``column`` stores on ``dialect``."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else _same


def _same(value: Any) -> Any:
    return value


class Stamps:
    """New rows' ``uid`` and ``created_at`` in the form the database stores them.

    Pickles to its dialect's name, so a producer process can stamp the rows
    of the next batch while the database writes the last one.
    """

    def __init__(self, dialect: Dialect) -> None:
        self._dialect_url = f"{dialect.name}+{dialect.driver}://"
        self._stamp = bind_processor(column(UTCDateTime.__name__, UTCDateTime()), dialect)
        if dialect.name == "sqlite":
            self.uid: Callable[[int], Any] = "{:032x}".format  # SQLAlchemy's CHAR(32) form
        else:
            self.uid = _uuid

    def __reduce__(self) -> tuple[Callable[[str], Stamps], tuple[str]]:
        return _stamps, (self._dialect_url,)

    def uids(self, count: int) -> list[Any]:
        """``count`` new UUIDv7s, increasing, in stored form."""
        return list(map(self.uid, uuid7_ints(count)))

    def stamp(self, instant: dt.datetime) -> Any:
        """``instant`` in stored form (``created_at``, ``posted_at``)."""
        return self._stamp(instant)

    def now(self) -> Any:
        """The current instant in stored form: every row of a batch gets the same one."""
        return self._stamp(utcnow())


def _stamps(dialect_url: str) -> Stamps:
    """:class:`Stamps` made anew from what it pickles to."""
    return Stamps(make_url(dialect_url).get_dialect()())


def _uuid(value: int) -> uuid.UUID:
    return uuid.UUID(int=value)


@dataclass(frozen=True, slots=True)
class Statement:
    """A statement over many rows: ``head`` holds ``{rows}``, ``row`` one ``{p}`` per value."""

    head: str
    row: str
    width: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "width", self.row.count("{p}"))


@dataclass(frozen=True, slots=True)
class Insert:
    """``INSERT INTO table``: ``columns`` take a value per row, ``constants`` the same in all.

    ``returning`` names what each inserted row gives back (``"uid, id"``).
    """

    table: str
    columns: tuple[str, ...]
    constants: Mapping[str, int | str | bool] = field(default_factory=dict)
    returning: str | None = None
    statement: Statement = field(init=False)

    def __post_init__(self) -> None:
        names = ", ".join((*self.columns, *self.constants))
        values = ", ".join(
            ["{p}"] * len(self.columns) + [_literal(v) for v in self.constants.values()]
        )
        tail = f" RETURNING {self.returning}" if self.returning else ""
        head = f"INSERT INTO {self.table} ({names}) VALUES {{rows}}{tail}"
        object.__setattr__(self, "statement", Statement(head, f"({values})"))

    @property
    def width(self) -> int:
        return len(self.columns)


def _literal(value: int | str | bool) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("'", "''") + "'"


def chunks(flat: Sequence[Any], width: int) -> Iterator[tuple[int, Sequence[Any]]]:
    """``(row count, values)`` per statement, from rows of ``width`` values laid end to end."""
    step = ROWS_PER_STATEMENT * width
    for start in range(0, len(flat), step):
        part = flat[start : start + step]
        yield len(part) // width, part


class BulkSQL:
    """Runs :class:`Statement`\\ s and :class:`Insert`\\ s over many rows on one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        if dialect.paramstyle == "qmark":
            self._numbered = False
        elif dialect.name == "postgresql":
            self._numbered = True
        else:  # pragma: no cover - the supported drivers are sqlite3 and psycopg
            raise NotImplementedError(f"parameter style {dialect.paramstyle}")
        self._cache: dict[tuple[Statement, int], str] = {}

    def text(self, statement: Statement, rows: int) -> str:
        """``statement`` with ``rows`` rows of placeholders, in the driver's style."""
        key = (statement, rows)
        sql = self._cache.get(key)
        if sql is None:
            width = statement.width
            pieces = statement.row.split("{p}")  # literals around the marks, braces and all
            if self._numbered:
                marks = [f"${n}" for n in range(1, rows * width + 1)]
            else:
                marks = ["?"] * (rows * width)
            values = ", ".join(
                "".join(
                    p + m for p, m in zip(pieces, [*marks[start : start + width], ""], strict=True)
                )
                for start in range(0, len(marks), width)
            )
            sql = self._cache[key] = statement.head.replace("{rows}", values)
        return sql

    def run(self, conn: Connection, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Execute ``sql`` on ``conn``'s driver connection; the rows it returns, if any."""
        driver = conn.connection.driver_connection
        assert driver is not None  # a connection in use always has one
        try:
            if self._numbered:
                from psycopg import RawCursor  # psycopg is only imported where it is used

                with RawCursor(driver) as cursor:
                    cursor.execute(sql, params)
                    return cursor.fetchall() if cursor.description else []
            cursor = driver.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(conn, sql, exc) from exc

    def execute(
        self, conn: Connection, statement: Statement, flat: Sequence[Any]
    ) -> list[tuple[Any, ...]]:
        """``statement`` over rows laid end to end in ``flat``; every row returned."""
        returned: list[tuple[Any, ...]] = []
        for count, params in chunks(flat, statement.width):
            returned += self.run(conn, self.text(statement, count), params)
        return returned

    def run_each(self, conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """``sql`` (a ``{p}`` for each value) once per row of ``rows``, by the driver's own
        ``executemany``: for updates by key, whose values (ids, amounts) need no bind
        processing, one statement prepared once instead of SQLAlchemy's work per row."""
        if not rows:
            return
        text = sql.replace("{p}", "%s" if self._numbered else "?")
        driver = conn.connection.driver_connection
        assert driver is not None
        try:
            if self._numbered:
                with driver.cursor() as cursor:
                    cursor.executemany(text, rows)
            else:
                driver.executemany(text, rows)
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(conn, text, exc) from exc

    def new_ids(self, conn: Connection, table: str, count: int) -> list[int]:
        """``count`` new ids of ``table``, increasing, taken before its rows are inserted.

        PostgreSQL hands them out from the table's own sequence, as an insert
        would.  SQLite gives a new row the highest id plus one: the ids after
        it are this transaction's as long as it holds the database's one write
        lock (it has written already); one that has not, and finds another
        writer committed meanwhile, fails to write rather than reuse an id.
        """
        if count <= 0:
            return []
        if self._numbered:
            return sorted(
                conn.exec_driver_sql(
                    f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
                    "FROM generate_series(1, %s)",
                    (count,),
                ).scalars()
            )
        first = int(
            conn.exec_driver_sql(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").scalar_one()
        )
        return list(range(first, first + count))

    def insert(self, conn: Connection, insert: Insert, flat: Sequence[Any]) -> None:
        """Insert rows laid end to end in ``flat`` (values in the order of ``insert.columns``)."""
        if self._numbered and PG_COPY and not insert.returning:
            self._copy(conn, insert, flat)
            return
        self.execute(conn, insert.statement, flat)

    def insert_returning_ids(
        self, conn: Connection, insert: Insert, flat: Sequence[Any], uids: Sequence[Any]
    ) -> list[int]:
        """Insert rows whose uids are ``uids``; their new ids in the same order.

        ``insert`` must return ``uid, id``.  Ids are matched back through the
        uids, since a multi-row ``VALUES`` does not promise the order of the
        rows it returns.
        """
        id_of = dict(self.execute(conn, insert.statement, flat))
        return [id_of[uid] for uid in uids]

    def _copy(self, conn: Connection, insert: Insert, flat: Sequence[Any]) -> None:
        """PostgreSQL's ``COPY ... FROM STDIN``: rows stream in, with no statement to parse."""
        driver = conn.connection.driver_connection
        assert driver is not None
        names = ", ".join((*insert.columns, *insert.constants))
        sql = f"COPY {insert.table} ({names}) FROM STDIN"
        width, constants = insert.width, tuple(insert.constants.values())
        try:
            with driver.cursor() as cursor, cursor.copy(sql) as copy:
                write = copy.write_row
                for start in range(0, len(flat), width):
                    write((*flat[start : start + width], *constants))
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(conn, sql, exc) from exc


def _wrapped(conn: Connection, sql: str, exc: Exception) -> StatementError:
    """A driver's error as SQLAlchemy raises it from any other statement."""
    return DBAPIError.instance(sql, None, exc, conn.dialect.loaded_dbapi.Error)


def _repeats(value: Any) -> Any:
    """A memo key: equal keys, equal processed values.

    Aware datetimes in different zones can be equal yet format differently,
    so a datetime's key carries its offset.
    """
    return (value, value.utcoffset()) if isinstance(value, dt.datetime) else value


@dataclass(frozen=True, slots=True)
class Same:
    """A column's value in every row of an insert (a company, a source, a run)."""

    value: Any


Column = Sequence[Any] | Same


def _processed(values: Sequence[Any], process: Callable[[Any], Any], repeats: bool) -> list[Any]:
    """``values`` in stored form; when they ``repeat``, each distinct one is processed once.

    Dates and booleans are their own memo keys; datetimes are keyed with their
    offset (see :func:`_repeats`), and only when at most half of them differ: a
    provider's instants seldom repeat, and remembering each would cost more than
    formatting it.
    """
    if not repeats:
        return [None if v is None else process(v) for v in values]
    distinct = set(values)
    if not any(isinstance(v, dt.datetime) for v in distinct):
        memo = {v: None if v is None else process(v) for v in distinct}
        return [memo[v] for v in values]
    if 2 * len(distinct) > len(values):
        return [None if v is None else process(v) for v in values]
    keyed: dict[Any, Any] = {}
    out: list[Any] = []
    add = out.append
    for value in values:
        if value is None:
            add(None)
            continue
        key = _repeats(value)
        done = keyed.get(key)
        if done is None:
            done = keyed[key] = process(value)
        add(done)
    return out


class BulkInsert:
    """``INSERT`` of many rows of one table; ``uid``, ``version``, ``created_at`` filled in.

    Dates, datetimes and booleans repeat across a bank account's rows (a few
    dozen posting days in a hundred thousand lines), so their processed
    values are remembered per insert instead of formatted again for every row.
    """

    def __init__(self, conn: Connection, table: Table, columns: Sequence[str]) -> None:
        dialect = conn.dialect
        self.conn = conn
        self.table = table.name
        self._sql = BulkSQL(dialect)
        self._stamps = Stamps(dialect)
        names = ("uid", "created_at", *columns)
        self._plain = Insert(table.name, names, {"version": 1})
        self._with_ids = Insert(table.name, ("id", *names), {"version": 1})
        self._returning = Insert(table.name, names, {"version": 1}, returning="uid, id")
        self._width = len(columns)
        # Each processed column's place among ``columns``, its processor, and whether
        # its values repeat (dates, datetimes, booleans).
        self._process: dict[int, tuple[Callable[[Any], Any], bool]] = {}
        for i, name in enumerate(columns):
            kind = table.c[name].type
            process = kind.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                self._process[i] = (process, isinstance(kind, Date | DateTime | Boolean))
        self._created = bind_processor(table.c.created_at, dialect)(utcnow())

    def _flat(
        self, count: int, columns: Sequence[Column], lead: Sequence[Sequence[Any]]
    ) -> list[Any]:
        """Every row's values end to end, in stored form: ``lead``'s columns (ids, uids)
        first, then ``created_at`` and ``columns``."""
        if len(columns) != self._width:
            raise ValueError(f"{len(columns)} columns given, {self._width} expected")
        width = len(lead) + 1 + self._width
        flat: list[Any] = [None] * (count * width)
        for index, values in enumerate(lead):
            flat[index::width] = values
        flat[len(lead)::width] = [self._created] * count
        for i, given in enumerate(columns):
            index = len(lead) + 1 + i
            process, repeats = self._process.get(i, (None, False))
            if isinstance(given, Same):
                value = given.value
                if value is not None:
                    flat[index::width] = [value if process is None else process(value)] * count
                continue
            if len(given) != count:
                raise ValueError(f"a column of {len(given)} values for {count} rows")
            flat[index::width] = given if process is None else _processed(given, process,
                                                                           repeats)
        return flat

    def insert(self, rows: Sequence[Sequence[Any]]) -> None:
        """Insert ``rows`` (values in the order of ``columns``)."""
        if rows:
            self.insert_columns(len(rows), list(zip(*rows, strict=True)))

    def insert_columns(self, count: int, columns: Sequence[Column], *, ids: bool = False
                       ) -> list[int]:
        """Insert ``count`` rows given column by column (in the order of ``columns``,
        each ``count`` values or one :class:`Same`); with ``ids``, the rows' new ids are
        taken first (:meth:`BulkSQL.new_ids`) and returned in the order of the rows."""
        if count <= 0:
            return []
        uids = self._stamps.uids(count)
        if not ids:
            self._sql.insert(self.conn, self._plain, self._flat(count, columns, [uids]))
            return []
        new = self._sql.new_ids(self.conn, self.table, count)
        self._sql.insert(self.conn, self._with_ids, self._flat(count, columns, [new, uids]))
        return new

    def insert_returning_ids(self, rows: Sequence[Sequence[Any]]) -> list[int]:
        """Insert ``rows`` and return their new ids in the same order, by ``RETURNING``."""
        if not rows:
            return []
        uids = self._stamps.uids(len(rows))
        flat = self._flat(len(rows), list(zip(*rows, strict=True)), [uids])
        return self._sql.insert_returning_ids(self.conn, self._returning, flat, uids)
