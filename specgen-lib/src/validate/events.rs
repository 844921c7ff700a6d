//! events.yaml: event names, message classes, publish/subscribe flags.

use crate::diagnostics::{did_you_mean, Diagnostic};
use crate::ir::{Event, Ir};
use crate::load::is_snake_identifier;
use crate::spec::events::EventsFile;

use super::Ctx;

/// Checks events.yaml and fills `ir.events`.
pub(crate) fn lower(ctx: &mut Ctx, file: &EventsFile, ir: &mut Ir) {
    for (name, spec) in &file.events {
        let mut ok = true;
        if !is_snake_identifier(name) {
            ctx.push(
                Diagnostic::error(
                    "E0307",
                    format!("event name `{}` is not snake_case", name.value),
                    name.span,
                    "not snake_case",
                )
                .with_help(
                    "event names are Redis Stream names: lower-case letters, digits and `_`, e.g. `book_created`",
                ),
            );
            ok = false;
        }
        if !ctx.class_names.contains(&spec.message.value) {
            ctx.push(
                Diagnostic::error(
                    "E0305",
                    format!("unknown message class `{}` in event `{}`", spec.message.value, name.value),
                    spec.message.span,
                    "not a model or variant class",
                )
                .with_help_opt(did_you_mean(&spec.message.value, ctx.class_names.iter().map(String::as_str))),
            );
            ok = false;
        }
        if !spec.publish && !spec.subscribe {
            ctx.push(
                Diagnostic::error(
                    "E0306",
                    format!("event `{}` is neither published nor subscribed", name.value),
                    name.span,
                    "unused event",
                )
                .with_help("set `publish: true` and/or `subscribe: true`"),
            );
            ok = false;
        }
        if ok {
            ir.events.push(Event {
                name: name.value.clone(),
                message: spec.message.value.clone(),
                publish: spec.publish,
                subscribe: spec.subscribe,
                description: spec.description.clone(),
            });
        }
    }
}
