"""Helpers of the end-to-end tests: where the generated copy is, the running backend and Redis,
the notifications worker as a process, reading Redis Streams, a transport that records status
codes, and data factories. (conftest.py checks BOOKSHELF_ROOT and puts <root>/shared and
<root>/services/tg_bot/src on sys.path before this is imported.)"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import redis
from faststream.redis.parser import BinaryMessageFormatV1
from redis.exceptions import ResponseError
from shared.generated.clients.backend import BackendClient
from shared.generated.schemas import AuthorCreate, AuthorRead, BookCreate, BookRead

BOOKSHELF = Path(os.environ["BOOKSHELF_ROOT"]).resolve()
SHARED = BOOKSHELF / "shared"
BACKEND_SRC = BOOKSHELF / "services" / "backend" / "src"
BACKEND_OPENAPI = BOOKSHELF / "services" / "backend" / "docs" / "openapi.json"
BACKEND_SCHEMATHESIS = BOOKSHELF / "services" / "backend" / "schemathesis.toml"
TG_BOT_SRC = BOOKSHELF / "services" / "tg_bot" / "src"
NOTIFICATIONS_SRC = BOOKSHELF / "services" / "notifications" / "src"

GROUP = "notifications"
"""The worker's consumer group: its service name."""

STOP_TIMEOUT = 15.0


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


# ---- Redis ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedisServer:
    """The test session's redis-server (no persistence, loopback only)."""

    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=10)


@dataclass(frozen=True)
class StreamEntry:
    """One entry of a Redis Stream as FastStream wrote it: the body and the headers."""

    id: str
    body: bytes
    headers: dict[str, Any]


# redis-py types replies as unions of bytes, str and None (the decoding is a client option);
# this client never decodes, so the helpers below read them as bytes.
def _text(value: Any) -> str:
    assert isinstance(value, bytes), value
    return value.decode()


def read_stream(
    client: redis.Redis, stream: str, start: str = "-"
) -> list[StreamEntry]:
    """Every entry of `stream` from `start` on, decoded from FastStream's binary format."""
    reply: Any = client.xrange(stream, min=start)
    entries: list[StreamEntry] = []
    for entry_id, fields in reply or []:
        body, headers = BinaryMessageFormatV1.parse(fields[b"__data__"])
        entries.append(
            StreamEntry(id=_text(entry_id), body=body, headers=dict(headers))
        )
    return entries


def last_id(client: redis.Redis, stream: str) -> str:
    """The id of the newest entry of `stream` ("0" when it is empty or missing): read the
    entries of one test with `read_stream(client, stream, f"({last_id})")`."""
    reply: Any = client.xrevrange(stream, count=1)
    return _text(reply[0][0]) if reply else "0"


def pending(client: redis.Redis, stream: str) -> dict[str, tuple[str, int]]:
    """The entries of `stream` delivered to the group but not acknowledged: id -> (consumer,
    times delivered)."""
    try:
        rows = client.xpending_range(stream, GROUP, min="-", max="+", count=100_000)
    except ResponseError as error:  # no such stream or group yet
        if "NOGROUP" in str(error) or "no such key" in str(error):
            return {}
        raise
    return {
        _text(row["message_id"]): (_text(row["consumer"]), int(row["times_delivered"]))
        for row in rows
    }


def has_group(client: redis.Redis, stream: str) -> bool:
    """Whether the worker's consumer group reads `stream`."""
    try:
        rows = client.xinfo_groups(stream)
    except ResponseError as error:
        if "no such key" in str(error):
            return False
        raise
    return any(_text(row["name"]) == GROUP for row in rows)


_T = TypeVar("_T")


