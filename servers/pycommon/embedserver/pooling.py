"""Pooling and normalisation shared by every numpy-based server (matches sentence-transformers)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def pool(hidden: npt.NDArray[np.float32], mask: npt.NDArray[np.int64], pooling: str) -> npt.NDArray[np.float32]:
    """hidden: [batch, seq, dim]; mask: [batch, seq] of 0/1. pooling none: the graph pooled, hidden is [batch, dim]."""
    if pooling == "none":
        if hidden.ndim != 2:
            raise ValueError(f"pooling none expects the model to return [batch, dim], got shape {hidden.shape}")
        return hidden.astype(np.float32)
    if pooling == "mean":
        m = mask[:, :, None].astype(np.float32)
        summed = (hidden * m).sum(axis=1)
        counts = np.clip(m.sum(axis=1), 1e-9, None)
        return (summed / counts).astype(np.float32)
    if pooling == "cls":
        return hidden[:, 0, :].astype(np.float32)
    if pooling == "last_token":
        last = mask.sum(axis=1).astype(np.int64) - 1
        return hidden[np.arange(hidden.shape[0]), np.clip(last, 0, None), :].astype(np.float32)
    raise ValueError(f"unknown pooling {pooling!r}")


def l2_normalize(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.clip(norms, 1e-12, None)).astype(np.float32)
