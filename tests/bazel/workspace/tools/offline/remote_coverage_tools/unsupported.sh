#!/bin/sh
echo "bazel coverage is not available offline (tests/bazel/workspace/tools/offline)" >&2
exit 1
