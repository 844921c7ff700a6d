//! Generates the Rust types of examples/bookshelf and of every good fixture of specgen-lib,
//! one directory of OUT_DIR each, `fixtures.rs`, which includes them as modules, and
//! `cross.rs`, the dispatch of the cross-language test (project and class name → the type).
//!
//! With the `spec-root-from-env` feature, bookshelf is read from `SPECGEN_CONSUMER_BOOKSHELF`
//! instead (a copy the rebuild test edits; the repository's examples are never touched).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The variable the `spec-root-from-env` feature reads bookshelf's root from.
const BOOKSHELF_ENV: &str = "SPECGEN_CONSUMER_BOOKSHELF";

fn main() -> Result<(), specgen_build::Error> {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by Cargo"));
    let repo = manifest_dir.join("../../..").canonicalize().expect("the specgen repository");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by Cargo"));

    if std::env::var_os("CARGO_FEATURE_BAD_SPEC").is_some() {
        return specgen_build::Config::new()
            .root(repo.join("specgen-lib/tests/fixtures/bad/unknown-variant-class"))
            .out_dir(out_dir.join("bad"))
            .generate();
    }

    // The common case: one project, defaults for everything but the root.
    let bookshelf = if std::env::var_os("CARGO_FEATURE_SPEC_ROOT_FROM_ENV").is_some() {
        // Cargo reruns the script when the variable changes, as well as when a spec does.
        println!("cargo:rerun-if-env-changed={BOOKSHELF_ENV}");
        PathBuf::from(std::env::var_os(BOOKSHELF_ENV).expect("SPECGEN_CONSUMER_BOOKSHELF is set"))
    } else {
        repo.join("examples/bookshelf")
    };
    specgen_build::Config::new().root(bookshelf).generate()?;
    let mut dispatch =
        vec![("bookshelf".to_string(), "crate::bookshelf".to_string(), out_dir.join(specgen_build::RUST_FILE))];

    // Every good fixture, each in its own directory and module.
    let good = repo.join("specgen-lib/tests/fixtures/good");
    let mut modules = String::new();
    for dir in sorted_dirs(&good) {
        let name = dir.file_name().unwrap().to_str().unwrap().to_string();
        specgen_build::Config::new().root(&dir).out_dir(out_dir.join(&name)).generate()?;
        let module = name.replace('-', "_");
        writeln!(
            modules,
            "pub mod {module} {{\n    include!(concat!(env!(\"OUT_DIR\"), \"/{name}/{}\"));\n}}",
            specgen_build::RUST_FILE
        )
        .unwrap();
        dispatch.push((
            name.clone(),
            format!("crate::fixtures::{module}"),
            out_dir.join(&name).join(specgen_build::RUST_FILE),
        ));
    }
    std::fs::write(out_dir.join("fixtures.rs"), modules).expect("write fixtures.rs");
    std::fs::write(out_dir.join("cross.rs"), cross_dispatch(&dispatch)).expect("write cross.rs");
    Ok(())
}

/// `fn round_trip(project, class, json)`: a `match` with an arm per struct of every generated
/// file (found by its `pub struct` lines, which start a line), calling `through::<Type>`, which
/// the including module defines. Keyed by the Rust identifier (the class name but for the
/// keywords, `Self` → `Self_`).
fn cross_dispatch(files: &[(String, String, PathBuf)]) -> String {
    let mut out = String::from(
        "/// Reads `json` as the generated type of `class` in `project` and writes it back;\n\
         /// `None` when there is no such type.\n\
         pub fn round_trip(project: &str, class: &str, json: &str) -> Option<Result<String, String>> {\n\
         \x20   match (project, class) {\n",
    );
    for (project, module, file) in files {
        let text = std::fs::read_to_string(file).expect("read the generated file");
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("pub struct ") else { continue };
            let ident: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            writeln!(out, "        ({project:?}, {ident:?}) => Some(through::<{module}::{ident}>(json)),").unwrap();
        }
    }
    out.push_str("        _ => None,\n    }\n}\n");
    out
}

fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    dirs
}
