"""In-process ceiling of the onnx-python engine (no HTTP), for npm run bench:overhead.

Same engine, settings and defaults as server.py; `--concurrency` threads each embed one text per
call (onnxruntime releases the GIL while it runs) for `--duration-s`, then one JSON line is printed
in the format of servers/rust-common/src/ceiling.rs.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "pycommon"))

from embedserver.settings import ServingConfig, Settings  # noqa: E402
from server import CPUS, WORKERS, OnnxEngine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", required=True, type=Path, help='JSON file {"texts": [...]}')
    parser.add_argument("--concurrency", type=int, default=1, help="parallel callers")
    parser.add_argument("--duration-s", type=float, default=5.0, help="measured seconds after warmup")
    args = parser.parse_args()
    texts: list[str] = json.loads(args.texts.read_text())["texts"]
    settings = Settings.from_env(default_threads=max(1, CPUS // max(1, WORKERS)))
    engine = OnnxEngine(settings, ServingConfig.load(settings.model_dir))
    for text in texts[:20]:
        engine.embed([text], True)

    deadline = time.perf_counter() + args.duration_s
    latencies: list[list[float]] = [[] for _ in range(args.concurrency)]

    def caller(worker: int) -> None:
        # Each caller starts at a different text, as k6's virtual users do (k6/lib/texts.ts pickBatch).
        i = worker * 7919
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            engine.embed([texts[i % len(texts)]], True)
            latencies[worker].append((time.perf_counter() - started) * 1000)
            i += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=caller, args=(w,)) for w in range(args.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    flat = sorted(x for per_worker in latencies for x in per_worker)
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
