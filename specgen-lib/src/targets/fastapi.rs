//! Target `fastapi` (being written).

use crate::fileset::FileSet;
use crate::ir::Ir;
use crate::load::InputNames;

use super::{Options, OutputPath, RenderError};

/// Renders the target.
pub fn render(_ir: &Ir, _opts: &Options) -> Result<FileSet, RenderError> {
    Ok(FileSet::new())
}

/// The paths [`render`] writes.
pub fn outputs(_names: &InputNames, _opts: &Options) -> Vec<OutputPath> {
    Vec::new()
}
