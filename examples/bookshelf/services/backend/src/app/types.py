"""Column types that keep values exactly as the API models hold them, on SQLite as on Postgres."""

import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, String
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime.datetime]):
    """A timezone-aware datetime, stored in UTC.

    SQLite has no time zones: it gets the UTC wall-clock time and hands back a naive value,
    which is read as UTC here, so every loaded datetime is aware (the models require
    `AwareDatetime`).
    """

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


class DecimalText(TypeDecorator[Decimal]):
    """A Decimal stored as its text, so that any precision comes back exactly.

    (SQLite stores NUMERIC as a float; Postgres would use NUMERIC directly.)
    """

    impl = String()
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)
