"""OpenVINO's part of model preparation, in a process of its own: converts onnx/model.onnx to
openvino/model.xml|bin (fp32) and writes the IR's min cosine against reference/probes.json and the
OpenVINO version.

Why its own process: importing openvino, and every convert_model call, sends usage telemetry
(openvino-telemetry) from a pool of threads, each event in a child process started by
multiprocessing. Forked while another thread of the process is loading a shared library (openvino's
own import, or torch's and onnxruntime's threads in prepare_model.py), such a child inherits glibc's
thread-local-storage bookkeeping half updated, and ld.so aborts it: "Inconsistency detected by ld.so:
dl-tls.c: _dl_allocate_tls_init: Assertion `listp != NULL' failed!" (glibc 2.36, exit 127; the
conversion itself went on). This process chooses the forkserver start method before it imports
openvino, so those children start from a fresh single-threaded process, which preloads only this
small script (a forkserver for prepare_model.py would import torch first).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
from pathlib import Path

import numpy as np
from embedcheck import OpenVinoRunner, embed, min_cosine


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", required=True, type=Path, help="the folder being prepared (onnx/, reference/ written)")
    ap.add_argument("--result", required=True, type=Path, help='JSON file to write: {"min_cosine", "version"}')
    a = ap.parse_args()
    multiprocessing.set_start_method("forkserver")
    import openvino as ov

    xml = a.model_dir / "openvino" / "model.xml"
    xml.parent.mkdir(parents=True, exist_ok=True)
    ov.save_model(ov.convert_model(str(a.model_dir / "onnx" / "model.onnx")), str(xml), compress_to_fp16=False)
    serving = json.loads((a.model_dir / "serving.json").read_text())
    probes = json.loads((a.model_dir / "reference" / "probes.json").read_text())
    vectors = embed(OpenVinoRunner(xml), a.model_dir, serving, probes["texts"])
    cos = min_cosine(vectors, np.asarray(probes["embeddings"], dtype=np.float32))
    a.result.write_text(json.dumps({"min_cosine": cos, "version": ov.__version__}))


if __name__ == "__main__":
    main()
