"""The business logic of the `authors` domain."""

import uuid
from typing import Any
from uuid import UUID

from fastapi import HTTPException
from shared.generated.schemas import (
    AuthorCreate,
    AuthorPatch,
    AuthorRead,
    AuthorSummary,
    AuthorUpdate,
    BookSummary,
)
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuthorRow, BookRow, utc_now
from app.queries import MAX_SQL_INT, author_or_404, book_counts
from app.views import author_read, author_summary, book_summary
from generated.protocols import AuthorsControllerProtocol

# Fields an author must have: in a patch, `null` for one of them leaves it unchanged (the
# Patch variant makes them nullable so that they can be left out).
_REQUIRED_FIELDS = frozenset({"name"})


class AuthorsController(AuthorsControllerProtocol):
    """Implements `AuthorsControllerProtocol` on the tables of `app.models`."""

    async def list_authors(
        self,
        session: AsyncSession,
        *,
        name_prefix: str | None,
        country: str | None,
        limit: int,
        offset: int,
    ) -> list[AuthorSummary]:
        """Authors in catalogue order (`sort_name`, else `name`, ignoring case),
        filtered by a case-insensitive name prefix and the country code."""
        query = select(AuthorRow)
        if name_prefix is not None:
            query = query.where(
                AuthorRow.name.istartswith(name_prefix, autoescape=True)
            )
        if country is not None:
            query = query.where(AuthorRow.country == country)
        catalogue_name = func.lower(func.coalesce(AuthorRow.sort_name, AuthorRow.name))
        query = (
            query.order_by(catalogue_name, AuthorRow.id)
            .limit(limit)
            .offset(min(offset, MAX_SQL_INT))
        )
        rows = (await session.scalars(query)).all()
        counts = await book_counts(session, (row.id for row in rows))
        return [author_summary(row, counts[row.id]) for row in rows]

    async def create_author(
        self, session: AsyncSession, *, payload: AuthorCreate
    ) -> AuthorRead:
        row = AuthorRow(id=uuid.uuid4(), created_at=utc_now(), **payload.model_dump())
        session.add(row)
        await session.flush()
        return author_read(row, 0)

    async def get_author(self, session: AsyncSession, *, author_id: UUID) -> AuthorRead:
        row = await author_or_404(session, author_id)
        counts = await book_counts(session, [row.id])
        return author_read(row, counts[row.id])

    async def update_author(
        self, session: AsyncSession, *, author_id: UUID, payload: AuthorUpdate
    ) -> AuthorRead:
        """Replaces every field: one left out of the body becomes null."""
        row = await author_or_404(session, author_id)
        return await self._change(session, row, payload.model_dump())

    async def patch_author(
        self, session: AsyncSession, *, author_id: UUID, payload: AuthorPatch
    ) -> AuthorRead:
        """Changes the fields present in the body; `null` clears an optional field."""
        row = await author_or_404(session, author_id)
        changes = {
            field: value
            for field, value in payload.model_dump(exclude_unset=True).items()
            if value is not None or field not in _REQUIRED_FIELDS
        }
        return await self._change(session, row, changes)

    async def delete_author(self, session: AsyncSession, *, author_id: UUID) -> None:
        """Only an author without books can go: 409 otherwise."""
        row = await author_or_404(session, author_id)
        count = (await book_counts(session, [row.id]))[row.id]
        if count:
            raise HTTPException(
                status_code=409,
                detail=f"author {author_id} still has {count} book(s) on the shelf",
            )
        await session.delete(row)
        await session.flush()

    async def list_author_books(
        self, session: AsyncSession, *, author_id: UUID, limit: int
    ) -> list[BookSummary]:
        """The author's books, newest first."""
        await author_or_404(session, author_id)
        rows = (
            await session.scalars(
                select(BookRow)
                .where(BookRow.author_id == author_id)
                .order_by(BookRow.added_at.desc(), BookRow.id.desc())
                .limit(limit)
            )
        ).all()
        counts = await book_counts(session, [author_id])
        return [book_summary(row, counts[author_id]) for row in rows]

    @staticmethod
    async def _change(
        session: AsyncSession, row: AuthorRow, changes: dict[str, Any]
    ) -> AuthorRead:
        for field, value in changes.items():
            setattr(row, field, value)
        await session.flush()
        counts = await book_counts(session, [row.id])
        return author_read(row, counts[row.id])
