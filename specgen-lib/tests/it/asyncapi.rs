//! `asyncapi.json` and its real consumer: every document (the example's, and each good
//! fixture's with events.yaml) is valid against the official AsyncAPI 3.0.0 JSON Schema of
//! `@asyncapi/specs`, checked with Python's `jsonschema`; and beyond that schema, references
//! resolve, channels are the events, and operations are what the specs say the services do.
//!
//! The schema comes from the pinned Node packages (`scripts/setup-node.sh`; `SPECGEN_NODE` or
//! `target/node`; `SPECGEN_REQUIRE_NODE=1` makes its absence a failure), the validator from the
//! pinned venv (`scripts/setup-python.sh`; `SPECGEN_VENV` or `target/venv`;
//! `SPECGEN_REQUIRE_PYTHON=1` makes its absence a failure). Without them the test says so and
//! checks only the rest.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use camino::Utf8PathBuf;
use serde_json::{json, Value};
use specgen::targets::asyncapi;
use specgen::{Input, Project};

use super::good_projects;

/// The official AsyncAPI 3.0.0 JSON Schema (self-contained: every definition is embedded, keyed
/// by its `$id`).
fn asyncapi_schema() -> Option<PathBuf> {
    super::node_tool("@asyncapi/specs/schemas/3.0.0.json", "AsyncAPI schema validation")
}

/// Validates each document of `cases.json` (`{"valid": [...], "invalid": [...]}`, file names)
/// against the schema: every `valid` one must pass, every `invalid` one must fail (they show
/// that the validator does reject, so a pass means something). Offline: every `$ref` of the
/// schema resolves inside it (the `referencing` library fetches nothing unless told to).
const VALIDATE_PY: &str = r#"
import json
import sys

from jsonschema.validators import validator_for

schema = json.load(open(sys.argv[1]))
cases = json.load(open(sys.argv[2]))
Validator = validator_for(schema)
Validator.check_schema(schema)
validator = Validator(schema)
print(f"schema: {schema['title']} ({Validator.__name__})")
failed = False
for name in cases["valid"]:
    errors = sorted(validator.iter_errors(json.load(open(name))), key=lambda e: list(e.absolute_path))
    if errors:
        failed = True
        print(f"{name}: INVALID")
        for e in errors[:20]:
            print(f"  at /{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}")
    else:
        print(f"{name}: OK")
for name in cases["invalid"]:
    if validator.is_valid(json.load(open(name))):
        failed = True
        print(f"{name}: accepted but is invalid")
    else:
        print(f"{name}: rejected, as it should be")
sys.exit(1 if failed else 0)
"#;

/// Every `$ref` in `value` (not inside `default` values, which are data).
fn refs<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    ("default", _) => {}
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// The value a local `$ref` (`#/a/b`) points at.
fn resolve<'d>(doc: &'d Value, reference: &str) -> Option<&'d Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

/// Schema objects that carry a `$ref` next to other keywords (draft-07 would ignore those).
fn refs_with_siblings(schema: &Value, path: &str, out: &mut Vec<String>) {
    let Value::Object(map) = schema else { return };
    if map.get("$ref").is_some_and(Value::is_string) && map.len() > 1 {
        out.push(path.to_string());
    }
    for (key, v) in map {
        match key.as_str() {
            "properties" => {
                for (name, prop) in v.as_object().into_iter().flatten() {
                    refs_with_siblings(prop, &format!("{path}/properties/{name}"), out);
                }
            }
            "anyOf" | "allOf" | "oneOf" => {
                for (i, s) in v.as_array().into_iter().flatten().enumerate() {
                    refs_with_siblings(s, &format!("{path}/{key}/{i}"), out);
                }
            }
            "items" | "additionalProperties" | "propertyNames" | "not" => {
                refs_with_siblings(v, &format!("{path}/{key}"), out)
            }
            _ => {}
        }
    }
}

/// (service, action, event) of every operation: what the document says, and what the IR says.
type Uses = BTreeSet<(String, String, String)>;

