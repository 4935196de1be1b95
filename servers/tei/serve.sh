#!/bin/sh
# Starts a user-provided text-embeddings-router on the suite's contract variables: the prepared
# model's sentence-transformers folder (TEI reads the pooling from its 1_Pooling/config.json),
# HOST and PORT. THREADS and WORKERS are not passed: TEI has no knob for either (its CPU backends
# size their own thread pools and it batches by token budget), so its layout is its own.
set -eu
exec "${TEI_BIN:-text-embeddings-router}" --model-id "$MODEL_DIR/sentence-transformers" --hostname "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
