//! Targets: one module per output family, all of one shape.
//!
//! Each target has `render(&Ir, &Options) -> Result<FileSet, RenderError>` and
//! `outputs(&InputNames, &Options) -> Vec<OutputPath>`. Invariants: targets never touch the
//! file system, never read the clock or the environment, and never know about each other;
//! `outputs` depends only on input *names*, and equals the keys of `render` (a test checks).

use std::collections::BTreeSet;
use std::fmt;

use camino::Utf8PathBuf;

use crate::fileset::{FileKind, FileSet};
use crate::ir::Ir;
use crate::load::InputNames;

pub mod client;
pub mod fastapi;
pub mod jsonschema;
pub mod openapi;
pub mod pydantic;
pub mod python;
pub mod typescript;

/// An output family that can be switched on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// `schemas.py`: Pydantic models, variants and enums.
    Pydantic,
    /// FastAPI: controller Protocols, routers, the registry, `create_app`, controller stubs.
    Fastapi,
    /// Typed async httpx clients with retries.
    Client,
    /// OpenAPI 3.1 documents, one per service.
    Openapi,
    /// TypeScript types of every model, variant and enum.
    Typescript,
}

impl Target {
    /// Every target, in a fixed order.
    pub const ALL: [Target; 5] =
        [Target::Pydantic, Target::Fastapi, Target::Client, Target::Openapi, Target::Typescript];

    /// The name used in specgen.toml and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Target::Pydantic => "pydantic",
            Target::Fastapi => "fastapi",
            Target::Client => "client",
            Target::Openapi => "openapi",
            Target::Typescript => "typescript",
        }
    }

    /// The target called `name`.
    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// Where outputs go, relative to the output root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputRoots {
    /// The shared generated Python package (default `shared/shared/generated`).
    pub shared_package: Utf8PathBuf,
    /// The directory holding one directory per service (default `services`).
    pub services_dir: Utf8PathBuf,
}

impl Default for OutputRoots {
    fn default() -> Self {
        OutputRoots {
            shared_package: Utf8PathBuf::from("shared/shared/generated"),
            services_dir: Utf8PathBuf::from("services"),
        }
    }
}

/// What to render and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Enabled targets.
    pub targets: BTreeSet<Target>,
    /// Output roots.
    pub roots: OutputRoots,
}

impl Default for Options {
    fn default() -> Self {
        Options { targets: Target::ALL.into_iter().collect(), roots: OutputRoots::default() }
    }
}

/// A path `generate` would write, with its kind.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OutputPath {
    /// Relative to the output root.
    pub path: Utf8PathBuf,
    /// Generated or scaffold.
    pub kind: FileKind,
}

/// A bug in specgen found while rendering (a template that failed, Python the formatter cannot
/// parse). Never caused by user input that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError {
    /// The template or target that failed.
    pub origin: String,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "internal error in {}: {} (this is a bug in specgen; please report it with the spec that caused it)",
            self.origin, self.message
        )
    }
}

impl std::error::Error for RenderError {}

/// Renders every enabled target.
pub fn render(ir: &Ir, opts: &Options) -> Result<FileSet, RenderError> {
    let mut files = FileSet::new();
    for target in &opts.targets {
        let set = match target {
            Target::Pydantic => pydantic::render(ir, opts)?,
            Target::Fastapi => fastapi::render(ir, opts)?,
            Target::Client => client::render(ir, opts)?,
            Target::Openapi => openapi::render(ir, opts)?,
            Target::Typescript => typescript::render(ir, opts)?,
        };
        files.extend(set);
    }
    Ok(files)
}

/// The paths every enabled target would write, sorted; a function of input names only.
pub fn outputs(names: &InputNames, opts: &Options) -> Vec<OutputPath> {
    let mut paths = BTreeSet::new();
    for target in &opts.targets {
        let list = match target {
            Target::Pydantic => pydantic::outputs(names, opts),
            Target::Fastapi => fastapi::outputs(names, opts),
            Target::Client => client::outputs(names, opts),
            Target::Openapi => openapi::outputs(names, opts),
            Target::Typescript => typescript::outputs(names, opts),
        };
        paths.extend(list);
    }
    paths.into_iter().collect()
}

/// The one-line banner at the top of every generated text file that can carry a comment.
/// `sources` are project-relative spec paths; the format follows the widely recognised
/// "Code generated … DO NOT EDIT." convention so editors and review tools fold the file.
pub fn banner(comment: &str, sources: &[&str]) -> String {
    let from = if sources.is_empty() { String::new() } else { format!(" from {}", sources.join(", ")) };
    format!("{comment} Code generated by specgen{from}. DO NOT EDIT.\n")
}
