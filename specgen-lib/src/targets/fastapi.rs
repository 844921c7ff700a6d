//! Target `fastapi`: the service side of every service that has domain files.
//!
//! Files, per service with domain files (paths from input names only; `<src>` is
//! `<services_dir>/<svc>/src`, `<module>` the domain name with `_` appended when it is a Python
//! keyword, so a domain `class` lives in `routers/class_.py`):
//!
//! | path | kind | what |
//! |---|---|---|
//! | `<src>/generated/__init__.py`, `<src>/generated/routers/__init__.py` | generated | banner only |
//! | `<src>/generated/protocols.py` | generated | `class <Domain>ControllerProtocol(Protocol)` per domain |
//! | `<src>/generated/routers/<module>.py` | generated | `create_router(get_db, get_controller, get_broker=None)` |
//! | `<src>/generated/registry.py` | generated | `create_api_router(get_db, get_broker=None, *, <domain>_controller=None…)` |
//! | `<src>/generated/app.py` | generated | `create_app(get_db, *, get_broker=None, lifespan=None, title=…, …)` |
//! | `<src>/controllers/__init__.py`, `<src>/controllers/<module>.py` | scaffold | controller stubs |
//! | `<src>/main.py`, `<src>/database.py` | scaffold | the wiring and an async SQLAlchemy session |
//!
//! The contract is docs/generated-python.md. What this module decides on top of it:
//!
//! - **Signatures.** `async def <method>(self, session: AsyncSession, *, <params>, payload:
//!   <Input>) -> <Output>`: params keyword-only in spec order, no defaults (the router always
//!   passes every one), optional query params without a default `T | None`. No `*` when there is
//!   nothing after it.
//! - **Names.** Parameters: the spec name, `_` appended for keywords, `self`, `session`,
//!   `payload`, and `l`/`O`/`I` (pycodestyle E741, in ruff's default rules). Methods: the
//!   operation name, `_` appended for keywords, `l`, and the builtins and module names the
//!   annotations of the class use (a method `list` would shadow `list[...]` for the methods after
//!   it: class bodies are a scope). Inside a router, handler names also avoid the factory's own
//!   names (`router`, `get_db`…); a handler's own injected parameters (`session`, `controller`)
//!   step aside (`controller_`) for spec parameters, which the handler forwards under their
//!   Protocol names; a Python name that differs from the wire name carries `alias=`. Classes:
//!   `<Domain>ControllerProtocol` / `<Domain>Controller` with `_` appended while they collide
//!   with a schema class or enum. Framework names that a schema class shares (`Response`,
//!   `Path`, `Decimal`…) switch their module to a qualified import (`fastapi.Response`).
//! - **Bodies.** Operations without an output (or with a bodiless status: 1xx, 204, 205, 304)
//!   return `Response(status_code=<status>)` with `response_class=Response`, so the app's
//!   OpenAPI document has no response content for them, exactly like `openapi.json`.
//! - **Controllers.** `create_router` wraps `get_controller` in a zero-argument
//!   `new_controller()`: FastAPI inspects a dependency's parameters, and a class implementing a
//!   Protocol has `__init__(*args, **kwargs)`, which FastAPI would read as two required query
//!   parameters. The registry's default factory is `lambda: <Domain>Controller()`: instantiating
//!   the class makes mypy report a controller that lacks an operation added to the spec later
//!   (passing the class itself would not).
//! - **OpenAPI.** `operation_id`, `summary` and `description` as the spec has them, `name=` the
//!   operation when the handler's name had to be escaped (FastAPI's route name and the summary
//!   it makes up when there is none), and `openapi_tags` in the OpenAPI target's order, so that
//!   the app's `/openapi.json` agrees with `docs/openapi.json` (tests/it/fastapi.rs checks).
//! - **Sessions.** Routers inject `Depends(get_db, scope="function")`: the session dependency
//!   finishes (commits, or rolls back) before the response is sent, so a failed commit is a 500
//!   and not a lost write behind a 2xx.
//! - **Defaults.** Query defaults are Python values typed like the parameter; those that cannot
//!   be written in a signature without tripping ruff's B006/B008 (lists, UUIDs, datetimes) are
//!   module-level constants. Patterns that Pydantic's default (Rust) regex engine rejects
//!   (look-around, back-references) are checked by an `AfterValidator` using Python's `re`.
//! - **Imports.** Exactly what ruff's isort (default settings) wants when ruff runs for the
//!   service (`services/<svc>` or its `src/` as project root): `generated`, `controllers` and
//!   `database` are first-party, the shared package third-party.
//! - **Lint.** Every file is in ruff's layout (the templates' lines laid out by
//!   [`layout_module`]); a file with a line longer than 88 columns carries
//!   `# ruff: noqa: E501, RUF100` on its second line (as `schemas.py` does).
//!
//! Helpers that other Python targets may want (the annotation of a [`TypeRef`], parameter
//! defaults as Python values, ruff's isort order, enum member names as `schemas.py` spells
//! them) live here for now, to be consolidated with python.rs.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use camino::Utf8PathBuf;
use minijinja::{context, Value};

use crate::fileset::{FileKind, FileSet};
use crate::ir::{
    Domain, Ir, Operation, Param, ParamSource, Primitive, Service, ServiceKind, TypeRef, Value as JsonValue,
};
use crate::load::InputNames;

use super::python::{
    enum_member_names, escape_ident, exempt_long_lines, is_keyword, layout_module, pascal, py_decimal, py_doc,
    py_float, py_integer, py_number, py_regex, py_str, render_template, shared_module, unique_names, SHADOWED_BUILTINS,
};
use super::{banner, events, Options, OutputPath, RenderError, SCAFFOLD_HEADER};

mod event_adapter;

/// `info.version` of the app (the spec has no version field); equal to the OpenAPI target's.
const APP_VERSION: &str = "0.1.0";

/// Modules that annotations and defaults in a class body or in `create_router` may refer to
/// (imported whole, or the root of a qualified import). A method or handler called like one of
/// them would shadow it for the annotations that follow.
const MODULE_ROOTS: &[&str] =
    &["collections", "datetime", "decimal", "fastapi", "pydantic", "sqlalchemy", "typing", "uuid"];

/// Names pycodestyle calls ambiguous (E741 for variables and parameters, E743 for functions;
/// ruff's default rules include E7).
const AMBIGUOUS: &[&str] = &["I", "O", "l"];

/// Names a Protocol method's own parameters take.
const METHOD_OWN: &[&str] = &["self", "session", "payload"];

/// The name `events.py` is imported under: a leading `_` keeps it clear of every spec name.
const EVENTS_ALIAS: &str = "_events";

/// The local names of `create_router` besides the handlers.
const FACTORY_LOCALS: &[&str] = &["broker", "get_broker", "get_controller", "get_db", "new_controller", "router"];

// ---------------------------------------------------------------------------------------------
// Paths.

/// What a file of the target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    GeneratedInit,
    RoutersInit,
    Protocols,
    /// The router of the domain with this index (in the service's sorted domain order).
    Router(usize),
    Registry,
    App,
    EventAdapter,
    ControllersInit,
    /// The controller stub of the domain with this index.
    Controller(usize),
    Main,
    Database,
}

/// The Python module of a domain (`routers/<module>.py`, `controllers/<module>.py`): the domain
/// name, with `_` appended when it is a keyword. A function of the name only.
pub fn module_name(domain: &str) -> String {
    escape_ident(domain, |_| false)
}

/// Every file of a service with these domains (sorted by name), with its kind and role; `events`:
/// the project has events.yaml.
fn layout(opts: &Options, service: &str, domains: &[&str], events: bool) -> Vec<(Utf8PathBuf, FileKind, Role)> {
    let src = opts.roots.services_dir.join(service).join("src");
    let generated = src.join("generated");
    let controllers = src.join("controllers");
    let mut files = vec![
        (generated.join("__init__.py"), FileKind::Generated, Role::GeneratedInit),
        (generated.join("routers/__init__.py"), FileKind::Generated, Role::RoutersInit),
        (generated.join("protocols.py"), FileKind::Generated, Role::Protocols),
        (generated.join("registry.py"), FileKind::Generated, Role::Registry),
        (generated.join("app.py"), FileKind::Generated, Role::App),
        (controllers.join("__init__.py"), FileKind::Scaffold, Role::ControllersInit),
        (src.join("main.py"), FileKind::Scaffold, Role::Main),
        (src.join("database.py"), FileKind::Scaffold, Role::Database),
    ];
    if events {
        files.push((generated.join("event_adapter.py"), FileKind::Generated, Role::EventAdapter));
    }
    for (i, domain) in domains.iter().enumerate() {
        let module = module_name(domain);
        files.push((generated.join("routers").join(format!("{module}.py")), FileKind::Generated, Role::Router(i)));
        files.push((controllers.join(format!("{module}.py")), FileKind::Scaffold, Role::Controller(i)));
    }
    files
}

/// Renders the service code of every service with domain files.
pub fn render(ir: &Ir, opts: &Options) -> Result<FileSet, RenderError> {
    let mut files = FileSet::new();
    let services: Vec<&Service> = ir.services.iter().filter(|s| !s.domains.is_empty()).collect();
    if services.is_empty() {
        return Ok(files);
    }
    let shared = shared_module(opts)?;
    let schemas_module = format!("{shared}.schemas");
    let events_module = ir.events_file.as_ref().map(|_| format!("{shared}.events"));
    for service in services {
        let cx = ServiceCx::new(ir, service, &schemas_module, events_module.as_deref());
        let domains: Vec<&str> = service.domains.iter().map(|d| d.name.as_str()).collect();
        for (path, kind, role) in layout(opts, &service.name, &domains, events_module.is_some()) {
            let text = cx.file(role)?;
            match kind {
                FileKind::Generated => files.generated(path, text),
                FileKind::Scaffold => files.scaffold(path, text),
            }
        }
    }
    Ok(files)
}

