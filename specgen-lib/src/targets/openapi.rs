//! `services/<svc>/docs/openapi.json`: the OpenAPI 3.1 document of every service with domain files.
//!
//! Written as text with [`JsonWriter`] in `serde_json`'s pretty layout (two-space indentation),
//! with one final newline (JSON has no comments, so no banner). The document describes the
//! FastAPI app that the `fastapi` target generates for the same operations, following FastAPI's
//! own conventions so that the app's `/openapi.json` and this file agree on paths, methods,
//! parameters, request bodies and status codes:
//!
//! - `operationId` is the operation name; `tags` are the domain's; `summary` and `description`
//!   only when the spec has them (FastAPI would make a summary up from the function name);
//! - parameters in spec order, `in: path|query`, `required`, and a `schema` with constraints,
//!   defaults, enum `$ref`s and `type: array` for list query parameters (read as repeated keys,
//!   `?tag=a&tag=b`, OpenAPI's default `form`/`explode` style and FastAPI's reading). Unlike
//!   FastAPI, an optional query parameter is not `anyOf: [T, null]`: a query string cannot carry
//!   a null, leaving it out is the way to send none;
//! - `requestBody` (required, `application/json`, `$ref` to the input class);
//! - the success response under the operation's status code, with `application/json` content
//!   when there is an output and the status allows a body (not 1xx, 204, 205, 304): a `$ref`,
//!   or `type: array, items: $ref` for list outputs; plus `422` with FastAPI's
//!   `HTTPValidationError` exactly where FastAPI adds it (the operation has parameters or a body);
//! - `components.schemas`: the classes and enums reachable from the service's REST operations
//!   (through inputs, outputs, parameters and fields, transitively), sorted by name, plus
//!   `HTTPValidationError` and `ValidationError` when used (renamed `FastAPI…` in the unlikely
//!   case that a model has their name). FastAPI runs with `separate_input_output_schemas=False`,
//!   so one schema per class serves requests and responses;
//! - `links` on the success response of every POST operation whose output is one class, for
//!   schemathesis' stateful phase (see [`link_field`] for the matching rule).
//!
//! `info.title` is the service name, `info.description` its services.yml description,
//! `info.version` `0.1.0` (the spec has no version field). The `/health` route of the app is
//! not part of the schema. A service whose domains have no REST operation gets a valid document
//! with empty `paths`.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use serde_json::{json, Value};

use crate::fileset::{FileKind, FileSet};
use crate::ir::{Class, Field, Ir, Method, Operation, Param, ParamSource, Primitive, Rest, Service, TypeRef};
use crate::load::InputNames;

use super::json::JsonWriter;
use super::jsonschema::{self, Definition, Definitions, Dialect, Schemas};
use super::{decimal, Digits, Options, OutputPath, RenderError};
use crate::name_map::NameMap;
use crate::parallel;

/// `info.version` of every document.
pub const VERSION: &str = "0.1.0";

/// Where references point.
const REF_PREFIX: &str = "#/components/schemas/";

/// The file name under `services/<svc>/docs/`.
const FILE: &str = "openapi.json";

/// From this many REST operations on, a service's document is written on two threads where work
/// may be split (`openapi` alone, not inside the render queue's section): its `paths` on this one
/// and its `components` on another, which for a large service take about the same time. A small
/// service is not worth a thread.
pub(crate) const PARALLEL_OPERATIONS: usize = 256;

/// Renders one document per service that has domain files.
pub fn render(ir: &Ir, opts: &Options) -> Result<FileSet, RenderError> {
    let mut files = FileSet::new();
    for service in ir.services.iter().filter(|s| !s.domains.is_empty()) {
        let text = document(ir, service, PARALLEL_OPERATIONS)?;
        files.generated(opts.roots.services_dir.join(&service.name).join("docs").join(FILE), text);
    }
    Ok(files)
}

/// The paths [`render`] writes: one per service with at least one domain file.
pub fn outputs(names: &InputNames, opts: &Options) -> Vec<OutputPath> {
    names
        .services
        .iter()
        .filter(|(_, files)| !files.domains.is_empty())
        .map(|(name, _)| OutputPath {
            path: opts.roots.services_dir.join(name).join("docs").join(FILE),
            kind: FileKind::Generated,
        })
        .collect()
}

