//! The structured outputs and their real consumers: every `openapi.json` is OpenAPI 3.1 by
//! `openapi-spec-validator`, the JSON Schemas of the classes agree with Pydantic's own
//! `model_json_schema()`, and every `types.ts` compiles with `tsc --strict` and accepts (and
//! rejects) what it should.
//!
//! The Python checks need the pinned venv (`scripts/setup-python.sh`; `SPECGEN_VENV` or
//! `target/venv`; a missing venv fails under `SPECGEN_REQUIRE_PYTHON=1`, else the test says so
//! and passes). The TypeScript check needs the pinned compiler (`scripts/setup-node.sh`;
//! `SPECGEN_NODE` or `target/node`; `SPECGEN_REQUIRE_NODE=1` makes its absence a failure).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use camino::Utf8PathBuf;
use serde_json::{json, Value};
use specgen::ir::{Class, Ir, Primitive, TypeRef};
use specgen::targets::json::JsonWriter;
use specgen::targets::jsonschema::{self, Dialect, Schemas};
use specgen::{FileSet, Input, Project};

use super::{fixtures, good_projects, repo_root};

/// The pinned TypeScript compiler.
fn tsc() -> Option<PathBuf> {
    super::node_tool(".bin/tsc", "TypeScript checks")
}

fn run(program: &Path, args: &[&str], cwd: &Path) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "`{} {}` failed in {}:\n{text}", program.display(), args.join(" "), cwd.display());
    text
}

fn load(dir: &Utf8PathBuf) -> (Project, FileSet) {
    let project = Project::load(&Input::Root(dir.clone())).unwrap_or_else(|d| panic!("{dir} failed to load:\n{d}"));
    let files = project.generate().unwrap_or_else(|e| panic!("{dir}: {e}"));
    (project, files)
}

fn name_of(dir: &Utf8PathBuf) -> String {
    dir.file_name().unwrap().replace('-', "_")
}

// ---------------------------------------------------------------------------------------------
// OpenAPI

/// Every `$ref` in `value`.
fn refs<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    // Defaults and examples are data, not schemas.
                    ("default", _) => {}
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// Checks specgen guarantees beyond the OpenAPI schema: references resolve, operationIds are
/// unique, links name existing operations and their path parameters, the components are exactly
/// the reachable schemas.
fn check_document(label: &str, doc: &Value) {
    let components = doc["components"]["schemas"].as_object().cloned().unwrap_or_default();
    let mut all_refs = Vec::new();
    refs(doc, &mut all_refs);
    for r in &all_refs {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{label}: foreign $ref {r}"));
        assert!(components.contains_key(name), "{label}: $ref {r} does not resolve");
    }
    // Every component is used (from paths, or from another used component).
    let mut path_refs = Vec::new();
    refs(&doc["paths"], &mut path_refs);
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut stack: Vec<String> = path_refs.iter().map(|r| r.rsplit('/').next().unwrap().to_string()).collect();
    while let Some(name) = stack.pop() {
        if used.insert(name.clone()) {
            let mut inner = Vec::new();
            refs(&components[&name], &mut inner);
            stack.extend(inner.iter().map(|r| r.rsplit('/').next().unwrap().to_string()));
        }
    }
    let declared: BTreeSet<String> = components.keys().cloned().collect();
    assert_eq!(used, declared, "{label}: components are not exactly the reachable schemas");

    let mut ops = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap().to_string();
            assert!(
                ops.insert(id.clone(), (path.clone(), method.clone(), op.clone())).is_none(),
                "{label}: {id} twice"
            );
        }
    }
    for (id, (_, _, op)) in &ops {
        for (status, response) in op["responses"].as_object().unwrap() {
            let Some(links) = response.get("links") else { continue };
            assert_eq!(op["responses"].as_object().unwrap().keys().next().unwrap(), status);
            for (name, link) in links.as_object().unwrap() {
                let target = link["operationId"].as_str().unwrap();
                let (_, _, target_op) = ops.get(target).unwrap_or_else(|| panic!("{label}: {id} links to {target}"));
                assert_eq!(name, target);
                for (param, expression) in link["parameters"].as_object().unwrap() {
                    let declared = target_op["parameters"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|p| p["name"] == json!(param) && p["in"] == "path");
                    assert!(declared, "{label}: link {id} → {target} fills unknown path parameter {param}");
                    let pointer = expression.as_str().unwrap().strip_prefix("$response.body#").unwrap();
                    let schema_ref =
                        op["responses"][status]["content"]["application/json"]["schema"]["$ref"].as_str().unwrap();
                    let class = &components[schema_ref.rsplit('/').next().unwrap()];
                    let field = pointer.strip_prefix('/').unwrap();
                    assert!(class["properties"].get(field).is_some(), "{label}: {id} links with missing field {field}");
                    assert!(
                        class["required"].as_array().is_some_and(|r| r.contains(&json!(field)))
                            || class["properties"][field].get("default").is_some(),
                        "{label}: {field} is not always in {id}'s response"
                    );
                }
            }
        }
    }
}

