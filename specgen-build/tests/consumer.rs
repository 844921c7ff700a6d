//! The real consumer: `tests/rust-consumer` is a crate whose build script calls specgen-build
//! on examples/bookshelf and on every good fixture, and whose tests round-trip JSON through the
//! generated types. Cargo builds and tests it here, offline and with its own `Cargo.lock`
//! (`--locked`), in `target/specgen-build-consumer` (kept between runs, so only the first run
//! compiles specgen-lib for the build script).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn consumer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rust-consumer")
}

fn target_dir() -> PathBuf {
    repo().join("target/specgen-build-consumer")
}

/// Runs cargo on the consumer crate.
fn cargo(args: &[&str]) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Command::new(cargo)
        .args(args)
        .args(["--offline", "--locked", "--manifest-path"])
        .arg(consumer_dir().join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("run cargo")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// The saved stdout of the consumer's build script runs (one per feature set), newest first.
fn build_script_outputs() -> Vec<String> {
    let build = target_dir().join("debug/build");
    let mut outputs: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(&build)
        .unwrap()
        .filter_map(|e| {
            let path = e.ok()?.path();
            let name = path.file_name()?.to_str()?.to_string();
            let file = path.join("output");
            (name.starts_with("specgen-build-consumer-") && file.is_file())
                .then(|| (file.metadata().unwrap().modified().unwrap(), std::fs::read_to_string(&file).unwrap()))
        })
        .collect();
    outputs.sort_by_key(|o| std::cmp::Reverse(o.0));
    outputs.into_iter().map(|(_, text)| text).collect()
}

#[test]
fn consumer_crate_builds_tests_and_fails_on_bad_specs() {
    // 1. The generated types compile with warnings denied, and the consumer's JSON tests pass.
    let run = cargo(&["test"]);
    assert!(run.status.success(), "the consumer crate failed:\n{}", text(&run));
    let out = text(&run);
    assert!(out.contains("test tests::recursive_types ... ok"), "{out}");

    // 2. The build script told Cargo about every input file and spec directory.
    let outputs = build_script_outputs();
    let output = outputs.iter().find(|o| o.contains("examples/bookshelf/services.yml")).expect("build script output");
    let bookshelf = repo().join("examples/bookshelf");
    let watched: Vec<&str> = output.lines().filter_map(|l| l.strip_prefix("cargo:rerun-if-changed=")).collect();
    let mut expected = vec![
        bookshelf.join("services.yml"),
        bookshelf.join("shared/spec"),
        bookshelf.join("shared/spec/models.yaml"),
        bookshelf.join("shared/spec/events.yaml"),
    ];
    for service in std::fs::read_dir(bookshelf.join("services")).unwrap() {
        let spec = service.unwrap().path().join("spec");
        if spec.is_dir() {
            expected.push(spec.clone());
            for file in std::fs::read_dir(&spec).unwrap() {
                expected.push(file.unwrap().path());
            }
        }
    }
    for path in &expected {
        assert!(watched.contains(&path.to_str().unwrap()), "{} not watched:\n{output}", path.display());
    }
    let good = repo().join("specgen-lib/tests/fixtures/good");
    for fixture in std::fs::read_dir(&good).unwrap() {
        let models = fixture.unwrap().path().join("shared/spec/models.yaml");
        if models.is_file() {
            assert!(watched.contains(&models.to_str().unwrap()), "{} not watched", models.display());
        }
    }

    // 3. A spec error fails `cargo build` with the rendered diagnostic.
    let bad = cargo(&["build", "--features", "bad-spec"]);
    let out = text(&bad);
    assert!(!bad.status.success(), "a bad spec must fail the build:\n{out}");
    assert!(out.contains("error[E0203]: unknown model `BookPatchh` in operation `patch_book`"), "{out}");
    assert!(out.contains(" --> services/backend/spec/books.yaml:5:12"), "{out}");
    assert!(out.contains("specgen: errors in the specs under "), "{out}");
}
