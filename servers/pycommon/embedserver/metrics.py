"""Minimal Prometheus text exposition: request/error counters and latency histograms.

Counters are per worker process (label `worker`, the pid): with WORKERS > 1 each scrape reaches one
worker, so a scraper sums over the label rather than reading one series.
"""

from __future__ import annotations

import os
import threading

BUCKETS_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class Histogram:
    def __init__(self, name: str, help_text: str, buckets: tuple[float, ...]) -> None:
        self.name = name
        self.help_text = help_text
        self.buckets = buckets
        self.counts = [0] * len(buckets)
        self.count = 0
        self.total = 0.0

    def observe(self, value: float) -> None:
        self.count += 1
        self.total += value
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[i] += 1

    def render(self, label: str) -> list[str]:
        lines = [f"# HELP {self.name} {self.help_text}", f"# TYPE {self.name} histogram"]
        for bound, count in zip(self.buckets, self.counts, strict=True):
            lines.append(f'{self.name}_bucket{{{label},le="{bound}"}} {count}')
        lines.append(f'{self.name}_bucket{{{label},le="+Inf"}} {self.count}')
        lines.append(f"{self.name}_sum{{{label}}} {self.total}")
        lines.append(f"{self.name}_count{{{label}}} {self.count}")
        return lines


class Metrics:
    def __init__(self, framework: str) -> None:
        self._lock = threading.Lock()
        self.framework = framework
        self.requests = 0
        self.errors = 0
        self.embeddings = 0
        self.inference = Histogram(
            "embed_inference_ms", "Model time per model call (tokenize + forward + pool), milliseconds.", BUCKETS_MS
        )
        self.queue = Histogram("embed_queue_ms", "Time a request waited before its model call started, milliseconds.", BUCKETS_MS)
        self.batch = Histogram("embed_batch_texts", "Texts per model call.", BATCH_BUCKETS)

    def observe_request(self, ok: bool) -> None:
        with self._lock:
            self.requests += 1
            if not ok:
                self.errors += 1

    def observe_call(self, inference_ms: float, texts: int) -> None:
        """One model call (a request, or a dynamic batch of requests)."""
        with self._lock:
            self.inference.observe(inference_ms)
            self.batch.observe(texts)

    def observe_embedded(self, queue_ms: float, texts: int) -> None:
        """One request answered with embeddings."""
        with self._lock:
            self.embeddings += texts
            self.queue.observe(queue_ms)

    def render(self) -> str:
        label = f'framework="{self.framework}",worker="{os.getpid()}"'
        with self._lock:
            lines = [
                "# HELP embed_requests_total POST /embed requests answered.",
                "# TYPE embed_requests_total counter",
                f"embed_requests_total{{{label}}} {self.requests}",
                "# HELP embed_errors_total POST /embed requests answered with an error status.",
                "# TYPE embed_errors_total counter",
                f"embed_errors_total{{{label}}} {self.errors}",
                "# HELP embed_embeddings_total Texts embedded.",
                "# TYPE embed_embeddings_total counter",
                f"embed_embeddings_total{{{label}}} {self.embeddings}",
                *self.inference.render(label),
                *self.queue.render(label),
                *self.batch.render(label),
            ]
        return "\n".join(lines) + "\n"
