//! The fleet graph: `docs/architecture.md` (a Mermaid flowchart and the list of services),
//! written whenever services.yml is an input, and the Mermaid and DOT text of the same graph,
//! which `specgen graph` prints ([`mermaid`], [`dot`]).
//!
//! What the graph shows, all of it in a deterministic order:
//!
//! - **Nodes**: every service, labelled with its name and type (`python-fastapi`…), in the
//!   IR's order (sorted by name); then the infrastructure some edge reaches, in the order
//!   `postgres`, `redis`, `internet`.
//! - **REST edges** (solid arrows): a service's manifest (`Service::consumes`), one edge per
//!   called service, labelled per `consumes` entry with `domain: operation, operation…` (three
//!   operations to a line), in the manifest's order.
//! - **Event edges** (dashed arrows): for each event of events.yaml, from each of its
//!   publishers ([`Ir::publishers`]) to each of its subscribers ([`Ir::subscribers`]). An event
//!   that no service of the fleet subscribes to goes to `redis` (its stream is written, and
//!   whoever reads it is outside the fleet), and one that a service subscribes to but none
//!   publishes (warning W0304) comes from `redis`, so no publication or subscription is left out.
//!   One edge per pair of nodes, labelled with its events, one per line, in events.yaml's order;
//!   edges sorted by their ends.
//! - **Access edges** (lines without arrows): what a service may reach ([`Ir::reach`]) other than
//!   the services it calls: the infrastructure (its `access` and `depends_on`, and `redis` when
//!   it publishes or subscribes) and the services it declares without calling them.
//!
//! Node ids are `svc_<name>` and `infra_<name>` (a service may be called `internet`, or `end`,
//! which Mermaid reserves). Labels are escaped for each format even though names are
//! identifiers: in Mermaid, quoted text with `#…;` entity codes for `"`, `#`, `<`, `>`, `&`,
//! `|` and `` ` ``; in DOT, quoted strings with `\` and `"` escaped. The service descriptions
//! (free text) appear only in the Markdown list, escaped for Markdown.
//!
//! The document starts with the banner as an HTML comment (`<!-- Code generated … -->`), names
//! services.yml as its source, and has the flowchart in a ```` ```mermaid ```` block, a legend
//! and the list of services with their type, port and description.

use std::collections::BTreeMap;

use crate::fileset::{FileKind, FileSet};
use crate::ir::Ir;
use crate::load::InputNames;

use super::{Options, OutputPath, RenderError};

/// Where the document goes, relative to the output root.
const FILE: &str = "docs/architecture.md";

/// Renders `docs/architecture.md` when the project has a services.yml.
pub fn render(ir: &Ir, _opts: &Options) -> Result<FileSet, RenderError> {
    let mut files = FileSet::new();
    if let Some(services_file) = &ir.services_file {
        files.generated(FILE, document(ir, services_file.as_str()));
    }
    Ok(files)
}

/// The paths [`render`] writes: `docs/architecture.md` when services.yml is an input.
pub fn outputs(names: &InputNames, _opts: &Options) -> Vec<OutputPath> {
    match names.services_file {
        Some(_) => vec![OutputPath { path: FILE.into(), kind: FileKind::Generated }],
        None => Vec::new(),
    }
}

/// The fleet as a Mermaid flowchart (`flowchart LR` and its lines, with a final newline; no
/// code fence).
pub fn mermaid(ir: &Ir) -> String {
    let graph = Graph::new(ir);
    let mut out = String::from("flowchart LR\n");
    for node in &graph.nodes {
        let label = mermaid_text(&node.label.join("\n"));
        let shaped = match node.shape {
            Shape::Service => format!("[\"{label}\"]"),
            Shape::Store => format!("[(\"{label}\")]"),
            Shape::Outside => format!("((\"{label}\"))"),
        };
        out.push_str(&format!("    {}{shaped}\n", node.id));
    }
    for edge in &graph.edges {
        let arrow = match edge.kind {
            EdgeKind::Rest => "-->",
            EdgeKind::Event => "-.->",
            EdgeKind::Access => "---",
        };
        let label = match edge.label.is_empty() {
            true => String::new(),
            false => format!("|\"{}\"|", mermaid_text(&edge.label.join("\n"))),
        };
        out.push_str(&format!("    {} {arrow}{label} {}\n", edge.from, edge.to));
    }
    out
}