/// The OpenAPI document of `service`: the text of its `openapi.json`. With
/// `parallel_operations` REST operations or more, where work may be split, `components` is
/// written on a thread of its own while this one writes the rest, and then copied in; else
/// straight after the rest. The text is the same.
fn document(ir: &Ir, service: &Service, parallel_operations: usize) -> Result<String, RenderError> {
    let rest_ops: Vec<&Operation> =
        service.domains.iter().flat_map(|d| &d.operations).filter(|op| op.rest.is_some()).collect();
    let validation = rest_ops.iter().any(|op| has_validation_error(op));
    let mut out = if rest_ops.len() >= parallel_operations && parallel::may_split() {
        let (paths, components) = parallel::join(
            || document_without_components(ir, service, &rest_ops, validation),
            || components(ir, &rest_ops, validation),
        );
        let mut out = paths?;
        if let Some(components) = components {
            out.static_key("components").begin_object();
            out.static_key("schemas").attach(&components);
            out.end_object();
        }
        out
    } else {
        let mut out = document_without_components(ir, service, &rest_ops, validation)?;
        with_components(ir, &rest_ops, validation, |schemas, components| {
            out.static_key("components").begin_object();
            out.static_key("schemas");
            write_schemas(&mut out, schemas, components);
            out.end_object();
        });
        out
    };
    out.end_object();
    let mut text = out.finish();
    text.push('\n');
    Ok(text)
}

/// The classes and enums of `components.schemas`: those reachable from the inputs, outputs and
/// parameters of `rest_ops`, sorted by name.
fn definitions<'a>(schemas: &Schemas<'a>, rest_ops: &[&'a Operation]) -> Definitions<'a> {
    let mut roots: Vec<&str> = Vec::new();
    for op in rest_ops {
        roots.extend(op.input.as_deref());
        roots.extend(op.output.as_ref().map(|o| o.class.as_str()));
        for param in &op.params {
            jsonschema::named_types(&param.ty, &mut roots);
        }
    }
    schemas.definitions(roots)
}

/// The text of the value of `components.schemas`, written for its place in the document, if
/// there is a schema; `validation` when FastAPI's validation schemas are used.
fn components(ir: &Ir, rest_ops: &[&Operation], validation: bool) -> Option<String> {
    with_components(ir, rest_ops, validation, |schemas, components| {
        // Inside the document's object and `components`.
        let mut out = JsonWriter::detached(2, 1024 + components.len() * SCHEMA_BYTES);
        write_schemas(&mut out, schemas, components);
        out.finish()
    })
}

/// `write` given the schemas of `components.schemas`, sorted by name, if there is one;
/// `validation` when FastAPI's validation schemas are used.
fn with_components<'a, T>(
    ir: &'a Ir,
    rest_ops: &[&'a Operation],
    validation: bool,
    write: impl for<'c> FnOnce(&Schemas<'c>, &[(&str, Component<'c>)]) -> T,
) -> Option<T> {
    let schemas = Schemas::new(ir, REF_PREFIX, Dialect::Draft2020_12);
    let definitions = definitions(&schemas, rest_ops);
    let validation = validation.then(|| ValidationNames::beside(&definitions));
    let mut components: Vec<(&str, Component<'_>)> = Vec::with_capacity(definitions.len() + 2);
    components.extend(definitions.into_iter().map(|(name, definition)| (name, Component::Definition(definition))));
    if let Some(names) = &validation {
        components.push((&names.http, Component::HttpValidationError { item: &names.item }));
        components.push((&names.item, Component::ValidationError));
        // The names are free (see `free_name`): the order is total.
        components.sort_unstable_by_key(|&(name, _)| name);
    }
    if components.is_empty() {
        return None;
    }
    Some(write(&schemas, &components))
}

/// The document without `components`, its object left open for them: `info`, `tags` and
/// `paths`. `validation` when FastAPI's validation schemas are used.
fn document_without_components(
    ir: &Ir,
    service: &Service,
    rest_ops: &[&Operation],
    validation: bool,
) -> Result<JsonWriter, RenderError> {
    let schemas = Schemas::new(ir, REF_PREFIX, Dialect::Draft2020_12);
    // The names depend on the components: only a class or enum of FastAPI's names can take
    // them, and then only if it is a component, which is worked out here again in that rare
    // case.
    let reachable = OnceCell::new();
    let component_named = |name: &str| {
        (ir.class(name).is_some() || ir.enum_(name).is_some())
            && reachable
                .get_or_init(|| definitions(&schemas, rest_ops))
                .binary_search_by_key(&name, |&(n, _)| n)
                .is_ok()
    };
    let validation = validation.then(|| ValidationNames::new(component_named));

    let paths = path_items(service)?;
    // With room for `components` too, attached at the end. Their number is not known yet:
    // every class and enum of the IR is as many as they can be.
    let most_components = ir.classes.len() + ir.enums.len() + 2;
    let mut out = JsonWriter::with_capacity(estimated_size(&paths, most_components));
    out.begin_object();
    out.static_key("openapi").static_string("3.1.0");
    out.static_key("info").begin_object();
    out.static_key("title").string(&service.name);
    if let Some(description) = service.description.as_deref().filter(|d| !d.trim().is_empty()) {
        out.static_key("description").string(description);
    }
    out.static_key("version").static_string(VERSION);
    out.end_object();
    let tags = tags(service);
    if !tags.is_empty() {
        out.static_key("tags").begin_array();
        for tag in tags {
            out.begin_object();
            out.static_key("name").string(tag);
            out.end_object();
        }
        out.end_array();
    }
    let link_targets = LinkTargets::new(service);
    let validation_schema = validation.as_ref().map(|names| names.http.as_str());
    let mut repeats = Repeats::default();
    out.static_key("paths").begin_object();
    for item in &paths {
        out.key(item.path).begin_object();
        for operation in &item.operations {
            out.static_key(operation.rest.method.lower_case());
            write_operation(&mut out, &schemas, &link_targets, &mut repeats, operation, validation_schema)?;
        }
        out.end_object();
    }
    out.end_object();
    Ok(out)
}

/// An operation with a REST binding, with the tags of its domain.
struct RestOperation<'a> {
    op: &'a Operation,
    rest: &'a Rest,
    tags: &'a [String],
}

/// The operations on one path.
struct PathItem<'a> {
    path: &'a str,
    /// In spec order, one per method.
    operations: Vec<RestOperation<'a>>,
}

/// The REST operations of `service` grouped by path, paths in the order of their first
/// operation.
fn path_items(service: &Service) -> Result<Vec<PathItem<'_>>, RenderError> {
    let mut items: Vec<PathItem<'_>> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for domain in &service.domains {
        for op in &domain.operations {
            let Some(rest) = &op.rest else { continue };
            let path = if rest.path.is_empty() { "/" } else { rest.path.as_str() };
            let at = *index.entry(path).or_insert_with(|| {
                items.push(PathItem { path, operations: Vec::new() });
                items.len() - 1
            });
            let operations = &mut items[at].operations;
            if operations.iter().any(|o| o.rest.method == rest.method) {
                return Err(bug(format!("two operations for {} {}", rest.method.as_str(), rest.path)));
            }
            operations.push(RestOperation { op, rest, tags: &domain.tags });
        }
    }
    Ok(items)
}

