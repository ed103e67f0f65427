"""Small helpers shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use UTC-aware datetimes")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    def result_processor(self, dialect, coltype):
        """What ``process_result_value`` does, as one function per value.

        A list page reads a few dozen of these per request, and the generic
        path (the driver's parser, then ``process_result_value``, then
        ``datetime.replace``, which is slow) cost more than the page's SQL.
        SQLite's text is read with the zone in one ``fromisoformat``;
        PostgreSQL's ``timestamptz`` arrives zoned: nothing to do there.
        """
        if dialect.name == "postgresql":
            return None
        if dialect.name == "sqlite":
            return _sqlite_utc
        return super().result_processor(dialect, coltype)


def _sqlite_utc(value: str | None) -> datetime | None:
    """SQLite's stored text (``2026-11-25 10:00:00.000000``, UTC without a zone) as an aware datetime."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value + "+00:00")
        if parsed.tzinfo is not None:
            return parsed
    except (TypeError, ValueError):
        pass
    # Not the usual text: a zone of its own, a date alone, or a datetime already.
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        return datetime.combine(parsed.date(), parsed.time(), UTC)
    return parsed.astimezone(UTC)
