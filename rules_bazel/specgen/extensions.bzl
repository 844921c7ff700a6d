"""bzlmod support (Bazel 6 or later): the `specgen` module extension.

    specgen = use_extension("@rules_specgen//specgen:extensions.bzl", "specgen")
    specgen.binary(path = "/abs/path/to/specgen")   # optional; default: $SPECGEN_BIN
    use_repo(specgen, "specgen_bin")
    register_toolchains("@specgen_bin//:toolchain")

Only this file and MODULE.bazel use bzlmod-only globals (module_extension, tag_class); the
repository rule is the same as in WORKSPACE mode (private/binary_repository.bzl).
"""

load("//specgen/private:binary_repository.bzl", "specgen_binary_repository")
load("//specgen/private:extension.bzl", "binary_path_from_tags")

def _specgen_impl(module_ctx):
    specgen_binary_repository(
        name = "specgen_bin",
        path = binary_path_from_tags([
            [tag.path for tag in mod.tags.binary]
            for mod in module_ctx.modules
        ]),
    )

specgen = module_extension(
    implementation = _specgen_impl,
    tag_classes = {
        "binary": tag_class(attrs = {
            "path": attr.string(doc = "Absolute path of the specgen binary (default: $SPECGEN_BIN)."),
        }),
    },
)