/// The fleet as a Graphviz `digraph` (render it with `dot -Tsvg`).
pub fn dot(ir: &Ir) -> String {
    let graph = Graph::new(ir);
    let mut out = String::from("digraph fleet {\n    rankdir=LR;\n");
    for node in &graph.nodes {
        let shape = match node.shape {
            Shape::Service => "shape=box, style=rounded",
            Shape::Store => "shape=cylinder",
            Shape::Outside => "shape=ellipse",
        };
        out.push_str(&format!(
            "    {} [label={}, {shape}];\n",
            dot_string(&node.id),
            dot_string(&node.label.join("\n"))
        ));
    }
    for edge in &graph.edges {
        let mut attrs = Vec::new();
        if !edge.label.is_empty() {
            attrs.push(format!("label={}", dot_string(&edge.label.join("\n"))));
        }
        attrs.push(
            match edge.kind {
                EdgeKind::Rest => "style=solid",
                EdgeKind::Event => "style=dashed",
                EdgeKind::Access => "dir=none, color=gray40",
            }
            .to_string(),
        );
        out.push_str(&format!("    {} -> {} [{}];\n", dot_string(&edge.from), dot_string(&edge.to), attrs.join(", ")));
    }
    out.push_str("}\n");
    out
}

/// The Markdown document: banner, the flowchart, a legend and the list of services.
fn document(ir: &Ir, services_file: &str) -> String {
    let banner = super::banner("<!--", &[services_file]);
    let mut out = format!("{} -->\n", banner.trim_end());
    out.push_str("# Architecture\n\n");
    out.push_str(&format!(
        "The fleet of `{}`: its services, the infrastructure they reach, the REST operations each \
         calls on another (its manifest) and the events that go from publishers to subscribers. \
         `specgen graph` prints the same graph (`--format dot` for Graphviz).\n\n",
        services_file
    ));
    out.push_str("```mermaid\n");
    out.push_str(&mermaid(ir));
    out.push_str("```\n\n");
    out.push_str(
        "Solid arrows are REST calls, labelled `domain: operations`. Dashed arrows are events, \
         from each publisher to each subscriber; an event no service subscribes to goes to \
         `redis`, one no service publishes comes from it. Lines without arrows are what a \
         service may reach besides the services it calls (`access`, `depends_on`, and `redis` \
         for events).\n\n",
    );
    out.push_str("## Services\n\n");
    for service in &ir.services {
        let mut facts = vec![service.kind.spec_name().to_string()];
        if let Some(port) = service.port() {
            facts.push(format!("port {port}"));
        }
        out.push_str(&format!("- `{}` ({})", service.name, facts.join(", ")));
        if let Some(description) = service.description.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            out.push_str(": ");
            out.push_str(&markdown_text(description));
        }
        out.push('\n');
    }
    out
}

/// The graph both formats draw.
struct Graph {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
}

struct Node {
    id: String,
    label: Vec<String>,
    shape: Shape,
}

#[derive(Clone, Copy)]
enum Shape {
    /// A service of the fleet.
    Service,
    /// PostgreSQL or Redis.
    Store,
    /// The internet.
    Outside,
}

struct Edge {
    from: String,
    to: String,
    kind: EdgeKind,
    label: Vec<String>,
}

#[derive(Clone, Copy)]
enum EdgeKind {
    Rest,
    Event,
    Access,
}

/// The infrastructure nodes, in their order.
const INFRASTRUCTURE: [(&str, Shape); 3] =
    [("postgres", Shape::Store), ("redis", Shape::Store), ("internet", Shape::Outside)];

fn service_id(name: &str) -> String {
    format!("svc_{name}")
}

fn infra_id(name: &str) -> String {
    format!("infra_{name}")
}

