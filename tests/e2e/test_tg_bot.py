"""The tg_bot service's shelf commands (services/tg_bot/src/shelf.py) against the running
backend, through the client its manifest allows."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from shared.generated.clients.backend import BackendClient
from shelf import add_book_and_list, render_shelf

from e2e_support import SHARED, TG_BOT_SRC, Backend, unique


async def test_add_book_and_list(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As the bot runs: the backend's URL comes from the environment.
    monkeypatch.setenv("BACKEND_API_URL", backend.url)
    tag = unique("bot")
    author_name = unique("Bot Author")

    first = await add_book_and_list("Solaris", author_name, tags=[tag])
    assert [(b.title, b.author.name, b.author.book_count) for b in first] == [
        ("Solaris", author_name, 1)
    ]
    second = await add_book_and_list("Fiasco", author_name, tags=[tag])
    assert [b.title for b in second] == ["Fiasco", "Solaris"]  # newest first
    # The author was found, not created again.
    assert second[0].author_id == first[0].author_id

    async with BackendClient(base_url=backend.url) as client:
        authors = await client.list_authors(name_prefix=author_name)
        assert [(a.name, a.book_count) for a in authors] == [(author_name, 2)]
        stored = await client.get_book(second[0].id)
        assert stored.tags == [tag]

    assert render_shelf(second) == (
        f"1. Fiasco by {author_name} [wishlist]\n2. Solaris by {author_name} [wishlist]"
    )
    assert render_shelf([]) == "Your shelf is empty."


def test_shelf_command_line(backend: Backend) -> None:
    tag = unique("cli")
    author_name = unique("Cli Author")
    env = {
        **os.environ,
        "BACKEND_API_URL": backend.url,
        "PYTHONPATH": os.pathsep.join([str(TG_BOT_SRC), str(SHARED)]),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    result = subprocess.run(
        [sys.executable, "shelf.py", "Roadside Picnic", author_name, "--tag", tag],
        cwd=TG_BOT_SRC,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"1. Roadside Picnic by {author_name} [wishlist]\n"
