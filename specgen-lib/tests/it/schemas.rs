//! The checked-in JSON Schemas are current, valid draft-07, accept every spec specgen accepts,
//! and reject unknown keys.

use camino::Utf8Path;
use specgen::Input;

use super::{fixtures, good_projects, repo_root, subdirs};

fn schema_for(path: &Utf8Path) -> Option<&'static str> {
    let s = path.as_str();
    Some(match s {
        _ if s.ends_with("shared/spec/models.yaml") => "models",
        _ if s.ends_with("shared/spec/events.yaml") => "events",
        _ if s.ends_with("/manifest.yaml") => "manifest",
        _ if s.ends_with("services.yml") => "services",
        _ if s.contains("/spec/") && s.ends_with(".yaml") => "domain",
        _ => return None,
    })
}

fn load_schema(name: &str) -> serde_json::Value {
    let path = repo_root().join("json-schema").join(format!("{name}.schema.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))).unwrap()
}

fn yaml_as_json(path: &Utf8Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return serde_json::json!({});
    }
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn checked_in_schemas_are_current() {
    for (path, file) in specgen::schema::render().iter() {
        let on_disk = std::fs::read(repo_root().join("json-schema").join(path)).unwrap_or_default();
        assert!(
            on_disk == file.bytes,
            "json-schema/{path} is stale: run `cargo run -p specgen-cli -- schema --out json-schema`"
        );
    }
}

#[test]
fn schemas_are_draft07_and_accept_every_valid_spec() {
    let mut checked = 0;
    for dir in good_projects() {
        let (_, names) = specgen::load::discover(&Input::Root(dir.clone())).unwrap();
        for rel in names.all_paths() {
            let Some(kind) = schema_for(&rel) else { continue };
            let schema = load_schema(kind);
            assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
            let validator = jsonschema::draft7::new(&schema).unwrap();
            let instance = yaml_as_json(&dir.join(&rel));
            let errors: Vec<String> =
                validator.iter_errors(&instance).map(|e| format!("{} at {}", e, e.instance_path())).collect();
            assert!(errors.is_empty(), "{dir}/{rel} is valid for specgen but not for {kind}.schema.json: {errors:?}");
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} files checked");
}

#[test]
fn schemas_reject_unknown_keys() {
    let mut rejected = 0;
    for dir in subdirs(&fixtures().join("bad")).into_iter().filter(|d| {
        // specgen.toml has its own schema for TOML editors; this test reads YAML only.
        d.as_str().contains("unknown-key") && !d.as_str().contains("specgen-toml")
    }) {
        let (_, names) = specgen::load::discover(&Input::Root(dir.clone())).unwrap();
        let mut any = false;
        for rel in names.all_paths() {
            let Some(kind) = schema_for(&rel) else { continue };
            let validator = jsonschema::draft7::new(&load_schema(kind)).unwrap();
            let instance = std::panic::catch_unwind(|| yaml_as_json(&dir.join(&rel)));
            if let Ok(instance) = instance {
                any |= !validator.is_valid(&instance);
            }
        }
        assert!(any, "{dir}: the schemas accept a spec with an unknown key");
        rejected += 1;
    }
    assert!(rejected >= 5, "only {rejected} unknown-key fixtures");
}
