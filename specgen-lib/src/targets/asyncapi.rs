//! `<shared project>/docs/asyncapi.json`: the AsyncAPI 3.0 document of every event of the fleet.
//!
//! Written only when the project has `shared/spec/events.yaml`, next to the shared package: the
//! directory is the first component of `[paths] shared_package` (`shared/shared/generated` →
//! `shared/docs/asyncapi.json`). Written with [`JsonWriter`] like `openapi.json`: two-space
//! indentation, one final newline, no banner (JSON has no comments). Everything is in a fixed
//! order, so the bytes are a function of the specs:
//!
//! - `asyncapi: 3.0.0`; `info` with the fixed title `events`, version `0.1.0` (the spec has no
//!   version field) and a description naming events.yaml; `defaultContentType: application/json`;
//! - `servers.redis`: the one Redis of the fleet (`localhost:6379`, protocol `redis`), found
//!   at run time through `REDIS_URL`; every event is a Redis Stream;
//! - `channels`: one per event, in events.yaml order, keyed by the event name, with `address`
//!   = the event name (the stream), the event's description, its one message (keyed by the
//!   message class, a `$ref` to `components.messages`) and the flags of events.yaml as
//!   `x-publish` / `x-subscribe`. Every event is a channel, also one that no operation uses;
//! - `operations`: what the services' operations do with events (`events:` of an operation in
//!   a domain file), services sorted by name, domains by name, operations in file order, and
//!   per operation `subscribe` (`action: receive`), then `publish_on_success` and
//!   `publish_on_error` (`action: send`). `publish_on_error` only where the operation
//!   subscribes: elsewhere nothing publishes it (validation warns, W0303). Keyed
//!   `<service>-<operation>-<binding>`, the binding being the spec's own key (`subscribe`,
//!   `publish_on_success`, `publish_on_error`): service and operation names are snake_case, so
//!   `-` cannot occur in them and the key is unique. It matches `^[A-Za-z0-9_\-]+$`: no dot,
//!   although the official schema constrains only component keys (`^[\w\d\.\-_]+$`, dots
//!   allowed) and leaves operation and channel keys free, because code generators turn keys
//!   into identifiers (event and class names are snake_case and PascalCase identifiers, so
//!   channel and component keys match it too). Each operation has the `channel` and
//!   `messages` `$ref`s, the service as its one tag and as `x-service`, the operation's name as
//!   `x-operation`, a `description` saying who does what when, and the operation's `summary`
//!   and description (after that sentence). A `publish_on_error`
//!   operation gets the summary `Report failures of <operation>` instead: the operation's own
//!   texts describe the handler, not its failure report;
//! - no operation for an event without a known publisher or subscriber: a `publish: true` event
//!   may be published by any service through `events.py` (a plain Python service, say), which
//!   the specs do not record. Such an event is still a channel, and its `x-publish` says that
//!   publishing it is allowed; inventing a publisher would claim what the specs do not say;
//! - `components.messages`: one per message class used by an event (two events with one class
//!   share it), sorted by name, keyed by the class name: `name` (the class), `contentType`
//!   `application/json`, `payload` a `$ref` to the class's schema;
//! - `components.schemas`: the JSON Schemas of the message classes and of every class and enum
//!   they reach, sorted by name, as the `openapi` target embeds them ([`super::jsonschema`],
//!   references `#/components/schemas/<Name>`). AsyncAPI 3's default schema format is the
//!   AsyncAPI Schema Object, a superset of JSON Schema draft-07, and those schemas use only
//!   draft-07 keywords (numeric `exclusiveMinimum`, `type: null` in `anyOf`, `propertyNames`,
//!   `readOnly`; no `$defs`, no `const`), with one difference in meaning: they put keywords
//!   next to a `$ref` (`description`, `default`, `readOnly` of a field whose type is an enum or
//!   a class), which draft-07 ignores. Here such a schema becomes `allOf: [{$ref}]` with those
//!   keywords beside it ([`Dialect::Draft07`]), so nothing is lost.
//!
//! The document is checked against the official AsyncAPI 3.0.0 JSON Schema of `@asyncapi/specs`
//! in `tests/it/asyncapi.rs`.

