//! Helpers of the unit tests: loading the example project and the good fixtures.

use camino::Utf8PathBuf;

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