/// Checks what the AsyncAPI schema cannot: every reference resolves, channels are exactly the
/// events (in events.yaml order, address = name), messages and payloads line up with the
/// events' classes, operations use their channel's messages, keys fit AsyncAPI's key pattern
/// without dots, components are exactly what the messages reach, and the operations are exactly
/// the event bindings of the specs. Returns the operations' (service, action, event).
fn check_document(label: &str, project: &Project, doc: &Value) -> Uses {
    assert_eq!(doc["asyncapi"], "3.0.0", "{label}");
    let mut all_refs = Vec::new();
    refs(doc, &mut all_refs);
    assert!(!all_refs.is_empty(), "{label}: no references at all");
    for r in &all_refs {
        assert!(r.starts_with("#/"), "{label}: foreign $ref {r}");
        assert!(resolve(doc, r).is_some(), "{label}: $ref {r} does not resolve");
    }

    let channels = doc["channels"].as_object().unwrap_or_else(|| panic!("{label}: no channels"));
    let events: Vec<&str> = project.ir.events.iter().map(|e| e.name.as_str()).collect();
    let channel_names: Vec<&str> = channels.keys().map(String::as_str).collect();
    assert_eq!(channel_names, events, "{label}: one channel per event, in events.yaml order");
    let schemas = doc["components"]["schemas"].as_object().unwrap_or_else(|| panic!("{label}: no schemas"));
    for (name, channel) in channels {
        let event = project.ir.event(name).unwrap();
        assert_eq!(channel["address"], json!(event.name), "{label}: address of {name}");
        let messages = channel["messages"].as_object().unwrap();
        assert_eq!(messages.len(), 1, "{label}: {name} has one message");
        let message = resolve(doc, messages.values().next().unwrap()["$ref"].as_str().unwrap()).unwrap();
        let payload = message["payload"]["$ref"].as_str().unwrap_or_else(|| panic!("{label}: payload of {name}"));
        let class = payload.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{label}: {payload}"));
        assert_eq!(class, event.message, "{label}: payload of {name}");
        assert!(schemas.contains_key(class), "{label}: payload {payload} does not resolve");
        assert_eq!(message["contentType"], "application/json", "{label}: {name}");
    }

    // Components are exactly what the messages reach.
    let mut used = BTreeSet::new();
    let mut stack: Vec<String> = project.ir.events.iter().map(|e| e.message.clone()).collect();
    while let Some(name) = stack.pop() {
        if used.insert(name.clone()) {
            let mut inner = Vec::new();
            refs(&schemas[&name], &mut inner);
            stack.extend(inner.iter().map(|r| r.rsplit('/').next().unwrap().to_string()));
        }
    }
    assert_eq!(used, schemas.keys().cloned().collect::<BTreeSet<_>>(), "{label}: schemas are not the reachable ones");
    for (name, schema) in schemas {
        let mut found = Vec::new();
        refs_with_siblings(schema, name, &mut found);
        assert!(found.is_empty(), "{label}: $ref with siblings (ignored by draft-07) at {found:?}");
    }
    let components: Vec<&String> =
        doc["components"].as_object().unwrap().values().flat_map(|v| v.as_object().unwrap().keys()).collect();
    for key in components {
        assert!(key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'), "{label}: component key {key}");
    }

    let mut found = Uses::new();
    for (key, op) in doc["operations"].as_object().unwrap() {
        assert!(
            !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
            "{label}: operation key {key} does not match ^[A-Za-z0-9_\\-]+$"
        );
        let channel_ref = op["channel"]["$ref"].as_str().unwrap();
        let event = channel_ref.strip_prefix("#/channels/").unwrap();
        for m in op["messages"].as_array().unwrap() {
            let m = m["$ref"].as_str().unwrap();
            assert!(m.starts_with(&format!("{channel_ref}/messages/")), "{label}: {key} uses {m}, not of its channel");
        }
        let service = op["x-service"].as_str().unwrap();
        assert_eq!(op["tags"], json!([{"name": service}]), "{label}: {key}");
        assert!(key.starts_with(&format!("{service}-{}-", op["x-operation"].as_str().unwrap())), "{label}: {key}");
        found.insert((service.into(), op["action"].as_str().unwrap().into(), event.into()));
    }

    // What the specs say: each subscription is a receive, each publication a send (an error
    // event only where the operation subscribes: nothing publishes it elsewhere).
    let mut expected = Uses::new();
    for service in &project.ir.services {
        for op in service.domains.iter().flat_map(|d| &d.operations) {
            let Some(e) = &op.events else { continue };
            let mut add = |action: &str, event: &Option<String>| {
                if let Some(event) = event {
                    expected.insert((service.name.clone(), action.to_string(), event.clone()));
                }
            };
            add("receive", &e.subscribe);
            add("send", &e.publish_on_success);
            if e.subscribe.is_some() {
                add("send", &e.publish_on_error);
            }
        }
    }
    assert_eq!(found, expected, "{label}: operations are not the specs' event bindings");
    found
}

fn uses(list: &[(&str, &str, &str)]) -> Uses {
    list.iter().map(|(s, a, e)| (s.to_string(), a.to_string(), e.to_string())).collect()
}

/// Copies of a valid document, each broken in one way the official schema must reject.
fn broken_copies(doc: &Value) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    let mut version = doc.clone();
    version["asyncapi"] = json!("3.0");
    out.push(("version", version));
    let mut action = doc.clone();
    let first = action["operations"].as_object().unwrap().keys().next().unwrap().clone();
    action["operations"][&first]["action"] = json!("publish");
    out.push(("action", action));
    let mut server = doc.clone();
    server["servers"]["redis"].as_object_mut().unwrap().remove("protocol");
    out.push(("server", server));
    // A payload schema in draft-04 form (boolean exclusiveMinimum) is not draft-07.
    let mut schema = doc.clone();
    let first = schema["components"]["schemas"].as_object().unwrap().keys().next().unwrap().clone();
    schema["components"]["schemas"][&first]["exclusiveMinimum"] = json!(true);
    out.push(("payload_schema", schema));
    out
}