/// The tags of the domains with REST operations, each once, in order of appearance.
fn tags(service: &Service) -> Vec<&str> {
    let mut tags: Vec<&str> = Vec::new();
    for domain in service.domains.iter().filter(|d| d.operations.iter().any(|op| op.rest.is_some())) {
        for tag in &domain.tags {
            if !tags.contains(&tag.as_str()) {
                tags.push(tag);
            }
        }
    }
    tags
}

/// A schema of `components.schemas`.
#[derive(Debug, Clone, Copy)]
enum Component<'a> {
    /// A class or enum of the IR.
    Definition(Definition<'a>),
    /// FastAPI's `HTTPValidationError`, whose items are the `ValidationError` called `item`.
    HttpValidationError { item: &'a str },
    /// FastAPI's `ValidationError`.
    ValidationError,
}

/// Writes `components.schemas`, given sorted by name.
fn write_schemas<'a>(out: &mut JsonWriter, schemas: &Schemas<'a>, components: &[(&str, Component<'a>)]) {
    out.begin_object();
    for &(name, component) in components {
        out.key(name);
        match component {
            Component::Definition(definition) => schemas.write_definition(out, definition),
            Component::HttpValidationError { item } => out.value(&http_validation_error(item)),
            Component::ValidationError => out.value(&validation_error()),
        }
    }
    out.end_object();
}

/// The names FastAPI's validation schemas take in `components.schemas`.
struct ValidationNames {
    /// `HTTPValidationError`'s.
    http: String,
    /// `ValidationError`'s.
    item: String,
}

impl ValidationNames {
    /// FastAPI's names, unless one of `definitions` has them (see [`free_name`]).
    fn beside(definitions: &Definitions<'_>) -> ValidationNames {
        ValidationNames::new(|name| definitions.binary_search_by_key(&name, |&(n, _)| n).is_ok())
    }

    /// FastAPI's names, unless a component has them: `component_named` tells whether one does
    /// (see [`free_name`]).
    fn new(component_named: impl Fn(&str) -> bool) -> ValidationNames {
        ValidationNames {
            http: free_name(&component_named, "HTTPValidationError"),
            item: free_name(&component_named, "ValidationError"),
        }
    }
}

/// Room for the text of an operation and of a schema, so that the writers seldom have to grow:
/// what they take in the benchmark corpus (1.2 and 2.1 KB on average), rounded up.
const OPERATION_BYTES: usize = 1280;
/// See [`OPERATION_BYTES`].
const SCHEMA_BYTES: usize = 2304;

/// Room for the document's text with `components` schemas.
fn estimated_size(paths: &[PathItem<'_>], components: usize) -> usize {
    let operations: usize = paths.iter().map(|item| item.operations.len()).sum();
    1024 + operations * OPERATION_BYTES + components * SCHEMA_BYTES
}

/// FastAPI documents `422` for a route with parameters or a body.
fn has_validation_error(op: &Operation) -> bool {
    !op.params.is_empty() || op.input.is_some()
}

/// A parameter written, and where its text is in [`Repeats::text`].
type WrittenParam<'a> = (&'a Param, Range<usize>);

/// Text written once and copied where the same thing comes again at the same depth: the
/// parameters many operations share (`limit`, `offset`, `id`…) and the `422` response.
#[derive(Default)]
struct Repeats<'a> {
    /// The texts, one after the other.
    text: String,
    /// Parameter name and the writer's depth → each parameter of that name written there, with
    /// where its text is in `text`.
    parameters: NameMap<(&'a str, usize), Vec<WrittenParam<'a>>>,
    /// The writer's depth and where the text of the `422` response is in `text`.
    validation_response: Option<(usize, Range<usize>)>,
}

impl Repeats<'_> {
    /// Keeps what `out` wrote since `start`, for [`JsonWriter::repeat`]; returns where it is.
    fn keep(&mut self, out: &JsonWriter, start: usize) -> Range<usize> {
        let from = self.text.len();
        self.text.push_str(out.written_since(start));
        from..self.text.len()
    }
}

/// Writes the operation object; `validation_schema` is the name of FastAPI's
/// `HTTPValidationError` schema when the document has it.
fn write_operation<'a>(
    out: &mut JsonWriter,
    schemas: &Schemas<'_>,
    links: &LinkTargets<'_>,
    repeats: &mut Repeats<'a>,
    operation: &RestOperation<'a>,
    validation_schema: Option<&str>,
) -> Result<(), RenderError> {
    let RestOperation { op, rest, tags } = *operation;
    out.begin_object();
    if !tags.is_empty() {
        out.static_key("tags").begin_array();
        for tag in tags {
            out.string(tag);
        }
        out.end_array();
    }
    for (key, text) in [("summary", &op.summary), ("description", &op.description)] {
        if let Some(text) = text.as_deref().filter(|t| !t.trim().is_empty()) {
            out.static_key(key).string(text);
        }
    }
    out.static_key("operationId").string(&op.name);
    if !op.params.is_empty() {
        out.static_key("parameters").begin_array();
        for param in &op.params {
            write_parameter_once(out, schemas, repeats, param);
        }
        out.end_array();
    }
    if let Some(input) = &op.input {
        out.static_key("requestBody").begin_object();
        out.static_key("required").bool(true);
        out.static_key("content");
        write_json_content(out, |out| schemas.write_reference(out, input));
        out.end_object();
    }

    out.static_key("responses").begin_object();
    let mut digits = Digits::default();
    out.key(decimal(rest.status.into(), &mut digits)).begin_object();
    out.static_key("description").static_string("Successful Response");
    if let Some(output) = op.output.as_ref().filter(|_| rest.body_allowed()) {
        out.static_key("content");
        write_json_content(out, |out| {
            if output.list {
                out.begin_object();
                out.static_key("type").static_string("array");
                out.static_key("items");
                schemas.write_reference(out, &output.class);
                out.end_object();
            } else {
                schemas.write_reference(out, &output.class);
            }
        });
        if rest.method == Method::Post && !output.list {
            let class =
                schemas.class_named(&output.class).ok_or_else(|| bug(format!("unknown class `{}`", output.class)))?;
            let links = links.links(&rest.path, class);
            if !links.is_empty() {
                out.static_key("links");
                write_links(out, &links);
            }
        }
    }
    out.end_object();
    if let Some(name) = validation_schema.filter(|_| has_validation_error(op) && rest.status != 422) {
        let depth = out.depth();
        match &repeats.validation_response {
            Some((at, range)) if *at == depth => out.repeat(&repeats.text[range.clone()]),
            _ => {
                let start = out.position();
                out.static_key("422").begin_object();
                out.static_key("description").static_string("Validation Error");
                out.static_key("content");
                write_json_content(out, |out| schemas.write_reference(out, name));
                out.end_object();
                repeats.validation_response = Some((depth, repeats.keep(out, start)));
            }
        }
    }
    out.end_object();
    out.end_object();
    Ok(())
}

