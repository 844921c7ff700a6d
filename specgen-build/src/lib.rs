//! Run specgen from a Cargo build script, in the style of `prost-build`: Rust serde types of the
//! models, variants and enums of a specgen project, so Rust code in the fleet shares the
//! contract with the Python services.
//!
//! The specs are read and validated in-process (no `specgen` binary, no `cargo metadata`); the
//! generated files are written to `OUT_DIR` only (never scaffolds, never the source tree), and
//! only when their bytes change. Every spec file read, and every spec directory scanned, is
//! printed as `cargo:rerun-if-changed`, so editing a spec, or adding a domain file, rebuilds
//! the crate. A spec error fails the build with the rendered diagnostics, `file:line:col` and
//! all.
//!
//! # Example
//!
//! `Cargo.toml`:
//!
//! ```toml
//! [dependencies]
//! serde = { version = "1", features = ["derive"] }
//!
//! [build-dependencies]
//! specgen-build = "0.1"
//! ```
//!
//! `build.rs` (the project root defaults to the crate's directory):
//!
//! ```no_run
//! fn main() -> Result<(), specgen_build::Error> {
//!     specgen_build::Config::new().root("../..").generate()
//! }
//! ```
//!
//! `src/lib.rs`:
//!
//! ```ignore
//! pub mod models {
//!     include!(concat!(env!("OUT_DIR"), "/specgen.rs"));
//! }
//! ```
//!
//! The types are described in `specgen::targets::rust`: a `struct` per class with
//! `#[serde(deny_unknown_fields)]`, an `enum` per enum, `i64`/`f64`/`bool`/`String` for the
//! primitives (`datetime`, `date`, `uuid` and `decimal` are `String`s in the format Pydantic
//! sends), `Option<T>` for fields that may be absent or null, `Option<Option<T>>` for fields
//! that may be both (`None` absent, `Some(None)` null, as Pydantic tells them apart), `Vec`,
//! `BTreeMap`, and `Box` where references form a cycle. `specgen-build/tests/consumer.rs`
//! checks that JSON written by the generated Pydantic models reads into these types and comes
//! back equal, value for value and field set for field set.
#![deny(missing_docs)]

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use camino::{Utf8Path, Utf8PathBuf};
use specgen::output::{OutputError, WriteOptions};
use specgen::targets::RenderError;
use specgen::{Diagnostic, Diagnostics, FileSet, Input, Project};

pub use specgen::Target;

/// The file the `rust` target is written to, relative to the output directory:
/// `include!(concat!(env!("OUT_DIR"), "/specgen.rs"))`. (`specgen generate` writes the same
/// text to `<shared project>/rust/src/models.rs` instead.)
pub const RUST_FILE: &str = "specgen.rs";

/// What to generate, from where, to where. Build it with [`Config::new`], adjust it with the
/// setters, then call [`Config::generate`].
#[derive(Debug, Clone)]
pub struct Config {
    root: Option<PathBuf>,
    specs: Vec<PathBuf>,
    out_dir: Option<PathBuf>,
    targets: Vec<Target>,
}

impl Default for Config {
    fn default() -> Config {
        Config::new()
    }
}

impl Config {
    /// The defaults: the project root is `CARGO_MANIFEST_DIR`, every spec file under it is read
    /// (the same walk as `specgen generate`), output goes to `OUT_DIR`, and only the `rust`
    /// target is generated.
    pub fn new() -> Config {
        Config { root: None, specs: Vec::new(), out_dir: None, targets: vec![Target::Rust] }
    }

    /// The project root: the directory holding `services.yml`, `shared/spec/` and
    /// `services/<svc>/spec/`. A relative path is relative to the crate's directory (where
    /// Cargo runs build scripts). Default: `CARGO_MANIFEST_DIR`.
    pub fn root(&mut self, root: impl AsRef<Path>) -> &mut Config {
        self.root = Some(root.as_ref().to_path_buf());
        self
    }

    /// Reads this spec file (relative to the root, or absolute below it) instead of walking the
    /// root; call it once per file. With any `spec`, exactly the listed files are read (list
    /// `specgen.toml` too if the project has one).
    pub fn spec(&mut self, path: impl AsRef<Path>) -> &mut Config {
        self.specs.push(path.as_ref().to_path_buf());
        self
    }

