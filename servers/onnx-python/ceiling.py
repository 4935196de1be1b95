"""In-process ceiling of the onnx-python engine (no HTTP), for npm run bench:overhead.

Same engine, settings and defaults as server.py: the layout comes from Settings.from_env, so
THREADS / WORKERS / PROCESSES mean what they mean there, and no more model calls
run at once than the server would run. `--concurrency` threads each embed one text per call
(onnxruntime releases the GIL while it runs) for `--duration-s`, then one JSON line is printed in
the format of servers/rust-common/src/ceiling.rs.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "pycommon"))
sys.path.insert(0, str(HERE))

from embedserver.settings import ServingConfig, Settings  # noqa: E402
from engine import load  # noqa: E402

WARMUP_CALLS = 20
# Each caller starts at a different text, as k6's virtual users do (scenario/texts.ts pickBatch).
CALLER_STRIDE = 7919


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", required=True, type=Path, help='JSON file {"texts": [...]}')
    parser.add_argument("--concurrency", type=int, default=1, help="parallel callers")
    parser.add_argument("--duration-s", type=float, default=5.0, help="measured seconds after warmup")
    args = parser.parse_args()
    if args.concurrency <= 0 or args.duration_s <= 0:
        parser.error("--concurrency and --duration-s must be positive")
    texts: list[str] = json.loads(args.texts.read_text())["texts"]
    if not texts:
        parser.error(f"{args.texts}: no texts")

    settings = Settings.from_env()
    engine = load(settings, ServingConfig.load(settings.model_dir))
    for text in texts[:WARMUP_CALLS]:
        engine.embed([text], True)

    # The server runs at most WORKERS model calls at once in each of its PROCESSES (SerialRunner);
    # callers beyond that wait, as requests wait in the server's queue.
    model_calls = threading.BoundedSemaphore(settings.workers * settings.processes)
    latencies: list[list[float]] = [[] for _ in range(args.concurrency)]
    deadline = time.perf_counter() + args.duration_s

    def caller(index: int) -> None:
        i = index * CALLER_STRIDE
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            with model_calls:
                engine.embed([texts[i % len(texts)]], True)
            latencies[index].append((time.perf_counter() - started) * 1000)
            i += 1

    started = time.perf_counter()
    callers = [threading.Thread(target=caller, args=(c,), name=f"caller-{c}") for c in range(args.concurrency)]
    for t in callers:
        t.start()
    for t in callers:
        t.join()
    elapsed = time.perf_counter() - started
    flat = sorted(x for per_caller in latencies for x in per_caller)
    print(
        json.dumps(
            {
                "framework": "onnx-python",
                "concurrency": args.concurrency,
                "batch_size": 1,
                "duration_s": elapsed,
                "calls": len(flat),
                "embeddings_per_sec": len(flat) / elapsed,
                "p50_ms": flat[len(flat) // 2] if flat else 0.0,
                "threads": settings.threads,
                "workers": settings.workers,
            }
        )
    )


if __name__ == "__main__":
    main()
