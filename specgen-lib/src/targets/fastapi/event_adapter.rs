//! `<src>/generated/event_adapter.py`: the subscribing side of a service's operations.
//!
//! Written for every service with domain files when the project has events.yaml (input names
//! only); a service that subscribes to nothing gets a `create_event_adapter` that registers
//! nothing, so wiring code never depends on whether it does yet.
//!
//! Per subscribing operation, two FastStream subscribers on the event's stream, both in the
//! consumer group named after the service: one reads new messages (`XREADGROUP >`, ten at a
//! time), one takes over messages pending longer than `retry_idle_ms` (`XAUTOCLAIM`: a failed
//! delivery, or one whose consumer died). The delivery rules (validate, session, controller,
//! commit, publish, ack; error event, retry, dead letter) are fixed text in the template; what
//! is generated are the registrations and, per error event, a builder that fills the message's
//! fields by name ([`ERROR_EVENT_FIELDS`], checked by validation), through `model_validate` on
//! wire names so escaped attribute names never matter.

use std::collections::BTreeSet;

use minijinja::{context, Value};

use crate::ir::{Field, Primitive, TypeRef, ERROR_EVENT_FIELDS};

use super::{bug, events, py_doc, py_str, Imports, RenderError, ServiceCx, Sym, EVENTS_ALIAS};

/// Names `create_event_adapter` and the module define that a generated local must not take.
const TAKEN: &[&str] = &[
    "asynccontextmanager",
    "broker",
    "consumer",
    "consumer_name",
    "create_event_adapter",
    "datetime",
    "dead_letter_stream",
    "deliveries",
    "get_db",
    "logger",
    "logging",
    "max_deliveries",
    "retry_idle_ms",
    "schemas",
    "socket",
    "stream",
];

