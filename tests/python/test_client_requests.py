"""What the generated client sends and how it reads answers, against real HTTP."""

from __future__ import annotations

import datetime
import decimal
import pickle

import pydantic
import pytest
from shared.generated.clients import ApiError, BaseClient
from shared.generated.clients.pets import PetsClient
from shared.generated.schemas import ListPetsKind, PetCreate, PetKind, PetPatch, PetRead

from scripted_server import Reply, ScriptedServer

PET = {
    "id": "6f1c3a52-3f5e-4a8e-9f0b-7f4f1f0c2d11",
    "name": "Rex",
    "kind": "dog",
    "tags": ["good"],
}
CAT = {
    "id": "0b0b0b0b-3f5e-4a8e-9f0b-7f4f1f0c2d11",
    "name": "Tom",
    "kind": "cat",
    "class": "tabby",
}


async def test_calls_outside_async_with_raise_runtime_error() -> None:
    pets = PetsClient("http://127.0.0.1:1")
    with pytest.raises(
        RuntimeError, match=r"PetsClient is not open: use it as `async with"
    ):
        await pets.get_pet("rex")
    with ScriptedServer([Reply(200, PET)]) as server:
        closed = PetsClient(server.url)
        async with closed as opened:
            assert opened is closed
            await closed.get_pet("rex")
    with pytest.raises(RuntimeError, match="is not open"):
        await closed.get_pet("rex")
    assert len(server.received) == 1


async def test_entering_twice_is_an_error() -> None:
    async with PetsClient("http://127.0.0.1:1") as pets:
        with pytest.raises(RuntimeError, match="already open"):
            await pets.__aenter__()


async def test_base_url_defaults_to_the_environment_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with ScriptedServer([Reply(200, PET)]) as server:
        monkeypatch.setenv("PETS_API_URL", server.url)
        async with PetsClient() as pets:
            await pets.get_pet("rex")
    assert [r.path for r in server.received] == ["/pets/rex"]


async def test_explicit_base_url_wins_and_env_is_read_at_construction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with ScriptedServer([Reply(200, PET), Reply(200, PET)]) as server:
        monkeypatch.setenv("PETS_API_URL", "http://127.0.0.1:1")
        async with PetsClient(server.url) as pets:
            await pets.get_pet("rex")
        monkeypatch.setenv("PETS_API_URL", server.url)
        from_env = PetsClient()
        monkeypatch.setenv(
            "PETS_API_URL", "http://127.0.0.1:1"
        )  # too late: already read
        async with from_env as pets:
            await pets.get_pet("rex")
    assert len(server.received) == 2


def test_missing_base_url_is_a_value_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(
        ValueError,
        match="PetsClient needs a base URL: pass base_url or set PETS_API_URL",
    ):
        PetsClient()
    monkeypatch.setenv("PETS_API_URL", "")
    with pytest.raises(ValueError, match="PETS_API_URL"):
        PetsClient()


async def test_base_url_with_a_path_prefix() -> None:
    with ScriptedServer([Reply(200, PET)]) as server:
        async with PetsClient(f"{server.url}/api/v1") as pets:
            await pets.get_pet("rex")
    assert server.received[0].path == "/api/v1/pets/rex"


@pytest.mark.parametrize(
    ("value", "raw"),
    [
        ("a/b", "a%2Fb"),
        ("two words", "two%20words"),
        ("Zoë 🐶", "Zo%C3%AB%20%F0%9F%90%B6"),
        ("?#%&=+", "%3F%23%25%26%3D%2B"),
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("a.b", "a.b"),
    ],
)
async def test_path_params_are_quoted_as_one_segment(value: str, raw: str) -> None:
    with ScriptedServer([Reply(200, PET)]) as server:
        async with PetsClient(server.url) as pets:
            await pets.get_pet(value)
    assert server.received[0].path == f"/pets/{raw}"


async def test_several_path_params_and_non_string_ones() -> None:
    with ScriptedServer([Reply(200, PET)]) as server:
        async with PetsClient(server.url) as pets:
            await pets.get_owner_pet("ann/bob", 7)
    assert server.received[0].path == "/pets/owners/ann%2Fbob/7"


async def test_empty_path_param_is_rejected_before_sending() -> None:
    with ScriptedServer([]) as server:
        async with PetsClient(server.url) as pets:
            with pytest.raises(ValueError, match="path parameter 'pet_id' is empty"):
                await pets.get_pet("")
    assert server.received == []


