//! Targets: one module per output family, all of one shape.
//!
//! Each target has `render(&Ir, &Options) -> Result<FileSet, RenderError>` and
//! `outputs(&InputNames, &Options) -> Vec<OutputPath>`. Invariants: targets never touch the
//! file system, never read the clock or the environment, and never know about each other;
//! `outputs` depends only on input *names*, and equals the keys of `render` (a test checks).

use std::collections::BTreeSet;
use std::fmt;

use camino::{Utf8Path, Utf8PathBuf};

use crate::fileset::{FileKind, FileSet};
use crate::ir::{Ir, Primitive, TypeRef};
use crate::load::InputNames;
use crate::parallel::each_in_two;

pub mod asyncapi;
pub mod client;
pub mod compose;
pub mod events;
pub mod fastapi;
pub mod graph;
pub mod json;
pub mod jsonschema;
pub mod openapi;
pub mod pydantic;
pub mod python;
pub mod rust;
pub mod schemathesis;
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
    /// `events.py`: the Redis broker and one publisher per published event.
    Events,
    /// The AsyncAPI 3.0 document of every event.
    Asyncapi,
    /// Compose files and Dockerfiles of the fleet.
    Compose,
    /// `schemathesis.toml` of every service with REST operations.
    Schemathesis,
    /// `docs/architecture.md`: the fleet as a Mermaid graph.
    Graph,
    /// Rust serde types of every model, variant and enum (opt-in: not in [`Target::DEFAULT`]).
    Rust,
}

impl Target {
    /// Every target, in a fixed order.
    pub const ALL: [Target; 11] = [
        Target::Pydantic,
        Target::Fastapi,
        Target::Client,
        Target::Openapi,
        Target::Typescript,
        Target::Events,
        Target::Asyncapi,
        Target::Compose,
        Target::Schemathesis,
        Target::Graph,
        Target::Rust,
    ];

    /// The targets generated when specgen.toml does not list any: every target of a Python
    /// fleet, [`Target::ALL`] without the opt-in ones. `rust` is opt-in (list it in specgen.toml,
    /// or use `specgen-build`).
    pub const DEFAULT: [Target; 10] = {
        let mut default = [Target::Pydantic; 10];
        let (mut all, mut taken) = (0, 0);
        while all < Target::ALL.len() {
            if !Target::ALL[all].is_opt_in() {
                default[taken] = Target::ALL[all];
                taken += 1;
            }
            all += 1;
        }
        // A compile error, not a wrong list, when a target is added without updating the length.
        assert!(taken == default.len(), "Target::DEFAULT's length is not the number of default targets");
        default
    };

    /// Whether the target is generated only when asked for (not in [`Target::DEFAULT`]).
    const fn is_opt_in(self) -> bool {
        matches!(self, Target::Rust)
    }

    /// The name used in specgen.toml and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Target::Pydantic => "pydantic",
            Target::Fastapi => "fastapi",
            Target::Client => "client",
            Target::Openapi => "openapi",
            Target::Typescript => "typescript",
            Target::Events => "events",
            Target::Asyncapi => "asyncapi",
            Target::Compose => "compose",
            Target::Schemathesis => "schemathesis",
            Target::Graph => "graph",
            Target::Rust => "rust",
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

impl OutputRoots {
    /// The project directory holding the shared package: the first normal component of
    /// `shared_package` (`shared` of `shared/shared/generated`); `None` when it has none.
    /// Documents and crates that belong to the shared project go next to the package there.
    pub fn shared_project(&self) -> Option<&str> {
        self.shared_package.components().find_map(|c| match c {
            camino::Utf8Component::Normal(dir) => Some(dir),
            _ => None,
        })
    }
}

/// What to render and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Enabled targets ([`Target::DEFAULT`] unless specgen.toml lists them).
    pub targets: BTreeSet<Target>,
    /// Output roots.
    pub roots: OutputRoots,
}

