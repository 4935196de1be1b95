"""OpenVINO runtime on the prepared model (IR when the pipeline made one, else the ONNX file) + HF tokenizers."""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import openvino as ov
from embedserver.memory import is_large_call
from embedserver.pooling import l2_normalize, pool
from embedserver.settings import ServingConfig, Settings
from embedserver.tokens import GraphTokenizer

# Tried in order; OV_MODEL_FILE (relative to MODEL_DIR) overrides. core.read_model reads both formats.
MODEL_FILES = ("openvino/model.xml", "onnx/model.onnx")
# The float precision the CPU plugin computes in. Left to itself it picks bf16 on any CPU with
# avx512_bf16 or AMX (an AMD EPYC Zen 4 included), which would make the fp32 framework a bf16 one.
PRECISION_ENV = "OV_INFERENCE_PRECISION"


def model_file(model_dir: Path) -> str:
    chosen = os.environ.get("OV_MODEL_FILE", "")
    if chosen:
        return chosen
    for candidate in MODEL_FILES:
        if (model_dir / candidate).exists():
            return candidate
    raise FileNotFoundError(f"none of {', '.join(MODEL_FILES)} under {model_dir}")


class OpenVinoEngine:
    def __init__(self, settings: Settings, serving: ServingConfig) -> None:
        self.serving = serving
        self.framework_version = ov.get_version()
        self.model_file = model_file(settings.model_dir)
        core = ov.Core()
        model = core.read_model(str(settings.model_dir / self.model_file))
        # One stream per WORKER, each with THREADS threads: WORKERS requests run at once, each on its own
        # infer request (an infer request is not thread-safe; the compiled model is).
        config: dict[str, Any] = {
            "INFERENCE_NUM_THREADS": settings.threads * settings.workers,
            "PERFORMANCE_HINT": "LATENCY",
            "NUM_STREAMS": settings.workers,
            # Pinning puts every process's threads on the same first cores: only a lone process may pin.
            "ENABLE_CPU_PINNING": settings.processes == 1,
            "INFERENCE_PRECISION_HINT": os.environ.get(PRECISION_ENV, "f32"),
        }
        self.compiled = core.compile_model(model, "CPU", config)
        self.requests: queue.SimpleQueue[ov.InferRequest] = queue.SimpleQueue()
        for _ in range(settings.workers):
            self.requests.put(self.compiled.create_infer_request())
        # Infer calls running now; release_memory() may only run when there are none.
        self.running = 0
        self.running_lock = threading.Lock()
        self.input_names = {name for port in self.compiled.inputs for name in port.get_names()}
        outputs = [port for port in self.compiled.outputs if "last_hidden_state" in port.get_names()]
        self.output = outputs[0] if outputs else self.compiled.outputs[0]
        self.tokens = GraphTokenizer(settings.model_dir, serving.max_seq_length, self.input_names)

    def embed(self, texts: list[str], normalize: bool) -> npt.NDArray[np.float32]:
        feeds, mask = self.tokens.feeds(texts)
        request = self.requests.get()
        with self.running_lock:
            self.running += 1
        try:
            hidden = np.array(request.infer(feeds)[self.output], dtype=np.float32)
        finally:
            self.requests.put(request)
            self.done(is_large_call(texts))
        vectors = pool(hidden, mask, self.serving.pooling)
        return l2_normalize(vectors) if normalize else vectors

    def done(self, large: bool) -> None:
        """The CPU plugin keeps the intermediate buffers of the largest shape it ran (1.2 GB after 64
        texts of 256 tokens) for the life of the compiled model; release_memory() frees them. Only
        after a large call, and only while no other call runs (the lock keeps new ones waiting)."""
        with self.running_lock:
            self.running -= 1
            if large and self.running == 0:
                self.compiled.release_memory()

    def info(self) -> dict[str, Any]:
        return {
            "runtime": "openvino",
            "model_file": self.model_file,
            "device": "CPU",
            "inference_num_threads": int(self.compiled.get_property("INFERENCE_NUM_THREADS")),
            "num_streams": int(self.compiled.get_property("NUM_STREAMS")),
            "performance_hint": str(self.compiled.get_property("PERFORMANCE_HINT")),
            "inference_precision": self.compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name(),
        }


def load(settings: Settings, serving: ServingConfig) -> OpenVinoEngine:
    return OpenVinoEngine(settings, serving)
