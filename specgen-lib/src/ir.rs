//! The IR: the resolved, target-neutral description of a project.
//!
//! Built by `validate` from the raw spec structs once every reference is checked. Targets read
//! only this. Invariants: every [`TypeRef::Class`] names a class in [`Ir::classes`], every
//! [`TypeRef::Enum`] an enum in [`Ir::enums`], every event name in an operation an event in
//! [`Ir::events`]. Order is meaningful and deterministic: the user's order where the user wrote
//! one (models, fields, operations), sorted by name where there is none (services, domains).

use std::fmt;
use std::sync::{Arc, OnceLock};

use camino::Utf8PathBuf;

use crate::name_map::NameMap;

/// A whole project, resolved.
#[derive(Debug, Clone, Default)]
pub struct Ir {
    /// Models in the order of models.yaml.
    pub models: Vec<Model>,
    /// Every class (base models and variants), models in file order, each model's base class
    /// first and then its variants in the order written.
    pub classes: Vec<Class>,
    /// Every enum, in the order first met while walking the classes' fields.
    pub enums: Vec<Enum>,
    /// Events in the order of events.yaml.
    pub events: Vec<Event>,
    /// Services sorted by name.
    pub services: Vec<Service>,
    /// Project-relative path of models.yaml, if present.
    pub models_file: Option<Utf8PathBuf>,
    /// Project-relative path of events.yaml, if present.
    pub events_file: Option<Utf8PathBuf>,
    /// Project-relative path of services.yml, if present.
    pub services_file: Option<Utf8PathBuf>,
    /// Python version the generated code targets, e.g. `(3, 11)`.
    pub python_version: (u8, u8),
    /// A cache for [`Ir::class`] and [`Ir::enum_`]; leave it at its default. Public only so that
    /// an `Ir` can be written as a struct literal with `..Ir::default()`.
    pub lookup: Lookup,
}

/// Name → position of classes and enums, built on the first lookup. Why: targets look names up
/// for every reference, and a linear search over thousands of classes made the OpenAPI document
/// of a large project quadratic. Opaque.
#[derive(Debug, Clone, Default)]
pub struct Lookup(OnceLock<Index>);

/// Positions by name in [`Ir::classes`] and [`Ir::enums`], for the lengths they were built at.
#[derive(Debug, Clone, Default)]
struct Index {
    classes: NameMap<String, usize>,
    enums: NameMap<String, usize>,
    lens: (usize, usize),
}

impl Ir {
    /// The class called `name`.
    pub fn class(&self, name: &str) -> Option<&Class> {
        match self.index() {
            Some(index) => index.classes.get(name).map(|&i| &self.classes[i]),
            None => self.classes.iter().find(|c| c.name == name),
        }
    }

    /// The enum called `name`.
    pub fn enum_(&self, name: &str) -> Option<&Enum> {
        match self.index() {
            Some(index) => index.enums.get(name).map(|&i| &self.enums[i]),
            None => self.enums.iter().find(|e| e.name == name),
        }
    }

    /// The name index, unless classes or enums changed since it was built (the IR is still
    /// being filled): then lookups search linearly, which is always right.
    fn index(&self) -> Option<&Index> {
        let index = self.lookup.0.get_or_init(|| Index {
            classes: self.classes.iter().enumerate().map(|(i, c)| (c.name.clone(), i)).collect(),
            enums: self.enums.iter().enumerate().map(|(i, e)| (e.name.clone(), i)).collect(),
            lens: (self.classes.len(), self.enums.len()),
        });
        (index.lens == (self.classes.len(), self.enums.len())).then_some(index)
    }

    /// Drops the name index, so the next lookup indexes the IR as it is now. Validation calls
    /// it once the IR is complete (a lookup while filling it may have indexed a part).
    pub(crate) fn reindex(&mut self) {
        self.lookup = Lookup::default();
    }

    /// The event called `name`.
    pub fn event(&self, name: &str) -> Option<&Event> {
        self.events.iter().find(|e| e.name == name)
    }
}

