"""How the generated clients find the backend: `base_url`, else `BACKEND_API_URL`."""

from __future__ import annotations

import httpx
import pytest
from generated.clients import backend_client
from shared.generated.clients.backend import BackendClient

from e2e_support import Backend, RecordingTransport, new_author


async def test_backend_api_url_is_the_default_base_url(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKEND_API_URL", backend.url)
    recorder = RecordingTransport()
    async with BackendClient(transport=recorder, max_retries=0) as client:
        author = await new_author(client)
        assert (await client.get_author(author.id)).name == author.name
    assert [e.status_code for e in recorder.exchanges] == [201, 200]


async def test_backend_api_url_is_really_used(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing listens on port 1: the client must fail to connect there.
    monkeypatch.setenv("BACKEND_API_URL", "http://127.0.0.1:1")
    async with BackendClient(max_retries=0) as client:
        with pytest.raises(httpx.ConnectError):
            await client.list_books()


async def test_an_explicit_base_url_wins_over_the_environment(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKEND_API_URL", "http://127.0.0.1:1")
    async with BackendClient(base_url=backend.url, max_retries=0) as client:
        assert isinstance(await client.list_books(limit=1), list)


def test_without_base_url_or_environment_the_client_refuses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BACKEND_API_URL", raising=False)
    with pytest.raises(ValueError, match="BACKEND_API_URL"):
        BackendClient()


async def test_tg_bot_factory_reads_backend_api_url(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKEND_API_URL", backend.url)
    async with backend_client(max_retries=0) as api:
        assert isinstance(api, BackendClient)
        assert isinstance(await api.list_authors(limit=1), list)
