#!/usr/bin/env bash
# Builds the Node.js addon: the library with the `node` feature, copied to
# node/eligo.node beside index.js. Run from anywhere:
#
#   bash node/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --features node --lib
case "$(uname -s)" in
    Darwin) lib=target/release/libeligo.dylib ;;
    MINGW* | MSYS* | CYGWIN*) lib=target/release/eligo.dll ;;
    *) lib=target/release/libeligo.so ;;
esac
cp "$lib" node/eligo.node
echo "built node/eligo.node"