/// A data model of models.yaml with its variants.
#[derive(Debug, Clone)]
pub struct Model {
    /// PascalCase name, e.g. `Book`.
    pub name: String,
    /// Docstring.
    pub description: Option<String>,
    /// Names of the model's variant classes in the order written, e.g. `["BookCreate", "BookRead"]`.
    pub variants: Vec<String>,
}

/// A generated class: a base model or one of its variants, with its final field list.
#[derive(Debug, Clone)]
pub struct Class {
    /// Class name: `Book` or `<Model><Variant>` such as `BookCreate`.
    pub name: String,
    /// The model it comes from.
    pub model: String,
    /// The variant name (`Create`), or `None` for the base model.
    pub variant: Option<String>,
    /// Docstring (the model's description).
    pub description: Option<String>,
    /// Fields in the order of the model. A variant shares each field it keeps as the model
    /// has it (the same `Arc`); a field it changes (one of its `optional` fields) is its own.
    pub fields: Vec<Arc<Field>>,
}

/// A field of a class, with every rule of SPEC.md already applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Name on the wire (JSON key), exactly as written in the spec.
    pub name: String,
    /// Resolved type (without field-level nullability: see `nullable`).
    pub ty: TypeRef,
    /// Must be present in input. False when the field is optional, has a default, or is in
    /// the variant's `optional` list.
    pub required: bool,
    /// May be null (`optional: true` on the field).
    pub nullable: bool,
    /// Default value as written (already checked against type and constraints). Dropped in a
    /// variant that lists the field as `optional`: there, absent means "leave unchanged".
    /// Boxed: most fields have none, and a `Value` inline would make every field 64 bytes larger.
    pub default: Option<Box<Value>>,
    /// Server-set; kept in base and read-like variants, dropped from Create/Update/Patch.
    pub readonly: bool,
    /// Documentation.
    pub description: Option<String>,
    /// Numeric / length / pattern constraints.
    pub constraints: SparseConstraints,
}

impl Field {
    /// A field as the shorthand `name: type` gives it: required, not null, no default,
    /// constraints or documentation.
    pub fn plain(name: impl Into<String>, ty: TypeRef) -> Field {
        Field {
            name: name.into(),
            ty,
            required: true,
            nullable: false,
            default: None,
            readonly: false,
            description: None,
            constraints: SparseConstraints::default(),
        }
    }
}

/// Constraints of a field or parameter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Constraints {
    /// `>=` bound.
    pub ge: Option<Number>,
    /// `>` bound.
    pub gt: Option<Number>,
    /// `<=` bound.
    pub le: Option<Number>,
    /// `<` bound.
    pub lt: Option<Number>,
    /// Minimum string or list length.
    pub min_length: Option<u64>,
    /// Maximum string or list length.
    pub max_length: Option<u64>,
    /// Regular expression a string must match (Python `re` / JSON Schema syntax).
    pub pattern: Option<String>,
}

impl Constraints {
    /// True when no constraint is set.
    pub fn is_empty(&self) -> bool {
        // Field by field rather than `== NO_CONSTRAINTS`: this runs for every field of every
        // class, and comparing each `Option<Number>` costs more than testing it for `None`.
        let Constraints { ge, gt, le, lt, min_length, max_length, pattern } = self;
        ge.is_none()
            && gt.is_none()
            && le.is_none()
            && lt.is_none()
            && min_length.is_none()
            && max_length.is_none()
            && pattern.is_none()
    }
}

/// No constraint at all: what an empty [`SparseConstraints`] reads as.
static NO_CONSTRAINTS: Constraints =
    Constraints { ge: None, gt: None, le: None, lt: None, min_length: None, max_length: None, pattern: None };

/// The [`Constraints`] of a field or parameter, stored out of line and only when there are any.
///
/// Most fields have none, and a project's IR holds a field for every class and variant (tens of
/// thousands on a large one): inline, the constraints would be 120 of the bytes of every field.
/// Reads as a `Constraints` (through `Deref`); writing through `DerefMut` allocates them.
#[derive(Clone, Default)]
pub struct SparseConstraints(Option<Box<Constraints>>);

