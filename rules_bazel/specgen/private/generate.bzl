"""specgen_generate: one hermetic specgen action over exactly the declared spec files."""

load(":outputs.bzl", "DEFAULT_SERVICES_DIR", "DEFAULT_SHARED_PACKAGE", "GENERATED", "specgen_outputs")
load(":toolchain.bzl", "TOOLCHAIN_TYPE", "specgen_binary")

SpecgenInfo = provider(
    doc = "What a specgen_generate target produced.",
    fields = {
        "project_root": "Exec path of the spec project root (\"\" for the workspace root, `external/<repo>/<dir>`...).",
        "specs": "Project-relative paths of the spec files, sorted.",
        "outputs": "dict: project-relative output path -> File.",
        "out_dir": "Exec path of the directory the outputs are written into (their --out).",
    },
)

_MANIFEST = ".specgen/manifest.txt"

def _join(*parts):
    return "/".join([p for p in parts if p])

def project_root_of(files, root, what):
    """The exec path of the project root of `files` (all in one repository and root) + relative paths."""
    first = files[0]
    prefix = _join(first.root.path, first.owner.workspace_root, root.strip("/"))
    rel = []
    for f in files:
        if prefix and not f.path.startswith(prefix + "/"):
            fail(("%s `%s` is not below the project root `%s`: all srcs must be in one repository " +
                  "(and all source files, or all generated in one configuration), below `root`") %
                 (what, f.path, prefix))
        rel.append(f.path[len(prefix) + 1:] if prefix else f.path)
    return prefix, rel

def _specgen_generate_impl(ctx):
    if not ctx.files.srcs:
        fail("specgen_generate: srcs is empty")
    root, specs = project_root_of(ctx.files.srcs, ctx.attr.root, "spec")
    seen = {}
    for s in specs:
        if s in seen:
            fail("specgen_generate: `%s` is listed twice" % s)
        seen[s] = True
    specs = sorted(specs)

    planned = specgen_outputs(
        specs,
        targets = ctx.attr.targets,
        shared_package = ctx.attr.shared_package,
        services_dir = ctx.attr.services_dir,
    )
    outputs = {}
    groups = {}
    for o in planned:
        if o.kind != GENERATED:
            continue  # scaffolds are not written with --no-scaffolds
        f = ctx.actions.declare_file(_join(ctx.label.name, o.path))
        outputs[o.path] = f
        groups.setdefault(o.target, []).append(f)
        if o.path.endswith(".py"):
            groups.setdefault("python", []).append(f)
    if not outputs:
        fail("specgen_generate: these specs generate no files with targets %s" % (ctx.attr.targets or "(default)"))

    # specgen's own record of what it wrote: declared so that nothing undeclared is left in
    # bazel-out, and kept out of DefaultInfo.
    manifest = ctx.actions.declare_file(_join(ctx.label.name, _MANIFEST))
    out_dir = manifest.path[:-len("/" + _MANIFEST)]

    specgen = specgen_binary(ctx)
    args = ctx.actions.args()
    args.add("generate")
    args.add("--root", root or ".")
    for s in specs:
        args.add("--spec", s)
    for t in ctx.attr.targets:
        args.add("--target", t)
    args.add("--out", out_dir)
    args.add_all(["--no-scaffolds", "--quiet", "--color", "never"])

    files = [outputs[p] for p in sorted(outputs.keys())]
    ctx.actions.run(
        executable = specgen,
        arguments = [args],
        inputs = ctx.files.srcs,
        outputs = files + [manifest],
        mnemonic = "SpecgenGenerate",
        progress_message = "Generating %d files of %s with specgen" % (len(files), ctx.label),
        # No environment, no PATH: specgen reads only its arguments and the listed files.
        env = {},
    )

    output_groups = {k: depset(v) for k, v in groups.items()}
    output_groups["specgen_manifest"] = depset([manifest])
    return [
        DefaultInfo(files = depset(files), runfiles = ctx.runfiles(files = files)),
        OutputGroupInfo(**output_groups),
        SpecgenInfo(project_root = root, specs = specs, outputs = outputs, out_dir = out_dir),
    ]

specgen_generate = rule(
    implementation = _specgen_generate_impl,
    doc = """Runs `specgen generate --no-scaffolds` over exactly `srcs` in one action.

Every output is declared, computed from the spec file names (like `specgen outputs`). Outputs go
to `<package>/<name>/<project-relative path>` in bazel-bin. DefaultInfo has every generated file;
output groups: one per specgen target (`pydantic`, `fastapi`, `client`, `openapi`, `typescript`,
`events`, `asyncapi`, `compose`, `schemathesis`, `graph`), `python` (every .py file, package
`__init__.py` files included) and `specgen_manifest`.""",
    attrs = {
        "srcs": attr.label_list(
            doc = "The spec files (services.yml, specgen.toml, shared/spec/*.yaml, services/<svc>/spec/*.yaml).",
            allow_files = [".yaml", ".yml", ".toml"],
            mandatory = True,
        ),
        "root": attr.string(
            doc = "The project root, relative to the root of the srcs' repository (default: the repository root).",
        ),
        "targets": attr.string_list(
            doc = "specgen targets to generate (passed as --target); default: specgen's default set. " +
                  "If specgen.toml is in srcs and sets `targets`, repeat them here.",
        ),
        "shared_package": attr.string(
            default = DEFAULT_SHARED_PACKAGE,
            doc = "Must equal specgen.toml `[paths] shared_package` when it is set.",
        ),
        "services_dir": attr.string(
            default = DEFAULT_SERVICES_DIR,
            doc = "Must equal specgen.toml `[paths] services_dir` when it is set.",
        ),
    },
    toolchains = [TOOLCHAIN_TYPE],
)
