//! `services/<svc>/schemathesis.toml`: the schemathesis configuration (the format of
//! schemathesis 4.32) of every service with domain files, for contract-fuzzing the service
//! against its generated `docs/openapi.json`.
//!
//! Written like `openapi.json`, for every service with domain files (a rule on input names); a
//! service without REST operations gets a file too, whose run has nothing to test. The values
//! are typed structs serialized with the `toml` crate, under a comment header that starts with
//! the banner.
//!
//! **Where the document is.** schemathesis takes the schema as the argument of `run`, never
//! from its configuration file, so the header names the document by its path relative to the
//! file's directory and gives both ways to run it: from that directory, where schemathesis
//! discovers `schemathesis.toml` by itself (`schemathesis run docs/openapi.json`), or from
//! anywhere with `--config-file`.
//!
//! **Base URL.** `base-url` is the loopback address of the service's port ([`Service::port`]: the
//! `port:` of services.yml, else the default of its type; 8000, uvicorn's default, for a
//! service with none). schemathesis has no default syntax for its `${VAR}` placeholders (an
//! unset variable is an error when the file is loaded), so the variable is its own:
//! `SCHEMATHESIS_BASE_URL`, which `schemathesis run` reads as `--url` and which overrides the
//! file's `base-url`.
//!
//! **Checks.** Every check is on (`[checks] enabled = true`) and every phase runs, stateful
//! included (`[phases.stateful] enabled = true`: `openapi.json` has links from each POST
//! operation). Five checks would fail on every generated service, or on some of its operations,
//! for reasons that are gaps of the generated stack rather than bugs of the service's
//! controllers; they are switched off exactly where those gaps are (an exception per check
//! whose operations a rule on the IR finds, listed in `[[operations]]` by `operationId`):
//!
//! - `status_code_conformance`, everywhere: the spec format cannot declare error responses, so
//!   `openapi.json` documents only the success status and FastAPI's 422, while controllers
//!   raise 404 for an unknown id and 409 for a conflict (docs/generated-python.md tells them
//!   to), and FastAPI answers 400 to a body that is not JSON.
//! - `negative_data_rejection`, everywhere: the Pydantic models validate in lax mode, so data
//!   the schema forbids is accepted (the JSON number `0` as a date, `false` as an integer).
//! - `positive_data_acceptance`, on operations whose body (through nested classes) or
//!   parameters have a bounded decimal: a decimal's schema is `number (bounded) | string`, the
//!   bounds cannot be written on the string form, so schemathesis sends an out-of-range string
//!   that is schema-valid and Pydantic rejects it with 422.
//! - `unsupported_method`, on operations whose path a templated route of the same service also
//!   matches with a method the path lacks (`/books/stats` and `PUT /books/{book_id}`): FastAPI
//!   routes the undeclared method there and answers 422 or 404, not 405.
//! - `allow_header_conformance`, on operations whose path more than one route matches (two
//!   methods of one path, or a templated route as above): FastAPI makes one route per operation
//!   and Starlette's 405 lists in `Allow` the methods of the first route matching the path only.
//!
//! The e2e suite (tests/e2e/test_schemathesis.py) runs this file against the example backend
//! and requires zero failures, then runs the five checks on their own and requires each
//! failure to be one of these gaps.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::fileset::{FileKind, FileSet};
use crate::ir::{Class, Constraints, Ir, Method, Operation, Param, Primitive, Service, TypeRef};
use crate::load::InputNames;

use super::{Options, OutputPath, RenderError};

/// The file name under `services/<svc>/`.
const FILE: &str = "schemathesis.toml";

/// The document the configuration is for, relative to the file's directory (where the
/// `openapi` target writes it).
const DOCUMENT: &str = "docs/openapi.json";

/// The environment variable that overrides `base-url` (schemathesis' own, read as `--url`).
const BASE_URL_VAR: &str = "SCHEMATHESIS_BASE_URL";

