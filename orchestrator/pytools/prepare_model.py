"""Prepares one model for every framework: sentence-transformers folder, ONNX, serving config.

Called by the orchestrator (orchestrator/models/prepare.ts) with the model's catalogue entry as
JSON; writes models/<key>/ and a manifest.json with the sha256 of every file it wrote.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
import torch

# The probe set every server is verified against (reference/probes.json): short, long past the
# max length (truncation), multilingual, unicode/emoji, whitespace-only, repeated text.
PROBE_TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "How do I reset my password?",
    "hi",
    "Embedding models map sentences to vectors so that similar meanings lie close together.",
    " ".join(["Long inputs must be truncated exactly like sentence-transformers does it."] * 60),
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "Le renard brun rapide saute par-dessus le chien paresseux.",
    "敏捷的棕色狐狸跳过了懒狗。",
    "Быстрая коричневая лиса перепрыгивает через ленивую собаку.",
    "Emoji and symbols: 🚀🔥 naïve café — “quotes” ™ © ½ ∑",
    "   ",
    "repeat repeat repeat repeat repeat repeat repeat repeat",
    "How do I reset my password?",
]


def log(msg: str) -> None:
    print(f"[prepare] {msg}", flush=True)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Wrapper(torch.nn.Module):
    """Exposes the transformer's last_hidden_state with keyword inputs (transformers 5 signature)."""

    def __init__(self, model: torch.nn.Module, use_token_types: bool) -> None:
        super().__init__()
        self.model = model
        self.use_token_types = use_token_types

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor | None = None
    ) -> torch.Tensor:
        kwargs: dict[str, torch.Tensor] = {"input_ids": input_ids, "attention_mask": attention_mask}
        if self.use_token_types and token_type_ids is not None:
            kwargs["token_type_ids"] = token_type_ids
        return self.model(**kwargs).last_hidden_state


def export_onnx(st_dir: Path, out_file: Path) -> list[str]:
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(st_dir), attn_implementation="eager").eval()
    use_tt = getattr(model.config, "type_vocab_size", 0) > 1
    wrapper = Wrapper(model, use_tt).eval()
    ids = torch.ones(2, 8, dtype=torch.long)
    mask = ids.clone()
    mask[1, 5:] = 0  # a padded row, so masking is traced as data-dependent
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if use_tt else [])
    args = (ids, mask, torch.zeros_like(ids)) if use_tt else (ids, mask)
    seq = torch.export.Dim("seq", min=1, max=8192)
    batch = torch.export.Dim("batch", min=1, max=4096)
    shapes = {n: {0: batch, 1: seq} for n in names}
    out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_file.with_suffix(".tmp.onnx")
    with torch.no_grad():
        program = torch.onnx.export(
            wrapper,
            args,
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_shapes=shapes,
            dynamo=True,
            opset_version=18,
        )
    assert program is not None
    # One self-contained file when it fits protobuf's 2 GB limit: simplest for every runtime.
    program.save(str(tmp), external_data=False) if _param_bytes(model) < 1_800_000_000 else program.save(str(tmp))
    tmp.replace(out_file)
    return names


def _param_bytes(model: torch.nn.Module) -> int:
    return sum(p.numel() * p.element_size() for p in model.parameters())


def write_reference(out: Path, vectors: np.ndarray) -> None:
    """fp32 sentence-transformers (torch) embeddings of the probe set: what correct output looks like."""
    ref_dir = out / "reference"
    ref_dir.mkdir(parents=True, exist_ok=True)
    body = {
        "texts": PROBE_TEXTS,
        "normalized": True,
        "source": f"sentence-transformers {_st_version()} on torch {torch.__version__}, fp32, CPU",
        "embeddings": [[float(x) for x in row] for row in vectors.astype(np.float32)],
    }
    (ref_dir / "probes.json").write_text(json.dumps(body) + "\n")


def _st_version() -> str:
    import sentence_transformers

    return sentence_transformers.__version__


