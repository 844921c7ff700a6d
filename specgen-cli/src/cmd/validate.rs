//! `specgen validate`: load and check, report, write nothing.

use crate::{InputArgs, Outcome};

/// Runs the command.
pub fn run(args: &InputArgs) -> anyhow::Result<Outcome> {
    let Some(project) = super::load(args) else { return Ok(Outcome::Failed) };
    if args.message_format == crate::MessageFormat::Human {
        let classes = project.ir.classes.len();
        let ops: usize = project.ir.services.iter().flat_map(|s| &s.domains).map(|d| d.operations.len()).sum();
        eprintln!(
            "ok: {classes} classes, {} events, {} services, {ops} operations",
            project.ir.events.len(),
            project.ir.services.len()
        );
    }
    Ok(Outcome::Ok)
}
