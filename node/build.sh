#!/usr/bin/env bash
# Builds the Node.js addon: the library with the `node` feature, copied to
# node/eligo.node beside index.js. Run from anywhere:
#
#   bash node/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --features node --lib
dir="${CARGO_TARGET_DIR:-target}/release"
case "$(uname -s)" in
    Darwin) lib="$dir/libeligo.dylib" ;;
    MINGW* | MSYS* | CYGWIN*) lib="$dir/eligo.dll" ;;
    *) lib="$dir/libeligo.so" ;;
esac
cp "$lib" node/eligo.node
echo "built node/eligo.node"
