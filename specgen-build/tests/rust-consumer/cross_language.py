"""The Python half of the cross-language check (run by specgen-build/tests/consumer.rs).

DIR holds `<project>.py`, the generated `schemas.py` of each project, and
`projects.json`: `{project: {class: [field]}}`, the fields whose Rust type reads a null
as absent (not required and not nullable in the spec, which Pydantic still accepts as
`X | None = None`).

`produce DIR` builds inputs for every class (every field set, three times with other
values; only the required fields; every nullable field null), validates them with the
model and writes `DIR/python.json`: `{project: {class: [json text]}}`, each instance
dumped with `model_dump_json(by_alias=True)`, and again with `exclude_unset=True`.

`check DIR` reads `DIR/rust.json` (what the generated Rust types wrote back, or their
error) and validates each text with `model_validate_json`: it must equal the original
instance, value for value (`model_dump(mode="json")`) and in which fields are set
(`model_fields_set`, at every depth: absent and null differ in Pydantic), but for the
fields of `projects.json`."""

import datetime
import enum
import functools
import importlib
import json
import re
import sys
import types
import typing
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import hypothesis
import hypothesis.strategies as st
from pydantic import BaseModel, ValidationError

DEPTH = 3
STRINGS = ['ünïcödé ✓ "quoted" back\\slash', "plain", "", "new\nline\ttab", "a" * 40]
INTS = [7, -3, 0, 2**53 + 1, -(2**40)]
FLOATS = [0.1, -2.5e-7, 3.0, 1e300, 123456.789]
DECIMALS = ["12.50", "0.10", "1E+3", "-7", "0.000001"]
DATETIMES = [
    "2024-01-01T08:00:00.123456+05:30",
    "2024-02-29T23:59:59Z",
    "1999-12-31T23:59:59.5-08:00",
]
DATES = ["2024-02-29", "1970-01-01", "2000-12-31"]
UUIDS = [
    "123e4567-e89b-12d3-a456-426614174000",
    "00000000-0000-0000-0000-000000000000",
    str(uuid.UUID(int=7)),
]


def constraints(metadata: list[Any]) -> dict[str, Any]:
    """ge, gt, le, lt, min_length, max_length and pattern of pydantic metadata."""
    out: dict[str, Any] = {}
    for item in metadata:
        inner = getattr(item, "metadata", None)
        if isinstance(inner, list):
            out.update(constraints(inner))
        for name in ("ge", "gt", "le", "lt", "min_length", "max_length", "pattern"):
            value = getattr(item, name, None)
            if value is not None:
                out[name] = value
    return out


def clamp(value: Any, c: dict[str, Any], step: Any) -> Any:
    """The value moved into the bounds of `c` (`step` inside an exclusive bound)."""
    if "ge" in c and value < c["ge"]:
        value = c["ge"]
    if "gt" in c and value <= c["gt"]:
        value = c["gt"] + step
    if "le" in c and value > c["le"]:
        value = c["le"]
    if "lt" in c and value >= c["lt"]:
        value = c["lt"] - step
    return value


def string(k: int, c: dict[str, Any]) -> str:
    candidates = (
        STRINGS[k % len(STRINGS) :] + STRINGS + ["abc", "hello world", "AB", "x"]
    )
    for text in candidates:
        text = text[: c.get("max_length", len(text))]
        text = text + "a" * (c.get("min_length", 0) - len(text))
        if "pattern" not in c or re.search(c["pattern"], text):
            return text
    return simplest(c["pattern"], c.get("min_length", 0), c.get("max_length"))


@functools.cache
def simplest(pattern: str, min_length: int, max_length: int | None) -> str:
    """The simplest string of the pattern, found the same way on every run."""
    settings = hypothesis.settings(database=None, derandomize=True)
    strings = st.from_regex(pattern, fullmatch=True).filter(
        lambda s: min_length <= len(s) <= (max_length or len(s))
    )
    return hypothesis.find(strings, lambda _: True, settings=settings)