impl From<Constraints> for SparseConstraints {
    fn from(constraints: Constraints) -> SparseConstraints {
        SparseConstraints((!constraints.is_empty()).then(|| Box::new(constraints)))
    }
}

impl std::ops::Deref for SparseConstraints {
    type Target = Constraints;

    fn deref(&self) -> &Constraints {
        self.0.as_deref().unwrap_or(&NO_CONSTRAINTS)
    }
}

impl std::ops::DerefMut for SparseConstraints {
    fn deref_mut(&mut self) -> &mut Constraints {
        self.0.get_or_insert_with(Box::default)
    }
}

impl PartialEq for SparseConstraints {
    fn eq(&self, other: &SparseConstraints) -> bool {
        **self == **other
    }
}

// Printed as the constraints they read as, so that debug output does not depend on storage.
impl fmt::Debug for SparseConstraints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// A number as written in the spec (integers stay integers).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
}

impl Number {
    /// The value as f64 (for comparisons).
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

/// A resolved type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TypeRef {
    /// A primitive.
    Primitive(Primitive),
    /// `list[T]`.
    List(Box<TypeRef>),
    /// `dict[K, V]`; K is a primitive.
    Dict(Primitive, Box<TypeRef>),
    /// `{type: optional, of: T}`: nullable but still required.
    Optional(Box<TypeRef>),
    /// An enum in [`Ir::enums`], by name.
    Enum(String),
    /// A class in [`Ir::classes`], by name.
    Class(String),
}

/// The primitive types of the spec grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Primitive {
    /// `int`
    Int,
    /// `float`
    Float,
    /// `string`
    String,
    /// `bool`
    Bool,
    /// `datetime` (timezone-aware)
    Datetime,
    /// `date`
    Date,
    /// `uuid`
    Uuid,
    /// `decimal`
    Decimal,
}

impl Primitive {
    /// All primitives with their spec spelling.
    pub const ALL: [(&'static str, Primitive); 8] = [
        ("int", Primitive::Int),
        ("float", Primitive::Float),
        ("string", Primitive::String),
        ("bool", Primitive::Bool),
        ("datetime", Primitive::Datetime),
        ("date", Primitive::Date),
        ("uuid", Primitive::Uuid),
        ("decimal", Primitive::Decimal),
    ];

    /// The primitive spelled `name` in the spec, if any.
    pub fn from_spec(name: &str) -> Option<Primitive> {
        Primitive::ALL.iter().find(|(n, _)| *n == name).map(|(_, p)| *p)
    }

    /// The spec spelling.
    pub fn spec_name(self) -> &'static str {
        Primitive::ALL.iter().find(|(_, p)| *p == self).map(|(n, _)| *n).unwrap_or("string")
    }
}

/// An enum class generated from a `{type: enum, values: [...]}` form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enum {
    /// PascalCase class name: `<Model><Field>` such as `BookStatus`.
    pub name: String,
    /// Values in the order written; each a valid identifier not starting with `_`.
    pub values: Vec<String>,
    /// Documentation (the field's description), if any.
    pub description: Option<String>,
}

/// A value written in a spec (defaults): JSON's data model.
pub type Value = serde_json::Value;

/// An async event of events.yaml: a Redis Stream of the same name.
#[derive(Debug, Clone)]
pub struct Event {
    /// Stream / channel name (snake_case).
    pub name: String,
    /// Class of the message.
    pub message: String,
    /// Some service may publish it.
    pub publish: bool,
    /// Some service may subscribe to it.
    pub subscribe: bool,
    /// Documentation.
    pub description: Option<String>,
}

/// The kind of a service (services.yml `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceKind {
    /// FastAPI app served by uvicorn.
    PythonFastapi,
    /// FastStream worker.
    PythonFaststream,
    /// Plain Python process.
    Python,
    /// Node.js service (e.g. a frontend).
    Node,
    /// Unspecified.
    Default,
}