impl Graph {
    fn new(ir: &Ir) -> Graph {
        let mut edges = Vec::new();

        // REST: one edge per (caller, called), in the manifest's order.
        for service in &ir.services {
            let mut called: Vec<(&str, Vec<String>)> = Vec::new();
            for consume in &service.consumes {
                let lines = operation_lines(&consume.domain, &consume.operations);
                match called.iter_mut().find(|(name, _)| *name == consume.service) {
                    Some((_, label)) => label.extend(lines),
                    None => called.push((&consume.service, lines)),
                }
            }
            for (target, label) in called {
                edges.push(Edge {
                    from: service_id(&service.name),
                    to: service_id(target),
                    kind: EdgeKind::Rest,
                    label,
                });
            }
        }

        // Events: publisher → subscriber, Redis standing in for the missing side.
        let mut events: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for event in &ir.events {
            let publishers: Vec<String> = ir.publishers(&event.name).iter().map(|s| service_id(&s.name)).collect();
            let subscribers: Vec<String> = ir.subscribers(&event.name).iter().map(|s| service_id(&s.name)).collect();
            let pairs: Vec<(String, String)> = match (publishers.is_empty(), subscribers.is_empty()) {
                (true, true) => Vec::new(),
                (false, true) => publishers.iter().map(|p| (p.clone(), infra_id("redis"))).collect(),
                (true, false) => subscribers.iter().map(|s| (infra_id("redis"), s.clone())).collect(),
                (false, false) => {
                    publishers.iter().flat_map(|p| subscribers.iter().map(move |s| (p.clone(), s.clone()))).collect()
                }
            };
            for pair in pairs {
                events.entry(pair).or_default().push(event.name.clone());
            }
        }
        for ((from, to), label) in events {
            edges.push(Edge { from, to, kind: EdgeKind::Event, label });
        }

        // Access: what each service may reach besides the services it calls.
        for service in &ir.services {
            let reach = ir.reach(service);
            for (name, reached) in [("postgres", reach.postgres), ("redis", reach.redis), ("internet", reach.internet)]
            {
                if reached {
                    edges.push(Edge {
                        from: service_id(&service.name),
                        to: infra_id(name),
                        kind: EdgeKind::Access,
                        label: Vec::new(),
                    });
                }
            }
            for other in &reach.services {
                if !service.consumes.iter().any(|c| &c.service == other) {
                    edges.push(Edge {
                        from: service_id(&service.name),
                        to: service_id(other),
                        kind: EdgeKind::Access,
                        label: Vec::new(),
                    });
                }
            }
        }

        let mut nodes: Vec<Node> = ir
            .services
            .iter()
            .map(|s| Node {
                id: service_id(&s.name),
                label: vec![s.name.clone(), s.kind.spec_name().to_string()],
                shape: Shape::Service,
            })
            .collect();
        for (name, shape) in INFRASTRUCTURE {
            let id = infra_id(name);
            if edges.iter().any(|e| e.from == id || e.to == id) {
                nodes.push(Node { id, label: vec![name.to_string()], shape });
            }
        }
        Graph { nodes, edges }
    }
}

/// Operations per line of a REST edge's label.
const OPERATIONS_PER_LINE: usize = 3;

/// The label lines of one `consumes` entry: `domain: a, b, c,` then the rest of the operations,
/// [`OPERATIONS_PER_LINE`] to a line.
fn operation_lines(domain: &str, operations: &[String]) -> Vec<String> {
    let chunks: Vec<String> = operations.chunks(OPERATIONS_PER_LINE).map(|c| c.join(", ")).collect();
    let last = chunks.len().saturating_sub(1);
    let mut lines: Vec<String> =
        chunks.into_iter().enumerate().map(|(i, c)| if i < last { format!("{c},") } else { c }).collect();
    match lines.first_mut() {
        Some(first) => *first = format!("{domain}: {first}"),
        None => lines.push(format!("{domain}:")),
    }
    lines
}

