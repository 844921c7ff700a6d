//! Target `client`: typed async httpx clients with retries, and per-consumer Protocols.
//!
//! Files (paths from input names only):
//!
//! - `<shared_package>/clients/__init__.py` and `<shared_package>/clients/_http.py` whenever a
//!   service has domain files: the runtime (`ApiError`, `BaseClient` with the retry loop,
//!   `ClientOptions`). Fixed text; the retry semantics are documented in `client_http.py.j2`.
//! - `<shared_package>/clients/<svc>.py` for every service with domain files:
//!   `class <Svc>Client(_http.BaseClient)` with one method per REST operation of every domain.
//! - `<services_dir>/<consumer>/src/generated/clients.py` for every service with a
//!   `manifest.yaml`: per consumed service a `class <Svc>Api(typing.Protocol)` holding only the
//!   declared operations, and `def <svc>_client(...)` returning the full client typed as an async
//!   context manager of that Protocol, so mypy rejects calls of undeclared operations.
//!
//! Method signatures (shared by client and Protocol): `async def <op>(self, <path params>, *,
//! <query params>, payload: <Input>) -> <Output>`. Path params are positional-or-keyword, in
//! spec order; query params and `payload` are keyword-only. Names follow the controller
//! contract (docs/generated-python.md): spec names, `_` appended for keywords and for `self`,
//! `session`, `payload` (and, here only, for the name of a class the body refers to).
//!
//! Names the module defines never clash with schema classes: the runtime, the list adapters and
//! the client modules are imported or named with a leading `_` (no spec name can start with
//! one), standard modules are imported whole (`uuid.UUID`, spec class names are PascalCase),
//! and when a schema class is called like a class this module defines (`<Svc>Client`,
//! `<Svc>Api`) the schemas are imported as a module (`schemas.BookRead`).
//!
//! Helpers that other Python targets may want (the annotation of a [`TypeRef`], parameter
//! defaults as Python literals, the module path of the shared package) live here for now.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use minijinja::context;

use crate::fileset::{FileKind, FileSet};
use crate::ir::{Ir, Method, Operation, ParamSource, Primitive, Service, TypeRef, Value as JsonValue};
use crate::load::InputNames;

use super::python::{
    enum_member_names, escape_ident, is_keyword, is_plain_code, is_sanitized_ident, layout_file, pascal, push_all,
    push_py_str, py_doc, py_float, py_str, render_around, render_template, shared_module, Bracketed, ModuleText,
    SHADOWED_BUILTINS, SPLICED,
};
use super::{banner, Options, OutputPath, RenderError};
use crate::name_map::NameSet;

/// Modules a client or consumer module may import whole (and refer to in annotations, defaults
/// and base classes). A method called like one of them would shadow it for the annotations of
/// the methods after it (class scope), so method names avoid them.
const MODULES: &[&str] = &["contextlib", "datetime", "decimal", "pydantic", "schemas", "typing", "uuid"];

/// Renders the clients: nothing when no service has domain files and none has a manifest.
pub fn render(ir: &Ir, opts: &Options) -> Result<FileSet, RenderError> {
    let mut files = FileSet::new();
    let providers: Vec<&Service> = ir.services.iter().filter(|s| !s.domains.is_empty()).collect();
    let consumers: Vec<&Service> = ir.services.iter().filter(|s| s.manifest_file.is_some()).collect();
    if providers.is_empty() && consumers.is_empty() {
        return Ok(files);
    }
    let package = opts.roots.shared_package.join("clients");
    if !providers.is_empty() {
        let banner = banner("#", &[]);
        let banner = banner.trim_end();
        files.generated(package.join("__init__.py"), python_file(ir, "client_init.py.j2", context! { banner })?);
        files.generated(package.join("_http.py"), python_file(ir, "client_http.py.j2", context! { banner })?);
    }
    for service in &providers {
        files.generated(package.join(format!("{}.py", module_name(&service.name))), service_module(ir, service)?);
    }
    if !consumers.is_empty() {
        let shared = shared_module(opts)?;
        for consumer in consumers {
            let path = opts.roots.services_dir.join(&consumer.name).join("src/generated/clients.py");
            files.generated(path, consumer_module(ir, consumer, &shared)?);
        }
    }
    Ok(files)
}

/// The paths [`render`] writes, from input names only.
pub fn outputs(names: &InputNames, opts: &Options) -> Vec<OutputPath> {
    let mut paths = Vec::new();
    let package = opts.roots.shared_package.join("clients");
    let providers: Vec<&String> =
        names.services.iter().filter(|(_, files)| !files.domains.is_empty()).map(|(name, _)| name).collect();
    if !providers.is_empty() {
        paths.push(package.join("__init__.py"));
        paths.push(package.join("_http.py"));
    }
    for name in providers {
        paths.push(package.join(format!("{}.py", module_name(name))));
    }
    for (name, files) in &names.services {
        if files.manifest.is_some() {
            paths.push(opts.roots.services_dir.join(name).join("src/generated/clients.py"));
        }
    }
    paths.sort();
    paths.into_iter().map(|path| OutputPath { path, kind: FileKind::Generated }).collect()
}

