"""The list grammar: property tests of the pure parser, and literal % and _ in the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import column, func, select

from keyhouse.api_keys import service as keys_service
from keyhouse.auth.principal import Principal as Actor
from keyhouse.core import clock
from keyhouse.core.db import Database
from keyhouse.core.errors import InvalidQuery
from keyhouse.core.listing import (
    DEFAULT_LIMIT,
    MAX_VALUE_LENGTH,
    OPERATORS,
    VALUELESS,
    FieldType,
    Filter,
    ListField,
    ListQuery,
    SizeCache,
    SortKey,
    condition,
    parse_filter,
    parse_list_query,
    parse_sort,
)
from keyhouse.organizations import service as orgs

FIELDS: dict[str, ListField] = {
    "title": ListField("title", FieldType.TEXT, (column("title"),)),
    "due": ListField("due", FieldType.DATE, (column("due"),)),
    "seen": ListField("seen", FieldType.DATETIME, (column("seen"),)),
    "role": ListField("role", FieldType.ENUM, (column("role"),), values=("editor", "viewer")),
    "secret": ListField("secret", FieldType.TEXT, (column("secret"),), sortable=False),
    "hidden": ListField("hidden", FieldType.TEXT, (column("hidden"),), filterable=False),
}
TEXT_OPS = sorted(OPERATORS[FieldType.TEXT] - VALUELESS)
DATE_OPS = sorted(OPERATORS[FieldType.DATE] - VALUELESS)
ALL_OPS = sorted(set().union(*OPERATORS.values()))

# Filter values: anything non-empty, colons and commas included, within the length limit.
values = st.text(min_size=1, max_size=MAX_VALUE_LENGTH).filter(lambda v: "\x00" not in v)
names = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ_-.", min_size=1, max_size=20)


def refused(match: str, call, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    """Assert `call` raises InvalidQuery naming `match`; the message."""
    with pytest.raises(InvalidQuery) as info:
        call(*args, **kwargs)
    assert info.value.code == "invalid_query" and info.value.status == 400
    assert match in info.value.detail, info.value.detail
    return info.value.detail


# --- valid input parses to the right Filter / SortKey ---------------------------------------


@given(st.sampled_from(TEXT_OPS), values)
def test_text_filter_keeps_the_whole_value(operator: str, value: str) -> None:
    assert parse_filter(f"title:{operator}:{value}", FIELDS) == Filter("title", operator, value)


@given(
    st.sampled_from(TEXT_OPS),
    st.lists(st.text(max_size=40).filter(lambda v: "\x00" not in v), min_size=2, max_size=4),
)
def test_value_with_colons_is_kept_whole(operator: str, parts: list[str]) -> None:
    value = ":".join(parts)
    assert parse_filter(f"title:{operator}:{value}", FIELDS).value == value


@pytest.mark.parametrize("field", ["title", "due", "seen"])
@pytest.mark.parametrize("operator", sorted(VALUELESS))
def test_valueless_operators(field: str, operator: str) -> None:
    assert parse_filter(f"{field}:{operator}", FIELDS) == Filter(field, operator, None)
    assert parse_filter(f"{field}:{operator}:", FIELDS) == Filter(field, operator, None)


@given(st.sampled_from(sorted(VALUELESS)), values)
def test_valueless_operator_with_a_value_is_refused(operator: str, value: str) -> None:
    refused("takes no value", parse_filter, f"title:{operator}:{value}", FIELDS)


@given(st.sampled_from(DATE_OPS), st.dates())
def test_date_filter_parses_iso_dates(operator: str, day: date) -> None:
    parsed = parse_filter(f"due:{operator}:{day.isoformat()}", FIELDS)
    assert parsed == Filter("due", operator, day)
    # A date-time field also takes a plain day (the whole UTC day).
    assert parse_filter(f"seen:{operator}:{day.isoformat()}", FIELDS).value == day


offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timedelta(minutes=m))


@given(
    st.sampled_from(DATE_OPS),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2999, 12, 31)),
    offsets,
    st.sampled_from(["minutes", "seconds", "microseconds", "milliseconds"]),
    st.booleans(),
)
def test_datetime_filter_parses_instants_with_an_offset(
    operator: str, moment: datetime, offset: timedelta, spec: str, zulu: bool
) -> None:
    aware = moment.replace(tzinfo=timezone(offset))
    if zulu:
        aware = moment.replace(tzinfo=UTC)
    text = aware.isoformat(timespec=spec)
    if zulu:
        text = text.replace("+00:00", "Z")
    parsed = parse_filter(f"seen:{operator}:{text}", FIELDS)
    assert parsed.operator == operator
    assert parsed.value.tzinfo is not None
    assert parsed.value == datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert parsed.value.utcoffset() == timedelta(0)


@given(st.lists(st.sampled_from(["editor", "viewer"]), min_size=1, max_size=4))
def test_enum_filters(items: list[str]) -> None:
    assert parse_filter(f"role:is:{items[0]}", FIELDS) == Filter("role", "is", (items[0],))
    assert parse_filter(f"role:not:{items[0]}", FIELDS) == Filter("role", "not", (items[0],))
    joined = ",".join(items)
    assert parse_filter(f"role:isAnyOf:{joined}", FIELDS) == Filter("role", "isAnyOf", tuple(items))


@given(
    st.lists(
        st.sampled_from(["title", "due", "seen", "role", "hidden"]),
        min_size=1,
        max_size=5,
        unique=True,
    ),
    st.lists(st.booleans(), min_size=5, max_size=5),
)
def test_sort_parses_fields_and_directions(fields: list[str], descending: list[bool]) -> None:
    raw = ",".join(("-" if d else "") + f for f, d in zip(fields, descending, strict=False))
    expected = tuple(SortKey(f, d) for f, d in zip(fields, descending, strict=False))
    assert parse_sort(raw, FIELDS) == expected


@given(
    st.integers(min_value=1, max_value=100),
    st.integers(min_value=0, max_value=10_000_000),
)
def test_limit_and_offset_in_range(limit: int, offset: int) -> None:
    query = parse_list_query(FIELDS, limit=str(limit), offset=str(offset))
    assert (query.limit, query.offset) == (limit, offset)


def test_defaults() -> None:
    assert parse_list_query(FIELDS) == ListQuery(DEFAULT_LIMIT, 0, (), ())
    assert parse_list_query(FIELDS, limit="", offset="", sort="") == ListQuery(25, 0, (), ())


def test_full_query() -> None:
    query = parse_list_query(
        FIELDS,
        limit="50",
        offset="100",
        sort="-due,title",
        filters=["title:contains:a", "role:isAnyOf:editor,viewer", "due:onOrBefore:2030-01-31"],
    )
    assert query == ListQuery(
        50,
        100,
        (SortKey("due", True), SortKey("title", False)),
        (
            Filter("title", "contains", "a"),
            Filter("role", "isAnyOf", ("editor", "viewer")),
            Filter("due", "onOrBefore", date(2030, 1, 31)),
        ),
    )


@pytest.mark.parametrize("operator", DATE_OPS)
@pytest.mark.parametrize(
    "value",
    ["0001-01-01", "9999-12-31", "0001-01-01T00:00Z", "9999-12-31T23:59Z", "9999-12-31T23:59:59Z"],
)
def test_extreme_dates_build_a_condition(operator: str, value: str) -> None:
    # The day (or minute) after the last one does not exist: no OverflowError (a 500).
    for field in ("due", "seen"):
        if field == "due" and "T" in value:
            continue
        parsed = parse_filter(f"{field}:{operator}:{value}", FIELDS)
        assert condition(FIELDS[field], parsed) is not None


@pytest.mark.parametrize("value", ["0001-01-01T00:00+01:00", "9999-12-31T23:59-01:00"])
def test_instant_outside_the_calendar_in_utc_is_refused(value: str) -> None:
    refused("not a real date-time", parse_filter, f"seen:is:{value}", FIELDS)


# --- refusals name the offending part -------------------------------------------------------


@given(names.filter(lambda n: n not in FIELDS), st.sampled_from(ALL_OPS), values)
def test_unknown_filter_field_is_refused(name: str, operator: str, value: str) -> None:
    detail = refused(f"'{name}'", parse_filter, f"{name}:{operator}:{value}", FIELDS)
    assert "filterable fields: title, due, seen, role, secret" in detail


def test_unfilterable_field_is_refused() -> None:
    refused("'hidden'", parse_filter, "hidden:contains:x", FIELDS)


@given(
    st.sampled_from(["title", "due", "seen", "role"]),
    names,
    values,
)
def test_unknown_operator_is_refused(field: str, operator: str, value: str) -> None:
    if operator in OPERATORS[FIELDS[field].type]:
        return
    refused(f"operator '{operator}'", parse_filter, f"{field}:{operator}:{value}", FIELDS)


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ("title:after:x", "operator 'after'"),  # a date operator on text
        ("due:contains:2030-01-01", "operator 'contains'"),  # a text operator on a date
        ("role:contains:editor", "operator 'contains'"),
        ("role:isEmpty", "operator 'isEmpty'"),
        ("title:Contains:x", "operator 'Contains'"),  # operator names are exact
        ("Title:contains:x", "'Title'"),  # so are field names
        ("title", "field:operator:value"),
        ("title:", "field:operator:value"),
        (":contains:x", "field:operator:value"),
        ("", "field:operator:value"),
        ("title:contains", "needs a value"),
        ("title:contains:", "needs a value"),
        ("role:isAnyOf:", "needs a value"),
        ("title:contains:" + "x" * (MAX_VALUE_LENGTH + 1), "longer than"),
    ],
)
def test_malformed_filters_are_refused(raw: str, match: str) -> None:
    refused(match, parse_filter, raw, FIELDS)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("due", "2025-02-30", "not a real date"),
        ("due", "2025-13-01", "not a real date"),
        ("due", "2025-00-10", "not a real date"),
        ("due", "2025-2-3", "'2025-2-3' is not a date"),
        ("due", "20250203", "is not a date"),
        ("due", "2025-02-03T10:00", "is not a date"),
        ("due", "2025-02-03T10:00:00Z", "is not a date"),
        ("due", "2025-02-03 ", "is not a date"),
        ("due", "yesterday", "'yesterday' is not a date"),
        ("seen", "2025-02-30", "not a real date"),
        ("seen", "2025-2-3", "is not a date"),
        ("seen", "2025-02-03T10:00", "or a date-time with an offset"),  # no offset
        ("seen", "2025-02-03T10:00:00", "or a date-time with an offset"),
        ("seen", "2025-02-03T25:00Z", "not a real date-time"),
        ("seen", "2025-02-30T10:00Z", "not a real date-time"),
        ("seen", "2025-02-03T10:00+5:00", "is not a date"),
    ],
)
def test_malformed_dates_are_refused(field: str, value: str, match: str) -> None:
    detail = refused(match, parse_filter, f"{field}:is:{value}", FIELDS)
    assert f"filter on {field}" in detail


@given(st.sampled_from(DATE_OPS), st.text(min_size=1, max_size=30))
def test_date_filter_accepts_only_real_iso_dates(operator: str, value: str) -> None:
    try:
        expected = date.fromisoformat(value)
        canonical = expected.isoformat() == value
    except ValueError:
        canonical = False
    if canonical:
        assert parse_filter(f"due:{operator}:{value}", FIELDS).value == expected
    else:
        refused("filter on due", parse_filter, f"due:{operator}:{value}", FIELDS)


@given(st.text(min_size=1, max_size=30).filter(lambda v: v not in ("editor", "viewer")))
def test_enum_value_outside_the_list_is_refused(value: str) -> None:
    for operator in ("is", "not"):
        refused("is not one of editor, viewer", parse_filter, f"role:{operator}:{value}", FIELDS)
    if "," not in value:
        refused(f"'{value[:40]}", parse_filter, f"role:isAnyOf:editor,{value}", FIELDS)


@pytest.mark.parametrize("value", ["Editor", " editor", "editor ", "editor,", "administrator"])
def test_enum_values_are_exact(value: str) -> None:
    refused("is not one of", parse_filter, f"role:isAnyOf:{value}", FIELDS)


@given(
    names.filter(lambda n: (n not in FIELDS or n == "secret") and not n.startswith("-")),
    st.booleans(),
)
def test_unknown_or_unsortable_sort_field_is_refused(name: str, descending: bool) -> None:
    raw = ("-" if descending else "") + name
    detail = refused(f"cannot sort by '{name}'", parse_sort, raw, FIELDS)
    assert "sortable fields: title, due, seen, role, hidden" in detail


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ("", "cannot sort by ''"),
        ("-", "cannot sort by ''"),
        ("title,", "cannot sort by ''"),
        ("--title", "cannot sort by '-title'"),
        ("+title", "cannot sort by '+title'"),
        (" title", "cannot sort by ' title'"),
        ("title,-title", "sort names title twice"),
    ],
)
def test_malformed_sorts_are_refused(raw: str, match: str) -> None:
    refused(match, parse_sort, raw, FIELDS)


@pytest.mark.parametrize("name", ["limit", "offset"])
@pytest.mark.parametrize("raw", ["-1", "abc", "1.5", "1e3", " 5", "+5", "0x10"])
def test_non_numeric_limit_or_offset_is_refused(name: str, raw: str) -> None:
    refused(name, parse_list_query, FIELDS, **{name: raw})


@pytest.mark.parametrize("raw", ["0", "101", "1000", "999999999999"])
def test_limit_out_of_range_is_refused(raw: str) -> None:
    detail = refused("limit", parse_list_query, FIELDS, limit=raw)
    assert "from 1 to 100" in detail


@given(st.integers(min_value=10_000_001, max_value=10**12 - 1))
def test_offset_out_of_range_is_refused(offset: int) -> None:
    refused("offset", parse_list_query, FIELDS, offset=str(offset))


def test_too_many_filters_are_refused() -> None:
    refused("at most 10 filters", parse_list_query, FIELDS, filters=["title:contains:a"] * 11)
    assert len(parse_list_query(FIELDS, filters=["title:contains:a"] * 10).filters) == 10


def test_the_first_bad_filter_is_named() -> None:
    refused(
        "'nope'", parse_list_query, FIELDS, filters=["title:contains:a", "nope:is:x", "due:is:x"]
    )


# --- in the database: % and _ are literal ---------------------------------------------------


def test_like_wildcards_are_literal(db: Database) -> None:
    with db.transaction() as s:
        org = orgs.create_organization(s, "Wild", "wild")
        creator = Actor("member", "m", org.id, "administrator", "Ada 100%", "ada_x@wild.test")
        expires = (clock.today() + timedelta(days=10)).isoformat()
        for title in ("100% done", "a_b", "axb", "A\\B", "plain"):
            keys_service.create(
                s,
                org.id,
                title=title,
                expiration_date=expires,
                role="editor",
                creator=creator,
                max_lifetime_days=730,
                email_domain="keys.test",
                client=None,
            )

    def titles(*filters: str) -> set[str]:
        fields = keys_service.key_fields(clock.today())
        with db.transaction(write=False) as s:
            page = keys_service.list_keys(
                s, org.id, parse_list_query(fields, limit="100", filters=filters)
            )
        return {k.title for k in page.items}

    assert titles("title:contains:%") == {"100% done"}
    assert titles("title:contains:_") == {"a_b"}
    assert titles("title:contains:a_b") == {"a_b"}
    assert titles("title:equals:a_b") == {"a_b"}
    assert titles("title:startsWith:a_") == {"a_b"}
    assert titles("title:endsWith:_b") == {"a_b"}
    assert titles("title:endsWith:% done") == {"100% done"}
    assert titles("title:startsWith:100%") == {"100% done"}
    assert titles("title:contains:0%d") == set()
    assert titles("title:contains:\\") == {"A\\B"}
    assert titles("title:equals:a\\b") == {"A\\B"}
    # Case-insensitive, and the creator matches by name or email, literally too.
    assert titles("title:contains:AXB") == {"axb"}
    assert len(titles("createdBy:contains:100%")) == 5
    assert titles("createdBy:contains:a%x") == set()
    assert len(titles("createdBy:contains:ada_x@")) == 5
    assert titles("createdBy:contains:adaxx") == set()
    assert titles("createdBy:contains:ad%") == set()


def test_text_filters_fold_case_beyond_ascii(db: Database) -> None:
    with db.transaction() as s:
        if s.scalar(select(func.lower("É"))) != "é":
            pytest.skip("this PostgreSQL database's LC_CTYPE is C: its lower() folds ASCII only")
        org = orgs.create_organization(s, "Unicode", "unicode")
        creator = Actor("member", "m", org.id, "administrator", "Émile Ünal", "emile@u.test")
        expires = (clock.today() + timedelta(days=10)).isoformat()
        for title in ("ÉCOLE Nationale", "Straße", "ΑΘΗΝΑ"):
            keys_service.create(
                s,
                org.id,
                title=title,
                expiration_date=expires,
                role="viewer",
                creator=creator,
                max_lifetime_days=730,
                email_domain="keys.test",
                client=None,
            )

    def titles(*filters: str) -> set[str]:
        fields = keys_service.key_fields(clock.today())
        with db.transaction(write=False) as s:
            page = keys_service.list_keys(s, org.id, parse_list_query(fields, filters=filters))
        return {k.title for k in page.items}

    everything = {"ÉCOLE Nationale", "Straße", "ΑΘΗΝΑ"}
    # The creator's name is matched through the database's lower(), on every engine alike.
    assert titles("createdBy:contains:émile ü") == everything
    assert titles("createdBy:startsWith:ÉMILE") == everything
    assert titles("createdBy:equals:émile ünal") == everything
    assert titles("title:contains:école") == {"ÉCOLE Nationale"}
    assert titles("title:startsWith:αθ") == {"ΑΘΗΝΑ"}


# --- remembered run sizes ------------------------------------------------------------------


def test_size_cache_keeps_the_most_recently_used() -> None:
    cache = SizeCache(maxsize=3)
    for i in range(3):
        cache.put(("state", i), i)
    assert cache.get(("state", 0)) == 0  # now the most recent
    cache.put(("state", 3), 3)  # evicts the least recently used: 1
    assert cache.get(("state", 1)) is None
    assert [cache.get(("state", i)) for i in (0, 2, 3)] == [0, 2, 3]
    assert len(cache) == 3
    cache.put(("state", 2), 20)  # replaced, not added
    assert len(cache) == 3 and cache.get(("state", 2)) == 20
    assert cache.get(("state", 0)) == 0  # a size of 0 is remembered too
    cache.clear()
    assert len(cache) == 0
