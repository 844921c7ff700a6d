"""Lets Bazel 4.2.3, which has no bzlmod, evaluate rules_bazel's MODULE.bazel and extensions.bzl.

Usage: prepare.py RULES_DIR WORKSPACE_DIR   (on temporary copies: it writes into both)

Bazel 4.2.3 knows neither MODULE.bazel nor the bzlmod globals (module_extension, tag_class,
use_extension, ...). This writes, for Bazel's own Starlark interpreter to run:
  RULES_DIR/specgen/extensions_bzl4.bzl   extensions.bzl, unchanged but for stub definitions of
                                          module_extension and tag_class after its loads
  WORKSPACE_DIR/bzlmod_check/module_bazel.bzl
                                          MODULE.bazel's statements as the body of a macro; the
                                          bzlmod calls are rewritten to stubs that record them,
                                          check tag attributes against the tag_class, run the
                                          extension's implementation with a fake module_ctx and
                                          register the toolchains MODULE.bazel registers
  WORKSPACE_DIR/WORKSPACE.bzlmod          the WORKSPACE with specgen_register_toolchains()
                                          replaced by that macro
A build with WORKSPACE.bzlmod thus gets its specgen toolchain from the module extension's code.
What it cannot check: bzlmod's resolution (bazel_dep, registries, repo mapping), which needs Bazel 6+.
"""

import re
import sys
from pathlib import Path

rules, ws = Path(sys.argv[1]), Path(sys.argv[2])

ext = (rules / "specgen/extensions.bzl").read_text()
lines = ext.splitlines(keepends=True)
last_load = max(i for i, l in enumerate(lines) if l.startswith("load("))
# A load may span lines: find its closing parenthesis.
end = last_load
while ")" not in lines[end]:
    end += 1
stubs = '''
# --- stubs of bzlmod globals (tests/bazel/bzlmod/prepare.py) ---
def module_extension(implementation, tag_classes = {}, doc = ""):
    return struct(implementation = implementation, tag_classes = tag_classes)

def tag_class(attrs = {}, doc = ""):
    return struct(attrs = attrs)
# --- end of stubs ---
'''
(rules / "specgen/extensions_bzl4.bzl").write_text("".join(lines[: end + 1]) + stubs + "".join(lines[end + 1 :]))

module = (rules / "MODULE.bazel").read_text()
body = []
for line in module.splitlines():
    if line.startswith('"""') or not line.strip():
        continue  # the module docstring (one line) and blank lines
    line = re.sub(r"\b(\w+)\.(\w+)\(", r'_tag(_state, \1, "\2", ', line)
    line = re.sub(r"(?<![\w.])(module|use_extension|use_repo|register_toolchains|bazel_dep)\(", r"_\1(_state, ", line)
    body.append("    " + line)
# A call with no arguments left a dangling comma: `_tag(_state, x, "binary", )` is valid Starlark.

bzl = '''"""MODULE.bazel of rules_specgen, evaluated by Bazel 4.2.3 with stubs (tests/bazel/bzlmod/prepare.py)."""

load("@rules_specgen//specgen:extensions_bzl4.bzl", _specgen_extension = "specgen")

_EXTENSIONS = {"//specgen:extensions.bzl%specgen": _specgen_extension}

def _module(state, name, version = "", compatibility_level = 0):
    state["module"] = "%s@%s" % (name, version)

def _bazel_dep(state, name, version = "", **kwargs):
    state["deps"].append(name)

def _use_extension(state, file, name):
    key = "%s%%%s" % (file, name)
    if key not in _EXTENSIONS:
        fail("MODULE.bazel uses an unknown extension " + key)
    state["tags"][key] = {}
    return key

def _tag(state, key, tag, **attrs):
    ext = _EXTENSIONS[key]
    if tag not in ext.tag_classes:
        fail("%s has no tag class `%s`" % (key, tag))
    for a in attrs:
        if a not in ext.tag_classes[tag].attrs:
            fail("tag %s.%s has no attribute `%s`" % (key, tag, a))
    state["tags"][key].setdefault(tag, []).append(struct(**attrs))

def _use_repo(state, key, *names):
    state["repos"].extend(names)

def _register_toolchains(state, *labels):
    state["toolchains"].extend(labels)

def evaluate_module_bazel():
    """Runs MODULE.bazel, then what bzlmod would do for the root module."""
    _state = {"module": None, "deps": [], "tags": {}, "repos": [], "toolchains": []}
    @@BODY@@
    for key, tags in _state["tags"].items():
        tag_structs = {}
        for tag in _EXTENSIONS[key].tag_classes:
            tag_structs[tag] = [
                struct(**{a: getattr(t, a, "") for a in _EXTENSIONS[key].tag_classes[tag].attrs})
                for t in tags.get(tag, [])
            ]
        module_ctx = struct(modules = [struct(name = "rules_specgen", tags = struct(**tag_structs))])
        _EXTENSIONS[key].implementation(module_ctx)
    native.register_toolchains(*_state["toolchains"])
    print("bzlmod stub check: module %s, extension tags %s, use_repo %s, register_toolchains %s" % (
        _state["module"], {k: {t: len(v) for t, v in tags.items()} for k, tags in _state["tags"].items()},
        _state["repos"], _state["toolchains"]))
'''.replace("    @@BODY@@\n", "\n".join(body) + "\n")

check = ws / "bzlmod_check"
check.mkdir(exist_ok=True)
(check / "BUILD.bazel").write_text("# Loaded by WORKSPACE.bzlmod (tests/bazel/bzlmod/prepare.py).\n")
(check / "module_bazel.bzl").write_text(bzl)

workspace = (ws / "WORKSPACE").read_text()
old_load = 'load("@rules_specgen//specgen:repositories.bzl", "specgen_register_toolchains")\n'
old_call = "specgen_register_toolchains()\n"
if old_load not in workspace or old_call not in workspace:
    sys.exit("prepare.py: the WORKSPACE no longer calls specgen_register_toolchains() as expected")
workspace = workspace.replace(old_load, 'load("//bzlmod_check:module_bazel.bzl", "evaluate_module_bazel")\n')
workspace = workspace.replace(old_call, "evaluate_module_bazel()\n")
(ws / "WORKSPACE.bzlmod").write_text(workspace)
