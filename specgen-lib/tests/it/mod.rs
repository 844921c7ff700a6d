//! Test index: diagnostics of bad fixtures, targets on good fixtures, determinism, JSON Schemas.

mod asyncapi;
mod client;
mod compose;
mod determinism;
mod diagnostics;
mod fastapi;
mod graph;
mod openapi;
mod python;
mod schemas;
mod schemathesis;
mod targets;

use camino::{Utf8Path, Utf8PathBuf};

/// The fixtures directory.
pub fn fixtures() -> Utf8PathBuf {
    Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The repository root.
pub fn repo_root() -> Utf8PathBuf {
    Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The pinned Python venv (`SPECGEN_VENV`, else `target/venv`). Without it the Python checks
/// say so and pass, unless `SPECGEN_REQUIRE_PYTHON=1` (set by scripts/test.sh and CI), which
/// makes a missing venv a failure.
pub fn venv() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("SPECGEN_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/venv").into_std_path_buf());
    if dir.join("bin/python").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var("SPECGEN_REQUIRE_PYTHON").as_deref() != Ok("1"),
        "SPECGEN_REQUIRE_PYTHON=1 but no venv at {}: run scripts/setup-python.sh",
        dir.display()
    );
    eprintln!("skipping Python checks: no venv at {} (run scripts/setup-python.sh)", dir.display());
    None
}

/// Sub-directories of `dir`, sorted.
pub fn subdirs(dir: &Utf8Path) -> Vec<Utf8PathBuf> {
    let mut out: Vec<Utf8PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| Utf8PathBuf::try_from(e.unwrap().path()).unwrap())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

/// Every project that must load: good fixtures and examples.
pub fn good_projects() -> Vec<Utf8PathBuf> {
    let mut all = subdirs(&fixtures().join("good"));
    all.extend(subdirs(&repo_root().join("examples")));
    all
}

/// True for the path of the shared package's `schemas.py` (and not of a service module of a
/// domain called `schemas`, such as `src/controllers/schemas.py`).
pub fn is_shared_schemas(path: &str) -> bool {
    path.ends_with("/schemas.py") && !path.contains("/src/")
}

/// A file of the pinned Node.js tools, `<SPECGEN_NODE or target/node>/node_modules/<path>`
/// (installed by `scripts/setup-node.sh`). Without it the caller skips and says so (`what`),
/// unless `SPECGEN_REQUIRE_NODE=1`, which makes a missing tool a failure.
pub fn node_tool(path: &str, what: &str) -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("SPECGEN_NODE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/node").into_std_path_buf());
    let file = dir.join("node_modules").join(path);
    if file.is_file() {
        return Some(file);
    }
    assert!(
        std::env::var("SPECGEN_REQUIRE_NODE").as_deref() != Ok("1"),
        "SPECGEN_REQUIRE_NODE=1 but {} is missing: run scripts/setup-node.sh",
        file.display()
    );
    eprintln!("skipping {what}: no {} (run scripts/setup-node.sh)", file.display());
    None
}
