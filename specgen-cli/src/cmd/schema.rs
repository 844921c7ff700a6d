//! `specgen schema`: write the JSON Schemas of the spec files.

use anyhow::Context;
use camino::Utf8PathBuf;
use clap::Args;

use crate::Outcome;

/// Arguments of `schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Directory to write `<kind>.schema.json` files into. Without it, the file names are listed.
    #[arg(long, value_name = "DIR")]
    out: Option<Utf8PathBuf>,
}

/// Runs the command.
pub fn run(args: &SchemaArgs) -> anyhow::Result<Outcome> {
    let files = specgen::schema::render();
    match &args.out {
        Some(out) => {
            // Plain writes, no manifest: the schema directory holds nothing else of specgen's.
            std::fs::create_dir_all(out).with_context(|| format!("cannot create {out}"))?;
            let mut written = 0;
            for (path, file) in files.iter() {
                let target = out.join(path);
                if std::fs::read(&target).ok().as_deref() != Some(file.bytes.as_slice()) {
                    std::fs::write(&target, &file.bytes).with_context(|| format!("cannot write {target}"))?;
                    written += 1;
                }
            }
            eprintln!("{} schemas in {out}: {written} written, {} unchanged", files.len(), files.len() - written);
        }
        None => {
            for (path, _) in files.iter() {
                println!("{path}");
            }
        }
    }
    Ok(Outcome::Ok)
}
