//! The real consumer: `tests/rust-consumer` is a crate whose build script calls specgen-build
//! on examples/bookshelf and on every good fixture, and whose tests round-trip JSON through the
//! generated types. Cargo builds and tests it here, offline and with its own `Cargo.lock`
//! (`--locked`), in `target/specgen-build-consumer` (kept between runs, so only the first run
//! compiles specgen-lib for the build script).
//!
//! Also here: the generated Python and Rust agree on the JSON (Pydantic → Rust → Pydantic, with
//! the pinned venv; `cross_language.py` is the Python half), and the build script reruns when a
//! spec changes and only then.

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
    cargo_env(args, &[])
}

/// Runs cargo on the consumer crate with extra environment variables; `args` after a `--` go
/// to the test binary.
fn cargo_env(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let split = args.iter().position(|a| *a == "--").unwrap_or(args.len());
    Command::new(cargo)
        .args(&args[..split])
        .envs(env.iter().copied())
        .args(["--offline", "--locked", "--manifest-path"])
        .arg(consumer_dir().join("Cargo.toml"))
        .args(&args[split..])
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

/// The pinned Python venv (`SPECGEN_VENV`, else `target/venv`, as specgen-lib's tests find it).
/// Without it the test says so and passes, unless `SPECGEN_REQUIRE_PYTHON=1`.
fn venv() -> Option<PathBuf> {
    let dir = std::env::var_os("SPECGEN_VENV").map(PathBuf::from).unwrap_or_else(|| repo().join("target/venv"));
    if dir.join("bin/python").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var("SPECGEN_REQUIRE_PYTHON").as_deref() != Ok("1"),
        "SPECGEN_REQUIRE_PYTHON=1 but no venv at {}: run scripts/setup-python.sh",
        dir.display()
    );
    eprintln!("skipping the cross-language check: no venv at {} (run scripts/setup-python.sh)", dir.display());
    None
}

/// Runs `cross_language.py <mode> <work>` with the venv's Python.
fn python(venv: &Path, mode: &str, work: &Path) -> String {
    let run = Command::new(venv.join("bin/python"))
        .args(["-W", "error"])
        .arg(consumer_dir().join("cross_language.py"))
        .arg(mode)
        .arg(work)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run python");
    assert!(run.status.success(), "cross_language.py {mode} failed (files in {}):\n{}", work.display(), text(&run));
    text(&run)
}

