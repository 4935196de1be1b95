"""Minimal Prometheus text exposition: request/error counters and an inference-time histogram."""

from __future__ import annotations

import threading

BUCKETS_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


class Metrics:
    def __init__(self, framework: str) -> None:
        self._lock = threading.Lock()
        self.framework = framework
        self.requests = 0
        self.errors = 0
        self.embeddings = 0
        self.bucket_counts = [0] * len(BUCKETS_MS)
        self.inference_count = 0
        self.inference_sum_ms = 0.0

    def observe_request(self, ok: bool) -> None:
        with self._lock:
            self.requests += 1
            if not ok:
                self.errors += 1

    def observe_inference(self, ms: float, texts: int) -> None:
        with self._lock:
            self.embeddings += texts
            self.inference_count += 1
            self.inference_sum_ms += ms
            for i, bound in enumerate(BUCKETS_MS):
                if ms <= bound:
                    self.bucket_counts[i] += 1

    def render(self) -> str:
        label = f'framework="{self.framework}"'
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
                "# HELP embed_inference_ms Model inference time per request (tokenize + forward + pool), milliseconds.",
                "# TYPE embed_inference_ms histogram",
            ]
            for bound, count in zip(BUCKETS_MS, self.bucket_counts, strict=True):
                lines.append(f'embed_inference_ms_bucket{{{label},le="{bound}"}} {count}')
            lines.append(f'embed_inference_ms_bucket{{{label},le="+Inf"}} {self.inference_count}')
            lines.append(f"embed_inference_ms_sum{{{label}}} {self.inference_sum_ms}")
            lines.append(f"embed_inference_ms_count{{{label}}} {self.inference_count}")
        return "\n".join(lines) + "\n"
