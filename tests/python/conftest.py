"""The generated code under test, and shared fixtures.

The client of `project/` (service `pets`, consumer `shop`) is generated before any
test module is imported: into `$SPECGEN_CLIENT_TEST_OUT` by the Rust test
`specgen-lib/tests/it/client.rs` (which runs this suite), or, when that is unset, by
`specgen generate` into a temporary directory (the binary from `$SPECGEN_BIN`, else
`target/debug/specgen`). The generated `shared/` and `services/shop/src/` are put on
`sys.path`.

Run directly: `cargo build -p specgen-cli && target/venv/bin/pytest tests/python`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PROJECT = HERE / "project"


def _generated_root() -> tuple[Path, bool]:
    """The directory of the generated code, and whether this session created it."""
    out = os.environ.get("SPECGEN_CLIENT_TEST_OUT")
    if out:
        return Path(out), False
    binary = Path(os.environ.get("SPECGEN_BIN", REPO / "target" / "debug" / "specgen"))
    if not binary.is_file():
        raise RuntimeError(
            f"no specgen binary at {binary}: "
            "run `cargo build -p specgen-cli` or set SPECGEN_BIN"
        )
    out_dir = Path(tempfile.mkdtemp(prefix="specgen-client-tests-"))
    subprocess.run(
        [
            str(binary),
            "generate",
            "--quiet",
            "--root",
            str(PROJECT),
            "--out",
            str(out_dir),
            "--no-scaffolds",
        ],
        check=True,
    )
    return out_dir, True


GENERATED, _OWN_OUTPUT = _generated_root()
SHARED_ROOT = GENERATED / "shared"
SHOP_ROOT = GENERATED / "services" / "shop" / "src"
sys.path[:0] = [str(SHARED_ROOT), str(SHOP_ROOT)]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _OWN_OUTPUT:
        shutil.rmtree(GENERATED, ignore_errors=True)


class SleepRecorder:
    """An injectable `sleep` that records the delays instead of waiting, and can run
    a hook (e.g. start a server) at each wait."""

    def __init__(self, hook: Callable[[], None] | None = None) -> None:
        self.delays: list[float] = []
        self.hook = hook

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        if self.hook is not None:
            self.hook()


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture(autouse=True)
def _no_api_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees a `PETS_API_URL` it did not set."""
    monkeypatch.delenv("PETS_API_URL", raising=False)
