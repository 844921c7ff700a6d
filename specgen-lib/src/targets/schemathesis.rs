//! Target `schemathesis`: `schemathesis.toml` per service (not yet written).

use crate::fileset::FileSet;
use crate::ir::Ir;
use crate::load::InputNames;

use super::{Options, OutputPath, RenderError};

/// Renders the target's files.
pub fn render(_ir: &Ir, _opts: &Options) -> Result<FileSet, RenderError> {
    Ok(FileSet::new())
}

/// The paths [`render`] writes, from input names only.
pub fn outputs(_names: &InputNames, _opts: &Options) -> Vec<OutputPath> {
    Vec::new()
}
