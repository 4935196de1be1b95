"""The server's Prometheus metrics, kept and exposed (text format 0.0.4) by prometheus_client.

Families, each with the one label `framework` (the Rust and C++ servers expose the same):
  embed_requests_total    counter    POST /embed requests answered.
  embed_errors_total      counter    POST /embed requests answered with an error status.
  embed_embeddings_total  counter    Texts embedded.
  embed_inference_ms      histogram  model time per model call
  embed_queue_ms          histogram  wait before the model call started
  embed_batch_texts       histogram  texts per model call
  embed_in_flight         gauge      embedding requests (/embed, /v1/embeddings) being served now
  embed_queue_depth       gauge      requests waiting for their model call to start

Every server exposes both gauges: a server without a dynamic batcher still queues the requests
beyond WORKERS (its embed_queue_ms), and embed_queue_depth counts those; both are 0 when idle.

With several uvicorn processes (PROCESSES > 1) a scrape reaches only one of them, so serve() gives
them a shared PROMETHEUS_MULTIPROC_DIR: every process writes its values to files there and any
process's /metrics sums them all (MultiProcessCollector), i.e. answers for the whole server.
prometheus_client picks memory or files when it is first imported, from that variable.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.context_managers import InprogressTracker
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

BUCKETS_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)

IN_FLIGHT_HELP = "Embedding requests (POST /embed, POST /v1/embeddings) being served now."
QUEUE_DEPTH_HELP = "Requests waiting for their model call to start."


class Metrics:
    def __init__(self, framework: str) -> None:
        # The *_created series exist only in single-process mode; without them both modes expose the
        # same families, as the native servers do.
        disable_created_metrics()
        # A registry of our own: the default one adds process_* and python_* families.
        self._registry = CollectorRegistry()
        labels = ("framework",)
        reg = self._registry
        self._requests = Counter("embed_requests", "POST /embed requests answered.", labels, registry=reg).labels(framework)
        self._errors = Counter(
            "embed_errors", "POST /embed requests answered with an error status.", labels, registry=reg
        ).labels(framework)
        self._embeddings = Counter("embed_embeddings", "Texts embedded.", labels, registry=reg).labels(framework)
        self._inference = Histogram(
            "embed_inference_ms",
            "Model time per model call (tokenize + forward + pool), milliseconds.",
            labels,
            registry=reg,
            buckets=BUCKETS_MS,
        ).labels(framework)
        self._queue = Histogram(
            "embed_queue_ms",
            "Time a request waited before its model call started, milliseconds.",
            labels,
            registry=reg,
            buckets=BUCKETS_MS,
        ).labels(framework)
        self._batch = Histogram("embed_batch_texts", "Texts per model call.", labels, registry=reg, buckets=BATCH_BUCKETS).labels(
            framework
        )

        # livesum: with several processes a scrape sums the live processes' values (ignored in one process).
        def gauge(name: str, help_text: str) -> Gauge:
            return Gauge(name, help_text, labels, registry=reg, multiprocess_mode="livesum").labels(framework)

        self._in_flight = gauge("embed_in_flight", IN_FLIGHT_HELP)
        self._queue_depth = gauge("embed_queue_depth", QUEUE_DEPTH_HELP)

    def in_flight(self) -> InprogressTracker:
        """`with metrics.in_flight():` around a request, from its start to its answer, errors included."""
        return self._in_flight.track_inprogress()

    def queue_changed(self, delta: int) -> None:
        """Requests joined (+) or left (-) the wait for a model call."""
        self._queue_depth.inc(delta)

    def observe_request(self, ok: bool) -> None:
        self._requests.inc()
        if not ok:
            self._errors.inc()

    def observe_call(self, inference_ms: float, texts: int) -> None:
        """One model call (a request, or a dynamic batch of requests)."""
        self._inference.observe(inference_ms)
        self._batch.observe(texts)

    def observe_embedded(self, queue_ms: float, texts: int) -> None:
        """One request answered with embeddings."""
        self._embeddings.inc(texts)
        self._queue.observe(queue_ms)

    def render(self) -> bytes:
        if MULTIPROC_DIR_ENV in os.environ:
            # Built per scrape, as the library's docs say: it reads every process's files.
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self._registry)
