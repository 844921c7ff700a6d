"""schemathesis against the running backend, driven by the generated openapi.json.

Two runs, same seed:

1. Every check of `--checks all` except the five in KNOWN_GAPS must pass: no server error, no
   response that violates its schema, content types and headers as documented, resources
   available after creation and gone after deletion (stateful phase, following the links of the
   generated document).
2. The five excluded checks run on their own, and every failure they report must be one of the
   known, explained gaps below (none of them is in the hand-written controllers). A failure of
   any other kind fails the test. When a gap is fixed in the generator, its entry goes away.

Reports and the console output of both runs land in E2E_ARTIFACTS (see conftest.py), with a
one-line summary of each in schemathesis-summary.txt.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from e2e_support import BACKEND_OPENAPI, Backend

SEED = 20261126
MAX_EXAMPLES = 25
PHASES = "examples,coverage,fuzzing,stateful"
RUN_TIMEOUT = 900

# Why a failure of an excluded check is not a bug of the controllers, by gap.
GAPS: dict[str, str] = {
    "undocumented-error-statuses": (
        "the generated OpenAPI documents only the success status and 422 for each operation; "
        "the 404 (unknown id) and 409 (conflict) that controllers raise, as "
        "docs/generated-python.md tells them to, are undocumented: the spec format cannot "
        "declare error responses (specgen-lib/src/targets/openapi.rs)"
    ),
    "fastapi-400-unparsable-body": (
        "FastAPI answers 400 'There was an error parsing the body' to a body that is not JSON "
        "(e.g. not UTF-8); FastAPI's own /openapi.json does not document 400 either"
    ),
    "decimal-string-bounds": (
        "Book.price is a decimal with ge 0 / le 10000; its schema is `number (bounded) | string "
        "(pattern only)`, so an out-of-range numeric string is schema-valid but Pydantic "
        "rejects it with 422 (the bounds cannot be expressed on the string form)"
    ),
    "lax-validation": (
        "the generated Pydantic models validate in lax mode: e.g. the JSON number 0 is accepted "
        "as the date 1970-01-01 and `false` as the integer 0, although the schema says string "
        "(format date) / integer"
    ),
    "route-shadowing": (
        "PUT, PATCH and DELETE /books/stats match the routes of /books/{book_id}, so the answer "
        "is 422 ('stats' is not a UUID) rather than 405"
    ),
    "starlette-allow-header": (
        "a 405 from Starlette lists in `Allow` only the methods of the first route matching the "
        "path, not every method of the path"
    ),
}

# The checks excluded from the strict run, and the gaps their failures may be.
KNOWN_GAPS: dict[str, tuple[str, ...]] = {
    "status_code_conformance": (
        "undocumented-error-statuses",
        "fastapi-400-unparsable-body",
    ),
    "positive_data_acceptance": ("decimal-string-bounds",),
    "negative_data_rejection": ("lax-validation",),
    "unsupported_method": ("route-shadowing",),
    "allow_header_conformance": ("starlette-allow-header",),
}


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str
    report: dict[str, Any]
    report_dir: Path

    def figures(self) -> str:
        phases = ", ".join(
            f"{name} {info['status']}"
            for name, info in self.report.get("phases", {}).items()
        )
        cases = self.report.get("test_cases", {})
        return (
            f"{cases.get('generated', '?')} test cases, "
            f"{cases.get('with_failures', '?')} with failures; phases: {phases}; "
            f"{self.report.get('running_time', 0):.1f} s; seed {SEED}; "
            f"max-examples {MAX_EXAMPLES}; exit {self.returncode}"
        )


def _schemathesis() -> str:
    beside = Path(sys.executable).parent / "schemathesis"
    found = str(beside) if beside.exists() else shutil.which("schemathesis")
    if found is None:
        pytest.fail("schemathesis is not installed next to this Python nor on PATH")
    return found


@pytest.fixture(scope="module")
def config_file(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A schemathesis config that gives every request body's `author_id` a real author.

    Nothing in the API links an author's id into a book body, so without it every generated
    `POST /books` would name an unknown author (404) and no book would ever exist for the
    stateful phase to follow the links of `create_book` to.
    """
    response = httpx.post(
        f"{backend.url}/authors",
        json={"name": "Schemathesis Fixture Author"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    path = tmp_path_factory.mktemp("schemathesis") / "schemathesis.toml"
    path.write_text(f'[parameters]\n"body.author_id" = "{response.json()["id"]}"\n')
    return path


def _run(
    backend: Backend, config: Path, artifacts: Path, name: str, checks: list[str]
) -> Run:
    report_dir = artifacts / f"schemathesis-{name}"
    shutil.rmtree(report_dir, ignore_errors=True)
    report_dir.mkdir(parents=True)
    command = [
        _schemathesis(),
        "--config-file",
        str(config),
        "run",
        str(BACKEND_OPENAPI),
        "--url",
        backend.url,
        "--phases",
        PHASES,
        *checks,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "json,ndjson",
        "--report-dir",
        str(report_dir),
    ]
    result = subprocess.run(
        command,
        cwd=report_dir,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    output = result.stdout + result.stderr
    (artifacts / f"schemathesis-{name}.txt").write_text(
        "$ " + " ".join(command) + "\n\n" + output, encoding="utf-8"
    )
    reports = sorted(report_dir.glob("json-*.json"))
    assert reports, (
        f"schemathesis wrote no JSON report (exit {result.returncode}):\n{output}"
    )
    report = json.loads(reports[-1].read_text(encoding="utf-8"))
    return Run(result.returncode, output, report, report_dir)


def _record(artifacts: Path, line: str) -> None:
    with (artifacts / "schemathesis-summary.txt").open(
        "a", encoding="utf-8"
    ) as summary:
        summary.write(line + "\n")
    print(line)


def test_no_server_error_and_no_schema_violation(
    backend: Backend, config_file: Path, artifacts: Path
) -> None:
    excluded = ",".join(KNOWN_GAPS)
    run = _run(
        backend,
        config_file,
        artifacts,
        "strict",
        ["--checks", "all", "--exclude-checks", excluded],
    )
    _record(artifacts, f"schemathesis, every check but {excluded}: {run.figures()}")
    assert run.returncode == 0, (
        f"schemathesis found problems (exit {run.returncode}); output:\n"
        + "\n".join(run.output.splitlines()[-150:])
        + f"\n--- backend log (tail):\n{backend.log_tail()}"
    )
    phases = {name: info["status"] for name, info in run.report["phases"].items()}
    assert {phases.get(p) for p in ("coverage", "fuzzing", "stateful")} == {
        "success"
    }, phases
    assert run.report["test_cases"]["generated"] >= 500, run.report["test_cases"]
    # The config's author made book creation possible, so the book operations were reached.
    accepted = sum(
        rates.get("accepted", 0)
        for rates in run.report.get("valid_rates", {}).get("POST /books", {}).values()
    )
    assert accepted > 0, run.report.get("valid_rates")


@dataclass(frozen=True)
class Failure:
    check: str
    code: str
    operation: str
    message: str
    request: str
    status: int | None
    body: str
    allow: str

    def detail(self) -> Any:
        try:
            return json.loads(self.body).get("detail")
        except (ValueError, AttributeError):
            return None

    def __str__(self) -> str:
        return (
            f"{self.check} ({self.code}) on {self.operation}: {self.message.splitlines()[0]}\n"
            f"    request:  {self.request[:300]}\n"
            f"    response: {self.status} {self.body[:300]}"
        )


def _decode(content: Any) -> str:
    if isinstance(content, dict) and "$base64" in content:
        return base64.b64decode(content["$base64"]).decode("utf-8", errors="replace")
    return "" if content is None else str(content)


def _failures(report_dir: Path) -> list[Failure]:
    failures = []
    for path in sorted(report_dir.glob("ndjson-*.ndjson")):
        for line in path.read_text(encoding="utf-8").splitlines():
            event = json.loads(line)
            finished = event.get("ScenarioFinished")
            if not finished:
                continue
            recorder = finished["recorder"]
            for case_id, checks in recorder.get("checks", {}).items():
                for check in checks:
                    if check["status"] == "success":
                        continue
                    failure = check["failure_info"]["failure"]
                    interaction = recorder.get("interactions", {}).get(case_id) or {}
                    request = interaction.get("request") or {}
                    response = interaction.get("response") or {}
                    failures.append(
                        Failure(
                            check=check["name"],
                            code=failure.get("code", ""),
                            operation=failure.get("operation", ""),
                            message=failure.get("message", ""),
                            request=f"{request.get('method')} {request.get('uri')} "
                            + _decode(request.get("body")),
                            status=response.get("status_code"),
                            body=_decode(response.get("content")),
                            allow=",".join(
                                response.get("headers", {}).get("allow", [])
                            ),
                        )
                    )
    return failures


def _gap(failure: Failure) -> str | None:
    """Which known gap explains the failure, or None."""
    detail = failure.detail()
    errors = detail if isinstance(detail, list) else []
    if failure.check == "status_code_conformance":
        if failure.status in (404, 409) and isinstance(detail, str):
            return "undocumented-error-statuses"
        if failure.status == 400 and detail == "There was an error parsing the body":
            return "fastapi-400-unparsable-body"
    elif failure.check == "positive_data_acceptance":
        if (
            failure.status == 422
            and errors
            and all(
                e.get("loc", [])[:2] == ["body", "price"]
                and isinstance(e.get("input"), str)
                for e in errors
            )
        ):
            return "decimal-string-bounds"
    elif failure.check == "negative_data_rejection":
        if "Incorrect type" in failure.message and (failure.status or 500) < 500:
            return "lax-validation"
    elif failure.check == "unsupported_method":
        if failure.status == 422 and any(
            e.get("loc") == ["path", "book_id"] and e.get("input") == "stats"
            for e in errors
        ):
            return "route-shadowing"
    elif failure.check == "allow_header_conformance" and failure.status == 405:
        return "starlette-allow-header"
    return None


def test_excluded_checks_fail_only_for_known_gaps(
    backend: Backend, config_file: Path, artifacts: Path
) -> None:
    run = _run(
        backend,
        config_file,
        artifacts,
        "known-gaps",
        ["--checks", ",".join(KNOWN_GAPS)],
    )
    failures = _failures(run.report_dir)
    explained: Counter[str] = Counter()
    unexplained = []
    for failure in failures:
        gap = _gap(failure)
        if gap is not None and gap in KNOWN_GAPS.get(failure.check, ()):
            explained[gap] += 1
        else:
            unexplained.append(failure)
    counts = (
        ", ".join(f"{gap} {count}" for gap, count in sorted(explained.items()))
        or "none"
    )
    _record(
        artifacts,
        f"schemathesis, only {','.join(KNOWN_GAPS)}: {run.figures()}; "
        f"failed checks by known gap: {counts}; unexplained: {len(unexplained)}",
    )
    assert run.report["test_cases"]["generated"] >= 500, run.report["test_cases"]
    assert not unexplained, (
        f"{len(unexplained)} failure(s) of the excluded checks match no known gap:\n"
        + "\n".join(str(f) for f in unexplained[:20])
        + "\nKnown gaps:\n"
        + "\n".join(f"  {gap}: {why}" for gap, why in GAPS.items())
    )
    # A failing run must have failed for the reasons counted above, not e.g. for a crash.
    assert run.returncode in (0, 1), run.output[-3000:]
