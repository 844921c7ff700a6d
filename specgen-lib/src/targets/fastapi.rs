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

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use camino::Utf8PathBuf;
use minijinja::{context, Value};

use crate::fileset::{FileKind, FileSet};
use crate::ir::{
    Domain, Ir, Number, Operation, Param, ParamSource, Primitive, Service, ServiceKind, TypeRef, Value as JsonValue,
};
use crate::load::InputNames;
use crate::parallel::each_in_two;

use super::python::{
    enum_member_names, escape_ident, escaped_ident, is_keyword, is_plain_code, layout_file, pascal, push_all,
    push_py_doc, push_py_str, py_decimal, py_doc, py_float, py_integer, py_regex, py_str, render_around,
    render_template, shared_module, unique_idents, Bracketed, ModuleText, LINE_LENGTH, SHADOWED_BUILTINS, SPLICED,
};
use super::{banner, decimal, events, Digits, Options, OutputPath, RenderError, SCAFFOLD_HEADER};
use crate::name_map::{NameMap, NameSet};

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
        let entries = layout(opts, &service.name, &domains, events_module.is_some());
        // A service's files are independent and it has two per domain: two threads share them
        // when fastapi is rendered alone (in the render queue, the other thread renders other
        // targets meanwhile).
        let texts = each_in_two(&entries, |&(_, _, role)| cx.file(role));
        for ((path, kind, _), text) in entries.into_iter().zip(texts) {
            let text = text?;
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

/// The names of one operation: its method, and the Python name of each parameter (borrowed from
/// the spec unless escaped).
struct OpNames<'a> {
    op: &'a Operation,
    method: Cow<'a, str>,
    params: Vec<Cow<'a, str>>,
}

/// The names of one domain.
struct DomainNames<'a> {
    domain: &'a Domain,
    /// `routers/<module>.py`, `controllers/<module>.py`.
    module: String,
    /// `controllers.<module>`.
    controllers_module: String,
    /// `<domain>_routes`: the registry's alias of the router module.
    routes: String,
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
    let mut out = Vec::with_capacity(service.domains.len());
    for domain in &service.domains {
        let mut stem = pascal(&domain.name);
        let (protocol, controller) = loop {
            let protocol = format!("{stem}ControllerProtocol");
            let controller = format!("{stem}Controller");
            if !stems.contains(&stem) && !schema_name(&protocol) && !schema_name(&controller) {
                break (protocol, controller);
            }
            stem.push('_');
        };
        stems.insert(stem);
        let methods = unique_idents(
            domain.operations.iter().map(|op| (op.name.as_str(), escaped_ident(&op.name, method_reserved))),
            |n| is_keyword(n) || method_reserved(n),
        );
        let ops = domain
            .operations
            .iter()
            .zip(methods)
            .map(|(op, method)| {
                let params = unique_idents(
                    op.params.iter().map(|p| (p.name.as_str(), escaped_ident(&p.name, param_reserved))),
                    |n| is_keyword(n) || param_reserved(n),
                );
                OpNames { op, method, params }
            })
            .collect();
        let module = module_name(&domain.name);
        out.push(DomainNames {
            domain,
            controllers_module: format!("controllers.{module}"),
            routes: format!("{}_routes", domain.name),
            module,
            protocol,
            controller,
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
    /// Every symbol, in declaration order (`ALL[sym as usize] == sym`).
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

    /// The bit of the symbol in a set of symbols.
    fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// How a service's modules spell each [`Sym`]: its name, or `module.Name` when a schema class
/// or enum shares a name of its module, which is then imported whole (`import fastapi`).
struct Spellings {
    /// Indexed by `Sym as usize`.
    spelled: Vec<Cow<'static, str>>,
    /// The symbols whose module is imported whole.
    qualified: u32,
}

impl Spellings {
    fn new(ir: &Ir) -> Spellings {
        let schema_name = |n: &str| ir.class(n).is_some() || ir.enum_(n).is_some();
        let modules: Vec<&str> = Sym::ALL.iter().filter(|s| schema_name(s.name())).map(|s| s.module()).collect();
        let mut qualified = 0;
        let spelled = Sym::ALL
            .iter()
            .map(|&sym| {
                if modules.contains(&sym.module()) {
                    qualified |= sym.bit();
                    Cow::Owned(format!("{}.{}", sym.module(), sym.name()))
                } else {
                    Cow::Borrowed(sym.name())
                }
            })
            .collect();
        Spellings { spelled, qualified }
    }
}

/// The schema classes and enums a service's modules refer to, in ruff's member order: sorted
/// once per service, so that each module's import of them is a set of ranks.
struct SchemaOrder<'a> {
    /// Every name, sorted by [`member_cmp`].
    names: Vec<&'a str>,
    /// Name → index in `names`.
    rank: NameMap<&'a str, usize>,
}

impl<'a> SchemaOrder<'a> {
    fn new(service: &'a Service) -> SchemaOrder<'a> {
        let mut seen = NameSet::default();
        for op in service.domains.iter().flat_map(|d| &d.operations) {
            seen.extend(op.input.as_deref());
            seen.extend(op.output.as_ref().map(|o| o.class.as_str()));
            for p in &op.params {
                schemas_of(&p.ty, &mut seen);
            }
        }
        // Sorted on keys computed once per name: for names without digits (nearly all), ruff's
        // order is the byte order of the lower-cased name, then of the name.
        let mut keyed: Vec<(u8, Option<String>, &str)> = seen
            .into_iter()
            .map(|name| {
                let folded =
                    (name.is_ascii() && !name.bytes().any(|b| b.is_ascii_digit())).then(|| name.to_ascii_lowercase());
                (member_kind(name), folded, name)
            })
            .collect();
        keyed.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0).then_with(|| match (&a.1, &b.1) {
                (Some(x), Some(y)) => x.cmp(y).then_with(|| a.2.cmp(b.2)),
                _ => module_cmp(a.2, b.2),
            })
        });
        let names: Vec<&str> = keyed.into_iter().map(|(_, _, name)| name).collect();
        let rank = names.iter().enumerate().map(|(i, &name)| (name, i)).collect();
        SchemaOrder { names, rank }
    }
}

