//! Compose files and their real consumers.
//!
//! - docker-compose 1.x (Debian's `docker-compose`, which needs no Docker engine for `config`)
//!   reads every compose file of the example, of each good fixture with services.yml, and of a
//!   project made here with hostile profile names, a Node front end without spec files, a
//!   custom Dockerfile and a `scaffold: false` entry: each file alone, and base + dev layered.
//!   Each project is generated into a temporary directory, with the files compose needs and
//!   specgen does not write (the Dockerfile and `.env` of a service without spec files, a
//!   `custom.Dockerfile`). Beyond "it parses": every build context resolves to the project root
//!   (the backlog's bug was `.`, i.e. `infra/`), every Dockerfile it names exists, users
//!   interpolate to `1000:1000`, the services and profiles are those of the file.
//!   Without `docker-compose` on PATH the test says so and passes, unless
//!   `SPECGEN_REQUIRE_DOCKER_COMPOSE=1` (set by scripts/test.sh), which makes it a failure.
//! - PyYAML (a YAML 1.1 reader, the one docker-compose uses; from the pinned venv) reads the
//!   emitter's output for hostile strings back as the same strings, and reads every generated
//!   compose file as our YAML 1.2 reader does.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use camino::Utf8PathBuf;
use serde_json::{json, Value};
use specgen::targets::compose::{self, yaml};
use specgen::{Input, Project};

use super::good_projects;

/// `docker-compose` on PATH, or `None` (and a note) when it is missing and not required.
fn docker_compose() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths).map(|dir| dir.join("docker-compose")).find(|path| path.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("SPECGEN_REQUIRE_DOCKER_COMPOSE").as_deref() != Ok("1"),
            "SPECGEN_REQUIRE_DOCKER_COMPOSE=1 but docker-compose is not on PATH (Debian: apt-get install docker-compose)"
        );
        eprintln!("skipping compose checks: no docker-compose on PATH (Debian: apt-get install docker-compose)");
    }
    found
}

/// Profiles that YAML 1.1 or YAML 1.2 would read as something else than the string if written
/// bare: booleans, nulls, numbers in every base, a date. All are Compose profile names
/// (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`); names with other characters (`$HOME`, `a b`, `#x`), which
/// compose would also misread, are rejected by validation (E0424) before anything is written.
const HOSTILE_PROFILES: &[&str] = &[
    "yes",
    "no",
    "on",
    "off",
    "Yes",
    "NO",
    "true",
    "False",
    "null",
    "Null",
    "NULL",
    "nan",
    "1e3",
    "1.5",
    "0o12",
    "0x1f",
    "012",
    "0b101",
    "1_000",
    "2024-01-01",
    "y2",
    "09",
];

/// A project written here: hostile profiles, a Node front end without spec files (its
/// Dockerfile and `.env` are the user's; it waits for the API, so it has one of the API's
/// profiles, E0425), a custom Dockerfile, a `scaffold: false` entry.
fn hostile_project(root: &Path) {
    let profiles: Vec<String> = HOSTILE_PROFILES.iter().map(|p| serde_json::to_string(p).unwrap()).collect();
    let services = format!(
        "version: 2\nservices:\n  - name: api\n    type: python-fastapi\n    port: 9000\n    custom_dockerfile: true\n    \
         access: [internet]\n    depends_on: {{cache: service_started, postgres: service_healthy}}\n    \
         profiles: [{}]\n  - name: web\n    type: node\n    depends_on: {{api: service_healthy}}\n    profiles: [\"yes\"]\n  \
         - name: cache\n    scaffold: false\n    dev_template: false\n",
        profiles.join(", ")
    );
    std::fs::write(root.join("services.yml"), services).unwrap();
    let spec = root.join("services/api/spec");
    std::fs::create_dir_all(&spec).unwrap();
    std::fs::write(spec.join("ops.yaml"), "operations:\n  ping:\n    rest: {method: GET, path: /ping}\n").unwrap();
}

/// Generates `project` into `root`, adding what compose reads and specgen leaves to the user.
fn materialize(project: &Project, root: &Path) {
    let files = project.generate().unwrap();
    for (path, file) in files.iter() {
        let target = root.join(path.as_std_path());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, &file.bytes).unwrap();
    }
    let services_dir = root.join(project.options.roots.services_dir.as_std_path());
    for service in project.ir.services.iter().filter(|s| s.scaffold) {
        let dir = services_dir.join(&service.name);
        std::fs::create_dir_all(&dir).unwrap();
        let dockerfile =
            dir.join(if service.custom_dockerfile { compose::CUSTOM_DOCKERFILE } else { compose::DOCKERFILE });
        for (path, text) in [(dockerfile, "FROM python:3.11-slim\n"), (dir.join(compose::ENV_FILE), "# user's\n")] {
            if !path.exists() {
                std::fs::write(path, text).unwrap();
            }
        }
    }
}

