"""sentence-transformers on torch (CPU): the engine of the pytorch and pytorch-batching servers.

The text tower of an image-text model (serving.json text_tower) has no sentence-transformers
pipeline: it runs as the transformers model through towers.TextTower, tokenised like the graph engines.
Imported only by those servers, so the other Python servers do not need torch installed.
"""

from __future__ import annotations

import os
from typing import Any, cast

# Idle OpenMP threads sleep instead of spinning. With k6 and other workers on the same cores a
# spinning thread burns the time slice its partner needs: measured here (2 cores, busy), 2 torch
# threads took 294 ms per batch-1 call spinning and 19.5 ms passive. Must precede `import torch`.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import numpy.typing as npt
import sentence_transformers
import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.models import Normalize

from .pooling import l2_normalize
from .settings import ServingConfig, Settings
from .tokens import GraphTokenizer, TokenIds, unpadded
from .towers import TOWER_KINDS, TextTower, TowerKind, load_tower


def _torch_threads(settings: Settings) -> None:
    torch.set_num_threads(settings.threads)
    # Each model call runs on its own runner thread (runner.py), WORKERS of them at once on the shared
    # model (inference only, so that is safe): inter-op parallelism would only compete with them.
    torch.set_num_interop_threads(1)


class TowerEngine:
    def __init__(self, settings: Settings, serving: ServingConfig, kind: TowerKind) -> None:
        _torch_threads(settings)
        self.framework_version = torch.__version__
        self.kind = kind
        self.tower: TextTower = load_tower(kind, settings.model_dir / "sentence-transformers", serving.max_seq_length)
        self.tokens = GraphTokenizer(settings.model_dir, serving.max_seq_length, {"input_ids", "attention_mask"})

    def embed(self, texts: list[str], normalize: bool) -> npt.NDArray[np.float32]:
        feeds, mask = self.tokens.feeds(texts)
        with torch.inference_mode():
            vectors = self.tower(torch.from_numpy(feeds["input_ids"]), torch.from_numpy(mask)).numpy().astype(np.float32)
        return l2_normalize(vectors) if normalize else vectors

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        return self.tokens.ids(texts)

    def info(self) -> dict[str, Any]:
        return {
            "runtime": "torch",
            "text_tower": self.kind,
            "model_file": "sentence-transformers/ (transformers text tower)",
            "device": "cpu",
            "torch_num_threads": torch.get_num_threads(),
        }


class TorchEngine:
    def __init__(self, settings: Settings, serving: ServingConfig) -> None:
        _torch_threads(settings)
        self.framework_version = torch.__version__
        full = SentenceTransformer(str(settings.model_dir / "sentence-transformers"), device="cpu", local_files_only=True)
        # The model's own Normalize module is dropped so that normalize=false returns the pooled vector,
        # as every other server does; normalize=true normalises in encode().
        self.model = SentenceTransformer(modules=[m for m in full if not isinstance(m, Normalize)], device="cpu")
        self.model.max_seq_length = serving.max_seq_length
        self.model.eval()

    def embed(self, texts: list[str], normalize: bool) -> npt.NDArray[np.float32]:
        with torch.inference_mode():
            vectors = self.model.encode(
                texts,
                batch_size=len(texts),
                convert_to_numpy=True,
                normalize_embeddings=normalize,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """Each text's ids as encode() feeds them to the model, padding left out: encode() tokenises each
        batch with preprocess() and the resolved prompt, and this model, rebuilt from its modules, has none."""
        features = self.model.preprocess(texts)
        return unpadded(features["input_ids"].tolist(), features["attention_mask"].tolist())

    def info(self) -> dict[str, Any]:
        return {
            "runtime": "torch",
            "sentence_transformers_version": sentence_transformers.__version__,
            "model_file": "sentence-transformers/",
            "device": "cpu",
            "torch_num_threads": torch.get_num_threads(),
        }


def load(settings: Settings, serving: ServingConfig) -> TorchEngine | TowerEngine:
    kind = serving.text_tower
    if kind is None:
        return TorchEngine(settings, serving)
    if kind not in TOWER_KINDS:
        raise ValueError(f"serving.json text_tower {kind!r}: expected one of {', '.join(TOWER_KINDS)}")
    return TowerEngine(settings, serving, cast("TowerKind", kind))


def token_ids(settings: Settings, serving: ServingConfig) -> TokenIds:
    """`--tokenize` of the torch servers: the loaded engine's own tokenisation (sentence-transformers'
    tokenizer for a sentence-transformers model, GraphTokenizer for a text tower)."""
    return load(settings, serving).token_ids
