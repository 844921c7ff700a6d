//! `specgen graph`: print the fleet graph (services, infrastructure, REST calls, events) as
//! Mermaid or Graphviz DOT. The same Mermaid graph is generated into `docs/architecture.md`.

use clap::{Args, ValueEnum};
use specgen::targets::graph;

use crate::{InputArgs, Outcome};

/// Arguments of `graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    format: GraphFormat,
}

/// The formats of `graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    /// A Mermaid flowchart (the one in docs/architecture.md).
    Mermaid,
    /// A Graphviz digraph (render it with `dot -Tsvg`).
    Dot,
}

/// Runs the command.
pub fn run(args: &GraphArgs) -> anyhow::Result<Outcome> {
    let Some(project) = super::load(&args.input) else { return Ok(Outcome::Failed) };
    let text = match args.format {
        GraphFormat::Mermaid => graph::mermaid(&project.ir),
        GraphFormat::Dot => graph::dot(&project.ir),
    };
    print!("{text}");
    Ok(Outcome::Ok)
}