/// `docker-compose -f <files>… <args>…` in `root`, with a clean environment for interpolation.
fn run(dc: &Path, root: &Path, files: &[&str], args: &[&str]) -> String {
    let mut cmd = Command::new(dc);
    cmd.current_dir(root);
    for file in files {
        cmd.args(["-f", file]);
    }
    cmd.args(args);
    for var in [
        "HOST_UID",
        "HOST_GID",
        "POSTGRES_USER",
        "POSTGRES_PASSWORD",
        "POSTGRES_DB",
        "COMPOSE_FILE",
        "COMPOSE_PROJECT_NAME",
        "COMPOSE_PROFILES",
        "X",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run docker-compose: {e}"));
    assert!(
        out.status.success(),
        "`docker-compose -f {} {}` failed in {}:\n{}{}",
        files.join(" -f "),
        args.join(" "),
        root.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn parse(text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn read(root: &Path, file: &str) -> Value {
    parse(&std::fs::read_to_string(root.join(file)).unwrap())
}

/// The non-empty lines of `text`, sorted.
fn sorted_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(String::from).filter(|l| !l.is_empty()).collect();
    lines.sort();
    lines
}

/// Every compose file of one project: valid for docker-compose, contexts at the project root.
/// Returns the temporary directory and the project root in it (for more checks).
fn check_project(dc: &Path, name: &str, project: &Project) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap().join(name);
    std::fs::create_dir_all(&root).unwrap();
    materialize(project, &root);
    let root_str = root.to_str().unwrap();
    for files in [
        &[compose::BASE_FILE][..],
        &[compose::DEV_FILE],
        &[compose::TESTS_FILE],
        &[compose::BASE_FILE, compose::DEV_FILE],
    ] {
        let what = format!("{name}: {}", files.join(" + "));
        let config = parse(&run(dc, &root, files, &["config"]));
        let services = config["services"].as_object().unwrap_or_else(|| panic!("{what}: no services"));
        for (service, entry) in services {
            let Some(build) = entry.get("build") else {
                assert!(["postgres", "redis"].contains(&service.as_str()), "{what}: {service} has no build");
                continue;
            };
            assert_eq!(build["context"], root_str, "{what}: {service} must build from the project root");
            let dockerfile = build["dockerfile"].as_str().unwrap();
            assert!(root.join(dockerfile).is_file(), "{what}: {service}: {dockerfile} does not exist");
            assert_eq!(entry["user"], "1000:1000", "{what}: {service}");
        }
        let [file] = files else { continue };
        // Compose sees the services of the file, no more, no less.
        let ours = read(&root, file);
        assert_eq!(
            services.keys().collect::<BTreeSet<_>>(),
            ours["services"].as_object().unwrap().keys().collect::<BTreeSet<_>>(),
            "{what}"
        );
        if *file == compose::TESTS_FILE {
            // Unit tests: no network.
            for (service, entry) in services {
                assert!(service.ends_with("-tests"), "{what}: {service}");
                assert_eq!(entry["network_mode"], "none", "{what}: {service}");
            }
        }
        if *file == compose::BASE_FILE {
            // Networks survive as written: internal ones internal, edges not.
            for (network, config) in config["networks"].as_object().unwrap() {
                let internal = config.get("internal") == Some(&json!(true));
                assert_eq!(!internal, network.ends_with("-edge"), "{what}: network {network}: {config}");
            }
        }
    }
    (tmp, root)
}

#[test]
fn docker_compose_reads_every_compose_file() {
    let Some(dc) = docker_compose() else { return };
    let projects: Vec<(String, Project)> = good_projects()
        .into_iter()
        .map(|dir| (dir.file_name().unwrap().to_string(), Project::load(&Input::Root(dir)).unwrap()))
        .filter(|(_, project)| project.ir.services_file.is_some())
        .collect();
    assert!(projects.len() >= 4, "the example and the fixtures with services.yml: {}", projects.len());
    // One thread per project: docker-compose starts slowly, and the checks are independent.
    std::thread::scope(|scope| {
        for (name, project) in &projects {
            let dc = &dc;
            scope.spawn(move || drop(check_project(dc, name, project)));
        }
    });
}

#[test]
fn docker_compose_reads_hostile_profiles_as_written() {
    let Some(dc) = docker_compose() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let src = Utf8PathBuf::try_from(tmp.path().canonicalize().unwrap()).unwrap().join("src");
    std::fs::create_dir_all(&src).unwrap();
    hostile_project(src.as_std_path());
    let project = Project::load(&Input::Root(src.clone())).unwrap_or_else(|d| panic!("{d}"));
    let (_keep, out) = check_project(&dc, "hostile", &project);
    let profiles = sorted_lines(&run(&dc, &out, &[compose::BASE_FILE], &["config", "--profiles"]));
    let mut expected: Vec<String> = HOSTILE_PROFILES.iter().map(|p| p.to_string()).collect();
    expected.sort();
    expected.dedup();
    assert_eq!(profiles, expected, "compose reads each profile back as written (no YAML typing, no interpolation)");
    let config = parse(&run(&dc, &out, &[compose::BASE_FILE], &["config"]));
    assert_eq!(config["services"]["api"]["build"]["dockerfile"], "services/api/custom.Dockerfile");
    assert_eq!(config["services"]["web"]["build"]["dockerfile"], "services/web/Dockerfile");
    assert!(config["services"].get("cache").is_none(), "scaffold: false is left out");
    assert_eq!(config["services"]["api"]["depends_on"], json!({"postgres": {"condition": "service_healthy"}}));
}

/// Strings the emitter must quote or escape (the brief's list and more).
const HOSTILE_STRINGS: &[&str] = &include!("../data/hostile_yaml_strings.rs");

const PYYAML_TO_JSON: &str = r#"
import json, sys, yaml
docs = json.load(sys.stdin)
print(json.dumps([yaml.safe_load(d) for d in docs], ensure_ascii=True, default=str))
"#;

/// Reads YAML documents with PyYAML, as JSON values.
fn pyyaml(venv: &Path, docs: &[String]) -> Vec<Value> {
    use std::io::Write as _;
    let mut child = Command::new(venv.join("bin/python"))
        .args(["-c", PYYAML_TO_JSON])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(serde_json::to_string(docs).unwrap().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn pyyaml_reads_hostile_strings_back() {
    let Some(venv) = super::venv() else { return };
    let mut docs = Vec::new();
    let mut expected = Vec::new();
    for s in HOSTILE_STRINGS {
        let node = yaml::MapBuilder::new()
            .entry("value", yaml::Node::str(*s))
            .entry(*s, yaml::Node::Int(1))
            .entry("flow", yaml::Node::strs([*s, "x"]))
            .entry("block", yaml::Node::strs([*s, &"long ".repeat(30)]))
            .entry("map", yaml::MapBuilder::new().entry(*s, yaml::Node::str(*s)).build())
            .build();
        docs.push(yaml::document(&["a hostile string".into()], &node));
        let mut map = serde_json::Map::new();
        map.insert("value".into(), json!(s));
        map.insert(s.to_string(), json!(1));
        map.insert("flow".into(), json!([s, "x"]));
        map.insert("block".into(), json!([s, "long ".repeat(30)]));
        map.insert("map".into(), json!({ *s: s }));
        expected.push(Value::Object(map));
    }
    let read = pyyaml(&venv, &docs);
    for ((s, got), want) in HOSTILE_STRINGS.iter().zip(&read).zip(&expected) {
        assert_eq!(got, want, "{s:?} through PyYAML");
    }
}

#[test]
fn pyyaml_and_our_reader_agree_on_every_compose_file() {
    let Some(venv) = super::venv() else { return };
    let mut docs = Vec::new();
    for dir in good_projects() {
        let project = Project::load(&Input::Root(dir.clone())).unwrap();
        for (path, file) in project.generate().unwrap().iter() {
            if path.as_str().starts_with("infra/") && path.extension() == Some("yml") {
                docs.push((format!("{dir}/{path}"), String::from_utf8(file.bytes.clone()).unwrap()));
            }
        }
    }
    assert!(docs.len() >= 12, "{}", docs.len());
    let texts: Vec<String> = docs.iter().map(|(_, t)| t.clone()).collect();
    for ((name, text), read) in docs.iter().zip(pyyaml(&venv, &texts)) {
        assert_eq!(read, parse(text), "{name}: YAML 1.1 and 1.2 readers disagree");
    }
}
