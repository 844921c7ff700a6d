//! Generates the Rust types of examples/bookshelf and of every good fixture of specgen-lib,
//! one directory of OUT_DIR each, and `fixtures.rs`, which includes them as modules.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

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
    specgen_build::Config::new().root(repo.join("examples/bookshelf")).generate()?;

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
    }
    std::fs::write(out_dir.join("fixtures.rs"), modules).expect("write fixtures.rs");
    Ok(())
}

fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    dirs
}