#[test]
fn asyncapi_documents_are_valid_asyncapi_3_0() {
    let tmp = tempfile::tempdir().unwrap();
    let mut valid = Vec::new();
    let mut invalid = Vec::new();
    let mut labels = Vec::new();
    let mut bookshelf: Option<Uses> = None;
    for dir in good_projects() {
        let project = Project::load(&Input::Root(dir.clone())).unwrap_or_else(|d| panic!("{dir} failed to load:\n{d}"));
        let files = asyncapi::render(&project.ir, &project.options).unwrap_or_else(|e| panic!("{dir}: {e}"));
        let paths: Vec<Utf8PathBuf> =
            asyncapi::outputs(&project.names, &project.options).into_iter().map(|o| o.path).collect();
        assert_eq!(paths, files.iter().map(|(p, _)| p.to_path_buf()).collect::<Vec<_>>(), "{dir}: outputs != render");
        assert_eq!(files.len(), usize::from(project.names.events.is_some()), "{dir}: one document iff events.yaml");
        let name = dir.file_name().unwrap().to_string();
        for (path, file) in files.iter() {
            let label = format!("{name}/{path}");
            let text = std::str::from_utf8(&file.bytes).unwrap();
            assert!(text.ends_with("}\n") && !text.ends_with("\n\n") && !text.contains('\r'), "{label}: one final LF");
            let doc: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{label} is not JSON: {e}"));
            assert_eq!(serde_json::to_string_pretty(&doc).unwrap() + "\n", text, "{label}: 2-space layout");
            let found = check_document(&label, &project, &doc);
            if name == "bookshelf" {
                bookshelf = Some(found);
                for (what, broken) in broken_copies(&doc) {
                    let out = tmp.path().join(format!("broken_{what}.json"));
                    std::fs::write(&out, serde_json::to_string_pretty(&broken).unwrap()).unwrap();
                    invalid.push(out.to_str().unwrap().to_string());
                }
            }
            let out = tmp.path().join(format!("{}.json", name.replace('-', "_")));
            std::fs::write(&out, &file.bytes).unwrap();
            valid.push(out.to_str().unwrap().to_string());
            labels.push(name.clone());
        }
    }
    for must in ["bookshelf", "hostile-strings", "template-compat"] {
        assert!(labels.iter().any(|l| l == must), "{must} has no asyncapi.json: {labels:?}");
    }

    // Who publishes and who subscribes in the example.
    let bookshelf = bookshelf.unwrap();
    assert_eq!(
        bookshelf,
        uses(&[
            ("backend", "send", "author_created"),
            ("backend", "send", "book_created"),
            ("backend", "send", "book_finished"),
            ("backend", "send", "reading_progress"),
            ("notifications", "receive", "book_created"),
            ("notifications", "receive", "book_finished"),
            ("notifications", "receive", "reading_progress"),
            ("notifications", "send", "notification_sent"),
            ("notifications", "send", "book_errors"),
        ])
    );
    let by_event: BTreeMap<&str, Vec<(&str, &str)>> = bookshelf.iter().fold(BTreeMap::new(), |mut map, (s, a, e)| {
        map.entry(e.as_str()).or_default().push((s.as_str(), a.as_str()));
        map
    });
    assert_eq!(by_event["book_created"], [("backend", "send"), ("notifications", "receive")]);

    let Some(schema) = asyncapi_schema() else { return };
    let Some(venv) = super::venv() else { return };
    let cases = tmp.path().join("cases.json");
    std::fs::write(&cases, json!({ "valid": valid, "invalid": invalid }).to_string()).unwrap();
    std::fs::write(tmp.path().join("validate.py"), VALIDATE_PY).unwrap();
    let out = Command::new(venv.join("bin/python"))
        .args(["validate.py", schema.to_str().unwrap(), "cases.json"])
        .current_dir(tmp.path())
        .output()
        .expect("the venv's python runs");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "AsyncAPI 3.0.0 schema validation failed:\n{report}");
    assert_eq!(report.matches(": OK").count(), valid.len(), "{report}");
    assert_eq!(report.matches(": rejected, as it should be").count(), invalid.len(), "{report}");
    eprintln!("{report}");
}