impl ServiceKind {
    /// The services.yml spelling (`python-fastapi`, …).
    pub fn spec_name(self) -> &'static str {
        match self {
            ServiceKind::PythonFastapi => "python-fastapi",
            ServiceKind::PythonFaststream => "python-faststream",
            ServiceKind::Python => "python",
            ServiceKind::Node => "node",
            ServiceKind::Default => "default",
        }
    }
}

/// A service of the fleet.
#[derive(Debug, Clone)]
pub struct Service {
    /// snake_case name = directory under `services/`.
    pub name: String,
    /// Kind of service; a `default` one (or one without a services.yml entry) is resolved from
    /// its operations (REST: FastAPI, only subscriptions: FastStream, else plain Python), so
    /// targets never see `Default` in an IR built by validation.
    pub kind: ServiceKind,
    /// Documentation.
    pub description: Option<String>,
    /// Whether the service is part of the dev compose file.
    pub dev_template: bool,
    /// Whether the service has a directory (false = infrastructure-only entry).
    pub scaffold: bool,
    /// The service wires its own app (`custom_wiring: true`): only its `main.py` scaffold differs.
    pub custom_wiring: bool,
    /// The service builds from its hand-written `custom.Dockerfile` (`custom_dockerfile: true`).
    pub custom_dockerfile: bool,
    /// The port it listens on and publishes, as written (`port:`); see [`Service::port`].
    pub port: Option<u16>,
    /// What it may reach besides what its manifest and events imply (`access:`), in the order
    /// written, without duplicates.
    pub access: Vec<Access>,
    /// Events it publishes directly (`publishes:`), in the order written.
    pub publishes: Vec<String>,
    /// `depends_on`, in the order written: (service or infrastructure name, condition).
    pub depends_on: Vec<(String, DependsCondition)>,
    /// Compose profiles.
    pub profiles: Vec<String>,
    /// Domains sorted by name.
    pub domains: Vec<Domain>,
    /// What this service calls on others (manifest.yaml), in the order written.
    pub consumes: Vec<Consume>,
    /// Project-relative path of the manifest, if any.
    pub manifest_file: Option<Utf8PathBuf>,
}

/// Something a service may reach (services.yml `access`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Access {
    /// The built-in PostgreSQL.
    Postgres,
    /// The built-in Redis (also implied by publishing or subscribing to events).
    Redis,
    /// The internet (egress).
    Internet,
    /// Another service of the fleet, by name.
    Service(String),
}

/// What a service may reach, from every declaration that implies it: `access`, `depends_on`,
/// its manifest (the services it calls) and its events (Redis). See [`Ir::reach`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    /// PostgreSQL.
    pub postgres: bool,
    /// Redis.
    pub redis: bool,
    /// The internet.
    pub internet: bool,
    /// Other services, sorted.
    pub services: std::collections::BTreeSet<String>,
}

impl Service {
    /// A service as services.yml's defaults give it: in the dev compose file, with a directory,
    /// no domains, manifest, dependencies or connectivity yet.
    pub fn new(name: impl Into<String>, kind: ServiceKind) -> Service {
        Service {
            name: name.into(),
            kind,
            description: None,
            dev_template: true,
            scaffold: true,
            custom_wiring: false,
            custom_dockerfile: false,
            port: None,
            access: Vec::new(),
            publishes: Vec::new(),
            depends_on: Vec::new(),
            profiles: Vec::new(),
            domains: Vec::new(),
            consumes: Vec::new(),
            manifest_file: None,
        }
    }

    /// The port the service listens on: `port:` when written, else 8000 for a FastAPI service
    /// and 4321 for a Node.js one; other kinds listen on none.
    pub fn port(&self) -> Option<u16> {
        self.port.or(match self.kind {
            ServiceKind::PythonFastapi => Some(8000),
            ServiceKind::Node => Some(4321),
            _ => None,
        })
    }