/// The Python module of a service's client (`clients/<module>.py`): the service name, with `_`
/// appended if it is a keyword (a service called `class` gets `clients/class_.py`).
pub fn module_name(service: &str) -> String {
    escape_ident(service, |_| false)
}

/// `BackendClient` for `backend`, `TgBotClient` for `tg_bot`.
pub fn client_class(service: &str) -> String {
    format!("{}Client", pascal(service))
}

/// `BackendApi`: the Protocol of what a consumer calls on `backend`.
pub fn protocol_class(service: &str) -> String {
    format!("{}Api", pascal(service))
}

/// `BACKEND_API_URL`: the environment variable holding the base URL of `backend`.
pub fn env_var(service: &str) -> String {
    format!("{}_API_URL", service.to_uppercase())
}

/// Renders `template` and lays the result out in ruff's layout ([`layout_file`]); a file with
/// lines longer than ruff's limit gets [`NOQA_LONG_LINES`] under its banner.
fn python_file(ir: &Ir, template: &str, ctx: minijinja::Value) -> Result<String, RenderError> {
    let source = render_template(template, ctx)?;
    layout_file(template, &source, ir.python_version)
}

// ---------------------------------------------------------------------------------------------
// Lowering.

/// How the names of one module are spelled, and what it must import.
struct Scope<'a> {
    ir: &'a Ir,
    /// Schemas imported as a module (`schemas.BookRead`) because a schema class shares a name
    /// with a class of this module.
    qualified: bool,
    /// Standard modules used.
    modules: BTreeSet<&'static str>,
    /// Schema classes and enums imported by name (unless `qualified`).
    names: BTreeSet<&'a str>,
    /// Whether the module refers to a schema class or enum at all.
    uses_schemas: bool,
    /// Classes whose list adapter (`_<Class>List`) the module defines.
    adapters: BTreeSet<&'a str>,
}

impl<'a> Scope<'a> {
    fn new(ir: &'a Ir, own_classes: &[String]) -> Scope<'a> {
        let clash = |name: &str| own_classes.iter().any(|c| c == name);
        let qualified = ir.classes.iter().any(|c| clash(&c.name)) || ir.enums.iter().any(|e| clash(&e.name));
        Scope {
            ir,
            qualified,
            modules: BTreeSet::new(),
            names: BTreeSet::new(),
            uses_schemas: false,
            adapters: BTreeSet::new(),
        }
    }

    /// A schema class or enum, as this module spells it.
    fn schema(&mut self, name: &'a str) -> String {
        let mut spelled = String::new();
        self.push_schema(&mut spelled, name);
        spelled
    }

    /// Appends a schema class or enum, as this module spells it.
    fn push_schema(&mut self, out: &mut String, name: &'a str) {
        self.uses_schemas = true;
        if self.qualified {
            out.push_str("schemas.");
        } else {
            self.names.insert(name);
        }
        out.push_str(name);
    }

    fn module(&mut self, module: &'static str) -> &'static str {
        self.modules.insert(module);
        module
    }

    /// Whether `schemas.py` exists: it is rendered only when `models.yaml` is an input.
    fn has_schemas(&self) -> bool {
        self.ir.models_file.is_some()
    }

    /// Appends the annotation of a parameter type.
    fn push_annotation(&mut self, out: &mut String, ty: &'a TypeRef) {
        match ty {
            TypeRef::Primitive(p) => out.push_str(self.primitive(*p)),
            TypeRef::List(inner) => {
                out.push_str("list[");
                self.push_annotation(out, inner);
                out.push(']');
            }
            TypeRef::Dict(key, value) => {
                out.push_str("dict[");
                out.push_str(self.primitive(*key));
                out.push_str(", ");
                self.push_annotation(out, value);
                out.push(']');
            }
            TypeRef::Optional(inner) => {
                self.push_annotation(out, inner);
                out.push_str(" | None");
            }
            TypeRef::Enum(name) if !self.has_schemas() => {
                // No schemas.py to import the enum from: its values as a Literal.
                out.push_str(self.module("typing"));
                out.push_str(".Literal[");
                let ir = self.ir;
                for (i, value) in ir.enum_(name).into_iter().flat_map(|e| &e.values).enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    push_py_str(out, value);
                }
                out.push(']');
            }
            TypeRef::Enum(name) | TypeRef::Class(name) => self.push_schema(out, name),
        }
    }

    fn primitive(&mut self, p: Primitive) -> &'static str {
        match p {
            Primitive::Int => "int",
            Primitive::Float => "float",
            Primitive::String => "str",
            Primitive::Bool => "bool",
            Primitive::Datetime => {
                self.module("datetime");
                "datetime.datetime"
            }
            Primitive::Date => {
                self.module("datetime");
                "datetime.date"
            }
            Primitive::Uuid => {
                self.module("uuid");
                "uuid.UUID"
            }
            Primitive::Decimal => {
                self.module("decimal");
                "decimal.Decimal"
            }
        }
    }

