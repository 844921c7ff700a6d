"""What the bot does with the shelf, without the chat: each command is an async function over the
backend's generated client (`generated.clients.backend_client`, typed by the bot's manifest).

    PYTHONPATH=.:../../../shared BACKEND_API_URL=http://127.0.0.1:8000 \\
        python shelf.py "The Dispossessed" "Ursula K. Le Guin" --tag sf

adds a book (and its author, when the shelf does not know them yet) and prints the shelf.
"""

import argparse
import asyncio
from collections.abc import Sequence

from shared.generated.schemas import AuthorCreate, AuthorRead, BookCreate, BookSummary

from generated.clients import BackendApi, backend_client

# The longest `name_prefix` that `GET /authors` accepts.
NAME_PREFIX_MAX = 50


async def find_or_create_author(backend: BackendApi, name: str) -> AuthorRead:
    """The author called exactly `name`, created when the shelf has none."""
    matches = await backend.list_authors(name_prefix=name[:NAME_PREFIX_MAX], limit=200)
    for author in matches:
        if author.name == name:
            return await backend.get_author(author.id)
    return await backend.create_author(payload=AuthorCreate(name=name))


async def add_book_and_list(
    title: str,
    author_name: str,
    *,
    tags: Sequence[str] = (),
    limit: int = 10,
    base_url: str | None = None,
) -> list[BookSummary]:
    """The `/add` command: puts a book on the shelf and returns the latest books (those with
    every one of `tags`, when given), newest first.

    `base_url` defaults to `BACKEND_API_URL`, like every generated client.
    """
    async with backend_client(base_url) as backend:
        author = await find_or_create_author(backend, author_name)
        await backend.create_book(
            payload=BookCreate(
                title=title, author_id=author.id, tags=list(tags), series=None
            )
        )
        return await backend.list_books(tag=list(tags) or None, limit=limit)


def render_shelf(books: Sequence[BookSummary]) -> str:
    """The bot's answer: one line per book."""
    if not books:
        return "Your shelf is empty."
    return "\n".join(
        f"{index}. {book.title} by {book.author.name} [{book.status.value}]"
        for index, book in enumerate(books, start=1)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Add a book and show the shelf.")
    parser.add_argument("title")
    parser.add_argument("author")
    parser.add_argument("--tag", action="append", default=[], help="repeatable")
    args = parser.parse_args()
    books = asyncio.run(add_book_and_list(args.title, args.author, tags=args.tag))
    print(render_shelf(books))


if __name__ == "__main__":
    main()
