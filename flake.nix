{
  description = "specgen: hermetic, deterministic code generation from YAML specs for Python service fleets";

  # Only `packages`, `overlays`, `devShells` and the default `specgen` of `lib` need nixpkgs.
  # `lib.generate`/`lib.check` given a `specgen` package are plain derivations (see nix/README.md).
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      forAllSystems = f: builtins.listToAttrs (map (system: { name = system; value = f system; }) systems);
      pkgsFor = system: nixpkgs.legacyPackages.${system};
      # The spec files of the bundled example, listed explicitly as a build system would.
      exampleSpecs = [
        "services.yml"
        "shared/spec/events.yaml"
        "shared/spec/models.yaml"
        "services/backend/spec/authors.yaml"
        "services/backend/spec/books.yaml"
        "services/notifications/spec/manifest.yaml"
        "services/notifications/spec/reading.yaml"
        "services/tg_bot/spec/manifest.yaml"
      ];
    in
    {
      # lib.generate { root = ./.; specs = [ "shared/spec/models.yaml" ... ]; system = "x86_64-linux"; }
      # lib.check    { root = ./.; golden = ./.; system = "x86_64-linux"; }   (a stamp, or a build error with the diff)
      # Pass `specgen = <package>` to use another build of the CLI (and need no nixpkgs at all).
      lib = import ./nix/lib.nix { defaultSpecgen = system: self.packages.${system}.default; };

      overlays.default = final: prev: {
        specgen = final.callPackage ./nix/package.nix { };
      };

      packages = forAllSystems (system: rec {
        specgen = (pkgsFor system).callPackage ./nix/package.nix { };
        default = specgen;
      });

      apps = forAllSystems (system: {
        default = { type = "app"; program = "${self.packages.${system}.default}/bin/specgen"; };
      });

      checks = forAllSystems (system: {
        # The bundled example, generated hermetically from its explicit spec list.
        example = self.lib.generate {
          inherit system;
          name = "specgen-example-bookshelf";
          root = ./examples/bookshelf;
          specs = exampleSpecs;
        };
        # The same example found by walking its root (lib.specFiles): the same files.
        example-walk = self.lib.generate {
          inherit system;
          name = "specgen-example-bookshelf-walk";
          root = ./examples/bookshelf;
        };
        # lib.check (`specgen check --stamp $out`) agrees with lib.generate: the generated tree,
        # used as the golden copy, is up to date.
        example-check = self.lib.check {
          inherit system;
          name = "specgen-example-bookshelf-check";
          root = ./examples/bookshelf;
          specs = exampleSpecs;
          golden = self.checks.${system}.example;
        };
      });

      devShells = forAllSystems (system:
        let pkgs = pkgsFor system; in
        {
          default = pkgs.mkShell {
            inputsFrom = [ self.packages.${system}.default ];
            packages = with pkgs; [ cargo rustc clippy rustfmt rust-analyzer python3 nodejs graphviz redis docker-compose ];
          };
        });

      formatter = forAllSystems (system: (pkgsFor system).nixpkgs-fmt);
    };
}
