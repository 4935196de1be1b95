"""onnxruntime InferenceSession + HF tokenizers: the ONNX Runtime (Python) engine."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from embedserver.pooling import l2_normalize, pool
from embedserver.settings import ServingConfig, Settings
from embedserver.tokens import GraphTokenizer


class OnnxEngine:
    def __init__(self, settings: Settings, serving: ServingConfig) -> None:
        self.serving = serving
        self.framework_version = ort.__version__
        self.model_file = os.environ.get("ONNX_FILE", "onnx/model.onnx")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = settings.threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle intra-op threads sleep instead of spinning: k6 and the other workers share these cores
        # (measured on the busy 2-core VM, 2 threads: p50 110 ms spinning, 68 ms not).
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # Without its arena ORT allocates through malloc, so a large call's activations go back to the
        # system (memory.release_after); the arena kept a 64-text call's peak (2 GB) for good.
        opts.enable_cpu_mem_arena = False
        self.session = ort.InferenceSession(
            str(settings.model_dir / self.model_file), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.tokens = GraphTokenizer(settings.model_dir, serving.max_seq_length, self.input_names)

    def embed(self, texts: list[str], normalize: bool) -> npt.NDArray[np.float32]:
        # Called by WORKERS runner threads at once: InferenceSession.run is thread-safe, and with the
        # default THREADS=1 each run computes on its caller's thread.
        feeds, mask = self.tokens.feeds(texts)
        hidden = self.session.run(None, feeds)[0]
        vectors = pool(hidden, mask, self.serving.pooling)
        return l2_normalize(vectors) if normalize else vectors

    def info(self) -> dict[str, Any]:
        return {"runtime": "onnxruntime", "model_file": self.model_file, "providers": self.session.get_providers()}


def load(settings: Settings, serving: ServingConfig) -> OnnxEngine:
    return OnnxEngine(settings, serving)