/// The paths [`render`] writes, from input names only.
pub fn outputs(names: &InputNames, opts: &Options) -> Vec<OutputPath> {
    let mut paths = Vec::new();
    for (service, files) in names.services.iter().filter(|(_, f)| !f.domains.is_empty()) {
        let domains: Vec<&str> = files.domains.keys().map(String::as_str).collect();
        for (path, kind, _) in layout(opts, service, &domains, names.events.is_some()) {
            paths.push(OutputPath { path, kind });
        }
    }
    paths.sort();
    paths
}

// ---------------------------------------------------------------------------------------------
// Names.

/// True for a name a Protocol method may not take.
fn method_reserved(name: &str) -> bool {
    SHADOWED_BUILTINS.contains(&name) || MODULE_ROOTS.contains(&name) || AMBIGUOUS.contains(&name)
}

/// True for a name a Protocol method's spec parameter may not take.
fn param_reserved(name: &str) -> bool {
    METHOD_OWN.contains(&name) || AMBIGUOUS.contains(&name)
}

/// The names of one operation: its method, and the Python name of each parameter.
struct OpNames<'a> {
    op: &'a Operation,
    method: String,
    params: Vec<String>,
}

/// The names of one domain.
struct DomainNames<'a> {
    domain: &'a Domain,
    /// `routers/<module>.py`, `controllers/<module>.py`.
    module: String,
    /// `<Domain>ControllerProtocol`.
    protocol: String,
    /// `<Domain>Controller`.
    controller: String,
    /// Every operation, REST and event-only, in spec order.
    ops: Vec<OpNames<'a>>,
}

/// Computes the names of a service's domains.
fn domain_names<'a>(ir: &Ir, service: &'a Service) -> Vec<DomainNames<'a>> {
    let schema_name = |n: &str| ir.class(n).is_some() || ir.enum_(n).is_some();
    // Two domain names can share a PascalCase form (`a_1b`, `a1b`): later ones get `_`.
    let mut stems = BTreeSet::new();
    let mut out = Vec::new();
    for domain in &service.domains {
        let mut stem = pascal(&domain.name);
        loop {
            let protocol = format!("{stem}ControllerProtocol");
            let controller = format!("{stem}Controller");
            if !stems.contains(&stem) && !schema_name(&protocol) && !schema_name(&controller) {
                break;
            }
            stem.push('_');
        }
        stems.insert(stem.clone());
        let methods = unique_names(
            domain.operations.iter().map(|op| (op.name.as_str(), escape_ident(&op.name, method_reserved))),
            |n| is_keyword(n) || method_reserved(n),
        );
        let ops = domain
            .operations
            .iter()
            .zip(methods)
            .map(|(op, method)| {
                let params = unique_names(
                    op.params.iter().map(|p| (p.name.as_str(), escape_ident(&p.name, param_reserved))),
                    |n| is_keyword(n) || param_reserved(n),
                );
                OpNames { op, method, params }
            })
            .collect();
        out.push(DomainNames {
            domain,
            module: module_name(&domain.name),
            protocol: format!("{stem}ControllerProtocol"),
            controller: format!("{stem}Controller"),
            ops,
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Imports.

/// A name from a library that service modules import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Sym {
    AfterValidator,
    Annotated,
    Any,
    ApiRouter,
    AsyncIterator,
    AsyncSession,
    AwareDatetime,
    Body,
    Callable,
    Decimal,
    Depends,
    FastApi,
    Lifespan,
    Path,
    Protocol,
    Query,
    RedisBroker,
    Response,
    Uuid,
}

impl Sym {
    const ALL: [Sym; 19] = [
        Sym::AfterValidator,
        Sym::Annotated,
        Sym::Any,
        Sym::ApiRouter,
        Sym::AsyncIterator,
        Sym::AsyncSession,
        Sym::AwareDatetime,
        Sym::Body,
        Sym::Callable,
        Sym::Decimal,
        Sym::Depends,
        Sym::FastApi,
        Sym::Lifespan,
        Sym::Path,
        Sym::Protocol,
        Sym::Query,
        Sym::RedisBroker,
        Sym::Response,
        Sym::Uuid,
    ];

    fn name(self) -> &'static str {
        match self {
            Sym::AfterValidator => "AfterValidator",
            Sym::Annotated => "Annotated",
            Sym::Any => "Any",
            Sym::ApiRouter => "APIRouter",
            Sym::AsyncIterator => "AsyncIterator",
            Sym::AsyncSession => "AsyncSession",
            Sym::AwareDatetime => "AwareDatetime",
            Sym::Body => "Body",
            Sym::Callable => "Callable",
            Sym::Decimal => "Decimal",
            Sym::Depends => "Depends",
            Sym::FastApi => "FastAPI",
            Sym::Lifespan => "Lifespan",
            Sym::Path => "Path",
            Sym::Protocol => "Protocol",
            Sym::Query => "Query",
            Sym::RedisBroker => "RedisBroker",
            Sym::Response => "Response",
            Sym::Uuid => "UUID",
        }
    }

    fn module(self) -> &'static str {
        match self {
            Sym::Annotated | Sym::Any | Sym::Protocol => "typing",
            Sym::AsyncIterator | Sym::Callable => "collections.abc",
            Sym::AsyncSession => "sqlalchemy.ext.asyncio",
            Sym::AfterValidator | Sym::AwareDatetime => "pydantic",
            Sym::ApiRouter | Sym::Body | Sym::Depends | Sym::FastApi | Sym::Path | Sym::Query | Sym::Response => {
                "fastapi"
            }
            Sym::Decimal => "decimal",
            Sym::Lifespan => "starlette.types",
            Sym::Uuid => "uuid",
            Sym::RedisBroker => "faststream.redis",
        }
    }
}

/// Standard-library modules the service modules import.
const STDLIB: &[&str] =
    &["asyncio", "collections", "contextlib", "datetime", "decimal", "logging", "os", "re", "socket", "typing", "uuid"];

/// Top-level packages of the service's own source tree (ruff: first-party).
const FIRST_PARTY: &[&str] = &["controllers", "database", "generated"];

/// The imports of one module, collected while its pieces are written, printed in ruff's isort
/// order (default settings).
struct Imports<'a> {
    /// Modules whose names are spelled qualified (`fastapi.Response`) because a schema class or
    /// enum shares one of their names.
    qualified: &'a BTreeSet<&'static str>,
    /// The module schema classes come from.
    schemas: &'a str,
    /// `import x`.
    straight: BTreeSet<String>,
    /// `from x import a, b`.
    from: BTreeMap<String, BTreeSet<String>>,
    /// `from x import a as b`: (module, name, alias).
    aliased: BTreeSet<(String, String, String)>,
}

impl<'q> Imports<'q> {
    fn new(cx: &'q ServiceCx<'_>) -> Imports<'q> {
        Imports {
            qualified: &cx.qualified,
            schemas: cx.schemas_module,
            straight: BTreeSet::new(),
            from: BTreeMap::new(),
            aliased: BTreeSet::new(),
        }
    }

    /// The spelling of `sym`, imported.
    fn sym(&mut self, sym: Sym) -> String {
        let module = sym.module();
        if self.qualified.contains(module) {
            self.straight.insert(module.to_string());
            format!("{module}.{}", sym.name())
        } else {
            self.name(module, sym.name());
            sym.name().to_string()
        }
    }

    /// `from module import name`.
    fn name(&mut self, module: &str, name: &str) {
        self.from.entry(module.to_string()).or_default().insert(name.to_string());
    }

    /// `import module`; returns the module name.
    fn module(&mut self, module: &str) -> String {
        self.straight.insert(module.to_string());
        module.to_string()
    }

    /// A schema class or enum, imported.
    fn schema(&mut self, name: &str) -> String {
        let module = self.schemas;
        self.name(module, name);
        name.to_string()
    }

    /// `from module import name as alias`.
    fn alias(&mut self, module: &str, name: &str, alias: &str) {
        self.aliased.insert((module.to_string(), name.to_string(), alias.to_string()));
    }

    /// The import lines, sections separated by an empty string.
    fn lines(&self) -> Vec<String> {
        let section = |module: &str| {
            let root = module.split('.').next().unwrap_or(module);
            if STDLIB.contains(&root) {
                0
            } else if FIRST_PARTY.contains(&root) {
                2
            } else {
                1
            }
        };
        let mut straight: [Vec<&str>; 3] = Default::default();
        let mut from: [Vec<FromImport<'_>>; 3] = Default::default();
        for module in &self.straight {
            straight[section(module)].push(module);
        }
        for (module, names) in &self.from {
            let mut names: Vec<&str> = names.iter().map(String::as_str).collect();
            names.sort_by(|a, b| member_cmp(a, b));
            let statement = format!("from {module} import {}", names.join(", "));
            from[section(module)].push(FromImport { module, statement, first: names[0], alias: None });
        }
        for (module, name, alias) in &self.aliased {
            let statement = format!("from {module} import {name} as {alias}");
            from[section(module)].push(FromImport { module, statement, first: name, alias: Some(alias) });
        }
        let mut lines = Vec::new();
        for (mut straight, mut from) in straight.into_iter().zip(from) {
            if straight.is_empty() && from.is_empty() {
                continue;
            }
            if !lines.is_empty() {
                lines.push(String::new());
            }
            straight.sort_by(|a, b| module_cmp(a, b));
            from.sort_by(|a, b| {
                module_cmp(a.module, b.module)
                    .then_with(|| member_cmp(a.first, b.first))
                    .then_with(|| a.alias.is_some().cmp(&b.alias.is_some()))
                    .then_with(|| natord(a.alias.unwrap_or(""), b.alias.unwrap_or("")))
            });
            lines.extend(straight.into_iter().map(|m| format!("import {m}")));
            lines.extend(from.into_iter().map(|f| f.statement));
        }
        lines
    }
}

