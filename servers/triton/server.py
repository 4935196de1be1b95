"""Triton Inference Server (PyTriton) in front of the onnx-python engine: a managed peer.

Triton's HTTP frontend and dynamic batcher take KServe v2 requests (POST /v2/models/<name>/infer, a
BYTES tensor of texts); each model instance of its Python backend hands a batch to one PyTriton
handler thread of this process, which runs servers/onnx-python/engine.py (tokenizers + ONNX Runtime,
imported, not copied) and returns L2-normalised FP32 vectors.

Environment: HOST, PORT (Triton's HTTP port; gRPC is off), METRICS_PORT (Triton's Prometheus metrics,
GET /metrics on HOST; unset: metrics off), MODEL_DIR, THREADS (ONNX Runtime intra-op threads per model
call), WORKERS (model instances, i.e. batches at once),
MAX_BATCH_SIZE (most texts per batch, and per request), MAX_QUEUE_DELAY_US (how long the batcher
holds a request for company), MODEL_NAME (the served model, default "embedding").
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing.resource_tracker
import os
import signal
import sys
import sysconfig
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "pycommon"))
sys.path.insert(0, str(HERE.parent / "onnx-python"))

import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402
from embedserver.settings import ServingConfig, Settings, positive_int_env  # noqa: E402
from engine import OnnxEngine  # noqa: E402
from pytriton.decorators import batch  # noqa: E402
from pytriton.model_config import DynamicBatcher, ModelConfig, Tensor  # noqa: E402
from pytriton.triton import Triton, TritonConfig, TritonSecurityConfig  # noqa: E402

LOG = logging.getLogger("triton-server")

INPUT = "TEXT"
OUTPUT = "EMBEDDINGS"


@dataclass(frozen=True)
class BatcherSettings:
    """Triton's dynamic batcher, from the environment."""

    max_batch_size: int
    """Most texts in one batch (MAX_BATCH_SIZE); Triton also refuses a request with more rows."""
    max_queue_delay_us: int
    """How long the batcher may hold a request for others to join (MAX_QUEUE_DELAY_US)."""

    @staticmethod
    def from_env() -> BatcherSettings:
        raw = os.environ.get("MAX_QUEUE_DELAY_US", "")
        if raw == "":
            delay = 5000
        elif raw.isdigit():
            delay = int(raw)
        else:
            raise ValueError(f"MAX_QUEUE_DELAY_US must be a whole number of microseconds >= 0, got {raw!r}")
        return BatcherSettings(max_batch_size=positive_int_env("MAX_BATCH_SIZE") or 32, max_queue_delay_us=delay)


def prefer_own_libpython() -> None:
    """The Python backend stub links libpython3.X.so; it must load this interpreter's, not the system's.

    Debian's /usr/lib/x86_64-linux-gnu/libpython3.11.so (3.11.2) is found before pyenv's 3.11.7 and
    the stub fails with "'_thread.RLock' object has no attribute '_recursion_count'". PyTriton copies
    os.environ when it starts tritonserver, so the interpreter's LIBDIR goes first here.
    """
    libdir = sysconfig.get_config_var("LIBDIR")
    if not libdir:
        return
    current = os.environ.get("LD_LIBRARY_PATH", "")
    os.environ["LD_LIBRARY_PATH"] = f"{libdir}:{current}" if current else str(libdir)


PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    """Orphans of this process tree (the backend stubs and their helpers, once tritonserver exits) reparent here."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        LOG.warning(
            "prctl(PR_SET_CHILD_SUBREAPER) failed (errno %d): stubs that outlive tritonserver go to init", ctypes.get_errno()
        )


def children() -> list[int]:
    me = os.getpid()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == me:
            found.append(int(entry))
    return found


def reap_tree(timeout_s: float) -> None:
    """After Triton stopped: waits until every process of the tree has exited, killing what is left at the deadline.

    The launcher stops the whole process group, but a server that returns while stubs still exit would
    leave them to be killed (or to linger as zombies of init): here the leader exits last.
    """
    stop_tracker = getattr(multiprocessing.resource_tracker._resource_tracker, "_stop", None)
    if stop_tracker is not None:
        stop_tracker()  # this process's shared-memory tracker: it unlinks what PyTriton left in /dev/shm
    deadline = time.monotonic() + timeout_s
    killed = False
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG if not killed else 0)
        except ChildProcessError:
            return
        if pid == 0:
            if time.monotonic() >= deadline:
                left = children()
                LOG.warning("triton: killing %d process(es) still running %.0f s after stop: %s", len(left), timeout_s, left)
                for child in left:
                    os.kill(child, signal.SIGKILL)
                killed = True
            else:
                time.sleep(0.05)


def texts_of(column: npt.NDArray[Any]) -> list[str]:
    """The BYTES tensor [n, 1] as n strings, in row order."""
    return [t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in column.reshape(-1)]


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stdout)
    settings = Settings.from_env()
    batcher = BatcherSettings.from_env()
    model_name = os.environ.get("MODEL_NAME", "embedding")
    metrics_port = positive_int_env("METRICS_PORT")
    serving = ServingConfig.load(settings.model_dir)
    prefer_own_libpython()
    become_subreaper()

    # One ONNX Runtime session for every instance: InferenceSession.run is thread-safe (as in onnx-python,
    # where WORKERS runner threads share it) and each PyTriton instance calls from its own thread.
    engine = OnnxEngine(settings, serving)

    @batch
    def infer(**inputs: npt.NDArray[Any]) -> dict[str, npt.NDArray[np.float32]]:
        # The kserve adapter cannot ask for normalize: vectors are always unit length (what verify expects).
        return {OUTPUT: engine.embed(texts_of(inputs[INPUT]), normalize=True)}

    LOG.info(
        "triton: model %r on http://%s:%d (metrics: %s), instances (WORKERS)=%d, THREADS=%d per call, "
        "dynamic batcher max_batch_size=%d max_queue_delay_us=%d; engine onnxruntime %s, %s, dim %d, normalised",
        model_name,
        settings.host,
        settings.port,
        f"http://{settings.host}:{metrics_port}/metrics" if metrics_port else "off",
        settings.workers,
        settings.threads,
        batcher.max_batch_size,
        batcher.max_queue_delay_us,
        engine.framework_version,
        engine.model_file,
        serving.embedding_dim,
    )

    config = TritonConfig(
        http_address=settings.host,
        http_port=settings.port,
        allow_grpc=False,
        # Per-model counters and durations (nv_inference_*), read by the suite during every level; the
        # GPU and CPU pollers stay off (no GPU here, and the suite measures the process tree itself).
        allow_metrics=metrics_port is not None,
        metrics_port=metrics_port,
        metrics_address=settings.host if metrics_port is not None else None,
        allow_gpu_metrics=False,
        allow_cpu_metrics=False,
        # Seconds tritonserver waits at exit for open HTTP connections (a client's keep-alive counts) and
        # in-flight requests before it exits anyway: the launcher's stop_timeout_s is 10 s for the whole
        # tree, and a benchmark stops the server only after its last request.
        exit_timeout_secs=2,
    )
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        LOG.info("signal %d: stopping Triton", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    # PyTriton guards shared-memory, model-repository, statistics, trace and logging with a random token.
    # Statistics is read-only and shows what the batcher did (GET /v2/models/<name>/stats: inferences vs
    # executions, batch sizes), so it is left open; the others stay guarded.
    security = TritonSecurityConfig(restricted_endpoints=["shared-memory", "model-repository", "trace", "logging"])
    triton = Triton(config=config, security_config=security)
    try:
        triton.bind(
            model_name=model_name,
            # One infer callable per instance: Triton runs WORKERS batches at once, one per instance.
            infer_func=[infer] * settings.workers,
            inputs=[Tensor(name=INPUT, dtype=bytes, shape=(1,))],
            outputs=[Tensor(name=OUTPUT, dtype=np.float32, shape=(serving.embedding_dim,))],
            config=ModelConfig(
                max_batch_size=batcher.max_batch_size,
                batcher=DynamicBatcher(max_queue_delay_microseconds=batcher.max_queue_delay_us),
            ),
            strict=True,
        )
        triton.run()
        LOG.info("triton: ready, POST /v2/models/%s/infer", model_name)
        while not stop.wait(1.0):
            if not triton.is_alive():
                LOG.error("triton: tritonserver or a model instance died")
                return 1
        return 0
    finally:
        triton.stop()
        reap_tree(timeout_s=3.0)
        LOG.info("triton: stopped")


if __name__ == "__main__":
    sys.exit(main())