def unwrap(tp: Any) -> tuple[Any, list[Any]]:
    """The type without `Annotated`, and the metadata it carried."""
    metadata: list[Any] = []
    while typing.get_origin(tp) is typing.Annotated:
        tp, *extra = typing.get_args(tp)
        metadata.extend(extra)
    return tp, metadata


def sample(tp: Any, k: int, depth: int, c: dict[str, Any], null: bool) -> Any:
    """A JSON-like value of type `tp`, the k-th of its kind; None if `null` allows."""
    tp, metadata = unwrap(tp)
    c = {**c, **constraints(metadata)}
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if null or depth >= DEPTH:
            return None
        return sample(options[k % len(options)], k, depth, c, null)
    if origin is list:
        length = min(
            max(c.get("min_length", 0), 0 if depth >= DEPTH else 2),
            c.get("max_length", 2),
        )
        return [sample(args[0], k + i, depth + 1, {}, False) for i in range(length)]
    if origin is dict:
        size = 0 if depth >= DEPTH else 2
        return {
            sample(args[0], k + i + 1, depth + 1, {}, False): sample(
                args[1], k + i, depth + 1, {}, False
            )
            for i in range(size)
        }
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return instance(tp, k, depth + 1, "full")
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        members = list(tp)
        return members[k % len(members)].value
    if tp is bool:
        return k % 2 == 0
    if tp is int:
        return clamp(INTS[k % len(INTS)], c, 1)
    if tp is float:
        value = clamp(FLOATS[k % len(FLOATS)], c, 0.5)
        if "gt" in c and "lt" in c and not c["gt"] < value < c["lt"]:
            value = (c["gt"] + c["lt"]) / 2
        return value
    if tp is Decimal:
        return str(clamp(Decimal(DECIMALS[k % len(DECIMALS)]), c, Decimal("0.5")))
    if tp is str:
        return string(k, c)
    if tp is datetime.date:
        return DATES[k % len(DATES)]
    if tp is uuid.UUID:
        return UUIDS[k % len(UUIDS)]
    if tp is datetime.datetime or getattr(tp, "__name__", "") == "AwareDatetime":
        return DATETIMES[k % len(DATETIMES)]
    raise TypeError(f"no sampler for {tp!r}")


def instance(cls: type[BaseModel], k: int, depth: int, mode: str) -> dict[str, Any]:
    """Input for `cls` by wire name: `full`, `minimal` (required only) or `nulls`."""
    out: dict[str, Any] = {}
    for name, field in cls.model_fields.items():
        if mode == "minimal" and not field.is_required():
            continue
        if depth >= DEPTH and not field.is_required():
            continue
        c = constraints(field.metadata)
        out[field.alias or name] = sample(
            field.annotation, k, depth, c, mode == "nulls"
        )
    return out


def classes(module: Any) -> dict[str, type[BaseModel]]:
    return {
        name: value
        for name, value in vars(module).items()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == module.__name__
    }


def modules(work: Path) -> dict[str, Any]:
    sys.path.insert(0, str(work))
    projects = json.loads((work / "projects.json").read_text())
    return {
        project: importlib.import_module(project.replace("-", "_"))
        for project in projects
    }


def produce(work: Path) -> None:
    out: dict[str, dict[str, list[str]]] = {}
    invalid = []
    for project, module in modules(work).items():
        for name, cls in classes(module).items():
            texts: list[str] = []
            inputs = [("full", k) for k in range(3)] + [("minimal", 0), ("nulls", 1)]
            for mode, k in inputs:
                data = instance(cls, k, 0, mode)
                try:
                    model = cls.model_validate(data)
                except ValidationError as error:
                    invalid.append(f"{project} {name} {mode} {k}: {error}")
                    continue
                for exclude_unset in (False, True):
                    text = model.model_dump_json(
                        by_alias=True, exclude_unset=exclude_unset
                    )
                    if text not in texts:
                        texts.append(text)
            if not texts:
                sys.exit(
                    f"no valid instance of {project}.{name}:\n" + "\n".join(invalid)
                )
            out.setdefault(project, {})[name] = texts
    (work / "python.json").write_text(json.dumps(out, indent=1, ensure_ascii=False))
    count = sum(len(texts) for classes in out.values() for texts in classes.values())
    print(f"produced {count} JSON texts; the models rejected {len(invalid)} inputs")
    for line in invalid:
        print("  rejected:", line.splitlines()[0])