    /// Whether compose can check the service's health: a FastAPI service (`GET /health`) or a
    /// Node.js one (a TCP connect), on its port. Workers and plain processes have no check, so
    /// nothing may wait for them with `service_healthy`.
    pub fn has_healthcheck(&self) -> bool {
        matches!(self.kind, ServiceKind::PythonFastapi | ServiceKind::Node) && self.port().is_some()
    }

    /// Whether an operation of the service subscribes to `event`.
    pub fn subscribes_to(&self, event: &str) -> bool {
        self.operations().any(|op| op.events.as_ref().is_some_and(|e| e.subscribe.as_deref() == Some(event)))
    }

    /// Whether the service publishes `event`: as an operation's result (`publish_on_success`),
    /// as a subscriber's failure report (`publish_on_error`), or directly (`publishes`).
    pub fn publishes_event(&self, event: &str) -> bool {
        self.publishes.iter().any(|e| e == event)
            || self
                .operations()
                .flat_map(|op| op.events.iter().flat_map(OperationEvents::published))
                .any(|e| e == event)
    }

    /// Every operation of every domain, domains sorted by name, operations in file order.
    pub fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.domains.iter().flat_map(|d| &d.operations)
    }
}

impl Ir {
    /// The services publishing `event` ([`Service::publishes_event`]), sorted by name.
    pub fn publishers(&self, event: &str) -> Vec<&Service> {
        self.services.iter().filter(|s| s.publishes_event(event)).collect()
    }

    /// The services with an operation subscribing to `event`, sorted by name.
    pub fn subscribers(&self, event: &str) -> Vec<&Service> {
        self.services.iter().filter(|s| s.subscribes_to(event)).collect()
    }

    /// What `service` may reach: its `access`; what it `depends_on`; the services its manifest
    /// calls; Redis when it publishes or subscribes to any event.
    pub fn reach(&self, service: &Service) -> Reach {
        let mut reach = Reach::default();
        let mut add = |name: &str| match name {
            "postgres" => reach.postgres = true,
            "redis" => reach.redis = true,
            "internet" => reach.internet = true,
            other => {
                reach.services.insert(other.to_string());
            }
        };
        for a in &service.access {
            match a {
                Access::Postgres => add("postgres"),
                Access::Redis => add("redis"),
                Access::Internet => add("internet"),
                Access::Service(name) => add(name),
            }
        }
        for (name, _) in &service.depends_on {
            add(name);
        }
        for consume in &service.consumes {
            add(&consume.service);
        }
        if self.events.iter().any(|e| service.publishes_event(&e.name) || service.subscribes_to(&e.name)) {
            add("redis");
        }
        reach
    }
}

/// Compose `depends_on` conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DependsCondition {
    /// `service_started`
    Started,
    /// `service_healthy`
    Healthy,
}

/// One domain file of a service.
#[derive(Debug, Clone)]
pub struct Domain {
    /// File stem (snake_case).
    pub name: String,
    /// Project-relative path of the domain file.
    pub file: Utf8PathBuf,
    /// REST prefix (`""` or starting with `/`).
    pub prefix: String,
    /// OpenAPI tags.
    pub tags: Vec<String>,
    /// Operations in the order written.
    pub operations: Vec<Operation>,
}

/// One operation of a domain.
#[derive(Debug, Clone)]
pub struct Operation {
    /// snake_case name: operationId and method name.
    pub name: String,
    /// One-line summary.
    pub summary: Option<String>,
    /// Longer description.
    pub description: Option<String>,
    /// Class of the body / consumed message.
    pub input: Option<String>,
    /// Output, absent = no body.
    pub output: Option<Output>,
    /// Parameters in the order written.
    pub params: Vec<Param>,
    /// REST binding.
    pub rest: Option<Rest>,
    /// Event binding.
    pub events: Option<OperationEvents>,
}

/// What an operation returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The class.
    pub class: String,
    /// `list[Class]`.
    pub list: bool,
}

