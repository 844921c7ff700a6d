//! `specgen generate`: render everything in memory, then write only what changed.

use anyhow::Context;
use camino::Utf8PathBuf;
use clap::Args;
use specgen::output::{self, WriteOptions};

use crate::{InputArgs, Outcome};

/// Arguments of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Output directory (default: the project root).
    #[arg(long, value_name = "DIR")]
    out: Option<Utf8PathBuf>,
    /// Do not write scaffolds (controller stubs…): for build sandboxes.
    #[arg(long)]
    no_scaffolds: bool,
    /// Print nothing on success.
    #[arg(long, short)]
    quiet: bool,
}

/// Runs the command.
pub fn run(args: &GenerateArgs) -> anyhow::Result<Outcome> {
    let Some(project) = super::load(&args.input) else { return Ok(Outcome::Failed) };
    let files = project.generate().context("rendering failed")?;
    let out = args.out.clone().unwrap_or_else(|| args.input.root.clone());
    let report = output::write(&files, &out, &WriteOptions { scaffolds: !args.no_scaffolds })?;
    if !args.quiet {
        eprintln!(
            "generated {} files into {out}: {} written, {} unchanged, {} removed, {} scaffolds created",
            files.len(),
            report.written.len(),
            report.unchanged,
            report.removed.len(),
            report.scaffolded.len()
        );
    }
    Ok(Outcome::Ok)
}
