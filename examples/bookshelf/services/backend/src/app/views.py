"""Rows to the generated API models (`shared.generated.schemas`)."""

from shared.generated.schemas import (
    AuthorRead,
    AuthorSummary,
    BookRead,
    BookSummary,
    Genre,
    ReadingProgressRead,
    SeriesPosition,
)

from app.models import AuthorRow, BookRow, ProgressRow


def author_read(row: AuthorRow, book_count: int) -> AuthorRead:
    return AuthorRead(
        id=row.id,
        name=row.name,
        sort_name=row.sort_name,
        born=row.born,
        died=row.died,
        country=row.country,
        website=row.website,
        book_count=book_count,
        created_at=row.created_at,
    )


def author_summary(row: AuthorRow, book_count: int) -> AuthorSummary:
    return AuthorSummary(
        id=row.id, name=row.name, country=row.country, book_count=book_count
    )


def book_read(row: BookRow, author_book_count: int) -> BookRead:
    return BookRead(
        id=row.id,
        title=row.title,
        subtitle=row.subtitle,
        isbn=row.isbn,
        author_id=row.author_id,
        author=author_summary(row.author, author_book_count),
        status=row.status,
        format=row.format,
        pages=row.pages,
        price=row.price,
        rating=row.rating,
        tags=row.tags,
        genres=[Genre.model_validate(genre) for genre in row.genres],
        identifiers=dict(row.identifiers),
        series=None
        if row.series is None
        else SeriesPosition.model_validate(row.series),
        published_on=row.published_on,
        added_at=row.added_at,
    )


def book_summary(row: BookRow, author_book_count: int) -> BookSummary:
    return BookSummary(
        id=row.id,
        title=row.title,
        author_id=row.author_id,
        author=author_summary(row.author, author_book_count),
        status=row.status,
        format=row.format,
        rating=row.rating,
        added_at=row.added_at,
    )


def progress_read(row: ProgressRow) -> ReadingProgressRead:
    return ReadingProgressRead(
        book_id=row.book_id,
        reader_id=row.reader_id,
        page=row.page,
        percent=row.percent,
        note=row.note,
        recorded_at=row.recorded_at,
    )
