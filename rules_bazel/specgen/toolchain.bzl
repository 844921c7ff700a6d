"""Public: the specgen toolchain rule, for registering your own binary (e.g. built by Bazel)."""

load("//specgen/private:toolchain.bzl", _TOOLCHAIN_TYPE = "TOOLCHAIN_TYPE", _specgen_toolchain = "specgen_toolchain")

specgen_toolchain = _specgen_toolchain
TOOLCHAIN_TYPE = _TOOLCHAIN_TYPE