/// Text for a quoted Mermaid label: entity codes for what would end the quote, start an entity,
/// be read as HTML or as a Markdown string; line breaks as `<br/>`.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("<br/>"),
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '|' => out.push_str("#124;"),
            '`' => out.push_str("#96;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A quoted DOT string: `\` and `"` escaped, line breaks as `\n` (centred lines).
fn dot_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Free text on one line of a Markdown list item: whitespace runs as one space, and the
/// characters that would start markup or HTML backslash-escaped.
fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '|' | '~' | '#' | '!') {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Access, Consume, Event, Service, ServiceKind};
    use crate::targets::Target;
    use crate::test_support::{load, only};
    use crate::Project;

    fn architecture(project: &Project) -> String {
        let files = render(&project.ir, &only(project, Target::Graph)).unwrap();
        assert_eq!(files.len(), 1);
        String::from_utf8(files.get(FILE).unwrap().bytes.clone()).unwrap()
    }

    /// The Mermaid block of the document.
    fn block(doc: &str) -> &str {
        let start = doc.find("```mermaid\n").unwrap() + "```mermaid\n".len();
        &doc[start..start + doc[start..].find("```").unwrap()]
    }

    #[test]
    fn bookshelf() {
        let project = load("../examples/bookshelf");
        let doc = architecture(&project);
        assert!(doc.starts_with("<!-- Code generated by specgen from services.yml. DO NOT EDIT. -->\n# Architecture\n"));
        assert!(doc.ends_with('\n') && !doc.ends_with("\n\n"));
        let block = block(&doc);
        assert_eq!(block, mermaid(&project.ir));
        // Each kind of edge, as the example declares it.
        assert!(block.contains(
            "svc_notifications -->|\"books: get_book, get_shelf_stats<br/>authors: get_author\"| svc_backend\n"
        ));
        assert!(block
            .contains("svc_backend -.->|\"book_created<br/>book_finished<br/>reading_progress\"| svc_notifications\n"));
        assert!(block.contains("svc_backend -.->|\"author_created\"| infra_redis\n"));
        assert!(block.contains("svc_tg_bot -.->|\"bot_command\"| infra_redis\n"));
        assert!(block.contains("svc_tg_bot --- infra_internet\n"));
        assert!(block.contains("svc_backend --- infra_postgres\n"));
        // tg_bot calls backend: the REST edge stands for its access to it.
        assert!(!block.contains("svc_tg_bot --- svc_backend"));
        insta::assert_snapshot!("bookshelf_architecture_md", doc);
    }

    #[test]
    fn events_fixture_mermaid() {
        let project = load("tests/fixtures/good/events");
        let block = mermaid(&project.ir);
        // `hand` declares access to `api` without calling it.
        assert!(block.contains("svc_hand --- svc_api\n"), "{block}");
        insta::assert_snapshot!("events_fixture_mermaid", block);
    }

    #[test]
    fn bookshelf_dot() {
        let project = load("../examples/bookshelf");
        let text = dot(&project.ir);
        assert!(text.starts_with("digraph fleet {\n") && text.ends_with("}\n"));
        insta::assert_snapshot!("bookshelf_dot", text);
    }

    #[test]
    fn only_with_services_yml() {
        let project = load("tests/fixtures/good/minimal");
        assert!(project.names.services_file.is_none());
        assert!(render(&project.ir, &only(&project, Target::Graph)).unwrap().is_empty());
        assert!(outputs(&project.names, &only(&project, Target::Graph)).is_empty());
        // The graph of the services found by their directories is still printable.
        assert!(mermaid(&project.ir).starts_with("flowchart LR\n"));
    }

    #[test]
    fn outputs_are_the_rendered_paths() {
        for root in ["../examples/bookshelf", "tests/fixtures/good/events", "tests/fixtures/good/no-models"] {
            let project = load(root);
            let opts = only(&project, Target::Graph);
            let rendered: Vec<OutputPath> = render(&project.ir, &opts)
                .unwrap()
                .iter()
                .map(|(path, file)| OutputPath { path: path.to_owned(), kind: file.kind })
                .collect();
            assert_eq!(outputs(&project.names, &opts), rendered, "{root}");
            assert_eq!(rendered.len(), 1);
        }
    }

    fn service(name: &str) -> Service {
        Service::new(name, ServiceKind::Default)
    }

    #[test]
    fn reserved_and_colliding_names_get_distinct_ids() {
        let mut end = service("end");
        end.access = vec![Access::Internet];
        let mut caller = service("internet");
        caller.consumes = vec![Consume { service: "end".into(), domain: "d".into(), operations: vec!["op".into()] }];
        caller.publishes = vec!["orphan".into()];
        let ir = Ir {
            services: vec![end, caller],
            events: vec![Event {
                name: "orphan".into(),
                message: "M".into(),
                publish: true,
                subscribe: false,
                description: None,
            }],
            ..Ir::default()
        };
        assert_eq!(
            mermaid(&ir),
            "flowchart LR\n    svc_end[\"end<br/>default\"]\n    svc_internet[\"internet<br/>default\"]\n    \
             infra_redis[(\"redis\")]\n    infra_internet((\"internet\"))\n    \
             svc_internet -->|\"d: op\"| svc_end\n    svc_internet -.->|\"orphan\"| infra_redis\n    \
             svc_end --- infra_internet\n    svc_internet --- infra_redis\n"
        );
    }

    #[test]
    fn operations_three_to_a_line() {
        let ops = |n: usize| (1..=n).map(|i| format!("op{i}")).collect::<Vec<_>>();
        assert_eq!(operation_lines("d", &ops(0)), ["d:"]);
        assert_eq!(operation_lines("d", &ops(3)), ["d: op1, op2, op3"]);
        assert_eq!(operation_lines("d", &ops(7)), ["d: op1, op2, op3,", "op4, op5, op6,", "op7"]);
    }

    #[test]
    fn labels_are_escaped() {
        assert_eq!(mermaid_text("a\"b#c<d>e&f|g`h\ni"), "a#quot;b#35;c#lt;d#gt;e#amp;f#124;g#96;h<br/>i");
        assert_eq!(dot_string("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
        assert_eq!(markdown_text("  *Bold* <b>\n[x](y) a_b  "), "\\*Bold\\* \\<b\\> \\[x\\](y) a\\_b");
    }
}