/// The port in `base-url` for a service that listens on none ([`Service::port`]).
const FALLBACK_PORT: u16 = 8000;

/// Checks off for every operation (see the module documentation).
const OFF_EVERYWHERE: [&str; 2] = ["status_code_conformance", "negative_data_rejection"];

/// Renders one configuration per service that has domain files.
pub fn render(ir: &Ir, opts: &Options) -> Result<FileSet, RenderError> {
    let mut files = FileSet::new();
    for service in ir.services.iter().filter(|s| !s.domains.is_empty()) {
        let dir = opts.roots.services_dir.join(&service.name);
        let config = config(ir, service);
        let mut text = header(ir, service, dir.as_str(), &config);
        text.push('\n');
        let body = toml::to_string(&config)
            .map_err(|e| RenderError { origin: "schemathesis target".into(), message: e.to_string() })?;
        text.push_str(body.trim_end());
        text.push('\n');
        files.generated(dir.join(FILE), text);
    }
    Ok(files)
}

/// The paths [`render`] writes: one per service with at least one domain file.
pub fn outputs(names: &InputNames, opts: &Options) -> Vec<OutputPath> {
    names
        .services
        .iter()
        .filter(|(_, files)| !files.domains.is_empty())
        .map(|(name, _)| OutputPath { path: opts.roots.services_dir.join(name).join(FILE), kind: FileKind::Generated })
        .collect()
}

/// The whole file, as schemathesis reads it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct Config {
    base_url: String,
    checks: Checks,
    phases: Phases,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    operations: Vec<OperationChecks>,
}

/// `[checks]`: all on, then the exceptions by name.
#[derive(Debug, Serialize)]
struct Checks {
    enabled: bool,
    #[serde(flatten)]
    each: BTreeMap<&'static str, Enabled>,
}

/// `{ enabled = … }`.
#[derive(Debug, Serialize)]
struct Enabled {
    enabled: bool,
}

#[derive(Debug, Serialize)]
struct Phases {
    stateful: Enabled,
}

/// An `[[operations]]` entry: checks set for the operations named.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct OperationChecks {
    include_operation_id: Vec<String>,
    checks: BTreeMap<&'static str, Enabled>,
}

/// Why each check is off where it is off, for the header (the module documentation says more).
const REASONS: [(&str, &str); 5] = [
    ("status_code_conformance", "off: the 404/409 of controllers and FastAPI's 400 are undocumented"),
    ("negative_data_rejection", "off: the Pydantic models validate in lax mode"),
    ("positive_data_acceptance", "off where a decimal is bounded: its string form has no bounds"),
    ("unsupported_method", "off where a templated route matches the path too: no 405"),
    ("allow_header_conformance", "off where several routes match the path: `Allow` names one"),
];

/// The comment lines above the values: the banner, how to run, what is off and why.
fn header(ir: &Ir, service: &Service, dir: &str, config: &Config) -> String {
    let mut sources: Vec<&str> = ir.services_file.iter().map(|p| p.as_str()).collect();
    sources.extend(service.domains.iter().map(|d| d.file.as_str()));
    let mut lines = vec![
        format!("# schemathesis configuration of `{}`: contract fuzzing against its OpenAPI document.", service.name),
        "# Run it from this directory, where schemathesis finds this file:".to_string(),
        format!("#   schemathesis run {DOCUMENT}"),
        "# or from the project root:".to_string(),
        format!("#   schemathesis --config-file {dir}/{FILE} run {dir}/{DOCUMENT}"),
        format!("# base-url is the loopback default; {BASE_URL_VAR} (or --url) overrides it."),
    ];
    if !service.operations().any(|op| op.rest.is_some()) {
        lines.push("# The service has no REST operation: a run has nothing to test.".to_string());
    }
    lines.push("# Every check and every phase runs, except where the generated stack has known gaps:".to_string());
    for (check, reason) in REASONS {
        let off =
            config.checks.each.contains_key(check) || config.operations.iter().any(|o| o.checks.contains_key(check));
        if off {
            lines.push(format!("#   {check:<26}{reason}"));
        }
    }
    let mut text = super::banner("#", &sources);
    for line in lines {
        text.push_str(&line);
        text.push('\n');
    }
    text
}