/// Writes a content map with one entry, `application/json`, whose schema `write_schema` writes.
fn write_json_content(out: &mut JsonWriter, write_schema: impl FnOnce(&mut JsonWriter)) {
    out.begin_object();
    out.static_key("application/json").begin_object();
    out.static_key("schema");
    write_schema(out);
    out.end_object();
    out.end_object();
}

/// Writes a parameter object, or repeats the text of the same parameter written before at the
/// same depth.
fn write_parameter_once<'a>(out: &mut JsonWriter, schemas: &Schemas<'_>, repeats: &mut Repeats<'a>, param: &'a Param) {
    let depth = out.depth();
    let written = repeats.parameters.entry((&param.name, depth)).or_default();
    if let Some((_, range)) = written.iter().find(|(p, _)| *p == param) {
        out.repeat(&repeats.text[range.clone()]);
        return;
    }
    let start = out.position();
    write_parameter(out, schemas, param);
    let from = repeats.text.len();
    repeats.text.push_str(out.written_since(start));
    written.push((param, from..repeats.text.len()));
}

/// Writes a parameter object.
fn write_parameter(out: &mut JsonWriter, schemas: &Schemas<'_>, param: &Param) {
    out.begin_object();
    out.static_key("name").string(&param.name);
    out.static_key("in").string(match param.source {
        ParamSource::Path => "path",
        ParamSource::Query => "query",
    });
    out.static_key("required").bool(param.required);
    if let Some(description) = param.description.as_deref().filter(|d| !d.trim().is_empty()) {
        out.static_key("description").string(description);
    }
    out.static_key("schema");
    schemas.write_type_schema(out, &param.ty, &param.constraints, param.default.as_deref());
    out.end_object();
}