/// The schema classes and enums a type refers to.
fn schemas_of<'t>(ty: &'t TypeRef, out: &mut NameSet<&'t str>) {
    match ty {
        TypeRef::Enum(name) | TypeRef::Class(name) => {
            out.insert(name);
        }
        TypeRef::List(inner) | TypeRef::Optional(inner) | TypeRef::Dict(_, inner) => schemas_of(inner, out),
        TypeRef::Primitive(_) => {}
    }
}

/// Standard-library modules the service modules import.
const STDLIB: &[&str] =
    &["asyncio", "collections", "contextlib", "datetime", "decimal", "logging", "os", "re", "socket", "typing", "uuid"];

/// Top-level packages of the service's own source tree (ruff: first-party).
const FIRST_PARTY: &[&str] = &["controllers", "database", "generated"];

/// The imports of one module, collected while its pieces are written, printed in ruff's isort
/// order (default settings). Everything is borrowed: the names come from the IR and the
/// service's context.
struct Imports<'a> {
    spellings: &'a Spellings,
    /// The module schema classes come from.
    schemas_module: &'a str,
    /// The [`Sym`]s used.
    syms: u32,
    /// The service's schema classes and enums.
    schema_order: &'a SchemaOrder<'a>,
    /// The schema classes and enums used: a bit per rank in `schema_order`.
    schemas: Vec<u64>,
    /// Schema names outside `schema_order` (none, as long as it lists every name a module
    /// can use).
    other_schemas: Vec<&'a str>,
    /// `import x`.
    straight: Vec<&'a str>,
    /// `from x import a`: (module, name).
    from: Vec<(&'a str, &'a str)>,
    /// `from x import a as b`: (module, name, alias).
    aliased: Vec<(&'a str, &'a str, &'a str)>,
}

/// One import statement of a module, with what ruff sorts it by.
struct Statement<'s> {
    /// Standard library, third party, first party.
    section: u8,
    /// `import x` before `from x import …` within a section.
    from: bool,
    module: &'s str,
    /// The first member imported (`""` for `import x`).
    first: &'s str,
    alias: Option<&'s str>,
    /// The members of a `from` statement without alias.
    members: Members,
}

/// Where the members of an import statement are.
enum Members {
    /// `import x`, or `from x import a as b`.
    None,
    /// A range of the sorted members.
    Range(std::ops::Range<usize>),
    /// The schema names, in order.
    Schemas,
}

