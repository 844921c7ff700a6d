//! The public entry point: a loaded, validated project.

use crate::diagnostics::Diagnostics;
use crate::ir::Ir;
use crate::load::{Input, InputNames};

/// A loaded and validated project, ready to generate.
#[derive(Debug, Clone)]
pub struct Project {
    /// The resolved IR.
    pub ir: Ir,
    /// The input files by kind.
    pub names: InputNames,
    /// Warnings found while validating (errors stop `load`).
    pub warnings: Diagnostics,
}

impl Project {
    /// Loads and validates the specs.
    pub fn load(_input: &Input) -> Result<Project, Diagnostics> {
        todo!()
    }
}
