#!/bin/sh
# Starts a user-provided text-embeddings-router on the suite's contract variables: the prepared
# model folder (sentence-transformers files; TEI reads the pooling from 1_Pooling/config.json),
# HOST and PORT. THREADS and WORKERS are not passed: TEI has no knob for either (its CPU backends
# size their own thread pools and it batches by token budget), so its layout is its own.
set -eu
exec "${TEI_BIN:-text-embeddings-router}" --model-id "$MODEL_DIR" --hostname "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
