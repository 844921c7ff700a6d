//! Domain files: operations, parameters, REST bindings, event bindings.

use crate::diagnostics::{did_you_mean, Diagnostic, Span};
use crate::ir::{
    Class, Domain, Ir, Method, Number, Operation, OperationEvents, Output, Param, ParamSource, Primitive, Rest,
    TypeRef, ERROR_EVENT_FIELDS,
};
use crate::load::is_snake_identifier;
use crate::spec::domain::{self as spec, DomainFile, HttpMethod, OperationSpec, ParamDef};
use crate::spec::models::TypeExpr;
use crate::spec::Spanned;

use super::models::INPUT_VARIANTS;
use super::types::{parse_shorthand, sub_span, Ast, Owner};
use super::values::RawConstraints;
use super::{is_identifier, Ctx};

/// Checks one domain file and lowers it. Cross-domain rules (unique names and routes within a
/// service) are checked by the caller.
pub(crate) fn lower_domain(ctx: &mut Ctx, ir: &Ir, name: &str, path: &camino::Utf8Path, spec: &DomainFile) -> Domain {
    if let Some(declared) = &spec.domain {
        if declared.value != name {
            ctx.push(
                Diagnostic::error(
                    "E0201",
                    format!("`domain: {}` does not match the file name `{name}.yaml`", declared.value),
                    declared.span,
                    "differs from the file stem",
                )
                .with_help(format!("write `domain: {name}`, or rename the file")),
            );
        }
    }
    let rest_config = spec.config.as_ref().and_then(|c| c.rest.as_ref());
    let prefix = rest_config.and_then(|r| r.prefix.as_ref());
    if let Some(p) = prefix {
        if !(p.value.is_empty() || (p.value.starts_with('/') && !p.value.ends_with('/'))) {
            ctx.push(
                Diagnostic::error(
                    "E0202",
                    format!("REST prefix `{}` must be empty or start with `/` and not end with `/`", p.value),
                    p.span,
                    "invalid prefix",
                )
                .with_help("write e.g. `prefix: /books`"),
            );
        }
    }
    let mut operations = Vec::with_capacity(spec.operations.len());
    for (op_name, op) in &spec.operations {
        if let Some(op) = lower_operation(ctx, ir, op_name, op, prefix) {
            operations.push(op);
        }
    }
    Domain {
        name: name.to_string(),
        file: path.to_path_buf(),
        prefix: prefix.map(|p| p.value.clone()).unwrap_or_default(),
        tags: rest_config.and_then(|r| r.tags.clone()).unwrap_or_else(|| vec![name.to_string()]),
        operations,
    }
}

