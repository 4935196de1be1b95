"""Starts infinity-emb (`infinity_emb v2`) on the suite's prepared model, from the suite's environment.

ENGINE=torch (default): infinity's sentence-transformers engine on MODEL_DIR/sentence-transformers.
ENGINE=optimum: infinity's ONNX Runtime engine on MODEL_DIR/onnx/model.onnx, through a staged folder
(stage_onnx says why). Both answer OpenAI's POST /v1/embeddings (--url-prefix /v1) and GET /health.

HOST, PORT, MODEL_DIR, THREADS and WORKERS as every server of the suite reads them (mapping in
README.md); MAX_BATCH_SIZE (default 32, infinity's) is infinity's --batch-size, LOG_LEVEL (default
warning: no line per request) its --log-level. Any other INFINITY_* variable reaches infinity as usual.

infinity's own CLI (what its `infinity_emb` console script calls) runs in this process, after the
runtime's thread count is set: torch through OMP_NUM_THREADS, ONNX Runtime through the one session
option infinity leaves unset (pin_onnxruntime_threads).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "pycommon"))

from embedserver.settings import ServingConfig, available_cpus, positive_int_env  # noqa: E402

ENGINES = ("torch", "optimum")
# Bumped when the staged folder's layout changes, so an old one is not reused.
STAGE_FORMAT = "1"
# Weights stay where the model pipeline wrote them: the stage links model.onnx, it copies no weights.
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".onnx", ".data")


def positive_int(name: str) -> int | None:
    """pycommon's parse of a positive integer variable; a bad value ends the launcher with its one line."""
    try:
        return positive_int_env(name)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None


@dataclass(frozen=True)
class Layout:
    threads: int
    """Intra-op threads of one model call (THREADS)."""
    workers: int
    """Model replicas, each running one batch at a time (WORKERS)."""