use camino::{Utf8Path, Utf8PathBuf};
use serde_json::{json, Map, Value};

use crate::fileset::{FileKind, FileSet};
use crate::ir::{Event, Ir, Operation, Service};
use crate::load::InputNames;

use super::json::JsonWriter;
use super::jsonschema::{Dialect, Schemas};
use super::{Options, OutputPath, RenderError};

/// `info.version` of the document.
pub const VERSION: &str = "0.1.0";

/// `info.title` of the document.
pub const TITLE: &str = "events";

/// The key of the Redis server in `servers`.
pub const SERVER: &str = "redis";

/// Where schema references point.
const REF_PREFIX: &str = "#/components/schemas/";

/// The file name under `<shared project>/docs/`.
const FILE: &str = "asyncapi.json";

/// The content type of every message.
const CONTENT_TYPE: &str = "application/json";

/// Renders the document when the project has events.yaml.
pub fn render(ir: &Ir, opts: &Options) -> Result<FileSet, RenderError> {
    let mut files = FileSet::new();
    if let Some(events_file) = &ir.events_file {
        files.generated(path(opts), document(ir, events_file.as_str())?);
    }
    Ok(files)
}

/// The paths [`render`] writes: the document when events.yaml is an input.
pub fn outputs(names: &InputNames, opts: &Options) -> Vec<OutputPath> {
    match names.events {
        Some(_) => vec![OutputPath { path: path(opts), kind: FileKind::Generated }],
        None => Vec::new(),
    }
}

/// `<first component of the shared package>/docs/asyncapi.json` (`docs/asyncapi.json` if the
/// shared package has no normal component).
fn path(opts: &Options) -> Utf8PathBuf {
    match opts.roots.shared_project() {
        Some(dir) => Utf8Path::new(dir).join("docs").join(FILE),
        None => Utf8PathBuf::from("docs").join(FILE),
    }
}

/// The AsyncAPI document of `ir`'s events, as the text of `asyncapi.json`; `events_file` is
/// events.yaml's project-relative path.
fn document(ir: &Ir, events_file: &str) -> Result<String, RenderError> {
    let schemas = Schemas::new(ir, REF_PREFIX, Dialect::Draft07);

    let mut channels = Map::new();
    for event in &ir.events {
        channels.insert(event.name.clone(), channel(event));
    }

    let mut operations = Map::new();
    for service in &ir.services {
        for op in service.domains.iter().flat_map(|d| &d.operations) {
            let Some(bindings) = &op.events else { continue };
            let subscribe = bindings.subscribe.as_deref().map(|e| (Binding::Subscribe, e));
            let on_success = bindings.publish_on_success.as_deref().map(|e| (Binding::PublishOnSuccess, e));
            let on_error = bindings.error_event().map(|e| (Binding::PublishOnError, e));
            for (binding, event_name) in [subscribe, on_success, on_error].into_iter().flatten() {
                let event = ir.event(event_name).ok_or_else(|| bug(format!("unknown event `{event_name}`")))?;
                let key = format!("{}-{}-{}", service.name, op.name, binding.key());
                if operations.insert(key.clone(), operation(service, op, binding, event)).is_some() {
                    return Err(bug(format!("two operations keyed `{key}`")));
                }
            }
        }
    }

    let mut classes: Vec<&str> = ir.events.iter().map(|e| e.message.as_str()).collect();
    classes.sort_unstable();
    classes.dedup();
    if let Some(unknown) = classes.iter().find(|class| schemas.class_named(class).is_none()) {
        return Err(bug(format!("unknown message class `{unknown}`")));
    }
    let definitions = schemas.definitions(classes.iter().copied());

    let mut out = JsonWriter::default();
    out.begin_object();
    out.key("asyncapi").string("3.0.0");
    out.key("info").value(&json!({
        "title": TITLE,
        "version": VERSION,
        "description": format!(
            "Every event of the fleet: one Redis Stream per event, with its message and the services \
             that publish and consume it. Generated by specgen from {events_file}."
        ),
    }));
    out.key("defaultContentType").string(CONTENT_TYPE);
    out.key("servers").value(&json!({
        SERVER: {
            "host": "localhost:6379",
            "protocol": "redis",
            "description": "The fleet's Redis, found through REDIS_URL; each event is a Redis Stream named after it.",
        },
    }));
    out.key("channels").value(&Value::Object(channels));
    out.key("operations").value(&Value::Object(operations));
    // Every message class is known (checked above): classes, schemas and messages are all
    // there or all absent.
    if !classes.is_empty() {
        out.key("components").begin_object();
        out.key("schemas");
        schemas.write_definitions(&mut out, &definitions);
        out.key("messages").begin_object();
        for class in &classes {
            out.key(class).begin_object();
            out.key("name").string(class);
            out.key("contentType").string(CONTENT_TYPE);
            out.key("payload");
            schemas.write_reference(&mut out, class);
            out.end_object();
        }
        out.end_object();
        out.end_object();
    }
    out.end_object();
    let mut text = out.finish();
    text.push('\n');
    Ok(text)
}

