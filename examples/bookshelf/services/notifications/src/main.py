"""The `notifications` worker: a FastStream app consuming the book event streams.

    cd services/notifications/src
    PYTHONPATH=.:../../../shared REDIS_URL=redis://localhost:6379 python main.py

(`faststream run main:app` works too, with FastStream's CLI extra installed). Every operation
of spec/reading.yaml with `events.subscribe` reads its Redis Stream in the consumer group
`notifications`; see the example's README for retries and dead-letter streams. Tables are
created at startup.

Environment:
  REDIS_URL                          the broker (default redis://localhost:6379)
  DATABASE_URL                       the worker's own database (default: SQLite file
                                     ./notifications.db)
  NOTIFICATIONS_CONSUMER             this process's name in the consumer group (default: the
                                     host name); give each replica on one host its own
  NOTIFICATIONS_MAX_DELIVERIES       deliveries of a failing message before it is
                                     dead-lettered (default 5)
  NOTIFICATIONS_RETRY_IDLE_MS        how long a failed message, or one whose worker died,
                                     stays pending before it is delivered again (default
                                     30000); well above the time a batch of messages takes
  LOG_LEVEL                          default INFO
"""

import asyncio
import logging
import os

from faststream import FastStream
from shared.generated.events import get_broker

from database import create_tables, engine, get_db
from generated.event_adapter import create_event_adapter


def _positive_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    number = int(value)
    if number < 1:
        raise ValueError(f"{name}={value}: must be at least 1")
    return number


broker = get_broker()
create_event_adapter(
    broker,
    get_db,
    consumer=os.environ.get("NOTIFICATIONS_CONSUMER") or None,
    max_deliveries=_positive_int("NOTIFICATIONS_MAX_DELIVERIES", 5),
    retry_idle_ms=_positive_int("NOTIFICATIONS_RETRY_IDLE_MS", 30_000),
)


async def _close_database() -> None:
    await engine.dispose()


app = FastStream(broker, on_startup=[create_tables], after_shutdown=[_close_database])

if __name__ == "__main__":
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    asyncio.run(app.run())