impl Default for Options {
    fn default() -> Self {
        Options { targets: Target::DEFAULT.into_iter().collect(), roots: OutputRoots::default() }
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
    let mut targets: Vec<Target> = opts.targets.iter().copied().collect();
    // Targets are independent: two threads take them from a queue, the costliest first, so that
    // no long one starts last while the other thread idles. The order changes nothing else: the
    // files are merged by path.
    targets.sort_by_key(|target| target.cost_rank());
    let mut files = FileSet::new();
    for set in each_in_two(&targets, |&target| render_target(ir, opts, target)) {
        files.extend(set?);
    }
    let generated: Vec<Utf8PathBuf> =
        files.iter().filter(|(_, f)| f.kind == FileKind::Generated).map(|(p, _)| p.to_path_buf()).collect();
    for init in package_inits(generated.iter().map(|p| p.as_path()), opts) {
        if files.get(init.as_str()).is_none() {
            files.generated(init, banner("#", &[]));
        }
    }
    Ok(files)
}

/// Room for the decimal digits of any `u64`.
pub(crate) type Digits = [u8; 20];

/// `n` in decimal, written into `digits`: the hot paths (status codes, JSON integers) print
/// numbers without going through `core::fmt`.
pub(crate) fn decimal(mut n: u64, digits: &mut Digits) -> &str {
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&digits[start..]).expect("ASCII digits")
}

impl Target {
    /// Where the target goes in the render queue: 0 first, the costliest first, so that the two
    /// threads end close together. From one thread's time for each target on the benchmark
    /// corpus at N=1,000 (openapi ~34 ms, client ~20, pydantic ~17, fastapi ~15, typescript ~7):
    /// one thread renders openapi and then fastapi while the other renders client, pydantic and
    /// typescript. (Pydantic last, as before, left ~10 ms of it alone at the end.) In the queue
    /// a target does not split its own work over two threads (sections do not nest, see
    /// `parallel`); rendered alone, it does.
    fn cost_rank(self) -> u8 {
        match self {
            Target::Openapi => 0,
            Target::Client => 1,
            Target::Pydantic => 2,
            Target::Fastapi => 3,
            Target::Schemathesis => 4,
            Target::Typescript => 5,
            Target::Rust => 6,
            Target::Asyncapi => 7,
            Target::Events => 8,
            Target::Compose => 9,
            Target::Graph => 10,
        }
    }
}

/// The files of one target.
fn render_target(ir: &Ir, opts: &Options, target: Target) -> Result<FileSet, RenderError> {
    match target {
        Target::Pydantic => pydantic::render(ir, opts),
        Target::Fastapi => fastapi::render(ir, opts),
        Target::Client => client::render(ir, opts),
        Target::Openapi => openapi::render(ir, opts),
        Target::Typescript => typescript::render(ir, opts),
        Target::Events => events::render(ir, opts),
        Target::Asyncapi => asyncapi::render(ir, opts),
        Target::Compose => compose::render(ir, opts),
        Target::Schemathesis => schemathesis::render(ir, opts),
        Target::Graph => graph::render(ir, opts),
        Target::Rust => rust::render(ir, opts),
    }
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
            Target::Events => events::outputs(names, opts),
            Target::Asyncapi => asyncapi::outputs(names, opts),
            Target::Compose => compose::outputs(names, opts),
            Target::Schemathesis => schemathesis::outputs(names, opts),
            Target::Graph => graph::outputs(names, opts),
            Target::Rust => rust::outputs(names, opts),
        };
        paths.extend(list);
    }
    let generated: Vec<Utf8PathBuf> =
        paths.iter().filter(|p| p.kind == FileKind::Generated).map(|p| p.path.clone()).collect();
    for init in package_inits(generated.iter().map(|p| p.as_path()), opts) {
        if !paths.iter().any(|p| p.path == init) {
            paths.insert(OutputPath { path: init, kind: FileKind::Generated });
        }
    }
    paths.into_iter().collect()
}

