"""The one list grammar: limit/offset/sort/filter, validated against declared fields.

Parsing is pure (no SQL) so it can be property-tested; `apply` turns a parsed query into
SQLAlchemy clauses. Operator names are MUI X Data Grid's, so the portal maps its filter
model one to one.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    false,
    func,
    not_,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from keyhouse.core.errors import InvalidQuery

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
MAX_OFFSET = 10_000_000
MAX_FILTERS = 10
MAX_VALUE_LENGTH = 200


class FieldType(Enum):
    TEXT = "text"
    DATE = "date"
    DATETIME = "datetime"
    ENUM = "enum"
    NUMBER = "number"


OPERATORS: dict[FieldType, frozenset[str]] = {
    FieldType.TEXT: frozenset(
        {"contains", "equals", "startsWith", "endsWith", "isEmpty", "isNotEmpty"}
    ),
    FieldType.DATE: frozenset(
        {"is", "not", "after", "onOrAfter", "before", "onOrBefore", "isEmpty", "isNotEmpty"}
    ),
    FieldType.DATETIME: frozenset(
        {"is", "not", "after", "onOrAfter", "before", "onOrBefore", "isEmpty", "isNotEmpty"}
    ),
    FieldType.ENUM: frozenset({"is", "not", "isAnyOf"}),
    FieldType.NUMBER: frozenset({"=", "!=", ">", ">=", "<", "<="}),
}
AnySelect = Select[*tuple[Any, ...]]
VALUELESS = frozenset({"isEmpty", "isNotEmpty"})

_END_OF_TIME = datetime.max.replace(tzinfo=UTC)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")


@dataclass(frozen=True)
class ListField:
    """A field a list can be sorted or filtered by.

    `columns` are what text filters match (any of them); `sort_by` is the sort expression
    (first column by default); `match` maps an enum value to a condition (equality by default).
    """

    name: str
    type: FieldType
    columns: tuple[Any, ...] = ()
    sortable: bool = True
    filterable: bool = True
    values: tuple[str, ...] = ()
    sort_by: Any = None
    match: Callable[[str], ColumnElement[bool]] | None = None
    # Text columns whose stored value is already lower-cased (so the index can serve).
    lowered: bool = False
    # For a sort expression computed per row that takes one value per segment (a key's
    # status): the segments' conditions, in ascending order of that value. `page_ids` then
    # reads each segment in tiebreak order, which an index serves.
    segments: tuple[ColumnElement[bool], ...] = ()
    # A field's own operators, narrower than its type's (empty: all of the type's).
    operators: frozenset[str] = frozenset()
    # NUMBER: the whole numbers accepted, and `compare(operator, value)` for a value that
    # is computed rather than stored (else the first column is compared).
    bounds: tuple[int, int] = (0, 2**31 - 1)
    compare: Callable[[str, int], ColumnElement[bool]] | None = None
    # Its value changes without the list's state number changing (a key's last use, which
    # verification stamps): `page_ids` never remembers a count that depends on it.
    volatile: bool = False


@dataclass(frozen=True)
class Filter:
    field: str
    operator: str
    value: Any  # str for text, date/datetime for dates, tuple[str, ...] for enums, int, None


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool


@dataclass(frozen=True)
class ListQuery:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    sort: tuple[SortKey, ...] = ()
    filters: tuple[Filter, ...] = field(default_factory=tuple)


def _int(name: str, raw: str | None, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"\d{1,12}", raw):
        raise InvalidQuery(f"{name} must be a whole number from {low} to {high}")
    value = int(raw)
    if not low <= value <= high:
        raise InvalidQuery(f"{name} must be a whole number from {low} to {high}")
    return value


def _parse_date(field_name: str, raw: str) -> date:
    if not _DATE.fullmatch(raw):
        raise InvalidQuery(f"filter on {field_name}: '{raw}' is not a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidQuery(f"filter on {field_name}: '{raw}' is not a real date") from None


def _parse_datetime_value(field_name: str, raw: str) -> date | datetime:
    if _DATE.fullmatch(raw):
        return _parse_date(field_name, raw)
    if not _DATETIME.fullmatch(raw):
        raise InvalidQuery(
            f"filter on {field_name}: '{raw}' is not a date (YYYY-MM-DD) "
            "or a date-time with an offset"
        )
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: the offset leaves year 1..9999
        raise InvalidQuery(f"filter on {field_name}: '{raw}' is not a real date-time") from None


def parse_filter(raw: str, fields: dict[str, ListField]) -> Filter:
    parts = raw.split(":", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise InvalidQuery(f"filter '{_clip(raw)}' must be field:operator:value")
    name, operator = parts[0], parts[1]
    value = parts[2] if len(parts) == 3 else None
    spec = fields.get(name)
    if spec is None or not spec.filterable:
        raise InvalidQuery(
            f"cannot filter on '{_clip(name)}'; filterable fields: "
            + ", ".join(n for n, f in fields.items() if f.filterable)
        )
    allowed = spec.operators or OPERATORS[spec.type]
    if operator not in allowed:
        raise InvalidQuery(
            f"operator '{_clip(operator)}' does not apply to {name}; use one of: "
            + ", ".join(sorted(allowed))
        )
    if operator in VALUELESS:
        if value:
            raise InvalidQuery(f"filter on {name}: {operator} takes no value")
        return Filter(name, operator, None)
    if value is None or value == "":
        raise InvalidQuery(f"filter on {name}: {operator} needs a value")
    if len(value) > MAX_VALUE_LENGTH:
        raise InvalidQuery(f"filter on {name}: value longer than {MAX_VALUE_LENGTH} characters")
    if spec.type is FieldType.TEXT:
        return Filter(name, operator, value)
    if spec.type is FieldType.DATE:
        return Filter(name, operator, _parse_date(name, value))
    if spec.type is FieldType.DATETIME:
        return Filter(name, operator, _parse_datetime_value(name, value))
    if spec.type is FieldType.NUMBER:
        low, high = spec.bounds
        if not re.fullmatch(r"\d{1,12}", value) or not low <= int(value) <= high:
            raise InvalidQuery(
                f"filter on {name}: '{_clip(value)}' is not a whole number from {low} to {high}"
            )
        return Filter(name, operator, int(value))
    items = tuple(value.split(",")) if operator == "isAnyOf" else (value,)
    for item in items:
        if item not in spec.values:
            raise InvalidQuery(
                f"filter on {name}: '{_clip(item)}' is not one of " + ", ".join(spec.values)
            )
    return Filter(name, operator, items)


def parse_sort(raw: str, fields: dict[str, ListField]) -> tuple[SortKey, ...]:
    keys: list[SortKey] = []
    for part in raw.split(","):
        descending = part.startswith("-")
        name = part[1:] if descending else part
        spec = fields.get(name)
        if spec is None or not spec.sortable:
            raise InvalidQuery(
                f"cannot sort by '{_clip(name)}'; sortable fields: "
                + ", ".join(n for n, f in fields.items() if f.sortable)
            )
        if any(k.field == name for k in keys):
            raise InvalidQuery(f"sort names {name} twice")
        keys.append(SortKey(name, descending))
    return tuple(keys)


def parse_list_query(
    fields: dict[str, ListField],
    *,
    limit: str | None = None,
    offset: str | None = None,
    sort: str | None = None,
    filters: Sequence[str] = (),
) -> ListQuery:
    if len(filters) > MAX_FILTERS:
        raise InvalidQuery(f"at most {MAX_FILTERS} filters")
    return ListQuery(
        limit=_int("limit", limit, DEFAULT_LIMIT, 1, MAX_LIMIT),
        offset=_int("offset", offset, 0, 0, MAX_OFFSET),
        sort=parse_sort(sort, fields) if sort else (),
        filters=tuple(parse_filter(f, fields) for f in filters),
    )


def _clip(text: str, length: int = 40) -> str:
    return text if len(text) <= length else text[:length] + "…"


def _like_escape(value: str) -> str:
    # % and _ are literal: the user typed them, not a pattern.
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _text_condition(spec: ListField, operator: str, value: str | None) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    for column in spec.columns:
        if operator == "isEmpty":
            conditions.append(or_(column.is_(None), column == ""))
            continue
        if operator == "isNotEmpty":
            conditions.append(and_(column.is_not(None), column != ""))
            continue
        assert value is not None
        target = column if spec.lowered else func.lower(column)
        needle = value.lower()
        if operator == "equals":
            conditions.append(target == needle)
            continue
        pattern = {
            "contains": f"%{_like_escape(needle)}%",
            "startsWith": f"{_like_escape(needle)}%",
            "endsWith": f"%{_like_escape(needle)}",
        }[operator]
        conditions.append(target.like(pattern, escape="\\"))
    if operator == "isEmpty":
        return and_(*conditions)
    return or_(*conditions)


def _date_condition(spec: ListField, operator: str, value: Any) -> ColumnElement[bool]:
    column = spec.columns[0]
    if operator == "isEmpty":
        return column.is_(None)  # type: ignore[no-any-return]
    if operator == "isNotEmpty":
        return column.is_not(None)  # type: ignore[no-any-return]
    conditions: dict[str, ColumnElement[bool]]
    if spec.type is FieldType.DATE:
        conditions = {
            "is": column == value,
            "not": or_(column != value, column.is_(None)),
            "after": column > value,
            "onOrAfter": column >= value,
            "before": column < value,
            "onOrBefore": column <= value,
        }
        return conditions[operator]
    # A datetime column compared with a day covers that whole UTC day; compared with an
    # instant, the minute it names (the precision the portal shows).
    if isinstance(value, datetime):
        lo = value.replace(second=0, microsecond=0)
        step = timedelta(minutes=1)
    else:
        lo = datetime(value.year, value.month, value.day, tzinfo=UTC)
        step = timedelta(days=1)
    # The last day (or minute) of 9999 has no successor: end at the last instant instead.
    hi = lo + step if _END_OF_TIME - lo > step else _END_OF_TIME
    conditions = {
        "is": and_(column >= lo, column < hi),
        "not": or_(column < lo, column >= hi, column.is_(None)),
        "after": column >= hi,
        "onOrAfter": column >= lo,
        "before": column < lo,
        "onOrBefore": column < hi,
    }
    return conditions[operator]


def _enum_condition(spec: ListField, operator: str, values: tuple[str, ...]) -> ColumnElement[bool]:
    def one(value: str) -> ColumnElement[bool]:
        if spec.match is not None:
            return spec.match(value)
        return spec.columns[0] == value  # type: ignore[no-any-return]

    if operator == "is":
        return one(values[0])
    if operator == "not":
        return not_(one(values[0]))
    return or_(*(one(v) for v in values)) if values else false()


def condition(spec: ListField, flt: Filter) -> ColumnElement[bool]:
    if spec.type is FieldType.TEXT:
        return _text_condition(spec, flt.operator, flt.value)
    if spec.type is FieldType.ENUM:
        return _enum_condition(spec, flt.operator, flt.value)
    if spec.type is FieldType.NUMBER:
        return _number_condition(spec, flt.operator, flt.value)
    return _date_condition(spec, flt.operator, flt.value)


def _number_condition(spec: ListField, operator: str, value: int) -> ColumnElement[bool]:
    if spec.compare is not None:
        return spec.compare(operator, value)
    column = spec.columns[0]
    return {  # type: ignore[no-any-return]
        "=": column == value,
        "!=": or_(column != value, column.is_(None)),
        ">": column > value,
        ">=": column >= value,
        "<": column < value,
        "<=": column <= value,
    }[operator]


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int
    limit: int
    offset: int


def apply(
    stmt: AnySelect,
    query: ListQuery,
    fields: dict[str, ListField],
    *,
    tiebreak: Any,
    default_sort: tuple[SortKey, ...] = (),
) -> tuple[AnySelect, Select[int]]:
    """The page statement and the count statement for `stmt` under `query`."""
    where = [condition(fields[f.field], f) for f in query.filters]
    filtered = stmt.where(and_(true(), *where)) if where else stmt
    count = select(func.count()).select_from(filtered.order_by(None).subquery())
    order: list[Any] = []
    for key in query.sort or default_sort:
        order.append(_sort_expr(sort_expression(fields[key.field]), key.descending))
    descending_tiebreak = bool(order) and (query.sort or default_sort)[-1].descending
    order.append(tiebreak.desc() if descending_tiebreak else tiebreak.asc())
    page = filtered.order_by(*order).limit(query.limit).offset(query.offset)
    return page, count


def sort_expression(spec: ListField) -> Any:
    return spec.sort_by if spec.sort_by is not None else spec.columns[0]


def _not_null(expr: Any) -> bool:
    column = getattr(expr, "expression", expr)  # an ORM attribute's column
    return getattr(column, "nullable", True) is False


def _same(a: Any, b: Any) -> bool:
    return a is b or bool(getattr(a, "expression", a).compare(getattr(b, "expression", b)))


def _sort_expr(expr: Any, descending: bool, *, not_null: bool = False) -> Any:
    """`expr` in one direction, nulls counting as the smallest value on every engine.

    No NULLS clause where the column cannot be null (or the rows are known to have a value):
    PostgreSQL serves an ORDER BY from an index only when the null placement agrees with
    the index's, and its default is the opposite of ours.
    """
    if not_null or _not_null(expr):
        return expr.desc() if descending else expr.asc()
    return expr.desc().nulls_last() if descending else expr.asc().nulls_first()


# --- Pages at scale ---------------------------------------------------------------------
#
# `apply` hands the database one ORDER BY ... LIMIT ... OFFSET over whole rows, plus a count
# of a subquery: fine for short lists, but a deep page walks (and sorts) every row before it.
# `page_ids` does the same work in statements an index can serve: the size of each run of
# the order (remembered per state of the list when the caller says how to name that state),
# then the ids of the page, read from whichever end of its run is nearer, from a covering
# index. The caller loads the page's rows by id. docs/performance.md shows the plans.


@dataclass(frozen=True)
class _Run:
    """Consecutive rows of the sort order: those meeting `condition`, in `order`."""

    condition: ColumnElement[bool] | None
    order: tuple[Any, ...]
    backwards: tuple[Any, ...]  # the same order reversed
    # What its size is remembered under (None: the run is every row, its size the total).
    key: tuple[str, ...] | None = None
    # Its condition depends on a volatile field: its size is never remembered.
    volatile: bool = False
    # The run whose size is best computed as the total minus the other runs' (the one
    # expected to be the largest: counting the others reads fewer index entries).
    derived: bool = False
    # The columns of `order` when they all go one way (`descending`): rows past a given
    # row of the run are then ranges of its index (empty: not so).
    keyset: tuple[Any, ...] = ()
    descending: bool = False


def _run(
    condition: ColumnElement[bool] | None,
    terms: list[tuple[Any, bool]],
    *,
    values: bool = False,
    key: tuple[str, ...] | None = None,
    volatile: bool = False,
    derived: bool = False,
    keyset: bool = False,
) -> _Run:
    """`values`: the condition leaves no nulls in the sort column. `keyset`: the terms are
    plain non-null columns, all in one direction."""
    return _Run(
        condition,
        tuple(_sort_expr(expr, desc, not_null=values) for expr, desc in terms),
        tuple(_sort_expr(expr, not desc, not_null=values) for expr, desc in terms),
        key,
        volatile,
        derived,
        tuple(expr for expr, _ in terms) if keyset else (),
        bool(terms) and terms[0][1],
    )


def _runs(keys: Sequence[SortKey], fields: dict[str, ListField], tiebreak: Any) -> list[_Run]:
    """The order as runs that are each `ORDER BY column, tiebreak` (or tiebreak alone).

    A non-null column is one run. A nullable one is two: its nulls (the smallest values)
    by tiebreak, and the others by value. A field with `segments` is a run per segment, by
    tiebreak. Several sort keys make one run with the whole order (which needs a sort).
    """
    if len(keys) != 1:
        terms = [(sort_expression(fields[k.field]), k.descending) for k in keys]
        terms.append((tiebreak, bool(keys) and keys[-1].descending))
        return [_run(None, terms)]
    key = keys[0]
    spec = fields[key.field]
    desc = key.descending
    if spec.segments:
        segments = [
            _run(
                condition,
                [(tiebreak, desc)],
                key=("segment", spec.name, str(i)),
                volatile=spec.volatile,
                derived=i == 0,
            )
            for i, condition in enumerate(spec.segments)
        ]
        return segments[::-1] if desc else segments
    expr = sort_expression(spec)
    by_value = [(expr, desc)] if _same(expr, tiebreak) else [(expr, desc), (tiebreak, desc)]
    if _not_null(expr):
        return [_run(None, by_value, keyset=True)]
    nulls = _run(
        expr.is_(None), [(tiebreak, desc)], key=("nulls", spec.name), volatile=spec.volatile
    )
    values = _run(
        expr.is_not(None),
        by_value,
        values=True,
        key=("values", spec.name),
        volatile=spec.volatile,
        derived=True,
    )
    return [values, nulls] if desc else [nulls, values]


class SizeCache:
    """Sizes of list runs remembered in this process: a bounded LRU, shared by threads.

    Every key begins with what names the exact state of the rows counted (`Remembered`),
    so an entry is never wrong, only no longer asked for once that state has passed; it
    then ages out.
    """

    def __init__(self, maxsize: int = 4096) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[Hashable, int] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> int | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: int) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True)
class Remembered:
    """Where `page_ids` may reuse and remember run sizes, and under what name.

    `state` must name the list's rows exactly as the page's transaction reads them: for a
    key list, the organization, its `keys_version` read in that transaction, and the day
    and expiry warning the status segments are computed for. `unchanged()` reads the state
    again, in the same transaction, after the page: a size is used or stored only if it
    still names the same state, so every statement in between (PostgreSQL's READ COMMITTED
    gives each its own snapshot) saw exactly that state.
    """

    cache: SizeCache
    state: Hashable
    unchanged: Callable[[], bool]


def page_ids(
    session: Session,
    ids: AnySelect,
    query: ListQuery,
    fields: dict[str, ListField],
    *,
    tiebreak: Any,
    default_sort: tuple[SortKey, ...] = (),
    remembered: Remembered | None = None,
) -> tuple[list[Any], int]:
    """The ids on the page `query` asks for, in order, and the total.

    `ids` selects the id column (`tiebreak`) of the list's rows, with the list's own
    conditions (its organization, say); `query`'s filters are added here. Same rows, same
    order as `apply`. With `remembered`, run sizes counted once for a state of the list
    are reused for that state (never those depending on a volatile field).
    """
    where = [condition(fields[f.field], f) for f in query.filters]
    base = ids.where(*where) if where else ids
    runs = _runs(query.sort or default_sort, fields, tiebreak)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # Plans for the values at hand. psycopg prepares a statement once a connection has
        # run it five times, and PostgreSQL's generic plan for these (a LIKE pattern and
        # date bounds it cannot see) sorts the whole run: 50-60 ms instead of 4.
        connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
    if remembered is not None and not any(fields[f.field].volatile for f in query.filters):
        found = _remembered_page(session, base, runs, query, remembered)
        if found is not None:
            return found
    return _counted_page(session, base, runs, query)


def _counted_page(
    session: Session, base: AnySelect, runs: list[_Run], query: ListQuery
) -> tuple[list[Any], int]:
    """Everything counted afresh."""
    if len(runs) == 1:
        return _one_pass(session, base, runs[0], query.offset, query.limit)
    # The size of each run: one count per run, each a range of the run's index (together
    # one pass over the rows; a single count with a FILTER per run measured slower).
    sizes = [_count(session, base, run) for run in runs]
    return _page(session, base, runs, sizes, query.offset, query.limit), sum(sizes)


def _remembered_page(
    session: Session, base: AnySelect, runs: list[_Run], query: ListQuery, remembered: Remembered
) -> tuple[list[Any], int] | None:
    """The page, counting only the run sizes not remembered for this state (and the
    volatile ones); None if the state changed while it was read (the caller counts afresh).
    """
    cache = remembered.cache
    prefix = (remembered.state, query.filters)
    total = cache.get((prefix, "total"))
    sizes: list[int | None] = [
        total if run.key is None else None if run.volatile else cache.get((prefix, run.key))
        for run in runs
    ]
    reused = total is not None or any(size is not None for size in sizes)
    missing = [i for i, size in enumerate(sizes) if size is None]
    if missing and total is None and len(runs) == 1:
        # Nothing known of a single run: one pass gives the page and the total.
        found, total = _one_pass(session, base, runs[0], query.offset, query.limit)
        if remembered.unchanged():
            cache.put((prefix, "total"), total)
        return found, total
    learned: dict[Hashable, int] = {}
    if missing and total is not None:
        # The total is known: count every missing run but one, which is what remains.
        derived = next((i for i in missing if runs[i].derived), missing[-1])
        for i in missing:
            if i != derived:
                sizes[i] = _count(session, base, runs[i])
        sizes[derived] = total - sum(s or 0 for i, s in enumerate(sizes) if i != derived)
    else:
        for i in missing:
            sizes[i] = _count(session, base, runs[i])
    for i in missing:
        if runs[i].key is not None and not runs[i].volatile:
            learned[(prefix, runs[i].key)] = sizes[i] or 0
    known = [size for size in sizes if size is not None]
    if total is None:
        total = sum(known)
        learned[(prefix, "total")] = total
    if len(known) != len(runs) or any(size < 0 for size in known):
        return None  # the remembered total and a run counted now disagree: a new state
    found = _page(session, base, runs, known, query.offset, query.limit)
    if (reused or learned) and not remembered.unchanged():
        return None
    for key, value in learned.items():
        cache.put(key, value)
    return found, total


def _one_pass(
    session: Session, base: AnySelect, run: _Run, offset: int, limit: int
) -> tuple[list[Any], int]:
    """A single run's page and size when its size is not known.

    The first page: a count (over the narrowest index the database finds) and the page's
    few entries. Any other page: one pass over the run's own index wherever the page is
    (PostgreSQL's cursor walk, SQLite's skim), where a count and then the page from the
    nearer end walk up to one and a half.
    """
    if offset > 0:
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            return _walk(connection, base, [run], offset, limit)
        if run.keyset:
            return _skim(session, base, run, offset, limit)
    size = _count(session, base, run)
    return _page(session, base, [run], [size], offset, limit), size


def _skim(
    session: Session, base: AnySelect, run: _Run, offset: int, limit: int
) -> tuple[list[Any], int]:
    """SQLite: the page read forward, then the rows after its last one counted as ranges
    of the same index (past the last row's first column; equal to it and past its second;
    ...). The keyset columns are read and compared as stored (no type conversion), so the
    ranges are exactly the index's order.
    """
    stored = [type_coerce(column, NullType()) for column in run.keyset]
    stmt = base if run.condition is None else base.where(run.condition)
    rows = session.execute(
        stmt.add_columns(*(column.label(f"keyset_{i}") for i, column in enumerate(stored)))
        .order_by(*run.order)
        .limit(limit)
        .offset(offset)
    ).all()
    found = [row[0] for row in rows]
    if len(rows) < limit:
        if rows or not offset:
            return found, offset + len(rows)  # the run ends on this page
        return found, _count(session, base, run)  # the page is past the end
    last = rows[-1][1:]
    after = 0
    for depth, column in enumerate(stored):
        same = [stored[i] == last[i] for i in range(depth)]
        past = column < last[depth] if run.descending else column > last[depth]
        counted = stmt.where(*same, past).with_only_columns(func.count())
        after += int(session.execute(counted).scalar_one())
    return found, offset + len(rows) + after


def _count(session: Session, base: AnySelect, run: _Run) -> int:
    counted = base if run.condition is None else base.where(run.condition)
    return int(session.execute(counted.with_only_columns(func.count())).scalar_one())


def _page(
    session: Session, base: AnySelect, runs: list[_Run], sizes: list[int], offset: int, limit: int
) -> list[Any]:
    """The page's ids, knowing each run's size: from each run the page overlaps, read from
    the nearer end of that run."""
    wanted_from, wanted_to = offset, min(offset + limit, sum(sizes))
    found: list[Any] = []
    start = 0
    for run, size in zip(runs, sizes, strict=True):
        low, high = max(wanted_from, start) - start, min(wanted_to, start + size) - start
        if low < high:
            found.extend(_read(session, base, run, size, low, high - low))
        start += size
    return found


def _read(
    session: Session, base: AnySelect, run: _Run, size: int, skip: int, take: int
) -> list[Any]:
    stmt = base if run.condition is None else base.where(run.condition)
    if 2 * skip + take > size:  # nearer the end: walk in from there
        backwards = stmt.order_by(*run.backwards).limit(take).offset(size - skip - take)
        return list(session.scalars(backwards))[::-1]
    return list(session.scalars(stmt.order_by(*run.order).limit(take).offset(skip)))


_CURSORS = itertools.count()


def _walk(
    connection: Connection, base: AnySelect, runs: list[_Run], offset: int, limit: int
) -> tuple[list[Any], int]:
    """PostgreSQL: the page and the total in one pass over the order's index.

    A server-side cursor per run, in order: MOVE over the rows before the page, FETCH the
    page, MOVE over the rest, which counts it. The count and the page walk the same index
    entries once, wherever the page is (a count, then a page read from the nearer end,
    walk up to one and a half times the rows). Used for single-run orders whose total is
    not known: without a LIMIT, PostgreSQL plans a nullable column's or a segmented order's
    runs with a sort, and the count-then-read path measures faster there
    (docs/performance.md).
    """
    dialect = connection.dialect
    found: list[Any] = []
    total = 0
    for run in runs:
        stmt = base if run.condition is None else base.where(run.condition)
        compiled = stmt.order_by(*run.order).compile(dialect=dialect)
        params = compiled.construct_params()
        for name, bind in compiled.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None and name in params:
                params[name] = process(params[name])
        cursor = f"keyhouse_page_{next(_CURSORS)}"
        connection.exec_driver_sql(f"DECLARE {cursor} NO SCROLL CURSOR FOR {compiled}", params)
        try:
            size = 0
            skip = max(offset - total, 0)
            if skip:
                size += connection.exec_driver_sql(f"MOVE FORWARD {skip} FROM {cursor}").rowcount
            take = limit - len(found)
            if take > 0 and size == skip:
                page = connection.exec_driver_sql(f"FETCH FORWARD {take} FROM {cursor}")
                rows = [row[0] for row in page]
                found.extend(rows)
                size += len(rows)
            size += connection.exec_driver_sql(f"MOVE FORWARD ALL FROM {cursor}").rowcount
        finally:
            connection.exec_driver_sql(f"CLOSE {cursor}")
        total += size
    return found, total


@dataclass(frozen=True)
class ListParams:
    """The raw list parameters of a request, parsed per list against its own fields."""

    limit: str | None
    offset: str | None
    sort: str | None
    filters: tuple[str, ...]

    def parse(self, fields: dict[str, ListField]) -> ListQuery:
        return parse_list_query(
            fields, limit=self.limit, offset=self.offset, sort=self.sort, filters=self.filters
        )