fn lower_operation(
    ctx: &mut Ctx,
    ir: &Ir,
    name: &Spanned<String>,
    op: &OperationSpec,
    prefix: Option<&Spanned<String>>,
) -> Option<Operation> {
    let mut ok = true;
    if !is_snake_identifier(name) {
        ctx.push(
            Diagnostic::error(
                "E0204",
                format!("operation name `{}` is not snake_case", name.value),
                name.span,
                "not snake_case",
            )
            .with_help("operation names become Python method names and operationIds, e.g. `list_books`"),
        );
        ok = false;
    }
    if op.rest.is_none() && op.events.is_none() {
        ctx.push(
            Diagnostic::error(
                "E0205",
                format!("operation `{}` has no transport", name.value),
                name.span,
                "neither `rest` nor `events`",
            )
            .with_help("add `rest: {method: GET, path: \"\"}` or `events: {subscribe: <event>}`"),
        );
        ok = false;
    }
    let input = op.input.as_ref().and_then(|i| class_ref(ctx, &i.value, i.span, &name.value, "input"));
    let output = op.output.as_ref().and_then(|o| output_ref(ctx, o, &name.value));
    ok &= op.input.is_none() || input.is_some();
    ok &= op.output.is_none() || output.is_some();
    // Only a request body is written by clients; a consumed event message is server data.
    if let (Some((input_name, span)), Some(_)) = (&input, &op.rest) {
        warn_readonly_input(ctx, ir, input_name, *span);
    }

    let params = lower_params(ctx, name, &op.params);
    if let (Some(subscribe), Some((span, first))) =
        (op.events.as_ref().and_then(|e| e.value.subscribe.as_ref()), params.first())
    {
        ctx.push(
            Diagnostic::error(
                "E0310",
                format!("`{}` subscribes to `{}` but takes parameters", name.value, subscribe.value),
                *span,
                "a message carries no parameters",
            )
            .with_label(subscribe.span, "subscribed here")
            .with_help(format!(
                "a consumed message fills only `payload`; move `{}` into the message's class, or split the REST operation from the subscriber",
                first.name
            )),
        );
        ok = false;
    }
    let rest =
        op.rest.as_ref().and_then(|r| lower_rest(ctx, name, r, prefix, &params, input.is_some(), output.is_some()));
    ok &= op.rest.is_none() || rest.is_some();
    let events = op.events.as_ref().map(|e| lower_events(ctx, ir, name, e, input.as_ref(), output.as_ref()));
    ok &= events.as_ref().is_none_or(|e| e.is_some());
    if !ok {
        return None;
    }
    Some(Operation {
        name: name.value.clone(),
        summary: op.summary.clone(),
        description: op.description.clone(),
        input: input.map(|(c, _)| c),
        output: output.map(|(o, _)| o),
        params: params.into_iter().map(|(_, p)| p).collect(),
        rest,
        events: events.flatten(),
    })
}

/// A model or variant class name, written at `span`.
fn class_ref(ctx: &mut Ctx, name: &str, span: Span, op: &str, what: &str) -> Option<(String, Span)> {
    let name = name.trim();
    if ctx.class_names.contains(name) {
        return Some((name.to_string(), span));
    }
    if Primitive::from_spec(name).is_some() || name.contains('[') {
        let help = if what == "input" {
            "a request body or message is a model or variant class; wrap the value in a model (e.g. `BookImport` with a `books: list[BookCreate]` field)"
        } else {
            "a response body is a model or variant class, or `list[Class]`; wrap a scalar in a model"
        };
        ctx.push(
            Diagnostic::error(
                "E0206",
                format!("{what} `{name}` of operation `{op}` is not a model or variant class"),
                span,
                "not a class",
            )
            .with_help(help),
        );
        return None;
    }
    ctx.push(
        Diagnostic::error(
            "E0203",
            format!("unknown model `{name}` in operation `{op}`"),
            span,
            format!("{what} is not a model or variant class"),
        )
        .with_help_opt(did_you_mean(name, ctx.class_names.iter().map(String::as_str))),
    );
    None
}

/// `Class`, `list[Class]` or the template's `List[Class]`.
fn output_ref(ctx: &mut Ctx, s: &Spanned<String>, op: &str) -> Option<(Output, Span)> {
    match parse_shorthand(&s.value) {
        Ok(Ast::Name(name, range)) => {
            let span = sub_span(ctx, s, range);
            class_ref(ctx, name, span, op, "output").map(|(class, span)| (Output { class, list: false }, span))
        }
        Ok(Ast::Generic(g, _, args)) if (g == "list" || g == "List") && args.len() == 1 => match &args[0] {
            Ast::Name(name, range) => {
                let span = sub_span(ctx, s, range.clone());
                class_ref(ctx, name, span, op, "output").map(|(class, span)| (Output { class, list: true }, span))
            }
            Ast::Generic(..) => {
                ctx.push(
                    Diagnostic::error("E0206", "an output is a class or a list of a class", s.span, "nested container")
                        .with_help("write `list[BookRead]`"),
                );
                None
            }
        },
        _ => {
            ctx.push(
                Diagnostic::error(
                    "E0206",
                    format!("invalid output `{}`", s.value),
                    s.span,
                    "not a class or `list[Class]`",
                )
                .with_help("write `BookRead` or `list[BookRead]`"),
            );
            None
        }
    }
}

