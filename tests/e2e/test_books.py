"""Every REST operation of the `books` domain, through the generated client, against the real
backend (SQLite behind it)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, cast

import pytest
from shared.generated.clients import ApiError
from shared.generated.clients.backend import BackendClient
from shared.generated.schemas import (
    BookCreate,
    BookFormat,
    BookPatch,
    BookRead,
    BookStatus,
    BookUpdate,
    FinishBook,
    Genre,
    ListBooksStatus,
    ReadingProgressCreate,
    SeriesPosition,
)

from e2e_support import RecordingTransport, new_author, new_book, unique


async def test_create_book_answers_201_and_stores_every_field(
    client: BackendClient, recorder: RecordingTransport
) -> None:
    author = await new_author(client, country="US")
    payload = BookCreate(
        title="The Dispossessed",
        subtitle="An Ambiguous Utopia",
        isbn="9780061054884",
        author_id=author.id,
        status=BookStatus.reading,
        format=BookFormat.hardcover,
        pages=387,
        price=Decimal("12.50"),
        rating=5,
        tags=["sf", "utopia", "sf"],
        genres=[Genre(slug="science-fiction", name="Science fiction")],
        identifiers={"openlibrary": "OL59863W"},
        series=SeriesPosition(name="Hainish Cycle", position=5.5),
        published_on=datetime.date(1974, 5, 1),
    )
    before = datetime.datetime.now(datetime.UTC)
    book = await client.create_book(payload=payload)
    assert (recorder.last.method, recorder.last.path, recorder.last.status_code) == (
        "POST",
        "/books",
        201,
    )
    assert isinstance(book, BookRead)
    assert book.id.version == 4
    assert book.added_at.utcoffset() == datetime.timedelta(0)
    assert before <= book.added_at <= datetime.datetime.now(datetime.UTC)
    assert book.model_dump(exclude={"id", "added_at", "author"}) == payload.model_dump()
    # Exact, not a float.
    assert book.price == Decimal("12.50") and str(book.price) == "12.50"
    assert book.author.model_dump() == {
        "id": author.id,
        "name": author.name,
        "country": "US",
        "book_count": 1,
    }


async def test_create_book_defaults_and_unknown_author(client: BackendClient) -> None:
    author = await new_author(client)
    book = await client.create_book(
        payload=BookCreate(title="Defaults", author_id=author.id, series=None)
    )
    assert (book.status, book.format, book.tags, book.genres, book.identifiers) == (
        BookStatus.wishlist,
        BookFormat.paperback,
        [],
        [],
        {},
    )
    assert book.series is None and book.price is None

    stranger = uuid.uuid4()
    with pytest.raises(ApiError) as error:
        await client.create_book(
            payload=BookCreate(title="Orphan", author_id=stranger, series=None)
        )
    assert error.value.status_code == 404
    assert error.value.body_json == {"detail": f"author {stranger} not found"}


async def test_get_book_returns_what_was_stored(
    client: BackendClient, recorder: RecordingTransport
) -> None:
    author = await new_author(client)
    created = await new_book(client, author.id, tags=["a"], price=Decimal("0.10"))
    fetched = await client.get_book(created.id)
    assert (recorder.last.path, recorder.last.status_code) == (
        f"/books/{created.id}",
        200,
    )
    assert fetched == created


async def test_list_books_with_defaults_is_newest_first(
    client: BackendClient, recorder: RecordingTransport
) -> None:
    author = await new_author(client)
    older = await new_book(client, author.id)
    newer = await new_book(client, author.id)
    books = await client.list_books()
    assert recorder.last.query == "limit=20&offset=0"
    assert 2 <= len(books) <= 20
    assert [b.id for b in books[:2]] == [newer.id, older.id]
    assert books == sorted(books, key=lambda b: b.added_at, reverse=True)
    assert books[0].model_dump() == {
        "id": newer.id,
        "title": newer.title,
        "author_id": author.id,
        "author": newer.author.model_copy(update={"book_count": 2}).model_dump(),
        "status": BookStatus.wishlist,
        "format": BookFormat.paperback,
        "rating": None,
        "added_at": newer.added_at,
    }


async def test_list_books_filters_combine_with_and(
    client: BackendClient, recorder: RecordingTransport
) -> None:
    tag = unique("tag")
    word = unique("Word")
    author = await new_author(client)
    other_author = await new_author(client)
    reading_both = await new_book(
        client,
        author.id,
        title=f"The {word} Saga",
        status=BookStatus.reading,
        tags=[tag, "x"],
    )
    reading_one = await new_book(
        client, author.id, title=f"{word} again", status=BookStatus.reading, tags=[tag]
    )
    wishlist = await new_book(client, author.id, title=f"{word}!", tags=[tag, "x"])
    elsewhere = await new_book(
        client, other_author.id, status=BookStatus.reading, tags=[tag, "x"]
    )

    by_tag = await client.list_books(tag=[tag])
    assert [b.id for b in by_tag] == [
        elsewhere.id,
        wishlist.id,
        reading_one.id,
        reading_both.id,
    ]

    every_tag = await client.list_books(tag=[tag, "x"])  # books having all of the tags
    assert recorder.last.query == f"tag={tag}&tag=x&limit=20&offset=0"
    assert [b.id for b in every_tag] == [elsewhere.id, wishlist.id, reading_both.id]

    reading = await client.list_books(status=ListBooksStatus.reading, tag=[tag])
    assert recorder.last.query.startswith("status=reading&")
    assert [b.id for b in reading] == [elsewhere.id, reading_one.id, reading_both.id]

    mine = await client.list_books(author_id=author.id, status=ListBooksStatus.reading)
    assert [b.id for b in mine] == [reading_one.id, reading_both.id]

    # q: part of the title, case-insensitive.
    titled = await client.list_books(q=word.upper(), tag=[tag])
    assert [b.id for b in titled] == [wishlist.id, reading_one.id, reading_both.id]

    everything = await client.list_books(
        status=ListBooksStatus.reading, author_id=author.id, q="saga", tag=[tag, "x"]
    )
    assert [b.id for b in everything] == [reading_both.id]

    page = await client.list_books(tag=[tag], limit=2, offset=1)
    assert recorder.last.query == f"tag={tag}&limit=2&offset=1"
    assert [b.id for b in page] == [wishlist.id, reading_one.id]
    assert await client.list_books(tag=[tag], offset=4) == []
    assert await client.list_books(tag=[unique("nothing")]) == []


async def test_update_book_replaces_every_field(
    client: BackendClient, recorder: RecordingTransport
) -> None:
    author = await new_author(client)
    new_author_ = await new_author(client)
    book = await new_book(
        client,
        author.id,
        subtitle="Sub",
        tags=["a"],
        price=Decimal(3),
        series=SeriesPosition(name="S", position=1),
    )
    updated = await client.update_book(
        book.id, payload=BookUpdate(title="Replaced", author_id=new_author_.id)
    )
    assert (recorder.last.method, recorder.last.status_code) == ("PUT", 200)
    assert updated.title == "Replaced"
    assert (updated.subtitle, updated.price, updated.series, updated.tags) == (
        None,
        None,
        None,
        [],
    )
    assert updated.author_id == new_author_.id == updated.author.id
    assert (updated.id, updated.added_at) == (book.id, book.added_at)
    assert await client.get_book(book.id) == updated
    assert (await client.get_author(author.id)).book_count == 0


async def test_patch_book_changes_only_the_fields_sent(
    client: BackendClient, recorder: RecordingTransport
) -> None:
    author = await new_author(client)
    book = await new_book(client, author.id, subtitle="Sub", tags=["a", "b"], pages=100)

    patched = await client.patch_book(book.id, payload=BookPatch(tags=["c"], rating=4))
    assert (recorder.last.method, recorder.last.status_code) == ("PATCH", 200)
    assert patched.model_dump() == {**book.model_dump(), "tags": ["c"], "rating": 4}

    # null clears an optional field; for a required one (title) it changes nothing.
    cleared = await client.patch_book(
        book.id, payload=BookPatch(subtitle=None, title=None)
    )
    assert cleared.subtitle is None and cleared.title == book.title

    with pytest.raises(ApiError) as error:
        await client.patch_book(book.id, payload=BookPatch(author_id=uuid.uuid4()))
    assert error.value.status_code == 404
    assert await client.get_book(book.id) == cleared


async def test_delete_book_answers_204_and_the_book_is_gone(
    client: BackendClient, recorder: RecordingTransport
) -> None:
    author = await new_author(client)
    book = await new_book(client, author.id, tags=["gone"])
    await client.record_progress(
        book.id, payload=ReadingProgressCreate(reader_id=uuid.uuid4(), page=0)
    )
    assert await client.delete_book(book.id) is None  # type: ignore[func-returns-value]
    assert (recorder.last.method, recorder.last.status_code) == ("DELETE", 204)
    with pytest.raises(ApiError) as error:
        await client.get_book(book.id)
    assert error.value.status_code == 404
    assert (await client.get_author(author.id)).book_count == 0


async def test_finish_book(client: BackendClient, recorder: RecordingTransport) -> None:
    author = await new_author(client)
    book = await new_book(client, author.id, status=BookStatus.reading, rating=2)
    reader = uuid.uuid4()
    finished = await client.finish_book(
        book.id,
        payload=FinishBook(
            reader_id=reader,
            finished_on=datetime.date(2024, 3, 1),
            rating=5,
            review="Yes.",
        ),
    )
    assert (recorder.last.path, recorder.last.status_code) == (
        f"/books/{book.id}/finish",
        200,
    )
    assert finished.model_dump(exclude={"book"}) == {
        "reader_id": reader,
        "finished_on": datetime.date(2024, 3, 1),
        "rating": 5,
        "review": "Yes.",
    }
    assert (finished.book.id, finished.book.status, finished.book.rating) == (
        book.id,
        BookStatus.finished,
        5,
    )
    stored = await client.get_book(book.id)
    assert (stored.status, stored.rating) == (BookStatus.finished, 5)


async def test_record_progress(
    client: BackendClient, recorder: RecordingTransport
) -> None:
    author = await new_author(client)
    book = await new_book(client, author.id, pages=400)
    reader = uuid.uuid4()
    progress = await client.record_progress(
        book.id,
        payload=ReadingProgressCreate(reader_id=reader, page=100, note="Slow start"),
    )
    assert (recorder.last.path, recorder.last.status_code) == (
        f"/books/{book.id}/progress",
        201,
    )
    assert progress.model_dump(exclude={"recorded_at"}) == {
        "book_id": book.id,
        "reader_id": reader,
        "page": 100,
        "percent": 25.0,
        "note": "Slow start",
    }
    assert progress.recorded_at.utcoffset() == datetime.timedelta(0)
    assert (await client.get_book(book.id)).status == BookStatus.reading  # was wishlist

    with pytest.raises(ApiError) as error:
        await client.record_progress(
            book.id, payload=ReadingProgressCreate(reader_id=reader, page=401)
        )
    assert error.value.status_code == 409

    unknown_length = await new_book(client, author.id)
    assert (
        await client.record_progress(
            unknown_length.id, payload=ReadingProgressCreate(reader_id=reader, page=7)
        )
    ).percent == 0.0


async def test_get_shelf_stats(
    client: BackendClient, recorder: RecordingTransport
) -> None:
    author = await new_author(client)
    reader = uuid.uuid4()
    reading = await new_book(client, author.id, pages=300)
    done = await new_book(client, author.id, pages=200)
    await new_book(client, author.id)  # not on this reader's shelf

    empty = await client.get_shelf_stats(reader_id=reader)
    assert recorder.last.query == f"reader_id={reader}"
    assert (empty.total, empty.pages_read, empty.currently_reading, empty.recent) == (
        0,
        0,
        {},
        [],
    )

    await client.record_progress(
        reading.id, payload=ReadingProgressCreate(reader_id=reader, page=50)
    )
    latest = await client.record_progress(
        reading.id, payload=ReadingProgressCreate(reader_id=reader, page=120)
    )
    await client.record_progress(
        done.id, payload=ReadingProgressCreate(reader_id=reader, page=10)
    )
    await client.finish_book(
        done.id,
        payload=FinishBook(reader_id=reader, finished_on=datetime.date(2024, 1, 2)),
    )
    # Someone else's progress does not count.
    await client.record_progress(
        reading.id, payload=ReadingProgressCreate(reader_id=uuid.uuid4(), page=299)
    )

    stats = await client.get_shelf_stats(reader_id=reader)
    assert stats.reader_id == reader
    assert stats.total == 2
    assert stats.by_status == {
        "wishlist": 0,
        "reading": 1,
        "finished": 1,
        "abandoned": 0,
    }
    # The furthest page of a book, or all of its pages once finished.
    assert stats.pages_read == 120 + 200
    assert stats.currently_reading == {reading.id: latest}
    # Latest activity first.
    assert [b.id for b in stats.recent] == [done.id, reading.id]


@pytest.mark.parametrize(
    "call",
    [
        "get_book",
        "update_book",
        "patch_book",
        "delete_book",
        "finish_book",
        "record_progress",
    ],
)
async def test_missing_book_is_a_404(client: BackendClient, call: str) -> None:
    missing = uuid.uuid4()
    reader = uuid.uuid4()
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "get_book": lambda: client.get_book(missing),
        "update_book": lambda: client.update_book(
            missing, payload=BookUpdate(title="x", author_id=uuid.uuid4())
        ),
        "patch_book": lambda: client.patch_book(missing, payload=BookPatch()),
        "delete_book": lambda: client.delete_book(missing),
        "finish_book": lambda: client.finish_book(
            missing,
            payload=FinishBook(reader_id=reader, finished_on=datetime.date(2024, 1, 1)),
        ),
        "record_progress": lambda: client.record_progress(
            missing, payload=ReadingProgressCreate(reader_id=reader, page=1)
        ),
    }
    with pytest.raises(ApiError) as error:
        await calls[call]()
    assert error.value.status_code == 404
    assert error.value.body_json == {"detail": f"book {missing} not found"}


async def test_invalid_query_parameters_are_a_422(client: BackendClient) -> None:
    cases: list[dict[str, Any]] = [
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"q": "a"},  # min_length 2
        {"status": "lost"},  # not a ListBooksStatus
        {"author_id": "nobody"},
    ]
    for kwargs in cases:
        with pytest.raises(ApiError) as error:
            await client.list_books(**kwargs)
        assert error.value.status_code == 422, kwargs
        assert error.value.body_json["detail"][0]["loc"] == [
            "query",
            next(iter(kwargs)),
        ]

    with pytest.raises(ApiError) as error:
        await client.get_shelf_stats(reader_id=cast(uuid.UUID, "me"))
    assert error.value.status_code == 422


async def test_invalid_bodies_are_a_422(client: BackendClient) -> None:
    author = await new_author(client)
    book = await new_book(client, author.id)
    # model_construct skips the client-side validation, so the server sees the bad values.
    bad_create = BookCreate.model_construct(title="ok", author_id=author.id, rating=9)
    with pytest.raises(ApiError) as error:
        await client.create_book(payload=bad_create)
    assert error.value.status_code == 422
    locs = [e["loc"] for e in error.value.body_json["detail"]]
    # `series` may be null but must be sent.
    assert ["body", "rating"] in locs and ["body", "series"] in locs

    with pytest.raises(ApiError) as error:
        await client.record_progress(
            book.id,
            payload=ReadingProgressCreate.model_construct(reader_id=author.id, page=-1),
        )
    assert error.value.status_code == 422
    assert error.value.body_json["detail"][0]["loc"] == ["body", "page"]

    with pytest.raises(ApiError) as error:
        await client.patch_book(book.id, payload=BookPatch.model_construct(pages=0))
    assert error.value.status_code == 422