/// A JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// JSON that the generated Pydantic models wrote is read by the generated Rust types (of the
/// consumer crate, built by specgen-build), written back, and validated by Pydantic again: the
/// same values, and the same fields set (absent and null are different things to Pydantic).
/// For examples/bookshelf and every good fixture with models; instances of every class.
#[test]
fn python_and_rust_agree_on_the_json() {
    let Some(venv) = venv() else { return };
    let work = tempfile::Builder::new().prefix("specgen-cross-").tempdir().unwrap();
    let mut roots = vec![("bookshelf".to_string(), repo().join("examples/bookshelf"))];
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(repo().join("specgen-lib/tests/fixtures/good"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    fixtures.sort();
    roots.extend(fixtures.into_iter().map(|p| (p.file_name().unwrap().to_str().unwrap().to_string(), p)));

    // Each project's schemas.py, as `specgen generate --no-scaffolds` writes it, importable as
    // `<project>`; and the fields whose Rust type reads null as absent (see the rust target).
    let mut projects = Vec::new();
    for (name, root) in &roots {
        let root = camino::Utf8PathBuf::try_from(root.clone()).unwrap();
        let mut project = specgen::Project::load(&specgen::Input::Root(root)).unwrap();
        project.options.targets = [specgen_build::Target::Pydantic].into_iter().collect();
        let schemas = project.options.roots.shared_package.join("schemas.py");
        let files = project.generate().unwrap();
        let Some((_, file)) = files.iter().find(|(path, _)| **path == schemas) else { continue };
        std::fs::write(work.path().join(format!("{}.py", name.replace('-', "_"))), &file.bytes).unwrap();
        let mut classes = Vec::new();
        for class in &project.ir.classes {
            let fields: Vec<String> = class
                .fields
                .iter()
                .filter(|f| {
                    !f.required
                        && f.default.is_none()
                        && !f.nullable
                        && !matches!(f.ty, specgen::ir::TypeRef::Optional(_))
                })
                .map(|f| json_string(&f.name))
                .collect();
            classes.push(format!("{}: [{}]", json_string(&class.name), fields.join(", ")));
        }
        projects.push(format!("{}: {{{}}}", json_string(name), classes.join(", ")));
    }
    assert!(projects.len() > 5, "{projects:?}");
    std::fs::write(work.path().join("projects.json"), format!("{{{}}}\n", projects.join(",\n"))).unwrap();

    // Pydantic writes; Rust reads and writes; Pydantic reads and compares.
    let start = std::time::Instant::now();
    let produced = python(&venv, "produce", work.path());
    let python_time = start.elapsed();
    let input = work.path().join("python.json");
    let output = work.path().join("rust.json");
    let run = cargo_env(
        &["test", "--lib", "--", "cross::python_json_through_rust", "--exact"],
        &[("SPECGEN_CROSS_IN", &input), ("SPECGEN_CROSS_OUT", &output)],
    );
    assert!(run.status.success() && output.is_file(), "the consumer's cross test failed:\n{}", text(&run));
    let rust_time = start.elapsed() - python_time;
    let checked = python(&venv, "check", work.path());
    let check_time = start.elapsed() - python_time - rust_time;
    eprintln!("{produced}{checked}(produce {python_time:?}, Rust {rust_time:?}, check {check_time:?})");
}

/// Whether `cargo build -v` ran the consumer's build script.
fn build_script_ran(verbose: &str) -> bool {
    verbose
        .lines()
        .any(|l| l.contains("Running `") && l.contains("specgen-build-consumer-") && l.contains("build-script-build"))
}

/// Touching a spec reruns the build script; touching nothing, or a file that is not a spec,
/// does not. On a copy of examples/bookshelf (the `spec-root-from-env` feature reads it from
/// `SPECGEN_CONSUMER_BOOKSHELF`), judged by `cargo build -v`: a build-script run prints
/// `Running `…/build-script-build``, a fresh one `Fresh specgen-build-consumer`.
#[test]
fn touching_a_spec_reruns_the_build_script() {
    let copy = tempfile::Builder::new().prefix("specgen-watch-").tempdir().unwrap();
    copy_specs(&repo().join("examples/bookshelf"), copy.path());
    let build = || {
        let run = cargo_env(
            &["build", "-v", "--features", "spec-root-from-env"],
            &[("SPECGEN_CONSUMER_BOOKSHELF", copy.path())],
        );
        let out = text(&run);
        assert!(run.status.success(), "{out}");
        out
    };
    // A new copy is a new value of the variable: the script runs.
    let first = build();
    assert!(build_script_ran(&first), "first build:\n{first}");
    let again = build();
    assert!(!build_script_ran(&again), "a second build with nothing touched reran the script:\n{again}");
    assert!(again.contains("Fresh specgen-build-consumer"), "{again}");

    // A file that is not a spec (here, a controller) is not watched.
    std::fs::create_dir_all(copy.path().join("services/backend/src")).unwrap();
    std::fs::write(copy.path().join("services/backend/src/extra.py"), "# not a spec\n").unwrap();
    std::fs::write(copy.path().join("README.md"), "not a spec\n").unwrap();
    let other = build();
    assert!(!build_script_ran(&other), "a non-spec file reran the script:\n{other}");

    // Editing a spec reruns it, and the edit reaches the generated types.
    let models = copy.path().join("shared/spec/models.yaml");
    let mut text = std::fs::read_to_string(&models).unwrap();
    text.push_str("# touched\n");
    std::fs::write(&models, text).unwrap();
    let edited = build();
    assert!(build_script_ran(&edited), "editing models.yaml did not rerun the script:\n{edited}");
    // Cargo names the first watched path it finds changed: the file, or its directory.
    assert!(edited.contains("Dirty specgen-build-consumer") && edited.contains("/shared/spec"), "{edited}");
    let settled = build();
    assert!(!build_script_ran(&settled), "{settled}");

    // A new domain file in a spec directory reruns it too (the directory is watched).
    let domain = copy.path().join("services/backend/spec/extra.yaml");
    std::fs::write(&domain, "operations: {}\n").unwrap();
    let added = build();
    assert!(build_script_ran(&added), "a new spec file did not rerun the script:\n{added}");
}

/// Copies the spec files of the project at `from` (what a walk reads) to `to`.
fn copy_specs(from: &Path, to: &Path) {
    let mut dirs = vec![PathBuf::from("shared/spec")];
    for service in std::fs::read_dir(from.join("services")).unwrap() {
        let spec = service.unwrap().path().join("spec");
        if spec.is_dir() {
            dirs.push(spec.strip_prefix(from).unwrap().to_path_buf());
        }
    }
    for dir in dirs {
        std::fs::create_dir_all(to.join(&dir)).unwrap();
        for file in std::fs::read_dir(from.join(&dir)).unwrap() {
            let file = file.unwrap().path();
            std::fs::copy(&file, to.join(&dir).join(file.file_name().unwrap())).unwrap();
        }
    }
    for file in ["services.yml", "specgen.toml"] {
        if from.join(file).is_file() {
            std::fs::copy(from.join(file), to.join(file)).unwrap();
        }
    }
}
