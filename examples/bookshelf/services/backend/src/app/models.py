"""The tables of the `backend` service, as SQLAlchemy 2 ORM classes.

One row class per stored thing: authors, books (their tags in a table of their own, so that
`GET /books?tag=…` filters in SQL), reading progress records and finishes. Genres, identifiers
and the series position are JSON documents of the book: nothing queries inside them.
"""

import datetime
import uuid
from decimal import Decimal
from typing import Any

from shared.generated.schemas import BookFormat, BookStatus
from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from app.types import DecimalText, UTCDateTime


def utc_now() -> datetime.datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.datetime.now(datetime.UTC)


class Base(DeclarativeBase):
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads this class attribute)
        datetime.datetime: UTCDateTime,
        Decimal: DecimalText,
        dict[str, Any]: JSON,
        list[dict[str, Any]]: JSON,
        dict[str, str]: JSON,
    }


class AuthorRow(Base):
    __tablename__ = "authors"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    sort_name: Mapped[str | None] = mapped_column(String(200))
    born: Mapped[datetime.date | None]
    died: Mapped[datetime.date | None]
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    website: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime.datetime] = mapped_column(default=utc_now)


class BookRow(Base):
    __tablename__ = "books"
    __table_args__ = (Index("ix_books_added_at_id", "added_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(300))
    subtitle: Mapped[str | None] = mapped_column(String(300))
    isbn: Mapped[str | None] = mapped_column(String(13))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authors.id"), index=True)
    status: Mapped[BookStatus] = mapped_column(
        Enum(BookStatus, native_enum=False, length=20), index=True
    )
    format: Mapped[BookFormat] = mapped_column(
        Enum(BookFormat, native_enum=False, length=20)
    )
    pages: Mapped[int | None]
    price: Mapped[Decimal | None]
    rating: Mapped[int | None]
    genres: Mapped[list[dict[str, Any]]]
    identifiers: Mapped[dict[str, str]]
    series: Mapped[dict[str, Any] | None]
    published_on: Mapped[datetime.date | None]
    added_at: Mapped[datetime.datetime] = mapped_column(default=utc_now)

    # Loaded with the book (every answer about a book shows its author and tags); the rest is
    # never loaded implicitly (`raise`: lazy loading would do IO outside `await`).
    author: Mapped[AuthorRow] = relationship(lazy="selectin")
    tag_rows: Mapped[list["BookTagRow"]] = relationship(
        order_by="BookTagRow.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
    )
    progress: Mapped[list["ProgressRow"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )
    finishes: Mapped[list["FinishRow"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]

    @tags.setter
    def tags(self, tags: list[str]) -> None:
        self.tag_rows = [BookTagRow(position=i, tag=tag) for i, tag in enumerate(tags)]


class BookTagRow(Base):
    """One tag of a book, in the order the client sent them (duplicates kept)."""

    __tablename__ = "book_tags"

    # A surrogate key: replacing a book's tags deletes and inserts rows in one flush, and a
    # (book_id, position) key would collide there.
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    book_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("books.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    tag: Mapped[str] = mapped_column(Text, index=True)


class ProgressRow(Base):
    """A reader's position in a book at one moment."""

    __tablename__ = "reading_progress"
    __table_args__ = (
        Index("ix_reading_progress_reader_recorded", "reader_id", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    book_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("books.id", ondelete="CASCADE"), index=True
    )
    reader_id: Mapped[uuid.UUID]
    page: Mapped[int]
    percent: Mapped[float]
    note: Mapped[str | None] = mapped_column(String(1000))
    recorded_at: Mapped[datetime.datetime] = mapped_column(default=utc_now)


class FinishRow(Base):
    """A reader finished a book."""

    __tablename__ = "finishes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    book_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("books.id", ondelete="CASCADE"), index=True
    )
    reader_id: Mapped[uuid.UUID] = mapped_column(index=True)
    finished_on: Mapped[datetime.date]
    rating: Mapped[int | None]
    review: Mapped[str | None] = mapped_column(String(5000))
    recorded_at: Mapped[datetime.datetime] = mapped_column(default=utc_now)
