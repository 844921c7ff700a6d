{
  description = "TEST STUB for scripts/nix-test.sh: a nixpkgs that fails when used";
  # Overriding specgen's `nixpkgs` input with this flake proves that lib.generate/lib.check
  # (given a `specgen` package) never touch nixpkgs: any use aborts the evaluation.
  outputs = { self }: throw "nixpkgs was used, but lib.generate/lib.check must not need it";
}
