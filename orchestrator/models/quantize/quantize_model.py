"""Builds one reduced-precision file set of a prepared model folder, and records how close it stays to fp32.

Formats (the model_format of a framework manifest that reads them):
- onnx-int8/model.onnx: ONNX Runtime dynamic quantisation of onnx/model.onnx (QInt8 weights per
  channel, activations quantised per call) of the attention projections; build_onnx_int8 says why
  the feed-forward layers stay fp32.
- openvino-int8/model.xml|bin: nncf weight compression of openvino/model.xml (INT8 weights);
  build_openvino_int8 says why not full post-training quantisation.
Neither needs calibration data, so nothing is tuned on any text.

Each build is checked twice, and both figures go into manifest.json under reduced_precision.<format>:
the min cosine over the probe set against reference/probes.json (the fp32 torch reference that
verify also uses), and the min and mean cosine over texts.HELD_OUT_TEXTS against the fp32 file of
the same runtime. The new files join manifest.json's file list (sha256), with the cache key the
orchestrator passes (orchestrator/models/reduced-precision.ts): a folder whose key matches is not
built again.

Run by the orchestrator in its own venv (requirements.txt here: no torch); reuses the pipeline's
embedcheck.py for tokenisation, pooling and the cosine.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))

from embedcheck import OnnxRunner, OpenVinoRunner, embed, median_ms, min_cosine, sha256
from texts import HELD_OUT_TEXTS

FORMATS = ("onnx-int8", "openvino-int8")
# Timed (indicative only: the build machine may be busy) on a batch of 4 short held-out texts.
TIMING_TEXTS = HELD_OUT_TEXTS[1:5]
Runner = OnnxRunner | OpenVinoRunner


class QuantizeError(Exception):
    pass


def log(msg: str) -> None:
    print(f"[quantize] {msg}", flush=True)


def check_disjoint(probes: list[str]) -> None:
    """The quantised model is never tuned or graded on what verify will grade it on."""
    shared = set(HELD_OUT_TEXTS) & set(probes)
    if shared:
        raise QuantizeError(f"held-out texts that are also probes: {sorted(shared)[:3]}")


def attention_projections(model_file: Path) -> tuple[list[str], list[str]]:
    """(quantised, kept fp32): the MatMuls with a constant square weight (a BERT-style encoder's Q, K, V
    and attention output projections) against every other MatMul with a constant weight (the
    feed-forward layers, whose activations carry the encoder's outlier channels)."""
    import onnx

    graph = onnx.load(str(model_file), load_external_data=False).graph
    shapes = {i.name: tuple(i.dims) for i in graph.initializer}
    const = [n for n in graph.node if n.op_type == "MatMul" and n.input[1] in shapes]
    square = [n.name for n in const if len(set(shapes[n.input[1]])) == 1]
    return square, [n.name for n in const if n.name not in square]


def build_onnx_int8(model_dir: Path, out_dir: Path) -> dict[str, Any]:
    """Measured on all-MiniLM-L6-v2 (probes, min cosine vs the fp32 reference): every MatMul and Gather
    quantised 0.870, per channel 0.978, feed-forward only 0.981, attention projections only 0.994.
    Only the last passes verify's int8 tolerance (0.99), so the feed-forward MatMuls stay fp32."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    src = model_dir / "onnx" / "model.onnx"
    external = (model_dir / "onnx" / "model.onnx.data").exists()
    quantised, kept = attention_projections(src)
    if not quantised:
        raise QuantizeError(f"{src}: no MatMul with a square constant weight (attention projection) to quantise")
    quantize_dynamic(
        src,
        out_dir / "model.onnx",
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul"],
        nodes_to_exclude=kept,
        use_external_data_format=external,
    )
    return {
        "method": "onnxruntime.quantization.quantize_dynamic (QInt8 weights per channel, activations per call)",
        "quantized": f"{len(quantised)} attention-projection MatMuls; {len(kept)} feed-forward MatMuls kept fp32",
        "source": "onnx/model.onnx",
    }


def build_openvino_int8(model_dir: Path, out_dir: Path) -> dict[str, Any]:
    """Weight compression (INT8 weights, decompressed to f32 for the compute; no calibration data).
    nncf.quantize (weights and activations INT8, transformer preset) calibrated on 32 texts disjoint
    from the probes reached a min cosine of 0.939 on all-MiniLM-L6-v2's probes, below verify's int8
    tolerance (0.99); compress_weights reached 0.9975."""
    import nncf
    import openvino as ov

    model = ov.Core().read_model(str(model_dir / "openvino" / "model.xml"))
    compressed = nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_ASYM)
    ov.save_model(compressed, str(out_dir / "model.xml"), compress_to_fp16=False)
    return {
        "method": "nncf.compress_weights (INT8_ASYM: INT8 weights, f32 activations)",
        "source": "openvino/model.xml",
        "nncf": nncf.__version__,
    }


def runners(fmt: str, model_dir: Path, staged: Path) -> tuple[Callable[[], Runner], Callable[[], Runner]]:
    """(fp32, quantised) runners of the same runtime. The ONNX file runs as the server runs it (ORT
    optimisations on), the IR with f32 as its float precision, so only the INT8 steps differ."""
    if fmt == "onnx-int8":
        return (lambda: OnnxRunner(model_dir / "onnx" / "model.onnx")), (lambda: OnnxRunner(staged / "model.onnx"))
    return (lambda: OpenVinoRunner(model_dir / "openvino" / "model.xml")), (lambda: OpenVinoRunner(staged / "model.xml"))


def measure(fmt: str, model_dir: Path, staged: Path, serving: dict[str, Any], probes: dict[str, Any]) -> dict[str, Any]:
    fp32_runner, int8_runner = runners(fmt, model_dir, staged)
    fp32, int8 = fp32_runner(), int8_runner()
    reference = np.asarray(probes["embeddings"], dtype=np.float32)
    probe_cos = min_cosine(embed(int8, model_dir, serving, probes["texts"]), reference)
    a = embed(int8, model_dir, serving, HELD_OUT_TEXTS)
    b = embed(fp32, model_dir, serving, HELD_OUT_TEXTS)
    per_text = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    fp32_ms = median_ms(fp32, model_dir, serving, TIMING_TEXTS, runs=9)
    int8_ms = median_ms(int8, model_dir, serving, TIMING_TEXTS, runs=9)
    return {
        "min_cosine_vs_reference": round(probe_cos, 6),
        "probes": len(probes["texts"]),
        "held_out": {
            "texts": len(HELD_OUT_TEXTS),
            "vs": "the fp32 file of the same runtime",
            "min_cosine": round(float(per_text.min()), 6),
            "mean_cosine": round(float(per_text.mean()), 6),
        },
        "timing_batch_median_ms": {"fp32": round(fp32_ms, 3), "int8": round(int8_ms, 3), "texts": len(TIMING_TEXTS)},
    }


def update_manifest(model_dir: Path, fmt: str, entry: dict[str, Any]) -> None:
    """Adds the format's files and figures to manifest.json, written whole and then renamed into place."""
    path = model_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    files = {k: v for k, v in manifest["files"].items() if not k.startswith(f"{fmt}/")}
    for p in sorted((model_dir / fmt).rglob("*")):
        if p.is_file():
            files[str(p.relative_to(model_dir))] = {"sha256": sha256(p), "bytes": p.stat().st_size}
    manifest["files"] = files
    manifest.setdefault("reduced_precision", {})[fmt] = entry
    tmp = path.with_suffix(f".json.{os.getpid()}")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    tmp.replace(path)


def build(model_dir: Path, fmt: str, key: str) -> dict[str, Any]:
    started = time.time()
    serving = json.loads((model_dir / "serving.json").read_text())
    probes = json.loads((model_dir / "reference" / "probes.json").read_text())
    check_disjoint(probes["texts"])
    staged = model_dir / f"{fmt}.building-{os.getpid()}"
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir()
    try:
        log(f"building {fmt} of {model_dir.name}")
        method = build_onnx_int8(model_dir, staged) if fmt == "onnx-int8" else build_openvino_int8(model_dir, staged)
        log(
            f"{fmt}: checking against the fp32 reference ({len(probes['texts'])} probes) and {len(HELD_OUT_TEXTS)} held-out texts"
        )
        figures = measure(fmt, model_dir, staged, serving, probes)
        final = model_dir / fmt
        shutil.rmtree(final, ignore_errors=True)
        staged.rename(final)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    entry = {
        "key": key,
        "precision": "int8",
        **method,
        **figures,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build_seconds": round(time.time() - started, 1),
    }
    update_manifest(model_dir, fmt, entry)
    return entry


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--model-dir", required=True, type=Path, help="a prepared models/<key> folder (manifest.json, onnx/, openvino/)"
    )
    ap.add_argument("--format", required=True, choices=FORMATS)
    ap.add_argument("--key", required=True, help="cache key recorded with the build (the orchestrator compares it)")
    a = ap.parse_args()
    # Before openvino is imported: its telemetry's children must not be forks of a threaded process
    # (orchestrator/models/pipeline/openvino_ir.py explains).
    multiprocessing.set_start_method("forkserver")
    try:
        entry = build(a.model_dir, a.format, a.key)
    except QuantizeError as err:
        log(f"error: {err}")
        return 3
    held, ms = entry["held_out"], entry["timing_batch_median_ms"]
    log(
        f"{a.format}: min cosine {entry['min_cosine_vs_reference']:.6f} vs the fp32 reference on the probes; "
        f"held-out vs fp32 min {held['min_cosine']:.6f}, mean {held['mean_cosine']:.6f}; "
        f"batch of {len(TIMING_TEXTS)}: {ms['fp32']} ms fp32, {ms['int8']} ms int8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
