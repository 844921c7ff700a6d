//! Helpers of the unit tests: loading the example project and the good fixtures, rendering one
//! target, reading a rendered file.

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