/// The `__init__.py` files that make every generated Python module importable: one in each
/// directory from a generated `.py` file up to its package root (the shared package, or a
/// service's `src/generated`). Computed from paths alone, so `render` and `outputs` agree, and
/// no target has to know which other target also writes into a package.
fn package_inits<'p>(generated: impl Iterator<Item = &'p Utf8Path>, opts: &Options) -> BTreeSet<Utf8PathBuf> {
    let mut inits = BTreeSet::new();
    for path in generated.filter(|p| p.extension() == Some("py")) {
        let root = if path.starts_with(&opts.roots.shared_package) {
            opts.roots.shared_package.clone()
        } else if let Ok(rest) = path.strip_prefix(&opts.roots.services_dir) {
            // services/<svc>/src/generated/…
            let mut parts = rest.components();
            match (parts.next(), parts.next(), parts.next()) {
                (Some(svc), Some(src), Some(generated))
                    if src.as_str() == "src" && generated.as_str() == "generated" =>
                {
                    opts.roots.services_dir.join(svc.as_str()).join("src/generated")
                }
                _ => continue,
            }
        } else {
            continue;
        };
        let mut dir = path.parent();
        while let Some(d) = dir.filter(|d| d.starts_with(&root)) {
            inits.insert(d.join("__init__.py"));
            dir = d.parent();
        }
    }
    inits
}

/// The first line of every scaffold that can carry a comment: no "DO NOT EDIT" banner, the file
/// is the user's.
pub const SCAFFOLD_HEADER: &str =
    "# Scaffolded by specgen once: this file is yours to edit, specgen never overwrites it.";

/// The one-line banner at the top of every generated text file that can carry a comment.
/// `sources` are project-relative spec paths; the format follows the widely recognised
/// "Code generated … DO NOT EDIT." convention so editors and review tools fold the file.
pub fn banner(comment: &str, sources: &[&str]) -> String {
    let from = if sources.is_empty() { String::new() } else { format!(" from {}", sources.join(", ")) };
    format!("{comment} Code generated by specgen{from}. DO NOT EDIT.\n")
}

/// `Format: …` for a type that holds strings of a particular format, in the spec's type
/// grammar with the format names (`Format: uuid`, `Format: list[date-time]`,
/// `Format: dict[uuid, decimal]`); `None` when no format is involved.
pub(crate) fn format_note(ty: &TypeRef) -> Option<String> {
    fn has_format(ty: &TypeRef) -> bool {
        match ty {
            TypeRef::Primitive(p) => format_name(*p).is_some(),
            TypeRef::Dict(key, value) => format_name(*key).is_some() || has_format(value),
            TypeRef::List(inner) | TypeRef::Optional(inner) => has_format(inner),
            TypeRef::Enum(_) | TypeRef::Class(_) => false,
        }
    }
    fn spell(ty: &TypeRef, out: &mut String) {
        match ty {
            TypeRef::Primitive(p) => out.push_str(format_name(*p).unwrap_or_else(|| p.spec_name())),
            TypeRef::List(inner) => {
                out.push_str("list[");
                spell(inner, out);
                out.push(']');
            }
            TypeRef::Dict(key, value) => {
                out.push_str("dict[");
                out.push_str(format_name(*key).unwrap_or_else(|| key.spec_name()));
                out.push_str(", ");
                spell(value, out);
                out.push(']');
            }
            TypeRef::Optional(inner) => spell(inner, out),
            TypeRef::Enum(name) | TypeRef::Class(name) => out.push_str(name),
        }
    }
    has_format(ty).then(|| {
        let mut out = String::from("Format: ");
        spell(ty, &mut out);
        out
    })
}

/// The format of a primitive sent as a formatted string.
fn format_name(p: Primitive) -> Option<&'static str> {
    match p {
        Primitive::Datetime => Some("date-time"),
        Primitive::Date => Some("date"),
        Primitive::Uuid => Some("uuid"),
        Primitive::Decimal => Some("decimal"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a project without a `targets` list gets: every target but `rust`, in `ALL`'s order.
    #[test]
    fn default_targets_are_all_but_rust() {
        let expected: Vec<Target> = Target::ALL.into_iter().filter(|&t| t != Target::Rust).collect();
        assert_eq!(Target::DEFAULT.to_vec(), expected);
        assert!(Target::ALL.iter().all(|t| Target::from_name(t.name()) == Some(*t)));
    }
}
