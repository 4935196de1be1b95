#!/usr/bin/env bash
# Release build of one Rust server, run by its manifest's prepare step (cached by the suite on a
# hash of the sources). Usage: build.sh CACHE_DIR BINARY [LIBONNXRUNTIME]
# All Rust servers share one cargo target dir in the cache, so common crates compile once; the
# binary (and, when given, the ONNX Runtime library) is copied to CACHE_DIR/native/<server>
# so a later build of another server cannot change what this one runs.
set -euo pipefail
cache_dir=$1 binary=$2 lib=${3:-}
server=$(basename "$PWD")
out="$cache_dir/native/$server"
export CARGO_TARGET_DIR="$cache_dir/cargo-target"
cargo build --release --locked
mkdir -p "$out"
# Copy beside, then rename: a server still running the old binary or library keeps its file
# (overwriting in place makes it die with SIGBUS).
place() { install -m "$3" "$1" "$2.new-$$" && mv -f "$2.new-$$" "$2"; }
place "$CARGO_TARGET_DIR/release/$binary" "$out/$binary" 755
if [ -n "$lib" ]; then
  place "$lib" "$out/$(basename "$lib")" 644
  # the server reads the version from the name the link resolves to
  ln -sfn "$(basename "$lib")" "$out/libonnxruntime.so"
fi
