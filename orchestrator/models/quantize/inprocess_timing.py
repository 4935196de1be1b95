"""In-process latency of one text per call, fp32 against INT8, for both runtimes of a prepared model.

One thread per call, as the servers' default layout runs each call. The four variants take turns in
every round, so a busy machine slows them alike. Prints one JSON object (median and p90 ms per
variant). Used for docs/measurements/2026-12-06-epyc-2vcpu-int8.md:

    <model-quantize venv>/bin/python orchestrator/models/quantize/inprocess_timing.py --model-dir models/all-MiniLM-L6-v2
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))

from embedcheck import encode
from texts import HELD_OUT_TEXTS

Feeds = dict[str, npt.NDArray[np.int64]]
Call = Callable[[Feeds], object]


def onnx_call(model_file: Path) -> Call:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(str(model_file), opts, providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}
    return lambda feeds: session.run(None, {k: v for k, v in feeds.items() if k in names})


def openvino_call(model_file: Path) -> Call:
    import openvino as ov

    config = {"INFERENCE_NUM_THREADS": 1, "INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY"}
    compiled = ov.Core().compile_model(str(model_file), "CPU", config)
    request = compiled.create_infer_request()
    names = {p.get_any_name() for p in compiled.inputs}
    return lambda feeds: request.infer({k: v for k, v in feeds.items() if k in names})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", required=True, type=Path)
    ap.add_argument("--rounds", type=int, default=20, help="passes over the texts, each variant in turn")
    a = ap.parse_args()
    multiprocessing.set_start_method("forkserver")  # before openvino: see pipeline/openvino_ir.py
    md: Path = a.model_dir
    calls = {
        "onnx fp32": onnx_call(md / "onnx" / "model.onnx"),
        "onnx int8": onnx_call(md / "onnx-int8" / "model.onnx"),
        "openvino fp32": openvino_call(md / "openvino" / "model.xml"),
        "openvino int8": openvino_call(md / "openvino-int8" / "model.xml"),
    }
    max_length = int(json.loads((md / "serving.json").read_text())["max_seq_length"])
    # Short texts, one per call: what a batch-1 benchmark request sends.
    feeds: list[Feeds] = []
    for text in (t for t in HELD_OUT_TEXTS if len(t) < 200):
        ids, mask = encode(md, [text], max_length)
        feeds.append({"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
    times: dict[str, list[float]] = {k: [] for k in calls}
    for _ in range(a.rounds):
        for name, call in calls.items():
            for f in feeds:
                start = time.perf_counter()
                call(f)
                times[name].append((time.perf_counter() - start) * 1000)
    tokens = int(np.median([int(f["attention_mask"].sum()) for f in feeds]))
    figures = {
        k: {"median_ms": round(float(np.median(v)), 3), "p90_ms": round(float(np.percentile(v, 90)), 3)} for k, v in times.items()
    }
    print(json.dumps({"texts": len(feeds), "median_tokens": tokens, "calls_each": len(feeds) * a.rounds, **figures}))


if __name__ == "__main__":
    main()