/// A `from` import statement, with what ruff sorts it by: the module, then its first member
/// (and that member's alias).
struct FromImport<'a> {
    module: &'a str,
    statement: String,
    first: &'a str,
    alias: Option<&'a str>,
}

/// ruff's module order: case-insensitively natural, then natural.
fn module_cmp(a: &str, b: &str) -> Ordering {
    natord(&a.to_lowercase(), &b.to_lowercase()).then_with(|| natord(a, b))
}

/// ruff's member order with `order-by-type`: constants (`UUID`), classes (`Book`), then the
/// rest, each case-insensitively natural, then natural.
fn member_cmp(a: &str, b: &str) -> Ordering {
    let kind = |n: &str| {
        let cased_upper = n.chars().any(char::is_uppercase) && !n.chars().any(char::is_lowercase);
        if n.len() > 1 && cased_upper {
            0
        } else if n.chars().next().is_some_and(char::is_uppercase) {
            1
        } else {
            2
        }
    };
    kind(a).cmp(&kind(b)).then_with(|| module_cmp(a, b))
}

/// Natural order (the `natord` crate's, which ruff's isort uses): runs of digits compare as
/// numbers (runs with a leading zero digit by digit), everything else by character.
fn natord(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    loop {
        match (a.get(i), b.get(j)) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(&x), Some(&y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (si, sj) = (i, j);
                while a.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                while b.get(j).is_some_and(u8::is_ascii_digit) {
                    j += 1;
                }
                let (ra, rb) = (&a[si..i], &b[sj..j]);
                let ord = if x == b'0' || y == b'0' {
                    // Digit by digit; a run that ends first is smaller.
                    ra.iter().zip(rb).map(|(p, q)| p.cmp(q)).find(|o| o.is_ne()).unwrap_or(ra.len().cmp(&rb.len()))
                } else {
                    // The longer run is larger; equal lengths compare by the first difference.
                    ra.len().cmp(&rb.len()).then_with(|| ra.cmp(rb))
                };
                if ord.is_ne() {
                    return ord;
                }
            }
            (Some(&x), Some(&y)) => {
                if x != y {
                    return x.cmp(&y);
                }
                i += 1;
                j += 1;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering.

/// Everything one service's files are rendered from.
struct ServiceCx<'a> {
    ir: &'a Ir,
    service: &'a Service,
    schemas_module: &'a str,
    /// The module of `events.py`, when the project has events.
    events_module: Option<&'a str>,
    qualified: BTreeSet<&'static str>,
    domains: Vec<DomainNames<'a>>,
    /// Enum name → member name of each value.
    members: BTreeMap<&'a str, BTreeMap<&'a str, String>>,
}

/// A method signature: parameters after `self` (joined), and the return annotation.
struct Signature {
    params: String,
    returns: String,
}

impl<'a> ServiceCx<'a> {
    fn new(ir: &'a Ir, service: &'a Service, schemas_module: &'a str, events_module: Option<&'a str>) -> ServiceCx<'a> {
        let schema_names: BTreeSet<&str> =
            ir.classes.iter().map(|c| c.name.as_str()).chain(ir.enums.iter().map(|e| e.name.as_str())).collect();
        let qualified = Sym::ALL.iter().filter(|s| schema_names.contains(s.name())).map(|s| s.module()).collect();
        let members = ir
            .enums
            .iter()
            .map(|e| (e.name.as_str(), e.values.iter().map(String::as_str).zip(enum_member_names(&e.values)).collect()))
            .collect();
        ServiceCx { ir, service, schemas_module, events_module, qualified, domains: domain_names(ir, service), members }
    }

    /// True when a REST operation of `domains` publishes its result.
    fn publishes<'d>(&self, mut domains: impl Iterator<Item = &'d Domain>) -> bool {
        self.events_module.is_some()
            && domains.any(|d| {
                d.operations
                    .iter()
                    .any(|op| op.rest.is_some() && op.events.as_ref().is_some_and(|e| e.publish_on_success.is_some()))
            })
    }

    /// True when an operation of the service subscribes to an event.
    fn subscribes(&self) -> bool {
        self.events_module.is_some()
            && self
                .service
                .domains
                .iter()
                .flat_map(|d| &d.operations)
                .any(|op| op.events.as_ref().is_some_and(|e| e.subscribe.is_some()))
    }

    /// True when the app must run a broker: a REST operation publishes, or an operation subscribes.
    fn uses_broker(&self) -> bool {
        self.publishes(self.service.domains.iter()) || self.subscribes()
    }

    fn file(&self, role: Role) -> Result<String, RenderError> {
        match role {
            Role::GeneratedInit | Role::RoutersInit => Ok(banner("#", &[])),
            Role::Protocols => self.protocols(),
            Role::Router(i) => self.router(&self.domains[i]),
            Role::Registry => self.registry(),
            Role::App => self.app(),
            Role::EventAdapter => self.event_adapter(),
            Role::ControllersInit => Ok(format!("{SCAFFOLD_HEADER}\n")),
            Role::Controller(i) => self.controller(&self.domains[i]),
            Role::Main => self.main(),
            Role::Database => self.database(),
        }
    }

    /// The banner naming the domain file of `domain`, or every domain file of the service.
    fn banner(&self, domain: Option<&DomainNames<'_>>) -> String {
        let files: Vec<&str> = match domain {
            Some(d) => vec![d.domain.file.as_str()],
            None => self.service.domains.iter().map(|d| d.file.as_str()).collect(),
        };
        banner("#", &files)
    }

    /// The annotation of a type, its names imported.
    fn annotation(&self, imports: &mut Imports<'_>, ty: &TypeRef) -> String {
        match ty {
            TypeRef::Primitive(p) => self.primitive(imports, *p),
            TypeRef::List(inner) => format!("list[{}]", self.annotation(imports, inner)),
            TypeRef::Dict(key, value) => {
                format!("dict[{}, {}]", self.primitive(imports, *key), self.annotation(imports, value))
            }
            TypeRef::Optional(inner) => format!("{} | None", self.annotation(imports, inner)),
            TypeRef::Enum(name) | TypeRef::Class(name) => imports.schema(name),
        }
    }

    fn primitive(&self, imports: &mut Imports<'_>, p: Primitive) -> String {
        match p {
            Primitive::Int => "int".into(),
            Primitive::Float => "float".into(),
            Primitive::String => "str".into(),
            Primitive::Bool => "bool".into(),
            Primitive::Datetime => imports.sym(Sym::AwareDatetime),
            // Always qualified: `from datetime import date` would make a parameter `date` unusable.
            Primitive::Date => format!("{}.date", imports.module("datetime")),
            Primitive::Uuid => imports.sym(Sym::Uuid),
            Primitive::Decimal => imports.sym(Sym::Decimal),
        }
    }

    /// The Protocol annotation of a parameter: its type, `| None` when it may be absent and has
    /// no default.
    fn param_annotation(&self, imports: &mut Imports<'_>, p: &Param) -> String {
        let ty = self.annotation(imports, &p.ty);
        if p.required || p.default.is_some() {
            ty
        } else {
            format!("{ty} | None")
        }
    }

    /// The return annotation of an operation (without importing anything for `None`).
    fn returns(&self, imports: &mut Imports<'_>, op: &Operation) -> String {
        match &op.output {
            None => "None".into(),
            Some(o) if o.list => format!("list[{}]", imports.schema(&o.class)),
            Some(o) => imports.schema(&o.class),
        }
    }

    /// The signature shared by the Protocol method and the controller stub.
    fn signature(&self, imports: &mut Imports<'_>, names: &OpNames<'_>) -> Signature {
        let session = imports.sym(Sym::AsyncSession);
        let mut params = vec!["self".to_string(), format!("session: {session}")];
        let mut keyword: Vec<String> = names
            .op
            .params
            .iter()
            .zip(&names.params)
            .map(|(p, name)| format!("{name}: {}", self.param_annotation(imports, p)))
            .collect();
        if let Some(input) = &names.op.input {
            keyword.push(format!("payload: {}", imports.schema(input)));
        }
        if !keyword.is_empty() {
            params.push("*".into());
            params.extend(keyword);
        }
        Signature { params: params.join(", "), returns: self.returns(imports, names.op) }
    }

    fn format(&self, origin: &str, source: &str) -> Result<String, RenderError> {
        let text = layout_module(origin, source, self.ir.python_version)?;
        Ok(exempt_long_lines(text))
    }

    fn render(&self, template: &str, ctx: Value) -> Result<String, RenderError> {
        let source = render_template(template, ctx)?;
        self.format(template, &source)
    }

    fn protocols(&self) -> Result<String, RenderError> {
        let mut imports = Imports::new(self);
        let protocol = imports.sym(Sym::Protocol);
        let mut domains = Vec::new();
        for d in &self.domains {
            let mut methods = Vec::new();
            for names in &d.ops {
                let sig = self.signature(&mut imports, names);
                let doc = operation_doc(names.op).map(|doc| py_doc(&doc));
                methods.push(context! { name => &names.method, params => sig.params, returns => sig.returns, doc });
            }
            let doc = py_doc(&format!(
                "Operations of the `{}` domain.\n\nImplemented by `controllers.{}.{}`.\n",
                d.domain.name, d.module, d.controller
            ));
            domains.push(context! { name => &d.protocol, doc, methods });
        }
        let module_doc =
            py_doc(&format!("Controller protocols of the `{}` service, one per domain.", self.service.name));
        self.render(
            "fastapi_protocols.py.j2",
            context! {
                banner => self.banner(None).trim_end(),
                module_doc,
                imports => imports.lines(),
                protocol,
                domains,
            },
        )
    }

    /// The type of `get_db`: a dependency yielding one session.
    fn get_db_type(&self, imports: &mut Imports<'_>) -> String {
        let callable = imports.sym(Sym::Callable);
        let iterator = imports.sym(Sym::AsyncIterator);
        let session = imports.sym(Sym::AsyncSession);
        format!("{callable}[[], {iterator}[{session}]]")
    }

    /// `from <shared> import events as _events`; only called when the project has events.
    fn import_events(&self, imports: &mut Imports<'_>) {
        if let Some((package, module)) = self.events_module.and_then(|m| m.rsplit_once('.')) {
            imports.alias(package, module, EVENTS_ALIAS);
        }
    }

    /// The type of `get_broker` (without the default): a factory of the FastStream broker once
    /// the service uses one; until then `Any`, so a service without events does not need
    /// FastStream installed, and the signature is the same either way.
    fn get_broker_type(&self, imports: &mut Imports<'_>) -> String {
        let broker = if self.uses_broker() { imports.sym(Sym::RedisBroker) } else { imports.sym(Sym::Any) };
        format!("{}[[], {broker}] | None", imports.sym(Sym::Callable))
    }

    fn router(&self, d: &DomainNames<'_>) -> Result<String, RenderError> {
        let mut imports = Imports::new(self);
        let api_router = imports.sym(Sym::ApiRouter);
        let get_db = self.get_db_type(&mut imports);
        let get_broker = self.get_broker_type(&mut imports);
        let protocol = d.protocol.clone();
        imports.name("generated.protocols", &protocol);
        let get_controller = format!("{}[[], {protocol}]", imports.sym(Sym::Callable));

        let mut router_args = Vec::new();
        if !d.domain.prefix.is_empty() {
            router_args.push(format!("prefix={}", py_str(&d.domain.prefix)));
        }
        let tags: Vec<String> = d.domain.tags.iter().map(|t| py_str(t)).collect();
        router_args.push(format!("tags=[{}]", tags.join(", ")));

        let mut module = RouterModule::default();
        let rest_ops: Vec<&OpNames<'_>> = d.ops.iter().filter(|o| o.op.rest.is_some()).collect();
        let handler_names = unique_names(
            rest_ops.iter().map(|o| (o.method.as_str(), escape_ident(&o.method, |n| FACTORY_LOCALS.contains(&n)))),
            |n| is_keyword(n) || method_reserved(n) || FACTORY_LOCALS.contains(&n),
        );
        let mut handlers = Vec::new();
        for (names, handler) in rest_ops.into_iter().zip(handler_names) {
            handlers.push(self.handler(&mut imports, &mut module, d, names, &handler, &protocol)?);
        }
        let module_doc = py_doc(&format!("REST routes of the `{}` domain.", d.domain.name));
        let publishes = self.publishes(std::iter::once(d.domain));
        let broker_doc = if publishes {
            "`get_broker` gives the broker that the results of `publish_on_success`\n\
             operations are published through (default: `events.get_broker`); they are\n\
             published after the controller returns and the session is committed.\n"
        } else {
            "`get_broker` is for operations that publish their result\n\
             (`publish_on_success`): accepted now, so that the first such operation never\n\
             changes this signature.\n"
        };
        let doc = py_doc(&format!(
            "The routes of the `{}` domain, delegating to the controller.\n\n\
             `get_db` and `get_controller` are called once per request.\n{broker_doc}",
            d.domain.name
        ));
        let redis_broker = publishes.then(|| imports.sym(Sym::RedisBroker));
        if publishes {
            self.import_events(&mut imports);
        }
        self.render(
            "fastapi_router.py.j2",
            context! {
                banner => self.banner(Some(d)).trim_end(),
                module_doc,
                imports => imports.lines(),
                constants => module.constants,
                checks => module.checks,
                get_db,
                get_controller,
                get_broker,
                api_router,
                protocol,
                doc,
                router_args => router_args.join(", "),
                handlers,
                redis_broker,
            },
        )
    }

    /// One route handler.
    fn handler(
        &self,
        imports: &mut Imports<'_>,
        module: &mut RouterModule,
        d: &DomainNames<'_>,
        names: &OpNames<'_>,
        handler: &str,
        protocol: &str,
    ) -> Result<Value, RenderError> {
        let op = names.op;
        let rest = op.rest.as_ref().ok_or_else(|| bug(format!("operation `{}` has no REST binding", op.name)))?;
        let path = rest.path.strip_prefix(d.domain.prefix.as_str()).ok_or_else(|| {
            bug(format!("path `{}` of `{}` does not start with its domain's prefix", rest.path, op.name))
        })?;
        // FastAPI refuses a route whose prefix and path are both empty; validation forbids an
        // empty full path, so an empty path has a prefix.
        let path = if path.is_empty() && d.domain.prefix.is_empty() { "/" } else { path };
        let bodiless = op.output.is_none() || !rest.body_allowed();

        // Names in the handler: spec parameters keep their Protocol names unless they shadow
        // what the body refers to; the handler's own parameters step aside for them.
        let response = bodiless.then(|| imports.sym(Sym::Response));
        let publish = match (&op.events, self.events_module) {
            (Some(events), Some(_)) => events.publish_on_success.as_deref(),
            _ => None,
        };
        let mut body_globals: Vec<String> =
            response.iter().map(|r| r.split('.').next().unwrap_or(r).to_string()).collect();
        if publish.is_some() {
            body_globals.extend(["broker".to_string(), EVENTS_ALIAS.to_string()]);
        }
        let local_names = unique_names(
            names.params.iter().map(|n| (n.as_str(), escape_ident(n, |x| body_globals.iter().any(|g| g == x)))),
            |n| is_keyword(n) || body_globals.iter().any(|g| g == n) || METHOD_OWN.contains(&n),
        );
        let own = |base: &str| {
            let mut name = base.to_string();
            while local_names.contains(&name) || body_globals.contains(&name) {
                name.push('_');
            }
            name
        };
        let (session, controller, result) = (own("session"), own("controller"), own("result"));

        let annotated = imports.sym(Sym::Annotated);
        let mut params = Vec::new();
        let mut call = vec![session.clone()];
        for ((p, kwarg), local) in op.params.iter().zip(&names.params).zip(&local_names) {
            params.push(self.handler_param(imports, module, &op.name, p, local, &annotated)?);
            call.push(format!("{kwarg}={local}"));
        }
        if let Some(input) = &op.input {
            let body = imports.sym(Sym::Body);
            params.push(format!("payload: {annotated}[{}, {body}()]", imports.schema(input)));
            call.push("payload=payload".into());
        }
        let depends = imports.sym(Sym::Depends);
        let session_type = imports.sym(Sym::AsyncSession);
        params.push(format!("{session}: {annotated}[{session_type}, {depends}(get_db, scope=\"function\")]"));
        params.push(format!("{controller}: {annotated}[{protocol}, {depends}(new_controller)]"));

        let mut route_args = vec![py_str(path)];
        let returns = match &response {
            Some(response) => {
                route_args.push(format!("status_code={}", rest.status));
                route_args.push(format!("response_class={response}"));
                response.clone()
            }
            None => {
                let returns = self.returns(imports, op);
                route_args.push(format!("response_model={returns}"));
                route_args.push(format!("status_code={}", rest.status));
                returns
            }
        };
        route_args.push(format!("operation_id={}", py_str(&op.name)));
        if handler != op.name {
            // The route's name (`url_for`, and the summary FastAPI makes up) is the operation's.
            route_args.push(format!("name={}", py_str(&op.name)));
        }
        for (key, text) in [("summary", &op.summary), ("description", &op.description)] {
            if let Some(text) = text.as_deref().filter(|t| !t.trim().is_empty()) {
                route_args.push(format!("{key}={}", py_str(text)));
            }
        }
        let call = format!("{controller}.{}({})", names.method, call.join(", "));
        let body = match (publish, &response) {
            (Some(event), response) => {
                // Committed before publishing: a consumer that reads the change back must
                // find it. The session dependency's own commit then has nothing left to do.
                let mut body = vec![
                    format!("{result} = await {call}"),
                    format!("await {session}.commit()"),
                    format!("await {EVENTS_ALIAS}.{}({result}, broker=broker())", events::publisher_name(event)),
                ];
                body.push(match response {
                    Some(response) => format!("return {response}(status_code={})", rest.status),
                    None => format!("return {result}"),
                });
                body
            }
            (None, Some(response)) => {
                vec![format!("await {call}"), format!("return {response}(status_code={})", rest.status)]
            }
            (None, None) => vec![format!("return await {call}")],
        };
        Ok(context! {
            method => rest.method.as_str().to_ascii_lowercase(),
            route_args => route_args.join(", "),
            name => handler,
            params => format!("*, {}", params.join(", ")),
            returns,
            body,
        })
    }

    /// A handler parameter: `name: Annotated[T, Query(...)] = default`.
    fn handler_param(
        &self,
        imports: &mut Imports<'_>,
        module: &mut RouterModule,
        op_name: &str,
        p: &Param,
        local: &str,
        annotated: &str,
    ) -> Result<String, RenderError> {
        let ty = self.annotation(imports, &p.ty);
        let optional = !p.required && p.default.is_none();
        let full_ty = if optional { format!("{ty} | None") } else { ty.clone() };
        let source = imports.sym(match p.source {
            ParamSource::Path => Sym::Path,
            ParamSource::Query => Sym::Query,
        });
        let mut args = Vec::new();
        if local != p.name {
            args.push(format!("alias={}", py_str(&p.name)));
        }
        let c = &p.constraints;
        for (key, bound) in [("ge", c.ge), ("gt", c.gt), ("le", c.le), ("lt", c.lt)] {
            if let Some(n) = bound {
                args.push(format!("{key}={}", py_number(n)));
            }
        }
        for (key, len) in [("min_length", c.min_length), ("max_length", c.max_length)] {
            if let Some(n) = len {
                args.push(format!("{key}={n}"));
            }
        }
        let mut validator = None;
        if let Some(pattern) = &c.pattern {
            if regex_syntax::Parser::new().parse(pattern).is_ok() {
                args.push(format!("pattern={}", py_regex(pattern)));
            } else {
                // Pydantic compiles `pattern` with Rust's `regex`, which has no look-around or
                // back-references: FastAPI would fail when the route is created. Python's `re`
                // checks it instead; the schema still shows the pattern.
                args.push(format!("json_schema_extra={{\"pattern\": {}}}", py_str(pattern)));
                let check = module.name(&format!("_check_{}_{}", op_name, p.name).to_lowercase());
                let re = imports.module("re");
                let (test, value_ty) = if optional {
                    ("value is not None and ".to_string(), full_ty.clone())
                } else {
                    (String::new(), ty.clone())
                };
                module.checks.push(format!(
                    "def {check}(value: {value_ty}) -> {value_ty}:\n    {}\n    if {test}{re}.search({}, value) is None:\n        raise ValueError({})\n    return value",
                    py_doc(&format!("`{}` matches the pattern (Python's `re`).", p.name)),
                    py_regex(pattern),
                    py_str(&format!("String should match pattern '{pattern}'")),
                ));
                validator = Some(format!("{}({check})", imports.sym(Sym::AfterValidator)));
            }
        }
        if let Some(description) = p.description.as_deref().filter(|d| !d.trim().is_empty()) {
            args.push(format!("description={}", py_str(description)));
        }
        let mut metadata = format!("{source}({})", args.join(", "));
        if let Some(validator) = validator {
            metadata = format!("{metadata}, {validator}");
        }
        let mut out = format!("{local}: {annotated}[{full_ty}, {metadata}]");
        if let Some(default) = &p.default {
            let value = self
                .default_value(imports, &p.ty, default)
                .map_err(|e| bug(format!("default of parameter `{}` of `{op_name}`: {e}", p.name)))?;
            let value = match value {
                Literal::Inline(text) => text,
                Literal::Constant(text) => {
                    let name = module.name(&format!("_{}_{}_default", op_name, p.name).to_uppercase());
                    module.constants.push(format!("{name}: {ty} = {text}"));
                    name
                }
            };
            out.push_str(" = ");
            out.push_str(&value);
        } else if optional {
            out.push_str(" = None");
        }
        Ok(out)
    }

    /// A parameter default as a Python value of type `ty`.
    fn default_value(&self, imports: &mut Imports<'_>, ty: &TypeRef, value: &JsonValue) -> Result<Literal, String> {
        let mismatch = || format!("{value} does not fit {ty:?}");
        Ok(match (ty, value) {
            (TypeRef::Primitive(p), value) => self.primitive_value(imports, *p, value).ok_or_else(mismatch)?,
            (TypeRef::Enum(name), JsonValue::String(s)) => {
                let member = self.members.get(name.as_str()).and_then(|m| m.get(s.as_str())).ok_or_else(mismatch)?;
                Literal::Inline(format!("{}.{member}", imports.schema(name)))
            }
            (TypeRef::List(inner), JsonValue::Array(items)) => {
                let items = items
                    .iter()
                    .map(|item| self.default_value(imports, inner, item).map(Literal::text))
                    .collect::<Result<Vec<_>, _>>()?;
                Literal::Constant(format!("[{}]", items.join(", ")))
            }
            _ => return Err(mismatch()),
        })
    }

    fn primitive_value(&self, imports: &mut Imports<'_>, p: Primitive, value: &JsonValue) -> Option<Literal> {
        Some(match (p, value) {
            (Primitive::Int, JsonValue::Number(n)) => Literal::Inline(py_integer(n)?),
            (Primitive::Float, JsonValue::Number(n)) => Literal::Inline(py_float(n.as_f64()?)),
            (Primitive::String, JsonValue::String(s)) => Literal::Inline(py_str(s)),
            (Primitive::Bool, JsonValue::Bool(b)) => Literal::Inline(if *b { "True" } else { "False" }.into()),
            (Primitive::Decimal, JsonValue::Number(n)) => {
                let text = py_integer(n).unwrap_or_else(|| n.to_string());
                Literal::Inline(py_decimal(&imports.sym(Sym::Decimal), &text))
            }
            (Primitive::Decimal, JsonValue::String(s)) => Literal::Inline(py_decimal(&imports.sym(Sym::Decimal), s)),
            (Primitive::Date, JsonValue::String(s)) => {
                let mut parts = s.splitn(3, '-').map(|part| part.parse::<u32>().ok());
                let (year, month, day) = (parts.next()??, parts.next()??, parts.next()??);
                Literal::Inline(format!("{}.date({year}, {month}, {day})", imports.module("datetime")))
            }
            (Primitive::Datetime, JsonValue::String(s)) => {
                Literal::Constant(format!("{}.datetime.fromisoformat({})", imports.module("datetime"), py_str(s)))
            }
            (Primitive::Uuid, JsonValue::String(s)) => {
                Literal::Constant(format!("{}({})", imports.sym(Sym::Uuid), py_str(s)))
            }
            _ => return None,
        })
    }

    fn registry(&self) -> Result<String, RenderError> {
        let mut imports = Imports::new(self);
        let api_router = imports.sym(Sym::ApiRouter);
        let get_db = self.get_db_type(&mut imports);
        let get_broker = self.get_broker_type(&mut imports);
        let domains = self.factory_kwargs(&mut imports, true);
        let doc = py_doc(&format!(
            "Every domain router of the `{}` service, wired.\n\n\
             The controller of a domain comes from `<domain>_controller` when given (any\n\
             callable returning an object that satisfies the domain's Protocol), else\n\
             from the class its module in `controllers` defines.\n",
            self.service.name
        ));
        let module_doc = py_doc(&format!("The API router of the `{}` service.", self.service.name));
        self.render(
            "fastapi_registry.py.j2",
            context! {
                banner => self.banner(None).trim_end(),
                module_doc,
                imports => imports.lines(),
                get_db,
                get_broker,
                api_router,
                doc,
                domains,
            },
        )
    }

    /// The `<domain>_controller` keyword arguments of the registry and the app; with
    /// `defaults`, also the router module and the default controller class of each domain.
    fn factory_kwargs(&self, imports: &mut Imports<'_>, defaults: bool) -> Vec<Value> {
        let callable = imports.sym(Sym::Callable);
        self.domains
            .iter()
            .map(|d| {
                imports.name("generated.protocols", &d.protocol);
                let routes = format!("{}_routes", d.domain.name);
                if defaults {
                    imports.alias("generated.routers", &d.module, &routes);
                    imports.name(&format!("controllers.{}", d.module), &d.controller);
                }
                context! {
                    kwarg => format!("{}_controller", d.domain.name),
                    factory => format!("{callable}[[], {}]", d.protocol),
                    routes,
                    controller => &d.controller,
                }
            })
            .collect()
    }

    /// The `openapi_tags` and `description` arguments of the service's `FastAPI(...)`, as
    /// Python source, so that its `/openapi.json` agrees with `docs/openapi.json`.
    fn app_metadata(&self) -> (Option<String>, Option<String>) {
        // The tags of the OpenAPI document, as the OpenAPI target lists them: in the order
        // first met over the domains' REST operations.
        let mut tags: Vec<&str> = Vec::new();
        for d in &self.service.domains {
            if d.operations.iter().any(|op| op.rest.is_some()) {
                for tag in &d.tags {
                    if !tags.contains(&tag.as_str()) {
                        tags.push(tag);
                    }
                }
            }
        }
        let openapi_tags = (!tags.is_empty()).then(|| {
            let items: Vec<String> = tags.iter().map(|t| format!("{{\"name\": {}}}", py_str(t))).collect();
            format!("[{}]", items.join(", "))
        });
        let description = self.service.description.as_deref().filter(|d| !d.trim().is_empty()).map(py_str);
        (openapi_tags, description)
    }

    fn app(&self) -> Result<String, RenderError> {
        let mut imports = Imports::new(self);
        let fastapi = imports.sym(Sym::FastApi);
        let get_db = self.get_db_type(&mut imports);
        let get_broker = self.get_broker_type(&mut imports);
        let lifespan = format!("{}[{fastapi}]", imports.sym(Sym::Lifespan));
        imports.name("generated.registry", "create_api_router");
        let domains = self.factory_kwargs(&mut imports, false);
        let broker = self.uses_broker().then(|| {
            self.import_events(&mut imports);
            imports.name("contextlib", "asynccontextmanager");
            let subscribers: Vec<String> = self
                .domains
                .iter()
                .filter(|d| d.ops.iter().any(|o| o.op.events.as_ref().is_some_and(|e| e.subscribe.is_some())))
                .map(|d| format!("{0}_controller={0}_controller", d.domain.name))
                .collect();
            if self.subscribes() {
                imports.name("generated.event_adapter", "create_event_adapter");
            }
            context! {
                subscribes => self.subscribes(),
                subscribers => subscribers.join(", "),
                iterator => imports.sym(Sym::AsyncIterator),
                any => imports.sym(Sym::Any),
                events => EVENTS_ALIAS,
            }
        });
        let (openapi_tags, description) = self.app_metadata();
        let broker_doc = if !self.uses_broker() {
            ""
        } else if self.subscribes() {
            "\nThe event broker (`get_broker`, default `events.get_broker`) runs with the\n\
             app: its subscribers (`event_adapter.py`) start before the first request and\n\
             stop after the last, around `lifespan`.\n"
        } else {
            "\nThe event broker (`get_broker`, default `events.get_broker`) is connected\n\
             before the first request and closed after the last, around `lifespan`.\n"
        };
        let doc = py_doc(&format!(
            "The `{}` app: every domain router, and `GET /health`.\n\n\
             `get_db` yields one session per request, `<domain>_controller` replaces the\n\
             default controller of a domain, `lifespan` is FastAPI's.\n{broker_doc}",
            self.service.name
        ));
        let module_doc = py_doc(&format!("The FastAPI app of the `{}` service.", self.service.name));
        self.render(
            "fastapi_app.py.j2",
            context! {
                banner => self.banner(None).trim_end(),
                module_doc,
                imports => imports.lines(),
                fastapi,
                get_db,
                get_broker,
                lifespan,
                title => py_str(&self.service.name),
                version => py_str(APP_VERSION),
                description,
                openapi_tags,
                doc,
                domains,
                broker,
            },
        )
    }

    fn controller(&self, d: &DomainNames<'_>) -> Result<String, RenderError> {
        let mut imports = Imports::new(self);
        imports.name("generated.protocols", &d.protocol);
        let methods: Vec<Value> = d
            .ops
            .iter()
            .map(|names| {
                let sig = self.signature(&mut imports, names);
                context! { name => &names.method, params => sig.params, returns => sig.returns }
            })
            .collect();
        let module_doc = py_doc(&format!("The business logic of the `{}` domain.", d.domain.name));
        let failures = if d.domain.operations.iter().any(|op| op.rest.is_some()) {
            "Raise `fastapi.HTTPException` for expected failures (e.g. 404)."
        } else {
            "An exception rolls the session back and has the message delivered again\n\
             (see `generated.event_adapter`)."
        };
        let doc = py_doc(&format!("Implements `{}`.\n\n{failures}\n", d.protocol));
        self.render(
            "fastapi_controller.py.j2",
            context! {
                header => SCAFFOLD_HEADER,
                module_doc,
                imports => imports.lines(),
                controller => &d.controller,
                protocol => &d.protocol,
                doc,
                methods,
            },
        )
    }

    /// `main.py`: `create_app` for a FastAPI service, a FastStream app for a
    /// `python-faststream` one. With `custom_wiring` (backlog "Full Router.py Generation"), this
    /// is the only file that differs: it includes the registry's router into an app of the
    /// user's own, so nothing generated has to change.
    fn main(&self) -> Result<String, RenderError> {
        if self.service.custom_wiring {
            let (openapi_tags, description) = self.app_metadata();
            let module_doc = py_doc(&format!(
                "The `{}` service, wired by hand (`custom_wiring: true`): `uvicorn main:app`, run\n\
                 from `src/`.\n\n\
                 `create_api_router` includes every domain router; add your own routes,\n\
                 middleware and startup code here.\n",
                self.service.name
            ));
            return self.render(
                "fastapi_main_custom.py.j2",
                context! {
                    header => SCAFFOLD_HEADER,
                    module_doc,
                    broker => self.uses_broker(),
                    subscribes => self.subscribes(),
                    events_package => self.events_module,
                    title => py_str(&self.service.name),
                    version => py_str(APP_VERSION),
                    description,
                    openapi_tags,
                },
            );
        }
        if let (ServiceKind::PythonFaststream, Some(events_package)) = (self.service.kind, self.events_module) {
            let module_doc = py_doc(&format!(
                "The `{}` worker: `python main.py`, run from `src/`.\n\n\
                 Its subscribers come from `generated.event_adapter`; to construct controllers\n\
                 yourself, pass `<domain>_controller=...` to `create_event_adapter`.\n",
                self.service.name
            ));
            return self
                .render("faststream_main.py.j2", context! { header => SCAFFOLD_HEADER, module_doc, events_package });
        }
        let module_doc = py_doc(&format!(
            "The `{}` service: `uvicorn main:app`, run from `src/`.\n\n\
             To construct controllers yourself, pass `<domain>_controller=...` to\n\
             `create_app`.\n",
            self.service.name
        ));
        self.render("fastapi_main.py.j2", context! { header => SCAFFOLD_HEADER, module_doc })
    }

    fn database(&self) -> Result<String, RenderError> {
        let module_doc = py_doc(&format!(
            "The database of the `{}` service: `DATABASE_URL` (default: a SQLite file).",
            self.service.name
        ));
        let default_url = py_str(&format!("sqlite+aiosqlite:///./{}.db", self.service.name));
        self.render("fastapi_database.py.j2", context! { header => SCAFFOLD_HEADER, module_doc, default_url })
    }
}