/// Writes the links of a response, keyed by the operationId of the operation they lead to.
fn write_links(out: &mut JsonWriter, links: &BTreeMap<&str, Link<'_>>) {
    out.begin_object();
    for (&operation_id, link) in links {
        out.key(operation_id).begin_object();
        out.static_key("operationId").string(operation_id);
        out.static_key("parameters").begin_object();
        out.key(link.param).string_concat(&["$response.body#/", &pointer_token(link.field)]);
        out.end_object();
        out.end_object();
    }
    out.end_object();
}

/// The operations that links may point at, indexed so that finding the links of every POST
/// stays linear in the number of operations (a service with thousands of resources must not
/// link every create to every other resource's operations).
struct LinkTargets<'a> {
    /// Collection path (`/books`) → the GET/PUT/PATCH/DELETE operations on one member of it
    /// (`/books/{book_id}…`), each with its single path parameter.
    by_collection: NameMap<&'a str, Vec<(&'a Operation, &'a Param)>>,
    /// Path parameter name (other than `id`) → the operations taking it.
    by_param: NameMap<&'a str, Vec<(&'a Operation, &'a Param)>>,
}

impl<'a> LinkTargets<'a> {
    fn new(service: &'a Service) -> LinkTargets<'a> {
        let mut targets = LinkTargets { by_collection: NameMap::default(), by_param: NameMap::default() };
        for op in service.domains.iter().flat_map(|d| &d.operations) {
            let Some(rest) = &op.rest else { continue };
            if !matches!(rest.method, Method::Get | Method::Put | Method::Patch | Method::Delete) {
                continue;
            }
            let mut path_params = op.params.iter().filter(|p| p.source == ParamSource::Path);
            let (Some(param), None) = (path_params.next(), path_params.next()) else { continue };
            if let Some(at) = parameter_segment(&rest.path, &param.name) {
                targets.by_collection.entry(&rest.path[..at]).or_default().push((op, param));
            }
            if param.name != "id" {
                targets.by_param.entry(param.name.as_str()).or_default().push((op, param));
            }
        }
        targets
    }

    /// The links from the success response of the POST operation at `path` returning `class`:
    /// to the operations on the created member (`POST /books` → `GET /books/{book_id}`), and
    /// to operations whose path parameter is named like a field of `class` (`author_id`), when
    /// [`link_field`] finds the field that supplies the parameter. Keyed by operationId, sorted.
    fn links(&self, path: &str, class: &'a Class) -> BTreeMap<&'a str, Link<'a>> {
        let mut found = BTreeMap::new();
        let member_ops = self.by_collection.get(path).into_iter().flatten();
        let by_field = class.fields.iter().filter_map(|f| self.by_param.get(f.name.as_str())).flatten();
        for &(target, param) in member_ops.chain(by_field) {
            let Some(field) = link_field(class, param) else { continue };
            found.insert(target.name.as_str(), Link { param: &param.name, field: &field.name });
        }
        found
    }
}

/// Where `/{<name>}` starts in `path`, if it does.
fn parameter_segment(path: &str, name: &str) -> Option<usize> {
    path.match_indices("/{")
        .map(|(at, _)| at)
        .find(|&at| path[at + 2..].strip_prefix(name).is_some_and(|rest| rest.starts_with('}')))
}

/// How a link fills the linked operation's path parameter from the response.
struct Link<'a> {
    /// The path parameter.
    param: &'a str,
    /// The field of the response body whose value it takes.
    field: &'a str,
}