    /// Where to write. Default: `OUT_DIR`. specgen keeps a manifest in `.specgen/` there and
    /// deletes only files it generated before.
    pub fn out_dir(&mut self, dir: impl AsRef<Path>) -> &mut Config {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// The targets to generate. Default: `[Target::Rust]`. Any other target is written at the
    /// path `specgen generate` would use, below the output directory (scaffolds excepted); the
    /// `rust` target is written to [`RUST_FILE`]. The `targets` list of specgen.toml is ignored
    /// here (its output roots are not).
    pub fn targets(&mut self, targets: &[Target]) -> &mut Config {
        self.targets = targets.to_vec();
        self
    }

    /// Loads and validates the specs, prints `cargo:rerun-if-changed` for every input file and
    /// spec directory (and `cargo:warning` for warnings), and writes the generated files.
    ///
    /// # Errors
    ///
    /// [`Error::Specs`] with every diagnostic when the specs have errors (nothing is written);
    /// [`Error::Env`] when a default needs `CARGO_MANIFEST_DIR` or `OUT_DIR` and it is unset
    /// (outside a build script); [`Error::Write`] when writing fails; [`Error::Path`] for a
    /// path that is not UTF-8.
    pub fn generate(&self) -> Result<(), Error> {
        self.run(&mut std::io::stdout().lock())
    }

    /// [`Config::generate`], printing Cargo's instructions to `cargo`.
    fn run(&self, cargo: &mut dyn Write) -> Result<(), Error> {
        let root = match &self.root {
            Some(root) => utf8(root.clone())?,
            None => utf8(env_dir("CARGO_MANIFEST_DIR")?)?,
        };
        let input = if self.specs.is_empty() {
            Input::Root(root.clone())
        } else {
            Input::Files { root: root.clone(), files: self.specs.iter().cloned().map(utf8).collect::<Result<_, _>>()? }
        };
        let mut watched = match &input {
            Input::Root(root) => spec_dirs(root),
            Input::Files { .. } => Vec::new(),
        };
        let discovered = specgen::load::discover(&input);
        match &discovered {
            Ok((_, names)) => watched.extend(names.all_paths().into_iter().map(|p| root.join(p))),
            // Unknown names: watch the files as given, so fixing one reruns the script.
            Err(_) => {
                watched.extend(self.specs.iter().filter_map(|p| Utf8PathBuf::try_from(root.as_std_path().join(p)).ok()))
            }
        }
        watched.sort();
        watched.dedup();
        for path in &watched {
            cargo_line(cargo, &format!("cargo:rerun-if-changed={path}"));
        }
        discovered.map_err(|diagnostics| Error::Specs { root: root.clone(), diagnostics })?;

        let project = Project::load(&input).map_err(|diagnostics| Error::Specs { root: root.clone(), diagnostics })?;
        if !project.warnings.items.is_empty() {
            for line in project.warnings.render(specgen::Style::Plain).lines() {
                cargo_line(cargo, &format!("cargo:warning={line}"));
            }
        }
        let files = self.render(&project)?;
        let out_dir = match &self.out_dir {
            Some(dir) => utf8(dir.clone())?,
            None => utf8(env_dir("OUT_DIR")?)?,
        };
        std::fs::create_dir_all(&out_dir)
            .map_err(|error| Error::Write(OutputError::Io { action: "create", path: out_dir.clone(), error }))?;
        specgen::output::write(&files, &out_dir, &WriteOptions { scaffolds: false }).map_err(Error::Write)?;
        Ok(())
    }

    /// The generated files of the enabled targets (no scaffolds), the Rust types at
    /// [`RUST_FILE`].
    fn render(&self, project: &Project) -> Result<FileSet, Error> {
        let mut options = project.options.clone();
        options.targets = self.targets.iter().copied().filter(|t| *t != Target::Rust).collect();
        let mut files = FileSet::new();
        if !options.targets.is_empty() {
            for (path, file) in specgen::targets::render(&project.ir, &options).map_err(Error::Render)?.iter() {
                if file.kind == specgen::FileKind::Generated {
                    files.generated(path, file.bytes.clone());
                }
            }
        }
        if self.targets.contains(&Target::Rust) {
            // Always written, even without models.yaml, so the `include!` compiles.
            files.generated(RUST_FILE, specgen::targets::rust::models_rs(&project.ir));
        }
        Ok(files)
    }
}

/// Prints one instruction for Cargo. Build scripts cannot do anything useful when stdout is
/// gone, so a failed write is ignored (Cargo reports the script's own failure).
fn cargo_line(cargo: &mut dyn Write, line: &str) {
    let _ = writeln!(cargo, "{line}");
}

/// The spec directories a walk of `root` lists, where they exist: `shared/spec` and every
/// `services/<svc>/spec`. (Not the root or `services/` themselves: Cargo watches a directory
/// recursively, which would include build outputs and source trees.)
fn spec_dirs(root: &Utf8Path) -> Vec<Utf8PathBuf> {
    let mut dirs = Vec::new();
    let shared = root.join("shared/spec");
    if shared.is_dir() {
        dirs.push(shared);
    }
    if let Ok(entries) = root.join("services").read_dir_utf8() {
        let mut services: Vec<Utf8PathBuf> =
            entries.filter_map(|e| Some(e.ok()?.path().join("spec"))).filter(|p| p.is_dir()).collect();
        services.sort();
        dirs.extend(services);
    }
    dirs
}

fn env_dir(name: &'static str) -> Result<PathBuf, Error> {
    std::env::var_os(name).map(PathBuf::from).ok_or(Error::Env { name })
}

fn utf8(path: PathBuf) -> Result<Utf8PathBuf, Error> {
    Utf8PathBuf::from_path_buf(path).map_err(Error::Path)
}

/// Why [`Config::generate`] failed.
///
/// `Display` and `Debug` both print the rendered diagnostics (plain, rustc-style, with
/// `file:line:col`), so `fn main() -> Result<(), specgen_build::Error>`, `?` and `unwrap` in a
/// build script all show Cargo's user exactly what to fix. [`Error::diagnostics`] gives the
/// structured list.
#[non_exhaustive]
pub enum Error {
    /// The specs have errors (or could not be read). Nothing was written.
    Specs {
        /// The project root the diagnostics' paths are relative to.
        root: Utf8PathBuf,
        /// Every diagnostic, with the sources they point into.
        diagnostics: Diagnostics,
    },
    /// A default needs an environment variable Cargo sets for build scripts (`CARGO_MANIFEST_DIR`
    /// or `OUT_DIR`), and it is unset: pass the path explicitly outside a build script.
    Env {
        /// The variable.
        name: &'static str,
    },
    /// Writing the output directory failed.
    Write(OutputError),
    /// A bug in specgen while rendering.
    Render(RenderError),
    /// A path that is not UTF-8 (specgen's paths are UTF-8 so outputs are portable).
    Path(PathBuf),
}

impl Error {
    /// The diagnostics of [`Error::Specs`] (errors and warnings, sorted); empty otherwise.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Error::Specs { diagnostics, .. } => &diagnostics.items,
            _ => &[],
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Specs { root, diagnostics } => {
                writeln!(f, "specgen: errors in the specs under {root}\n")?;
                f.write_str(&diagnostics.render(specgen::Style::Plain))
            }
            Error::Env { name } => {
                write!(f, "specgen: `{name}` is not set; outside a build script, set the path on the Config")
            }
            Error::Write(e) => write!(f, "specgen: {e}"),
            Error::Render(e) => write!(f, "specgen: {e}"),
            Error::Path(p) => write!(f, "specgen: path is not UTF-8: {}", p.display()),
        }
    }
}

