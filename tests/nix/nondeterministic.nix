# TEST for scripts/nix-test.sh (not part of specgen): a derivation that is NOT deterministic (it
# writes a random UUID), built once and then with `nix build --rebuild`, to show that the
# `--rebuild` proofs of the script can fail. `shell` is a directory that the script fills with a
# POSIX shell (`sh`) and, when that shell is dynamically linked, its loader and libraries
# (`lib/ld.so`, `lib/*`): no stdenv, no nixpkgs, the sandbox stays on.
{ shell, system }:
let
  dir = builtins.path { path = shell; name = "nix-test-shell"; };
  dynamic = builtins.pathExists (shell + "/lib/ld.so");
  script = ''read u < /proc/sys/kernel/random/uuid; echo "$u" > "$out"'';
in
derivation {
  name = "nix-test-nondeterministic";
  inherit system;
  builder = if dynamic then "${dir}/lib/ld.so" else "${dir}/sh";
  args = (if dynamic then [ "--library-path" "${dir}/lib" "${dir}/sh" ] else [ ]) ++ [ "-c" script ];
  allowSubstitutes = false;
  preferLocalBuild = true;
}
