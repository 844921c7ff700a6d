"""The database of the `notifications` worker: its own, not the backend's.

`DATABASE_URL` (an async SQLAlchemy URL) picks it; the default is the SQLite file
`notifications.db` in the working directory, through aiosqlite. `create_tables()` runs at
startup (see main.py). `get_db` is the session dependency the event adapter opens once per
message.
"""

import os
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from models import Base

DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///./notifications.db")

engine = create_async_engine(
    DATABASE_URL,
    # SQLite: wait for a concurrent writer (every subscription handles its messages
    # concurrently with the others) instead of failing with "database is locked".
    connect_args={"timeout": 30} if DATABASE_URL.startswith("sqlite") else {},
)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)

if engine.dialect.name == "sqlite":

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
        # Write-ahead log: readers (a dashboard, the tests) never block the writer.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


async def create_tables() -> None:
    """Creates the tables that do not exist yet."""
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)


async def get_db() -> AsyncIterator[AsyncSession]:
    """One session per message: committed on success, rolled back on error."""
    async with SessionLocal() as session:
        try:
            yield session
        except Exception:
            await session.rollback()
            raise
        else:
            await session.commit()
