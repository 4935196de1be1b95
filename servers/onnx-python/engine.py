"""onnxruntime InferenceSession + HF tokenizers: the ONNX Runtime (Python) engine."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from embedserver.pooling import l2_normalize, pool
from embedserver.settings import ServingConfig, Settings
from tokenizers import Tokenizer


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
        self.session = ort.InferenceSession(
            str(settings.model_dir / self.model_file), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(settings.model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=serving.max_seq_length)
        self.tokenizer.enable_padding()

    def embed(self, texts: list[str], normalize: bool) -> npt.NDArray[np.float32]:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds: dict[str, npt.NDArray[np.int64]] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self.session.run(None, feeds)[0]
        vectors = pool(hidden, mask, self.serving.pooling)
        return l2_normalize(vectors) if normalize else vectors

    def info(self) -> dict[str, Any]:
        return {"runtime": "onnxruntime", "model_file": self.model_file, "providers": self.session.get_providers()}


def load(settings: Settings, serving: ServingConfig) -> OnnxEngine:
    return OnnxEngine(settings, serving)
