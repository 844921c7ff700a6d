"""local_python: a Python toolchain for py_test from an interpreter on this machine.

Bazel 4's autodetecting toolchain runs `python3` from PATH, which has no pydantic. The pinned
test venv (target/venv, made by scripts/setup-python.sh) has it: scripts/bazel-test.sh passes it
in $SPECGEN_TEST_PYTHON. The path lives only in this generated repository, never in a checked-in
file.
"""

_BUILD = """\
load("@bazel_tools//tools/python:toolchain.bzl", "py_runtime_pair")

py_runtime(
    name = "py3",
    interpreter_path = "{interpreter}",
    python_version = "PY3",
)

py_runtime_pair(
    name = "pair",
    py3_runtime = ":py3",
)

toolchain(
    name = "toolchain",
    toolchain = ":pair",
    toolchain_type = "@bazel_tools//tools/python:toolchain_type",
)
"""

def _local_python_impl(rctx):
    interpreter = rctx.os.environ.get("SPECGEN_TEST_PYTHON", "")
    if not interpreter:
        found = rctx.which("python3")
        if not found:
            fail("local_python: set SPECGEN_TEST_PYTHON or put python3 on PATH")
        interpreter = str(found)
    if not interpreter.startswith("/"):
        fail("local_python: SPECGEN_TEST_PYTHON must be an absolute path, got `%s`" % interpreter)
    rctx.file("BUILD.bazel", _BUILD.format(interpreter = interpreter))
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name)

local_python = repository_rule(
    implementation = _local_python_impl,
    environ = ["SPECGEN_TEST_PYTHON", "PATH"],
    local = True,
)
