"""sentence-transformers on torch (CPU): the engine of the pytorch and pytorch-batching servers.

Imported only by those servers, so the other Python servers do not need torch installed.
"""

from __future__ import annotations

import os
from typing import Any

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

from .settings import ServingConfig, Settings


class TorchEngine:
    def __init__(self, settings: Settings, serving: ServingConfig) -> None:
        torch.set_num_threads(settings.threads)
        # Requests are run one at a time per worker (runner.py): inter-op parallelism only competes with intra-op.
        torch.set_num_interop_threads(1)
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

    def info(self) -> dict[str, Any]:
        return {
            "runtime": "torch",
            "sentence_transformers_version": sentence_transformers.__version__,
            "model_file": "sentence-transformers/",
            "device": "cpu",
            "torch_num_threads": torch.get_num_threads(),
        }