/// The same text as `Display`: `main` returning `Err` and `unwrap` print `Debug`, and a build
/// script's user wants the diagnostics, not a struct dump.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Specs { diagnostics, .. } => Some(diagnostics),
            Error::Write(e) => Some(e),
            Error::Render(e) => Some(e),
            Error::Env { .. } | Error::Path(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> Utf8PathBuf {
        Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
    }

    fn run(config: &Config) -> (Result<(), Error>, Vec<String>) {
        let mut out = Vec::new();
        let result = config.run(&mut out);
        (result, String::from_utf8(out).unwrap().lines().map(str::to_string).collect())
    }

    #[test]
    fn walk_mode_watches_every_file_and_spec_directory() {
        let root = repo().join("examples/bookshelf");
        let out = tempfile::tempdir().unwrap();
        let (result, lines) = run(Config::new().root(&root).out_dir(out.path()));
        result.unwrap();
        let watched: Vec<&str> = lines.iter().filter_map(|l| l.strip_prefix("cargo:rerun-if-changed=")).collect();
        let project = Project::load(&Input::Root(root.clone())).unwrap();
        let mut expected: Vec<Utf8PathBuf> = project.names.all_paths().into_iter().map(|p| root.join(p)).collect();
        expected.push(root.join("shared/spec"));
        for svc in project.names.services.keys() {
            expected.push(root.join("services").join(svc).join("spec"));
        }
        expected.sort();
        assert_eq!(watched, expected.iter().map(|p| p.as_str()).collect::<Vec<_>>());
        assert!(watched.contains(&root.join("services.yml").as_str()));
        assert!(watched.contains(&root.join("services/backend/spec").as_str()));
        // Only the Rust file (and the manifest) is written.
        let text = std::fs::read_to_string(out.path().join(RUST_FILE)).unwrap();
        assert_eq!(text, specgen::targets::rust::models_rs(&project.ir));
        let mut written: Vec<String> =
            walk(out.path()).into_iter().map(|p| p.strip_prefix(out.path()).unwrap().display().to_string()).collect();
        written.sort();
        assert_eq!(written, [".specgen/manifest.txt", RUST_FILE]);
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else {
                files.push(path);
            }
        }
        files
    }

    #[test]
    fn explicit_mode_watches_exactly_the_listed_files() {
        let root = repo().join("examples/bookshelf");
        let out = tempfile::tempdir().unwrap();
        let (result, lines) = run(Config::new().root(&root).spec("shared/spec/models.yaml").out_dir(out.path()));
        result.unwrap();
        assert_eq!(lines, [format!("cargo:rerun-if-changed={root}/shared/spec/models.yaml")]);
    }

    #[test]
    fn other_targets_go_below_the_out_dir_without_scaffolds() {
        let root = repo().join("examples/bookshelf");
        let out = tempfile::tempdir().unwrap();
        let targets = [Target::Openapi, Target::Fastapi];
        let (result, _) = run(Config::new().root(&root).out_dir(out.path()).targets(&targets));
        result.unwrap();
        assert!(!out.path().join(RUST_FILE).exists());
        let mut project = Project::load(&Input::Root(root)).unwrap();
        project.options.targets = targets.into_iter().collect();
        let files = project.generate().unwrap();
        assert!(files.iter().any(|(_, f)| f.kind == specgen::FileKind::Scaffold));
        for (path, file) in files.iter() {
            let written = out.path().join(path.as_str());
            match file.kind {
                specgen::FileKind::Generated => assert_eq!(std::fs::read(&written).unwrap(), file.bytes, "{path}"),
                specgen::FileKind::Scaffold => assert!(!written.exists(), "scaffold {path} written"),
            }
        }
    }

    #[test]
    fn spec_errors_render_with_locations() {
        let root = repo().join("specgen-lib/tests/fixtures/bad/unknown-variant-class");
        let out = tempfile::tempdir().unwrap();
        let (result, lines) = run(Config::new().root(&root).out_dir(out.path()));
        let err = result.unwrap_err();
        let text = err.to_string();
        assert!(text.contains(" --> services/backend/spec/books.yaml:5:12\n"), "{text}");
        assert!(text.starts_with(&format!("specgen: errors in the specs under {root}\n\nerror[E0203]")), "{text}");
        assert_eq!(format!("{err:?}"), text);
        assert_eq!(err.diagnostics().len(), 1);
        assert_eq!(err.diagnostics()[0].code, "E0203");
        assert!(lines.iter().all(|l| l.starts_with("cargo:rerun-if-changed=")));
        assert!(lines.contains(&format!("cargo:rerun-if-changed={root}/services/backend/spec/books.yaml")));
        assert!(walk(out.path()).is_empty(), "nothing written on error");
    }

    #[test]
    fn missing_env_is_a_clear_error() {
        // Test binaries do not get OUT_DIR from Cargo.
        if std::env::var_os("OUT_DIR").is_some() {
            return;
        }
        let root = repo().join("examples/bookshelf");
        let (result, _) = run(Config::new().root(&root));
        let err = result.unwrap_err();
        assert!(matches!(err, Error::Env { name: "OUT_DIR" }));
        assert!(err.to_string().contains("`OUT_DIR` is not set"));
    }

    #[test]
    fn unchanged_output_is_not_rewritten() {
        let root = repo().join("examples/bookshelf");
        let out = tempfile::tempdir().unwrap();
        run(Config::new().root(&root).out_dir(out.path())).0.unwrap();
        let file = out.path().join(RUST_FILE);
        let before = std::fs::metadata(&file).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        run(Config::new().root(&root).out_dir(out.path())).0.unwrap();
        assert_eq!(std::fs::metadata(&file).unwrap().modified().unwrap(), before);
    }
}
