"""A repository holding a prebuilt specgen binary and its toolchain (WORKSPACE and bzlmod)."""

_BUILD = """\
load("@rules_specgen//specgen:toolchain.bzl", "specgen_toolchain")

exports_files(["specgen"])

specgen_toolchain(
    name = "specgen_toolchain",
    specgen = ":specgen",
)

toolchain(
    name = "toolchain",
    toolchain = ":specgen_toolchain",
    toolchain_type = "@rules_specgen//specgen:toolchain_type",
)
"""

ENV_VAR = "SPECGEN_BIN"

def _specgen_binary_repository_impl(rctx):
    path = rctx.attr.path or rctx.os.environ.get(ENV_VAR, "")
    if not path:
        fail(("rules_specgen: no specgen binary: set ${env} to the path of a built `specgen` " +
              "(e.g. `cargo build -p specgen-cli` gives target/debug/specgen), or pass " +
              "path = ... to specgen_register_toolchains() / specgen.binary().").format(env = ENV_VAR))
    binary = rctx.path(path)
    if not binary.exists:
        fail("rules_specgen: specgen binary `%s` does not exist (from %s)" %
             (path, "path =" if rctx.attr.path else "$" + ENV_VAR))
    # A symlink: the action's input is `external/<repo>/specgen`, a path that is the same in
    # every checkout, and Bazel hashes the file it points to.
    rctx.symlink(binary, "specgen")
    rctx.file("BUILD.bazel", _BUILD)
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name)

specgen_binary_repository = repository_rule(
    implementation = _specgen_binary_repository_impl,
    doc = "Makes a prebuilt specgen binary (attr `path`, else $SPECGEN_BIN) a toolchain.",
    attrs = {
        "path": attr.string(doc = "Absolute path of the specgen binary (default: $SPECGEN_BIN)."),
    },
    environ = [ENV_VAR],
    local = True,
)