impl<'a> Imports<'a> {
    fn new(cx: &'a ServiceCx<'_>) -> Imports<'a> {
        Imports {
            spellings: &cx.spellings,
            schemas_module: cx.schemas_module,
            syms: 0,
            schema_order: &cx.schema_order,
            schemas: Vec::new(),
            other_schemas: Vec::new(),
            straight: Vec::new(),
            from: Vec::new(),
            aliased: Vec::new(),
        }
    }

    /// The spelling of `sym`, imported.
    fn sym(&mut self, sym: Sym) -> &'a str {
        self.syms |= sym.bit();
        let spellings: &'a Spellings = self.spellings;
        &spellings.spelled[sym as usize]
    }

    /// `from module import name`.
    fn name(&mut self, module: &'a str, name: &'a str) {
        self.from.push((module, name));
    }

    /// `import module`; returns the module name.
    fn module(&mut self, module: &'a str) -> &'a str {
        if !self.straight.contains(&module) {
            self.straight.push(module);
        }
        module
    }

    /// A schema class or enum, imported.
    fn schema(&mut self, name: &'a str) -> &'a str {
        match self.schema_order.rank.get(name) {
            Some(&rank) => {
                if self.schemas.is_empty() {
                    self.schemas = vec![0; self.schema_order.names.len().div_ceil(64)];
                }
                self.schemas[rank / 64] |= 1 << (rank % 64);
            }
            None => self.other_schemas.push(name),
        }
        name
    }

    /// `from module import name as alias`.
    fn alias(&mut self, module: &'a str, name: &'a str, alias: &'a str) {
        self.aliased.push((module, name, alias));
    }

    /// The import lines, sections separated by an empty line, without a final line break.
    fn text(&self) -> String {
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
        // Every `from` member: (module, member kind, member), in ruff's order of modules and
        // then of members, without duplicates.
        let mut members: Vec<(&str, u8, &str)> = Vec::with_capacity(self.from.len() + self.schemas.len() + 8);
        let mut straight: Vec<&str> = self.straight.clone();
        for sym in Sym::ALL {
            if self.syms & sym.bit() == 0 {
                continue;
            }
            if self.spellings.qualified & sym.bit() != 0 {
                if !straight.contains(&sym.module()) {
                    straight.push(sym.module());
                }
            } else {
                members.push((sym.module(), member_kind(sym.name()), sym.name()));
            }
        }
        members.extend(self.from.iter().map(|&(module, name)| (module, member_kind(name), name)));
        // The schema names, in order already (the ranks): sorted with the rest only when the
        // module has names from elsewhere.
        let ranked = self.schemas.iter().enumerate().flat_map(|(word, &bits)| {
            let mut bits = bits;
            std::iter::from_fn(move || {
                let bit = bits.trailing_zeros() as usize;
                bits &= bits.checked_sub(1)?;
                Some(self.schema_order.names[word * 64 + bit])
            })
        });
        let mut schemas: Vec<&str> = Vec::new();
        if self.other_schemas.is_empty() && !members.iter().any(|m| m.0 == self.schemas_module) {
            schemas.extend(ranked);
        } else {
            let others = self.other_schemas.iter().copied();
            members.extend(ranked.chain(others).map(|name| (self.schemas_module, member_kind(name), name)));
        }
        members.sort_unstable_by(|a, b| {
            module_cmp(a.0, b.0).then_with(|| a.1.cmp(&b.1)).then_with(|| module_cmp(a.2, b.2))
        });
        members.dedup();

        let mut statements: Vec<Statement<'_>> = Vec::new();
        for module in straight {
            let section = section(module);
            statements.push(Statement { section, from: false, module, first: "", alias: None, members: Members::None });
        }
        let mut start = 0;
        while start < members.len() {
            let module = members[start].0;
            let end = start + members[start..].iter().take_while(|m| m.0 == module).count();
            let section = section(module);
            let first = members[start].2;
            let members = Members::Range(start..end);
            statements.push(Statement { section, from: true, module, first, alias: None, members });
            start = end;
        }
        if let Some(&first) = schemas.first() {
            let section = section(self.schemas_module);
            let module = self.schemas_module;
            statements.push(Statement { section, from: true, module, first, alias: None, members: Members::Schemas });
        }
        let mut aliased = self.aliased.clone();
        aliased.sort_unstable();
        aliased.dedup();
        for (module, name, alias) in aliased {
            let section = section(module);
            statements.push(Statement {
                section,
                from: true,
                module,
                first: name,
                alias: Some(alias),
                members: Members::None,
            });
        }
        statements.sort_unstable_by(|a, b| {
            a.section
                .cmp(&b.section)
                .then_with(|| a.from.cmp(&b.from))
                .then_with(|| module_cmp(a.module, b.module))
                .then_with(|| member_cmp(a.first, b.first))
                .then_with(|| a.alias.is_some().cmp(&b.alias.is_some()))
                .then_with(|| natord(a.alias.unwrap_or(""), b.alias.unwrap_or("")))
        });

        let mut text = String::with_capacity(64 * statements.len() + 32 * members.len());
        for (i, s) in statements.iter().enumerate() {
            if i > 0 {
                text.push('\n');
                if statements[i - 1].section != s.section {
                    text.push('\n');
                }
            }
            if !s.from {
                text.push_str("import ");
                text.push_str(s.module);
                continue;
            }
            text.push_str("from ");
            text.push_str(s.module);
            text.push_str(" import ");
            match s.alias {
                Some(alias) => {
                    text.push_str(s.first);
                    text.push_str(" as ");
                    text.push_str(alias);
                }
                None => match &s.members {
                    Members::Range(range) => push_joined(&mut text, members[range.clone()].iter().map(|m| m.2)),
                    Members::Schemas => push_joined(&mut text, schemas.iter().copied()),
                    Members::None => {}
                },
            }
        }
        text
    }
}

/// Appends `items` separated by `, `.
fn push_joined<'s>(out: &mut String, items: impl Iterator<Item = &'s str>) {
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(item);
    }
}

/// ruff's module order: case-insensitively natural, then natural.
fn module_cmp(a: &str, b: &str) -> Ordering {
    let folded = if a.is_ascii() && b.is_ascii() {
        natord_by(a.as_bytes(), b.as_bytes(), |c| c.to_ascii_lowercase())
    } else {
        natord(&a.to_lowercase(), &b.to_lowercase())
    };
    folded.then_with(|| natord(a, b))
}

/// The kind of a member in ruff's `order-by-type`: constants (`UUID`) 0, classes (`Book`) 1,
/// the rest 2.
fn member_kind(n: &str) -> u8 {
    let cased_upper = n.chars().any(char::is_uppercase) && !n.chars().any(char::is_lowercase);
    if n.len() > 1 && cased_upper {
        0
    } else if n.chars().next().is_some_and(char::is_uppercase) {
        1
    } else {
        2
    }
}

/// ruff's member order with `order-by-type`: constants (`UUID`), classes (`Book`), then the
/// rest, each case-insensitively natural, then natural.
fn member_cmp(a: &str, b: &str) -> Ordering {
    member_kind(a).cmp(&member_kind(b)).then_with(|| module_cmp(a, b))
}