fn warn_readonly_input(ctx: &mut Ctx, ir: &Ir, class: &str, span: Span) {
    let Some(c) = ctx.class_position(class).map(|i| &ir.classes[i]) else { return };
    if c.variant.as_deref().is_some_and(|v| INPUT_VARIANTS.contains(&v)) {
        return;
    }
    let readonly: Vec<&str> = c.fields.iter().filter(|f| f.readonly).map(|f| f.name.as_str()).collect();
    if !readonly.is_empty() {
        ctx.push(
            Diagnostic::warning(
                "W0201",
                format!("input `{class}` contains readonly fields: {}", readonly.join(", ")),
                span,
                "clients would have to send server-set fields",
            )
            .with_help(format!(
                "use a `Create`/`Update`/`Patch` variant of `{}`, which leaves readonly fields out",
                c.model
            )),
        );
    }
}

fn lower_params(ctx: &mut Ctx, op: &Spanned<String>, defs: &[ParamDef]) -> Vec<(Span, Param)> {
    let mut out: Vec<(Span, Param)> = Vec::with_capacity(defs.len());
    for def in defs {
        let (name_span, param) = match def {
            ParamDef::Short(name) => (
                name.span,
                Some(Param {
                    name: name.value.clone(),
                    ty: TypeRef::Primitive(Primitive::String),
                    source: ParamSource::Path,
                    required: true,
                    default: None,
                    description: None,
                    constraints: Default::default(),
                }),
            ),
            ParamDef::Full(p) => (p.name.span, lower_param(ctx, &op.value, p)),
        };
        let name = match def {
            ParamDef::Short(n) => n,
            ParamDef::Full(p) => &p.name,
        };
        if !is_identifier(name) || name.value.starts_with('_') {
            ctx.push(
                Diagnostic::error(
                    "E0207",
                    format!("parameter name `{}` is not a valid identifier", name.value),
                    name.span,
                    "invalid name",
                )
                .with_help("parameter names are letters, digits and `_`, starting with a letter"),
            );
            continue;
        }
        if let Some((first, _)) = out.iter().find(|(_, p)| p.name == name.value) {
            ctx.push(
                Diagnostic::error(
                    "E0208",
                    format!("parameter `{}` is declared twice", name.value),
                    name_span,
                    "again here",
                )
                .with_label(*first, "first here"),
            );
            continue;
        }
        if let Some(p) = param {
            out.push((name_span, p));
        }
    }
    out
}

