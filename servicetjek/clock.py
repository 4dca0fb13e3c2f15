"""The one clock: what time it is, and how stored times are shown.

Storage convention (everywhere in the database): TIMESTAMP columns hold naive UTC; DATE
columns hold Copenhagen calendar days. The database connection runs with TimeZone=UTC, so
DuckDB's own current_timestamp defaults are UTC too. Everything shown to people, and
every calendar file, is in Europe/Copenhagen, whatever the server's TZ is.
Tests pin time by passing `now=` into domain functions, or with `frozen()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Copenhagen")
_frozen: datetime | None = None


def now() -> datetime:
    """The current instant, timezone-aware (UTC)."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def utcnow() -> datetime:
    """The current instant as stored: naive UTC."""
    return now().replace(tzinfo=None)


def local_now() -> datetime:
    """The current instant on Copenhagen's wall clock (aware)."""
    return now().astimezone(LOCAL_TZ)


def today() -> date:
    """Today's date in Copenhagen (the server's own zone plays no part)."""
    return local_now().date()


def to_storage(value: datetime) -> datetime:
    """Naive UTC for the database: naive input is Copenhagen wall-clock time, aware input any zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(UTC).replace(tzinfo=None)


def to_local(value: datetime) -> datetime:
    """A stored time (naive UTC, or aware) on Copenhagen's wall clock (aware)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TZ)


def local_day_start(day: date) -> datetime:
    """Copenhagen midnight at the start of `day`, as stored (naive UTC)."""
    return to_storage(datetime.combine(day, time()))


def local_day_of(value: datetime) -> date:
    """The Copenhagen calendar day of a stored time."""
    return to_local(value).date()


def day_range(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a Copenhagen calendar day, as stored times (23 or 25 hours at DST changes)."""
    return local_day_start(day), local_day_start(day + timedelta(days=1))


@contextmanager
def frozen(at: datetime) -> Iterator[datetime]:
    """Stop the clock at `at` (aware; naive means UTC) for a test."""
    global _frozen
    previous = _frozen
    _frozen = at if at.tzinfo else at.replace(tzinfo=UTC)
    try:
        yield _frozen
    finally:
        _frozen = previous


def days_range(first: date, last: date) -> tuple[datetime, datetime]:
    """[start, end) in stored time of the Copenhagen days `first` through `last`, for period filters."""
    return local_day_start(first), local_day_start(last + timedelta(days=1))


def sql_local_date(column: str) -> str:
    """SQL for the Copenhagen calendar day of a stored (naive UTC) TIMESTAMP column."""
    return f"CAST(timezone('{LOCAL_TZ.key}', timezone('UTC', {column})) AS DATE)"


def wall_clock(value: datetime) -> datetime:
    """Copenhagen wall-clock time (aware) of a time that is already Copenhagen wall-clock when naive.

    For agenda times, which the planner computes on the local wall clock.
    """
    return value.replace(tzinfo=LOCAL_TZ) if value.tzinfo is None else value.astimezone(LOCAL_TZ)