    /// A Python expression for a parameter default (already validated against the type).
    fn default(&mut self, ty: &'a TypeRef, value: &JsonValue) -> Result<String, String> {
        let mismatch = || format!("default {value} does not fit {ty:?}");
        Ok(match (ty, value) {
            (_, JsonValue::Null) => "None".to_string(),
            (TypeRef::Optional(inner), value) => self.default(inner, value)?,
            (TypeRef::List(inner), JsonValue::Array(items)) => {
                let items = items.iter().map(|item| self.default(inner, item)).collect::<Result<Vec<_>, _>>()?;
                format!("[{}]", items.join(", "))
            }
            (TypeRef::Enum(name), JsonValue::String(s)) => {
                if !self.has_schemas() {
                    py_str(s)
                } else {
                    let class = self.schema(name);
                    let member = self
                        .ir
                        .enum_(name)
                        .and_then(|e| e.values.iter().zip(enum_member_names(&e.values)).find(|(v, _)| *v == s))
                        .map(|(_, member)| member)
                        .ok_or_else(mismatch)?;
                    format!("{class}.{member}")
                }
            }
            (TypeRef::Primitive(p), value) => self.primitive_default(*p, value).ok_or_else(mismatch)?,
            _ => return Err(mismatch()),
        })
    }

    fn primitive_default(&mut self, p: Primitive, value: &JsonValue) -> Option<String> {
        let text = |value: &JsonValue| match value {
            JsonValue::String(s) => Some(s.clone()),
            JsonValue::Number(n) => Some(n.to_string()),
            _ => None,
        };
        Some(match (p, value) {
            (Primitive::Bool, JsonValue::Bool(b)) => if *b { "True" } else { "False" }.to_string(),
            (Primitive::Int, JsonValue::Number(n)) => match n.as_i64() {
                Some(i) => i.to_string(),
                None => n.as_u64()?.to_string(),
            },
            (Primitive::Float, JsonValue::Number(n)) => py_float(n.as_f64()?),
            (Primitive::String, JsonValue::String(s)) => py_str(s),
            (Primitive::Decimal, value) => format!("{}.Decimal({})", self.module("decimal"), py_str(&text(value)?)),
            (Primitive::Uuid, JsonValue::String(s)) => format!("{}.UUID({})", self.module("uuid"), py_str(s)),
            (Primitive::Date, JsonValue::String(s)) => {
                let (y, m, d) = parse_date(s)?;
                format!("{}.date({y}, {m}, {d})", self.module("datetime"))
            }
            (Primitive::Datetime, JsonValue::String(s)) => {
                let module = self.module("datetime");
                datetime_literal(module, s)?
            }
            _ => return None,
        })
    }

    /// Standard-library import lines (isort order: `import x` lines sorted).
    fn stdlib_imports(&self) -> Vec<String> {
        self.modules.iter().map(|m| format!("import {m}")).collect()
    }
}

/// `(year, month, day)` of `YYYY-MM-DD` (validated).
fn parse_date(s: &str) -> Option<(u32, u32, u32)> {
    let mut parts = s.split('-').map(|p| p.parse::<u32>().ok());
    let date = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(date)
}

