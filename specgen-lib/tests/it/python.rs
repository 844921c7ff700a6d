//! Real consumers of the generated Python: ruff, mypy --strict, CPython with pydantic.
//!
//! Needs the pinned venv (`scripts/setup-python.sh`, found through `SPECGEN_VENV` or at
//! `target/venv`). Without it these tests say so and pass, unless `SPECGEN_REQUIRE_PYTHON=1`
//! (set by `scripts/test.sh` and CI), which makes a missing venv a failure.
//!
//! The property test draws random valid model specs with proptest (a fixed seed, so every run
//! checks the same cases; `PROPTEST_CASES` sets how many), generates `schemas.py` for each, and
//! checks them in one batch: one ruff and one mypy run over all cases, then one Python process
//! that imports every module and round-trips a sample instance of every class through JSON.
//! Batching keeps the run to seconds; the price is no shrinking, so a failure names the case
//! directory to look at (kept on failure).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Map, Value};
use specgen::{Input, Project};

use super::{fixtures, subdirs};

fn run(venv: &Path, tool: &str, args: &[&str], cwd: &Path) {
    let out = Command::new(venv.join("bin").join(tool))
        .args(args)
        .current_dir(cwd)
        .env("PYTHONPATH", cwd)
        .env("MYPY_CACHE_DIR", cwd.join(".mypy_cache"))
        .env("RUFF_CACHE_DIR", cwd.join(".ruff_cache"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {tool}: {e}"));
    assert!(
        out.status.success(),
        "`{tool} {}` failed in {}:\n{}{}",
        args.join(" "),
        cwd.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// ruff check, ruff format --check and mypy --strict over every `.py` under `dir`.
fn lint_and_typecheck(venv: &Path, dir: &Path) {
    // Stricter than ruff's defaults (E4, E7, E9, F): also style, imports, pyupgrade and bugbear.
    // Not RUF: its ambiguous-unicode rules fire on users' own text in docstrings.
    run(venv, "ruff", &["check", "--no-cache", "--select", "E,F,W,I,UP,B", "."], dir);
    run(venv, "ruff", &["format", "--check", "--no-cache", "."], dir);
    run(venv, "mypy", &["--strict", "--explicit-package-bases", "."], dir);
}

#[test]
fn good_fixtures_pass_ruff_mypy_and_import() {
    let Some(venv) = super::venv() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let modules = tmp.path().join("modules");
    std::fs::create_dir_all(&modules).unwrap();
    let mut imports = String::from("import importlib\n\n");
    for dir in subdirs(&fixtures().join("good")) {
        let project = Project::load(&Input::Root(dir.clone())).unwrap();
        let files = project.generate().unwrap();
        let Some((_, schemas)) = files.iter().find(|(p, _)| super::is_shared_schemas(p.as_str())) else { continue };
        let module = format!("fixture_{}", dir.file_name().unwrap().replace('-', "_"));
        std::fs::write(modules.join(format!("{module}.py")), &schemas.bytes).unwrap();
        writeln!(imports, "importlib.import_module({module:?})").unwrap();
    }
    std::fs::write(tmp.path().join("import_all.py"), imports).unwrap();
    lint_and_typecheck(&venv, &modules);
    run(&venv, "python", &["-W", "error", "../import_all.py"], &modules);
}

// ---------------------------------------------------------------------------------------------
// Random valid model specs.

/// A field as drawn: its spec (JSON, which is YAML) and a valid sample value.
#[derive(Debug, Clone)]
struct GenField {
    name: String,
    spec: Value,
    sample: Value,
    readonly: bool,
}

const NAMES: &[&str] = &[
    "title",
    "count",
    "class",
    "from",
    "json",
    "model_config",
    "type",
    "id",
    "list",
    "copy",
    "schema",
    "validate",
    "model_dump",
    "fields",
    "dict",
    "str",
    "import",
    "async",
    "match",
    "value",
    "name",
    "lambda",
    "print",
    "self",
    "datetime",
    "date",
    "Decimal",
    "UUID",
    "Field",
    "BaseModel",
    "annotations",
    "None_",
    "z",
];

const HOSTILE: &[&str] = &[
    "plain",
    "it's \"quoted\"",
    "back\\slash",
    "new\nline",
    "triple \"\"\" quotes",
    "ünïcödé ✓",
    "{{ jinja }} {% x %}",
    "# hash ''' end",
];

fn scalar_field() -> impl Strategy<Value = (Value, Value)> {
    prop_oneof![
        (any::<i16>(), 0u16..500).prop_map(|(lo, span)| {
            let lo = lo as i64;
            (json!({"type": "int", "ge": lo, "le": lo + span as i64}), json!(lo))
        }),
        Just((json!({"type": "int"}), json!(-7))),
        (0.0f64..10.0).prop_map(|lo| (json!({"type": "float", "gt": lo}), json!(lo + 1.5))),
        (0u64..5, 5u64..40).prop_map(|(min, extra)| {
            (json!({"type": "string", "min_length": min, "max_length": min + extra}), json!("a".repeat(min as usize)))
        }),
        Just((json!({"type": "string", "pattern": "^[a-z]+$"}), json!("abc"))),
        Just((json!({"type": "bool"}), json!(true))),
        Just((json!({"type": "datetime"}), json!("2024-05-06T07:08:09Z"))),
        Just((json!({"type": "date"}), json!("2024-05-06"))),
        Just((json!({"type": "uuid"}), json!("123e4567-e89b-12d3-a456-426614174000"))),
        Just((json!({"type": "decimal", "ge": 0}), json!("12.50"))),
        Just((json!({"type": "list[int]", "max_length": 3}), json!([1, 2]))),
        Just((json!({"type": "dict[string, list[float]]"}), json!({"k": [1.5]}))),
        Just((json!({"type": {"type": "optional", "of": "string"}}), json!(null))),
        Just((json!({"type": "enum", "values": ["alpha", "class", "None", "mro"]}), json!("class"))),
        Just((json!({"type": {"type": "list", "of": {"type": "enum", "values": ["x", "y"]}}}), json!(["y"]))),
    ]
}

fn field(index: usize) -> impl Strategy<Value = GenField> {
    (scalar_field(), any::<bool>(), any::<bool>(), 0..HOSTILE.len(), any::<bool>(), any::<bool>()).prop_map(
        move |((mut spec, sample), optional, readonly, desc, describe, with_default)| {
            let name = NAMES[index % NAMES.len()].to_string();
            let obj = spec.as_object_mut().expect("field specs are maps");
            if describe {
                obj.insert("description".into(), json!(HOSTILE[desc]));
            }
            if optional {
                obj.insert("optional".into(), json!(true));
            }
            if readonly {
                obj.insert("readonly".into(), json!(true));
            }
            // A default equal to the sample is valid by construction.
            let has_default = with_default && !sample.is_null();
            if has_default {
                obj.insert("default".into(), sample.clone());
            }
            GenField { name, spec, sample, readonly }
        },
    )
}

/// A model: its fields, plus at most one reference to an earlier model (required or not) and an
/// optional self-reference (a tree), so references and recursion are exercised.
fn model() -> impl Strategy<Value = (Vec<GenField>, bool, bool)> {
    (prop::collection::vec(0usize..NAMES.len(), 1..6), any::<bool>(), any::<bool>()).prop_flat_map(|(idx, r, s)| {
        let mut seen = std::collections::BTreeSet::new();
        let unique: Vec<usize> = idx.into_iter().filter(|i| seen.insert(*i)).collect();
        let fields: Vec<_> = unique.into_iter().map(field).collect();
        (fields, Just(r), Just(s))
    })
}

fn project() -> impl Strategy<Value = Vec<(Vec<GenField>, bool, bool)>> {
    prop::collection::vec(model(), 1..5)
}

/// models.yaml (as JSON, a subset of YAML) and, per class, a valid sample instance.
fn spec_and_samples(models: &[(Vec<GenField>, bool, bool)]) -> (String, Vec<(String, Value)>) {
    let mut spec = Map::new();
    let mut samples = Vec::new();
    let mut base_samples: Vec<Value> = Vec::new();
    for (i, (fields, reference, tree)) in models.iter().enumerate() {
        let name = format!("Model{i}");
        let mut fields = fields.clone();
        if *reference && i > 0 {
            let target = format!("Model{}", i - 1);
            fields.push(GenField {
                name: "parent".into(),
                spec: json!({"type": target}),
                sample: base_samples[i - 1].clone(),
                readonly: false,
            });
        }
        if *tree {
            fields.push(GenField {
                name: "children".into(),
                spec: json!({"type": format!("list[{name}]"), "default": []}),
                sample: json!([]),
                readonly: false,
            });
        }
        let field_specs: Map<String, Value> = fields.iter().map(|f| (f.name.clone(), f.spec.clone())).collect();
        let optional_names: Vec<&str> = fields.iter().filter(|f| !f.readonly).map(|f| f.name.as_str()).collect();
        spec.insert(
            name.clone(),
            json!({
                "description": HOSTILE[i % HOSTILE.len()],
                "fields": field_specs,
                "variants": {"Create": {}, "Read": {}, "Update": {"optional": optional_names}},
            }),
        );
        let sample_of = |keep: &dyn Fn(&GenField) -> bool| -> Value {
            Value::Object(fields.iter().filter(|f| keep(f)).map(|f| (f.name.clone(), f.sample.clone())).collect())
        };
        let base = sample_of(&|_| true);
        samples.push((name.clone(), base.clone()));
        samples.push((format!("{name}Read"), base.clone()));
        samples.push((format!("{name}Create"), sample_of(&|f| !f.readonly)));
        samples.push((format!("{name}Update"), json!({})));
        base_samples.push(base);
    }
    let text = serde_json::to_string_pretty(&json!({ "models": spec })).unwrap();
    (text, samples)
}

#[test]
fn random_model_specs_generate_valid_python() {
    let Some(venv) = super::venv() else { return };
    let cases: usize = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(32);
    let mut runner = TestRunner::new_with_rng(Default::default(), TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let strategy = project();
    let out = tempfile::Builder::new().prefix("specgen-proptest-").tempdir().unwrap();
    let modules = out.path().join("modules");
    std::fs::create_dir_all(&modules).unwrap();
    let mut driver = String::from("import importlib\nimport json\n\nCASES = [\n");
    for case in 0..cases {
        let models = strategy.new_tree(&mut runner).unwrap().current();
        let (spec, samples) = spec_and_samples(&models);
        let project_dir = out.path().join(format!("case_{case}_spec"));
        std::fs::create_dir_all(project_dir.join("shared/spec")).unwrap();
        std::fs::write(project_dir.join("shared/spec/models.yaml"), &spec).unwrap();
        let root = camino::Utf8PathBuf::try_from(project_dir.clone()).unwrap();
        let project =
            Project::load(&Input::Root(root)).unwrap_or_else(|d| panic!("case {case} rejected:\n{spec}\n{d}"));
        let files = project.generate().unwrap_or_else(|e| panic!("case {case}: {e}"));
        let (_, schemas) = files.iter().find(|(p, _)| super::is_shared_schemas(p.as_str())).unwrap();
        std::fs::write(modules.join(format!("case_{case}.py")), &schemas.bytes).unwrap();
        let samples_json = serde_json::to_string(&samples).unwrap();
        writeln!(driver, "    ({case}, {}),", serde_json::to_string(&samples_json).unwrap()).unwrap();
    }
    driver.push_str(
        "]\n\nfor case, samples in CASES:\n    module = importlib.import_module(f\"case_{case}\")\n    for name, sample in json.loads(samples):\n        cls = getattr(module, name)\n        instance = cls.model_validate(sample)\n        again = cls.model_validate_json(instance.model_dump_json())\n        assert again == instance, (case, name)\nprint(f\"{len(CASES)} cases round-tripped\")\n",
    );
    std::fs::write(out.path().join("roundtrip.py"), driver).unwrap();
    // Kept on failure (a panic skips the removal below) so the failing case can be inspected.
    let dir = out.keep();
    lint_and_typecheck(&venv, &dir.join("modules"));
    run(&venv, "python", &["-W", "error", "../roundtrip.py"], &dir.join("modules"));
    std::fs::remove_dir_all(&dir).unwrap();
}
