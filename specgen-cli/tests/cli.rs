//! The `specgen` binary: exit codes, nothing written on bad input, generate/check/outputs
//! agree, `check --stamp` writes its stamp only when up to date, no-op regeneration rewrites
//! nothing, `graph` prints the generated architecture graph, `--help` of every command.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn specgen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_specgen")).args(args).env("NO_COLOR", "1").output().unwrap()
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file under `dir` with its bytes and modification time, sorted by path.
fn snapshot_tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                let meta = entry.metadata().unwrap();
                out.push((entry.path(), std::fs::read(entry.path()).unwrap(), meta.modified().unwrap()));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_bad_fixture_exits_1_and_writes_nothing() {
    let bad = repo().join("specgen-lib/tests/fixtures/bad");
    let mut count = 0;
    for entry in std::fs::read_dir(&bad).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let tmp = tempfile::tempdir().unwrap();
        copy_dir(&dir, tmp.path());
        let before = snapshot_tree(tmp.path());
        let root = tmp.path().to_str().unwrap();
        let out = specgen(&["generate", "--root", root]);
        assert_eq!(out.status.code(), Some(1), "{}: {}", dir.display(), String::from_utf8_lossy(&out.stderr));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("error["), "{}: no error printed: {stderr}", dir.display());
        assert_eq!(snapshot_tree(tmp.path()), before, "{}: files were written or touched", dir.display());
        count += 1;
    }
    assert!(count >= 40);
}

#[test]
fn generate_then_check_then_noop_regeneration() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples/bookshelf"), tmp.path());
    let root = tmp.path().to_str().unwrap();
    let out = specgen(&["generate", "--root", root]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let listed = String::from_utf8(specgen(&["outputs", "--root", root]).stdout).unwrap();
    assert!(!listed.is_empty());
    for path in listed.lines() {
        assert!(tmp.path().join(path).is_file(), "`outputs` lists {path}, which generate did not write");
    }
    let check = specgen(&["check", "--root", root]);
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stderr));

    // A no-op regeneration rewrites nothing: bytes and mtimes are unchanged.
    let before = snapshot_tree(tmp.path());
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(specgen(&["generate", "--root", root]).status.code(), Some(0));
    assert_eq!(snapshot_tree(tmp.path()), before);

    // Drift: edit a generated file, check fails with a diff and writes nothing.
    let first = tmp.path().join(listed.lines().next().unwrap());
    let mut text = std::fs::read_to_string(&first).unwrap();
    text.push_str("# edited by hand\n");
    std::fs::write(&first, &text).unwrap();
    let check = specgen(&["check", "--root", root]);
    assert_eq!(check.status.code(), Some(1));
    let diff = String::from_utf8_lossy(&check.stdout);
    assert!(diff.contains("-# edited by hand"), "diff missing the edit: {diff}");
    assert_eq!(std::fs::read_to_string(&first).unwrap(), text);
}

#[test]
fn check_stamp_is_written_only_when_up_to_date() {
    // `check --stamp FILE` against a tree made with --no-scaffolds (what Nix's lib.check does):
    // FILE is written when nothing drifted, and not written (nor removed) on drift.
    let example = repo().join("examples/bookshelf");
    let ex = example.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let golden = tmp.path().join("golden");
    let golden_str = golden.to_str().unwrap();
    let out = specgen(&["generate", "--root", ex, "--out", golden_str, "--no-scaffolds", "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let manifest = std::fs::read_to_string(golden.join(".specgen/manifest.txt")).unwrap();
    let generated = manifest.lines().filter(|l| !l.is_empty() && !l.starts_with('#')).count();
    assert!(generated > 10);

    let stamp = tmp.path().join("stamp");
    let stamp_str = stamp.to_str().unwrap();
    let check = specgen(&["check", "--root", ex, "--out", golden_str, "--stamp", stamp_str]);
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stderr));
    assert_eq!(std::fs::read_to_string(&stamp).unwrap(), format!("up to date: {generated} generated files\n"));

    // Drift: exit 1, the diff on stdout, no stamp.
    std::fs::remove_file(&stamp).unwrap();
    let compose = golden.join("infra/compose.base.yml");
    let mut text = std::fs::read_to_string(&compose).unwrap();
    text.push_str("# drift\n");
    std::fs::write(&compose, text).unwrap();
    let check = specgen(&["check", "--root", ex, "--out", golden_str, "--stamp", stamp_str]);
    assert_eq!(check.status.code(), Some(1));
    let diff = String::from_utf8_lossy(&check.stdout);
    assert!(diff.contains("--- a/infra/compose.base.yml") && diff.contains("-# drift"), "{diff}");
    assert!(!stamp.exists(), "a stamp was written despite the drift");

    // A stamp from an earlier run is left as it is (check writes nothing on drift).
    std::fs::write(&stamp, "earlier\n").unwrap();
    assert_eq!(specgen(&["check", "--root", ex, "--out", golden_str, "--stamp", stamp_str]).status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&stamp).unwrap(), "earlier\n");

    // A stamp that cannot be written (no such directory) is an I/O error: exit 2.
    assert_eq!(
        specgen(&["generate", "--root", ex, "--out", golden_str, "--no-scaffolds", "--quiet"]).status.code(),
        Some(0)
    );
    let unwritable = tmp.path().join("no/such/dir/stamp");
    let check = specgen(&["check", "--root", ex, "--out", golden_str, "--stamp", unwritable.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(2), "{}", String::from_utf8_lossy(&check.stderr));
    assert!(String::from_utf8_lossy(&check.stderr).contains("cannot write the stamp"));
}