/// A constructor call for an aware datetime `YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]]` with `Z` or
/// `±HH:MM` (the form validation accepts): a constructor, not `fromisoformat`, so that it is an
/// immutable call in a default (bugbear's B008 knows `datetime.datetime`, not its methods).
fn datetime_literal(module: &str, s: &str) -> Option<String> {
    let (date, time) = s.split_once(['T', ' '])?;
    let (y, mo, d) = parse_date(date)?;
    let (clock, zone) = match time.strip_suffix('Z') {
        Some(clock) => (clock, None),
        None => {
            let i = time.rfind(['+', '-'])?;
            (&time[..i], Some(&time[i..]))
        }
    };
    let (clock, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut fields: Vec<u32> = clock.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    fields.resize(3, 0);
    let micros: u32 = if fraction.is_empty() { 0 } else { format!("{fraction:0<6}").parse().ok()? };
    let mut args = vec![y, mo, d, fields[0], fields[1]];
    if fields[2] != 0 || micros != 0 {
        args.push(fields[2]);
    }
    if micros != 0 {
        args.push(micros);
    }
    let args: Vec<String> = args.iter().map(u32::to_string).collect();
    let tz = match zone {
        None => format!("{module}.UTC"),
        Some(zone) => {
            let sign = if zone.starts_with('-') { "-" } else { "" };
            let (h, m) = zone[1..].split_once(':')?;
            let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
            match (h, m) {
                (0, 0) => format!("{module}.UTC"),
                (h, 0) => format!("{module}.timezone({module}.timedelta(hours={sign}{h}))"),
                (h, m) => format!("{module}.timezone({module}.timedelta(hours={sign}{h}, minutes={sign}{m}))"),
            }
        }
    };
    Some(format!("{module}.datetime({}, tzinfo={tz})", args.join(", ")))
}

/// One method, rendered: the same text serves the client and the Protocol.
#[derive(Debug, Clone)]
struct MethodText {
    name: String,
    /// The parameters, flat, separated by `, `.
    params: String,
    /// Where each parameter starts in `params`.
    param_starts: Vec<usize>,
    /// Where each argument of the call in `body` starts.
    arg_starts: ArgStarts,
    returns: String,
    doc: Option<String>,
    body: String,
}

impl MethodText {
    /// Appends the method as the client class defines it, from the start of a line after a
    /// blank line: its `def` line, docstring and body, each line final when it fits and is
    /// plain (the layout pass splits the others). The methods are written here rather than
    /// looped over in the template: a large service has thousands, and the template engine
    /// costs more per value it prints than the copying does.
    fn push_definition(&self, out: &mut ModuleText, line: &mut Bracketed) {
        out.line_break();
        line.open("    ", &["async def ", &self.name]);
        push_items(line, &self.params, &self.param_starts);
        push_all(line.close(), &[" -> ", &self.returns, ":"]);
        line.push_to(out, true);
        out.line_break();
        if let Some(doc) = self.doc.as_deref().filter(|d| !d.is_empty()) {
            // One line of plain text is a docstring as ruff normalizes it.
            let text = &doc[3..doc.len() - 3];
            let normalized =
                !text.contains('\n') && is_plain_code(text) && !text.starts_with(' ') && !text.contains('"');
            push_all(out.lines(normalized), &[BODY_INDENT, doc]);
            out.line_break();
        }
        // The call's arguments end at its closing bracket, which ends the body.
        let arg_starts = &self.arg_starts.starts[..self.arg_starts.len];
        line.open(BODY_INDENT, &[&self.body[..arg_starts[0] - 1]]);
        push_items(line, &self.body[..self.body.len() - 1], arg_starts);
        line.close();
        line.push_to(out, false);
        out.line_break();
    }

    /// Appends the method as a Protocol declares it, after a blank line: its `def` line and its
    /// docstring, or `...` when it has none, without the final line break.
    fn push_declaration(&self, out: &mut String) {
        self.push_def_line(out);
        match self.doc.as_deref().filter(|d| !d.is_empty()) {
            Some(doc) => {
                out.push_str(":\n        ");
                out.push_str(doc);
            }
            None => out.push_str(": ..."),
        }
    }

    /// A blank line and `    async def <name>(<params>) -> <returns>`.
    fn push_def_line(&self, out: &mut String) {
        push_all(out, &["\n\n", DEF_INDENT, &self.name, "(", &self.params, ") -> ", &self.returns]);
    }
}

/// Where the arguments of the call in the body of a method start: the method, the path,
/// `path_params`, `query`, `json` and `parse` at most.
#[derive(Debug, Clone)]
struct ArgStarts {
    starts: [usize; 6],
    len: usize,
}

/// The start of the `def` line of a method.
const DEF_INDENT: &str = "    async def ";

/// The indentation of the body of a method.
const BODY_INDENT: &str = "        ";

/// Appends the items of a list (flat, separated by `, `, ending `text`), which start at
/// `starts` in `text`, to `line`.
fn push_items(line: &mut Bracketed, text: &str, starts: &[usize]) {
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(text.len(), |next| next - 2);
        line.item().push_str(&text[start..end]);
    }
}

/// Room for the text of `methods`: their parts and the lines around them.
fn methods_size(methods: &[MethodText]) -> usize {
    methods
        .iter()
        .map(|m| {
            48 + m.name.len() + m.params.len() + m.returns.len() + m.body.len() + m.doc.as_ref().map_or(0, String::len)
        })
        .sum()
}

/// The method name of every REST operation of `service`, in the order of [`rest_operations`]:
/// the operation name, `_` appended for keywords, builtins used as types and modules used in
/// annotations (class scope would shadow them), then made unique (names that needed no escaping
/// keep theirs).
fn method_names(service: &Service) -> Vec<Cow<'_, str>> {
    let reserved = |n: &str| SHADOWED_BUILTINS.contains(&n) || MODULES.contains(&n);
    // Most names need no escaping: borrowed, not built.
    let mut names: Vec<Cow<'_, str>> = rest_operations(service)
        .map(|(op, _)| match is_sanitized_ident(&op.name) && !is_keyword(&op.name) && !reserved(&op.name) {
            true => Cow::Borrowed(op.name.as_str()),
            false => Cow::Owned(escape_ident(&op.name, reserved)),
        })
        .collect();
    if names.iter().all(|name| matches!(name, Cow::Borrowed(_))) {
        return names;
    }
    let mut taken: NameSet<String> =
        names.iter().filter(|e| matches!(e, Cow::Borrowed(_))).map(|name| name.to_string()).collect();
    for name in &mut names {
        if let Cow::Owned(escaped) = name {
            while taken.contains(escaped.as_str()) || is_keyword(escaped) || reserved(escaped) {
                escaped.push('_');
            }
            taken.insert(escaped.clone());
        }
    }
    names
}

/// The REST operations of a service with their method, in domain order then operation order.
fn rest_operations(service: &Service) -> impl Iterator<Item = (&Operation, Method)> {
    service.domains.iter().flat_map(|d| &d.operations).filter_map(|op| op.rest.as_ref().map(|r| (op, r.method)))
}

