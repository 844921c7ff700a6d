"""Every REST operation of the `authors` domain, through the generated client, against the real
backend (SQLite behind it)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, cast

import pytest
from shared.generated.clients import ApiError
from shared.generated.clients.backend import BackendClient
from shared.generated.schemas import AuthorCreate, AuthorPatch, AuthorRead, AuthorUpdate

from e2e_support import RecordingTransport, new_author, new_book, unique


async def test_create_author_answers_201_with_server_set_fields(
    client: BackendClient, recorder: RecordingTransport
) -> None:
    before = datetime.datetime.now(datetime.UTC)
    author = await client.create_author(
        payload=AuthorCreate(
            name="Ursula K. Le Guin",
            sort_name="Le Guin, Ursula K.",
            born=datetime.date(1929, 10, 21),
            died=datetime.date(2018, 1, 22),
            country="US",
            website="https://www.ursulakleguin.com",
        )
    )
    assert (recorder.last.method, recorder.last.path, recorder.last.status_code) == (
        "POST",
        "/authors",
        201,
    )
    assert isinstance(author, AuthorRead)
    assert author.id.version == 4
    assert author.created_at.utcoffset() == datetime.timedelta(0)
    assert before <= author.created_at <= datetime.datetime.now(datetime.UTC)
    assert author.book_count == 0
    assert author.model_dump(exclude={"id", "created_at"}) == {
        "name": "Ursula K. Le Guin",
        "sort_name": "Le Guin, Ursula K.",
        "born": datetime.date(1929, 10, 21),
        "died": datetime.date(2018, 1, 22),
        "country": "US",
        "website": "https://www.ursulakleguin.com",
        "book_count": 0,
    }


async def test_get_author_returns_what_was_stored(
    client: BackendClient, recorder: RecordingTransport
) -> None:
    created = await new_author(client, country="GB", born=datetime.date(1947, 1, 1))
    fetched = await client.get_author(created.id)
    assert recorder.last.status_code == 200
    assert recorder.last.path == f"/authors/{created.id}"
    assert fetched == created


async def test_list_authors_with_defaults_sends_them_and_pages_in_catalogue_order(
    client: BackendClient, recorder: RecordingTransport
) -> None:
    created = await new_author(client)
    authors = await client.list_authors()
    assert recorder.last.query == "limit=50&offset=0"
    assert 1 <= len(authors) <= 50
    assert len({a.id for a in authors}) == len(authors)
    if len(authors) < 50:
        assert created.id in {a.id for a in authors}


async def test_list_authors_filters_by_name_prefix_and_country(
    client: BackendClient, recorder: RecordingTransport
) -> None:
    prefix = unique("Pfx")
    # Catalogue order is sort_name, else name: "B…" sorts before "C…" and "D…".
    carla = await new_author(client, name=f"{prefix} Carla", country="FR")
    bea = await new_author(client, name=f"{prefix.lower()} Bea", country="FR")
    dora = await new_author(client, name=f"{prefix} Dora", sort_name=f"{prefix} Aaa")
    await new_author(client, name=unique("Other"), country="FR")

    everyone = await client.list_authors(name_prefix=prefix)
    # The prefix matches regardless of case.
    assert [a.id for a in everyone] == [dora.id, bea.id, carla.id]

    french = await client.list_authors(name_prefix=prefix, country="FR")
    assert recorder.last.query == f"name_prefix={prefix}&country=FR&limit=50&offset=0"
    assert [a.id for a in french] == [bea.id, carla.id]
    assert french[0].model_dump() == {
        "id": bea.id,
        "name": f"{prefix.lower()} Bea",
        "country": "FR",
        "book_count": 0,
    }

    page = await client.list_authors(name_prefix=prefix, limit=1, offset=1)
    assert [a.id for a in page] == [bea.id]
    assert await client.list_authors(name_prefix=prefix, offset=3) == []
    assert await client.list_authors(name_prefix=prefix, offset=10**30) == []


async def test_name_prefix_matches_percent_and_underscore_literally(
    client: BackendClient,
) -> None:
    stem = unique("Lit")
    literal = await new_author(client, name=f"{stem}%_x")
    await new_author(client, name=f"{stem}ab_x")
    found = await client.list_authors(name_prefix=f"{stem}%_")
    assert [a.id for a in found] == [literal.id]


async def test_update_author_replaces_every_field(
    client: BackendClient, recorder: RecordingTransport
) -> None:
    author = await new_author(client, country="DE", website="https://example.org")
    updated = await client.update_author(
        author.id, payload=AuthorUpdate(name="New Name")
    )
    assert (recorder.last.method, recorder.last.status_code) == ("PUT", 200)
    assert updated.name == "New Name"
    assert updated.country is None and updated.website is None  # left out: cleared
    assert (updated.id, updated.created_at) == (author.id, author.created_at)
    assert await client.get_author(author.id) == updated


async def test_patch_author_changes_only_the_fields_sent(
    client: BackendClient, recorder: RecordingTransport
) -> None:
    author = await new_author(client, country="DE", website="https://example.org")
    patched = await client.patch_author(author.id, payload=AuthorPatch(country="AT"))
    assert (recorder.last.method, recorder.last.status_code) == ("PATCH", 200)
    assert patched.model_dump() == {**author.model_dump(), "country": "AT"}

    cleared = await client.patch_author(author.id, payload=AuthorPatch(website=None))
    assert cleared.website is None and cleared.country == "AT"
    # `name` is required: null in a patch leaves it as it is.
    kept = await client.patch_author(author.id, payload=AuthorPatch(name=None))
    assert kept.name == author.name
    assert await client.get_author(author.id) == kept


async def test_delete_author_answers_204_and_the_author_is_gone(
    client: BackendClient, recorder: RecordingTransport
) -> None:
    author = await new_author(client)
    assert await client.delete_author(author.id) is None  # type: ignore[func-returns-value]
    assert (recorder.last.method, recorder.last.status_code) == ("DELETE", 204)
    with pytest.raises(ApiError) as missing:
        await client.get_author(author.id)
    assert missing.value.status_code == 404


async def test_author_with_books_cannot_be_deleted(client: BackendClient) -> None:
    author = await new_author(client)
    book = await new_book(client, author.id)
    with pytest.raises(ApiError) as conflict:
        await client.delete_author(author.id)
    assert conflict.value.status_code == 409
    assert "still has 1 book" in conflict.value.body_json["detail"]
    await client.delete_book(book.id)
    await client.delete_author(author.id)


async def test_list_author_books_newest_first_with_limit(
    client: BackendClient, recorder: RecordingTransport
) -> None:
    author = await new_author(client)
    other = await new_author(client)
    first = await new_book(client, author.id, title="First")
    second = await new_book(client, author.id, title="Second")
    await new_book(client, other.id)

    books = await client.list_author_books(author.id)
    assert recorder.last.query == "limit=20"
    assert [b.id for b in books] == [second.id, first.id]
    assert {b.author.book_count for b in books} == {2}
    assert [b.id for b in await client.list_author_books(author.id, limit=1)] == [
        second.id
    ]
    assert (await client.get_author(author.id)).book_count == 2


@pytest.mark.parametrize(
    "call",
    [
        "get_author",
        "update_author",
        "patch_author",
        "delete_author",
        "list_author_books",
    ],
)
async def test_missing_author_is_a_404(client: BackendClient, call: str) -> None:
    missing = uuid.uuid4()
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "get_author": lambda: client.get_author(missing),
        "update_author": lambda: client.update_author(
            missing, payload=AuthorUpdate(name="x")
        ),
        "patch_author": lambda: client.patch_author(missing, payload=AuthorPatch()),
        "delete_author": lambda: client.delete_author(missing),
        "list_author_books": lambda: client.list_author_books(missing),
    }
    with pytest.raises(ApiError) as error:
        await calls[call]()
    assert error.value.status_code == 404
    assert error.value.body_json == {"detail": f"author {missing} not found"}


async def test_invalid_query_parameters_are_a_422(client: BackendClient) -> None:
    for kwargs in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"country": "usa"}):
        with pytest.raises(ApiError) as error:
            await client.list_authors(**cast(Any, kwargs))
        assert error.value.status_code == 422, kwargs
        assert error.value.body_json["detail"][0]["loc"][0] == "query"


async def test_invalid_body_and_path_are_a_422(client: BackendClient) -> None:
    # model_construct skips the client-side validation, so the server sees the bad values.
    with pytest.raises(ApiError) as error:
        await client.create_author(payload=AuthorCreate.model_construct(name=""))
    assert error.value.status_code == 422
    assert error.value.body_json["detail"][0]["loc"] == ["body", "name"]

    with pytest.raises(ApiError) as error:
        await client.get_author(cast(uuid.UUID, "not-a-uuid"))
    assert error.value.status_code == 422
    assert error.value.body_json["detail"][0]["loc"] == ["path", "author_id"]