/// `op` (the operation's name) names the parameter's enums, in PascalCase.
fn lower_param(ctx: &mut Ctx, op: &str, p: &spec::ParamSpec) -> Option<Param> {
    let source = match p.source.as_ref().map(|s| s.value) {
        Some(spec::ParamSource::Query) => ParamSource::Query,
        _ => ParamSource::Path,
    };
    let owner = Owner { prefix: op, snake_prefix: true, name: &p.name.value, description: p.description.as_deref() };
    let ty = match &p.ty {
        Some(ty) => ctx.resolve_type(ty, &owner, p.values.as_deref())?,
        // The default `string`.
        None => TypeRef::Primitive(Primitive::String),
    };
    let scalar = |t: &TypeRef| matches!(t, TypeRef::Primitive(_) | TypeRef::Enum(_));
    let allowed = match (&ty, source) {
        (t, _) if scalar(t) => true,
        (TypeRef::List(inner), ParamSource::Query) => scalar(inner),
        _ => false,
    };
    if !allowed {
        let span = match &p.ty {
            Some(TypeExpr::Short(s)) => s.span,
            Some(TypeExpr::Full(t)) => t.ty.span,
            None => p.name.span,
        };
        ctx.push(
            Diagnostic::error(
                "E0209",
                format!("parameter `{}` has a type parameters cannot have", p.name.value),
                span,
                "not a primitive or enum",
            )
            .with_help("path parameters are primitives or enums; query parameters may also be lists of them"),
        );
        return None;
    }
    let raw = RawConstraints {
        ge: p.ge.as_deref(),
        gt: p.gt.as_deref(),
        le: p.le.as_deref(),
        lt: p.lt.as_deref(),
        min_length: p.min_length.as_deref(),
        max_length: p.max_length.as_deref(),
        pattern: p.pattern.as_deref(),
    };
    let constraints = ctx.lower_constraints(&ty, &raw);
    let explicit_required = p.required.as_ref().map(|r| r.value);
    if source == ParamSource::Path {
        if let Some(r) = p.required.as_ref().filter(|r| !r.value) {
            ctx.push(
                Diagnostic::error(
                    "E0215",
                    format!("path parameter `{}` cannot be optional", p.name.value),
                    r.span,
                    "path parameters are always required",
                )
                .with_help("remove `required: false`, or make it a query parameter with `source: query`"),
            );
        }
        if let Some(d) = &p.default {
            ctx.push(
                Diagnostic::error(
                    "E0215",
                    format!("path parameter `{}` cannot have a default", p.name.value),
                    d.span,
                    "default on a path parameter",
                )
                .with_help("remove the default, or make it a query parameter with `source: query`"),
            );
        }
    }
    if let (Some(r), Some(d)) = (p.required.as_ref().filter(|r| r.value), &p.default) {
        ctx.push(
            Diagnostic::error(
                "E0215",
                format!("parameter `{}` is required but has a default", p.name.value),
                d.span,
                "default",
            )
            .with_label(r.span, "required")
            .with_help("remove `required: true` (a parameter with a default is optional), or the default"),
        );
    }
    let default = match &p.default {
        Some(d) if source == ParamSource::Query => Some(ctx.check_default(&ty, true, &constraints, d)?),
        _ => None,
    };
    let required = source == ParamSource::Path || (default.is_none() && explicit_required.unwrap_or(true));
    Some(Param {
        name: p.name.value.clone(),
        ty,
        source,
        required,
        default: default.map(Box::new),
        description: p.description.clone(),
        constraints: constraints.into(),
    })
}