/// The text of the method of `op`.
fn method<'a>(scope: &mut Scope<'a>, name: &str, op: &'a Operation) -> Result<MethodText, RenderError> {
    let rest = op.rest.as_ref().ok_or_else(|| bug(format!("operation `{}` has no REST binding", op.name)))?;
    let single_output = op.output.as_ref().filter(|o| !o.list);
    let output_class = single_output.map(|o| scope.schema(&o.class));
    // Parameter names: the controller's rule (keywords, `self`, `session`, `payload`), plus the
    // class the body refers to; then unique within the method.
    let reserved_names = ["self", "session", "payload"];
    let reserved = |n: &str| reserved_names.contains(&n) || output_class.as_deref() == Some(n) || n == "schemas";
    let mut idents: Vec<Cow<'a, str>> = Vec::with_capacity(op.params.len());
    for param in &op.params {
        // Most names need no escaping: borrowed, not built.
        let mut ident = if is_sanitized_ident(&param.name) && !is_keyword(&param.name) && !reserved(&param.name) {
            Cow::Borrowed(param.name.as_str())
        } else {
            Cow::Owned(escape_ident(&param.name, reserved))
        };
        while idents.contains(&ident) {
            ident.to_mut().push('_');
        }
        idents.push(ident);
    }

    // The signature, and the path and query dicts of the call, written as they are found.
    let mut params = String::with_capacity(64);
    params.push_str("self");
    let mut keyword = String::new();
    // Where each parameter starts in `params`, and in `keyword` for those after `*`.
    let mut param_starts = Vec::with_capacity(op.params.len() + 3);
    param_starts.push(0);
    let mut keyword_starts = Vec::new();
    let mut path_values = String::new();
    let mut query_values = String::new();
    for (param, ident) in op.params.iter().zip(&idents) {
        let (signature, starts, values) = match param.source {
            ParamSource::Path => (&mut params, &mut param_starts, &mut path_values),
            ParamSource::Query => (&mut keyword, &mut keyword_starts, &mut query_values),
        };
        signature.push_str(", ");
        starts.push(signature.len());
        signature.push_str(ident);
        signature.push_str(": ");
        scope.push_annotation(signature, &param.ty);
        if param.source == ParamSource::Query {
            let default = match &param.default {
                // A list default would be a mutable default argument (bugbear's B006), and
                // a list cannot be sent empty anyway: omitting the parameter lets the server
                // apply the same default (the docstring says which).
                Some(_) if matches!(param.ty, TypeRef::List(_)) => Some(Cow::Borrowed("None")),
                Some(value) => Some(Cow::Owned(
                    scope
                        .default(&param.ty, value)
                        .map_err(|e| bug(format!("parameter `{}` of `{}`: {e}", param.name, op.name)))?,
                )),
                None if !param.required => Some(Cow::Borrowed("None")),
                None => None,
            };
            match default.as_deref() {
                Some("None") => signature.push_str(" | None = None"),
                Some(d) => {
                    signature.push_str(" = ");
                    signature.push_str(d);
                }
                None => {}
            }
        }
        if !values.is_empty() {
            values.push_str(", ");
        }
        push_py_str(values, &param.name);
        values.push_str(": ");
        values.push_str(ident);
    }
    if let Some(input) = &op.input {
        keyword.push_str(", ");
        keyword_starts.push(keyword.len());
        keyword.push_str("payload: ");
        scope.push_schema(&mut keyword, input);
    }
    if !keyword.is_empty() {
        params.push_str(", *");
        param_starts.push(params.len() - 1);
        param_starts.extend(keyword_starts.iter().map(|start| params.len() + start));
        params.push_str(&keyword);
    }

    let mut body = String::with_capacity(128);
    if op.output.is_some() {
        body.push_str("return ");
    }
    body.push_str("await self._call(");
    // Where each argument of the call starts in `body`.
    let mut arg_starts = ArgStarts { starts: [body.len(); 6], len: 1 };
    let next_arg = |body: &mut String, arg_starts: &mut ArgStarts| {
        body.push_str(", ");
        arg_starts.starts[arg_starts.len] = body.len();
        arg_starts.len += 1;
    };
    push_py_str(&mut body, rest.method.as_str());
    next_arg(&mut body, &mut arg_starts);
    push_py_str(&mut body, &rest.path);
    if !path_values.is_empty() {
        next_arg(&mut body, &mut arg_starts);
        body.push_str("path_params={");
        body.push_str(&path_values);
        body.push('}');
    }
    if !query_values.is_empty() {
        next_arg(&mut body, &mut arg_starts);
        body.push_str("query={");
        body.push_str(&query_values);
        body.push('}');
    }
    if op.input.is_some() {
        next_arg(&mut body, &mut arg_starts);
        body.push_str("json=payload.model_dump(mode=\"json\", by_alias=True");
        if rest.method == Method::Patch {
            body.push_str(", exclude_unset=True");
        }
        body.push(')');
    }
    let returns = match (&op.output, output_class) {
        (None, _) => "None".to_string(),
        (Some(output), _) if output.list => {
            let mut returns = String::from("list[");
            scope.push_schema(&mut returns, &output.class);
            returns.push(']');
            scope.adapters.insert(&output.class);
            next_arg(&mut body, &mut arg_starts);
            body.push_str("parse=");
            body.push_str(&adapter_name(&output.class));
            body.push_str(".validate_json");
            returns
        }
        (Some(_), class) => {
            let class = class.unwrap_or_default();
            next_arg(&mut body, &mut arg_starts);
            body.push_str("parse=");
            body.push_str(&class);
            body.push_str(".model_validate_json");
            class
        }
    };
    body.push(')');
    Ok(MethodText {
        name: name.to_string(),
        params,
        param_starts,
        arg_starts,
        returns,
        doc: operation_doc(op, &idents).map(|d| py_doc(&d)),
        body,
    })
}

