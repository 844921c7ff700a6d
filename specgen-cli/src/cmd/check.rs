//! `specgen check`: compare disk with what would be generated; a diff and exit 1 on drift.
//!
//! `--stamp FILE` also writes FILE when there is no drift, so that the check can be a build
//! step whose output proves it passed: Nix's `lib.check` (nix/lib.nix) runs
//! `specgen check … --stamp $out` as a derivation's builder, with no shell to create `$out`.

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
    /// When everything is up to date, write FILE (one line: `up to date: N generated files`),
    /// e.g. the output of a build step. On drift nothing is written and an existing FILE is left
    /// as it is.
    #[arg(long, value_name = "FILE")]
    stamp: Option<Utf8PathBuf>,
}

/// Runs the command.
pub fn run(args: &CheckArgs) -> anyhow::Result<Outcome> {
    let Some(project) = super::load(&args.input) else { return Ok(Outcome::Failed) };
    let files = project.generate().context("rendering failed")?;
    let out = args.out.clone().unwrap_or_else(|| args.input.root.clone());
    let drift = output::check(&files, &out)?;
    if drift.is_clean() {
        let generated = files.iter().filter(|(_, f)| f.kind == specgen::FileKind::Generated).count();
        if let Some(stamp) = &args.stamp {
            std::fs::write(stamp, stamp_text(generated)).with_context(|| format!("cannot write the stamp {stamp}"))?;
        }
        eprintln!("up to date: {generated} generated files match the specs");
        Ok(Outcome::Ok)
    } else {
        print!("{}", drift.render());
        eprintln!("error: generated files are out of date; run `specgen generate`");
        Ok(Outcome::Failed)
    }
}

/// The contents of the `--stamp` file: deterministic (the count depends on the specs only), so
/// a build that writes it is reproducible.
fn stamp_text(generated: usize) -> String {
    format!("up to date: {generated} generated files\n")
}
