//! The public entry point: a loaded, validated project, and what can be done with it.

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::fileset::FileSet;
use crate::ir::Ir;
use crate::load::{self, Input, InputNames};
use crate::targets::{self, Options, OutputPath, RenderError};
use crate::validate;

/// A loaded and validated project, ready to generate.
#[derive(Debug, Clone)]
pub struct Project {
    /// The resolved IR.
    pub ir: Ir,
    /// The input files by kind.
    pub names: InputNames,
    /// Options from specgen.toml (callers may override them before generating).
    pub options: Options,
    /// Warnings found while validating (errors stop [`Project::load`]); their spans point into
    /// `warnings.sources`.
    pub warnings: Diagnostics,
    /// Validation's spec structs and tables, freed with the project (see `Retained`).
    _retained: validate::Retained,
}

impl Project {
    /// Loads and validates the specs. On any error, returns every diagnostic found.
    pub fn load(input: &Input) -> Result<Project, Diagnostics> {
        let loaded = load::load(input)?;
        let validated = validate::validate(&loaded)?;
        // Moved, not cloned: the sources are every spec file's text.
        let warnings = Diagnostics { sources: loaded.sources, items: validated.warnings };
        Ok(Project {
            ir: validated.ir,
            names: loaded.names,
            options: validated.options,
            warnings,
            _retained: validated.retained,
        })
    }

    /// Renders every enabled target in memory. Nothing touches the disk.
    pub fn generate(&self) -> Result<FileSet, RenderError> {
        targets::render(&self.ir, &self.options)
    }

    /// The paths [`Project::generate`] writes, computed from input names only.
    pub fn outputs(&self) -> Vec<OutputPath> {
        targets::outputs(&self.names, &self.options)
    }

    /// Warnings as a list.
    pub fn warning_list(&self) -> &[Diagnostic] {
        &self.warnings.items
    }
}

impl Project {
    /// The output paths for an input without validating the specs: only the file *names* and
    /// specgen.toml (which can move output roots and switch targets) are read. This is what
    /// build systems call to declare outputs.
    pub fn outputs_for(input: &Input) -> Result<Vec<OutputPath>, Diagnostics> {
        let (root, names) = load::discover(input)?;
        let options = match &names.config {
            Some(config) => {
                let only_config = Input::Files { root, files: vec![config.clone()] };
                let loaded = load::load(&only_config)?;
                validate::options_only(&loaded)?
            }
            None => Options::default(),
        };
        Ok(targets::outputs(&names, &options))
    }
}