#[test]
fn openapi_documents_are_valid_openapi_3_1() {
    let tmp = tempfile::tempdir().unwrap();
    let mut written = Vec::new();
    for dir in good_projects() {
        let (project, files) = load(&dir);
        let docs: Vec<_> = files.iter().filter(|(p, _)| p.as_str().ends_with("/docs/openapi.json")).collect();
        let with_domains = project.ir.services.iter().filter(|s| !s.domains.is_empty()).count();
        if project.options.targets.contains(&specgen::Target::Openapi) {
            assert_eq!(docs.len(), with_domains, "{dir}: one document per service with domain files");
        }
        for (path, file) in docs {
            let label = format!("{}/{path}", dir.file_name().unwrap());
            let text = std::str::from_utf8(&file.bytes).unwrap();
            assert!(text.ends_with("}\n") && !text.contains('\r'), "{label}: one final newline, LF");
            let doc: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{label} is not JSON: {e}"));
            assert_eq!(serde_json::to_string_pretty(&doc).unwrap() + "\n", text, "{label}: 2-space layout");
            assert_eq!(doc["openapi"], "3.1.0");
            check_document(&label, &doc);
            let out = tmp.path().join(format!("{}__{}.json", name_of(&dir), path.as_str().replace('/', "__")));
            std::fs::write(&out, &file.bytes).unwrap();
            written.push(out);
        }
    }
    assert!(written.len() >= 5, "expected documents from the fixtures and the example, got {}", written.len());
    let Some(venv) = super::venv() else { return };
    let mut args = vec!["--schema", "3.1", "--validation-errors", "all"];
    args.extend(written.iter().map(|p| p.to_str().unwrap()));
    let report = run(&venv.join("bin/openapi-spec-validator"), &args, tmp.path());
    assert_eq!(report.matches(": OK").count(), written.len(), "{report}");
}

// ---------------------------------------------------------------------------------------------
// JSON Schemas of the classes against Pydantic

/// Compares our schema of every class and enum with Pydantic's. `ours` is adjusted for the
/// differences kept on purpose (see `targets/jsonschema.rs`) only where Pydantic's schema shows
/// exactly that difference; each kind is counted and printed.
const COMPARE_PY: &str = r##"
import importlib.util
import inspect
import json
import sys

from pydantic import TypeAdapter

cases = json.load(open(sys.argv[1]))
DECIMAL, INT_KEY = sys.argv[2], sys.argv[3]
kept, failures, compared = {}, [], 0


def note(kind):
    kept[kind] = kept.get(kind, 0) + 1


def has_object(value):
    if isinstance(value, dict):
        return True
    return isinstance(value, list) and any(has_object(v) for v in value)


def adjust(ours, theirs):
    if not isinstance(ours, dict):
        return ours
    theirs = theirs if isinstance(theirs, dict) else {}
    ours = dict(ours)
    if ours.pop("readOnly", None) is not None:
        note("readOnly: true on readonly fields (Pydantic writes none)")
    if ours.get("type") == "string" and ours.get("pattern") == DECIMAL and "pattern" not in theirs:
        del ours["pattern"]
        note("pattern on the string branch of decimals")
    if ours.get("propertyNames") in ({"pattern": INT_KEY}, {"enum": ["true", "false"]}) and "propertyNames" not in theirs:
        del ours["propertyNames"]
        note("propertyNames of int and bool dict keys")
    if "default" in ours and "default" not in theirs and has_object(ours["default"]) and ours["default"] not in ({}, []):
        del ours["default"]
        note("defaults holding model instances (Pydantic: default_factory, not documented)")
    for key in ("items", "additionalProperties", "propertyNames"):
        if isinstance(ours.get(key), dict):
            ours[key] = adjust(ours[key], theirs.get(key))
    if isinstance(ours.get("anyOf"), list):
        branches = theirs.get("anyOf") or []
        ours["anyOf"] = [adjust(b, branches[i] if i < len(branches) else None) for i, b in enumerate(ours["anyOf"])]
    if isinstance(ours.get("properties"), dict):
        props = theirs.get("properties") or {}
        ours["properties"] = {k: adjust(v, props.get(k)) for k, v in ours["properties"].items()}
    return ours