#[test]
fn explicit_file_mode_matches_the_walk() {
    let example = repo().join("examples/bookshelf");
    let ex = example.to_str().unwrap();
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    assert_eq!(
        specgen(&["generate", "--root", ex, "--out", a.path().to_str().unwrap(), "--no-scaffolds"]).status.code(),
        Some(0)
    );
    let mut args = vec!["generate", "--root", ex, "--out", b.path().to_str().unwrap(), "--no-scaffolds"];
    let specs = [
        "services/tg_bot/spec/manifest.yaml",
        "shared/spec/models.yaml",
        "services.yml",
        "shared/spec/events.yaml",
        "services/backend/spec/books.yaml",
        "services/backend/spec/authors.yaml",
        "services/notifications/spec/reading.yaml",
        "services/notifications/spec/manifest.yaml",
    ];
    for s in specs {
        args.push("--spec");
        args.push(s);
    }
    let out = specgen(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let strip = |t: Vec<(PathBuf, Vec<u8>, std::time::SystemTime)>, base: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        t.into_iter().map(|(p, bytes, _)| (p.strip_prefix(base).unwrap().to_path_buf(), bytes)).collect()
    };
    assert_eq!(strip(snapshot_tree(a.path()), a.path()), strip(snapshot_tree(b.path()), b.path()));
}