def check_onnx(st_dir: Path, onnx_file: Path, serving: dict[str, Any]) -> float:
    """Cosine of ONNX Runtime vs sentence-transformers (torch) on the probe texts; returns the minimum."""
    import onnxruntime as ort
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

    ref = SentenceTransformer(str(st_dir), device="cpu").encode(PROBE_TEXTS, normalize_embeddings=True)
    write_reference(onnx_file.parent.parent, ref)
    tok = Tokenizer.from_file(str(onnx_file.parent.parent / "tokenizer.json"))
    tok.enable_truncation(max_length=serving["max_seq_length"])
    tok.enable_padding()
    enc = tok.encode_batch(PROBE_TEXTS)
    ids = np.array([e.ids for e in enc], dtype=np.int64)
    mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
    sess = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    feeds = {"input_ids": ids, "attention_mask": mask}
    if any(i.name == "token_type_ids" for i in sess.get_inputs()):
        feeds["token_type_ids"] = np.zeros_like(ids)
    hidden = sess.run(None, feeds)[0]
    m = mask[:, :, None].astype(np.float32)
    pooled = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
    pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
    return float((pooled * ref).sum(1).min())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--key", required=True, help="model key in config/models.yaml")
    ap.add_argument("--spec", required=True, help="the model's catalogue entry as JSON")
    ap.add_argument("--source-dir", required=True, help="folder with the sentence-transformers files")
    ap.add_argument("--source", required=True, help="where the source came from (recorded in the manifest)")
    ap.add_argument("--out", required=True, help="models/<key> folder to write")
    a = ap.parse_args()

    spec = json.loads(a.spec)
    src = Path(a.source_dir)
    out = Path(a.out)
    started = time.time()
    torch.set_num_threads(os.cpu_count() or 1)

    st_dir = out / "sentence-transformers"
    log(f"copying sentence-transformers files from {src}")
    if st_dir.exists():
        shutil.rmtree(st_dir)
    shutil.copytree(src, st_dir, ignore=shutil.ignore_patterns(".git*", "*.md", "onnx", "openvino"))
    # Native servers read these three files from the model folder itself.
    for name in ("tokenizer.json", "config.json", "model.safetensors"):
        if not (st_dir / name).exists():
            log(f"error: {src} has no {name}")
            return 2
        shutil.copy2(st_dir / name, out / name)

    serving = {
        "model_key": a.key,
        "name": spec["name"],
        "embedding_dim": spec["embedding_dim"],
        "max_seq_length": spec["max_seq_length"],
        "pooling": spec["pooling"],
        "normalize": spec["normalize"],
        "synthetic": False,
    }
    (out / "serving.json").write_text(json.dumps(serving, indent=2) + "\n")

    log("exporting ONNX (torch.onnx dynamo exporter, fp32)")
    onnx_file = out / "onnx" / "model.onnx"
    inputs = export_onnx(st_dir, onnx_file)
    cos = check_onnx(st_dir, onnx_file, serving)
    log(f"ONNX vs torch reference: min cosine {cos:.6f} over {len(PROBE_TEXTS)} probes")
    if cos < 0.9999:
        log("error: exported ONNX disagrees with the torch reference (cosine < 0.9999)")
        return 3

    import onnx
    import sentence_transformers
    import transformers

    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != "manifest.json")
    manifest = {
        "model_key": a.key,
        "huggingface_id": spec["huggingface_id"],
        "source": a.source,
        "synthetic": False,
        "onnx_inputs": inputs,
        "onnx_min_cosine_vs_torch": cos,
        "tools": {
            "python": sys.version.split()[0],
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "sentence_transformers": sentence_transformers.__version__,
            "onnx": onnx.__version__,
        },
        "prepared_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "files": {str(p.relative_to(out)): {"sha256": sha256(p), "bytes": p.stat().st_size} for p in files},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    log(f"done in {time.time() - started:.1f} s: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
