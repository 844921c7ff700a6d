# The specgen CLI, built by nixpkgs' Rust tooling from the workspace and its Cargo.lock
# (no network at build time: every crate is pinned in Cargo.lock by checksum).
# Used by ../flake.nix (`packages.<system>.default`, `overlays.default`).
{ lib, rustPlatform }:
let
  root = ./..;
  # The workspace without build outputs, VCS data and `result` links of `nix build` (an exclude
  # list, so that a new workspace member needs no change here).
  drop = [ "target" ".git" ];
  src = builtins.path {
    name = "specgen-source";
    path = root;
    filter = path: type:
      let base = baseNameOf (toString path); in
      !(builtins.elem base drop) && builtins.match "result(-.*)?" base == null;
  };
  cargoToml = builtins.fromTOML (builtins.readFile ../Cargo.toml);
in
rustPlatform.buildRustPackage {
  pname = "specgen";
  inherit (cargoToml.workspace.package) version;
  inherit src;
  cargoLock.lockFile = ../Cargo.lock;
  cargoBuildFlags = [ "--package" "specgen-cli" ];
  # The test suite drives ruff, mypy, tsc, docker-compose... from pinned tool directories
  # (scripts/test.sh); inside the Nix sandbox there are none, so it runs outside Nix.
  doCheck = false;
  meta = {
    description = "Hermetic, deterministic code generation from YAML specs for Python service fleets";
    mainProgram = "specgen";
    license = with lib.licenses; [ mit asl20 ];
  };
}