def layout(engine: str, cpus: int) -> Layout:
    """THREADS x WORKERS for infinity: one replica is infinity's own layout and the only one optimum has.

    Unset, infinity runs as it does by default: one model replica whose runtime uses every CPU of
    the process (THREADS = CPUs, WORKERS = 1), batching concurrent requests into its calls. Setting
    one of them derives the other so that threads x workers = CPUs, as in every server of the suite.
    """
    if positive_int("PROCESSES") not in (None, 1):
        raise SystemExit("PROCESSES: infinity serves from one process; only PROCESSES=1 is possible")
    threads, workers = positive_int("THREADS"), positive_int("WORKERS")
    if engine == "optimum":
        if workers not in (None, 1):
            raise SystemExit(
                f"WORKERS={workers}: infinity's optimum engine loads one model replica on CPU; only WORKERS=1 is possible"
            )
        return Layout(threads or cpus, 1)
    if threads is None and workers is None:
        return Layout(cpus, 1)
    if workers is None:
        assert threads is not None
        workers = max(1, cpus // threads)
    elif threads is None:
        threads = max(1, cpus // workers)
    if workers > max_replicas():
        raise SystemExit(
            f"WORKERS={workers}: infinity 0.0.78 runs at most {max_replicas()} replicas on this machine. Each replica keeps "
            "3 threads of one shared ThreadPoolExecutor busy for good, which also needs one for the batch scheduler and one "
            f"to hand results back; the pool has Python's default min(32, os.cpu_count() + 4) = {pool_size()} threads, and "
            "with more replicas requests wait forever"
        )
    return Layout(threads, workers)


def pool_size() -> int:
    """Threads of infinity's ThreadPoolExecutor(): Python 3.11's default, from the machine's CPUs, not the affinity."""
    return min(32, (os.cpu_count() or 1) + 4)


def max_replicas() -> int:
    return max(1, (pool_size() - 2) // 3)


def cache_root() -> Path:
    """The suite's cache (EMBEDDING_BENCH_CACHE, as the orchestrator resolves it)."""
    if os.environ.get("EMBEDDING_BENCH_CACHE"):
        return Path(os.environ["EMBEDDING_BENCH_CACHE"]).resolve()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "embedding-bench"


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def stage_onnx(model_dir: Path, serving: ServingConfig, root: Path) -> Path:
    """A folder infinity's optimum engine loads the suite's onnx/model.onnx from, keyed by content.

    Three things keep infinity 0.0.78 from loading MODEL_DIR as it is:
    - It passes the ONNX file's path as listed under --model-id to optimum-onnx, which matches only
      a bare file name: every absolute --model-id fails ("Could not find any ONNX files with target
      file name /…/model.onnx"). infinity therefore runs with --model-id . inside this folder, with
      model.onnx (a link) at its top.
    - It tokenizes up to config.json's max_position_embeddings (512 for all-MiniLM-L6-v2), not the
      model's max_seq_length (256) as sentence-transformers and infinity's torch engine do; a long
      text then gets another vector (cosine 0.96 on the probe set's long text). The staged
      config.json says max_position_embeddings = max_seq_length; the graph does not read it.
    - Its ONNX optimisation would save next to the model (HF_HUB_CACHE/infinity_onnx/<provider>/
      <model id>); HF_HOME points into this folder, so nothing is written into MODEL_DIR. (With
      optimum-onnx 0.1.0 the optimisation fails, OptimizationConfig having lost an argument
      infinity passes, and infinity serves the graph as exported: it logs that warning.)
    The key covers the linked files' paths, so a moved model folder gets a new stage, not dead links.
    """
    st_dir = model_dir / "sentence-transformers"
    onnx_dir = model_dir / "onnx"
    onnx_file = onnx_dir / "model.onnx"
    if not onnx_file.is_file():
        raise SystemExit(f"{onnx_file} not found: prepare the model first (npm run bench:k6 prepares it)")
    if serving.pooling not in ("mean", "cls"):
        raise SystemExit(
            f"pooling {serving.pooling!r}: infinity's optimum engine pools mean or cls over the graph's last_hidden_state; "
            "use ENGINE=torch for this model"
        )
    small = sorted(p for p in st_dir.iterdir() if p.is_file() and not p.name.endswith(WEIGHT_SUFFIXES))
    linked = [p for p in (onnx_file, onnx_dir / "model.onnx.data") if p.is_file()]
    key = hashlib.sha256(STAGE_FORMAT.encode())
    key.update(str(serving.max_seq_length).encode())
    for p in small:
        key.update(p.name.encode() + b"\0" + p.read_bytes())
    for p in linked:
        key.update(str(p.resolve()).encode() + b"\0" + _sha256(p).encode())
    stage = root / key.hexdigest()[:16]
    if (stage / "model.onnx").exists():
        return stage

    tmp = root / f".{stage.name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for p in small:
        shutil.copyfile(p, tmp / p.name)  # copies: infinity's optimiser may save a tokenizer over them
    for p in linked:
        (tmp / p.name).symlink_to(p)
    config = json.loads((tmp / "config.json").read_text())
    if int(config.get("max_position_embeddings", serving.max_seq_length)) > serving.max_seq_length:
        config["max_position_embeddings"] = serving.max_seq_length
        (tmp / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    try:
        tmp.rename(stage)
    except OSError:  # another start staged the same content first
        shutil.rmtree(tmp, ignore_errors=True)
    return stage


def pin_onnxruntime_threads(threads: int) -> None:
    """ONNX Runtime sessions opened without options get `threads` intra-op threads.

    infinity's optimum engine opens its session without SessionOptions and has no thread setting;
    ONNX Runtime's default is one thread per physical core of the machine whatever the affinity
    mask (two threads on the one CPU the suite gives the server on 2 cores). Sessions opened with
    options, and every other option, are left as they are.
    """
    import onnxruntime

    base: Any = onnxruntime.InferenceSession

    class Session(base):
        def __init__(self, path_or_bytes: Any, sess_options: Any = None, *args: Any, **kwargs: Any) -> None:
            if sess_options is None:
                sess_options = onnxruntime.SessionOptions()
                sess_options.intra_op_num_threads = threads
            super().__init__(path_or_bytes, sess_options, *args, **kwargs)

    onnxruntime.InferenceSession = Session


def main() -> None:
    engine = os.environ.get("ENGINE", "torch") or "torch"
    if engine not in ENGINES:
        raise SystemExit(f"ENGINE must be one of {', '.join(ENGINES)}, got {engine!r}")
    if not os.environ.get("MODEL_DIR"):
        raise SystemExit("MODEL_DIR is not set (folder of a prepared model, e.g. models/all-MiniLM-L6-v2)")
    model_dir = Path(os.environ["MODEL_DIR"]).resolve()
    serving = ServingConfig.load(model_dir)
    if serving.text_tower is not None:
        # Its sentence-transformers/ folder is the bare transformers text model: sentence-transformers
        # (infinity's torch engine) would mean-pool it, and the graph pools itself (optimum pools again).
        raise SystemExit(
            f"{serving.model_key} is the {serving.text_tower} text tower of an image-text model, which infinity's engines "
            "cannot serve from the prepared folder (it would mean-pool token vectors instead of the tower's own pooling)"
        )
    cpus = available_cpus()
    lay = layout(engine, cpus)
    batch_size = positive_int("MAX_BATCH_SIZE") or 32
    root = cache_root() / "infinity"
    root.mkdir(parents=True, exist_ok=True)

    # Offline, no usage statistics, and infinity's own cache folder outside the checkout.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("INFINITY_ANONYMOUS_USAGE_STATS", "0")
    os.environ.setdefault("INFINITY_HOME", str(root / "home"))
    os.environ.setdefault("COLUMNS", "160")  # rich wraps infinity's log lines at 80 columns in a file
    # torch (and the BLAS under it) size their pool from these when they load.
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(lay.threads)

    if engine == "optimum":
        stage = stage_onnx(model_dir, serving, root / "stage")
        os.environ["HF_HOME"] = str(stage / "hf")
        os.chdir(stage)
        model_id = "."
        print(f"infinity: optimum engine on {stage} (staged from {model_dir})", flush=True)
        pin_onnxruntime_threads(lay.threads)
    else:
        model_id = str(model_dir / "sentence-transformers")

    args = [
        "v2",
        "--model-id", model_id,
        "--served-model-name", serving.model_key,
        "--engine", engine,
        "--device", "cpu",
        "--dtype", "float32",
        "--batch-size", str(batch_size),
        "--pooling-method", serving.pooling if serving.pooling in ("mean", "cls") else "auto",
        "--onnx-do-not-prefer-quantized",
        "--no-vector-disk-cache",
        "--url-prefix", "/v1",
        "--host", os.environ.get("HOST", "127.0.0.1"),
        "--port", str(positive_int("PORT") or 8000),
        "--log-level", os.environ.get("LOG_LEVEL", "warning") or "warning",
    ]  # fmt: skip
    if lay.workers > 1:
        # On CPU, infinity loads one replica per listed device id; each runs its own batches.
        args += ["--device-id", ",".join(str(i) for i in range(lay.workers))]
    print(
        f"infinity: engine {engine}, model {model_id} ({serving.model_key}), {cpus} CPUs, "
        f"THREADS {lay.threads} x WORKERS {lay.workers}, batch size {batch_size}",
        flush=True,
    )

    from infinity_emb.cli import cli

    sys.argv = ["infinity_emb", *args]
    cli()


if __name__ == "__main__":
    main()
