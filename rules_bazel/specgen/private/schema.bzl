"""specgen_json_schema: the JSON Schemas of the spec files (`specgen schema --out`)."""

load(":toolchain.bzl", "TOOLCHAIN_TYPE", "specgen_binary")

# `specgen schema` writes one `<kind>.schema.json` per spec kind (specgen-lib/src/schema.rs).
SCHEMA_KINDS = ["domain", "events", "manifest", "models", "services", "specgen-toml"]

def _specgen_json_schema_impl(ctx):
    files = [ctx.actions.declare_file("%s/%s.schema.json" % (ctx.label.name, k)) for k in SCHEMA_KINDS]
    out_dir = files[0].dirname
    ctx.actions.run(
        executable = specgen_binary(ctx),
        arguments = ["schema", "--out", out_dir],
        outputs = files,
        mnemonic = "SpecgenSchema",
        progress_message = "Writing the JSON Schemas of %s" % ctx.label,
        env = {},
    )
    return [DefaultInfo(files = depset(files))]

specgen_json_schema = rule(
    implementation = _specgen_json_schema_impl,
    doc = "The JSON Schemas (draft-07) of every spec kind, in `<package>/<name>/<kind>.schema.json`.",
    toolchains = [TOOLCHAIN_TYPE],
)