/// The values of `service`'s file.
fn config(ir: &Ir, service: &Service) -> Config {
    let off = || Enabled { enabled: false };
    let mut operations = Vec::new();
    for (check, ids) in exceptions(ir, service) {
        if !ids.is_empty() {
            operations.push(OperationChecks { include_operation_id: ids, checks: BTreeMap::from([(check, off())]) });
        }
    }
    Config {
        base_url: format!("http://127.0.0.1:{}", service.port().unwrap_or(FALLBACK_PORT)),
        checks: Checks { enabled: true, each: OFF_EVERYWHERE.into_iter().map(|c| (c, off())).collect() },
        phases: Phases { stateful: Enabled { enabled: true } },
        operations,
    }
}

/// The checks off for some operations only, each with those operations' names (in the order of
/// [`Service::operations`]).
fn exceptions(ir: &Ir, service: &Service) -> [(&'static str, Vec<String>); 3] {
    let routes: Vec<(&Operation, Method, Vec<&str>)> = service
        .operations()
        .filter_map(|op| op.rest.as_ref().map(|rest| (op, rest.method, segments(&rest.path))))
        .collect();
    let tree = RouteTree::new(routes.iter().map(|(_, _, path)| path.as_slice()));
    let reaching = classes_reaching_bounded_decimal(ir);
    let mut decimals = Vec::new();
    let mut shadowed = Vec::new();
    let mut ambiguous = Vec::new();
    let mut matching = Vec::new();
    for (op, _, path) in &routes {
        if has_bounded_decimal(op, &reaching) {
            decimals.push(op.name.clone());
        }
        matching.clear();
        tree.matching(path, &mut matching);
        let matching = matching.iter().map(|&i| &routes[i]);
        let own_methods: Vec<Method> = matching.clone().filter(|(_, _, p)| p == path).map(|(_, m, _)| *m).collect();
        if matching.clone().any(|(_, method, other)| other != path && !own_methods.contains(method)) {
            shadowed.push(op.name.clone());
        }
        if matching.len() > 1 {
            ambiguous.push(op.name.clone());
        }
    }
    [("positive_data_acceptance", decimals), ("unsupported_method", shadowed), ("allow_header_conformance", ambiguous)]
}

/// The segments of a route path (`""` is the root, `/`).
fn segments(path: &str) -> Vec<&str> {
    path.trim_start_matches('/').split('/').collect()
}

/// Whether `segment` is a `{placeholder}`, which matches any non-empty segment (Starlette's
/// `[^/]+`); any other segment matches only itself.
fn is_placeholder(segment: &str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

/// The routes of a service as a tree of their segments, so that finding the routes that match a
/// path follows one branch per segment (two where a placeholder could match) instead of
/// comparing every pair of routes: 5,000 routes made the pairwise comparison the slowest part
/// of the target.
#[derive(Debug, Default)]
struct RouteTree<'r> {
    /// Children by literal segment.
    literal: HashMap<&'r str, RouteTree<'r>>,
    /// The child of every placeholder segment.
    placeholder: Option<Box<RouteTree<'r>>>,
    /// The routes (indices in insertion order) that end here.
    routes: Vec<usize>,
}

impl<'r> RouteTree<'r> {
    fn new(routes: impl Iterator<Item = &'r [&'r str]>) -> RouteTree<'r> {
        let mut tree = RouteTree::default();
        for (index, route) in routes.enumerate() {
            let mut node = &mut tree;
            for &segment in route {
                node = if is_placeholder(segment) {
                    node.placeholder.get_or_insert_with(Box::default)
                } else {
                    node.literal.entry(segment).or_default()
                };
            }
            node.routes.push(index);
        }
        tree
    }

    /// Adds to `out` every route that matches all concrete paths of `path` (which may contain
    /// placeholders itself: a placeholder segment of `path` is matched by a placeholder of the
    /// route or by the same text).
    fn matching(&self, path: &[&str], out: &mut Vec<usize>) {
        let Some((segment, rest)) = path.split_first() else {
            out.extend(&self.routes);
            return;
        };
        if let Some(child) = self.literal.get(segment) {
            child.matching(rest, out);
        }
        if let Some(child) = self.placeholder.as_deref().filter(|_| !segment.is_empty()) {
            child.matching(rest, out);
        }
    }
}