/// A path or query parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Name (also the Python argument name after keyword escaping).
    pub name: String,
    /// Type: a primitive, an enum, or for query params a list of either.
    pub ty: TypeRef,
    /// Where it comes from.
    pub source: ParamSource,
    /// Must be given. Path params are always required.
    pub required: bool,
    /// Default value (query params only).
    pub default: Option<Box<Value>>,
    /// Documentation.
    pub description: Option<String>,
    /// Constraints.
    pub constraints: SparseConstraints,
}

/// Where a parameter is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamSource {
    /// A `{placeholder}` in the path.
    Path,
    /// The query string.
    Query,
}

/// HTTP methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

impl Method {
    /// Upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Lower-case name: an OpenAPI path item's key, a FastAPI router's decorator.
    pub fn lower_case(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
            Method::Patch => "patch",
            Method::Delete => "delete",
        }
    }
}

/// The REST binding of an operation.
#[derive(Debug, Clone)]
pub struct Rest {
    /// Method.
    pub method: Method,
    /// Full path: domain prefix + operation path, e.g. `/books/{book_id}`.
    pub path: String,
    /// Success status code (POST 201, DELETE 204, else 200 unless set).
    pub status: u16,
}

impl Rest {
    /// Whether a response with this status may carry a body (not 1xx, 204, 205 or 304: what
    /// HTTP and FastAPI allow). The router and the OpenAPI document must agree on it.
    pub fn body_allowed(&self) -> bool {
        !(self.status < 200 || matches!(self.status, 204 | 205 | 304))
    }
}

/// What the fields of an error event's message may be: when a subscribed operation fails, the
/// generated event adapter builds the `publish_on_error` event's message by filling each field
/// of its class whose name is listed here with that value (name, spec type, meaning). Any other
/// field must be optional or have a default; validation checks this (E0309).
pub const ERROR_EVENT_FIELDS: &[(&str, Primitive, &str)] = &[
    ("event", Primitive::String, "the event (stream) whose message failed"),
    ("operation", Primitive::String, "the operation that failed"),
    ("service", Primitive::String, "the service (consumer group) that failed"),
    ("error_type", Primitive::String, "the exception's class name"),
    ("error", Primitive::String, "the exception's text (its class name when empty), clipped to `max_length`"),
    ("payload", Primitive::String, "the failed message as received (JSON text), clipped to `max_length`"),
    ("attempt", Primitive::Int, "the delivery that failed: 1 for the first"),
    ("occurred_at", Primitive::Datetime, "when the failure happened (UTC)"),
];

/// The event binding of an operation.
#[derive(Debug, Clone, Default)]
pub struct OperationEvents {
    /// Event consumed.
    pub subscribe: Option<String>,
    /// Event the output is published to after success.
    pub publish_on_success: Option<String>,
    /// Event an error report is published to on failure, as written: it takes effect only
    /// where the operation subscribes (see [`OperationEvents::error_event`]).
    pub publish_on_error: Option<String>,
}

impl OperationEvents {
    /// The event a failure of the operation is reported to: `publish_on_error`, where the
    /// operation subscribes. What fails and is reported is the handling of a message; on an
    /// operation that subscribes to nothing the binding is ignored (validation warns, W0303).
    pub fn error_event(&self) -> Option<&str> {
        self.publish_on_error.as_deref().filter(|_| self.subscribe.is_some())
    }

    /// The events the operation publishes: `publish_on_success`, then [`error_event`].
    ///
    /// [`error_event`]: OperationEvents::error_event
    pub fn published(&self) -> impl Iterator<Item = &str> {
        self.publish_on_success.as_deref().into_iter().chain(self.error_event())
    }
}

/// One `consumes` entry of a manifest.
#[derive(Debug, Clone)]
pub struct Consume {
    /// The called service.
    pub service: String,
    /// Its domain.
    pub domain: String,
    /// The operations called; resolved from "all" when the manifest listed none.
    pub operations: Vec<String>,
}
