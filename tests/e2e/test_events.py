"""Events through a real Redis: the backend publishes to Redis Streams, the notifications worker
(services/notifications/src/main.py, a process of its own per `workers.start()`) consumes them in
its consumer group, writes notifications to its own SQLite database and publishes follow-up
events; failures go to `book_errors` and, after the last delivery, to the dead-letter stream.
The tg_bot publishes `bot_command` directly.

Streams are read with redis-py and decoded from FastStream's format (e2e_support.read_stream);
each test reads only the entries written after it started, and the worker's rows of its own
books.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterable
from typing import TypeVar

import redis
from faststream.redis import RedisBroker
from pydantic import BaseModel, ValidationError
from shared.generated.clients.backend import BackendClient
from shared.generated.events import publish_reading_progress
from shared.generated.schemas import (
    BookFinished,
    BookRead,
    BotCommand,
    EventError,
    FinishBook,
    NotificationKind,
    NotificationRead,
    ReadingProgressCreate,
    ReadingProgressRead,
)

from e2e_support import (
    SHARED,
    TG_BOT_SRC,
    RedisServer,
    StreamEntry,
    Workers,
    eventually,
    last_id,
    new_author,
    new_book,
    pending,
    read_stream,
    unique,
)

DEAD_BOOK_CREATED = "book_created:dead:notifications"
DEAD_READING_PROGRESS = "reading_progress:dead:notifications"

# Generous bounds for polling: a passing run takes a fraction of them.
SOON = 20.0
BACKLOG_TIMEOUT = 60.0
# Freezes of the victim to find it midway, holding unacknowledged messages (nearly always
# the first).
MIDWAY_TRIES = 20

_M = TypeVar("_M", bound=BaseModel)


def messages(
    client: redis.Redis, stream: str, model: type[_M], start: str
) -> list[tuple[StreamEntry, _M]]:
    """The entries of `stream` after the id `start` whose body is a valid `model`."""
    found: list[tuple[StreamEntry, _M]] = []
    for entry in read_stream(client, stream, f"({start}"):
        try:
            found.append((entry, model.model_validate_json(entry.body)))
        except ValidationError:
            continue
    return found


def book_entries(
    client: redis.Redis, start: str, book_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, StreamEntry]:
    """The `book_created` entries of the given books, by book id."""
    wanted = set(book_ids)
    return {
        book.id: entry
        for entry, book in messages(client, "book_created", BookRead, start)
        if book.id in wanted
    }


def sent_about(
    client: redis.Redis, start: str, book_ids: Iterable[uuid.UUID]
) -> list[NotificationRead]:
    """The `notification_sent` events about the given books."""
    wanted = set(book_ids)
    return [
        notification
        for _, notification in messages(
            client, "notification_sent", NotificationRead, start
        )
        if notification.book_id in wanted
    ]


def errors_about(
    client: redis.Redis, start: str, book_id: uuid.UUID
) -> list[EventError]:
    """The `book_errors` events whose original message is about `book_id`."""
    found = []
    for _, error in messages(client, "book_errors", EventError, start):
        original = json.loads(error.payload)
        if original.get("id") == str(book_id) or original.get("book_id") == str(
            book_id
        ):
            found.append(error)
    return found


async def test_a_created_book_becomes_a_notification(
    client: BackendClient, workers: Workers, redis_client: redis.Redis
) -> None:
    worker = workers.start()
    await worker.wait_ready(redis_client)
    created_from = last_id(redis_client, "book_created")
    sent_from = last_id(redis_client, "notification_sent")

    author = await new_author(client)
    book = await new_book(
        client,
        author.id,
        title="The Left Hand of Darkness",
        isbn="9780441478125",
        identifiers={"openlibrary": "OL59863W", "goodreads": "18423", "shelf": "B-12"},
    )

    # The backend published the book it answered with to the stream `book_created`.
    entry = (
        await eventually(
            lambda: book_entries(redis_client, created_from, [book.id]),
            timeout=SOON,
            what="the book_created event",
        )
    )[book.id]
    assert BookRead.model_validate_json(entry.body) == book

    # The worker's controller got it as a BookRead: its row has the book's id, title, author
    # and links built from its ISBN and identifiers (the unknown catalogue skipped).
    rows = await eventually(
        lambda: worker.notifications([book.id]),
        timeout=SOON,
        what="the worker's notification row",
    )
    assert len(rows) == 1
    row = rows[0]
    expected_links = [
        "https://openlibrary.org/isbn/9780441478125",
        "https://www.goodreads.com/book/show/18423",
        "https://openlibrary.org/works/OL59863W",
    ]
    assert (row.kind, row.reader_id, row.key) == (
        "book_added",
        None,
        f"book_added:{book.id}",
    )
    assert row.text == f"“The Left Hand of Darkness” by {author.name} is on the shelf."
    assert json.loads(row.links) == expected_links

    # The follow-up event: the notification, on `notification_sent`.
    sent = await eventually(
        lambda: sent_about(redis_client, sent_from, [book.id]),
        timeout=SOON,
        what="the notification_sent event",
    )
    assert len(sent) == 1
    notification = sent[0]
    assert (notification.id, notification.kind, notification.book_id) == (
        row.id,
        NotificationKind.book_added,
        book.id,
    )
    assert (notification.text, notification.links) == (row.text, expected_links)
    assert notification.reader_id is None

    # And the message was acknowledged.
    await eventually(
        lambda: entry.id not in pending(redis_client, "book_created"),
        timeout=SOON,
        what=f"the acknowledgement of {entry.id}",
    )


async def test_no_message_is_lost_while_the_worker_is_down(
    client: BackendClient, workers: Workers, redis_client: redis.Redis
) -> None:
    first = workers.start()
    await first.wait_ready(redis_client)  # the group exists from here on
    assert first.stop() == 0, first.log_tail()
    created_from = last_id(redis_client, "book_created")
    sent_from = last_id(redis_client, "notification_sent")

    author = await new_author(client)
    books = [
        await new_book(client, author.id, title=f"Volume {number}")
        for number in range(1, 101)
    ]
    ids = {book.id for book in books}
    entries = book_entries(redis_client, created_from, ids)
    assert entries.keys() == ids, "the backend did not publish every book"
    assert first.notifications(ids) == []

    second = workers.start()
    await eventually(
        lambda: len(second.notifications(ids)) >= len(ids),
        timeout=BACKLOG_TIMEOUT,
        what="100 notifications",
    )
    entry_ids = {entry.id for entry in entries.values()}
    await eventually(
        lambda: not entry_ids & pending(redis_client, "book_created").keys(),
        timeout=SOON,
        what="every message to be acknowledged",
    )
    # Exactly once: one row per book, and one follow-up event per book.
    rows = second.notifications(ids)
    assert len(rows) == 100
    assert {row.book_id for row in rows} == ids
    sent = sent_about(redis_client, sent_from, ids)
    assert len(sent) == 100
    assert {notification.book_id for notification in sent} == ids
    assert second.running, second.log_tail()


async def test_messages_of_a_killed_worker_are_delivered_again(
    client: BackendClient, workers: Workers, redis_client: redis.Redis
) -> None:
    first = workers.start()
    await first.wait_ready(redis_client)
    assert first.stop() == 0, first.log_tail()
    created_from = last_id(redis_client, "book_created")

    author = await new_author(client)
    books = [
        await new_book(client, author.id, title=f"Chapter {number}")
        for number in range(1, 101)
    ]
    ids = {book.id for book in books}
    entry_ids = {
        entry.id for entry in book_entries(redis_client, created_from, ids).values()
    }
    assert len(entry_ids) == 100

    # The victim takes the backlog and works through it: kill it midway, when it has handled
    # some messages and still holds others it has not acknowledged.
    victim = workers.start()

    def held_by_victim() -> set[str]:
        return {
            entry_id
            for entry_id, (consumer, _) in pending(redis_client, "book_created").items()
            if consumer == victim.consumer and entry_id in entry_ids
        }

    def midway() -> bool:
        return len(victim.notifications(ids)) >= 10 and bool(held_by_victim())

    # What it holds is looked at while it is frozen: looked at while it runs, the victim may
    # acknowledge the last message it held between the look and the kill. A freeze that finds
    # it holding nothing (between two batches) lets it go on and waits for the next moment.
    at_kill: set[str] = set()
    for _ in range(MIDWAY_TRIES):
        await eventually(
            midway, timeout=SOON, interval=0.01, what="the victim to be busy"
        )
        victim.freeze()
        await asyncio.sleep(0.05)  # an acknowledgement already sent reaches Redis
        at_kill = held_by_victim()
        if at_kill:
            break
        victim.resume()
    victim.kill()
    done_at_kill = len(victim.notifications(ids))
    assert at_kill, f"the victim held nothing in {MIDWAY_TRIES} freezes midway"
    assert 10 <= done_at_kill < 100

    # Its pending messages are claimed by the next worker once idle for retry_idle_ms.
    rescuer = workers.start(NOTIFICATIONS_RETRY_IDLE_MS="500")
    await eventually(
        lambda: len(rescuer.notifications(ids)) >= 100,
        timeout=BACKLOG_TIMEOUT,
        what="100 notifications",
    )
    await eventually(
        lambda: not entry_ids & pending(redis_client, "book_created").keys(),
        timeout=SOON,
        what="every message to be acknowledged",
    )
    # Every message handled once: one row per book, even for a message that was committed but
    # not acknowledged when the victim died (handled again, it found its row).
    rows = rescuer.notifications(ids)
    assert len(rows) == 100
    assert {row.book_id for row in rows} == ids
    assert rescuer.running, rescuer.log_tail()


async def test_a_failing_message_is_reported_retried_and_dead_lettered(
    client: BackendClient, workers: Workers, redis_client: redis.Redis
) -> None:
    worker = workers.start(
        NOTIFICATIONS_MAX_DELIVERIES="3", NOTIFICATIONS_RETRY_IDLE_MS="300"
    )
    await worker.wait_ready(redis_client)
    created_from = last_id(redis_client, "book_created")
    errors_from = last_id(redis_client, "book_errors")
    dead_from = last_id(redis_client, DEAD_BOOK_CREATED)

    author = await new_author(client)
    # The backend stores identifiers as given; the worker refuses a malformed Open Library id.
    bad = await new_book(client, author.id, identifiers={"openlibrary": "not-an-olid"})
    good = await new_book(client, author.id)

    # The message after it is handled while it waits for its next delivery.
    await eventually(
        lambda: worker.notifications([good.id]), timeout=SOON, what="the good book"
    )
    original = book_entries(redis_client, created_from, [bad.id])[bad.id]

    # Each of the three deliveries failed and was reported with the original message.
    def three_errors() -> list[EventError]:
        found = errors_about(redis_client, errors_from, bad.id)
        return found if len(found) >= 3 else []

    errors = await eventually(
        three_errors, timeout=SOON, what="three book_errors events"
    )
    assert [error.attempt for error in errors] == [1, 2, 3]
    for error in errors:
        assert (error.event, error.operation, error.service, error.error_type) == (
            "book_created",
            "on_book_created",
            "notifications",
            "InvalidIdentifier",
        )
        assert "not-an-olid" in error.error
        assert json.loads(error.payload) == json.loads(original.body)

    # After the third it went to the dead-letter stream, as it was, and was acknowledged.
    dead = await eventually(
        lambda: [
            e
            for e in read_stream(redis_client, DEAD_BOOK_CREATED, f"({dead_from}")
            if e.headers.get("message_id") == original.id
        ],
        timeout=SOON,
        what="the dead-lettered message",
    )
    assert len(dead) == 1
    assert dead[0].body == original.body
    assert BookRead.model_validate_json(dead[0].body) == bad
    headers = dead[0].headers
    assert (headers["operation"], headers["error_type"], headers["deliveries"]) == (
        "on_book_created",
        "InvalidIdentifier",
        "3",
    )
    assert "not-an-olid" in headers["error"]
    await eventually(
        lambda: original.id not in pending(redis_client, "book_created"),
        timeout=SOON,
        what="the acknowledgement of the dead-lettered message",
    )
    assert worker.notifications([bad.id]) == []

    # The worker keeps consuming, and the failed message is not delivered again.
    later = await new_book(client, author.id)
    await eventually(
        lambda: worker.notifications([later.id]), timeout=SOON, what="a later book"
    )
    assert len(errors_about(redis_client, errors_from, bad.id)) == 3
    assert worker.running, worker.log_tail()


async def test_an_invalid_message_is_dead_lettered_at_once(
    client: BackendClient,
    workers: Workers,
    redis_client: redis.Redis,
    redis_server: RedisServer,
) -> None:
    worker = workers.start()
    await worker.wait_ready(redis_client)
    dead_from = last_id(redis_client, DEAD_BOOK_CREATED)
    errors_from = last_id(redis_client, "book_errors")

    # Not a BookRead: a hand-written dict, published as FastStream publishes (as JSON).
    wrong = {"title": 42, "pages": "many", "note": unique("hand-written")}
    broker = RedisBroker(redis_server.url)
    await broker.connect()
    try:
        entry_id = (await broker.publish(wrong, stream="book_created")).decode()
    finally:
        await broker.stop()

    dead = await eventually(
        lambda: [
            e
            for e in read_stream(redis_client, DEAD_BOOK_CREATED, f"({dead_from}")
            if e.headers.get("message_id") == entry_id
        ],
        timeout=SOON,
        what="the dead-lettered message",
    )
    assert len(dead) == 1
    assert json.loads(dead[0].body) == wrong
    assert (dead[0].headers["error_type"], dead[0].headers["deliveries"]) == (
        "ValidationError",
        "1",
    )
    assert dead[0].headers["operation"] == "on_book_created"
    assert entry_id not in pending(redis_client, "book_created")

    # Logged at ERROR, with Pydantic's explanation.
    def logged() -> list[str]:
        return [
            line
            for line in worker.log_text().splitlines()
            if " ERROR " in line and "book_created" in line
        ]

    lines = await eventually(logged, timeout=SOON, what="the logged validation error")
    assert any("validation error" in line for line in lines), lines
    assert "for BookRead" in worker.log_text()

    # Invalid input is nobody's handler failure: no error event, no retry.
    assert all(
        json.loads(error.payload) != wrong
        for _, error in messages(redis_client, "book_errors", EventError, errors_from)
    )

    # The worker goes on with the next message.
    author = await new_author(client)
    book = await new_book(client, author.id)
    await eventually(
        lambda: worker.notifications([book.id]), timeout=SOON, what="the next book"
    )
    assert worker.running, worker.log_tail()


async def test_finished_books_and_reading_streaks(
    client: BackendClient,
    workers: Workers,
    redis_client: redis.Redis,
    redis_server: RedisServer,
) -> None:
    worker = workers.start(NOTIFICATIONS_MAX_DELIVERIES="1")
    await worker.wait_ready(redis_client)
    sent_from = last_id(redis_client, "notification_sent")
    errors_from = last_id(redis_client, "book_errors")
    dead_from = last_id(redis_client, DEAD_READING_PROGRESS)
    author = await new_author(client)
    book = await new_book(client, author.id, title="A Wizard of Earthsea", pages=200)
    reader = uuid.uuid4()

    # Finishing (REST) publishes `book_finished`: the reader is congratulated.
    today = datetime.datetime.now(datetime.UTC).date()
    finished = await client.finish_book(
        book.id, payload=FinishBook(reader_id=reader, finished_on=today, rating=4)
    )
    assert isinstance(finished, BookFinished)

    def about_reader(kind: str) -> list[NotificationRead]:
        return [
            n
            for n in sent_about(redis_client, sent_from, [book.id])
            if n.reader_id == reader and n.kind.value == kind
        ]

    congratulated = await eventually(
        lambda: about_reader("book_finished"), timeout=SOON, what="the congratulation"
    )
    assert congratulated[0].text == (
        f"You finished “A Wizard of Earthsea” by {author.name}. Well done! "
        "You rated it ★★★★☆."
    )

    # Three days in a row: two earlier days published directly, then today's progress (REST).
    now = datetime.datetime.now(datetime.UTC)
    broker = RedisBroker(redis_server.url)
    await broker.connect()
    try:
        for days_ago in (2, 1):
            await publish_reading_progress(
                ReadingProgressRead(
                    book_id=book.id,
                    reader_id=reader,
                    page=10 * days_ago,
                    percent=5.0 * days_ago,
                    recorded_at=now - datetime.timedelta(days=days_ago),
                ),
                broker=broker,
            )
        # A record from the future is refused (it would count days not read yet).
        await publish_reading_progress(
            ReadingProgressRead(
                book_id=book.id,
                reader_id=reader,
                page=150,
                percent=75.0,
                recorded_at=now + datetime.timedelta(days=3),
            ),
            broker=broker,
        )
    finally:
        await broker.stop()
    errors = await eventually(
        lambda: errors_about(redis_client, errors_from, book.id),
        timeout=SOON,
        what="the refused progress",
    )
    assert [(e.operation, e.error_type, e.attempt) for e in errors] == [
        ("on_reading_progress", "ImplausibleProgress", 1)
    ]
    # With max_deliveries 1, the first failure dead-letters it.
    await eventually(
        lambda: read_stream(redis_client, DEAD_READING_PROGRESS, f"({dead_from}"),
        timeout=SOON,
        what="the dead-lettered progress",
    )

    await client.record_progress(
        book.id, payload=ReadingProgressCreate(reader_id=reader, page=30)
    )
    streak = await eventually(
        lambda: [r for r in worker.notifications([book.id]) if r.kind == "streak"],
        timeout=SOON,
        what="the streak notification",
    )
    assert [(r.reader_id, r.text) for r in streak] == [
        (reader, "3 days in a row of reading. Keep it up!")
    ]
    assert worker.running, worker.log_tail()


def test_tg_bot_publishes_bot_commands(
    redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    start = last_id(redis_client, "bot_command")
    chat_id = int(uuid.uuid4().int % 10**12)
    env = {
        **os.environ,
        "REDIS_URL": redis_server.url,
        "PYTHONPATH": os.pathsep.join([str(TG_BOT_SRC), str(SHARED)]),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    result = subprocess.run(
        [
            sys.executable,
            "command_events.py",
            str(chat_id),
            "/add@shelf_bot Solaris Stanisław Lem",
            "/shelf",
        ],
        cwd=TG_BOT_SRC,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "published /add (3 args) to bot_command\n"
        "published /shelf (0 args) to bot_command\n"
    )
    published = [
        command
        for _, command in messages(redis_client, "bot_command", BotCommand, start)
        if command.chat_id == chat_id
    ]
    assert [(c.command, c.args, c.ok) for c in published] == [
        ("/add", ["Solaris", "Stanisław", "Lem"], True),
        ("/shelf", [], True),
    ]
