"""The generated services/backend/docs/openapi.json: valid OpenAPI 3.1, and the same API as the
one the running FastAPI app describes at GET /openapi.json."""

from __future__ import annotations

import json
from typing import Any

import httpx
from openapi_spec_validator import OpenAPIV31SpecValidator

from e2e_support import BACKEND_OPENAPI, Backend

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _generated() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(BACKEND_OPENAPI.read_text(encoding="utf-8"))
    return document


def test_generated_openapi_is_valid_openapi_3_1() -> None:
    document = _generated()
    assert document["openapi"].startswith("3.1"), document["openapi"]
    errors = [
        f"{'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
        for error in OpenAPIV31SpecValidator(document).iter_errors()
    ]
    assert not errors, f"{BACKEND_OPENAPI} is not valid OpenAPI 3.1:\n" + "\n".join(
        errors
    )


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """`node`, or what its local `$ref` points at."""
    while (
        "$ref" in node
        and isinstance(node["$ref"], str)
        and node["$ref"].startswith("#/")
    ):
        target: Any = document
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _body_class(document: dict[str, Any], operation: dict[str, Any]) -> str | None:
    """The class of the request body: the name its JSON schema refers to, `inline` when it has
    none, None when the operation takes no body."""
    if "requestBody" not in operation:
        return None
    body = _resolve(document, operation["requestBody"])
    classes = sorted(
        str(media["schema"].get("$ref", "inline")).rsplit("/", 1)[-1]
        for media in body.get("content", {}).values()
    )
    return f"{', '.join(classes)} (required={body.get('required', False)})"


def _facts(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What both descriptions must agree on, by `METHOD path`."""
    facts: dict[str, dict[str, Any]] = {}
    for path, item in document.get("paths", {}).items():
        shared_parameters = item.get("parameters", [])
        for method in HTTP_METHODS:
            if method not in item:
                continue
            operation = item[method]
            parameters = [
                _resolve(document, p)
                for p in [*shared_parameters, *operation.get("parameters", [])]
            ]
            facts[f"{method.upper()} {path}"] = {
                "parameters": sorted(
                    (p["name"], p["in"], bool(p.get("required", False)))
                    for p in parameters
                ),
                "request body": _body_class(document, operation),
                "response status codes": sorted(operation.get("responses", {})),
            }
    return facts


def _differences(generated: dict[str, Any], served: dict[str, Any]) -> list[str]:
    want, got = _facts(generated), _facts(served)
    problems = [
        f"only in the generated file: {op}" for op in sorted(want.keys() - got.keys())
    ]
    problems += [
        f"only in the running app: {op}" for op in sorted(got.keys() - want.keys())
    ]
    for op in sorted(want.keys() & got.keys()):
        for aspect in want[op]:
            if want[op][aspect] != got[op][aspect]:
                problems.append(
                    f"{op}: different {aspect}\n"
                    f"    generated:   {want[op][aspect]}\n"
                    f"    running app: {got[op][aspect]}"
                )
    return problems


def test_the_comparison_reports_what_differs() -> None:
    """The comparison itself: a changed copy is reported precisely."""
    generated = _generated()
    changed = json.loads(json.dumps(generated))
    changed["paths"]["/books"]["get"]["parameters"][0]["required"] = True
    del changed["paths"]["/authors/{author_id}"]["delete"]
    changed["paths"]["/books"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ] = {"$ref": "#/components/schemas/BookUpdate"}
    changed["paths"]["/books/{book_id}/progress"]["post"]["responses"]["200"] = {
        "description": "x"
    }
    problems = _differences(generated, changed)
    assert [p.splitlines()[0] for p in problems] == [
        "only in the generated file: DELETE /authors/{author_id}",
        "GET /books: different parameters",
        "POST /books: different request body",
        "POST /books/{book_id}/progress: different response status codes",
    ]
    assert "BookCreate (required=True)" in problems[2]
    assert "BookUpdate (required=True)" in problems[2]


def test_generated_openapi_matches_the_running_app(backend: Backend) -> None:
    response = httpx.get(f"{backend.url}/openapi.json", timeout=10)
    assert response.status_code == 200
    problems = _differences(_generated(), response.json())
    assert not problems, (
        f"{BACKEND_OPENAPI} and GET {backend.url}/openapi.json disagree:\n"
        + "\n".join(problems)
    )
    # Guard against comparing two empty documents.
    assert len(_facts(_generated())) == 16
