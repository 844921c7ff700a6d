//! Test-only launcher for scripts/nix-test.sh (not part of specgen).
//!
//! The offline Nix test has no nixpkgs, so the specgen it runs is the host's cargo build, which
//! is linked against the host's glibc (`/lib64/ld-linux-*.so`), absent from the Nix build
//! sandbox. scripts/nix-test.sh bundles that binary with its loader and libraries:
//!
//!   bin/specgen       this launcher, linked statically (runs anywhere, even in the sandbox)
//!   libexec/specgen   the real binary
//!   lib/ld.so, lib/*  its dynamic loader and libraries, copied from the host
//!
//! and the launcher runs `lib/ld.so --library-path lib libexec/specgen ARGS...`, finding the
//! bundle from its own path, so the bundle works from any store path.
use std::os::unix::process::CommandExt;
use std::process::{exit, Command};

fn main() {
    let exe = std::env::current_exe().unwrap_or_else(|e| {
        eprintln!("specgen launcher: cannot find my own path: {e}");
        exit(127)
    });
    let Some(bundle) = exe.parent().and_then(|bin| bin.parent()) else {
        eprintln!("specgen launcher: {} is not in <bundle>/bin", exe.display());
        exit(127)
    };
    let lib = bundle.join("lib");
    let err = Command::new(lib.join("ld.so"))
        .arg("--library-path")
        .arg(&lib)
        .arg(bundle.join("libexec/specgen"))
        .args(std::env::args_os().skip(1))
        .exec();
    eprintln!("specgen launcher: cannot run {}: {err}", lib.join("ld.so").display());
    exit(127)
}
