//! The `specgen` command: a thin clap layer over specgen-lib. One module per command.
//!
//! Exit codes: 0 success; 1 diagnostics (errors in the specs) or drift (`check`); 2 usage or
//! I/O problems.

use std::io::IsTerminal;
use std::process::ExitCode;

use camino::Utf8PathBuf;
use clap::{Args, Parser, Subcommand, ValueEnum};
use specgen::{Diagnostics, Input, Style};

mod cmd;

/// mimalloc instead of the system allocator. A run makes many small allocations (the spec, the
/// IR, output text) and frees few before it exits: on the 1,000-model benchmark
/// (bench/README.md) mimalloc runs the REST targets in 589 M instructions instead of 655 M,
/// ~9 % less CPU time. It asks the kernel for transparent huge pages for its memory (where the
/// system allows them on request, `madvise`, or always): a run then takes ~500 page faults
/// instead of ~15,000, and a quarter less CPU time, for ~15 MB more peak RSS (2 MB pages are
/// resident whole). `MIMALLOC_ALLOW_THP=0` in the environment turns them off. The library does
/// not choose an allocator: build scripts keep theirs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const LAYOUT: &str = "\
Project layout (paths relative to the project root):
  services.yml                        the fleet (optional)
  specgen.toml                        project settings (optional)
  shared/spec/models.yaml             data models
  shared/spec/events.yaml             async events (optional)
  services/<svc>/spec/<domain>.yaml   one domain's operations
  services/<svc>/spec/manifest.yaml   what <svc> consumes from others (optional)

Exit codes: 0 success, 1 errors in the specs or drift, 2 usage or I/O error.";

/// Spec-first code generation for Python service fleets.
#[derive(Debug, Parser)]
#[command(name = "specgen", version, after_help = LAYOUT, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check the specs and report every problem; writes nothing.
    #[command(
        after_help = "Examples:\n  specgen validate\n  specgen validate --root examples/bookshelf --message-format json"
    )]
    Validate(InputArgs),
    /// Generate code into the project (or --out DIR); writes only files whose bytes change.
    #[command(
        after_help = "Examples:\n  specgen generate\n  specgen generate --root examples/bookshelf --out /tmp/gen\n  specgen generate --spec shared/spec/models.yaml --out out/ --no-scaffolds   # hermetic"
    )]
    Generate(cmd::generate::GenerateArgs),
    /// Compare generated files on disk with what would be generated; exit 1 and print a diff on drift.
    #[command(after_help = "Examples:\n  specgen check\n  specgen check --root examples/bookshelf --out generated/")]
    Check(cmd::check::CheckArgs),
    /// List the files `generate` would write (from input file names only; specs are not validated).
    #[command(
        after_help = "Examples:\n  specgen outputs\n  specgen outputs --spec shared/spec/models.yaml --spec services/backend/spec/books.yaml"
    )]
    Outputs(InputArgs),
    /// Print the fleet graph (services, infrastructure, REST calls, events) as Mermaid or DOT.
    #[command(
        after_help = "Examples:\n  specgen graph                      # Mermaid, as in docs/architecture.md\n  specgen graph --format dot | dot -Tsvg -o fleet.svg"
    )]
    Graph(cmd::graph::GraphArgs),
    /// Write the JSON Schemas (draft-07) of the spec files, for editors and CI.
    #[command(
        after_help = "Examples:\n  specgen schema --out json-schema\n  specgen schema            # print the list of schemas and where they go"
    )]
    Schema(cmd::schema::SchemaArgs),
}

/// Where the specs are and how to report problems.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Project root (default: the current directory).
    #[arg(long, value_name = "DIR", default_value = ".")]
    root: Utf8PathBuf,
    /// Read exactly these spec files (relative to --root) instead of walking the root: the
    /// hermetic mode used by Bazel and Nix. Repeatable.
    #[arg(long = "spec", value_name = "FILE")]
    specs: Vec<Utf8PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    message_format: MessageFormat,
    /// When to colour output (NO_COLOR is honoured by `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MessageFormat {
    /// rustc-style text.
    Human,
    /// One JSON object per diagnostic per line, on stdout.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl InputArgs {
    fn input(&self) -> Input {
        if self.specs.is_empty() {
            Input::Root(self.root.clone())
        } else {
            Input::Files { root: self.root.clone(), files: self.specs.clone() }
        }
    }

    /// Prints diagnostics (errors or warnings) in the chosen format.
    fn report(&self, diags: &Diagnostics) {
        if diags.items.is_empty() {
            return;
        }
        match self.message_format {
            MessageFormat::Json => print!("{}", diags.to_json_lines()),
            MessageFormat::Human => {
                let styled = match self.color {
                    ColorChoice::Always => true,
                    ColorChoice::Never => false,
                    ColorChoice::Auto => {
                        std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    }
                };
                eprint!("{}", diags.render(if styled { Style::Styled } else { Style::Plain }));
            }
        }
    }
}

/// What a command asks `main` to exit with.
pub enum Outcome {
    /// Exit 0.
    Ok,
    /// Exit 1: spec errors or drift (already reported).
    Failed,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Validate(args) => cmd::validate::run(args),
        Command::Generate(args) => cmd::generate::run(args),
        Command::Check(args) => cmd::check::run(args),
        Command::Outputs(args) => cmd::outputs::run(args),
        Command::Graph(args) => cmd::graph::run(args),
        Command::Schema(args) => cmd::schema::run(args),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