fn lower_rest(
    ctx: &mut Ctx,
    op: &Spanned<String>,
    rest: &Spanned<spec::RestSpec>,
    prefix: Option<&Spanned<String>>,
    params: &[(Span, Param)],
    has_input: bool,
    has_output: bool,
) -> Option<Rest> {
    let mut ok = true;
    let method = match rest.method.value {
        HttpMethod::Get => Method::Get,
        HttpMethod::Post => Method::Post,
        HttpMethod::Put => Method::Put,
        HttpMethod::Patch => Method::Patch,
        HttpMethod::Delete => Method::Delete,
    };
    if has_input && matches!(method, Method::Get | Method::Delete) {
        ctx.push(
            Diagnostic::error(
                "E0210",
                format!("`{}` operations take no input", method.as_str()),
                rest.method.span,
                "this method has no request body",
            )
            .with_help("use POST, PUT or PATCH, or pass the data as parameters"),
        );
        ok = false;
    }
    let path = rest.value.path.as_ref();
    if let Some(p) = path {
        if !(p.value.is_empty() || p.value.starts_with('/')) {
            ctx.push(
                Diagnostic::error(
                    "E0202",
                    format!("path `{}` must be empty or start with `/`", p.value),
                    p.span,
                    "invalid path",
                )
                .with_help(format!("write `/{}`", p.value)),
            );
            ok = false;
        }
    }
    let (prefix_text, path_text) = (prefix.map_or("", |p| p.value.as_str()), path.map_or("", |p| p.value.as_str()));
    let mut full = String::with_capacity(prefix_text.len() + path_text.len());
    full.push_str(prefix_text);
    full.push_str(path_text);
    if full.is_empty() {
        ctx.push(
            Diagnostic::error(
                "E0202",
                format!("operation `{}` has an empty path", op.value),
                rest.span,
                "no prefix and no path",
            )
            .with_help("set `config.rest.prefix` of the domain or `path` of the operation"),
        );
        ok = false;
    }
    // Placeholders, located in the operation's path when written there, else in the prefix.
    let mut placeholders: Vec<(&str, Span)> = Vec::new();
    for source in [prefix, path].into_iter().flatten() {
        let mut rest_text = source.value.as_str();
        let mut offset = 0;
        while let Some(open) = rest_text.find('{') {
            let Some(close) = rest_text[open..].find('}') else {
                ctx.push(
                    Diagnostic::error(
                        "E0211",
                        "unclosed `{` in path",
                        sub_span(ctx, source, offset + open..offset + open + 1),
                        "unclosed",
                    )
                    .with_help("write placeholders as `{name}`"),
                );
                ok = false;
                break;
            };
            let name = &rest_text[open + 1..open + close];
            let span = sub_span(ctx, source, offset + open..offset + open + close + 1);
            if !is_identifier(name) {
                ctx.push(
                    Diagnostic::error("E0211", format!("invalid placeholder `{{{name}}}`"), span, "not an identifier")
                        .with_help("placeholders look like `{book_id}`"),
                );
                ok = false;
            } else if let Some((_, first)) = placeholders.iter().find(|(n, _)| *n == name) {
                ctx.push(
                    Diagnostic::error(
                        "E0212",
                        format!("placeholder `{{{name}}}` appears twice in the path"),
                        span,
                        "again here",
                    )
                    .with_label(*first, "first here")
                    .with_help("each path parameter appears exactly once"),
                );
                ok = false;
            } else {
                placeholders.push((name, span));
            }
            offset += open + close + 1;
            rest_text = &rest_text[open + close + 1..];
        }
    }
    for (name, span) in &placeholders {
        match params.iter().find(|(_, p)| p.name == *name) {
            Some((_, p)) if p.source == ParamSource::Path => {}
            Some((pspan, _)) => {
                ctx.push(
                    Diagnostic::error(
                        "E0213",
                        format!("placeholder `{{{name}}}` refers to a query parameter"),
                        *span,
                        "in the path",
                    )
                    .with_label(*pspan, "declared with `source: query`")
                    .with_help("remove `source: query` from the parameter"),
                );
                ok = false;
            }
            None => {
                ctx.push(
                    Diagnostic::error(
                        "E0213",
                        format!("placeholder `{{{name}}}` has no parameter"),
                        *span,
                        "undeclared",
                    )
                    .with_help(format!("add `params: [{{name: {name}, type: <type>}}]` to operation `{}`", op.value)),
                );
                ok = false;
            }
        }
    }
    for (pspan, p) in params {
        if p.source == ParamSource::Path && !placeholders.iter().any(|(n, _)| *n == p.name) {
            ctx.push(
                Diagnostic::error(
                    "E0214",
                    format!("path parameter `{}` does not appear in the path `{full}`", p.name),
                    *pspan,
                    "not in the path",
                )
                .with_help(format!("add `{{{}}}` to the path, or declare it with `source: query`", p.name)),
            );
            ok = false;
        }
    }
    let status = match &rest.value.status {
        Some(s) if !(100..=599).contains(&s.value) => {
            ctx.push(
                Diagnostic::error(
                    "E0216",
                    format!("status {} is not an HTTP status code", s.value),
                    s.span,
                    "out of range",
                )
                .with_help("use a code between 100 and 599"),
            );
            ok = false;
            0
        }
        Some(s) if has_output && (s.value == 204 || s.value == 304 || s.value < 200) => {
            ctx.push(
                Diagnostic::error(
                    "E0217",
                    format!("status {} has no body, but the operation has an output", s.value),
                    s.span,
                    "bodiless status",
                )
                .with_help("use 200 or 201, or remove `output`"),
            );
            ok = false;
            0
        }
        Some(s) => s.value,
        None => match method {
            Method::Post => 201,
            Method::Delete if !has_output => 204,
            _ => 200,
        },
    };
    ok.then_some(Rest { method, path: full, status })
}

