//! The generated clients, checked by real consumers: ruff, mypy --strict and CPython on every
//! good project's clients (plus a project of hostile names written here), and the pytest suite
//! of `tests/python/`, which runs the client of `tests/python/project/` against real HTTP servers
//! (retries, encoding, parsing) and runs mypy on consumer modules that use the manifest
//! Protocol (a call of an undeclared operation must be rejected).
//!
//! Needs the pinned venv (`scripts/setup-python.sh`, found through `SPECGEN_VENV` or at
//! `target/venv`). Without it these tests say so and pass, unless `SPECGEN_REQUIRE_PYTHON=1`,
//! which makes a missing venv a failure (the rule of `python.rs`).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use camino::Utf8PathBuf;
use specgen::{FileSet, Input, Project, Target};

use super::{good_projects, repo_root};

/// Runs `tool` of the venv in `cwd` with `envs`; panics with its output unless it succeeds.
fn run(venv: &Path, tool: &str, args: &[&str], cwd: &Path, envs: &[(&str, &Path)]) {
    let mut command = Command::new(venv.join("bin").join(tool));
    command.args(args).current_dir(cwd).env("PYTHONDONTWRITEBYTECODE", "1");
    for (key, value) in envs {
        command.env(key, value);
    }
    let out = command.output().unwrap_or_else(|e| panic!("cannot run {tool}: {e}"));
    assert!(
        out.status.success(),
        "`{tool} {}` failed in {}:\n{}{}",
        args.join(" "),
        cwd.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Loads `root` and renders only the Pydantic and client targets (the client imports
/// `schemas.py`; other targets are checked elsewhere).
fn generate(root: &Utf8PathBuf) -> FileSet {
    let mut project = Project::load(&Input::Root(root.clone())).unwrap_or_else(|d| panic!("{root}:\n{d}"));
    project.options.targets = [Target::Pydantic, Target::Client].into_iter().collect();
    project.generate().unwrap_or_else(|e| panic!("{root}: {e}"))
}

fn write_all(files: &FileSet, out: &Path) {
    for (path, file) in files.iter() {
        let target = out.join(path.as_str());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, &file.bytes).unwrap();
    }
}

/// Names that collide with everything the client module defines or imports: schema classes
/// called like the client class and the consumer's Protocol, operations called like builtins,
/// modules and keywords, parameters called `self`, `payload`, `schemas`, like the output class,
/// services called like keywords, enum defaults whose member names are escaped.
const HOSTILE: &[(&str, &str)] = &[
    (
        "shared/spec/models.yaml",
        r#"models:
  ClassClient:
    description: Named like the client class of service `class`.
    fields: {name: string}
  ClassApi:
    description: Named like the Protocol of service `class` in the consumer.
    fields: {value: int}
  ClientOptions:
    fields: {x: int}
  Schemas:
    fields: {y: int}
"#,
    ),
    (
        "services/class/spec/def.yaml",
        r#"config:
  rest: {prefix: /things}
operations:
  list:
    summary: Named like a builtin used in annotations
    output: list[ClassClient]
    params:
      - {name: schemas, type: string, source: query, required: false}
      - {name: payload, type: int, source: query, default: 1}
      - {name: self, type: string, source: query, required: false}
      - {name: session, type: string, source: query, required: false}
      - {name: ClassClient, type: string, source: query, required: false}
    rest: {method: GET, path: ""}
  uuid:
    output: ClassClient
    params:
      - {name: ClassClient, type: uuid}
      - {name: datetime, type: datetime, source: query, default: "2024-01-31T10:00:00-05:30"}
      - {name: when, type: datetime, source: query, default: "2024-01-31 10:00:00.25Z"}
      - {name: day, type: date, source: query, default: "2024-02-29"}
      - {name: amount, type: decimal, source: query, default: 0.1}
      - {name: ratio, type: float, source: query, default: 2}
    rest: {method: GET, path: "/{ClassClient}"}
  datetime:
    input: Schemas
    output: Schemas
    rest: {method: PUT, path: "/x"}
  schemas:
    input: ClientOptions
    rest: {method: PATCH, path: "/y"}
  list_:
    rest: {method: DELETE, path: "/z"}
  import:
    rest: {method: POST, path: "/w"}
  import_:
    rest: {method: POST, path: "/v"}
  str:
    output: list[ClassApi]
    params:
      - {name: kind, type: enum, values: [a, title, class, class_, None], source: query, default: title}
      - {name: kinds, type: {type: list, of: {type: enum, values: [x, "True"]}}, source: query, default: ["True"]}
    rest: {method: GET, path: "/s"}
"#,
    ),
    ("services/import/spec/manifest.yaml", "consumes:\n  - {service: class, domain: def}\n"),
];

#[test]
fn generated_clients_pass_ruff_mypy_and_import() {
    let Some(venv) = super::venv() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let hostile = Utf8PathBuf::try_from(tmp.path().join("hostile-spec")).unwrap();
    for (path, text) in HOSTILE {
        std::fs::create_dir_all(hostile.join(path).parent().unwrap()).unwrap();
        std::fs::write(hostile.join(path), text).unwrap();
    }
    let mut projects = good_projects();
    projects.push(hostile);
    let cache = tmp.path().join("mypy-cache");
    let mut checked = 0;
    for root in projects {
        let files = generate(&root);
        let clients: Vec<String> = files
            .iter()
            .map(|(p, _)| p.to_string())
            .filter(|p| p.contains("/clients/") || p.ends_with("/generated/clients.py"))
            .collect();
        if clients.is_empty() {
            continue;
        }
        checked += 1;
        let out = tmp.path().join(format!("out-{}", root.file_name().unwrap()));
        write_all(&files, &out);
        let mut lint: Vec<&str> = vec!["check", "--no-cache", "--select", "E,F,W,I,UP,B"];
        lint.extend(clients.iter().map(String::as_str));
        run(&venv, "ruff", &lint, &out, &[]);
        let mut format: Vec<&str> = vec!["format", "--check", "--no-cache"];
        format.extend(clients.iter().map(String::as_str));
        run(&venv, "ruff", &format, &out, &[]);

        // The shared package (`<dir>/<package path>`, imported with `<dir>` on the path):
        // schemas and every client module.
        let runtime = clients.iter().find(|p| p.ends_with("/clients/_http.py")).expect("the runtime is generated");
        let package = Path::new(runtime).parent().unwrap().parent().unwrap();
        let mut parts = package.components();
        let shared_dir = out.join(parts.next().unwrap());
        let module = parts.as_path().to_str().unwrap().replace('/', ".");
        let mypy_env = [("MYPY_CACHE_DIR", cache.as_path())];
        run(&venv, "mypy", &["--strict", "-p", &module], &shared_dir, &mypy_env);
        let client_modules: BTreeSet<String> = clients
            .iter()
            .filter(|p| p.contains("/clients/"))
            .map(|p| format!("{module}.clients.{}", Path::new(p).file_stem().unwrap().to_str().unwrap()))
            .map(|m| m.trim_end_matches(".__init__").to_string())
            .collect();
        let imports: String = client_modules.iter().map(|m| format!("import {m}\n")).collect();
        run(&venv, "python", &["-W", "error", "-c", &imports], &shared_dir, &[("PYTHONPATH", &shared_dir)]);

        // Each consumer module, with the shared package on the path.
        for consumer in clients.iter().filter(|p| p.ends_with("/generated/clients.py")) {
            let src = out.join(consumer.trim_end_matches("/generated/clients.py"));
            let envs = [("MYPY_CACHE_DIR", cache.as_path()), ("MYPYPATH", shared_dir.as_path())];
            run(&venv, "mypy", &["--strict", "-m", "generated.clients"], &src, &envs);
            let path = std::env::join_paths([&shared_dir, &src]).unwrap();
            run(
                &venv,
                "python",
                &["-W", "error", "-c", "import generated.clients"],
                &src,
                &[("PYTHONPATH", Path::new(&path))],
            );
        }
    }
    assert!(checked >= 5, "only {checked} projects have clients: the fixtures changed?");
}

#[test]
fn client_behaviour_under_pytest() {
    let Some(venv) = super::venv() else { return };
    let tests = repo_root().join("tests/python");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("generated");
    let project = Project::load(&Input::Root(tests.join("project"))).unwrap_or_else(|d| panic!("{d}"));
    // Every target, as `specgen generate` would write it.
    write_all(&project.generate().unwrap(), &out);
    run(
        &venv,
        "python",
        &["-m", "pytest", "-q", "-p", "no:cacheprovider", "."],
        tests.as_std_path(),
        &[("SPECGEN_CLIENT_TEST_OUT", out.as_path())],
    );
}
