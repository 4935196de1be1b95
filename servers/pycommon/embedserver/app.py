"""The HTTP contract (servers/contract/openapi.yaml) as a FastAPI app around any embedding engine.

Each Python server only supplies a loader that returns an Engine; routing, validation, JSON errors,
/health, /info and /metrics are identical across frameworks so that only the runtime differs.
"""

from __future__ import annotations

import os
import platform
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import orjson
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from .metrics import Metrics
from .settings import ServingConfig, Settings


class Engine(Protocol):
    framework_version: str

    def embed(self, texts: list[str], normalize: bool) -> npt.NDArray[np.float32]: ...

    def info(self) -> dict[str, Any]: ...


Loader = Callable[[Settings, ServingConfig], Engine]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def error(status: int, message: str) -> Response:
    return json_response({"error": message}, status)


def rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)
    except OSError:
        return 0.0


class State:
    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.serving: ServingConfig | None = None
        self.load_error: str | None = None
        self.model_load_time_ms: float | None = None


def create_app(framework: str, language: str, loader: Loader, default_threads: int, default_workers: int = 1) -> FastAPI:
    settings = Settings.from_env(default_threads=default_threads, default_workers=default_workers)
    state = State()
    metrics = Metrics(framework)

    def load() -> None:
        started = time.perf_counter()
        try:
            serving = ServingConfig.load(settings.model_dir)
            state.engine = loader(settings, serving)
            state.serving = serving
            state.model_load_time_ms = (time.perf_counter() - started) * 1000
            print(
                f"[{framework}] model loaded in {state.model_load_time_ms:.0f} ms "
                f"(threads={settings.threads}, workers={settings.workers})",
                flush=True,
            )
        except Exception as exc:  # reported by /health; the process stays up so the cause is visible
            state.load_error = f"{type(exc).__name__}: {exc}"
            print(f"[{framework}] model load failed: {state.load_error}", flush=True)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Load off the event loop so /health can answer 503 while the model loads.
        threading.Thread(target=load, name="model-loader", daemon=True).start()
        yield

    app = FastAPI(title=f"embedding-bench {framework}", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> Response:
        return error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def internal_error(_: Request, exc: Exception) -> Response:
        return error(500, f"{type(exc).__name__}: {exc}")

    @app.get("/health")
    async def health() -> Response:
        if state.engine is not None:
            return json_response({"status": "healthy"})
        if state.load_error is not None:
            return json_response({"status": "failed", "error": state.load_error}, 503)
        return json_response({"status": "loading"}, 503)

    @app.get("/info")
    async def info() -> Response:
        body: dict[str, Any] = {
            "framework": framework,
            "framework_version": state.engine.framework_version if state.engine else None,
            "language": language,
            "python_version": platform.python_version(),
            "model_name": state.serving.model_key if state.serving else None,
            "model_load_time_ms": state.model_load_time_ms,
            "embedding_dim": state.serving.embedding_dim if state.serving else None,
            "max_seq_length": state.serving.max_seq_length if state.serving else None,
            "pooling": state.serving.pooling if state.serving else None,
            "synthetic_weights": state.serving.synthetic if state.serving else None,
            "threads": settings.threads,
            "workers": settings.workers,
            "max_texts": settings.max_texts,
            "max_body_bytes": settings.max_body_bytes,
            "cpu_count": os.cpu_count(),
            "memory_rss_mb": round(rss_mb(), 1),
            "pid": os.getpid(),
        }
        if state.engine is not None:
            body.update(state.engine.info())
        return json_response(body)

    @app.get("/metrics")
    async def prometheus() -> Response:
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    @app.post("/embed")
    async def embed(request: Request) -> Response:
        response = await _embed(request)
        metrics.observe_request(response.status_code == 200)
        return response

    async def _embed(request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > settings.max_body_bytes:
            return error(413, f"body larger than {settings.max_body_bytes} bytes")
        raw = await request.body()
        if len(raw) > settings.max_body_bytes:
            return error(413, f"body larger than {settings.max_body_bytes} bytes")
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            return error(400, f"body is not valid JSON: {exc}")
        if not isinstance(body, dict):
            return error(400, 'body must be a JSON object {"texts": [...]}')
        texts = body.get("texts")
        if not isinstance(texts, list) or len(texts) == 0:
            return error(400, "'texts' must be a non-empty list of strings")
        if len(texts) > settings.max_texts:
            return error(413, f"too many texts: {len(texts)} > {settings.max_texts}")
        if not all(isinstance(t, str) for t in texts):
            return error(400, "every item of 'texts' must be a string")
        normalize = body.get("normalize", True)
        if not isinstance(normalize, bool):
            return error(400, "'normalize' must be a boolean")
        engine = state.engine
        if engine is None or state.serving is None:
            return error(503, "model not loaded yet")
        started = time.perf_counter()
        vectors = await run_in_threadpool(engine.embed, texts, normalize)
        ms = (time.perf_counter() - started) * 1000
        metrics.observe_inference(ms, len(texts))
        return json_response(
            {
                "embeddings": vectors,
                "inference_time_ms": ms,
                "model": state.serving.model_key,
                "dim": int(vectors.shape[1]),
                "num_embeddings": int(vectors.shape[0]),
            },
            headers={"x-inference-time": f"{ms:.3f}"},
        )

    return app


def serve(import_string: str, app_dir: str) -> None:
    """Runs uvicorn; several workers (WORKERS) each load their own copy of the model."""
    settings = Settings.from_env(default_threads=1)
    uvicorn.run(
        import_string,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        app_dir=app_dir,
        log_level="warning",
        access_log=False,
    )