impl<'a> ServiceCx<'a> {
    pub(super) fn event_adapter(&'a self) -> Result<String, RenderError> {
        let mut imports = Imports::new(self);
        for (module, name) in [
            ("collections.abc", "Awaitable"),
            ("collections.abc", "Callable"),
            ("contextlib", "AbstractAsyncContextManager"),
            ("datetime", "UTC"),
            ("datetime", "datetime"),
            ("typing", "TypeVar"),
            ("faststream.redis", "RedisBroker"),
            ("faststream.redis", "RedisStreamMessage"),
            ("faststream.redis", "StreamSub"),
            ("pydantic", "BaseModel"),
            ("pydantic", "ValidationError"),
        ] {
            imports.name(module, name);
        }
        imports.module("logging");
        let get_db = self.get_db_type(&mut imports);
        let shared = self.schemas_module.rsplit_once('.').map(|(package, _)| package).unwrap_or("");

        let mut taken: BTreeSet<String> = TAKEN.iter().map(|n| n.to_string()).collect();
        let mut domains = Vec::new();
        let mut subscriptions = Vec::new();
        let mut builders: Vec<(String, Value)> = Vec::new();
        for d in &self.domains {
            let subscribing: Vec<_> =
                d.ops.iter().filter(|o| o.op.events.as_ref().is_some_and(|e| e.subscribe.is_some())).collect();
            if subscribing.is_empty() {
                continue;
            }
            imports.name("generated.protocols", &d.protocol);
            imports.name(&d.controllers_module, &d.controller);
            let kwarg = format!("{}_controller", d.domain.name);
            let factory_local = format!("new_{}", d.domain.name);
            taken.insert(kwarg.clone());
            taken.insert(factory_local.clone());
            domains.push(context! {
                kwarg,
                factory => format!("{}[[], {}]", imports.sym(Sym::Callable), d.protocol),
                factory_local => &factory_local,
                controller => &d.controller,
            });
            for names in subscribing {
                let op = names.op;
                let bindings = op.events.as_ref().ok_or_else(|| bug("subscriber without events".into()))?;
                let event = bindings.subscribe.as_deref().unwrap_or_default();
                let message =
                    op.input.as_deref().ok_or_else(|| bug(format!("`{}` subscribes without input", op.name)))?;
                imports.name(shared, "schemas");
                let on_success = bindings.publish_on_success.as_deref().map(|e| {
                    self.import_events(&mut imports);
                    format!("{EVENTS_ALIAS}.{}(result, broker=broker)", events::publisher_name(e))
                });
                let on_error = match bindings.error_event() {
                    Some(e) => {
                        self.import_events(&mut imports);
                        let builder = self.error_builder(e, &mut builders)?;
                        Some(format!("{EVENTS_ALIAS}.{}({builder}(failure), broker=broker)", events::publisher_name(e)))
                    }
                    None => None,
                };
                let mut handler = format!("handle_{}", op.name);
                while taken.contains(&handler) {
                    handler.push('_');
                }
                taken.insert(handler.clone());
                subscriptions.push(context! {
                    handler,
                    event => py_str(event),
                    operation => py_str(&op.name),
                    message => format!("schemas.{message}"),
                    call => format!("{factory_local}().{}(session, payload=payload)", names.method),
                    on_success,
                    on_error,
                });
            }
        }
        if !subscriptions.is_empty() {
            imports.module("socket");
            imports.name("contextlib", "asynccontextmanager");
            imports.name("faststream", "AckPolicy");
        }
        let doc = if subscriptions.is_empty() {
            py_doc(&format!(
                "Registers nothing yet: no operation of `{}` subscribes to an event.\n\n\
                 Accepts what it will need, so that wiring code stays the same once one does.\n",
                self.service.name
            ))
        } else {
            py_doc(
                "Registers the subscribers of this service on `broker`, before it starts.\n\n\
                 `get_db` yields one session per message (the routers' dependency), a\n\
                 `<domain>_controller` replaces the default controller of a domain, `consumer`\n\
                 names this process in the consumer group (default: the host name, unique per\n\
                 container). A message is retried after `retry_idle_ms` and dead-lettered after\n\
                 `max_deliveries` deliveries.\n",
            )
        };
        let module_doc = py_doc(&format!(
            "Event subscribers of the `{0}` service.\n\n\
             Every operation that subscribes to an event consumes that event's Redis Stream\n\
             in a consumer group named after the service, so a consumer that is down misses\n\
             nothing. Per message: the payload is validated, a session opened, the controller\n\
             called, the session committed, the result published (`publish_on_success`), the\n\
             message acknowledged. Delivery is at least once: controllers should be idempotent.\n\n\
             When the controller raises, the session is rolled back, an error event is published\n\
             (`publish_on_error`) and the message stays pending: after `retry_idle_ms` it is\n\
             delivered again, to any consumer of the group (a crashed consumer's messages are\n\
             taken over the same way). After `max_deliveries` deliveries, or at once when the\n\
             payload is invalid, it is copied with headers saying why to the dead-letter stream\n\
             `<event>:dead:<service>`, and acknowledged.\n",
            self.service.name
        ));
        self.render(
            "fastapi_event_adapter.py.j2",
            context! {
                banner => self.banner(None).trim_end(),
                module_doc,
                imports => imports.text(),
                service => py_str(&self.service.name),
                builders => builders.into_iter().map(|(_, b)| b).collect::<Vec<_>>(),
                get_db,
                domains,
                doc,
                subscriptions,
            },
        )
    }

    /// The name of the function building the message of error event `event` from a failure,
    /// added to `builders` on first use.
    fn error_builder(&self, event: &str, builders: &mut Vec<(String, Value)>) -> Result<String, RenderError> {
        let name = format!("_{event}_message");
        if builders.iter().any(|(e, _)| e == event) {
            return Ok(name);
        }
        let message = &self.ir.event(event).ok_or_else(|| bug(format!("unknown event `{event}`")))?.message;
        let class = self.ir.class(message).ok_or_else(|| bug(format!("unknown class `{message}`")))?;
        let fields: Vec<Value> = class
            .fields
            .iter()
            .filter_map(|f| ERROR_EVENT_FIELDS.iter().find(|(n, _, _)| *n == f.name).map(|(n, p, _)| (f, *n, *p)))
            .map(|(field, name, primitive)| {
                context! { key => py_str(&field.name), value => failure_value(field, name, primitive) }
            })
            .collect();
        builders
            .push((event.to_string(), context! { name => &name, class => format!("schemas.{}", class.name), fields }));
        Ok(name)
    }
}

/// The Python expression that fills error-event field `field` (named `name`, of `primitive`).
fn failure_value(field: &Field, name: &str, primitive: Primitive) -> String {
    let value = match name {
        "service" => "SERVICE".to_string(),
        other => format!("failure.{other}"),
    };
    let is_string = matches!(&field.ty, TypeRef::Primitive(Primitive::String))
        || matches!(&field.ty, TypeRef::Optional(inner) if **inner == TypeRef::Primitive(Primitive::String));
    match field.constraints.max_length {
        Some(limit) if is_string && primitive == Primitive::String => format!("_clip({value}, {limit})"),
        _ => value,
    }
}
