//! Helpers of the unit tests: loading the example project, the good fixtures and the benchmark
//! corpus, rendering one target, reading a rendered file.

use camino::Utf8PathBuf;

use crate::fileset::FileSet;
use crate::targets::{Options, Target};
use crate::{Input, Project};

/// The project at `dir`, relative to specgen-lib's directory; panics with its diagnostics when
/// it does not load.
pub fn load(dir: &str) -> Project {
    let root = Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir);
    Project::load(&Input::Root(root)).unwrap_or_else(|d| panic!("{dir}:\n{d}"))
}

/// The bundled example, `examples/bookshelf`.
pub fn example() -> Project {
    load("../examples/bookshelf")
}

/// The good fixture `name` (`tests/fixtures/good/<name>`).
pub fn fixture(name: &str) -> Project {
    load(&format!("tests/fixtures/good/{name}"))
}

/// `project`'s options with `target` as the only target.
pub fn only(project: &Project, target: Target) -> Options {
    let mut opts = project.options.clone();
    opts.targets = [target].into_iter().collect();
    opts
}

/// The text of the rendered file at `path`; panics with the rendered paths when it is missing.
pub fn text(files: &FileSet, path: &str) -> String {
    let file = files.get(path).unwrap_or_else(|| {
        let paths: Vec<String> = files.iter().map(|(p, _)| p.to_string()).collect();
        panic!("{path} not rendered; rendered: {paths:#?}")
    });
    String::from_utf8(file.bytes.clone()).unwrap()
}

/// Whether `SPECGEN_REQUIRE_PYTHON=1` (scripts/test.sh and CI set it): then a test that needs
/// Python fails instead of skipping.
fn python_required() -> bool {
    std::env::var("SPECGEN_REQUIRE_PYTHON").as_deref() == Ok("1")
}

/// The benchmark corpus of `resources` resources (`bench/make_corpus.py`), written into a
/// temporary directory. Needs `python3`: `None` (and a note) without it, unless Python is
/// required.
pub fn benchmark_corpus(resources: usize) -> Option<tempfile::TempDir> {
    let dir = tempfile::tempdir().unwrap();
    let made = std::process::Command::new("python3")
        .arg(Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../bench/make_corpus.py"))
        .arg(resources.to_string())
        .arg(dir.path())
        .status();
    if made.is_ok_and(|status| status.success()) {
        return Some(dir);
    }
    assert!(!python_required(), "SPECGEN_REQUIRE_PYTHON=1 but bench/make_corpus.py did not run");
    eprintln!("skipping the benchmark corpus: python3 did not run bench/make_corpus.py");
    None
}
