"""Checks a prepared model folder: every file matches manifest.json (sha256), and every prepared
format (ONNX, optimised ONNX, OpenVINO IR, and the torch model itself: sentence-transformers, or the
transformers text tower) gives the reference embeddings of reference/probes.json (min cosine >= 0.9999).

Prints one JSON object; exits 0 when everything agrees, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
from embedcheck import MIN_COSINE, OnnxRunner, OpenVinoRunner, embed, min_cosine, sha256, torch_reference


def verify(model_dir: Path, with_torch: bool) -> dict[str, Any]:
    manifest = json.loads((model_dir / "manifest.json").read_text())
    serving = json.loads((model_dir / "serving.json").read_text())
    probes = json.loads((model_dir / "reference" / "probes.json").read_text())
    texts: list[str] = probes["texts"]
    reference = np.asarray(probes["embeddings"], dtype=np.float32)
    problems: list[str] = []

    files: dict[str, dict[str, Any]] = manifest["files"]
    for rel, meta in files.items():
        path = model_dir / rel
        if not path.exists():
            problems.append(f"{rel}: missing")
        elif sha256(path) != meta["sha256"]:
            problems.append(f"{rel}: sha256 differs from manifest.json")

    if reference.shape != (len(texts), serving["embedding_dim"]):
        problems.append(
            f"reference/probes.json: embeddings shape {reference.shape}, expected ({len(texts)}, {serving['embedding_dim']})"
        )

    cosines: dict[str, float] = {}
    formats: list[tuple[str, Any]] = [("onnx", lambda: OnnxRunner(model_dir / "onnx" / "model.onnx"))]
    if (model_dir / "onnx" / "model_optimized.onnx").exists():
        formats.append(("onnx_optimized", lambda: OnnxRunner(model_dir / "onnx" / "model_optimized.onnx", "none")))
    formats.append(("openvino", lambda: OpenVinoRunner(model_dir / "openvino" / "model.xml")))
    for label, make in formats:
        try:
            cosines[label] = min_cosine(embed(make(), model_dir, serving, texts), reference)
        except Exception as err:
            problems.append(f"{label}: cannot run: {err}")
    if with_torch:
        label = "sentence_transformers" if serving.get("text_tower") is None else "torch_text_tower"
        cosines[label] = min_cosine(torch_reference(model_dir, serving, texts), reference)
    for label, cos in cosines.items():
        if not cos >= MIN_COSINE:
            problems.append(f"{label}: min cosine {cos:.6f} < {MIN_COSINE} against reference/probes.json")
    return {
        "model_dir": str(model_dir),
        "synthetic": bool(manifest.get("synthetic", False)),
        "files_checked": len(files),
        "probes": len(texts),
        "min_cosine": cosines,
        "threshold": MIN_COSINE,
        "ok": not problems,
        "problems": problems,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", required=True, type=Path)
    ap.add_argument("--no-torch", action="store_true", help="skip re-running the sentence-transformers model")
    a = ap.parse_args()
    # Before openvino is imported: its telemetry's child processes must not be forks of this
    # multi-threaded process (openvino_ir.py explains). This module imports torch only when it runs it.
    multiprocessing.set_start_method("forkserver")
    report = verify(a.model_dir, not a.no_torch)
    print(json.dumps(report), flush=True)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
