//! Target `events`: `<shared_package>/events.py`, the publishing side of the events.
//!
//! Written whenever the project has `events.yaml` (a function of input names). The module holds:
//!
//! - `get_broker()`: one FastStream `RedisBroker` per process, created on the first call from
//!   `REDIS_URL` (default `redis://localhost:6379`). Nothing connects at import time, so
//!   importing the package never needs a running Redis (tests, tooling, `specgen check`).
//! - `broker`, a lazy module attribute equal to `get_broker()`: the template this replaces
//!   documented `from shared.generated.events import broker` for direct publishing, and users
//!   rely on it. It is typed `Any` (a module `__getattr__`), so new code should call
//!   `get_broker()`.
//! - `async def publish_<event>(message: schemas.<Class>, *, broker=None)` for every event that
//!   is `publish: true` or that a service publishes (an operation's `publish_on_success`, a
//!   subscriber's `publish_on_error`, or the service's `publishes` list; validation warns about
//!   the flag in that case), in events.yaml order.
//!   Each appends the message to the Redis Stream named after the event (`XADD`, through
//!   FastStream's envelope, so FastStream subscribers read it). `broker` lets a caller (a test,
//!   a router given its own broker) publish through another broker.
//!
//! Message classes are referred to as `schemas.<Class>` (`from . import schemas`), so no class
//! name can clash with a name of this module.

use minijinja::context;

use crate::fileset::{FileKind, FileSet};
use crate::ir::{Event, Ir};
use crate::load::InputNames;

use super::python::{layout_file, py_doc, py_str, render_template};
use super::{banner, Options, OutputPath, RenderError};

/// The file name in the shared package.
const FILE: &str = "events.py";

/// Renders `events.py` when the project has events.yaml.
pub fn render(ir: &Ir, opts: &Options) -> Result<FileSet, RenderError> {
    let mut files = FileSet::new();
    let Some(events_file) = &ir.events_file else { return Ok(files) };
    let publishers: Vec<minijinja::Value> = published(ir)
        .map(|event| {
            let stream = format!("Appends `message` to the Redis Stream `{}`; returns the entry id.", event.name);
            let doc = match &event.description {
                Some(d) => format!("{}\n\n{stream}\n", d.trim_end()),
                None => stream,
            };
            context! {
                function => publisher_name(&event.name),
                class => &event.message,
                doc => py_doc(&doc),
                stream => py_str(&event.name),
            }
        })
        .collect();
    let module_doc = py_doc(
        "Events of the fleet: the Redis broker, and one publisher per published event.\n\n\
         Each event is a Redis Stream of the same name; messages are the Pydantic classes of\n\
         `schemas`, validated by Pydantic when they are built.\n",
    );
    let source = render_template(
        "events.py.j2",
        context! {
            banner => banner("#", &[events_file.as_str()]).trim_end(),
            module_doc,
            publishers,
        },
    )?;
    files.generated(opts.roots.shared_package.join(FILE), layout_file("events.py.j2", &source, ir.python_version)?);
    Ok(files)
}

/// The paths [`render`] writes: `events.py` when the project has events.yaml.
pub fn outputs(names: &InputNames, opts: &Options) -> Vec<OutputPath> {
    match names.events {
        Some(_) => vec![OutputPath { path: opts.roots.shared_package.join(FILE), kind: FileKind::Generated }],
        None => Vec::new(),
    }
}

/// The name of the function publishing `event` (event names are snake_case identifiers, so the
/// prefix keeps it clear of keywords and of the module's other names).
pub fn publisher_name(event: &str) -> String {
    format!("publish_{event}")
}

/// The events that get a publisher: declared `publish: true`, or published by a service
/// ([`Ir::publishers`]: by an operation's binding, or directly). So the publishers, the broker
/// wiring and the documents agree on who publishes what, also where a `publish_on_error` is
/// ignored (W0303).
pub fn published(ir: &Ir) -> impl Iterator<Item = &Event> {
    ir.events.iter().filter(|event| event.publish || !ir.publishers(&event.name).is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Domain, Operation, OperationEvents, Service, ServiceKind};

    #[test]
    fn publishers_for_events_declared_or_published() {
        let event = |name: &str, publish: bool| Event {
            name: name.into(),
            message: "Note".into(),
            publish,
            subscribe: true,
            description: None,
        };
        let op = |name: &str, events: OperationEvents| Operation {
            name: name.into(),
            summary: None,
            description: None,
            input: Some("Note".into()),
            output: Some(crate::ir::Output { class: "Note".into(), list: false }),
            params: Vec::new(),
            rest: None,
            events: Some(events),
        };
        let binding = |subscribe: Option<&str>, on_success: Option<&str>, on_error: Option<&str>| OperationEvents {
            subscribe: subscribe.map(Into::into),
            publish_on_success: on_success.map(Into::into),
            publish_on_error: on_error.map(Into::into),
        };
        let ir = Ir {
            events: ["declared", "on_success", "on_error", "ignored_on_error", "direct", "only_subscribed"]
                .into_iter()
                .map(|name| event(name, name == "declared"))
                .collect(),
            services: vec![Service {
                domains: vec![Domain {
                    name: "notes".into(),
                    file: "services/svc/spec/notes.yaml".into(),
                    prefix: String::new(),
                    tags: Vec::new(),
                    operations: vec![
                        op("make", binding(None, Some("on_success"), Some("ignored_on_error"))),
                        op("handle", binding(Some("only_subscribed"), None, Some("on_error"))),
                    ],
                }],
                publishes: vec!["direct".into()],
                ..Service::new("svc", ServiceKind::Python)
            }],
            ..Ir::default()
        };
        let names: Vec<&str> = published(&ir).map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["declared", "on_success", "on_error", "direct"]);
        // The documents and the compose file read the same rule.
        assert!(ir.publishers("ignored_on_error").is_empty());
        assert_eq!(ir.publishers("on_error").len(), 1);
    }
}
