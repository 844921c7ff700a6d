//! Every bad fixture fails to load, and its rendered diagnostics are snapshotted (with the
//! fixture's EXPECT line as the snapshot description, so a reviewer can check them). Every warn
//! fixture loads, with warnings only, and its rendered warnings are snapshotted the same way.

use specgen::{Input, Project, Style};

use super::{fixtures, subdirs};

#[test]
fn bad_fixtures_report_located_errors() {
    let dirs = subdirs(&fixtures().join("bad"));
    assert!(dirs.len() >= 40, "expected at least 40 bad fixtures, found {}", dirs.len());
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string();
        let expect = std::fs::read_to_string(dir.join("EXPECT")).unwrap_or_default();
        let diags = match Project::load(&Input::Root(dir.clone())) {
            Ok(_) => panic!("bad fixture `{name}` loaded without errors (EXPECT: {expect})"),
            Err(d) => d,
        };
        assert!(diags.has_errors(), "{name}: no error");
        for d in diags.items.iter().filter(|d| d.is_error()) {
            assert!(d.code.starts_with('E'), "{name}: error code {}", d.code);
        }
        let rendered = diags.render(Style::Plain);
        insta::with_settings!({ description => expect.trim(), snapshot_suffix => name.clone(), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("bad", rendered);
        });
    }
}

#[test]
fn warn_fixtures_report_located_warnings() {
    let dirs = subdirs(&fixtures().join("warn"));
    assert!(dirs.len() >= 3, "expected at least 3 warn fixtures, found {}", dirs.len());
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string();
        let expect = std::fs::read_to_string(dir.join("EXPECT")).unwrap_or_default();
        let project = match Project::load(&Input::Root(dir.clone())) {
            Ok(p) => p,
            Err(d) => panic!("warn fixture `{name}` failed to load (EXPECT: {expect}):\n{}", d.render(Style::Plain)),
        };
        let warnings = &project.warnings;
        assert!(!warnings.items.is_empty(), "{name}: no warning (EXPECT: {expect})");
        assert!(!warnings.has_errors(), "{name}: an error among the warnings");
        for d in &warnings.items {
            assert!(!d.is_error(), "{name}: error {}", d.code);
            assert!(d.code.starts_with('W'), "{name}: warning code {}", d.code);
        }
        let rendered = warnings.render(Style::Plain);
        insta::with_settings!({ description => expect.trim(), snapshot_suffix => name.clone(), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("warn", rendered);
        });
    }
}

#[test]
fn json_diagnostics_carry_file_line_and_column() {
    let dir = fixtures().join("bad").join("unknown-model-reference");
    let diags = Project::load(&Input::Root(dir)).unwrap_err();
    let lines = diags.to_json_lines();
    let first: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(first["severity"], "error");
    let label = &first["labels"][0];
    assert!(label["file"].as_str().unwrap().ends_with(".yaml"));
    assert!(label["line"].as_u64().unwrap() >= 1);
    assert!(label["column"].as_u64().unwrap() >= 1);
}
