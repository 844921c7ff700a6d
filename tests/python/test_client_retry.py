"""The retry semantics of the generated clients, against real HTTP servers on 127.0.0.1.

Nothing of httpx is mocked: every request goes over a real socket to a
`ScriptedServer`. Waits are observed through the injected `sleep` (a `SleepRecorder`),
so no test actually waits (except `test_default_sleep_really_waits`, a few ms).
"""

from __future__ import annotations

import json
import logging
import socket
import time
from typing import Any

import httpx
import pytest
from shared.generated.clients import ApiError
from shared.generated.clients.pets import PetsClient
from shared.generated.schemas import PetCreate, PetKind, PetRead

from conftest import SleepRecorder
from scripted_server import Reply, ScriptedServer

PET = {
    "id": "6f1c3a52-3f5e-4a8e-9f0b-7f4f1f0c2d11",
    "name": "Rex",
    "kind": "dog",
    "tags": ["good"],
}


def client(url: str, sleeps: SleepRecorder, **options: Any) -> PetsClient:
    return PetsClient(url, sleep=sleeps, timeout=5.0, **options)


async def test_503_then_200_succeeds_after_two_requests_and_one_wait(
    sleeps: SleepRecorder,
) -> None:
    with ScriptedServer([Reply(503, b"busy"), Reply(200, PET)]) as server:
        async with client(server.url, sleeps, initial_delay=0.25) as pets:
            pet = await pets.get_pet("rex")
    assert isinstance(pet, PetRead) and pet.name == "Rex"
    assert len(server.received) == 2
    assert sleeps.delays == [0.25]


async def test_connection_refused_then_success_is_retried() -> None:
    # The port is bound but not listening: the first attempt is refused. The injected
    # sleep (called once, between the first and the second attempt) starts listening.
    server = ScriptedServer([Reply(200, PET)])
    sleeps = SleepRecorder(hook=server.start)
    try:
        async with client(server.url, sleeps, initial_delay=0.5) as pets:
            pet = await pets.get_pet("rex")
    finally:
        server.stop()
    assert pet.name == "Rex"
    assert sleeps.delays == [0.5]
    assert len(server.received) == 1


async def test_connection_refused_every_time_raises_connect_error_after_all_retries(
    sleeps: SleepRecorder,
) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # never listens
    host, port = sock.getsockname()
    try:
        async with client(f"http://{host}:{port}", sleeps, initial_delay=1.0) as pets:
            with pytest.raises(httpx.ConnectError):
                await pets.get_pet("rex")
    finally:
        sock.close()
    assert sleeps.delays == [1.0, 2.0, 4.0]


async def test_404_raises_api_error_at_once_after_exactly_one_request(
    sleeps: SleepRecorder,
) -> None:
    with ScriptedServer(
        [Reply(404, {"detail": "no such pet"}), Reply(200, PET)]
    ) as server:
        async with client(server.url, sleeps) as pets:
            with pytest.raises(ApiError) as raised:
                await pets.get_pet("rex")
    assert raised.value.status_code == 404
    assert raised.value.body_json == {"detail": "no such pet"}
    assert len(server.received) == 1
    assert sleeps.delays == []


async def test_500_forever_gives_up_after_1_plus_3_requests_waiting_d_2d_4d(
    sleeps: SleepRecorder,
) -> None:
    replies = [Reply(500, f"failure {i}".encode()) for i in range(10)]
    with ScriptedServer(replies) as server:
        async with client(server.url, sleeps, initial_delay=0.5) as pets:
            with pytest.raises(ApiError) as raised:
                await pets.get_pet("rex")
    assert len(server.received) == 4
    assert sleeps.delays == [0.5, 1.0, 2.0]
    assert raised.value.status_code == 500
    assert raised.value.body == "failure 3"  # the last answer


async def test_defaults_are_3_retries_waiting_1_2_4_seconds(
    sleeps: SleepRecorder,
) -> None:
    with ScriptedServer([Reply(502) for _ in range(10)]) as server:
        async with PetsClient(server.url, sleep=sleeps) as pets:
            with pytest.raises(ApiError):
                await pets.get_pet("rex")
    assert len(server.received) == 4
    assert sleeps.delays == [1.0, 2.0, 4.0]


