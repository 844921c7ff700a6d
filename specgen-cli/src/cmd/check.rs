//! `specgen check`: compare disk with what would be generated; a diff and exit 1 on drift.

use anyhow::Context;
use camino::Utf8PathBuf;
use clap::Args;
use specgen::output;

use crate::{InputArgs, Outcome};

/// Arguments of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Directory holding the generated files (default: the project root).
    #[arg(long, value_name = "DIR")]
    out: Option<Utf8PathBuf>,
}

/// Runs the command.
pub fn run(args: &CheckArgs) -> anyhow::Result<Outcome> {
    let Some(project) = super::load(&args.input) else { return Ok(Outcome::Failed) };
    let files = project.generate().context("rendering failed")?;
    let out = args.out.clone().unwrap_or_else(|| args.input.root.clone());
    let drift = output::check(&files, &out)?;
    if drift.is_clean() {
        eprintln!(
            "up to date: {} generated files match the specs",
            files.iter().filter(|(_, f)| f.kind == specgen::FileKind::Generated).count()
        );
        Ok(Outcome::Ok)
    } else {
        print!("{}", drift.render());
        eprintln!("error: generated files are out of date; run `specgen generate`");
        Ok(Outcome::Failed)
    }
}
