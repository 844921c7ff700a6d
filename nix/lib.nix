# specgen's Nix library: plain derivations whose builder is the specgen binary (no stdenv, no
# shell, no nixpkgs). Imported by ../flake.nix as `lib`; usable without flakes too:
#
#   (import ./nix/lib.nix { }).generate { specgen = <package>; root = ./.; }
#
# `defaultSpecgen` (system -> package) is what the flake passes so that `specgen` may be omitted.
{
  defaultSpecgen ? system: throw "specgen lib: pass `specgen = <package or path with bin/specgen>`",
}:
let
  inherit (builtins)
    attrNames
    concatMap
    concatStringsSep
    filter
    isPath
    pathExists
    readDir
    stringLength
    substring
    ;

  hasSuffix = suffix: s:
    let
      n = stringLength s;
      k = stringLength suffix;
    in
    n >= k && substring (n - k) k s == suffix;
  hasPrefix = prefix: s: substring 0 (stringLength prefix) s == prefix;
  removePrefix = prefix: s:
    if hasPrefix prefix s then substring (stringLength prefix) (stringLength s) s else s;
  splitLines = s: filter (l: builtins.isString l && l != "") (builtins.split "\n" s);
  # A path, a string, or anything with an outPath (a flake input, a derivation).
  norm = r: if builtins.isAttrs r then r.outPath else r;
  uniq = xs: attrNames (builtins.listToAttrs (map (x: { name = x; value = null; }) xs));

  # The spec files of a project, root-relative, sorted: what `specgen generate` finds when it
  # walks the root (specgen-lib/src/load.rs `walk`). Reads directory listings only.
  specFiles = root':
    let
      root = norm root';
      top = filter (p: pathExists (root + "/${p}")) [
        "services.yml"
        "shared/spec/events.yaml"
        "shared/spec/models.yaml"
        "specgen.toml"
      ];
      servicesDir = root + "/services";
      services =
        if pathExists servicesDir then
          let entries = readDir servicesDir; in filter (n: entries.${n} == "directory") (attrNames entries)
        else
          [ ];
      ofService = svc:
        let
          dir = "services/${svc}/spec";
          entries = if pathExists (root + "/${dir}") then readDir (root + "/${dir}") else { };
        in
        map (f: "${dir}/${f}") (filter (f: hasSuffix ".yaml" f && entries.${f} == "regular") (attrNames entries));
    in
    builtins.sort builtins.lessThan (top ++ concatMap ofService services);

  # A spec given as a path below root (./services/x/spec/y.yaml) or as a root-relative string.
  relativeSpec = root: spec:
    let
      prefix = toString (norm root) + "/";
      s = toString spec;
    in
    if isPath spec || hasPrefix "/" s then
      (if hasPrefix prefix s then removePrefix prefix s else throw "specgen lib: spec `${s}` is not below root `${toString root}`")
    else
      removePrefix "./" s;

  # Exactly the listed spec files of root (and their directories), copied to the store under a
  # fixed name: the store path depends on those files' relative paths and bytes only, never on
  # where the project sits or on any other file of it.
  specSource = { root, specs, name ? "specgen-specs" }:
    let
      rootStr = toString (norm root);
      wanted = builtins.listToAttrs (map (s: { name = s; value = null; }) specs);
      parents = builtins.listToAttrs (concatMap
        (s:
          let parts = filter builtins.isString (builtins.split "/" s);
              n = builtins.length parts;
          in builtins.genList (i: { name = concatStringsSep "/" (builtins.genList (j: builtins.elemAt parts j) (i + 1)); value = null; }) (n - 1))
        specs);
    in
    builtins.path {
      inherit name;
      path = norm root;
      filter = path: type:
        let rel = removePrefix (rootStr + "/") (toString path); in
        if type == "directory" then parents ? ${rel} else wanted ? ${rel};
    };

  # Common arguments of generate and check.
  prepare = args@{ root, specs ? null, system ? null, specgen ? null, ... }:
    let
      specs' = if specs == null then specFiles root else uniq (map (relativeSpec root) specs);
      system' =
        if system != null then system
        else if specgen != null && specgen ? system then specgen.system
        else throw "specgen lib: pass `system` (or a `specgen` derivation that has one)";
      specgen' = if specgen != null then specgen else defaultSpecgen system';
    in
    if specs' == [ ] then throw "specgen lib: no spec files under ${toString root}"
    else {
      specs = specs';
      system = system';
      specgen = specgen';
      src = specSource { inherit root; specs = specs'; };
      specArgs = concatMap (s: [ "--spec" s ]) specs';
    };

  # `specgen generate --no-scaffolds` into $out: the generated files and .specgen/manifest.txt,
  # byte for byte what the CLI writes for the same spec files.
  generate = args@{ name ? "specgen-generated", ... }:
    let p = prepare args; in
    derivation {
      inherit name;
      inherit (p) system;
      builder = "${p.specgen}/bin/specgen";
      args = [ "generate" "--root" p.src ] ++ p.specArgs
        ++ [ "--out" (placeholder "out") "--no-scaffolds" "--color" "never" ];
      # What was generated from what (also handy for `nix eval`).
      specgenSpecs = p.specs;
      allowSubstitutes = false;
      preferLocalBuild = true;
    };

  # Compare `golden` (a directory holding generated files, e.g. a checkout of the project) with
  # what the specs generate. Success: the generate derivation (so `nix build`/`nix flake check`
  # build it). Drift: evaluation fails naming every file that differs, is missing or is stale.
  # Reading the generated files at evaluation time is import-from-derivation (on by default).
  check = args@{ golden, name ? "specgen-generated", ... }:
    let
      generated = generate (removeAttrs args [ "golden" ] // { inherit name; });
      manifest = ".specgen/manifest.txt";
      listed = dir: filter (l: !(hasPrefix "#" l)) (splitLines (builtins.readFile "${dir}/${manifest}"));
      produced = listed generated;
      goldenPath = f: norm golden + "/${f}";
      missing = filter (f: !(pathExists (goldenPath f))) produced;
      differs = f: pathExists (goldenPath f) && builtins.readFile (goldenPath f) != builtins.readFile "${generated}/${f}";
      producedSet = builtins.listToAttrs (map (f: { name = f; value = null; }) produced);
      stale = if pathExists (goldenPath manifest) then
          filter (f: !(producedSet ? ${f}) && pathExists (goldenPath f)) (listed golden)
        else [ ];
      drifted = filter differs produced;
    in
    if drifted == [ ] && missing == [ ] && stale == [ ] then generated
    else throw ("specgen check: generated files in ${toString (norm golden)} are out of date ("
      + toString (builtins.length drifted) + " changed, " + toString (builtins.length missing) + " missing, "
      + toString (builtins.length stale) + " stale):\n"
      + concatStringsSep "\n" (map (f: "  changed: ${f}") drifted ++ map (f: "  missing: ${f}") missing
        ++ map (f: "  stale:   ${f}") stale)
      + "\nrun `specgen generate` (or `specgen check` for a diff)");
in
{
  inherit generate check specFiles specSource;
}