/// How an operation is bound to an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Binding {
    Subscribe,
    PublishOnSuccess,
    PublishOnError,
}

impl Binding {
    /// The spec's key, used in the operation key.
    fn key(self) -> &'static str {
        match self {
            Binding::Subscribe => "subscribe",
            Binding::PublishOnSuccess => "publish_on_success",
            Binding::PublishOnError => "publish_on_error",
        }
    }
}

/// The channel of an event.
fn channel(event: &Event) -> Value {
    let mut out = Map::new();
    out.insert("address".into(), json!(event.name));
    if let Some(description) = described(event.description.as_deref()) {
        out.insert("description".into(), json!(description));
    }
    out.insert(
        "messages".into(),
        json!({ event.message.as_str(): { "$ref": format!("#/components/messages/{}", event.message) } }),
    );
    out.insert("x-publish".into(), json!(event.publish));
    out.insert("x-subscribe".into(), json!(event.subscribe));
    Value::Object(out)
}

/// The operation of `service` doing `binding` with `event` in `op`.
fn operation(service: &Service, op: &Operation, binding: Binding, event: &Event) -> Value {
    let (action, what) = match binding {
        Binding::Subscribe => ("receive", format!("receives `{}` and handles it with `{}`", event.name, op.name)),
        Binding::PublishOnSuccess => ("send", format!("sends `{}` when `{}` succeeds", event.name, op.name)),
        Binding::PublishOnError => ("send", format!("sends `{}` when `{}` fails", event.name, op.name)),
    };
    let mut description = format!("Service `{}` {what}.", service.name);
    // The operation's own texts say what it does, not what its failure report is.
    let (summary, more) = match binding {
        Binding::PublishOnError => (Some(format!("Report failures of {}", op.name)), None),
        _ => (described(op.summary.as_deref()).map(str::to_string), described(op.description.as_deref())),
    };
    if let Some(more) = more {
        description.push_str("\n\n");
        description.push_str(more);
    }
    let mut out = Map::new();
    out.insert("action".into(), json!(action));
    out.insert("channel".into(), json!({ "$ref": format!("#/channels/{}", event.name) }));
    out.insert("messages".into(), json!([{ "$ref": format!("#/channels/{}/messages/{}", event.name, event.message) }]));
    if let Some(summary) = summary {
        out.insert("summary".into(), json!(summary));
    }
    out.insert("description".into(), json!(description));
    out.insert("tags".into(), json!([{ "name": service.name }]));
    out.insert("x-service".into(), json!(service.name));
    out.insert("x-operation".into(), json!(op.name));
    Value::Object(out)
}

/// Text worth writing (not empty or blank).
fn described(text: Option<&str>) -> Option<&str> {
    text.filter(|t| !t.trim().is_empty())
}

