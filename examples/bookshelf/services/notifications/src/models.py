"""The tables of the `notifications` worker (its own database, not the backend's).

`notifications` holds every notification the worker made. Each has a `key` naming what it is
about (`book_added:<book id>`, `book_finished:<book id>:<reader id>:<day>`,
`streak:<reader id>:<day>`), unique, so that a message delivered twice makes one row: delivery
is at least once. `reading_days` records the days each reader read on, for streaks.
"""

import datetime
import uuid

from sqlalchemy import JSON, DateTime, Dialect, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utc_now() -> datetime.datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.datetime.now(datetime.UTC)


class UTCDateTime(TypeDecorator[datetime.datetime]):
    """A timezone-aware datetime, stored in UTC (SQLite keeps the naive UTC wall-clock time)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: datetime.datetime | None, dialect: Dialect
    ) -> datetime.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store aware datetimes only")
        value = value.astimezone(datetime.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: datetime.datetime | None, dialect: Dialect
    ) -> datetime.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=datetime.UTC)
        return value.astimezone(datetime.UTC)


class Base(DeclarativeBase):
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads this class attribute)
        datetime.datetime: UTCDateTime,
        list[str]: JSON,
    }


class NotificationRow(Base):
    __tablename__ = "notifications"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    reader_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    book_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(500))
    links: Mapped[list[str]]
    sent_at: Mapped[datetime.datetime] = mapped_column(default=utc_now)


class ReadingDayRow(Base):
    """A day on which a reader recorded progress (in UTC)."""

    __tablename__ = "reading_days"

    reader_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[datetime.date] = mapped_column(primary_key=True)
