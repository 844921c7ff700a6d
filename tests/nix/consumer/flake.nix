{
  description = "TEST for scripts/nix-test.sh: a project that uses specgen's flake";
  # scripts/nix-test.sh copies this directory to a temporary one, writes ./system.nix (the host's
  # Nix system string) and overrides every input with a local path: nothing here is fetched.
  inputs = {
    specgen.url = "path:../..";
    # A prebuilt specgen bundle (bin/specgen); see ../launcher.rs.
    prebuilt = { url = "path:./prebuilt"; flake = false; };
    # The project whose specs are generated (a copy of examples/bookshelf, maybe edited).
    project = { url = "path:../../examples/bookshelf"; flake = false; };
    # A directory of generated files to check against.
    golden = { url = "path:./golden"; flake = false; };
  };

  outputs = { self, specgen, prebuilt, project, golden }:
    let
      system = import ./system.nix;
      specs = [
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
      # The library with an explicit specgen: needs no nixpkgs (the test overrides specgen's
      # nixpkgs with a flake that throws when used).
      packages.${system} = {
        generated = specgen.lib.generate { inherit system specs; specgen = prebuilt; root = project; };
        walked = specgen.lib.generate { inherit system; specgen = prebuilt; root = project; };
        checked = specgen.lib.check { inherit system specs golden; specgen = prebuilt; root = project; };
        # golden as a path inside this flake (as `golden = ./.` in a project's own flake); the
        # script copies a golden tree to ./golden before building this.
        checkedInTree = specgen.lib.check { inherit system specs; specgen = prebuilt; root = project; golden = ./golden; };
      };
      specList = specgen.lib.specFiles project;
      # With nixpkgs (the test's stub): the overlay adds `specgen` to a package set.
      overlayName =
        let
          pkgs = specgen.inputs.nixpkgs.legacyPackages.${system};
          final = pkgs // specgen.overlays.default final pkgs;
        in
        final.specgen.name;
    };
}
