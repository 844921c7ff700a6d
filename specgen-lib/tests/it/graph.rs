//! The fleet graph's DOT and its real consumer: Graphviz renders the graph of every good project
//! (fixtures and examples) and of an IR with hostile names with `dot -Tsvg`, without a warning,
//! with one SVG node per graph node and one SVG edge per graph edge.
//!
//! Needs `dot` on PATH (Debian's `graphviz`; scripts/test.sh installs it). Without it the test
//! says so and passes, unless `SPECGEN_REQUIRE_GRAPHVIZ=1` (set by scripts/test.sh and CI),
//! which makes a missing `dot` a failure.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use specgen::ir::{Access, Consume, Event, Ir, Service, ServiceKind};
use specgen::targets::graph;
use specgen::{Input, Project};

use super::good_projects;

/// Graphviz's `dot` on PATH, or `None` (and a note) when it is missing and not required.
fn graphviz() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("dot"))
        .find(|path| path.is_file());
    if found.is_none() {
        assert!(
            std::env::var("SPECGEN_REQUIRE_GRAPHVIZ").as_deref() != Ok("1"),
            "SPECGEN_REQUIRE_GRAPHVIZ=1 but `dot` is not on PATH (Debian: apt-get install graphviz)"
        );
        eprintln!("skipping Graphviz rendering: `dot` is not on PATH (Debian: apt-get install graphviz)");
    }
    found
}

/// Renders `text` with `dot -Tsvg`; panics with Graphviz's output if it fails or warns.
fn render_svg(dot: &PathBuf, text: &str, what: &str) -> String {
    let mut child = Command::new(dot)
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "{what}: dot -Tsvg failed:\n{stderr}\n--- input:\n{text}"
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Checks that the SVG has as many nodes and edges as the DOT text declares.
fn assert_counts(svg: &str, text: &str, what: &str) {
    let edges = text.lines().filter(|l| l.contains(" -> ")).count();
    let nodes = text.lines().filter(|l| l.contains(" [label=") && !l.contains(" -> ")).count();
    assert_eq!(svg.matches("class=\"node\"").count(), nodes, "{what}: nodes\n{text}");
    assert_eq!(svg.matches("class=\"edge\"").count(), edges, "{what}: edges\n{text}");
}

#[test]
fn dot_of_every_good_project_renders() {
    let Some(dot) = graphviz() else { return };
    for dir in good_projects() {
        let name = dir.file_name().unwrap().to_string();
        let project = Project::load(&Input::Root(dir.clone())).unwrap();
        let text = graph::dot(&project.ir);
        let svg = render_svg(&dot, &text, &name);
        assert!(svg.contains("<svg"), "{name}: no SVG");
        assert_counts(&svg, &text, &name);
        for service in &project.ir.services {
            assert!(svg.contains(&format!(">{}</text>", service.name)), "{name}: no label of {}", service.name);
        }
    }
}

fn service(name: &str) -> Service {
    Service { description: Some("free \"text\" <b>\\".into()), ..Service::new(name, ServiceKind::Node) }
}

#[test]
fn hostile_names_render() {
    let Some(dot) = graphviz() else { return };
    // Names validation would reject, to show the escaping holds whatever the IR carries.
    let odd = "a\"b\\c d->e;{f}\nn";
    let mut caller = service("node");
    caller.consumes =
        vec![Consume { service: odd.into(), domain: "x\"y".into(), operations: vec!["op\\".into(), "\"q\"".into()] }];
    caller.access = vec![Access::Internet, Access::Postgres];
    caller.publishes = vec!["ev\"ent".into()];
    let mut ir = Ir {
        services: vec![service("end"), caller, service("subgraph"), service(odd)],
        events: vec![Event {
            name: "ev\"ent".into(),
            message: "M".into(),
            publish: true,
            subscribe: false,
            description: None,
        }],
        ..Ir::default()
    };
    ir.services.sort_by(|a, b| a.name.cmp(&b.name));
    let text = graph::dot(&ir);
    let svg = render_svg(&dot, &text, "hostile names");
    assert_counts(&svg, &text, "hostile names");
    assert!(svg.contains("a&quot;b\\c d&#45;&gt;e;{f}"), "{svg}");
}
