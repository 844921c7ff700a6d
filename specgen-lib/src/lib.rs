//! specgen: spec-first code generation for Python service fleets.
//!
//! The pipeline is the module list:
//!
//! ```text
//! files ──load──▶ spec structs (+ spans) ──validate──▶ Ir ──targets──▶ FileSet ──output──▶ disk / diff / names
//! ```
//!
//! - [`load`] finds and parses the spec files (a sorted directory walk, or an explicit list);
//! - [`spec`] holds the serde structs of each spec kind — also the source of the JSON Schemas;
//! - [`validate`] checks every rule and lowers the specs to the [`ir::Ir`];
//! - [`targets`] render the IR into a [`FileSet`] (one module per output family);
//! - [`output`] writes a FileSet (only changed files, atomically), checks it, keeps a manifest;
//! - [`diagnostics`] is the one error type users see.
//!
//! The small public API is [`Project`]: load, then generate / outputs.
#![deny(missing_docs)]

pub mod diagnostics;
pub mod fileset;
pub mod ir;
pub mod load;
mod name_map;
pub mod output;
mod parallel;
pub mod schema;
pub mod spec;
pub mod targets;
pub mod validate;
mod yaml;

#[cfg(test)]
mod test_support;

mod project;

pub use diagnostics::{Diagnostic, Diagnostics, Severity, Style};
pub use fileset::{FileKind, FileSet};
pub use load::Input;
pub use project::Project;
pub use targets::{Options, Target};
