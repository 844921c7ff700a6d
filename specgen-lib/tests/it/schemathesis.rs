//! schemathesis.toml read by schemathesis itself.
//!
//! Needs the pinned venv (`scripts/setup-python.sh`, found through `SPECGEN_VENV` or at
//! `target/venv`); without it the test says so and passes, unless `SPECGEN_REQUIRE_PYTHON=1`.

use specgen::{Input, Project, Target};

/// Loads a configuration with schemathesis' own loader (its JSON Schema, then its parsing)
/// and prints what the default project ends up with.
const LOAD_PY: &str = r#"
import sys

from schemathesis.config import SchemathesisConfig

for path in sys.argv[1:]:
    project = SchemathesisConfig.from_path(path).projects.get_default()
    off = sorted(
        name
        for name in ("status_code_conformance", "negative_data_rejection", "not_a_server_error")
        if not getattr(project.checks, name).enabled
    )
    print(path, project.base_url, project.phases.stateful.enabled, ",".join(off))
"#;

/// Every good fixture's and example's configurations load, with the stateful phase on, only the
/// two checks specgen disables turned off, and a loopback base URL.
#[test]
fn schemathesis_loads_every_generated_config() {
    let Some(venv) = super::venv() else { return };
    let out = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for root in super::good_projects() {
        let mut project = Project::load(&Input::Root(root.clone())).unwrap_or_else(|d| panic!("{root}:\n{d}"));
        project.options.targets = [Target::Schemathesis].into_iter().collect();
        for (path, file) in project.generate().unwrap().iter() {
            let target = out.path().join(root.file_name().unwrap()).join(path.as_str());
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(&target, &file.bytes).unwrap();
            paths.push(target);
        }
    }
    assert!(paths.len() >= 8, "{paths:?}");
    let run = std::process::Command::new(venv.join("bin/python")).args(["-c", LOAD_PY]).args(&paths).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}{}", String::from_utf8_lossy(&run.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), paths.len(), "{stdout}");
    for line in lines {
        assert!(line.ends_with(" True negative_data_rejection,status_code_conformance"), "{line}");
        assert!(line.contains(" http://127.0.0.1:"), "{line}");
    }
}