async def test_422_raises_api_error_with_the_body(sleeps: SleepRecorder) -> None:
    detail = {
        "detail": [
            {"loc": ["body", "name"], "msg": "Field required", "type": "missing"}
        ]
    }
    with ScriptedServer([Reply(422, detail)]) as server:
        async with client(server.url, sleeps) as pets:
            with pytest.raises(ApiError) as raised:
                await pets.create_pet(payload=PetCreate(name="Rex", kind=PetKind.dog))
    error = raised.value
    assert error.status_code == 422
    assert error.body_json == detail
    assert error.body == json.dumps(detail)
    assert error.method == "POST"
    assert error.url == f"{server.url}/pets"
    assert "422" in str(error) and "Field required" in str(error)
    assert len(server.received) == 1
    assert sleeps.delays == []


async def test_max_retries_0_sends_once(sleeps: SleepRecorder) -> None:
    with ScriptedServer([Reply(503), Reply(200, PET)]) as server:
        async with client(server.url, sleeps, max_retries=0) as pets:
            with pytest.raises(ApiError):
                await pets.get_pet("rex")
    assert len(server.received) == 1
    assert sleeps.delays == []


async def test_post_is_retried_on_5xx_with_the_same_body(sleeps: SleepRecorder) -> None:
    with ScriptedServer([Reply(502), Reply(201, PET)]) as server:
        async with client(server.url, sleeps) as pets:
            pet = await pets.create_pet(payload=PetCreate(name="Rex", kind=PetKind.dog))
    assert pet.name == "Rex"
    assert [r.method for r in server.received] == ["POST", "POST"]
    assert server.received[0].body == server.received[1].body
    assert sleeps.delays == [1.0]


async def test_read_timeout_is_not_retried(sleeps: SleepRecorder) -> None:
    # The server may have acted on a request whose answer timed out: never resent.
    with ScriptedServer([Reply(200, PET, delay=1.0), Reply(200, PET)]) as server:
        async with PetsClient(server.url, sleep=sleeps, timeout=0.2) as pets:
            with pytest.raises(httpx.ReadTimeout):
                await pets.get_pet("rex")
    assert len(server.received) == 1
    assert sleeps.delays == []


class ConnectTimeoutOnce(httpx.AsyncBaseTransport):
    """httpx's own transport, except that the first attempt fails with ConnectTimeout
    (a real connect timeout cannot be produced deterministically on loopback)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.failed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.failed:
            self.failed = True
            raise httpx.ConnectTimeout("connect timed out", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_connect_timeout_is_retried(sleeps: SleepRecorder) -> None:
    with ScriptedServer([Reply(200, PET)]) as server:
        async with client(server.url, sleeps, transport=ConnectTimeoutOnce()) as pets:
            pet = await pets.get_pet("rex")
    assert pet.name == "Rex"
    assert len(server.received) == 1
    assert sleeps.delays == [1.0]


async def test_retries_are_logged(
    sleeps: SleepRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="shared.generated.clients._http")
    with ScriptedServer([Reply(503), Reply(500), Reply(200, PET)]) as server:
        async with client(server.url, sleeps) as pets:
            await pets.get_pet("rex")
    messages = [
        r.getMessage()
        for r in caplog.records
        if r.name == "shared.generated.clients._http"
    ]
    assert len(messages) == 2
    assert (
        "status 503" in messages[0]
        and "attempt 1 of 4" in messages[0]
        and "retrying in 1.0 s" in messages[0]
    )
    assert (
        "status 500" in messages[1]
        and "attempt 2 of 4" in messages[1]
        and "retrying in 2.0 s" in messages[1]
    )


async def test_default_sleep_really_waits() -> None:
    with ScriptedServer([Reply(503), Reply(200, PET)]) as server:
        async with PetsClient(server.url, initial_delay=0.05) as pets:
            start = time.monotonic()
            await pets.get_pet("rex")
            elapsed = time.monotonic() - start
    assert elapsed >= 0.05
    assert len(server.received) == 2


def test_negative_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        PetsClient("http://127.0.0.1:1", max_retries=-1)
    with pytest.raises(ValueError, match="initial_delay"):
        PetsClient("http://127.0.0.1:1", initial_delay=-0.5)