/// `_BookSummaryList`: the module-level `TypeAdapter(list[BookSummary])`.
fn adapter_name(class: &str) -> String {
    format!("_{class}List")
}

/// The docstring text of an operation: summary, description, and the parameters that have a
/// description (as an `Args:` section).
fn operation_doc(op: &Operation, idents: &[Cow<'_, str>]) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for text in [&op.summary, &op.description].into_iter().flatten() {
        if !text.trim().is_empty() {
            parts.push(text.trim().to_string());
        }
    }
    let first_line = parts.is_empty();
    let described: Vec<String> = op
        .params
        .iter()
        .zip(idents)
        .filter_map(|(p, ident)| {
            let mut d = p.description.as_deref().unwrap_or("").trim().to_string();
            if let (TypeRef::List(_), Some(default)) = (&p.ty, &p.default) {
                let sep = if d.is_empty() { "" } else { " " };
                d.push_str(&format!("{sep}Default when omitted: `{default}` (applied by the server)."));
            }
            (!d.is_empty()).then(|| format!("    {ident}: {}", d.replace('\n', "\n        ")))
        })
        .collect();
    if !described.is_empty() {
        if first_line {
            // A docstring starts with a summary line: the request, when the spec has none.
            if let Some(rest) = &op.rest {
                parts.push(format!("`{} {}`.", rest.method.as_str(), rest.path));
            }
        }
        parts.push(format!("Args:\n{}", described.join("\n")));
    }
    match parts.len() {
        0 => None,
        // A one-line docstring keeps its closing quotes on the line; longer ones end on a line
        // of their own.
        1 if !parts[0].contains('\n') => Some(parts.remove(0)),
        _ => Some(format!("{}\n", parts.join("\n\n"))),
    }
}

/// `clients/<svc>.py`.
fn service_module(ir: &Ir, service: &Service) -> Result<String, RenderError> {
    let class_name = client_class(&service.name);
    let mut scope = Scope::new(ir, std::slice::from_ref(&class_name));
    let names = method_names(service);
    let mut methods = Vec::with_capacity(names.len());
    for ((op, _), name) in rest_operations(service).zip(&names) {
        methods.push(method(&mut scope, name, op)?);
    }
    let mut imports = scope.stdlib_imports();
    if !scope.adapters.is_empty() {
        push_section(&mut imports, vec!["import pydantic".to_string()]);
    }
    let mut local = Vec::new();
    if scope.qualified && scope.uses_schemas {
        local.push("from .. import schemas".to_string());
    } else if !scope.names.is_empty() {
        local.push(format!("from ..schemas import {}", scope.names.iter().cloned().collect::<Vec<_>>().join(", ")));
    }
    local.push("from . import _http".to_string());
    push_section(&mut imports, local);
    let adapters: Vec<_> = scope
        .adapters
        .iter()
        .map(|class| {
            let spelled = if scope.qualified { format!("schemas.{class}") } else { class.to_string() };
            context! { name => adapter_name(class), class => spelled }
        })
        .collect();

    let sources: Vec<&str> = service.domains.iter().map(|d| d.file.as_str()).collect();
    let banner = banner("#", &sources);
    let var = env_var(&service.name);
    let module_doc = format!("Typed async client of the `{}` service.", service.name);
    let mut class_doc = format!("Client of the `{}` service.\n\n", service.name);
    if let Some(d) = service.description.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        class_doc.push_str(d);
        class_doc.push_str("\n\n");
    }
    class_doc.push_str(&format!(
        "Use it as `async with {class_name}() as client:`; outside `async with`\n\
         every method raises RuntimeError. `base_url` defaults to the environment\n\
         variable `{var}`. Connection failures and 5xx answers are retried\n\
         (see `_http`); other failures raise `_http.ApiError`.\n"
    ));
    let ctx = context! {
        banner => banner.trim_end(),
        module_doc => py_doc(&module_doc),
        imports => imports,
        adapters => adapters,
        class_name => class_name,
        class_doc => py_doc(&class_doc),
        env_var => var,
        methods => SPLICED,
    };
    let template = "client_service.py.j2";
    let around = render_around(template, ctx, 1)?;
    let mut pieces = around.pieces();
    let mut text = ModuleText::with_capacity(around.text_len() + methods_size(&methods));
    text.scanned_lines().push_str(pieces.next().unwrap_or_default());
    // The methods start on the line after `_env_var`.
    text.line_break();
    let mut line = Bracketed::default();
    methods.iter().for_each(|m| m.push_definition(&mut text, &mut line));
    let mut source = text.into_text();
    source.extend(pieces);
    layout_file(template, &source, ir.python_version)
}

/// Appends an import section, separated from the previous one by a blank line.
fn push_section(lines: &mut Vec<String>, section: Vec<String>) {
    if section.is_empty() {
        return;
    }
    if !lines.is_empty() {
        lines.push(String::new());
    }
    lines.extend(section);
}

