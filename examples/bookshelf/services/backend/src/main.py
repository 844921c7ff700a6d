"""The `backend` service: `uvicorn main:app`, run from `src/` (with `../../../shared` on
PYTHONPATH for the `shared` package; see the example's README)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from database import create_tables, engine, get_db
from generated.app import create_app


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    await create_tables()
    yield
    await engine.dispose()


app = create_app(get_db=get_db, lifespan=lifespan)
