#!/usr/bin/env bash
# Builds the Node.js addon: the library with the `node` feature, copied to
# node/eligo.node beside index.js. Run from anywhere:
#
#   bash node/build.sh          # optimised, for use
#   bash node/build.sh --dev    # unoptimised, quick to build, for the tests
set -euo pipefail
cd "$(dirname "$0")/.."
profile=release
case "${1:-}" in
    "") ;;
    --dev) profile=debug ;;
    *) echo "usage: bash node/build.sh [--dev]" >&2; exit 2 ;;
esac
if [ "$profile" = release ]; then
    cargo build --release --features node --lib
else
    cargo build --features node --lib
fi
dir="${CARGO_TARGET_DIR:-target}/$profile"
case "$(uname -s)" in
    Darwin) lib="$dir/libeligo.dylib" ;;
    MINGW* | MSYS* | CYGWIN*) lib="$dir/eligo.dll" ;;
    *) lib="$dir/libeligo.so" ;;
esac
cp "$lib" node/eligo.node
echo "built node/eligo.node"