def differences(
    a: Any, b: Any, tolerated: dict[str, list[str]], path: str, out: list[str]
) -> None:
    """Where `b` differs from `a` in value or in set fields (recursively)."""
    if isinstance(a, BaseModel) and isinstance(b, BaseModel):
        allowed = tolerated.get(type(a).__name__, [])
        for name in sorted(a.model_fields_set ^ b.model_fields_set):
            lost_null = name in a.model_fields_set and getattr(a, name) is None
            if not (lost_null and name in allowed):
                side = "Python" if name in a.model_fields_set else "Rust"
                out.append(f"{path}.{name}: set in {side} only")
        for name in type(a).model_fields:
            differences(
                getattr(a, name), getattr(b, name), tolerated, f"{path}.{name}", out
            )
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            differences(x, y, tolerated, f"{path}[{i}]", out)
    elif isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        for key in a:
            differences(a[key], b[key], tolerated, f"{path}[{key!r}]", out)
    elif a != b or type(a) is not type(b):
        out.append(f"{path}: Python {a!r}, Rust {b!r}")


def short(text: str) -> str:
    """At most 600 characters of `text`."""
    return text if len(text) <= 600 else text[:600] + "…"


def check(work: Path) -> None:
    tolerated = json.loads((work / "projects.json").read_text())
    python = json.loads((work / "python.json").read_text())
    rust = json.loads((work / "rust.json").read_text())
    failures = []
    identical = total = 0
    changed: list[str] = []
    for project, module in modules(work).items():
        for name, cls in classes(module).items():
            results = rust.get(project, {}).get(name, [])
            texts = python[project][name]
            if len(results) != len(texts):
                failures.append(
                    f"{project}.{name}: sent {len(texts)}, {len(results)} came back"
                )
                continue
            for text, result in zip(texts, results, strict=True):
                total += 1
                where = f"{project}.{name} {short(text)}"
                wrote = f"\n  Rust wrote {short(result.get('ok', ''))}"
                if "error" in result:
                    failures.append(f"{where}\n  Rust: {result['error']}")
                    continue
                original = cls.model_validate_json(text)
                try:
                    back = cls.model_validate_json(result["ok"])
                except ValidationError as error:
                    failures.append(f"{where}{wrote}\n  Pydantic: {error}")
                    continue
                found: list[str] = []
                if original.model_dump(mode="json") != back.model_dump(mode="json"):
                    found.append("model_dump(mode='json') differs")
                differences(original, back, tolerated[project], name, found)
                if found:
                    failures.append(
                        f"{where}\n  Rust wrote {short(result['ok'])}\n  "
                        + "\n  ".join(found)
                    )
                if json.loads(text) == json.loads(result["ok"]):
                    identical += 1
                else:
                    changed.append(
                        f"{short(where)}\n  Rust wrote {short(result['ok'])}"
                    )
    print(
        f"{total} JSON texts through Rust and back, {identical} as the same JSON value"
    )
    # Equal once validated, but not the same JSON: one side normalised (a note only).
    for line in changed:
        print("  other JSON, same model:", line)
    if failures:
        sys.exit(f"{len(failures)} cross-language mismatches:\n" + "\n".join(failures))


if __name__ == "__main__":
    {"produce": produce, "check": check}[sys.argv[1]](Path(sys.argv[2]))
