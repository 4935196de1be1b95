#!/usr/bin/env bash
# Release build of the onnx-cpp server, run by its manifest's prepare step (cached by the suite on
# a hash of the sources). Usage: build.sh CACHE_DIR LIBONNXRUNTIME
# Output: CACHE_DIR/native/onnx-cpp/{onnx-cpp-server, libonnxruntime.so.1*}.
set -euo pipefail
cache_dir=$1 lib=$2
out="$cache_dir/native/onnx-cpp"
# CMake's cache is tied to one source folder: one build folder per checkout.
build="$cache_dir/cmake-build/onnx-cpp-$(printf '%s' "$PWD" | sha256sum | cut -c1-12)"
# The C API table layout comes from the ort-sys crate pinned in tools/ort-sys (Cargo.lock).
ort_sys=$(cargo metadata --format-version 1 --locked --manifest-path tools/ort-sys/Cargo.toml |
  python3 -c 'import json,sys; print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"] == "ort-sys"))')
# Hugging Face tokenizers as a static library with a C ABI (tokenizers-c/), in the cargo target
# dir the Rust servers share (servers/rust-common/build.sh), so its crates compile once.
export CARGO_TARGET_DIR="$cache_dir/cargo-target"
cargo build --release --locked --manifest-path tokenizers-c/Cargo.toml
mkdir -p "$build/generated" "$out"
python3 tools/gen_ort_api_index.py "$(dirname "$ort_sys")/src/lib.rs" "$build/generated/ort_api_index.h"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DORT_LIBRARY="$lib" -DORT_API_INDEX_DIR="$build/generated" \
  -DTOKENIZERS_C_LIBRARY="$CARGO_TARGET_DIR/release/libtokenizers_c.a" >/dev/null
cmake --build "$build" -j "$(nproc)"
# Copy beside, then rename: a server still running the old binary or library keeps its file
# (overwriting in place makes it die with SIGBUS).
place() { install -m "$3" "$1" "$2.new-$$" && mv -f "$2.new-$$" "$2"; }
place "$build/onnx-cpp-server" "$out/onnx-cpp-server" 755
# the binary's DT_NEEDED is the library's soname (libonnxruntime.so.1), resolved through $ORIGIN
soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
place "$lib" "$out/$soname" 644