fn bug(message: String) -> RenderError {
    RenderError { origin: FILE.to_string(), message }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Class, Domain, Field, OperationEvents, ServiceKind, TypeRef};
    use crate::test_support::{example, text};
    use std::sync::Arc;

    fn only_asyncapi(opts: &Options) -> Options {
        let mut opts = opts.clone();
        opts.targets = [super::super::Target::Asyncapi].into_iter().collect();
        opts
    }

    #[test]
    fn bookshelf_events() {
        let project = example();
        let files = render(&project.ir, &only_asyncapi(&project.options)).unwrap();
        assert_eq!(files.len(), 1);
        let text = text(&files, "shared/docs/asyncapi.json");
        assert!(
            text.starts_with("{\n  \"asyncapi\": \"3.0.0\",\n") && text.ends_with("}\n") && !text.ends_with("\n\n")
        );
        let doc: Value = serde_json::from_str(&text).unwrap();
        let channels: Vec<&str> = doc["channels"].as_object().unwrap().keys().map(String::as_str).collect();
        let events: Vec<&str> = project.ir.events.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(channels, events, "every event, in events.yaml order");
        assert_eq!(
            doc["channels"]["book_created"],
            json!({
                "address": "book_created",
                "description": "A book was added to a shelf",
                "messages": {"BookRead": {"$ref": "#/components/messages/BookRead"}},
                "x-publish": true,
                "x-subscribe": true,
            })
        );
        let ops = doc["operations"].as_object().unwrap();
        let keys: Vec<&str> = ops.keys().map(String::as_str).collect();
        let at = |key: &str| keys.iter().position(|k| *k == key).unwrap_or_else(|| panic!("{key} missing: {keys:?}"));
        // Services by name, operations in file order, per operation subscribe first.
        assert!(at("backend-create_author-publish_on_success") < at("backend-create_book-publish_on_success"));
        assert!(at("backend-record_progress-publish_on_success") < at("notifications-on_book_created-subscribe"));
        assert!(at("notifications-on_book_created-subscribe") < at("notifications-on_book_created-publish_on_error"));
        assert!(
            at("notifications-on_book_finished-subscribe") < at("notifications-on_book_finished-publish_on_success")
        );
        assert!(keys.iter().all(|k| k.starts_with("backend-") || k.starts_with("notifications-")), "{keys:?}");
        let error = &ops["notifications-on_book_finished-publish_on_error"];
        assert_eq!(error["summary"], "Report failures of on_book_finished");
        assert_eq!(error["channel"], json!({"$ref": "#/channels/book_errors"}));
        let receive = &ops["notifications-on_book_created-subscribe"];
        assert_eq!(receive["action"], "receive");
        assert_eq!(receive["channel"], json!({"$ref": "#/channels/book_created"}));
        assert_eq!(receive["messages"], json!([{"$ref": "#/channels/book_created/messages/BookRead"}]));
        assert_eq!(receive["x-service"], "notifications");
        let send = &ops["backend-create_book-publish_on_success"];
        assert_eq!(send["action"], "send");
        assert_eq!(send["tags"], json!([{"name": "backend"}]));
        assert!(send["description"].as_str().unwrap().starts_with("Service `backend` sends `book_created` when"));
        let messages: Vec<&str> =
            doc["components"]["messages"].as_object().unwrap().keys().map(String::as_str).collect();
        let mut classes: Vec<&str> = project.ir.events.iter().map(|e| e.message.as_str()).collect();
        classes.sort_unstable();
        classes.dedup();
        assert_eq!(messages, classes, "one message per class, sorted");
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for name in messages.iter().chain(&["BookStatus", "Genre"]) {
            assert!(schemas.contains_key(*name), "{name} missing");
        }
        for name in ["BookCreate", "BookPatch", "Book"] {
            assert!(!schemas.contains_key(name), "{name} is not reachable from a message");
        }
        insta::assert_snapshot!("bookshelf_asyncapi", text);
    }

    #[test]
    fn outputs_are_the_rendered_paths() {
        let project = example();
        for (shared, expected) in [
            ("shared/shared/generated", "shared/docs/asyncapi.json"),
            ("lib/contracts/generated", "lib/docs/asyncapi.json"),
            ("generated", "generated/docs/asyncapi.json"),
        ] {
            let mut opts = only_asyncapi(&project.options);
            opts.roots.shared_package = Utf8PathBuf::from(shared);
            let rendered: Vec<OutputPath> = render(&project.ir, &opts)
                .unwrap()
                .iter()
                .map(|(path, file)| OutputPath { path: path.to_owned(), kind: file.kind })
                .collect();
            assert_eq!(outputs(&project.names, &opts), rendered);
            assert_eq!(rendered.len(), 1);
            assert_eq!(rendered[0].path, expected);
        }
    }

    #[test]
    fn nothing_without_events_yaml() {
        let project = example();
        let mut ir = project.ir.clone();
        ir.events_file = None;
        let mut names = project.names.clone();
        names.events = None;
        let opts = only_asyncapi(&project.options);
        assert!(render(&ir, &opts).unwrap().is_empty());
        assert!(outputs(&names, &opts).is_empty());
    }

    fn field(name: &str, ty: TypeRef) -> Field {
        Field::plain(name, ty)
    }

    /// A small IR: an event nobody is known to publish, two events sharing a class, an
    /// operation whose `publish_on_error` is never published (no subscription), and a field
    /// whose class reference carries a description.
    fn small_ir() -> Ir {
        let mut child = field("child", TypeRef::Class("Child".into()));
        child.description = Some("The child".into());
        let class = |name: &str, fields: Vec<Field>| Class {
            name: name.into(),
            model: name.into(),
            variant: None,
            description: None,
            fields: fields.into_iter().map(Arc::new).collect(),
        };
        let event = |name: &str, message: &str, publish: bool, subscribe: bool| Event {
            name: name.into(),
            message: message.into(),
            publish,
            subscribe,
            description: None,
        };
        let op = |name: &str, events: OperationEvents| Operation {
            name: name.into(),
            summary: Some("  ".into()),
            description: None,
            input: None,
            output: None,
            params: Vec::new(),
            rest: None,
            events: Some(events),
        };
        Ir {
            classes: vec![
                class("Parent", vec![child]),
                class("Child", vec![field("n", TypeRef::Primitive(crate::ir::Primitive::Int))]),
            ],
            events: vec![
                event("parent_made", "Parent", true, true),
                event("parent_copied", "Parent", true, false),
                event("unclaimed", "Child", true, false),
            ],
            services: vec![Service {
                domains: vec![Domain {
                    name: "things".into(),
                    file: "services/svc/spec/things.yaml".into(),
                    prefix: String::new(),
                    tags: Vec::new(),
                    operations: vec![
                        op(
                            "make",
                            OperationEvents {
                                publish_on_success: Some("parent_made".into()),
                                publish_on_error: Some("unclaimed".into()),
                                ..Default::default()
                            },
                        ),
                        op(
                            "copy",
                            OperationEvents {
                                subscribe: Some("parent_made".into()),
                                publish_on_success: Some("parent_copied".into()),
                                ..Default::default()
                            },
                        ),
                    ],
                }],
                ..Service::new("svc", ServiceKind::Python)
            }],
            events_file: Some("shared/spec/events.yaml".into()),
            ..Ir::default()
        }
    }

    #[test]
    fn small_document() {
        let text = document(&small_ir(), "shared/spec/events.yaml").unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        let ops: Vec<&str> = doc["operations"].as_object().unwrap().keys().map(String::as_str).collect();
        // `make`'s publish_on_error is never published: it subscribes to nothing.
        assert_eq!(ops, ["svc-make-publish_on_success", "svc-copy-subscribe", "svc-copy-publish_on_success"]);
        assert!(doc["operations"]["svc-make-publish_on_success"].get("summary").is_none(), "blank summary");
        // Every event is a channel, also the one no operation uses; shared classes, one message.
        assert_eq!(doc["channels"].as_object().unwrap().len(), 3);
        assert_eq!(doc["channels"]["unclaimed"]["x-publish"], true);
        assert_eq!(doc["components"]["messages"].as_object().unwrap().len(), 2);
        assert_eq!(
            doc["components"]["schemas"]["Parent"]["properties"]["child"],
            json!({"allOf": [{"$ref": "#/components/schemas/Child"}], "description": "The child"})
        );
        insta::assert_snapshot!("small_asyncapi", text);
    }
}