/// The field of the response class `class` whose value fills the path parameter `param` of a
/// follow-up operation:
///
/// 1. the field with the parameter's name (`book_id` ↔ `book_id`: a `ReadingProgressRead`
///    links to the book it belongs to, a `BookRead` through `author_id` to its author);
/// 2. otherwise, when the parameter is called `id` or `<model>_id` (`<model>` the snake_case
///    name of the class's model: `book_id` for `BookRead`), the field `id`.
///
/// The field must always hold a value the parameter accepts: not nullable, and of the
/// parameter's type, or any primitive or enum when the parameter is an unconstrained string
/// (the path carries the value's text).
pub fn link_field<'c>(class: &'c Class, param: &Param) -> Option<&'c Field> {
    let fits = |field: &&Field| {
        let scalar = matches!(field.ty, TypeRef::Primitive(_) | TypeRef::Enum(_));
        let any_text = param.ty == TypeRef::Primitive(Primitive::String) && param.constraints.is_empty();
        !field.nullable && (field.ty == param.ty || (any_text && scalar))
    };
    let named = |name: &str| class.fields.iter().map(|f| &**f).find(|f| f.name == name).filter(fits);
    named(&param.name).or_else(|| {
        (param.name == "id" || param.name == format!("{}_id", snake_case(&class.model))).then(|| named("id")).flatten()
    })
}

