"""The logic of the bzlmod extension, in plain Starlark (loadable by any Bazel version)."""

def binary_path_from_tags(paths_per_module):
    """The binary path: the first non-empty `specgen.binary(path = ...)`, root module first.

    Args:
      paths_per_module: for each module (root first, as module_ctx.modules lists them), the
        `path` of each of its `specgen.binary` tags.

    Returns:
      The path, or "" to fall back to $SPECGEN_BIN.
    """
    for paths in paths_per_module:
        for path in paths:
            if path:
                return path
    return ""