/// `services/<consumer>/src/generated/clients.py`.
fn consumer_module(ir: &Ir, consumer: &Service, shared: &str) -> Result<String, RenderError> {
    // Consumed services in order of first mention, each with its operations in order, unique.
    let mut consumed: Vec<(&Service, Vec<&str>)> = Vec::new();
    let mut listed: BTreeSet<(&str, &str)> = BTreeSet::new();
    for entry in &consumer.consumes {
        let Some(service) = ir.services.iter().find(|s| s.name == entry.service) else {
            return Err(bug(format!("`{}` consumes unknown service `{}`", consumer.name, entry.service)));
        };
        let index = match consumed.iter().position(|(s, _)| s.name == service.name) {
            Some(i) => i,
            None => {
                consumed.push((service, Vec::new()));
                consumed.len() - 1
            }
        };
        for op in &entry.operations {
            if listed.insert((service.name.as_str(), op.as_str())) {
                consumed[index].1.push(op);
            }
        }
    }
    let own: Vec<String> =
        consumed.iter().flat_map(|(s, _)| [protocol_class(&s.name), client_class(&s.name)]).collect();
    let mut scope = Scope::new(ir, &own);
    let mut apis = Vec::new();
    for (service, ops) in &consumed {
        let names = method_names(service);
        let by_name: BTreeMap<&str, (&Operation, &str)> =
            rest_operations(service).zip(&names).map(|((op, _), name)| (op.name.as_str(), (op, &**name))).collect();
        let mut methods = Vec::new();
        for op_name in ops {
            let Some(&(op, name)) = by_name.get(op_name) else {
                continue; // validation rejects event-only operations in manifests
            };
            methods.push(method(&mut scope, name, op)?);
        }
        let protocol = protocol_class(&service.name);
        let client = client_class(&service.name);
        let doc = format!(
            "What `{}` calls on `{}`: the operations its manifest declares.\n\n\
             Calls of other operations of `{client}` do not type-check.\n",
            consumer.name, service.name
        );
        let factory_doc = format!(
            "A `{client}` typed as `{protocol}`.\n\n\
             Use it as `async with {}_client() as {}:`. `base_url` defaults to the\n\
             environment variable `{}`; `options` are those of `{client}`\n\
             (retries, timeout, headers, transport, sleep).\n",
            service.name,
            service.name,
            env_var(&service.name)
        );
        apis.push(context! {
            protocol => protocol,
            doc => py_doc(&doc),
            methods => {
                let mut text = String::with_capacity(methods_size(&methods));
                methods.iter().for_each(|m| m.push_declaration(&mut text));
                text
            },
            factory => format!("{}_client", service.name),
            factory_doc => py_doc(&factory_doc),
            module => format!("_{}", module_name(&service.name)),
            client => client,
        });
    }
    let mut imports = Vec::new();
    if !consumed.is_empty() {
        scope.modules.insert("contextlib");
        scope.modules.insert("typing");
        imports = scope.stdlib_imports();
        let mut section = vec![format!("from {shared} import clients as _clients")];
        if scope.qualified && scope.uses_schemas {
            section.push(format!("from {shared} import schemas"));
        }
        let mut modules: Vec<String> = consumed.iter().map(|(s, _)| module_name(&s.name)).collect();
        modules.sort();
        for m in modules {
            section.push(format!("from {shared}.clients import {m} as _{m}"));
        }
        if !scope.qualified && !scope.names.is_empty() {
            section.push(format!(
                "from {shared}.schemas import {}",
                scope.names.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        push_section(&mut imports, section);
    }
    let sources: Vec<&str> = consumer.manifest_file.iter().map(|p| p.as_str()).collect();
    let banner = banner("#", &sources);
    let module_doc = format!(
        "The services `{}` calls, limited to what its manifest declares.\n\n\
         For each consumed service: a Protocol of the declared operations and a\n\
         factory of the full client typed as that Protocol.\n",
        consumer.name
    );
    let ctx = context! {
        banner => banner.trim_end(),
        module_doc => py_doc(&module_doc),
        imports => imports,
        apis => apis,
    };
    python_file(ir, "client_consumer.py.j2", ctx)
}

fn bug(message: String) -> RenderError {
    RenderError { origin: "client".to_string(), message }
}

#[cfg(test)]
mod tests {
    use camino::Utf8PathBuf;

    use super::*;
    use crate::targets::Target;
    use crate::test_support::{load as project, text};
    use crate::Project;

    fn render_clients(project: &Project) -> FileSet {
        let mut opts = project.options.clone();
        opts.targets = [Target::Client].into_iter().collect();
        super::super::render(&project.ir, &opts).unwrap()
    }

    fn paths(files: &FileSet) -> Vec<String> {
        files.iter().map(|(p, _)| p.to_string()).collect()
    }

    #[test]
    fn bookshelf_files() {
        let project = project("../examples/bookshelf");
        let files = render_clients(&project);
        assert_eq!(
            paths(&files),
            [
                "services/notifications/src/generated/__init__.py",
                "services/notifications/src/generated/clients.py",
                "services/tg_bot/src/generated/__init__.py",
                "services/tg_bot/src/generated/clients.py",
                "shared/shared/generated/__init__.py",
                "shared/shared/generated/clients/__init__.py",
                "shared/shared/generated/clients/_http.py",
                "shared/shared/generated/clients/backend.py",
                "shared/shared/generated/clients/notifications.py",
            ]
        );
        let mut opts = project.options.clone();
        opts.targets = [Target::Client].into_iter().collect();
        let declared: Vec<String> =
            crate::targets::outputs(&project.names, &opts).into_iter().map(|o| o.path.to_string()).collect();
        assert_eq!(paths(&files), declared);
        insta::assert_snapshot!("bookshelf_backend_client", text(&files, "shared/shared/generated/clients/backend.py"));
        insta::assert_snapshot!("bookshelf_tg_bot_clients", text(&files, "services/tg_bot/src/generated/clients.py"));
        // A service with domains but no REST operation still gets its (empty) client.
        let notifications = text(&files, "shared/shared/generated/clients/notifications.py");
        assert!(notifications.contains("class NotificationsClient(_http.BaseClient):"));
        assert!(!notifications.contains("async def"));
    }

    #[test]
    fn keywords_and_defaults() {
        let files = render_clients(&project("tests/fixtures/good/keywords"));
        insta::assert_snapshot!("keywords_api_client", text(&files, "shared/shared/generated/clients/api.py"));
        let files = render_clients(&project("tests/fixtures/good/all-types"));
        insta::assert_snapshot!("all_types_probe_client", text(&files, "shared/shared/generated/clients/probe.py"));
    }

    #[test]
    fn no_services_no_clients() {
        assert!(render_clients(&project("tests/fixtures/good/minimal")).is_empty());
    }

    #[test]
    fn the_runtime_documents_the_retry_rules() {
        let files = render_clients(&project("../examples/bookshelf"));
        let runtime = text(&files, "shared/shared/generated/clients/_http.py");
        assert!(runtime.starts_with("# Code generated by specgen. DO NOT EDIT.\n"));
        for needle in [
            "RETRIED_ERRORS: tuple[type[httpx.TransportError], ...] = (",
            "max_retries: int = 3,",
            "initial_delay: float = 1.0,",
            "sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,",
            "delay = self._initial_delay * 2 ** (attempt - 1)",
            "if response.status_code < 500 or attempt == attempts:",
        ] {
            assert!(runtime.contains(needle), "{needle}");
        }
    }

    #[test]
    fn names() {
        assert_eq!(client_class("tg_bot"), "TgBotClient");
        assert_eq!(protocol_class("backend"), "BackendApi");
        assert_eq!(env_var("tg_bot"), "TG_BOT_API_URL");
        assert_eq!(module_name("class"), "class_");
        assert_eq!(module_name("backend"), "backend");
        assert_eq!(adapter_name("BookSummary"), "_BookSummaryList");
    }

    #[test]
    fn shared_module_drops_the_project_directory() {
        let mut opts = Options::default();
        assert_eq!(shared_module(&opts).unwrap(), "shared.generated");
        opts.roots.shared_package = Utf8PathBuf::from("lib/contracts/generated");
        assert_eq!(shared_module(&opts).unwrap(), "contracts.generated");
        opts.roots.shared_package = Utf8PathBuf::from("generated");
        assert_eq!(shared_module(&opts).unwrap(), "generated");
        opts.roots.shared_package = Utf8PathBuf::from("web/my-lib/generated");
        assert!(shared_module(&opts).is_err());
    }

    #[test]
    fn datetime_defaults_are_constructor_calls() {
        let lit = |s| datetime_literal("datetime", s).unwrap();
        assert_eq!(lit("2024-01-31T10:00:00Z"), "datetime.datetime(2024, 1, 31, 10, 0, tzinfo=datetime.UTC)");
        assert_eq!(lit("2024-01-31 10:00Z"), "datetime.datetime(2024, 1, 31, 10, 0, tzinfo=datetime.UTC)");
        assert_eq!(lit("2024-01-31T10:00:00+00:00"), "datetime.datetime(2024, 1, 31, 10, 0, tzinfo=datetime.UTC)");
        assert_eq!(
            lit("2024-01-31T10:00:05.25+02:00"),
            "datetime.datetime(2024, 1, 31, 10, 0, 5, 250000, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))"
        );
        assert_eq!(
            lit("2024-01-31T23:59:59.000001-05:30"),
            "datetime.datetime(2024, 1, 31, 23, 59, 59, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=-5, minutes=-30)))"
        );
        assert_eq!(parse_date("2024-02-09"), Some((2024, 2, 9)));
    }

    #[test]
    fn enum_members_follow_schemas_py() {
        let values: Vec<String> =
            ["a", "class", "class_", "title", "None", "mro", "x-y"].iter().map(|s| s.to_string()).collect();
        assert_eq!(enum_member_names(&values), ["a", "class__", "class_", "title_", "None_", "mro_", "x_y"]);
    }

    #[test]
    fn method_names_escape_keywords_builtins_and_modules() {
        let files = render_clients(&project("tests/fixtures/good/keywords"));
        let api = text(&files, "shared/shared/generated/clients/api.py");
        for def in
            ["async def import_(", "async def def_(", "async def return_(", "from_: str | None = None", "session_:"]
        {
            assert!(api.contains(def), "{def}");
        }
    }
}
