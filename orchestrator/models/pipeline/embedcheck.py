"""What correct output looks like, and how each prepared format is run to compare against it.

Shared by prepare_model.py (which writes reference/probes.json) and verify_model.py (which checks
every prepared format against it). Tokenization, pooling and normalisation here follow the
contract every server implements: tokenizer.json with truncation to max_seq_length, right padding,
then the pooling named in serving.json (none: the graph already returns one vector per text), then
L2 normalisation.
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

# The text-tower definition the torch servers run lives with the servers; the pipeline exports it.
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "servers" / "pycommon"))

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
    "El zorro marrón rápido salta sobre el perro perezoso. ¿Dónde está la biblioteca?",
    "素早い茶色の狐がのろまな犬を飛び越える。",
    "\t tabs\tand\nnew lines\n\n between   words ",
    "a",
    "👍",
]

MIN_COSINE = 0.9999
# Texts per batch when the probe set is run through a prepared format.
BATCH = 4

Array = npt.NDArray[np.float32]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def encode(model_dir: Path, texts: list[str], max_seq_length: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """input_ids and attention_mask as every server builds them from tokenizer.json."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.enable_truncation(max_length=max_seq_length)
    tok.enable_padding(direction="right")
    enc = tok.encode_batch(texts)
    ids = np.array([e.ids for e in enc], dtype=np.int64)
    mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
    return ids, mask


def pool(hidden: Array, mask: npt.NDArray[np.int64], pooling: str, normalize: bool) -> Array:
    if pooling == "none":
        if hidden.ndim != 2:
            raise ValueError(f"pooling none expects the graph to return [batch, dim], got shape {hidden.shape}")
        out = hidden
    elif pooling == "mean":
        m = mask[:, :, None].astype(np.float32)
        out = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
    elif pooling == "cls":
        out = hidden[:, 0, :]
    elif pooling == "last_token":
        last = np.clip(mask.sum(1) - 1, 0, None)
        out = hidden[np.arange(hidden.shape[0]), last, :]
    else:
        raise ValueError(f"unknown pooling {pooling!r}")
    out = out.astype(np.float32)
    if normalize:
        out /= np.clip(np.linalg.norm(out, axis=1, keepdims=True), 1e-12, None)
    return out


def l2_normalize(x: Array) -> Array:
    return (x / np.clip(np.linalg.norm(x, axis=1, keepdims=True), 1e-12, None)).astype(np.float32)


def torch_reference(model_dir: Path, serving: dict[str, Any], texts: list[str]) -> Array:
    """fp32 torch embeddings of `texts`, L2-normalised, computed the way the model's authors compute them.

    sentence-transformers models: SentenceTransformer.encode on the sentence-transformers folder.
    Text towers: the transformers model and tokenizer called as their model cards do (CLIP: padded
    batch with attention mask, text_embeds; SigLIP: padding="max_length", no attention mask,
    pooler_output). This is deliberately not the servers' code path, so it can catch it being wrong.
    """
    import torch

    st_dir = model_dir / "sentence-transformers"
    kind = serving.get("text_tower")
    if kind is None:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(st_dir), device="cpu")
        vectors = model.encode(texts, batch_size=BATCH, normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32)

    from embedserver.towers import tower_class
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(st_dir))
    tower = tower_class(kind).from_pretrained(str(st_dir), dtype=torch.float32).eval()
    length = int(serving["max_seq_length"])
    rows: list[Array] = []
    with torch.inference_mode():
        for start in range(0, len(texts), BATCH):
            batch = texts[start : start + BATCH]
            if kind == "clip":
                enc = tokenizer(batch, padding=True, truncation=True, max_length=length, return_tensors="pt")
                out = tower(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).text_embeds
            else:
                enc = tokenizer(batch, padding="max_length", truncation=True, max_length=length, return_tensors="pt")
                out = tower(input_ids=enc["input_ids"]).pooler_output
            rows.append(out.numpy().astype(np.float32))
    return l2_normalize(np.concatenate(rows))


def min_cosine(a: Array, b: Array) -> float:
    an = a / np.clip(np.linalg.norm(a, axis=1, keepdims=True), 1e-12, None)
    bn = b / np.clip(np.linalg.norm(b, axis=1, keepdims=True), 1e-12, None)
    return float((an * bn).sum(1).min())


def _feeds(names: list[str], ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> dict[str, npt.NDArray[np.int64]]:
    feeds = {"input_ids": ids, "attention_mask": mask}
    if "token_type_ids" in names:
        feeds["token_type_ids"] = np.zeros_like(ids)
    return feeds


class OnnxRunner:
    def __init__(self, onnx_file: Path, optimization: str = "all") -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        # The saved optimised model is run as it is; re-optimising it would hide what it contains.
        opts.graph_optimization_level = (
            ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimization == "all" else ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        )
        self.session = ort.InferenceSession(str(onnx_file), opts, providers=["CPUExecutionProvider"])
        self.names = [i.name for i in self.session.get_inputs()]

    def hidden(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> Array:
        return np.asarray(self.session.run(None, _feeds(self.names, ids, mask))[0], dtype=np.float32)


class OpenVinoRunner:
    def __init__(self, xml_file: Path) -> None:
        import openvino as ov

        core = ov.Core()
        # fp32 everywhere: the default CPU hint may pick bf16 on CPUs that have it, which is a
        # different model from the one the reference describes.
        self.compiled = core.compile_model(str(xml_file), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        self.names = [p.get_any_name() for p in self.compiled.inputs]

    def hidden(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> Array:
        result = self.compiled(_feeds(self.names, ids, mask))
        return np.asarray(result[self.compiled.outputs[0]], dtype=np.float32)


def embed(runner: OnnxRunner | OpenVinoRunner, model_dir: Path, serving: dict[str, Any], texts: list[str]) -> Array:
    """Embeddings in the order of `texts`, run in batches of similar length.

    Batches still mix lengths (padding and masking are exercised), but the one text past the max
    length is not padded against every short one: on big models that padding would cost minutes.
    """
    ids_all, mask_all = encode(model_dir, texts, int(serving["max_seq_length"]))
    order = np.argsort(mask_all.sum(1), kind="stable")
    vectors: dict[int, Array] = {}
    for start in range(0, len(texts), BATCH):
        idx = order[start : start + BATCH]
        # Right padding: columns past the longest row of this batch are padding for every row.
        width = int(mask_all[idx].sum(1).max())
        ids, mask = ids_all[idx, :width], mask_all[idx, :width]
        pooled = pool(runner.hidden(ids, mask), mask, str(serving["pooling"]), bool(serving["normalize"]))
        for i, v in zip(idx, pooled, strict=True):
            vectors[int(i)] = v
    return np.stack([vectors[i] for i in range(len(texts))])


def median_ms(
    runner: OnnxRunner | OpenVinoRunner, model_dir: Path, serving: dict[str, Any], texts: list[str], runs: int
) -> float:
    """Median wall time of one embed call (tokenization included), after one warm-up call."""
    embed(runner, model_dir, serving, texts)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        embed(runner, model_dir, serving, texts)
        times.append((time.perf_counter() - t) * 1000)
    return float(np.median(times))
