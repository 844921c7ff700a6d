"""The specgen toolchain: which `specgen` binary the rules run."""

TOOLCHAIN_TYPE = "@rules_specgen//specgen:toolchain_type"

def _specgen_toolchain_impl(ctx):
    return [platform_common.ToolchainInfo(
        specgen = ctx.executable.specgen,
        specgen_files = depset([ctx.executable.specgen], transitive = [ctx.attr.specgen[DefaultInfo].files]),
    )]

specgen_toolchain = rule(
    implementation = _specgen_toolchain_impl,
    doc = "Declares a specgen binary; wrap it in `toolchain(toolchain_type = \"%s\")`." % TOOLCHAIN_TYPE,
    attrs = {
        "specgen": attr.label(
            doc = "The specgen executable (a file or a rule producing one).",
            mandatory = True,
            executable = True,
            allow_single_file = True,
            cfg = "exec",
        ),
    },
)

def specgen_binary(ctx):
    """The specgen executable File of the resolved toolchain."""
    return ctx.toolchains[TOOLCHAIN_TYPE].specgen
