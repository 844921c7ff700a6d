//! One module per command.

pub mod check;
pub mod generate;
pub mod graph;
pub mod outputs;
pub mod schema;
pub mod validate;

use specgen::Project;

use crate::InputArgs;

/// Loads the project, printing diagnostics; `None` means errors were reported.
pub fn load(args: &InputArgs) -> Option<Project> {
    match Project::load(&args.input()) {
        Ok(project) => {
            args.report(&project.warnings);
            Some(project)
        }
        Err(diags) => {
            args.report(&diags);
            None
        }
    }
}