fn lower_events(
    ctx: &mut Ctx,
    ir: &Ir,
    op: &Spanned<String>,
    events: &Spanned<spec::OperationEventsSpec>,
    input: Option<&(String, Span)>,
    output: Option<&(Output, Span)>,
) -> Option<OperationEvents> {
    let e = &events.value;
    let mut ok = true;
    if e.subscribe.is_none() && e.publish_on_success.is_none() {
        ctx.push(
            Diagnostic::error(
                "E0308",
                format!("`events` of `{}` neither subscribes nor publishes", op.value),
                events.span,
                "no `subscribe`, no `publish_on_success`",
            )
            .with_help("add `subscribe: <event>` or `publish_on_success: <event>`"),
        );
        ok = false;
    }
    let mut channel = |ctx: &mut Ctx, s: &Option<Spanned<String>>| -> Option<String> {
        let s = s.as_ref()?;
        if ir.event(&s.value).is_some() {
            return Some(s.value.clone());
        }
        ctx.push(
            Diagnostic::error("E0301", format!("unknown event `{}`", s.value), s.span, "not declared in events.yaml")
                .with_help(
                    did_you_mean(&s.value, ir.events.iter().map(|e| e.name.as_str()))
                        .unwrap_or_else(|| "declare it in shared/spec/events.yaml".into()),
                ),
        );
        ok = false;
        None
    };
    let subscribe = channel(ctx, &e.subscribe);
    let on_success = channel(ctx, &e.publish_on_success);
    let on_error = channel(ctx, &e.publish_on_error);
    if let (Some(s), Some(name)) = (&e.subscribe, &subscribe) {
        let event = ir.event(name).expect("checked above");
        match input {
            None => {
                ctx.push(
                    Diagnostic::error(
                        "E0302",
                        format!("`{}` subscribes to `{name}` but has no `input`", op.value),
                        s.span,
                        "subscription without input",
                    )
                    .with_help(format!("add `input: {}`", event.message)),
                );
                ok = false;
            }
            Some((class, span)) if *class != event.message => {
                ctx.push(
                    Diagnostic::error(
                        "E0304",
                        format!("input `{class}` does not match the message `{}` of event `{name}`", event.message),
                        *span,
                        "input",
                    )
                    .with_label(s.span, "subscribed here")
                    .with_help(format!("use `input: {}`, or change the event's message", event.message)),
                );
                ok = false;
            }
            _ => {}
        }
        if !event.subscribe {
            ctx.push(
                Diagnostic::warning(
                    "W0301",
                    format!("`{name}` is declared `subscribe: false` but `{}` subscribes to it", op.value),
                    s.span,
                    "subscribed here",
                )
                .with_help("set `subscribe: true` on the event in events.yaml"),
            );
        }
    }
    for (s, name) in [(&e.publish_on_success, &on_success), (&e.publish_on_error, &on_error)] {
        if let (Some(s), Some(name)) = (s, name) {
            if !ir.event(name).expect("checked above").publish {
                ctx.push(
                    Diagnostic::warning(
                        "W0302",
                        format!("`{name}` is declared `publish: false` but `{}` publishes it", op.value),
                        s.span,
                        "published here",
                    )
                    .with_help("set `publish: true` on the event in events.yaml"),
                );
            }
        }
    }
    if let (Some(s), Some(name)) = (&e.publish_on_success, &on_success) {
        let event = ir.event(name).expect("checked above");
        match output {
            None => {
                ctx.push(
                    Diagnostic::error(
                        "E0303",
                        format!("`{}` publishes `{name}` on success but has no `output`", op.value),
                        s.span,
                        "nothing to publish",
                    )
                    .with_help(format!("add `output: {}`", event.message)),
                );
                ok = false;
            }
            Some((out, span)) if out.list || out.class != event.message => {
                ctx.push(
                    Diagnostic::error(
                        "E0304",
                        format!(
                            "output `{}` does not match the message `{}` of event `{name}`",
                            if out.list { format!("list[{}]", out.class) } else { out.class.clone() },
                            event.message
                        ),
                        *span,
                        "output",
                    )
                    .with_label(s.span, "published here")
                    .with_help(format!("the published message is the output: use `output: {}`", event.message)),
                );
                ok = false;
            }
            _ => {}
        }
    }
    if let (Some(s), Some(name)) = (&e.publish_on_error, &on_error) {
        if e.subscribe.is_none() {
            ctx.push(
                Diagnostic::warning(
                    "W0303",
                    format!("`publish_on_error` of `{}` is ignored: it does not subscribe to an event", op.value),
                    s.span,
                    "never published",
                )
                .with_help("error events report failed message handlers; remove `publish_on_error`"),
            );
        }
        // An ignored binding (W0303) builds nothing, so its class need not fit.
        let event = ir.event(name).expect("checked above");
        if let (Some(_), Some(class)) = (&e.subscribe, ir.class(&event.message)) {
            ok &= error_event_fits(ctx, op, s, name, class);
        }
    }
    ok.then_some(OperationEvents { subscribe, publish_on_success: on_success, publish_on_error: on_error })
}

