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

  # `golden` as a store path the check derivation depends on: a flake input, a derivation or
  # any string with store context as given; a path (`./.`) copied under a fixed name without
  # `.git`, so that the copy does not depend on where the project sits.
  goldenSource = golden:
    let g = norm golden; in
    if isPath g then
      builtins.path { path = g; name = "specgen-golden"; filter = path: type: baseNameOf path != ".git"; }
    else if builtins.hasContext g then
      g
    else
      throw "specgen lib: golden `${g}` must be a path, a flake input or a derivation (a store path with context)";

  # `specgen check --stamp $out`: a derivation that builds (a one-line stamp, `up to date: N
  # generated files`) if `golden` (a directory holding generated files, e.g. the project's
  # checkout) holds exactly what the specs generate, and fails at build time otherwise, with
  # `specgen check`'s unified diff (changed, missing and stale files) in the build log. Like
  # `specgen check`, it compares generated files only: scaffolds and hand-written code in
  # `golden` are ignored, and stale means listed in `golden/.specgen/manifest.txt`, present,
  # carrying specgen's banner (or `.json`), and no longer generated.
  check = args@{ golden, name ? "specgen-check", ... }:
    let p = prepare (removeAttrs args [ "golden" ]); in
    derivation {
      inherit name;
      inherit (p) system;
      builder = "${p.specgen}/bin/specgen";
      args = [ "check" "--root" p.src ] ++ p.specArgs
        ++ [ "--out" (goldenSource golden) "--stamp" (placeholder "out") "--color" "never" ];
      specgenSpecs = p.specs;
      allowSubstitutes = false;
      preferLocalBuild = true;
    };
in
{
  inherit generate check specFiles specSource;
}
