{
  description = "TEST STUB for scripts/nix-test.sh standing in for nixpkgs offline: NOT nixpkgs";
  # Just enough of nixpkgs' interface for specgen's flake.nix to evaluate: `callPackage`,
  # `lib.licenses`, `mkShell` and tool attributes. `rustPlatform.buildRustPackage` does not
  # compile anything: it returns the prebuilt specgen that scripts/nix-test.sh copies into
  # ./prebuilt (the host's cargo build, bundled with its loader; see ../launcher.rs), as a
  # derivation (a symlink tree made by Nix's builtin:buildenv) that also records the arguments
  # it was called with (`stubArgs`) so the test can check them.
  outputs = { self }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      prebuilt = builtins.path { path = ./prebuilt; name = "specgen-prebuilt"; };
      symlinkTree = { name, system, paths }: derivation {
        inherit name system;
        builder = "builtin:buildenv";
        derivations = builtins.concatStringsSep " " (map (p: "true 5 1 ${p}") paths);
        manifest = "/dev/null";
      };
      pkgsFor = system:
        let
          pkgs = {
            lib.licenses = { mit.spdxId = "MIT"; asl20.spdxId = "Apache-2.0"; };
            callPackage = fn: extra:
              let f = if builtins.isFunction fn then fn else import fn; in
              f (builtins.intersectAttrs (builtins.functionArgs f) pkgs // extra);
            rustPlatform.buildRustPackage = args:
              symlinkTree { inherit system; name = "${args.pname}-${args.version}"; paths = [ prebuilt ]; }
              // { inherit (args) pname version meta; stubArgs = args; };
            mkShell = args: symlinkTree { inherit system; name = "nix-shell"; paths = [ ]; } // {
              stubPackages = map (p: p.name) (args.packages or [ ]);
              stubInputsFrom = map (p: p.name) (args.inputsFrom or [ ]);
            };
            nixpkgs-fmt = tool "nixpkgs-fmt";
          } // builtins.listToAttrs (map (n: { name = n; value = tool n; })
            [ "cargo" "rustc" "clippy" "rustfmt" "rust-analyzer" "python3" "nodejs" "graphviz" "redis" "docker-compose" ]);
          tool = name: symlinkTree { inherit system name; paths = [ ]; };
        in
        pkgs;
    in
    {
      legacyPackages = builtins.listToAttrs (map (system: { name = system; value = pkgsFor system; }) systems);
    };
}