/// Whether a parameter or a field of the body (or of a class the body reaches) is a decimal
/// with a numeric bound. `reaching`: [`classes_reaching_bounded_decimal`].
fn has_bounded_decimal(op: &Operation, reaching: &HashSet<&str>) -> bool {
    op.params.iter().any(|p: &Param| bounded_decimal(&p.ty, &p.constraints))
        || op.input.as_deref().is_some_and(|input| reaching.contains(input))
}

/// The classes that have a bounded decimal field or reach a class that has one through their
/// fields' types. Why once for all classes rather than a search per operation: in a large
/// project whose models reference each other, every search crossed most of the classes.
fn classes_reaching_bounded_decimal(ir: &Ir) -> HashSet<&str> {
    // Who refers to each class, then everything that refers (transitively) to a class with one.
    let mut referrers: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut names = Vec::new();
    for class in &ir.classes {
        for field in &class.fields {
            names.clear();
            super::jsonschema::named_types(&field.ty, &mut names);
            for &name in &names {
                referrers.entry(name).or_default().push(&class.name);
            }
        }
    }
    let mut reaching: HashSet<&str> = HashSet::new();
    let mut stack: Vec<&str> =
        ir.classes.iter().filter(|c| class_has_bounded_decimal(c)).map(|c| c.name.as_str()).collect();
    while let Some(name) = stack.pop() {
        if reaching.insert(name) {
            stack.extend(referrers.get(name).into_iter().flatten().copied());
        }
    }
    reaching
}

fn class_has_bounded_decimal(class: &Class) -> bool {
    class.fields.iter().any(|f| bounded_decimal(&f.ty, &f.constraints))
}

fn bounded_decimal(ty: &TypeRef, c: &Constraints) -> bool {
    let bounded = c.ge.is_some() || c.gt.is_some() || c.le.is_some() || c.lt.is_some();
    bounded && is_decimal(ty)
}

