"""The consumer module `services/shop/src/generated/clients.py`.

The manifest of `shop` declares `get_pet` and `list_pets` of `pets`. At run time the
factory gives the full client; to mypy it gives a `PetsApi`, so calls of undeclared
operations do not type-check."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from generated.clients import PetsApi, pets_client
from shared.generated.clients.pets import PetsClient

from conftest import SHARED_ROOT, SHOP_ROOT
from scripted_server import Reply, ScriptedServer

PET = {"id": "6f1c3a52-3f5e-4a8e-9f0b-7f4f1f0c2d11", "name": "Rex", "kind": "dog"}

HEADER = """\
from generated.clients import PetsApi, pets_client


"""


async def test_factory_gives_a_working_client(monkeypatch: pytest.MonkeyPatch) -> None:
    with ScriptedServer([Reply(200, PET), Reply(200, [PET])]) as server:
        monkeypatch.setenv("PETS_API_URL", server.url)
        async with pets_client(max_retries=0) as api:
            assert isinstance(api, PetsClient)
            pet = await api.get_pet("rex")
            pets = await api.list_pets(limit=1)
    assert pet.name == "Rex" and len(pets) == 1
    assert [r.target for r in server.received] == ["/pets/rex", "/pets?limit=1"]


def test_protocol_holds_only_the_declared_operations() -> None:
    members = sorted(name for name in vars(PetsApi) if not name.startswith("_"))
    assert members == ["get_pet", "list_pets"]


def mypy(tmp_path: Path, name: str, body: str) -> subprocess.CompletedProcess[str]:
    """mypy --strict on a consumer module `name` with the generated code on MYPYPATH."""
    module = tmp_path / f"{name}.py"
    module.write_text(HEADER + textwrap.dedent(body))
    env = dict(os.environ)
    env["MYPYPATH"] = os.pathsep.join([str(SHARED_ROOT), str(SHOP_ROOT)])
    env["MYPY_CACHE_DIR"] = str(SHARED_ROOT.parent / ".mypy_cache")
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(module)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_mypy_accepts_calls_of_declared_operations(tmp_path: Path) -> None:
    result = mypy(
        tmp_path,
        "consumer_ok",
        """\
        async def names() -> list[str]:
            async with pets_client() as api:
                one = await api.get_pet("rex")
                many = await api.list_pets(tag=["a"], limit=5)
                return [one.name, *(p.name for p in many)]


        def takes_the_protocol(api: PetsApi) -> PetsApi:
            return api
        """,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_rejects_a_call_of_an_undeclared_operation(tmp_path: Path) -> None:
    result = mypy(
        tmp_path,
        "consumer_bad",
        """\
        async def remove() -> None:
            async with pets_client() as api:
                await api.delete_pet("rex")
        """,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        'error: "PetsApi" has no attribute "delete_pet"  [attr-defined]'
        in result.stdout
    ), result.stdout


def test_mypy_rejects_wrong_argument_types(tmp_path: Path) -> None:
    result = mypy(
        tmp_path,
        "consumer_types",
        """\
        async def wrong() -> None:
            async with pets_client() as api:
                await api.get_pet(42)
                await api.list_pets(kind="lizard")
        """,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.count("[arg-type]") == 2, result.stdout