async def test_query_params_encoding() -> None:
    with ScriptedServer([Reply(200, []), Reply(200, []), Reply(200, [])]) as server:
        async with PetsClient(server.url) as pets:
            await pets.list_pets()
            await pets.list_pets(
                kind=ListPetsKind.dog,
                tag=["friendly", "two words", "ü&="],
                born_after=datetime.date(2024, 1, 2),
                vaccinated=False,
                limit=3,
            )
            await pets.list_pets(tag=[], vaccinated=True)
    first, second, third = server.received
    # None is not sent; defaults are.
    assert first.query == [("limit", "10")]
    # Enums by value, lists as repeated keys, dates in ISO 8601, booleans as true/false.
    assert second.query == [
        ("kind", "dog"),
        ("tag", "friendly"),
        ("tag", "two words"),
        ("tag", "ü&="),
        ("born_after", "2024-01-02"),
        ("vaccinated", "false"),
        ("limit", "3"),
    ]
    assert third.query == [("vaccinated", "true"), ("limit", "10")]


async def test_list_outputs_are_parsed_into_lists_of_models() -> None:
    with ScriptedServer([Reply(200, [PET, CAT]), Reply(200, [])]) as server:
        async with PetsClient(server.url) as pets:
            found = await pets.list_pets()
            empty = await pets.list_pets()
    assert [type(p) for p in found] == [PetRead, PetRead]
    assert found[0].kind is PetKind.dog and found[0].tags == ["good"]
    assert found[1].class_ == "tabby"
    assert empty == []


async def test_invalid_answers_fail_validation() -> None:
    with ScriptedServer(
        [Reply(200, {"name": "no id"}), Reply(200, {"not": "a list"})]
    ) as server:
        async with PetsClient(server.url) as pets:
            with pytest.raises(pydantic.ValidationError):
                await pets.get_pet("rex")
            with pytest.raises(pydantic.ValidationError):
                await pets.list_pets()


async def test_204_returns_none() -> None:
    with ScriptedServer([Reply(204)]) as server:
        async with PetsClient(server.url) as pets:
            assert await pets.delete_pet("rex") is None
    assert server.received[0].method == "DELETE"
    assert server.received[0].path == "/pets/rex"


async def test_payload_is_sent_as_json_with_wire_names() -> None:
    payload = PetCreate(
        name="Tom",
        kind=PetKind.cat,
        class_="tabby",
        born=datetime.date(2020, 5, 17),
        weight=decimal.Decimal("4.50"),
    )
    with ScriptedServer([Reply(201, CAT)]) as server:
        async with PetsClient(server.url) as pets:
            created = await pets.create_pet(payload=payload)
    assert created.class_ == "tabby"
    request = server.received[0]
    assert request.method == "POST" and request.path == "/pets"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "name": "Tom",
        "kind": "cat",
        "tags": [],
        "class": "tabby",
        "born": "2020-05-17",
        "weight": "4.50",
    }


async def test_patch_sends_only_the_fields_that_were_set() -> None:
    with ScriptedServer([Reply(200, PET), Reply(200, PET)]) as server:
        async with PetsClient(server.url) as pets:
            await pets.patch_pet("rex", payload=PetPatch(name="Rex"))
            await pets.patch_pet("rex", payload=PetPatch(class_=None, tags=["a"]))
    assert server.received[0].method == "PATCH"
    assert server.received[0].json() == {"name": "Rex"}
    assert server.received[1].json() == {"class": None, "tags": ["a"]}


async def test_headers_option_is_sent_with_every_request() -> None:
    with ScriptedServer([Reply(200, PET)]) as server:
        async with PetsClient(
            server.url, headers={"Authorization": "Bearer t0ken"}
        ) as pets:
            await pets.get_pet("rex")
    assert server.received[0].headers["authorization"] == "Bearer t0ken"


def test_api_error_survives_pickling() -> None:
    error = ApiError("GET", "http://x/pets/1", 503, '{"detail": "busy"}')
    again = pickle.loads(pickle.dumps(error))
    assert (again.method, again.url, again.status_code, again.body) == (
        "GET",
        "http://x/pets/1",
        503,
        error.body,
    )
    assert again.body_json == {"detail": "busy"}
    assert str(again) == str(error)


def test_client_class_shape() -> None:
    assert issubclass(PetsClient, BaseClient)
    ops = [
        "list_pets",
        "get_pet",
        "create_pet",
        "patch_pet",
        "delete_pet",
        "get_owner_pet",
    ]
    public = [name for name in vars(PetsClient) if not name.startswith("_")]
    assert public == ops
    assert PetsClient.get_pet.__doc__ == "Get one pet"