/// Natural order (the `natord` crate's, which ruff's isort uses): runs of digits compare as
/// numbers (runs with a leading zero digit by digit), everything else by character.
fn natord(a: &str, b: &str) -> Ordering {
    natord_by(a.as_bytes(), b.as_bytes(), |c| c)
}

/// [`natord`] of two byte strings, non-digit bytes compared as `fold` maps them (ASCII case
/// folding leaves digits alone).
fn natord_by(a: &[u8], b: &[u8], fold: impl Fn(u8) -> u8) -> Ordering {
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
                let (x, y) = (fold(x), fold(y));
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
    spellings: Spellings,
    schema_order: SchemaOrder<'a>,
    domains: Vec<DomainNames<'a>>,
    /// Enum name → member name of each value, for the enums parameter defaults use.
    members: BTreeMap<&'a str, BTreeMap<&'a str, String>>,
    /// A REST operation of the service publishes its result.
    publishes: bool,
    /// An operation of the service subscribes to an event.
    subscribes: bool,
}

/// The enums a type refers to.
fn enums_of<'t>(ty: &'t TypeRef, out: &mut BTreeSet<&'t str>) {
    match ty {
        TypeRef::Enum(name) => {
            out.insert(name);
        }
        TypeRef::List(inner) | TypeRef::Optional(inner) | TypeRef::Dict(_, inner) => enums_of(inner, out),
        TypeRef::Primitive(_) | TypeRef::Class(_) => {}
    }
}