/// `PascalCase` → `snake_case` (`ReadingProgress` → `reading_progress`, `HTTPServer` →
/// `http_server`).
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1);
            let boundary = prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit())
                || (prev.is_some_and(char::is_uppercase) && next.is_some_and(|n| n.is_lowercase()));
            if boundary {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A JSON Pointer reference token (RFC 6901: `~` → `~0`, `/` → `~1`), percent-encoding what a
/// runtime expression's URI fragment cannot hold.
fn pointer_token(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c if c.is_ascii_alphanumeric() || "-._".contains(c) => out.push(c),
            c => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

/// `name`, or `FastAPI<name>` (then with `_` appended) if a component already has it, which
/// `taken` tells.
fn free_name(taken: impl Fn(&str) -> bool, name: &str) -> String {
    if !taken(name) {
        return name.to_string();
    }
    let mut candidate = format!("FastAPI{name}");
    while taken(&candidate) {
        candidate.push('_');
    }
    candidate
}

/// FastAPI's `HTTPValidationError` schema (FastAPI 0.165), referring to `item`.
fn http_validation_error(item: &str) -> Value {
    json!({
        "properties": {
            "detail": {
                "items": { "$ref": format!("{REF_PREFIX}{item}") },
                "type": "array",
                "title": "Detail",
            },
        },
        "type": "object",
        "title": "HTTPValidationError",
    })
}

/// FastAPI's `ValidationError` schema (FastAPI 0.165).
fn validation_error() -> Value {
    json!({
        "properties": {
            "loc": {
                "items": { "anyOf": [{ "type": "string" }, { "type": "integer" }] },
                "type": "array",
                "title": "Location",
            },
            "msg": { "type": "string", "title": "Message" },
            "type": { "type": "string", "title": "Error Type" },
            "input": { "title": "Input" },
            "ctx": { "type": "object", "title": "Context" },
        },
        "type": "object",
        "required": ["loc", "msg", "type"],
        "title": "ValidationError",
    })
}

fn bug(message: String) -> RenderError {
    RenderError { origin: "openapi.json".to_string(), message }
}

#[cfg(test)]
mod tests {
    use camino::Utf8PathBuf;

    use super::*;
    use crate::targets::Target;
    use crate::test_support::{example, only, text};
    use std::sync::Arc;

    #[test]
    fn bookshelf_backend() {
        let project = example();
        let files = render(&project.ir, &only(&project, Target::Openapi)).unwrap();
        let text = text(&files, "services/backend/docs/openapi.json");
        assert!(text.ends_with("}\n") && !text.ends_with("\n\n"));
        assert!(text.starts_with("{\n  \"openapi\": \"3.1.0\",\n"));
        let doc: Value = serde_json::from_str(&text).unwrap();
        let create = &doc["paths"]["/books"]["post"];
        assert_eq!(create["operationId"], "create_book");
        assert_eq!(
            create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/BookRead"
        );
        let links = &create["responses"]["201"]["links"];
        assert_eq!(
            links["get_book"],
            json!({"operationId": "get_book", "parameters": {"book_id": "$response.body#/id"}})
        );
        assert_eq!(links["get_author"]["parameters"], json!({"author_id": "$response.body#/author_id"}));
        assert_eq!(links["list_author_books"]["parameters"], json!({"author_id": "$response.body#/author_id"}));
        for op in ["update_book", "patch_book", "delete_book"] {
            assert_eq!(links[op]["parameters"]["book_id"], "$response.body#/id", "{op}");
        }
        assert!(links.get("list_books").is_none() && links.get("get_shelf_stats").is_none());
        let progress = &doc["paths"]["/books/{book_id}/progress"]["post"]["responses"]["201"]["links"];
        assert_eq!(progress["get_book"]["parameters"]["book_id"], "$response.body#/book_id");
        assert!(doc["paths"]["/books/{book_id}/finish"]["post"]["responses"]["200"].get("links").is_none());
        let delete = &doc["paths"]["/books/{book_id}"]["delete"]["responses"];
        assert_eq!(delete["204"], json!({"description": "Successful Response"}));
        assert!(delete.get("422").is_some());
        let list = &doc["paths"]["/books"]["get"];
        assert_eq!(
            list["responses"]["200"]["content"]["application/json"]["schema"],
            json!({"type": "array", "items": {"$ref": "#/components/schemas/BookSummary"}})
        );
        assert_eq!(
            list["parameters"][3],
            json!({"name": "tag", "in": "query", "required": false, "description": "Books having all of these tags",
                   "schema": {"type": "array", "items": {"type": "string"}}})
        );
        assert_eq!(list["parameters"][0]["schema"], json!({"$ref": "#/components/schemas/ListBooksStatus"}));
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        let names: Vec<&str> = schemas.keys().map(String::as_str).collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]), "sorted: {names:?}");
        for name in ["HTTPValidationError", "ValidationError", "ListBooksStatus", "Genre", "SeriesPosition"] {
            assert!(names.contains(&name), "{name} missing from {names:?}");
        }
        for name in ["Book", "Notification", "NotificationRead", "EventError"].into_iter().chain(["Author"]) {
            assert!(!names.contains(&name), "{name} is not reachable from backend's operations");
        }
        assert_eq!(doc["tags"], json!([{"name": "authors"}, {"name": "books"}]));
        insta::assert_snapshot!("bookshelf_backend_openapi", text);
    }

    /// Renames the class `from` and every reference to it.
    fn rename_class(ir: &mut Ir, from: &str, to: &str) {
        fn rename(ty: &mut TypeRef, from: &str, to: &str) {
            match ty {
                TypeRef::Class(name) if name == from => *name = to.to_string(),
                TypeRef::List(inner) | TypeRef::Optional(inner) | TypeRef::Dict(_, inner) => rename(inner, from, to),
                _ => {}
            }
        }
        for class in &mut ir.classes {
            if class.name == from {
                class.name = to.to_string();
            }
            for field in &mut class.fields {
                rename(&mut Arc::make_mut(field).ty, from, to);
            }
        }
        for op in ir.services.iter_mut().flat_map(|s| &mut s.domains).flat_map(|d| &mut d.operations) {
            for name in op.input.iter_mut().chain(op.output.as_mut().map(|o| &mut o.class)) {
                if name == from {
                    *name = to.to_string();
                }
            }
        }
        ir.reindex();
    }

    #[test]
    fn two_threads_write_the_same_document() {
        let project = example();
        // A component with FastAPI's name: both threads must give the validation schemas the
        // same other names.
        let mut renamed = project.ir.clone();
        rename_class(&mut renamed, "BookRead", "ValidationError");
        for ir in [&project.ir, &renamed] {
            for service in ir.services.iter().filter(|s| !s.domains.is_empty()) {
                assert_eq!(document(ir, service, 0).unwrap(), document(ir, service, usize::MAX).unwrap());
            }
        }
        let backend = renamed.services.iter().find(|s| s.name == "backend").unwrap();
        let doc: Value = serde_json::from_str(&document(&renamed, backend, 0).unwrap()).unwrap();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["ValidationError"]["title"], "ValidationError");
        assert_eq!(schemas["FastAPIValidationError"]["title"], "ValidationError");
        assert_eq!(
            schemas["HTTPValidationError"]["properties"]["detail"]["items"]["$ref"],
            "#/components/schemas/FastAPIValidationError"
        );
        let create = &doc["paths"]["/books"]["post"]["responses"];
        assert_eq!(
            create["201"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ValidationError"
        );
        assert_eq!(
            create["422"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/HTTPValidationError"
        );
    }

    #[test]
    fn a_service_without_rest_operations_gets_empty_paths() {
        let project = example();
        let files = render(&project.ir, &only(&project, Target::Openapi)).unwrap();
        let doc: Value = serde_json::from_str(&text(&files, "services/notifications/docs/openapi.json")).unwrap();
        assert_eq!(
            doc,
            json!({
                "openapi": "3.1.0",
                "info": {"title": "notifications", "description": "Turns book events into reader notifications", "version": "0.1.0"},
                "paths": {},
            })
        );
        // tg_bot has only a manifest: no domain files, no document.
        assert_eq!(files.len(), 2);
    }

    #[test]
    fn outputs_are_the_rendered_paths() {
        let project = example();
        let mut opts = only(&project, Target::Openapi);
        opts.roots.services_dir = Utf8PathBuf::from("apps");
        let rendered: Vec<OutputPath> = render(&project.ir, &opts)
            .unwrap()
            .iter()
            .map(|(path, file)| OutputPath { path: path.to_owned(), kind: file.kind })
            .collect();
        assert_eq!(outputs(&project.names, &opts), rendered);
        assert_eq!(rendered[0].path, "apps/backend/docs/openapi.json");
    }

    #[test]
    fn snake_case_of_model_names() {
        for (pascal, snake) in [
            ("Book", "book"),
            ("ReadingProgress", "reading_progress"),
            ("HTTPServer", "http_server"),
            ("V2Api", "v2_api"),
        ] {
            assert_eq!(snake_case(pascal), snake);
        }
    }

    #[test]
    fn method_keys_and_status_texts() {
        for method in [Method::Get, Method::Post, Method::Put, Method::Patch, Method::Delete] {
            assert_eq!(method.lower_case(), method.as_str().to_ascii_lowercase());
        }
        for status in [0, 7, 99, 200, 422, 999, 65535, u64::MAX] {
            assert_eq!(decimal(status, &mut Digits::default()), status.to_string());
        }
        assert_eq!(parameter_segment("/books/{book_id}/x", "book_id"), Some(6));
        assert_eq!(parameter_segment("/a/{book_id_x}/{book_id}", "book_id"), Some(14));
        assert_eq!(parameter_segment("/a/{book}", "book_id"), None);
    }

    #[test]
    fn pointer_tokens_escape() {
        assert_eq!(pointer_token("id"), "id");
        assert_eq!(pointer_token("a/b~c"), "a~1b~0c");
        assert_eq!(pointer_token("a b"), "a%20b");
    }

    #[test]
    fn validation_schema_names_avoid_models() {
        let taken = |name: &str| ["FastAPIValidationError", "ValidationError"].contains(&name);
        assert_eq!(free_name(taken, "HTTPValidationError"), "HTTPValidationError");
        assert_eq!(free_name(taken, "ValidationError"), "FastAPIValidationError_");
    }
}
