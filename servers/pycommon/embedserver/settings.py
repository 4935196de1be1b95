"""Server settings from the environment, shared by every Python server."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    value = int(raw)
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {raw!r}")
    return value


@dataclass(frozen=True)
class ServingConfig:
    """models/<model>/serving.json, written by the model pipeline."""

    model_key: str
    embedding_dim: int
    max_seq_length: int
    pooling: str
    normalize: bool
    synthetic: bool

    @staticmethod
    def load(model_dir: Path) -> ServingConfig:
        path = model_dir / "serving.json"
        if not path.exists():
            raise FileNotFoundError(f"{path} not found: prepare the model first (npm run models -- prepare <model>)")
        raw = json.loads(path.read_text())
        return ServingConfig(
            model_key=str(raw["model_key"]),
            embedding_dim=int(raw["embedding_dim"]),
            max_seq_length=int(raw["max_seq_length"]),
            pooling=str(raw["pooling"]),
            normalize=bool(raw["normalize"]),
            synthetic=bool(raw.get("synthetic", False)),
        )


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    model_dir: Path
    threads: int
    workers: int
    max_texts: int
    max_body_bytes: int

    @staticmethod
    def from_env(default_threads: int, default_workers: int = 1) -> Settings:
        model_dir = os.environ.get("MODEL_DIR", "")
        if model_dir == "":
            raise ValueError("MODEL_DIR is not set (folder of a prepared model, e.g. models/all-MiniLM-L6-v2)")
        return Settings(
            # Loopback unless told otherwise: a benchmark server is not a public service.
            host=os.environ.get("HOST", "127.0.0.1"),
            port=_int_env("PORT", 8000),
            model_dir=Path(model_dir).resolve(),
            threads=_int_env("THREADS", default_threads),
            workers=_int_env("WORKERS", default_workers),
            max_texts=_int_env("MAX_TEXTS", 256),
            max_body_bytes=_int_env("MAX_BODY_BYTES", 4 * 1024 * 1024),
        )
