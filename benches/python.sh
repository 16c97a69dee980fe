#!/usr/bin/env bash
# The Python benchmark: builds the extension in release mode into its own
# virtual environment (target/bench-venv) and runs benches/python_filter.py.
# Usage: bash benches/python.sh [TARGETS]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV=target/bench-venv
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check 'maturin>=1.9.4,<2'
VIRTUAL_ENV="$PWD/$VENV" PATH="$PWD/$VENV/bin:$PATH" "$VENV/bin/maturin" develop --release --quiet
"$VENV/bin/python" benches/python_filter.py "$@"
