"""The business logic of the `reading` domain: book events become notifications.

The event adapter (`generated/event_adapter.py`) calls these methods once per delivered message,
with a session it commits afterwards, and publishes what they return (`notification_sent`).
Delivery is at least once (a message whose handler crashed, or whose worker died before it was
acknowledged, is delivered again), so every method is idempotent: a notification is keyed by
what it is about, and a second delivery finds the first one's row and returns it unchanged.

An exception fails the message: it is reported on `book_errors` and delivered again later; after
the last delivery it goes to the dead-letter stream. `InvalidIdentifier` (a malformed catalogue
id, see links.py) and `ImplausibleProgress` are such failures, which no retry fixes.
"""

import datetime
import uuid
from typing import Any

from shared.generated.schemas import (
    BookFinished,
    BookRead,
    NotificationKind,
    NotificationRead,
    ReadingProgressRead,
)
from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from generated.protocols import ReadingControllerProtocol
from links import catalogue_links
from models import NotificationRow, ReadingDayRow, utc_now

TEXT_MAX = 500
"""`Notification.text` holds at most 500 characters."""

TITLE_MAX = 120
"""Longer titles are shortened in notification texts."""

STREAK_MILESTONES = frozenset({3, 7, 14, 30, 50, 100, 365})
"""Streak lengths (days in a row) that earn a notification."""

CLOCK_SKEW = datetime.timedelta(minutes=5)
"""How far in the future a progress record may be (the backend's clock may run ahead)."""


class ImplausibleProgress(ValueError):
    """A progress record that cannot be true, e.g. recorded in the future."""


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _stars(rating: int) -> str:
    return "★" * rating + "☆" * (5 - rating)


def _insert_once(session: AsyncSession, table: Table, values: dict[str, Any]) -> Any:
    """INSERT that does nothing when a row with the same unique key exists (SQLite and
    Postgres), so that two deliveries of one message racing each other make one row."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return sqlite.insert(table).values(values).on_conflict_do_nothing()
    if dialect == "postgresql":
        return postgresql.insert(table).values(values).on_conflict_do_nothing()
    raise NotImplementedError(f"no insert-or-ignore for the {dialect} dialect")


async def notify_once(
    session: AsyncSession,
    *,
    key: str,
    kind: NotificationKind,
    text: str,
    reader_id: uuid.UUID | None = None,
    book_id: uuid.UUID | None = None,
    links: list[str] | None = None,
) -> NotificationRead:
    """The notification about `key`: created now, or the one an earlier delivery made."""
    await session.execute(
        _insert_once(
            session,
            NotificationRow.__table__,  # type: ignore[arg-type]
            {
                "id": uuid.uuid4(),
                "key": key,
                "reader_id": reader_id,
                "book_id": book_id,
                "kind": kind.value,
                "text": _clip(text, TEXT_MAX),
                "links": links or [],
                "sent_at": utc_now(),
            },
        )
    )
    row = await session.scalar(
        select(NotificationRow).where(NotificationRow.key == key)
    )
    assert row is not None, f"notification {key} vanished"
    return NotificationRead(
        id=row.id,
        reader_id=row.reader_id,
        book_id=row.book_id,
        kind=NotificationKind(row.kind),
        text=row.text,
        links=row.links,
        sent_at=row.sent_at,
    )


async def streak_length(
    session: AsyncSession, reader_id: uuid.UUID, day: datetime.date
) -> int:
    """Days in a row, up to and including `day`, on which the reader recorded progress."""
    days = await session.scalars(
        select(ReadingDayRow.day)
        .where(ReadingDayRow.reader_id == reader_id, ReadingDayRow.day <= day)
        .order_by(ReadingDayRow.day.desc())
        .limit(max(STREAK_MILESTONES) + 1)
    )
    length = 0
    expected = day
    for read_on in days:
        if read_on != expected:
            break
        length += 1
        expected -= datetime.timedelta(days=1)
    return length


class ReadingController(ReadingControllerProtocol):
    """Implements `ReadingControllerProtocol`."""

    async def on_book_created(
        self, session: AsyncSession, *, payload: BookRead
    ) -> NotificationRead:
        """The shelf's "book added" notice, with links to the catalogues that know the
        book. Raises `InvalidIdentifier` for a malformed id of a known catalogue."""
        links = catalogue_links(payload.isbn, payload.identifiers)
        title = _clip(payload.title, TITLE_MAX)
        return await notify_once(
            session,
            key=f"book_added:{payload.id}",
            kind=NotificationKind.book_added,
            book_id=payload.id,
            text=f"“{title}” by {payload.author.name} is on the shelf.",
            links=links,
        )

    async def on_book_finished(
        self, session: AsyncSession, *, payload: BookFinished
    ) -> NotificationRead:
        """Congratulations for the reader, with their rating."""
        book = payload.book
        title = _clip(book.title, TITLE_MAX)
        rated = f" You rated it {_stars(payload.rating)}." if payload.rating else ""
        return await notify_once(
            session,
            key=f"book_finished:{book.id}:{payload.reader_id}:{payload.finished_on}",
            kind=NotificationKind.book_finished,
            reader_id=payload.reader_id,
            book_id=book.id,
            text=f"You finished “{title}” by {book.author.name}. Well done!{rated}",
        )

    async def on_reading_progress(
        self, session: AsyncSession, *, payload: ReadingProgressRead
    ) -> None:
        """Records the reading day; a streak reaching a milestone earns a notification.

        Raises `ImplausibleProgress` for a record from the future: it would count a day
        not read yet.
        """
        now = utc_now()
        if payload.recorded_at > now + CLOCK_SKEW:
            raise ImplausibleProgress(
                f"progress of reader {payload.reader_id} on book {payload.book_id} is "
                f"recorded at {payload.recorded_at.isoformat()}, in the future "
                f"(now {now.isoformat()})"
            )
        day = payload.recorded_at.astimezone(datetime.UTC).date()
        await session.execute(
            _insert_once(
                session,
                ReadingDayRow.__table__,  # type: ignore[arg-type]
                {"reader_id": payload.reader_id, "day": day},
            )
        )
        streak = await streak_length(session, payload.reader_id, day)
        if streak in STREAK_MILESTONES:
            await notify_once(
                session,
                key=f"streak:{payload.reader_id}:{day}",
                kind=NotificationKind.streak,
                reader_id=payload.reader_id,
                book_id=payload.book_id,
                text=f"{streak} days in a row of reading. Keep it up!",
            )