/// Module-level pieces of a router module, with the names they took.
#[derive(Default)]
struct RouterModule {
    constants: Vec<String>,
    checks: Vec<String>,
    names: BTreeSet<String>,
}

impl RouterModule {
    /// `base`, or `base` with `_` appended until it is unused in the module.
    fn name(&mut self, base: &str) -> String {
        let mut name = base.to_string();
        while self.names.contains(&name) {
            name.push('_');
        }
        self.names.insert(name.clone());
        name
    }
}

/// A default as Python source: inline in the signature, or a module-level constant (ruff's
/// B006/B008 forbid mutable values and most calls as argument defaults).
enum Literal {
    Inline(String),
    Constant(String),
}

impl Literal {
    fn text(self) -> String {
        match self {
            Literal::Inline(text) | Literal::Constant(text) => text,
        }
    }
}

/// The docstring text of an operation: summary, then description.
fn operation_doc(op: &Operation) -> Option<String> {
    let parts: Vec<&str> = [&op.summary, &op.description]
        .into_iter()
        .flatten()
        .map(|s| s.as_str())
        .filter(|s| !s.trim().is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

fn bug(message: String) -> RenderError {
    RenderError { origin: "fastapi".into(), message }
}

#[cfg(test)]
mod tests {
    use camino::Utf8PathBuf;

    use super::*;
    use crate::ir::{Class, Enum, Field};
    use crate::load::Input;
    use crate::targets::{pydantic, Target};
    use crate::test_support::{example, fixture, only, text};
    use crate::Project;

    fn load(root: Utf8PathBuf) -> Project {
        Project::load(&Input::Root(root.clone())).unwrap_or_else(|d| panic!("{root}:\n{d}"))
    }

    /// A project written from (path, text) pairs into a temporary directory.
    fn inline(files: &[(&str, &str)]) -> Project {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8PathBuf::try_from(dir.path().to_path_buf()).unwrap();
        for (path, text) in files {
            std::fs::create_dir_all(root.join(path).parent().unwrap()).unwrap();
            std::fs::write(root.join(path), text).unwrap();
        }
        load(root)
    }

    fn rendered(project: &Project) -> FileSet {
        render(&project.ir, &only(project, Target::Fastapi)).unwrap()
    }

    /// `needle` occurs in `haystack`, ignoring the layout ruff chose (line breaks, indentation,
    /// magic trailing commas).
    fn assert_has(haystack: &str, needle: &str) {
        let squash = |s: &str| {
            let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
            flat.replace("( ", "(")
                .replace("[ ", "[")
                .replace(" )", ")")
                .replace(" ]", "]")
                .replace(",)", ")")
                .replace(",]", "]")
                .trim_end_matches(',')
                .to_string()
        };
        assert!(squash(haystack).contains(&squash(needle)), "missing `{needle}` in:\n{haystack}");
    }

    const BACKEND: &str = "services/backend/src";

    #[test]
    fn bookshelf_backend() {
        let files = rendered(&example());
        let protocols = text(&files, &format!("{BACKEND}/generated/protocols.py"));
        let books = text(&files, &format!("{BACKEND}/generated/routers/books.py"));
        let registry = text(&files, &format!("{BACKEND}/generated/registry.py"));
        let app = text(&files, &format!("{BACKEND}/generated/app.py"));
        let controller = text(&files, &format!("{BACKEND}/controllers/books.py"));

        // The contract's examples, exactly.
        assert_has(&protocols, "class BooksControllerProtocol(Protocol):");
        assert_has(
            &protocols,
            "async def list_books(self, session: AsyncSession, *, status: ListBooksStatus | None, author_id: UUID | None, q: str | None, tag: list[str] | None, limit: int, offset: int,) -> list[BookSummary]:",
        );
        assert_has(
            &protocols,
            "async def create_book(self, session: AsyncSession, *, payload: BookCreate) -> BookRead:",
        );
        assert_has(&protocols, "async def delete_book(self, session: AsyncSession, *, book_id: UUID) -> None:");
        // List outputs.
        assert_has(&books, "response_model=list[BookSummary]");
        assert_has(&books, ") -> list[BookSummary]:");
        // 204: no body, Response class, declared status.
        assert_has(&books, "\"/{book_id}\", status_code=204, response_class=Response, operation_id=\"delete_book\"");
        assert_has(
            &books,
            "await controller.delete_book(session, book_id=book_id)\n        return Response(status_code=204)",
        );
        // Explicit status and sources.
        assert_has(&books, "response_model=BookFinished, status_code=200, operation_id=\"finish_book\"");
        assert_has(&books, "limit: Annotated[int, Query(ge=1, le=100)] = 20,");
        assert_has(
            &books,
            "q: Annotated[str | None, Query(min_length=2, max_length=100, description=\"Part of the title\")] = None,",
        );
        assert_has(&books, "book_id: Annotated[UUID, Path()],");
        assert_has(&books, "payload: Annotated[BookCreate, Body()],");
        assert_has(&books, "session: Annotated[AsyncSession, Depends(get_db, scope=\"function\")],");
        assert_has(&books, "router = APIRouter(prefix=\"/books\", tags=[\"books\"])");
        assert_has(
            &books,
            "def create_router(get_db: Callable[[], AsyncIterator[AsyncSession]], get_controller: Callable[[], BooksControllerProtocol], get_broker: Callable[[], RedisBroker] | None = None,) -> APIRouter:",
        );
        // Dual transport: committed, then published through the registry's broker.
        assert_has(
            &books,
            "result = await controller.create_book(session, payload=payload)\n        await session.commit()\n        await _events.publish_book_created(result, broker=broker())\n        return result",
        );
        assert_has(&books, "return get_broker() if get_broker is not None else _events.get_broker()");
        assert_has(&books, "from shared.generated import events as _events");
        // The app runs the broker around the user's lifespan, and hands it to the routers.
        assert_has(&app, "broker = (get_broker or _events.get_broker)()");
        assert_has(&app, "await broker.connect()");
        assert_has(&app, "finally:\n            await broker.stop()");
        assert_has(&app, "lifespan=run_broker,");
        assert_has(&app, "create_api_router(get_db, lambda: broker,");
        assert_has(&registry, "books_controller: Callable[[], BooksControllerProtocol] | None = None,");
        assert_has(&registry, "from controllers.books import BooksController");
        // Instantiated in a lambda, so that mypy reports a controller class missing an operation
        // (a method of the Protocol is abstract); passing the class would hide that.
        assert_has(
            &registry,
            "books_routes.create_router(get_db, books_controller or (lambda: BooksController()), get_broker)",
        );
        assert_has(&app, "separate_input_output_schemas=False");
        assert_has(&app, "@app.get(\"/health\", include_in_schema=False)");
        assert_has(&controller, "class BooksController(BooksControllerProtocol):");
        assert!(controller.starts_with(SCAFFOLD_HEADER));
        assert!(!controller.contains("DO NOT EDIT"));
        insta::assert_snapshot!("bookshelf_backend_protocols", protocols);
        insta::assert_snapshot!("bookshelf_backend_router_books", books);
        insta::assert_snapshot!("bookshelf_backend_registry", registry);
        insta::assert_snapshot!("bookshelf_backend_app", app);
        insta::assert_snapshot!("bookshelf_backend_controller_books", controller);
    }

    #[test]
    fn every_file_has_its_kind_and_first_line() {
        let files = rendered(&example());
        for (path, file) in files.iter() {
            let text = String::from_utf8(file.bytes.clone()).unwrap();
            match file.kind {
                FileKind::Generated => assert!(text.starts_with("# Code generated by specgen"), "{path}"),
                FileKind::Scaffold => {
                    assert!(text.starts_with(SCAFFOLD_HEADER), "{path}");
                    assert!(!text.contains("DO NOT EDIT"), "{path}");
                }
            }
            assert!(text.ends_with('\n') && !text.ends_with("\n\n"), "{path}: one final newline");
        }
        let scaffolds: Vec<&str> =
            files.iter().filter(|(_, f)| f.kind == FileKind::Scaffold).map(|(p, _)| p.as_str()).collect();
        assert!(SCAFFOLD_HEADER.len() <= crate::targets::python::LINE_LENGTH);
        assert_eq!(
            scaffolds,
            [
                "services/backend/src/controllers/__init__.py",
                "services/backend/src/controllers/authors.py",
                "services/backend/src/controllers/books.py",
                "services/backend/src/database.py",
                "services/backend/src/main.py",
                "services/notifications/src/controllers/__init__.py",
                "services/notifications/src/controllers/reading.py",
                "services/notifications/src/database.py",
                "services/notifications/src/main.py",
            ]
        );
    }

    #[test]
    fn a_domain_without_rest_operations_gets_an_empty_router_and_a_full_protocol() {
        let files = rendered(&example());
        let src = "services/notifications/src";
        let router = text(&files, &format!("{src}/generated/routers/reading.py"));
        assert_has(&router, "router = APIRouter(tags=[\"reading\"])");
        assert!(!router.contains("@router."), "{router}");
        let protocols = text(&files, &format!("{src}/generated/protocols.py"));
        assert_has(
            &protocols,
            "async def on_reading_progress(self, session: AsyncSession, *, payload: ReadingProgressRead) -> None:",
        );
        assert_has(
            &protocols,
            "async def on_book_finished(self, session: AsyncSession, *, payload: BookFinished) -> NotificationRead:",
        );
        // No REST operation: no tags in the app's document either.
        assert!(!text(&files, &format!("{src}/generated/app.py")).contains("openapi_tags"));
    }

    #[test]
    fn subscribers_are_registered_by_the_event_adapter() {
        let files = rendered(&example());
        let src = "services/notifications/src";
        let adapter = text(&files, &format!("{src}/generated/event_adapter.py"));
        assert_has(&adapter, "SERVICE = \"notifications\"");
        assert_has(&adapter, "reading_controller: Callable[[], ReadingControllerProtocol] | None = None,");
        assert_has(&adapter, "new_reading = reading_controller or (lambda: ReadingController())");
        assert_has(&adapter, "event=\"book_finished\", operation=\"on_book_finished\", message=schemas.BookFinished,");
        assert_has(&adapter, "call=lambda session, payload: new_reading().on_book_finished(session, payload=payload),");
        assert_has(&adapter, "on_success=lambda result: _events.publish_notification_sent(result, broker=broker),");
        assert_has(
            &adapter,
            "on_error=lambda failure: _events.publish_book_errors(_book_errors_message(failure), broker=broker),",
        );
        assert_has(&adapter, "for stream in _streams(\"book_finished\", consumer_name, retry_idle_ms):");
        // The error event is built from the failure, field by field, on wire names.
        assert_has(&adapter, "\"operation\": failure.operation,");
        assert_has(&adapter, "\"occurred_at\": failure.occurred_at,");
        // A FastAPI app of a subscribing service registers them and starts the broker.
        let app = text(&files, &format!("{src}/generated/app.py"));
        assert_has(&app, "create_event_adapter(broker, get_db, reading_controller=reading_controller)");
        assert_has(&app, "await broker.start()");
        // A service that subscribes to nothing gets an adapter that registers nothing.
        let backend = text(&files, "services/backend/src/generated/event_adapter.py");
        assert!(!backend.contains("broker.subscriber("), "{backend}");
        assert_has(&backend, "def create_event_adapter(");
        // The worker's scaffold is a FastStream app.
        let main = text(&files, &format!("{src}/main.py"));
        assert_has(&main, "create_event_adapter(broker, get_db)\napp = FastStream(broker)");
        insta::assert_snapshot!("bookshelf_notifications_event_adapter", adapter);
    }

    #[test]
    fn outputs_are_the_rendered_paths() {
        for project in [example(), fixture("keywords"), fixture("all-types"), fixture("no-models")] {
            let mut opts = only(&project, Target::Fastapi);
            opts.roots.services_dir = Utf8PathBuf::from("apps");
            let from_render: Vec<OutputPath> = render(&project.ir, &opts)
                .unwrap()
                .iter()
                .map(|(path, file)| OutputPath { path: path.to_owned(), kind: file.kind })
                .collect();
            assert_eq!(outputs(&project.names, &opts), from_render);
            assert!(from_render.iter().all(|o| o.path.starts_with("apps/")));
        }
    }

    #[test]
    fn keywords_are_escaped() {
        let files = rendered(&fixture("keywords"));
        let src = "services/api/src";
        // A domain called `class`: modules `class_`, classes from its PascalCase form.
        let router = text(&files, &format!("{src}/generated/routers/class_.py"));
        let controller = text(&files, &format!("{src}/controllers/class_.py"));
        let protocols = text(&files, &format!("{src}/generated/protocols.py"));
        let registry = text(&files, &format!("{src}/generated/registry.py"));
        assert_has(&registry, "from generated.routers import class_ as class_routes");
        assert_has(&registry, "from controllers.class_ import ClassController");
        assert_has(&registry, "class_controller: Callable[[], ClassControllerProtocol] | None = None,");
        assert_has(&controller, "class ClassController(ClassControllerProtocol):");
        // Operations called `import`, `def`, `return`; parameters called like keywords and like
        // the method's and handler's own parameters.
        assert_has(
            &protocols,
            "async def import_(self, session: AsyncSession, *, payload: ImportCreate) -> ImportRead:",
        );
        assert_has(
            &protocols,
            "async def def_(self, session: AsyncSession, *, from_: str | None, type: DefType | None, session_: str | None, controller: int, request: bool, self_: str | None,) -> list[Field]:",
        );
        assert_has(
            &protocols,
            "async def return_(self, session: AsyncSession, *, class_: int, lambda_: str) -> Decimal:",
        );
        // Handler: escaped names carry the wire name; the injected controller steps aside.
        assert_has(&router, "from_: Annotated[str | None, Query(alias=\"from\")] = None,");
        assert_has(&router, "session_: Annotated[str | None, Query(alias=\"session\")] = None,");
        assert_has(&router, "controller: Annotated[int, Query()] = 0,");
        assert_has(&router, "self_: Annotated[str | None, Query(alias=\"self\")] = None,");
        assert_has(&router, "controller_: Annotated[ClassControllerProtocol, Depends(new_controller)],");
        assert_has(&router, "return await controller_.def_(session, from_=from_, type=type, session_=session_, controller=controller, request=request, self_=self_)");
        assert_has(&router, "class_: Annotated[int, Path(alias=\"class\", ge=1)],");
        assert_has(&router, "lambda_: Annotated[str, Path(alias=\"lambda\")],");
        assert_has(&router, "async def import_(");
        assert_has(&router, "operation_id=\"import\", name=\"import\"");
        // A model called `Decimal` qualifies the `decimal` module (none is used here) and a
        // model called `Field` changes nothing: service modules do not import pydantic's.
        assert_has(
            &protocols,
            "from shared.generated.schemas import Decimal, DefType, Field, ImportCreate, ImportRead",
        );
    }

    /// Names and defaults the fixtures do not reach.
    fn edge() -> Project {
        inline(&[
            (
                "shared/spec/models.yaml",
                "models:\n  Item: {fields: {name: string}}\n  Response: {fields: {ok: bool}}\n",
            ),
            (
                "services/api/spec/things.yaml",
                r#"config: {rest: {prefix: "/t/{tenant}"}}
operations:
  list:
    output: list[Item]
    params:
      - {name: tenant}
      - {name: l, type: int, source: query, required: false}
      - {name: tags, type: "list[string]", source: query, default: [a]}
      - {name: ref, type: uuid, source: query, default: "123e4567-e89b-12d3-a456-426614174000"}
      - {name: day, type: date, source: query, default: "2024-01-05"}
      - {name: amount, type: decimal, source: query, default: "1.50"}
      - {name: order, type: enum, values: [asc, title], source: query, default: title}
      - {name: word, type: string, source: query, pattern: "^(?!x)\\w+$"}
      - {name: datetime, type: date, source: query, required: false}
    rest: {method: GET, path: ""}
  router:
    params: [{name: tenant}, {name: fastapi, type: int}]
    rest: {method: DELETE, path: "/{fastapi}"}
  ping: {params: [{name: tenant}], rest: {method: GET, path: /ping}}
"#,
            ),
        ])
    }

    #[test]
    fn names_defaults_and_patterns() {
        let files = rendered(&edge());
        let router = text(&files, "services/api/src/generated/routers/things.py");
        let protocols = text(&files, "services/api/src/generated/protocols.py");
        // A model called `Response` qualifies fastapi.
        assert_has(&router, "import fastapi");
        assert_has(&router, "return fastapi.Response(status_code=204)");
        // `list` would shadow `list[...]` in the class body; `router` the factory's router.
        assert_has(&protocols, "async def list_(self, session: AsyncSession, *, tenant: str, l_: int | None,");
        assert_has(&router, "async def list_(");
        assert_has(&router, "operation_id=\"list\", name=\"list\"");
        assert_has(&router, "async def router_(");
        assert_has(&router, "operation_id=\"router\", name=\"router\"");
        // `l` is ambiguous (E741): escaped, with the wire name.
        assert_has(&router, "l_: Annotated[int | None, fastapi.Query(alias=\"l\")] = None,");
        // Defaults: constants where ruff forbids them inline, values typed like the parameter.
        assert_has(&router, "_LIST_TAGS_DEFAULT: list[str] = [\"a\"]");
        assert_has(&router, "_LIST_REF_DEFAULT: UUID = UUID(\"123e4567-e89b-12d3-a456-426614174000\")");
        assert_has(&router, "tags: Annotated[list[str], fastapi.Query()] = _LIST_TAGS_DEFAULT,");
        assert_has(&router, "day: Annotated[datetime.date, fastapi.Query()] = datetime.date(2024, 1, 5),");
        assert_has(&router, "amount: Annotated[Decimal, fastapi.Query()] = Decimal(\"1.50\"),");
        // `title` is a str method: schemas.py calls the member `title_`.
        assert_has(&router, "order: Annotated[ListOrder, fastapi.Query()] = ListOrder.title_,");
        // Look-ahead: Python's `re` through an AfterValidator, the pattern still in the schema.
        assert_has(
            &router,
            "fastapi.Query(json_schema_extra={\"pattern\": \"^(?!x)\\\\w+$\"}), AfterValidator(_check_list_word)",
        );
        assert_has(&router, "if re.search(r\"^(?!x)\\w+$\", value) is None:");
        // A parameter called like a module the body uses steps aside in the handler only.
        assert_has(&router, "fastapi_: Annotated[int, fastapi.Path(alias=\"fastapi\")],");
        assert_has(&router, "await controller.router(session, tenant=tenant, fastapi=fastapi_)");
        assert_has(&protocols, "async def router(self, session: AsyncSession, *, tenant: str, fastapi: int) -> None:");
        // No output: an empty body under the declared status.
        assert_has(&router, "\"/ping\", status_code=200, response_class=fastapi.Response, operation_id=\"ping\"");
    }

    #[test]
    fn class_names_step_aside_for_schema_classes() {
        let project = inline(&[
            ("shared/spec/models.yaml", "models:\n  BooksControllerProtocol: {fields: {x: int}}\n"),
            (
                "services/s/spec/books.yaml",
                "operations:\n  get: {output: BooksControllerProtocol, rest: {method: GET, path: /b}}\n",
            ),
            ("services/s/spec/a_1b.yaml", "operations:\n  one: {rest: {method: GET, path: /o}}\n"),
            ("services/s/spec/a1b.yaml", "operations:\n  two: {rest: {method: GET, path: /t}}\n"),
        ]);
        let files = rendered(&project);
        let protocols = text(&files, "services/s/src/generated/protocols.py");
        assert_has(&protocols, "class Books_ControllerProtocol(Protocol):");
        assert_has(&protocols, "async def get(self, session: AsyncSession) -> BooksControllerProtocol:");
        assert_has(&protocols, "class A1bControllerProtocol(Protocol):");
        assert_has(&protocols, "class A1b_ControllerProtocol(Protocol):");
        let registry = text(&files, "services/s/src/generated/registry.py");
        assert_has(&registry, "from controllers.a1b import A1bController");
        assert_has(&registry, "from controllers.a_1b import A1b_Controller");
        assert_has(&registry, "from controllers.books import Books_Controller");
    }

    #[test]
    fn enum_members_match_schemas_py() {
        let values = ["class", "title", "title_", "value", "None", "upper", "mro", "a b", "count"];
        let e = Enum { name: "Kind".into(), values: values.iter().map(|v| v.to_string()).collect(), description: None };
        let field = Field {
            name: "kind".into(),
            ty: TypeRef::Enum("Kind".into()),
            required: true,
            nullable: false,
            default: None,
            readonly: false,
            description: None,
            constraints: Default::default(),
        };
        let class =
            Class { name: "K".into(), model: "K".into(), variant: None, description: None, fields: vec![field] };
        let ir = Ir {
            classes: vec![class],
            enums: vec![e.clone()],
            models_file: Some("shared/spec/models.yaml".into()),
            python_version: (3, 11),
            ..Ir::default()
        };
        let files = pydantic::render(&ir, &Options::default()).unwrap();
        let schemas = text(&files, "shared/shared/generated/schemas.py");
        for (value, member) in e.values.iter().zip(enum_member_names(&e.values)) {
            assert!(
                schemas.contains(&format!("    {member} = {}\n", py_str(value))),
                "{member} = {value:?} in:\n{schemas}"
            );
        }
    }

    #[test]
    fn imports_in_ruff_order() {
        let mut sorted = vec!["Item10", "item", "ID", "Item2", "APIRouter", "Any", "UUID", "A1"];
        sorted.sort_by(|a, b| member_cmp(a, b));
        assert_eq!(sorted, ["A1", "ID", "UUID", "Any", "APIRouter", "Item2", "Item10", "item"]);
        let mut modules =
            vec!["sqlalchemy.ext.asyncio", "shared.generated.schemas", "fastapi", "Fastapi", "a10", "a9", "a09"];
        modules.sort_by(|a, b| module_cmp(a, b));
        assert_eq!(
            modules,
            ["a09", "a9", "a10", "Fastapi", "fastapi", "shared.generated.schemas", "sqlalchemy.ext.asyncio"]
        );
        assert_eq!(natord("x2", "x10"), Ordering::Less);
        // Runs with a leading zero compare digit by digit (natord's "fractional" rule).
        assert_eq!(natord("x010", "x09"), Ordering::Less);
        assert_eq!(natord("x1", "x1a"), Ordering::Less);
    }

    #[test]
    fn no_services_no_files() {
        let project = fixture("minimal");
        assert!(rendered(&project).is_empty());
        assert!(outputs(&project.names, &only(&project, Target::Fastapi)).is_empty());
    }

    #[test]
    fn an_unimportable_shared_package_is_an_internal_error() {
        let project = example();
        let mut opts = only(&project, Target::Fastapi);
        opts.roots.shared_package = Utf8PathBuf::from("shared/my-lib/generated");
        let err = render(&project.ir, &opts).unwrap_err();
        assert!(err.message.contains("not an importable Python package"), "{}", err.message);
        // A custom importable root is used in the imports.
        opts.roots.shared_package = Utf8PathBuf::from("lib/contracts/generated");
        let files = render(&project.ir, &opts).unwrap();
        assert_has(
            &text(&files, "services/backend/src/generated/protocols.py"),
            "from contracts.generated.schemas import (",
        );
    }
}
