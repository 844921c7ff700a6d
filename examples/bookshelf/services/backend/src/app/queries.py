"""Lookups shared by the controllers."""

import uuid
from collections.abc import Iterable

from fastapi import HTTPException
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuthorRow, BookRow

# SQLite's (and Postgres') largest integer. The specs bound `offset` below only, and a larger
# value cannot be bound to a query; nothing is that far into a list anyway.
MAX_SQL_INT = 2**63 - 1


def not_found(kind: str, id_: uuid.UUID) -> HTTPException:
    """The 404 of a missing author or book."""
    return HTTPException(status_code=404, detail=f"{kind} {id_} not found")


async def author_or_404(session: AsyncSession, author_id: uuid.UUID) -> AuthorRow:
    author = await session.get(AuthorRow, author_id)
    if author is None:
        raise not_found("author", author_id)
    return author


async def book_or_404(session: AsyncSession, book_id: uuid.UUID) -> BookRow:
    book = await session.get(BookRow, book_id)
    if book is None:
        raise not_found("book", book_id)
    return book


async def book_counts(
    session: AsyncSession, author_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """The number of books of each author (0 for authors without books)."""
    ids = set(author_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(BookRow.author_id, func.count(BookRow.id))
        .where(BookRow.author_id.in_(ids))
        .group_by(BookRow.author_id)
    )
    counts = dict.fromkeys(ids, 0)
    counts.update({author_id: count for author_id, count in rows.tuples()})
    return counts
