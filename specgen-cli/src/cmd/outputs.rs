//! `specgen outputs`: the files `generate` would write, one per line, from input names only.

use specgen::{FileKind, Project};

use crate::{InputArgs, Outcome};

/// Runs the command.
pub fn run(args: &InputArgs) -> anyhow::Result<Outcome> {
    match Project::outputs_for(&args.input()) {
        Ok(paths) => {
            for p in paths.iter().filter(|p| p.kind == FileKind::Generated) {
                println!("{}", p.path);
            }
            Ok(Outcome::Ok)
        }
        Err(diags) => {
            args.report(&diags);
            Ok(Outcome::Failed)
        }
    }
}