def top_level(ours, theirs):
    ours = adjust(ours, theirs)
    if "description" in ours and ours["description"] != theirs.get("description"):
        cleaned = inspect.cleandoc(ours["description"])
        if cleaned == theirs.get("description"):
            ours["description"] = cleaned
            note("class/enum description: Pydantic cleans the docstring (inspect.cleandoc)")
    return ours


def check(label, ours, theirs):
    global compared
    compared += 1
    expected = top_level(ours, theirs)
    if expected != theirs:
        failures.append(
            f"{label}\n  ours:     {json.dumps(expected, sort_keys=True)}\n  pydantic: {json.dumps(theirs, sort_keys=True)}"
        )
    elif list(expected.get("properties", {})) != list(theirs.get("properties", {})):
        failures.append(f"{label}: property order differs")


for case in cases:
    spec = importlib.util.spec_from_file_location(case["module"], case["path"])
    module = importlib.util.module_from_spec(spec)
    sys.modules[case["module"]] = module  # forward references resolve through sys.modules
    spec.loader.exec_module(module)
    for name, ours in case["schemas"].items():
        cls = getattr(module, name)
        label = f"{case['module']}.{name}"
        if "enum" in ours:
            theirs = TypeAdapter(cls).json_schema()
        else:
            theirs = cls.model_json_schema(ref_template="#/components/schemas/{model}")
            defs = theirs.pop("$defs", {})
            if "$ref" in theirs:  # recursive models are all definitions
                theirs = defs[theirs["$ref"].rsplit("/", 1)[1]]
        check(label, ours, theirs)

print(f"compared {compared} schemas with Pydantic's")
for kind, count in sorted(kept.items()):
    print(f"kept difference ({count}x): {kind}")
if failures:
    print("\n".join(failures))
    sys.exit(1)
"##;

#[test]
fn class_schemas_agree_with_pydantic() {
    let Some(venv) = super::venv() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut cases = Vec::new();
    for dir in good_projects() {
        let (project, files) = load(&dir);
        let Some((_, schemas_py)) = files.iter().find(|(p, _)| super::is_shared_schemas(p.as_str())) else { continue };
        let module = format!("specgen_{}", name_of(&dir));
        let path = tmp.path().join(format!("{module}.py"));
        std::fs::write(&path, &schemas_py.bytes).unwrap();
        let schemas = Schemas::new(&project.ir, "#/components/schemas/", Dialect::Draft2020_12);
        let mut json = JsonWriter::default();
        schemas.write_definitions(&mut json, &schemas.all_definitions());
        let schemas: Value = serde_json::from_str(&json.finish()).unwrap();
        cases.push(json!({ "module": module, "path": path.to_str().unwrap(), "schemas": schemas }));
    }
    let names: Vec<String> = cases.iter().map(|c| c["module"].as_str().unwrap().to_string()).collect();
    for must in ["specgen_bookshelf", "specgen_keywords", "specgen_all_types"] {
        assert!(names.iter().any(|n| n == must), "{must} not compared: {names:?}");
    }
    let input = tmp.path().join("cases.json");
    std::fs::write(&input, serde_json::to_string(&cases).unwrap()).unwrap();
    std::fs::write(tmp.path().join("compare.py"), COMPARE_PY).unwrap();
    let report = run(
        &venv.join("bin/python"),
        &["compare.py", "cases.json", jsonschema::DECIMAL_PATTERN, jsonschema::INT_KEY_PATTERN],
        tmp.path(),
    );
    eprintln!("{report}");
}

// ---------------------------------------------------------------------------------------------
// TypeScript