fn is_decimal(ty: &TypeRef) -> bool {
    match ty {
        TypeRef::Primitive(p) => *p == Primitive::Decimal,
        TypeRef::List(inner) | TypeRef::Optional(inner) | TypeRef::Dict(_, inner) => is_decimal(inner),
        TypeRef::Enum(_) | TypeRef::Class(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use camino::Utf8PathBuf;

    use super::*;
    use crate::targets::Target;
    use crate::test_support::{example, load, only, text};

    #[test]
    fn bookshelf_backend() {
        let project = example();
        let files = render(&project.ir, &only(&project, Target::Schemathesis)).unwrap();
        let text = text(&files, "services/backend/schemathesis.toml");
        assert!(text.starts_with("# Code generated by specgen from services.yml, services/backend/spec/authors.yaml"));
        assert!(text.ends_with("]\n") || text.ends_with("false\n") || text.ends_with("true\n"));
        assert!(!text.ends_with("\n\n"));
        let value: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(value["base-url"].as_str(), Some("http://127.0.0.1:8000"));
        assert_eq!(value["checks"]["enabled"].as_bool(), Some(true));
        assert_eq!(value["phases"]["stateful"]["enabled"].as_bool(), Some(true));
        let ops = value["operations"].as_array().unwrap();
        let ids = |check: &str| -> Vec<&str> {
            ops.iter()
                .find(|o| o["checks"].get(check).is_some())
                .map(|o| o["include-operation-id"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect())
                .unwrap_or_default()
        };
        // Book.price is a decimal bounded by ge/le: every body with a Book variant that has it.
        assert_eq!(ids("positive_data_acceptance"), ["create_book", "update_book", "patch_book"]);
        // GET /books/stats is matched by PUT/PATCH/DELETE /books/{book_id}.
        assert_eq!(ids("unsupported_method"), ["get_shelf_stats"]);
        let ambiguous = ids("allow_header_conformance");
        assert!(ambiguous.contains(&"list_authors") && ambiguous.contains(&"get_shelf_stats"), "{ambiguous:?}");
        for single in ["list_author_books", "finish_book", "record_progress"] {
            assert!(!ambiguous.contains(&single), "{single} has its path to itself: {ambiguous:?}");
        }
        insta::assert_snapshot!("bookshelf_backend_schemathesis", text);
    }

    #[test]
    fn a_service_without_rest_operations_still_gets_its_file() {
        let project = example();
        let files = render(&project.ir, &only(&project, Target::Schemathesis)).unwrap();
        let text = text(&files, "services/notifications/schemathesis.toml");
        assert!(text.contains("# The service has no REST operation"));
        let value: toml::Table = toml::from_str(&text).unwrap();
        assert!(value.get("operations").is_none());
        // tg_bot has only a manifest: no domain files, no configuration.
        assert_eq!(files.len(), 2);
    }

    #[test]
    fn the_port_of_services_yml_is_the_base_url() {
        let project = load("tests/fixtures/good/events");
        let files = render(&project.ir, &only(&project, Target::Schemathesis)).unwrap();
        let base_url = |svc: &str| {
            let value: toml::Table =
                toml::from_str(&text(&files, &format!("services/{svc}/schemathesis.toml"))).unwrap();
            value["base-url"].as_str().unwrap().to_string()
        };
        assert_eq!(base_url("hand"), "http://127.0.0.1:8080");
        assert_eq!(base_url("api"), "http://127.0.0.1:8000");
        // A FastStream worker listens on no port: the fallback.
        assert_eq!(base_url("worker"), "http://127.0.0.1:8000");
    }

    #[test]
    fn outputs_are_the_rendered_paths() {
        let project = example();
        let mut opts = only(&project, Target::Schemathesis);
        opts.roots.services_dir = Utf8PathBuf::from("apps");
        let files = render(&project.ir, &opts).unwrap();
        let rendered: Vec<OutputPath> =
            files.iter().map(|(path, file)| OutputPath { path: path.to_owned(), kind: file.kind }).collect();
        assert_eq!(outputs(&project.names, &opts), rendered);
        assert_eq!(rendered[0].path, "apps/backend/schemathesis.toml");
        assert!(text(&files, "apps/backend/schemathesis.toml")
            .contains("schemathesis --config-file apps/backend/schemathesis.toml run apps/backend/docs/openapi.json"));
    }

    #[test]
    fn routes_match_through_placeholders_only() {
        let routes = ["/books/{book_id}", "/books/stats", "/books", "/{a}/x", "", "/{id}", "/books/{id}/x"];
        let segmented: Vec<Vec<&str>> = routes.iter().map(|r| segments(r)).collect();
        let tree = RouteTree::new(segmented.iter().map(Vec::as_slice));
        let matching = |path: &str| -> Vec<&str> {
            let mut out = Vec::new();
            tree.matching(&segments(path), &mut out);
            out.sort_unstable();
            out.into_iter().map(|i| routes[i]).collect()
        };
        assert_eq!(matching("/books/stats"), ["/books/{book_id}", "/books/stats"]);
        assert_eq!(matching("/books/{book_id}"), ["/books/{book_id}"]);
        assert_eq!(matching("/books"), ["/books", "/{id}"]);
        assert_eq!(matching("/{b}/x"), ["/{a}/x"]);
        assert_eq!(matching("/"), [""]);
        assert_eq!(matching("/books/{id}/x"), ["/books/{id}/x"]);
    }
}