async def eventually(
    check: Callable[[], _T], *, timeout: float, what: str, interval: float = 0.05
) -> _T:
    """Polls `check` until it returns a truthy value (which is returned), at most `timeout`
    seconds; then fails the test saying what was awaited and what `check` last returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout:g} s waiting for {what} (last: {value!r})"
            )
        await asyncio.sleep(interval)


# ---- the notifications worker ---------------------------------------------------------------


@dataclass(frozen=True)
class NotificationRow:
    """A row of the worker's `notifications` table."""

    id: uuid.UUID
    key: str
    reader_id: uuid.UUID | None
    book_id: uuid.UUID | None
    kind: str
    text: str
    links: str


def _uuid_or_none(value: object) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(str(value))


class Worker:
    """`python main.py` of services/notifications/src, as a process of its own.

    Every worker of one test shares the test's database file (a restarted worker is the same
    deployment); its output goes to `log`. `env` adds to (or overrides) the environment.
    """

    def __init__(
        self,
        *,
        consumer: str,
        redis_server: RedisServer,
        database: Path,
        log: Path,
        env: Mapping[str, str],
    ) -> None:
        self.consumer = consumer
        self.database = database
        self.log = log
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(NOTIFICATIONS_SRC), str(SHARED)]),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "REDIS_URL": redis_server.url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "NOTIFICATIONS_CONSUMER": consumer,
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert self.process is None, f"{self.consumer} was started already"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "main.py"],
                cwd=NOTIFICATIONS_SRC,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    async def wait_ready(self, client: redis.Redis, timeout: float = 30.0) -> None:
        """Until the worker has started its subscribers (so the group exists: from then on,
        every new message of its streams is delivered to it)."""

        def ready() -> bool:
            if not self.running:
                raise AssertionError(
                    f"worker {self.consumer} exited:\n{self.log_tail()}"
                )
            return "started successfully" in self.log_text() and has_group(
                client, "book_created"
            )

        await eventually(
            ready, timeout=timeout, what=f"worker {self.consumer} to start"
        )

    def stop(self) -> int:
        """SIGTERM (a graceful shutdown), then SIGKILL if it takes too long; the exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=STOP_TIMEOUT)
        return self.process.returncode

    def freeze(self) -> None:
        """SIGSTOP: the worker stops on the spot and holds what it holds until `resume` or
        `kill`; commands it already sent (an acknowledgement) still reach Redis."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT: a frozen worker goes on."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL: the worker dies on the spot, acknowledging nothing more."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)

    def notifications(
        self, book_ids: Iterable[uuid.UUID] | None = None
    ) -> list[NotificationRow]:
        """Rows of the worker's database (about the given books only, when given)."""
        if not self.database.exists():
            return []
        wanted = None if book_ids is None else set(book_ids)
        connection = sqlite3.connect(self.database, timeout=10)
        try:
            rows = connection.execute(
                "SELECT id, key, reader_id, book_id, kind, text, links FROM notifications"
            ).fetchall()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return []
            raise
        finally:
            connection.close()
        result = [
            NotificationRow(
                id=uuid.UUID(str(row[0])),
                key=str(row[1]),
                reader_id=_uuid_or_none(row[2]),
                book_id=_uuid_or_none(row[3]),
                kind=str(row[4]),
                text=str(row[5]),
                links=str(row[6]),
            )
            for row in rows
        ]
        if wanted is None:
            return result
        return [row for row in result if row.book_id in wanted]


class Workers:
    """Starts the workers of one test (`worker-<test>-<n>`), on one database; stops them all at
    the end."""

    def __init__(
        self, redis_server: RedisServer, database: Path, artifacts: Path, test: str
    ) -> None:
        self.redis_server = redis_server
        self.database = database
        self.artifacts = artifacts
        self.test = test
        self.started: list[Worker] = []

    def start(self, **env: str) -> Worker:
        """A new worker process; environment variables as keyword arguments."""
        name = f"{self.test}-{len(self.started) + 1}"
        worker = Worker(
            consumer=name,
            redis_server=self.redis_server,
            database=self.database,
            log=self.artifacts / f"worker-{name}.log",
            env=env,
        )
        self.started.append(worker)
        worker.start()
        return worker

    def stop_all(self) -> None:
        for worker in self.started:
            worker.stop()