/// A TypeScript literal of a value of `ty`. `full`: nested classes get only their required
/// fields, lists and dicts one element; otherwise (required-only samples) lists and dicts are
/// empty, which keeps recursive models finite (required references cannot form cycles).
fn ts_value(ir: &Ir, ty: &TypeRef, full: bool) -> String {
    match ty {
        TypeRef::Primitive(p) => match p {
            Primitive::Int => "7".into(),
            Primitive::Float => "2.5".into(),
            Primitive::String => "\"text\"".into(),
            Primitive::Bool => "true".into(),
            Primitive::Datetime => "\"2024-05-06T07:08:09Z\"".into(),
            Primitive::Date => "\"2024-05-06\"".into(),
            Primitive::Uuid => "\"123e4567-e89b-12d3-a456-426614174000\"".into(),
            Primitive::Decimal => "\"12.50\"".into(),
        },
        TypeRef::List(inner) if full => format!("[{}]", ts_value(ir, inner, false)),
        TypeRef::List(_) => "[]".into(),
        TypeRef::Dict(_, value) if full => format!("{{ key: {} }}", ts_value(ir, value, false)),
        TypeRef::Dict(..) => "{}".into(),
        TypeRef::Optional(_) => "null".into(),
        TypeRef::Enum(name) => serde_json::to_string(&ir.enum_(name).unwrap().values[0]).unwrap(),
        TypeRef::Class(name) => ts_object(ir, ir.class(name).unwrap(), false),
    }
}

fn ts_key(name: &str) -> String {
    serde_json::to_string(name).unwrap()
}

/// An object literal of `class`: every field (`full`) or only the required ones.
fn ts_object(ir: &Ir, class: &Class, full: bool) -> String {
    let fields: Vec<String> = class
        .fields
        .iter()
        .filter(|f| full || f.required)
        .map(|f| format!("{}: {}", ts_key(&f.name), ts_value(ir, &f.ty, full)))
        .collect();
    format!("{{ {} }}", fields.join(", "))
}

/// `samples.ts`: for every class, a value with every field and one with only the required ones;
/// with `@ts-expect-error`, the mistakes the types must catch: a missing required field, an
/// unknown property, a wrong enum value, assigning a readonly field, null in a field that is not
/// nullable.
fn samples_ts(ir: &Ir) -> String {
    let mut names: Vec<&str> = ir.enums.iter().map(|e| e.name.as_str()).collect();
    names.extend(ir.classes.iter().map(|c| c.name.as_str()));
    let mut out = String::new();
    if names.is_empty() {
        return "export {};\n".into();
    }
    writeln!(out, "import type {{ {} }} from \"./types\";\n", names.join(", ")).unwrap();
    for e in &ir.enums {
        let first = serde_json::to_string(&e.values[0]).unwrap();
        writeln!(out, "export const enum_{}: {} = {first};", e.name, e.name).unwrap();
        writeln!(
            out,
            "// @ts-expect-error not a value of the enum\nexport const bad_enum_{}: {} = \"__nope__\";",
            e.name, e.name
        )
        .unwrap();
    }
    for class in &ir.classes {
        let n = &class.name;
        writeln!(out, "export const full_{n}: {n} = {};", ts_object(ir, class, true)).unwrap();
        writeln!(out, "export const required_{n}: {n} = {};", ts_object(ir, class, false)).unwrap();
        writeln!(
            out,
            "// @ts-expect-error unknown property\nexport const extra_{n}: {n} = {{ ...required_{n}, \"__not_a_field__\": 1 }};"
        )
        .unwrap();
        if let Some(required) = class.fields.iter().find(|f| f.required) {
            let rest: Vec<String> = class
                .fields
                .iter()
                .filter(|f| f.required && f.name != required.name)
                .map(|f| format!("{}: {}", ts_key(&f.name), ts_value(ir, &f.ty, false)))
                .collect();
            writeln!(
                out,
                "// @ts-expect-error missing {}\nexport const missing_{n}: {n} = {{ {} }};",
                required.name,
                rest.join(", ")
            )
            .unwrap();
        }
        if let Some(readonly) = class.fields.iter().find(|f| f.readonly && f.required) {
            writeln!(
                out,
                "export function touch_{n}(x: {n}): void {{\n  // @ts-expect-error readonly\n  x[{}] = full_{n}[{}];\n}}",
                ts_key(&readonly.name),
                ts_key(&readonly.name)
            )
            .unwrap();
        }
        let strict = class.fields.iter().find(|f| f.required && !f.nullable && !matches!(f.ty, TypeRef::Optional(_)));
        if let Some(field) = strict {
            writeln!(
                out,
                "// @ts-expect-error not nullable\nexport const null_{n}: {n} = {{ ...required_{n}, {}: null }};",
                ts_key(&field.name)
            )
            .unwrap();
        }
    }
    out
}

/// A hand-written use of the example's types, as a frontend would write it.
const BOOKSHELF_USAGE_TS: &str = r#"import type { BookCreate, BookRead, BookStatus, BookPatch, ShelfStats } from "./types";

