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
//!   is `publish: true` or that an operation publishes (`publish_on_success`,
//!   `publish_on_error`; validation warns about the flag in that case), in events.yaml order.
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

/// The events that get a publisher: declared `publish: true`, or published by an operation.
pub fn published(ir: &Ir) -> impl Iterator<Item = &Event> {
    ir.events.iter().filter(|event| {
        event.publish
            || ir.services.iter().flat_map(|s| &s.domains).flat_map(|d| &d.operations).any(|op| {
                op.events.as_ref().is_some_and(|e| {
                    e.publish_on_success.as_deref() == Some(event.name.as_str())
                        || e.publish_on_error.as_deref() == Some(event.name.as_str())
                })
            })
    })
}
