"""specgen_outputs_listing: writes what specgen_outputs computes, one `path` per line (generated
files only, like `specgen outputs`). For testing the Starlark mirror against the binary."""

load(":outputs.bzl", "DEFAULT_SERVICES_DIR", "DEFAULT_SHARED_PACKAGE", "GENERATED", "specgen_outputs")

def _impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".txt")
    planned = specgen_outputs(
        ctx.attr.specs,
        targets = ctx.attr.targets,
        shared_package = ctx.attr.shared_package,
        services_dir = ctx.attr.services_dir,
    )
    lines = [o.path for o in planned if o.kind == GENERATED]
    ctx.actions.write(out, "".join([l + "\n" for l in lines]))
    return [DefaultInfo(files = depset([out]))]

specgen_outputs_listing = rule(
    implementation = _impl,
    attrs = {
        "specs": attr.string_list(mandatory = True, doc = "Project-relative spec paths."),
        "targets": attr.string_list(),
        "shared_package": attr.string(default = DEFAULT_SHARED_PACKAGE),
        "services_dir": attr.string(default = DEFAULT_SERVICES_DIR),
    },
)