const status: BookStatus = "reading";

export const draft: BookCreate = {
  title: "The Left Hand of Darkness",
  author_id: "0b6e3f1c-6d55-4d33-9f5e-2d1f4f1b6a10",
  status,
  price: "12.50",
  tags: ["sf"],
  identifiers: { openlibrary: "OL7353617M" },
  series: { name: "Hainish Cycle", position: 4 },
};

export const patch: BookPatch = { rating: null, status: "finished" };

export function title(book: BookRead): string {
  const pages: number | null | undefined = book.pages;
  return `${book.title} (${book.author.name}, ${pages ?? "?"} pages, added ${book.added_at})`;
}

export function total(stats: ShelfStats): number {
  return Object.values(stats.by_status ?? {}).reduce((a, b) => a + b, 0) + stats.total;
}

export function rename(book: BookRead): void {
  // @ts-expect-error the server sets ids
  book.id = "x";
}

// @ts-expect-error series is required (nullable, but must be sent)
export const noSeries: BookCreate = { title: "x", author_id: "y" };

// @ts-expect-error dates are strings on the wire
export const wrongDate: BookPatch = { published_on: new Date() };
"#;

#[test]
fn typescript_types_compile_with_tsc_strict() {
    let tmp = tempfile::tempdir().unwrap();
    let mut inputs: Vec<String> = Vec::new();
    for dir in good_projects() {
        let (project, files) = load(&dir);
        let Some((_, types)) = files.iter().find(|(p, _)| p.as_str().ends_with("/types.ts")) else { continue };
        let case = tmp.path().join(name_of(&dir));
        std::fs::create_dir_all(&case).unwrap();
        std::fs::write(case.join("types.ts"), &types.bytes).unwrap();
        std::fs::write(case.join("samples.ts"), samples_ts(&project.ir)).unwrap();
        inputs.push(format!("{}/types.ts", name_of(&dir)));
        inputs.push(format!("{}/samples.ts", name_of(&dir)));
        if dir.ends_with("bookshelf") {
            std::fs::write(case.join("usage.ts"), BOOKSHELF_USAGE_TS).unwrap();
            inputs.push(format!("{}/usage.ts", name_of(&dir)));
        }
    }
    for must in ["bookshelf/usage.ts", "keywords/types.ts", "all_types/types.ts", "hostile_strings/types.ts"] {
        assert!(inputs.iter().any(|i| i == must), "{must} not compiled: {inputs:?}");
    }
    let Some(tsc) = tsc() else { return };
    let mut args = vec!["--noEmit", "--strict", "--noUnusedLocals", "--pretty", "false"];
    args.extend(inputs.iter().map(String::as_str));
    run(&tsc, &args, tmp.path());
}

/// The sample generator itself: a required-only sample of a recursive model is finite.
#[test]
fn samples_of_recursive_models_are_finite() {
    let (project, _) = load(&fixtures().join("good/recursive"));
    let text = samples_ts(&project.ir);
    assert!(text.contains("export const required_Category: Category = "), "{text}");
}

/// Regression: in the benchmark corpus every member operation takes a path parameter called
/// `id`, and linking by that name alone made every create link to every other resource's
/// operations (N² links, 12 s for 1,000 resources). A create links to its own resource only.
#[test]
fn links_stay_within_the_created_resource() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("n30");
    let status = Command::new("python3")
        .arg(repo_root().join("bench/make_corpus.py").as_str())
        .args(["30", corpus.to_str().unwrap()])
        .status()
        .expect("python3 runs bench/make_corpus.py");
    assert!(status.success());
    let (_, files) = load(&Utf8PathBuf::try_from(corpus).unwrap());
    let (_, doc) = files.iter().find(|(p, _)| p.as_str().ends_with("openapi.json")).unwrap();
    let doc: Value = serde_json::from_slice(&doc.bytes).unwrap();
    let mut creates = 0;
    for item in doc["paths"].as_object().unwrap().values() {
        let Some(post) = item.get("post") else { continue };
        let links = post["responses"]["201"]["links"].as_object().expect("creates have links");
        let resource = post["operationId"].as_str().unwrap().trim_start_matches("create_");
        let mut targets: Vec<&str> = links.keys().map(String::as_str).collect();
        targets.sort();
        assert_eq!(targets, [format!("delete_{resource}"), format!("get_{resource}"), format!("update_{resource}")]);
        creates += 1;
    }
    assert_eq!(creates, 30);
}
