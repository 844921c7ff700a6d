"""The database of the `backend` service.

`DATABASE_URL` (an async SQLAlchemy URL) picks it; the default is the SQLite file
`bookshelf.db` in the working directory, through aiosqlite. `create_tables()` runs at startup
(see main.py); there are no migrations in this example.
"""

import os
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.models import Base

DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///./bookshelf.db")

engine = create_async_engine(
    DATABASE_URL,
    # SQLite: wait for a concurrent writer instead of failing with "database is locked".
    connect_args={"timeout": 30} if DATABASE_URL.startswith("sqlite") else {},
)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)

if engine.dialect.name == "sqlite":

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
        # SQLite checks foreign keys (and so cascades deletes) only when asked, per connection.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


async def create_tables() -> None:
    """Creates the tables that do not exist yet."""
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)


async def get_db() -> AsyncIterator[AsyncSession]:
    """One session per request: committed on success, rolled back on error."""
    async with SessionLocal() as session:
        try:
            yield session
        except Exception:
            await session.rollback()
            raise
        else:
            await session.commit()
