//! The service code of the `fastapi` target, checked by its real consumers: for every good
//! fixture, every example and two inline edge-case projects, each service's `src/` (generated
//! code and scaffolds as written) passes `ruff check` (the rules of tests/it/python.rs),
//! `ruff format --check` and `mypy --strict`; every module imports; the app starts, answers
//! `GET /health`, routes every REST operation to its controller (the stubs raise
//! `NotImplementedError`: a 500 means routing and validation worked), and the app's own
//! `openapi()` agrees with the generated `docs/openapi.json` on paths, methods, operation ids,
//! tags, parameters (name, in, required, description, default), request bodies, status codes and
//! response content. Known differences, accepted: FastAPI makes a `summary` up when the spec has
//! none, and titles the schema of a list response.
//!
//! Needs the pinned venv (`scripts/setup-python.sh`, `SPECGEN_VENV` or `target/venv`); without
//! it the test says so and passes, unless `SPECGEN_REQUIRE_PYTHON=1`.

use std::path::{Path, PathBuf};
use std::process::Command;

use camino::Utf8PathBuf;
use specgen::{Input, Project};

use super::good_projects;

/// Runs a tool of the venv in `cwd` with the service's import roots.
fn run(venv: &Path, tool: &str, args: &[&str], cwd: &Path, pythonpath: &str, cache: &Path) {
    let out = Command::new(venv.join("bin").join(tool))
        .args(args)
        .current_dir(cwd)
        .env("PYTHONPATH", pythonpath)
        .env("MYPYPATH", pythonpath)
        .env("MYPY_CACHE_DIR", cache.join("mypy"))
        .env("RUFF_CACHE_DIR", cache.join("ruff"))
        .env("DATABASE_URL", "sqlite+aiosqlite:///:memory:")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {tool}: {e}"));
    assert!(
        out.status.success(),
        "`{tool} {}` failed in {}:\n{}{}",
        args.join(" "),
        cwd.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Projects written here rather than as fixtures: they exist for this target's naming and
/// default rules. (path, content) pairs.
const EDGE_NAMES: &[(&str, &str)] = &[
    (
        "shared/spec/models.yaml",
        "models:\n  Item:\n    fields:\n      id: {type: uuid, readonly: true}\n      name: string\n    variants: {Create: {}, Read: {}}\n",
    ),
    ("shared/spec/events.yaml", "events:\n  item_created: {message: ItemRead, publish: true, subscribe: true}\n  item_seen: {message: ItemRead, publish: true, subscribe: true}\n"),
    (
        "services/api/spec/things.yaml",
        r#"# Methods and handlers named like builtins, modules and the router's own names; parameters
# named like keywords, the handler's own parameters, and E741's ambiguous names; defaults of
# every kind; patterns Rust's regex engine rejects; a path parameter in the prefix.
config:
  rest: {prefix: "/things/{tenant}", tags: [things]}
operations:
  list:
    output: list[ItemRead]
    params:
      - {name: tenant, type: string}
      - {name: l, type: int, source: query, required: false}
      - {name: controller, type: string, source: query, required: false}
      - {name: Response, type: string, source: query, required: false}
      - {name: tags, type: "list[string]", source: query, default: [a, b]}
      - {name: empty, type: "list[int]", source: query, default: []}
      - {name: ref, type: uuid, source: query, default: "123e4567-e89b-12d3-a456-426614174000"}
      - {name: since, type: datetime, source: query, default: "2024-01-31T12:00:00Z"}
      - {name: day, type: date, source: query, default: "2024-01-05"}
      - {name: amount, type: decimal, source: query, default: "1.50"}
      - {name: whole, type: decimal, source: query, default: 3}
      - {name: order, type: enum, values: [asc, desc, title], source: query, default: title}
      - {name: orders, type: {type: list, of: {type: enum, values: [x, "y"]}}, source: query, default: ["y"]}
      - {name: code, type: string, source: query, required: false, pattern: "^(?=.*\\d)\\w+$"}
      - {name: word, type: string, source: query, pattern: "^(?!x)\\w+$"}
      - {name: ratio, type: float, source: query, default: 0.5, gt: 0, lt: 1}
      - {name: session, type: string, source: query, required: false}
      - {name: session_, type: string, source: query, required: false}
      - {name: payload, type: string, source: query, required: false}
      - {name: self, type: string, source: query, required: false}
      - {name: datetime, type: date, source: query, required: false}
    rest: {method: GET, path: ""}
  router:
    params: [{name: tenant}]
    rest: {method: POST, path: /router, status: 205}
  get_db:
    params: [{name: tenant}, {name: Response, type: int}]
    rest: {method: DELETE, path: "/x/{Response}"}
  datetime:
    input: ItemCreate
    output: ItemRead
    params: [{name: tenant}]
    rest: {method: PUT, path: /dt, status: 202}
  new_controller:
    params: [{name: tenant}]
    output: ItemRead
    rest: {method: GET, path: /nc}
  list_:
    params: [{name: tenant}]
    rest: {method: GET, path: /list_}
  on_item_created:
    input: ItemRead
    events: {subscribe: item_created}
"#,
    ),
    (
        "services/api/spec/quiet.yaml",
        "operations:\n  on_item:\n    input: ItemRead\n    events: {subscribe: item_seen}\n",
    ),
    ("services/api/spec/class.yaml", "config: {rest: {prefix: /klass}}\noperations:\n  import: {output: ItemRead, rest: {method: GET, path: /i}}\n"),
    ("services/api/spec/a_1b.yaml", "config: {rest: {prefix: /a_1b}}\noperations:\n  one: {rest: {method: GET, path: /o}}\n"),
    ("services/api/spec/a1b.yaml", "config: {rest: {prefix: /a1b}}\noperations:\n  two: {rest: {method: GET, path: /t}}\n"),
    ("services/api/spec/api.yaml", "operations:\n  root: {output: ItemRead, rest: {method: GET, path: /}}\n"),
];

/// Schema classes called like every name the service modules import, and like the Protocol and
/// controller of a domain.
const EDGE_CLASH: &[(&str, &str)] = &[
    (
        "shared/spec/models.yaml",
        "models:
  Response: {fields: {ok: bool}}
  Path: {fields: {p: string}}
  Query: {fields: {q: string}}
  Body: {fields: {b: string}}
  Decimal: {fields: {d: decimal}}
  UUID: {fields: {u: uuid}}
  AsyncSession: {fields: {x: int}}
  AsyncIterator: {fields: {x: int}}
  Annotated: {fields: {x: int}}
  Callable: {fields: {x: int}}
  Depends: {fields: {x: int}}
  AwareDatetime: {fields: {x: datetime}}
  AfterValidator: {fields: {x: int}}
  Lifespan: {fields: {x: int}}
  FastAPI: {fields: {x: int}}
  APIRouter: {fields: {x: int}}
  Protocol: {fields: {x: int}}
  Any: {fields: {x: int}}
  ThingsControllerProtocol: {fields: {x: int}}
  ThingsController: {fields: {x: int}}
  ID: {fields: {x: int}}
  Item2: {fields: {x: int}}
  Item10: {fields: {x: int}}
",
    ),
    (
        "services/svc/spec/things.yaml",
        r#"config: {rest: {prefix: /things}}
operations:
  make:
    input: Body
    output: Response
    params:
      - {name: d, type: decimal, source: query, default: 2}
      - {name: u, type: uuid, source: query, required: false}
      - {name: when, type: datetime, source: query, required: false}
      - {name: day, type: date, source: query, default: "2024-02-29"}
      - {name: code, type: string, source: query, required: false, pattern: "^(?=a)"}
    rest: {method: POST, path: ""}
  many: {output: "list[Item10]", rest: {method: GET, path: /many}}
  ids: {output: "list[ID]", params: [{name: x, type: int}], rest: {method: GET, path: "/ids/{x}"}}
  two: {output: Item2, rest: {method: GET, path: /two}}
  gone: {params: [{name: fastapi, type: int}], rest: {method: DELETE, path: "/{fastapi}"}}
  tc: {output: ThingsControllerProtocol, input: ThingsController, rest: {method: PUT, path: /tc}}
"#,
    ),
];

/// Imports every module of a service, starts its app, and checks it (see the module docs).
const CHECK_APP: &str = r#"
import importlib
import json
import pathlib
import re
import sys
import warnings

warnings.simplefilter("ignore", DeprecationWarning)
from fastapi.testclient import TestClient  # noqa: E402

openapi_path = sys.argv[1]
for path in sorted(pathlib.Path(".").rglob("*.py")):
    importlib.import_module(".".join(path.with_suffix("").parts).removesuffix(".__init__"))

import main  # noqa: E402
from fastapi import FastAPI  # noqa: E402

if isinstance(main.app, FastAPI):
    app = main.app
else:
    # A `python-faststream` worker: a FastStream app whose broker has the service's
    # subscribers (two per subscribing operation); its FastAPI app is still generated.
    from faststream import FastStream

    from database import get_db
    from generated.app import create_app

    assert isinstance(main.app, FastStream), main.app
    assert len(main.broker.subscribers) >= 2, main.broker.subscribers
    app = create_app(get_db)
client = TestClient(app, raise_server_exceptions=False)
response = client.get("/health")
assert response.status_code == 200 and response.json() == {"status": "ok"}, response.text
assert "/health" not in app.openapi()["paths"]

mine = app.openapi()
theirs = json.load(open(openapi_path))
problems = []


def untitled(content):
    if content is None:
        return None
    return {k: {**v, "schema": {s: x for s, x in v["schema"].items() if s != "title"}} for k, v in content.items()}


def params(op):
    return [
        (p["name"], p["in"], p["required"], p.get("description"), p["schema"].get("default"))
        for p in op.get("parameters", [])
    ]


if mine["info"] != theirs["info"]:
    problems.append(("info", mine["info"], theirs["info"]))
if mine.get("tags") != theirs.get("tags"):
    problems.append(("tags", mine.get("tags"), theirs.get("tags")))
if sorted(mine["paths"]) != sorted(theirs["paths"]):
    problems.append(("paths", sorted(mine["paths"]), sorted(theirs["paths"])))
for path, item in theirs["paths"].items():
    mine_item = mine["paths"].get(path, {})
    if sorted(mine_item) != sorted(item):
        problems.append(("methods", path, sorted(mine_item), sorted(item)))
    for method, op in item.items():
        m = mine_item.get(method)
        if m is None:
            continue
        where = (method.upper(), path)
        for key in ("operationId", "tags", "description"):
            if m.get(key) != op.get(key):
                problems.append((key, where, m.get(key), op.get(key)))
        if "summary" in op and m.get("summary") != op["summary"]:
            problems.append(("summary", where, m.get("summary"), op["summary"]))
        if params(m) != params(op):
            problems.append(("parameters", where, params(m), params(op)))
        if m.get("requestBody") != op.get("requestBody"):
            problems.append(("requestBody", where, m.get("requestBody"), op.get("requestBody")))
        if sorted(m["responses"]) != sorted(op["responses"]):
            problems.append(("status codes", where, sorted(m["responses"]), sorted(op["responses"])))
        for code, resp in op["responses"].items():
            mine_content = untitled(m["responses"].get(code, {}).get("content"))
            if mine_content != resp.get("content"):
                problems.append(("response content", where, code, mine_content, resp.get("content")))


def sample(schema):
    if "$ref" in schema:
        schema = theirs["components"]["schemas"][schema["$ref"].split("/")[-1]]
    if "enum" in schema:
        return schema["enum"][0]
    kind, fmt = schema.get("type"), schema.get("format")
    if fmt == "uuid":
        return "123e4567-e89b-12d3-a456-426614174000"
    if fmt == "date":
        return "2024-01-31"
    if fmt == "date-time":
        return "2024-01-31T12:00:00Z"
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "number":
        return schema.get("minimum", 0.5)
    if kind == "boolean":
        return "true"
    if kind == "array":
        return [sample(schema["items"])]
    size = max(schema.get("minLength", 1), 1)
    for text in ("a" * size, "a1" * size, "1" * size):
        if re.search(schema.get("pattern", ""), text) and len(text) <= schema.get("maxLength", 1000):
            return text
    return None


calls = 0
for path, item in theirs["paths"].items():
    for method, op in item.items():
        url, query = path, {}
        values = [(p, sample(p["schema"])) for p in op.get("parameters", []) if p["required"]]
        if any(v is None for _, v in values):
            continue
        for p, v in values:
            if p["in"] == "path":
                url = url.replace("{" + p["name"] + "}", str(v))
            else:
                query[p["name"]] = v
        body = {} if "requestBody" in op else None
        response = client.request(method.upper(), url, params=query, json=body)
        calls += 1
        # The stubs raise NotImplementedError (500); an empty body may not validate (422).
        if response.status_code not in ({500} if body is None else {422, 500}):
            problems.append(("call", method.upper(), url, response.status_code, response.text[:500]))

for problem in problems:
    print("DISAGREE", *problem, sep="\n  ")
print(f"{calls} routes called, {len(problems)} disagreements")
sys.exit(1 if problems else 0)
"#;

/// A service to check: its `src/`, its import path, its OpenAPI document.
struct ServiceDir {
    src: PathBuf,
    pythonpath: String,
    openapi: PathBuf,
}

/// Generates `project` into `out` (generated files and scaffolds) and lists its services with
/// service code.
fn generate(project: &Project, out: &Path) -> Vec<ServiceDir> {
    let files = project.generate().unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    for (path, file) in files.iter() {
        let target = out.join(path.as_std_path());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(&target, &file.bytes).unwrap();
    }
    let shared_root = project.options.roots.shared_package.components().next().unwrap().as_str().to_string();
    let services_dir = out.join(project.options.roots.services_dir.as_std_path());
    project
        .ir
        .services
        .iter()
        .filter(|s| !s.domains.is_empty())
        .map(|s| {
            let dir = services_dir.join(&s.name);
            let src = dir.join("src");
            assert!(src.join("main.py").is_file(), "{}: no main.py", src.display());
            let pythonpath = format!("{}:{}", src.display(), out.join(&shared_root).display());
            ServiceDir { src, pythonpath, openapi: dir.join("docs/openapi.json") }
        })
        .collect()
}

#[test]
fn service_code_passes_ruff_mypy_and_runs() {
    let Some(venv) = super::venv() else { return };
    let tmp = tempfile::Builder::new().prefix("specgen-fastapi-").tempdir().unwrap();
    let mut projects: Vec<(String, Utf8PathBuf)> =
        good_projects().into_iter().map(|dir| (dir.file_name().unwrap().to_string(), dir)).collect();
    for (name, files) in [("edge-names", EDGE_NAMES), ("edge-clash", EDGE_CLASH)] {
        let root = Utf8PathBuf::try_from(tmp.path().join("specs").join(name)).unwrap();
        for (path, text) in files {
            std::fs::create_dir_all(root.join(path).parent().unwrap()).unwrap();
            std::fs::write(root.join(path), text).unwrap();
        }
        projects.push((name.to_string(), root));
    }
    let script = tmp.path().join("check_app.py");
    std::fs::write(&script, CHECK_APP).unwrap();
    let cache = tmp.path().join("cache");
    let mut checked = 0;
    for (name, root) in &projects {
        let project = Project::load(&Input::Root(root.clone())).unwrap_or_else(|d| panic!("{name}:\n{d}"));
        for service in generate(&project, &tmp.path().join("out").join(name)) {
            let (src, path) = (&service.src, service.pythonpath.as_str());
            // Stricter than ruff's defaults, as for schemas.py: style, imports, pyupgrade, bugbear.
            run(&venv, "ruff", &["check", "--no-cache", "--select", "E,F,W,I,UP,B", "."], src, path, &cache);
            run(&venv, "ruff", &["format", "--check", "--no-cache", "."], src, path, &cache);
            // One cache for every service, run one after the other: third-party stubs are analysed once.
            run(&venv, "mypy", &["--strict", "--explicit-package-bases", "."], src, path, &cache);
            let openapi = service.openapi.to_str().unwrap();
            run(&venv, "python", &[script.to_str().unwrap(), openapi], src, path, &cache);
            checked += 1;
        }
    }
    // bookshelf (2), the fixtures with services (8), the edge projects (2).
    assert!(checked >= 12, "only {checked} services checked");
}