/// Checks that the event adapter can build `class` for a failure (see [`ERROR_EVENT_FIELDS`]):
/// each field it fills has the type it fills in and no constraint a failure could break (only
/// `max_length` of a string, which the adapter clips to), and every other field may be left
/// out. All problems of the class in one diagnostic.
fn error_event_fits(ctx: &mut Ctx, op: &Spanned<String>, at: &Spanned<String>, event: &str, class: &Class) -> bool {
    let mut problems = Vec::new();
    for field in &class.fields {
        let Some((_, want, _)) = ERROR_EVENT_FIELDS.iter().find(|(n, _, _)| *n == field.name) else {
            if field.required {
                problems.push(format!("`{}` is required but is not filled", field.name));
            }
            continue;
        };
        let declared = match &field.ty {
            TypeRef::Primitive(p) => Some(*p),
            TypeRef::Optional(inner) => match **inner {
                TypeRef::Primitive(p) => Some(p),
                _ => None,
            },
            _ => None,
        };
        if declared != Some(*want) {
            let declared = declared.map(|p| format!("`{}`", p.spec_name())).unwrap_or_else(|| "not a primitive".into());
            problems.push(format!(
                "`{}` is declared {declared}, but the adapter fills in values of type `{}`",
                field.name,
                want.spec_name()
            ));
            continue;
        }
        let c = &field.constraints;
        let at_least_one = |n: Number| n.as_f64() <= 1.0;
        let breakable = match want {
            Primitive::String => {
                c.min_length.is_some_and(|n| n > 1) || c.pattern.is_some() || c.ge.is_some() || c.le.is_some()
            }
            Primitive::Int => {
                c.ge.is_some_and(|n| !at_least_one(n))
                    || c.gt.is_some_and(|n| n.as_f64() >= 1.0)
                    || c.le.is_some()
                    || c.lt.is_some()
            }
            _ => !c.is_empty(),
        };
        if breakable {
            problems.push(format!("`{}` has a constraint that a failure's value can break", field.name));
        }
    }
    if problems.is_empty() {
        return true;
    }
    let known: Vec<String> = ERROR_EVENT_FIELDS.iter().map(|(n, t, _)| format!("`{n}` ({})", t.spec_name())).collect();
    ctx.push(
        Diagnostic::error(
            "E0309",
            format!(
                "`{}` publishes failures to `{event}`, but the adapter cannot build its message `{}`: {}",
                op.value,
                class.name,
                problems.join("; ")
            ),
            at.span,
            "error event",
        )
        .with_help(format!(
            "a failure fills the fields {} (strings clipped to `max_length`); any other field needs `optional: true` or a default",
            known.join(", ")
        )),
    );
    false
}
