"""The business logic of the `books` domain.

The shelf is shared; what belongs to a reader are the progress records and finishes they
posted. A reader's shelf (`GET /books/stats`) is the set of books they recorded progress on or
finished.
"""

import datetime
import uuid
from collections import Counter
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from fastapi import HTTPException
from shared.generated.schemas import (
    BookCreate,
    BookFinished,
    BookPatch,
    BookRead,
    BookStatus,
    BookSummary,
    BookUpdate,
    FinishBook,
    ListBooksStatus,
    ReadingProgressCreate,
    ReadingProgressRead,
    ShelfStats,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import BookRow, BookTagRow, FinishRow, ProgressRow, utc_now
from app.queries import MAX_SQL_INT, author_or_404, book_counts, book_or_404
from app.views import book_read, book_summary, progress_read
from generated.protocols import BooksControllerProtocol

# Fields a book must have: in a patch, `null` for one of them leaves it unchanged (the Patch
# variant makes them nullable so that they can be left out).
_REQUIRED_FIELDS = frozenset(
    {"title", "author_id", "status", "format", "tags", "genres", "identifiers"}
)

# The largest page count a book may have (`Book.pages` in shared/spec/models.yaml): the limit of
# a progress record on a book whose page count is unknown.
MAX_PAGES = 20000

# How many books `ShelfStats.recent` holds (its `max_length`).
RECENT_BOOKS = 10


class BooksController(BooksControllerProtocol):
    """Implements `BooksControllerProtocol` on the tables of `app.models`."""

    async def list_books(
        self,
        session: AsyncSession,
        *,
        status: ListBooksStatus | None,
        author_id: UUID | None,
        q: str | None,
        tag: list[str] | None,
        limit: int,
        offset: int,
    ) -> list[BookSummary]:
        """Filters combine with AND: status, author, part of the title (case-insensitive) and
        every given tag. Newest first."""
        query = select(BookRow)
        if status is not None:
            query = query.where(BookRow.status == BookStatus(status.value))
        if author_id is not None:
            query = query.where(BookRow.author_id == author_id)
        if q is not None:
            query = query.where(BookRow.title.icontains(q, autoescape=True))
        for wanted in sorted(set(tag or [])):
            query = query.where(
                BookRow.id.in_(
                    select(BookTagRow.book_id).where(BookTagRow.tag == wanted)
                )
            )
        query = (
            query.order_by(BookRow.added_at.desc(), BookRow.id.desc())
            .limit(limit)
            .offset(min(offset, MAX_SQL_INT))
        )
        rows = (await session.scalars(query)).all()
        return await _summaries(session, rows)

    async def get_shelf_stats(
        self, session: AsyncSession, *, reader_id: UUID
    ) -> ShelfStats:
        progress = (
            await session.scalars(
                select(ProgressRow)
                .where(ProgressRow.reader_id == reader_id)
                .order_by(ProgressRow.recorded_at, ProgressRow.id)
            )
        ).all()
        finishes = (
            await session.scalars(
                select(FinishRow).where(FinishRow.reader_id == reader_id)
            )
        ).all()
        latest: dict[
            UUID, ProgressRow
        ] = {}  # book id -> latest record (rows come in order)
        furthest: dict[UUID, int] = {}  # book id -> highest page reached
        last_activity: dict[
            UUID, datetime.datetime
        ] = {}  # book id -> time of the latest record or finish
        for record in progress:
            latest[record.book_id] = record
            furthest[record.book_id] = max(furthest.get(record.book_id, 0), record.page)
            last_activity[record.book_id] = record.recorded_at
        finished = {finish.book_id for finish in finishes}
        for finish in finishes:
            seen = last_activity.get(finish.book_id)
            if seen is None or finish.recorded_at > seen:
                last_activity[finish.book_id] = finish.recorded_at

        books = (
            await session.scalars(select(BookRow).where(BookRow.id.in_(last_activity)))
        ).all()
        by_status = Counter({status.value: 0 for status in BookStatus})
        by_status.update(book.status.value for book in books)
        pages_read = sum(
            book.pages
            if book.id in finished and book.pages
            else furthest.get(book.id, 0)
            for book in books
        )
        recent = sorted(
            books, key=lambda book: (last_activity[book.id], book.id), reverse=True
        )
        return ShelfStats(
            reader_id=reader_id,
            total=len(books),
            by_status=dict(by_status),
            pages_read=pages_read,
            currently_reading={
                book.id: progress_read(latest[book.id])
                for book in books
                if book.status is BookStatus.reading and book.id in latest
            },
            recent=await _summaries(session, recent[:RECENT_BOOKS]),
        )

    async def create_book(
        self, session: AsyncSession, *, payload: BookCreate
    ) -> BookRead:
        """404 when the author does not exist."""
        fields = payload.model_dump()
        author = await author_or_404(session, payload.author_id)
        row = BookRow(id=uuid.uuid4(), added_at=utc_now(), **fields)
        row.author = author
        session.add(row)
        await session.flush()
        return await _read(session, row)

    async def get_book(self, session: AsyncSession, *, book_id: UUID) -> BookRead:
        return await _read(session, await book_or_404(session, book_id))

    async def update_book(
        self, session: AsyncSession, *, book_id: UUID, payload: BookUpdate
    ) -> BookRead:
        """Replaces every field: one left out of the body gets its default (or null)."""
        row = await book_or_404(session, book_id)
        return await _change(session, row, payload.model_dump())

    async def patch_book(
        self, session: AsyncSession, *, book_id: UUID, payload: BookPatch
    ) -> BookRead:
        """Changes the fields present in the body; `null` clears an optional field."""
        row = await book_or_404(session, book_id)
        changes = {
            field: value
            for field, value in payload.model_dump(exclude_unset=True).items()
            if value is not None or field not in _REQUIRED_FIELDS
        }
        return await _change(session, row, changes)

    async def delete_book(self, session: AsyncSession, *, book_id: UUID) -> None:
        """Removes the book with its tags, progress records and finishes."""
        row = await book_or_404(session, book_id)
        await session.delete(row)
        await session.flush()

    async def finish_book(
        self, session: AsyncSession, *, book_id: UUID, payload: FinishBook
    ) -> BookFinished:
        """Sets the status to `finished` (and the rating, when given) and records the finish."""
        row = await book_or_404(session, book_id)
        row.status = BookStatus.finished
        if payload.rating is not None:
            row.rating = payload.rating
        session.add(
            FinishRow(
                book_id=row.id,
                reader_id=payload.reader_id,
                finished_on=payload.finished_on,
                rating=payload.rating,
                review=payload.review,
                recorded_at=utc_now(),
            )
        )
        await session.flush()
        counts = await book_counts(session, [row.author_id])
        return BookFinished(
            book=book_summary(row, counts[row.author_id]),
            reader_id=payload.reader_id,
            finished_on=payload.finished_on,
            rating=payload.rating,
            review=payload.review,
        )

    async def record_progress(
        self, session: AsyncSession, *, book_id: UUID, payload: ReadingProgressCreate
    ) -> ReadingProgressRead:
        """Records the page; `percent` is the share of the book's pages (0 when the page count is
        unknown). A page past the end of the book is a 409. A book on the wishlist moves to
        `reading`."""
        row = await book_or_404(session, book_id)
        last_page = row.pages if row.pages is not None else MAX_PAGES
        if payload.page > last_page:
            raise HTTPException(
                status_code=409,
                detail=f"page {payload.page} is past the end of the book ({last_page} pages)",
            )
        percent = round(payload.page * 100 / row.pages, 2) if row.pages else 0.0
        if row.status is BookStatus.wishlist:
            row.status = BookStatus.reading
        record = ProgressRow(
            book_id=row.id,
            reader_id=payload.reader_id,
            page=payload.page,
            percent=percent,
            note=payload.note,
            recorded_at=utc_now(),
        )
        session.add(record)
        await session.flush()
        return progress_read(record)


async def _read(session: AsyncSession, row: BookRow) -> BookRead:
    counts = await book_counts(session, [row.author_id])
    return book_read(row, counts[row.author_id])


async def _summaries(
    session: AsyncSession, rows: Iterable[BookRow]
) -> list[BookSummary]:
    books = list(rows)
    counts = await book_counts(session, (book.author_id for book in books))
    return [book_summary(book, counts[book.author_id]) for book in books]


async def _change(
    session: AsyncSession, row: BookRow, changes: dict[str, Any]
) -> BookRead:
    """Applies field changes; a new `author_id` must name an existing author (else 404)."""
    new_author = changes.get("author_id")
    if new_author is not None and new_author != row.author_id:
        row.author = await author_or_404(session, new_author)
    for field, value in changes.items():
        setattr(row, field, value)
    await session.flush()
    return await _read(session, row)