impl<'a> ServiceCx<'a> {
    fn new(ir: &'a Ir, service: &'a Service, schemas_module: &'a str, events_module: Option<&'a str>) -> ServiceCx<'a> {
        let ops = || service.domains.iter().flat_map(|d| &d.operations);
        let mut defaulted_enums = BTreeSet::new();
        for p in ops().flat_map(|op| &op.params).filter(|p| p.default.is_some()) {
            enums_of(&p.ty, &mut defaulted_enums);
        }
        let members = defaulted_enums
            .into_iter()
            .filter_map(|name| ir.enum_(name))
            .map(|e| (e.name.as_str(), e.values.iter().map(String::as_str).zip(enum_member_names(&e.values)).collect()))
            .collect();
        let events = events_module.is_some();
        let publishes = events
            && ops().any(|op| op.rest.is_some() && op.events.as_ref().is_some_and(|e| e.publish_on_success.is_some()));
        let subscribes = events && ops().any(|op| op.events.as_ref().is_some_and(|e| e.subscribe.is_some()));
        ServiceCx {
            ir,
            service,
            schemas_module,
            events_module,
            spellings: Spellings::new(ir),
            schema_order: SchemaOrder::new(service),
            domains: domain_names(ir, service),
            members,
            publishes,
            subscribes,
        }
    }

    /// True when a REST operation of `domain` publishes its result.
    fn domain_publishes(&self, domain: &Domain) -> bool {
        self.events_module.is_some()
            && domain
                .operations
                .iter()
                .any(|op| op.rest.is_some() && op.events.as_ref().is_some_and(|e| e.publish_on_success.is_some()))
    }

    /// True when an operation of the service subscribes to an event.
    fn subscribes(&self) -> bool {
        self.subscribes
    }

    /// True when the app must run a broker: a REST operation publishes, or an operation subscribes.
    fn uses_broker(&self) -> bool {
        self.publishes || self.subscribes
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

    /// Writes the annotation of a type, its names imported.
    fn annotation(&'a self, imports: &mut Imports<'a>, ty: &'a TypeRef, out: &mut String) {
        match ty {
            TypeRef::Primitive(p) => out.push_str(self.primitive(imports, *p)),
            TypeRef::List(inner) => {
                out.push_str("list[");
                self.annotation(imports, inner, out);
                out.push(']');
            }
            TypeRef::Dict(key, value) => {
                out.push_str("dict[");
                out.push_str(self.primitive(imports, *key));
                out.push_str(", ");
                self.annotation(imports, value, out);
                out.push(']');
            }
            TypeRef::Optional(inner) => {
                self.annotation(imports, inner, out);
                out.push_str(" | None");
            }
            TypeRef::Enum(name) | TypeRef::Class(name) => out.push_str(imports.schema(name)),
        }
    }

    fn primitive(&'a self, imports: &mut Imports<'a>, p: Primitive) -> &'a str {
        match p {
            Primitive::Int => "int",
            Primitive::Float => "float",
            Primitive::String => "str",
            Primitive::Bool => "bool",
            Primitive::Datetime => imports.sym(Sym::AwareDatetime),
            // Always qualified: `from datetime import date` would make a parameter `date` unusable.
            Primitive::Date => {
                imports.module("datetime");
                "datetime.date"
            }
            Primitive::Uuid => imports.sym(Sym::Uuid),
            Primitive::Decimal => imports.sym(Sym::Decimal),
        }
    }

    /// Writes the Protocol annotation of a parameter: its type, `| None` when it may be absent
    /// and has no default.
    fn param_annotation(&'a self, imports: &mut Imports<'a>, p: &'a Param, out: &mut String) {
        self.annotation(imports, &p.ty, out);
        if !p.required && p.default.is_none() {
            out.push_str(" | None");
        }
    }

    /// Writes the return annotation of an operation (without importing anything for `None`).
    fn returns(&'a self, imports: &mut Imports<'a>, op: &'a Operation, out: &mut String) {
        match &op.output {
            None => out.push_str("None"),
            Some(o) if o.list => {
                out.push_str("list[");
                out.push_str(imports.schema(&o.class));
                out.push(']');
            }
            Some(o) => out.push_str(imports.schema(&o.class)),
        }
    }

    /// Writes the `def` line shared by the Protocol method and the controller stub to `line`,
    /// up to the return annotation (the caller ends it with `:` or `: ...`):
    /// `    async def <method>(self, session: AsyncSession, *, <params>) -> <returns>`.
    fn signature(&'a self, imports: &mut Imports<'a>, names: &'a OpNames<'a>, line: &mut Bracketed) {
        line.open("    ", &["async def ", &names.method]);
        line.item().push_str("self");
        let session = imports.sym(Sym::AsyncSession);
        push_all(line.item(), &["session: ", session]);
        let mut star = false;
        for (p, name) in names.op.params.iter().zip(&names.params) {
            if !star {
                line.item().push('*');
                star = true;
            }
            let out = line.item();
            push_all(out, &[name, ": "]);
            self.param_annotation(imports, p, out);
        }
        if let Some(input) = &names.op.input {
            if !star {
                line.item().push('*');
            }
            let schema = imports.schema(input);
            push_all(line.item(), &["payload: ", schema]);
        }
        let out = line.close();
        out.push_str(" -> ");
        self.returns(imports, names.op, out);
    }

    fn format(&self, origin: &str, source: &str) -> Result<String, RenderError> {
        layout_file(origin, source, self.ir.python_version)
    }

    fn render(&self, template: &str, ctx: Value) -> Result<String, RenderError> {
        let source = render_template(template, ctx)?;
        self.format(template, &source)
    }

    fn protocols(&self) -> Result<String, RenderError> {
        let mut imports = Imports::new(self);
        let protocol = imports.sym(Sym::Protocol);
        let mut line = Bracketed::default();
        let mut doc_text = String::new();
        let mut domains = Vec::with_capacity(self.domains.len());
        // The methods of every domain, one domain after the other, spliced into the template's
        // text at the end.
        let ops: usize = self.domains.iter().map(|d| d.ops.len()).sum();
        let mut methods = ModuleText::with_capacity(160 * ops);
        let mut ranges = Vec::with_capacity(self.domains.len());
        for d in &self.domains {
            // Each method after a blank line: its `def` line, then its docstring, or `...` on
            // the `def` line when it has none (as ruff writes stubs).
            for names in &d.ops {
                self.signature(&mut imports, names, &mut line);
                methods.line_break();
                if operation_doc(names.op, &mut doc_text) {
                    line.text.push(':');
                    line.push_to(&mut methods, true);
                    methods.line_break();
                    // One line of plain text is a docstring as ruff normalizes it.
                    let normalized = !doc_text.contains('\n')
                        && is_plain_code(&doc_text)
                        && !doc_text.starts_with(' ')
                        && !doc_text.contains('"');
                    let out = methods.lines(normalized);
                    out.push_str("        ");
                    push_py_doc(out, &doc_text);
                } else {
                    line.text.push_str(": ...");
                    line.push_to(&mut methods, true);
                }
                methods.line_break();
            }
            let start = ranges.last().map_or(0, |r: &std::ops::Range<usize>| r.end);
            ranges.push(start..methods.end_piece());
            let doc = py_doc(&format!(
                "Operations of the `{}` domain.\n\nImplemented by `controllers.{}.{}`.\n",
                d.domain.name, d.module, d.controller
            ));
            domains.push(context! { name => &d.protocol, doc, methods => SPLICED });
        }
        let methods = methods.into_text();
        let module_doc =
            py_doc(&format!("Controller protocols of the `{}` service, one per domain.", self.service.name));
        let template = "fastapi_protocols.py.j2";
        let ctx = context! {
            banner => self.banner(None).trim_end(),
            module_doc,
            imports => imports.text(),
            protocol,
            domains,
        };
        let around = render_around(template, ctx, ranges.len())?;
        let mut source = String::with_capacity(around.text_len() + methods.len());
        let mut pieces = around.pieces();
        source.push_str(pieces.next().unwrap_or_default());
        for (range, piece) in ranges.into_iter().zip(pieces) {
            source.push_str(&methods[range]);
            source.push_str(piece);
        }
        self.format(template, &source)
    }

    /// The type of `get_db`: a dependency yielding one session.
    fn get_db_type(&'a self, imports: &mut Imports<'a>) -> String {
        let callable = imports.sym(Sym::Callable);
        let iterator = imports.sym(Sym::AsyncIterator);
        let session = imports.sym(Sym::AsyncSession);
        format!("{callable}[[], {iterator}[{session}]]")
    }

    /// `from <shared> import events as _events`; only called when the project has events.
    fn import_events(&'a self, imports: &mut Imports<'a>) {
        if let Some((package, module)) = self.events_module.and_then(|m| m.rsplit_once('.')) {
            imports.alias(package, module, EVENTS_ALIAS);
        }
    }

    /// The type of `get_broker` (without the default): a factory of the FastStream broker once
    /// the service uses one; until then `Any`, so a service without events does not need
    /// FastStream installed, and the signature is the same either way.
    fn get_broker_type(&'a self, imports: &mut Imports<'a>) -> String {
        let broker = if self.uses_broker() { imports.sym(Sym::RedisBroker) } else { imports.sym(Sym::Any) };
        format!("{}[[], {broker}] | None", imports.sym(Sym::Callable))
    }

    fn router(&'a self, d: &'a DomainNames<'a>) -> Result<String, RenderError> {
        let mut imports = Imports::new(self);
        let api_router = imports.sym(Sym::ApiRouter);
        let get_db = self.get_db_type(&mut imports);
        let get_broker = self.get_broker_type(&mut imports);
        let protocol = d.protocol.as_str();
        imports.name("generated.protocols", protocol);
        let get_controller = format!("{}[[], {protocol}]", imports.sym(Sym::Callable));

        let mut router_args = String::new();
        if !d.domain.prefix.is_empty() {
            router_args.push_str("prefix=");
            push_py_str(&mut router_args, &d.domain.prefix);
            router_args.push_str(", ");
        }
        router_args.push_str("tags=[");
        for (i, tag) in d.domain.tags.iter().enumerate() {
            if i > 0 {
                router_args.push_str(", ");
            }
            push_py_str(&mut router_args, tag);
        }
        router_args.push(']');

        let mut module = RouterModule::default();
        let rest_ops: Vec<&OpNames<'_>> = d.ops.iter().filter(|o| o.op.rest.is_some()).collect();
        let handler_names = unique_idents(
            rest_ops.iter().map(|o| (&*o.method, escaped_ident(&o.method, |n| FACTORY_LOCALS.contains(&n)))),
            |n| is_keyword(n) || method_reserved(n) || FACTORY_LOCALS.contains(&n),
        );
        // The handlers are written here rather than looped over in the template: a large
        // service has thousands, and the template engine costs more per value it prints than
        // the copying does.
        let mut line = Bracketed::default();
        let mut handlers = ModuleText::with_capacity(640 * rest_ops.len());
        for (names, handler) in rest_ops.into_iter().zip(&handler_names) {
            self.handler(&mut imports, &mut module, d, names, handler, &mut line, &mut handlers)?;
        }
        let handlers = handlers.into_text();
        let module_doc = py_doc(&format!("REST routes of the `{}` domain.", d.domain.name));
        let publishes = self.domain_publishes(d.domain);
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
                imports => imports.text(),
                constants => module.constants,
                checks => module.checks,
                get_db,
                get_controller,
                get_broker,
                api_router,
                protocol,
                doc,
                router_args,
                handlers,
                redis_broker,
            },
        )
    }

    /// Appends one route handler to `out`, after a blank line: its decorator, `def` line and
    /// body, indented in `create_router` (`line`: scratch space).
    #[allow(clippy::too_many_arguments)]
    fn handler(
        &'a self,
        imports: &mut Imports<'a>,
        module: &mut RouterModule,
        d: &DomainNames<'_>,
        names: &'a OpNames<'a>,
        handler: &str,
        line: &mut Bracketed,
        out: &mut ModuleText,
    ) -> Result<(), RenderError> {
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
        let mut globals = [""; 3];
        let mut count = 0;
        if let Some(response) = response {
            globals[0] = response.split('.').next().unwrap_or(response);
            count = 1;
        }
        if publish.is_some() {
            globals[count..count + 2].copy_from_slice(&["broker", EVENTS_ALIAS]);
            count += 2;
        }
        let body_globals = &globals[..count];
        // Without globals in the body (the common case), every parameter keeps its name.
        let local_names: Cow<'_, [Cow<'_, str>]> = if body_globals.is_empty() {
            Cow::Borrowed(&names.params)
        } else {
            Cow::Owned(unique_idents(
                names.params.iter().map(|n| (&**n, escaped_ident(n, |x| body_globals.contains(&x)))),
                |n| is_keyword(n) || body_globals.contains(&n) || METHOD_OWN.contains(&n),
            ))
        };
        let own = |base: &'static str| -> Cow<'static, str> {
            let taken = |name: &str| local_names.iter().any(|l| l.as_ref() == name) || body_globals.contains(&name);
            if !taken(base) {
                return Cow::Borrowed(base);
            }
            let mut name = base.to_string();
            while taken(&name) {
                name.push('_');
            }
            Cow::Owned(name)
        };
        let (session, controller, result) = (own("session"), own("controller"), own("result"));

        // The route.
        let mut digits = Digits::default();
        let status = decimal(rest.status.into(), &mut digits);
        line.open("    ", &["@router.", rest.method.lower_case()]);
        push_py_str(line.item(), path);
        match response {
            Some(response) => {
                push_all(line.item(), &["status_code=", status]);
                push_all(line.item(), &["response_class=", response]);
            }
            None => {
                let arg = line.item();
                arg.push_str("response_model=");
                self.returns(imports, op, arg);
                push_all(line.item(), &["status_code=", status]);
            }
        }
        let arg = line.item();
        arg.push_str("operation_id=");
        push_py_str(arg, &op.name);
        if handler != op.name {
            // The route's name (`url_for`, and the summary FastAPI makes up) is the operation's.
            let arg = line.item();
            arg.push_str("name=");
            push_py_str(arg, &op.name);
        }
        for (key, text) in [("summary=", &op.summary), ("description=", &op.description)] {
            if let Some(text) = text.as_deref().filter(|t| !t.trim().is_empty()) {
                let arg = line.item();
                arg.push_str(key);
                push_py_str(arg, text);
            }
        }
        line.close();
        out.line_break();
        line.push_to(out, false);

        // The parameters.
        let annotated = imports.sym(Sym::Annotated);
        line.open("    ", &["async def ", handler]);
        line.item().push('*');
        for (p, local) in op.params.iter().zip(local_names.iter()) {
            self.handler_param(imports, module, &op.name, p, local, annotated, line.item())?;
        }
        if let Some(input) = &op.input {
            let body = imports.sym(Sym::Body);
            let schema = imports.schema(input);
            push_all(line.item(), &["payload: ", annotated, "[", schema, ", ", body, "()]"]);
        }
        let depends = imports.sym(Sym::Depends);
        let session_type = imports.sym(Sym::AsyncSession);
        push_all(
            line.item(),
            &[&session, ": ", annotated, "[", session_type, ", ", depends, "(get_db, scope=\"function\")]"],
        );
        push_all(line.item(), &[&controller, ": ", annotated, "[", &d.protocol, ", ", depends, "(new_controller)]"]);
        let returns = line.close();
        returns.push_str(" -> ");
        match response {
            Some(response) => returns.push_str(response),
            None => self.returns(imports, op, returns),
        }
        returns.push(':');
        out.line_break();
        line.push_to(out, true);

        // The body: the controller call, forwarding every parameter under its Protocol name.
        let call = |line: &mut Bracketed, prefix: &str| {
            line.open("        ", &[prefix, &controller, ".", &names.method]);
            line.item().push_str(&session);
            for (kwarg, local) in names.params.iter().zip(local_names.iter()) {
                push_all(line.item(), &[kwarg, "=", local]);
            }
            if op.input.is_some() {
                line.item().push_str("payload=payload");
            }
            line.close();
        };
        // The statements of the body, one per line: final when they fit (the layout pass splits
        // those that do not).
        let statement = |out: &mut ModuleText, parts: &[&str]| {
            out.line_break();
            let width = 8 + parts.iter().map(|part| part.len()).sum::<usize>();
            let out = out.lines(width <= LINE_LENGTH && parts.iter().all(|part| is_plain_code(part)));
            out.push_str("        ");
            push_all(out, parts);
        };
        match (publish, response) {
            (Some(event), response) => {
                // Committed before publishing: a consumer that reads the change back must
                // find it. The session dependency's own commit then has nothing left to do.
                // (The assignment is left flat: the layout pass splits it.)
                call(line, "");
                statement(out, &[&result, " = await ", &line.text[8..]]);
                statement(out, &["await ", &session, ".commit()"]);
                let publisher = events::publisher_name(event);
                statement(out, &["await ", EVENTS_ALIAS, ".", &publisher, "(", &result, ", broker=broker())"]);
                match response {
                    Some(response) => statement(out, &["return ", response, "(status_code=", status, ")"]),
                    None => statement(out, &["return ", &result]),
                }
            }
            (None, Some(response)) => {
                call(line, "await ");
                out.line_break();
                line.push_to(out, false);
                statement(out, &["return ", response, "(status_code=", status, ")"]);
            }
            (None, None) => {
                call(line, "return await ");
                out.line_break();
                line.push_to(out, false);
            }
        }
        out.line_break();
        Ok(())
    }

    /// Writes a handler parameter: `name: Annotated[T, Query(...)] = default`.
    #[allow(clippy::too_many_arguments)]
    fn handler_param(
        &'a self,
        imports: &mut Imports<'a>,
        module: &mut RouterModule,
        op_name: &str,
        p: &'a Param,
        local: &str,
        annotated: &str,
        out: &mut String,
    ) -> Result<(), RenderError> {
        out.push_str(local);
        out.push_str(": ");
        out.push_str(annotated);
        out.push('[');
        let ty_start = out.len();
        self.annotation(imports, &p.ty, out);
        let ty_end = out.len();
        let optional = !p.required && p.default.is_none();
        if optional {
            out.push_str(" | None");
        }
        let full_ty_end = out.len();
        out.push_str(", ");
        out.push_str(imports.sym(match p.source {
            ParamSource::Path => Sym::Path,
            ParamSource::Query => Sym::Query,
        }));
        out.push('(');
        let args_start = out.len();
        let arg = |out: &mut String, key: &str| {
            if out.len() > args_start {
                out.push_str(", ");
            }
            out.push_str(key);
            out.push('=');
        };
        if local != p.name {
            arg(out, "alias");
            push_py_str(out, &p.name);
        }
        let c = &p.constraints;
        for (key, bound) in [("ge", c.ge), ("gt", c.gt), ("le", c.le), ("lt", c.lt)] {
            if let Some(n) = bound {
                arg(out, key);
                match n {
                    Number::Int(i) => {
                        let _ = write!(out, "{i}");
                    }
                    Number::Float(f) => out.push_str(&py_float(f)),
                }
            }
        }
        for (key, len) in [("min_length", c.min_length), ("max_length", c.max_length)] {
            if let Some(n) = len {
                arg(out, key);
                let _ = write!(out, "{n}");
            }
        }
        let mut validator = None;
        if let Some(pattern) = &c.pattern {
            if regex_syntax::Parser::new().parse(pattern).is_ok() {
                arg(out, "pattern");
                out.push_str(&py_regex(pattern));
            } else {
                // Pydantic compiles `pattern` with Rust's `regex`, which has no look-around or
                // back-references: FastAPI would fail when the route is created. Python's `re`
                // checks it instead; the schema still shows the pattern.
                arg(out, "json_schema_extra");
                let _ = write!(out, "{{\"pattern\": {}}}", py_str(pattern));
                let check = module.name(&format!("_check_{}_{}", op_name, p.name).to_lowercase());
                let re = imports.module("re");
                let (test, value_ty) = if optional {
                    ("value is not None and ", &out[ty_start..full_ty_end])
                } else {
                    ("", &out[ty_start..ty_end])
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
            arg(out, "description");
            push_py_str(out, description);
        }
        out.push(')');
        if let Some(validator) = validator {
            out.push_str(", ");
            out.push_str(&validator);
        }
        out.push(']');
        if let Some(default) = &p.default {
            let value = self
                .default_value(imports, &p.ty, default)
                .map_err(|e| bug(format!("default of parameter `{}` of `{op_name}`: {e}", p.name)))?;
            out.push_str(" = ");
            match value {
                Literal::Inline(text) => out.push_str(&text),
                Literal::Constant(text) => {
                    let name = module.name(&format!("_{}_{}_default", op_name, p.name).to_uppercase());
                    module.constants.push(format!("{name}: {} = {text}", &out[ty_start..ty_end]));
                    out.push_str(&name);
                }
            }
        } else if optional {
            out.push_str(" = None");
        }
        Ok(())
    }

    /// A parameter default as a Python value of type `ty`.
    fn default_value(
        &'a self,
        imports: &mut Imports<'a>,
        ty: &'a TypeRef,
        value: &JsonValue,
    ) -> Result<Literal, String> {
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

    fn primitive_value(&'a self, imports: &mut Imports<'a>, p: Primitive, value: &JsonValue) -> Option<Literal> {
        Some(match (p, value) {
            (Primitive::Int, JsonValue::Number(n)) => Literal::Inline(py_integer(n)?),
            (Primitive::Float, JsonValue::Number(n)) => Literal::Inline(py_float(n.as_f64()?)),
            (Primitive::String, JsonValue::String(s)) => Literal::Inline(py_str(s)),
            (Primitive::Bool, JsonValue::Bool(b)) => Literal::Inline(if *b { "True" } else { "False" }.into()),
            (Primitive::Decimal, JsonValue::Number(n)) => {
                let text = py_integer(n).unwrap_or_else(|| n.to_string());
                Literal::Inline(py_decimal(imports.sym(Sym::Decimal), &text))
            }
            (Primitive::Decimal, JsonValue::String(s)) => Literal::Inline(py_decimal(imports.sym(Sym::Decimal), s)),
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

    fn registry(&'a self) -> Result<String, RenderError> {
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
                imports => imports.text(),
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
    fn factory_kwargs(&'a self, imports: &mut Imports<'a>, defaults: bool) -> Vec<Value> {
        let callable = imports.sym(Sym::Callable);
        self.domains
            .iter()
            .map(|d| {
                imports.name("generated.protocols", &d.protocol);
                if defaults {
                    imports.alias("generated.routers", &d.module, &d.routes);
                    imports.name(&d.controllers_module, &d.controller);
                }
                context! {
                    kwarg => format!("{}_controller", d.domain.name),
                    factory => format!("{callable}[[], {}]", d.protocol),
                    routes => &d.routes,
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

    fn app(&'a self) -> Result<String, RenderError> {
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
                imports => imports.text(),
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

    fn controller(&'a self, d: &'a DomainNames<'a>) -> Result<String, RenderError> {
        let mut imports = Imports::new(self);
        imports.name("generated.protocols", &d.protocol);
        let mut line = Bracketed::default();
        // Each stub after a blank line.
        let mut methods = ModuleText::with_capacity(160 * d.ops.len());
        for names in &d.ops {
            self.signature(&mut imports, names, &mut line);
            line.text.push(':');
            methods.line_break();
            line.push_to(&mut methods, true);
            methods.line_break();
            methods.final_lines().push_str("        raise NotImplementedError\n");
        }
        let methods = methods.into_text();
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
                imports => imports.text(),
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

/// Writes the docstring text of an operation (summary, then description) to `out`, replacing
/// what it held; false when the operation has neither.
fn operation_doc(op: &Operation, out: &mut String) -> bool {
    out.clear();
    for text in [&op.summary, &op.description].into_iter().flatten().filter(|s| !s.trim().is_empty()) {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(text);
    }
    !out.is_empty()
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
    use std::sync::Arc;

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
        let class = Class {
            name: "K".into(),
            model: "K".into(),
            variant: None,
            description: None,
            fields: vec![Arc::new(field)],
        };
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
