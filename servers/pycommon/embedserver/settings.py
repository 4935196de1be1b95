"""Server settings from the environment, shared by every Python server."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path


def positive_int_env(name: str) -> int | None:
    """A positive integer variable; None when it is unset or empty."""
    raw = os.environ.get(name, "")
    if raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a positive integer, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {raw!r}")
    return value


def _int_env(name: str, default: int) -> int:
    value = positive_int_env(name)
    return default if value is None else value


def _float_env(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a non-negative number, got {raw!r}") from None
    if value < 0 or not math.isfinite(value):
        raise ValueError(f"{name} must be a non-negative number, got {raw!r}")
    return value


def _positive_float_env(name: str, default: float) -> float:
    value = _float_env(name, default)
    if value == 0:
        raise ValueError(f"{name} must be a positive number, got {os.environ[name]!r}")
    return value


def available_cpus() -> int:
    """CPUs this process may use: its affinity mask, capped by a cgroup v2 quota (docker --cpus).

    os.cpu_count() reports the host's CPUs, which oversubscribes a container limited to fewer.
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            cpus = min(cpus, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cpus)


@dataclass(frozen=True)
class ServingConfig:
    """models/<model>/serving.json, written by the model pipeline."""

    model_key: str
    embedding_dim: int
    max_seq_length: int
    pooling: str
    normalize: bool
    synthetic: bool
    text_tower: str | None = None

    @staticmethod
    def load(model_dir: Path) -> ServingConfig:
        path = model_dir / "serving.json"
        if not path.exists():
            raise FileNotFoundError(f"{path} not found: prepare the model first (npm run bench:k6 prepares it)")
        raw = json.loads(path.read_text())
        return ServingConfig(
            model_key=str(raw["model_key"]),
            embedding_dim=int(raw["embedding_dim"]),
            max_seq_length=int(raw["max_seq_length"]),
            pooling=str(raw["pooling"]),
            normalize=bool(raw["normalize"]),
            synthetic=bool(raw.get("synthetic", False)),
            text_tower=str(raw["text_tower"]) if raw.get("text_tower") else None,
        )


def layout(cpus: int) -> tuple[int, int, int]:
    """(threads, workers, processes) from THREADS / WORKERS / PROCESSES, the same rule in every server.

    THREADS is the runtime threads of one model call, WORKERS how many model calls one process runs
    at once, PROCESSES (default 1) how many uvicorn processes each load the model. Unset, THREADS is 1
    and WORKERS one per CPU of the process (one single-threaded call per CPU: at batch 1 that beats
    one call using every CPU, README.md); setting one of them derives the other so that
    threads x workers x processes = cpus.
    """
    processes = _int_env("PROCESSES", 1)
    per_process = max(1, cpus // processes)
    threads_set = os.environ.get("THREADS", "") != ""
    workers_set = os.environ.get("WORKERS", "") != ""
    threads = _int_env("THREADS", 1)
    workers = _int_env("WORKERS", 1)
    if not workers_set:
        workers = max(1, per_process // threads)
    elif not threads_set:
        threads = max(1, per_process // workers)
    return threads, workers, processes


@dataclass(frozen=True)
class BatchingSettings:
    """Dynamic batching knobs (pytorch-batching)."""

    max_batch_size: int
    """Most texts one model call receives (MAX_BATCH_SIZE)."""
    max_wait_ms: float
    """How long the first request of a batch waits for others to join (MAX_WAIT_MS)."""
    max_queue: int
    """Requests allowed to wait; one more is answered 503 with Retry-After (MAX_QUEUE)."""

    @staticmethod
    def from_env() -> BatchingSettings:
        return BatchingSettings(
            max_batch_size=_int_env("MAX_BATCH_SIZE", 32),
            max_wait_ms=_float_env("MAX_WAIT_MS", 5.0),
            max_queue=_int_env("MAX_QUEUE", 256),
        )


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    model_dir: Path
    threads: int
    """Runtime threads of one model call (THREADS)."""
    workers: int
    """Model calls one process runs at once (WORKERS)."""
    processes: int
    """uvicorn processes, each with its own copy of the model (PROCESSES)."""
    max_texts: int
    max_body_bytes: int
    max_batch_tokens: int
    """Most tokens (after truncation, special tokens included) one request may carry (MAX_BATCH_TOKENS)."""
    body_timeout_s: float
    """Seconds a request's body may take to arrive (BODY_TIMEOUT_S)."""

    @staticmethod
    def from_env() -> Settings:
        model_dir = os.environ.get("MODEL_DIR", "")
        if model_dir == "":
            raise ValueError("MODEL_DIR is not set (folder of a prepared model, e.g. models/all-MiniLM-L6-v2)")
        threads, workers, processes = layout(available_cpus())
        return Settings(
            # Loopback unless told otherwise: a benchmark server is not a public service.
            host=os.environ.get("HOST", "127.0.0.1"),
            port=_int_env("PORT", 8000),
            model_dir=Path(model_dir).resolve(),
            threads=threads,
            workers=workers,
            processes=processes,
            max_texts=_int_env("MAX_TEXTS", 256),
            max_body_bytes=_int_env("MAX_BODY_BYTES", 4 * 1024 * 1024),
            # TEI's default: one request of 256 long texts otherwise drove a server past 4 GB.
            max_batch_tokens=_int_env("MAX_BATCH_TOKENS", 16384),
            body_timeout_s=_positive_float_env("BODY_TIMEOUT_S", 10.0),
        )