#[test]
fn outputs_reads_names_not_content() {
    // A project whose models.yaml is broken still has a well-defined list of outputs: build
    // systems declare outputs before any spec is validated.
    let dir = repo().join("specgen-lib/tests/fixtures/bad/yaml-unclosed-flow-map");
    let out = specgen(&["outputs", "--root", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let listed = String::from_utf8(out.stdout).unwrap();
    assert!(listed.lines().any(|l| l.ends_with("schemas.py")), "{listed}");
}

#[test]
fn oversized_spec_file_is_rejected_before_parsing() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("shared/spec");
    std::fs::create_dir_all(&spec).unwrap();
    // 9 MiB of comments: valid YAML, but over the 8 MiB limit.
    let line = format!("# {}\n", "x".repeat(1021));
    std::fs::write(spec.join("models.yaml"), line.repeat(9 * 1024)).unwrap();
    let before = snapshot_tree(tmp.path());
    let out = specgen(&["generate", "--root", tmp.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error[E0006]") && stderr.contains("shared/spec/models.yaml"), "{stderr}");
    assert_eq!(snapshot_tree(tmp.path()), before);
}

#[test]
fn output_does_not_depend_on_the_working_directory() {
    // The same project generated from two different working directories, once with a relative
    // and once with an absolute --root, gives the same bytes.
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("work/project");
    copy_dir(&repo().join("examples/bookshelf"), &project);
    let out_a = tmp.path().join("a");
    let out_b = tmp.path().join("b");
    let run_in = |cwd: &Path, root: &str, out: &Path| {
        let status = Command::new(env!("CARGO_BIN_EXE_specgen"))
            .args(["generate", "--root", root, "--out", out.to_str().unwrap(), "--no-scaffolds", "--quiet"])
            .current_dir(cwd)
            .status()
            .unwrap();
        assert!(status.success());
    };
    run_in(&tmp.path().join("work"), "project", &out_a);
    run_in(&repo(), project.to_str().unwrap(), &out_b);
    let strip = |base: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        snapshot_tree(base)
            .into_iter()
            .map(|(p, bytes, _)| (p.strip_prefix(base).unwrap().to_path_buf(), bytes))
            .collect()
    };
    let (a, b) = (strip(&out_a), strip(&out_b));
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

#[test]
fn adding_an_operation_reaches_every_target_and_never_touches_the_controller() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    copy_dir(&repo().join("specgen-lib/tests/fixtures/good/template-compat"), root);
    let root_str = root.to_str().unwrap();
    assert_eq!(specgen(&["generate", "--root", root_str]).status.code(), Some(0));

    // The user edits the scaffolded controller.
    let controllers = root.join("services/backend/src/controllers");
    let controller = std::fs::read_dir(&controllers)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "py") && !p.ends_with("__init__.py"))
        .expect("a controller scaffold");
    let mut edited = std::fs::read_to_string(&controller).unwrap();
    edited.push_str("\n# business logic lives here\n");
    std::fs::write(&controller, &edited).unwrap();

    // A new operation in the domain file of that controller.
    let domain = controller.file_stem().unwrap().to_str().unwrap().to_string();
    let spec = root.join(format!("services/backend/spec/{domain}.yaml"));
    let mut text = std::fs::read_to_string(&spec).unwrap();
    text.push_str("  count_everything:\n    summary: Count things\n    params:\n      - {name: flavour, source: query, required: false}\n    rest: {method: GET, path: /count-everything}\n");
    std::fs::write(&spec, text).unwrap();
    let out = specgen(&["generate", "--root", root_str]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    assert_eq!(std::fs::read_to_string(&controller).unwrap(), edited, "the edited controller was touched");
    let generated = |path: &str| std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(generated("services/backend/src/generated/protocols.py").contains("async def count_everything("));
    assert!(generated(&format!("services/backend/src/generated/routers/{domain}.py"))
        .contains("async def count_everything("));
    assert!(generated("services/backend/src/generated/registry.py").contains(&format!("{domain}_controller")));
    assert!(generated("services/backend/docs/openapi.json").contains("\"operationId\": \"count_everything\""));
    assert!(generated("shared/shared/generated/clients/backend.py").contains("async def count_everything("));
    // And the drift check agrees that everything generated is current.
    assert_eq!(specgen(&["check", "--root", root_str]).status.code(), Some(0));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(specgen(&["generate", "--no-such-flag"]).status.code(), Some(2));
    assert_eq!(specgen(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn json_message_format_is_one_object_per_line() {
    let dir = repo().join("specgen-lib/tests/fixtures/bad/unknown-key-in-field");
    let out = specgen(&["validate", "--root", dir.to_str().unwrap(), "--message-format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    for line in stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["code"], "E0003");
        assert_eq!(v["labels"][0]["file"], "shared/spec/models.yaml");
    }
    assert!(!stdout.is_empty());
}

#[test]
fn help_of_every_command() {
    for cmd in ["validate", "generate", "check", "outputs", "graph", "schema"] {
        let out = specgen(&[cmd, "--help"]);
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("Examples:"), "`{cmd} --help` has no examples");
        insta::assert_snapshot!(format!("help_{cmd}"), text);
    }
    insta::assert_snapshot!("help", String::from_utf8(specgen(&["--help"]).stdout).unwrap());
}

#[test]
fn graph_prints_the_graph_of_docs_architecture_md() {
    let example = repo().join("examples/bookshelf");
    let ex = example.to_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let generated = specgen(&["generate", "--root", ex, "--out", out.path().to_str().unwrap(), "--no-scaffolds"]);
    assert_eq!(generated.status.code(), Some(0), "{}", String::from_utf8_lossy(&generated.stderr));
    let doc = std::fs::read_to_string(out.path().join("docs/architecture.md")).unwrap();

    // Mermaid by default: the block of docs/architecture.md.
    let mermaid = specgen(&["graph", "--root", ex]);
    assert_eq!(mermaid.status.code(), Some(0), "{}", String::from_utf8_lossy(&mermaid.stderr));
    let mermaid = String::from_utf8(mermaid.stdout).unwrap();
    assert!(mermaid.starts_with("flowchart LR\n"), "{mermaid}");
    assert!(doc.contains(&format!("```mermaid\n{mermaid}```\n")), "{doc}\n---\n{mermaid}");
    // The explicit file list gives the same graph.
    let mut args = vec!["graph", "--root", ex, "--format", "mermaid"];
    for spec in [
        "services.yml",
        "shared/spec/models.yaml",
        "shared/spec/events.yaml",
        "services/backend/spec/authors.yaml",
        "services/backend/spec/books.yaml",
        "services/notifications/spec/reading.yaml",
        "services/notifications/spec/manifest.yaml",
        "services/tg_bot/spec/manifest.yaml",
    ] {
        args.extend(["--spec", spec]);
    }
    assert_eq!(String::from_utf8(specgen(&args).stdout).unwrap(), mermaid);

    let dot = specgen(&["graph", "--root", ex, "--format", "dot"]);
    assert_eq!(dot.status.code(), Some(0));
    let dot = String::from_utf8(dot.stdout).unwrap();
    assert!(dot.starts_with("digraph fleet {\n") && dot.ends_with("}\n"), "{dot}");
    assert!(dot.contains("\"svc_tg_bot\" -> \"svc_backend\" [label=\"books: list_books"), "{dot}");

    // Spec errors: reported, exit 1, no graph; a bad format is a usage error.
    let bad = repo().join("specgen-lib/tests/fixtures/bad/services-depends-on-unknown-service");
    let failed = specgen(&["graph", "--root", bad.to_str().unwrap()]);
    assert_eq!(failed.status.code(), Some(1));
    assert!(failed.stdout.is_empty());
    assert!(String::from_utf8_lossy(&failed.stderr).contains("E0413"));
    assert_eq!(specgen(&["graph", "--root", ex, "--format", "svg"]).status.code(), Some(2));
}
