"""Helpers of the end-to-end tests: where the generated copy is, the running backend, a
transport that records status codes, and data factories. (conftest.py checks BOOKSHELF_ROOT and
puts <root>/shared and <root>/services/tg_bot/src on sys.path before this is imported.)"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from shared.generated.clients.backend import BackendClient
from shared.generated.schemas import AuthorCreate, AuthorRead, BookCreate, BookRead

BOOKSHELF = Path(os.environ["BOOKSHELF_ROOT"]).resolve()
SHARED = BOOKSHELF / "shared"
BACKEND_SRC = BOOKSHELF / "services" / "backend" / "src"
BACKEND_OPENAPI = BOOKSHELF / "services" / "backend" / "docs" / "openapi.json"
TG_BOT_SRC = BOOKSHELF / "services" / "tg_bot" / "src"


@dataclass(frozen=True)
class Backend:
    """The running backend: its base URL and its log."""

    url: str
    log: Path

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    query: str
    status_code: int


class RecordingTransport(httpx.AsyncBaseTransport):
    """httpx's own transport, recording what the client sent and the status it got back.

    The generated client returns parsed models (or None), not responses: this is how the tests
    see that `create_*` answered 201 and `delete_*` 204.
    """

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.exchanges: list[Exchange] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        self.exchanges.append(
            Exchange(
                method=request.method,
                path=request.url.path,
                query=request.url.query.decode(),
                status_code=response.status_code,
            )
        )
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()

    @property
    def last(self) -> Exchange:
        assert self.exchanges, "no request was sent"
        return self.exchanges[-1]


def unique(prefix: str) -> str:
    """A name no other test uses (the database lives for the whole session)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def new_author(client: BackendClient, **fields: Any) -> AuthorRead:
    fields.setdefault("name", unique("Author"))
    return await client.create_author(payload=AuthorCreate(**fields))


async def new_book(
    client: BackendClient, author_id: uuid.UUID, **fields: Any
) -> BookRead:
    fields.setdefault("title", unique("Book"))
    fields.setdefault("series", None)
    return await client.create_book(payload=BookCreate(author_id=author_id, **fields))
