#!/usr/bin/env bash
# Runs the gateway example's tests: installs its requirements, the openai SDK
# and pytest into a virtual environment that already has eligo built into it,
# then runs pytest on examples/gateway/tests with that environment's python.
#
#   bash examples/gateway/test.sh [VENV] [PYTEST ARGS...]
#
# VENV defaults to target/python-venv; a relative path is taken from the
# repository root.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV="${1:-target/python-venv}"
PY="$VENV/bin/python"
if [ ! -x "$PY" ]; then
    echo "error: no virtual environment at $VENV; build eligo into one first (see .ci/test)" >&2
    exit 2
fi
if ! "$PY" -c 'import eligo' 2>/dev/null; then
    echo "error: eligo is not installed in $VENV; run maturin develop with it (see .ci/test)" >&2
    exit 2
fi
"$PY" -m pip install --quiet --disable-pip-version-check \
    -r examples/gateway/requirements.txt 'openai>=1.40,<3' 'pytest>=7'
"$PY" -m pytest examples/gateway/tests -q -p no:cacheprovider "${@:2}"
