"""Fixtures of the end-to-end tests: a generated copy of examples/bookshelf, a redis-server, the
backend running under uvicorn (publishing to that Redis), the generated client pointed at it, and
the notifications worker as processes.

Environment (scripts/e2e.sh sets them):
  BOOKSHELF_ROOT        required: a copy of examples/bookshelf on which `specgen generate` ran
  E2E_ARTIFACTS         directory for the server logs (backend, redis, workers) and the
                        schemathesis reports (default: a pytest temporary directory)
  E2E_STARTUP_TIMEOUT   seconds to wait for the backend's /health (default 30)

The test process imports `shared` (<root>/shared) and the tg_bot service (<root>/services/tg_bot/
src: `shelf`, `generated.clients`). The backend's own packages (`generated`, `controllers`, `app`)
live only in the uvicorn subprocess, the notifications worker's in its `python main.py`
subprocesses, so the services' `generated` packages never meet.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redis


def _bookshelf_root() -> Path:
    value = os.environ.get("BOOKSHELF_ROOT", "")
    if not value:
        pytest.exit(
            "BOOKSHELF_ROOT is not set. Run scripts/e2e.sh: it generates a copy of "
            "examples/bookshelf and runs these tests against it.",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )
    root = Path(value).resolve()
    expected = [
        "shared/shared/generated/clients/backend.py",
        "services/backend/src/generated/app.py",
        "services/backend/src/main.py",
        "services/backend/docs/openapi.json",
        "services/backend/schemathesis.toml",
        "services/tg_bot/src/generated/clients.py",
        "services/tg_bot/src/shelf.py",
        "shared/shared/generated/events.py",
        "services/notifications/src/generated/event_adapter.py",
        "services/notifications/src/main.py",
    ]
    missing = [path for path in expected if not (root / path).is_file()]
    if missing:
        pytest.exit(
            f"BOOKSHELF_ROOT={root} is not a generated bookshelf copy; missing: "
            + ", ".join(missing),
            returncode=pytest.ExitCode.USAGE_ERROR,
        )
    return root


_root = _bookshelf_root()
for _path in (_root / "services" / "tg_bot" / "src", _root / "shared"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

# These imports need the paths above.
from shared.generated.clients.backend import BackendClient

from e2e_support import (
    BACKEND_SRC,
    SHARED,
    Backend,
    RecordingTransport,
    RedisServer,
    Workers,
)

STARTUP_TIMEOUT = float(os.environ.get("E2E_STARTUP_TIMEOUT", "30"))
STOP_TIMEOUT = 15.0


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where logs and reports go (kept by scripts/e2e.sh when something fails)."""
    value = os.environ.get("E2E_ARTIFACTS")
    path = Path(value) if value else tmp_path_factory.mktemp("artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (uvicorn shuts down gracefully), then SIGKILL of its process group."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)


def _wait_healthy(process: subprocess.Popen[bytes], url: str) -> str | None:
    """None once GET /health answers 200; else why not (the process exited, or time ran out)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"uvicorn exited with status {process.returncode}"
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return None
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return f"GET {url}/health did not answer 200 within {STARTUP_TIMEOUT:g} s"


def _wait_redis(process: subprocess.Popen[bytes], server: RedisServer) -> str | None:
    """None once redis-server answers PING; else why not."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    client = server.client()
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return f"redis-server exited with status {process.returncode}"
            try:
                if client.ping():
                    return None
            except redis.ConnectionError:
                pass
            time.sleep(0.05)
    finally:
        client.close()
    return f"redis-server did not answer PING within {STARTUP_TIMEOUT:g} s"


@pytest.fixture(scope="session")
def redis_server(
    tmp_path_factory: pytest.TempPathFactory, artifacts: Path
) -> Iterator[RedisServer]:
    """A redis-server of the session on 127.0.0.1: no persistence, data dir in a temporary
    directory, log in the artifacts. Stopped at the end of the session."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(
            "redis-server is not installed (scripts/test.sh installs Debian's "
            "redis-server package)"
        )
    directory = tmp_path_factory.mktemp("redis")
    log_path = artifacts / "redis.log"
    for attempt in range(3):
        server = RedisServer(port=_free_port(), log=log_path)
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    binary,
                    "--port",
                    str(server.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(directory),
                    "--daemonize",
                    "no",
                    "--logfile",
                    "",
                ],
                cwd=directory,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            problem = _wait_redis(process, server)
            if problem is None:
                yield server
                break
            log_text = log_path.read_text(encoding="utf-8", errors="replace")
            if "address already in use" in log_text.lower() and attempt < 2:
                continue
            pytest.fail(f"redis did not start: {problem}\n--- {log_path}:\n{log_text}")
        finally:
            _stop(process)


@pytest.fixture(scope="session")
def backend(
    tmp_path_factory: pytest.TempPathFactory,
    artifacts: Path,
    redis_server: RedisServer,
) -> Iterator[Backend]:
    """The generated backend under uvicorn on 127.0.0.1, on a fresh SQLite file, publishing its
    events to the session's Redis.

    Stopped at the end of the session; if it logged any traceback, the session errors.
    """
    database = tmp_path_factory.mktemp("db") / "bookshelf.db"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(BACKEND_SRC), str(SHARED)]),
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "REDIS_URL": redis_server.url,
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    log_path = artifacts / "backend.log"
    # Another process may take the free port before uvicorn binds it: up to three ports.
    for attempt in range(3):
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "main:app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
                cwd=BACKEND_SRC,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            problem = _wait_healthy(process, url)
            if problem is None:
                yield Backend(url=url, log=log_path)
                break
            log_text = log_path.read_text(encoding="utf-8", errors="replace")
            if "address already in use" in log_text.lower() and attempt < 2:
                continue
            pytest.fail(
                f"the backend did not start: {problem}\n--- {log_path}:\n{log_text}"
            )
        finally:
            _stop(process)

    log_text = log_path.read_text(encoding="utf-8", errors="replace")
    if "Traceback" in log_text:
        pytest.fail(
            f"the backend logged exceptions (server errors); see {log_path}:\n"
            + "\n".join(log_text.splitlines()[-80:])
        )


@pytest.fixture
def recorder() -> RecordingTransport:
    """The client's transport: records the status code of every answer."""
    return RecordingTransport()


@pytest.fixture
async def client(
    backend: Backend, recorder: RecordingTransport
) -> AsyncIterator[BackendClient]:
    """The generated client of the backend (no retries: a 5xx fails at once)."""
    async with BackendClient(
        base_url=backend.url, transport=recorder, max_retries=0
    ) as opened:
        yield opened


@pytest.fixture
def workers(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    artifacts: Path,
    redis_server: RedisServer,
) -> Iterator[Workers]:
    """Starts notifications workers (`workers.start(NOTIFICATIONS_...="...")`) on the test's
    own worker database; every one still running is stopped (SIGTERM) at the end."""
    name = re.sub(r"[^A-Za-z0-9_]+", "-", request.node.name).strip("-")[:60]
    started = Workers(redis_server, tmp_path / "notifications.db", artifacts, name)
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture
def redis_client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    """A redis-py client of the session's Redis."""
    client = redis_server.client()
    try:
        yield client
    finally:
        client.close()
