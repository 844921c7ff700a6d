"""WORKSPACE support: `specgen_register_toolchains()`."""

load("//specgen/private:binary_repository.bzl", "specgen_binary_repository")

def specgen_register_toolchains(name = "specgen_bin", path = None):
    """Declares the specgen binary repository and registers its toolchain.

    Call it from WORKSPACE after declaring @rules_specgen.

    Args:
      name: name of the repository holding the binary (default `specgen_bin`).
      path: absolute path of a prebuilt specgen binary; default: the SPECGEN_BIN environment
        variable when Bazel fetches the repository (it is refetched when SPECGEN_BIN changes).
    """
    if not native.existing_rule(name):
        specgen_binary_repository(name = name, path = path or "")
    native.register_toolchains("@%s//:toolchain" % name)
