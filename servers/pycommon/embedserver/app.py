"""The HTTP contract (servers/contract/openapi.yaml) as a FastAPI app around any embedding engine.

Each Python server only supplies a loader that returns an Engine; routing, validation, JSON errors,
/health, /info, /metrics and the request runner (serial or dynamic batching) are identical across
frameworks, so that only the runtime differs.
"""

from __future__ import annotations

import asyncio
import base64
import os
import platform
import shutil
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import orjson
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from .memory import release_after
from .metrics import CONTENT_TYPE, MULTIPROC_DIR_ENV, Metrics
from .runner import DynamicBatcher, Outcome, QueueFull, Runner, SerialRunner
from .settings import BatchingSettings, ServingConfig, Settings, available_cpus
from .tokens import TokenCounter

# Set by serve() when PROCESSES > 1: every process marks itself loaded there, and /health answers 200
# only once all have, so the first requests after a healthy /health never reach a loading process.
READY_DIR_ENV = "EMBEDSERVER_READY_DIR"


class Engine(Protocol):
    framework_version: str

    def embed(self, texts: list[str], normalize: bool) -> npt.NDArray[np.float32]: ...

    def info(self) -> dict[str, Any]: ...


Loader = Callable[[Settings, ServingConfig], Engine]


class BodyTooLarge(Exception):
    pass


class Refused(Exception):
    """A request answered with an error status; each route writes it in its API's error shape."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return json_response({"error": message}, status, headers)


def openai_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """OpenAI's error object, which its clients read the message from."""
    kind = "invalid_request_error" if status < 500 else "server_error"
    return json_response({"error": {"message": message, "type": kind, "param": None, "code": None}}, status, headers)


def tei_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """TEI's error shape: the message and its kind."""
    kind = "Overloaded" if status == 503 else "Validation" if status < 500 else "Backend"
    return json_response({"error": message, "error_type": kind}, status, headers)


def base64_floats(vector: npt.NDArray[np.float32]) -> str:
    """encoding_format base64: the little-endian float32 bytes, as OpenAI's clients decode them."""
    return base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")


def rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)
    except OSError:
        return 0.0


async def read_body(request: Request, limit: int, timeout_s: float) -> bytes:
    """The body, refused as soon as it passes `limit` bytes (a chunked body has no Content-Length).

    TimeoutError after `timeout_s`: a client that declares more than it sends would otherwise hold
    the connection and its buffered bytes forever."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async with asyncio.timeout(timeout_s):
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            chunks.append(chunk)
    return b"".join(chunks)


class State:
    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.serving: ServingConfig | None = None
        self.tokens: TokenCounter | None = None
        self.load_error: str | None = None
        self.model_load_time_ms: float | None = None


def all_processes_ready(processes: int) -> bool:
    ready_dir = os.environ.get(READY_DIR_ENV, "")
    if processes <= 1 or ready_dir == "":
        return True
    return sum(1 for marker in Path(ready_dir).iterdir() if _alive(int(marker.name))) >= processes


def _alive(pid: int) -> bool:
    """A process that died (and was replaced by uvicorn) leaves its marker behind; it must not count."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def create_app(
    framework: str,
    language: str,
    loader: Loader,
    batching: bool = False,
) -> FastAPI:
    """batching: serve through the dynamic batcher (MAX_BATCH_SIZE, MAX_WAIT_MS, MAX_QUEUE)."""
    settings = Settings.from_env()
    batch_cfg = BatchingSettings.from_env() if batching else None
    state = State()
    metrics = Metrics(framework)

    def embed(texts: list[str], normalize: bool) -> npt.NDArray[np.float32]:
        assert state.engine is not None  # requests reach the runner only once the model is loaded
        vectors = state.engine.embed(texts, normalize)
        release_after(texts)
        return vectors

    runner: Runner = (
        DynamicBatcher(embed, batch_cfg, metrics.observe_call, settings.workers, metrics.queue_changed)
        if batch_cfg is not None
        else SerialRunner(embed, metrics.observe_call, settings.workers, metrics.queue_changed)
    )

    def load() -> None:
        started = time.perf_counter()
        try:
            serving = ServingConfig.load(settings.model_dir)
            engine = loader(settings, serving)
            state.tokens = TokenCounter(settings.model_dir, serving.max_seq_length)
            state.serving = serving
            # Last: /health answers healthy once the engine is set, and /embed needs all three.
            state.engine = engine
            state.model_load_time_ms = (time.perf_counter() - started) * 1000
            ready_dir = os.environ.get(READY_DIR_ENV, "")
            if ready_dir:
                Path(ready_dir, str(os.getpid())).touch()
            print(
                f"[{framework}] model loaded in {state.model_load_time_ms:.0f} ms "
                f"(threads={settings.threads}, workers={settings.workers}, processes={settings.processes}, pid={os.getpid()})",
                flush=True,
            )
        except Exception as exc:  # reported by /health; the process stays up so the cause is visible
            state.load_error = f"{type(exc).__name__}: {exc}"
            print(f"[{framework}] model load failed: {state.load_error}", flush=True)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        runner.start()
        # Load off the event loop so /health can answer 503 while the model loads.
        threading.Thread(target=load, name="model-loader", daemon=True).start()
        yield

    app = FastAPI(title=f"embedding-bench {framework}", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> Response:
        return error(exc.status_code, str(exc.detail), dict(exc.headers) if exc.headers else None)

    @app.exception_handler(Exception)
    async def internal_error(_: Request, exc: Exception) -> Response:
        return error(500, f"{type(exc).__name__}: {exc}")

    @app.get("/health")
    async def health() -> Response:
        if state.load_error is not None:
            return json_response({"status": "failed", "error": state.load_error}, 503)
        if state.engine is not None and all_processes_ready(settings.processes):
            return json_response({"status": "healthy"})
        return json_response({"status": "loading"}, 503)

    @app.get("/info")
    async def info() -> Response:
        serving = state.serving
        body: dict[str, Any] = {
            "framework": framework,
            "framework_version": state.engine.framework_version if state.engine else None,
            "language": language,
            "python_version": platform.python_version(),
            "model_name": serving.model_key if serving else None,
            "model_load_time_ms": state.model_load_time_ms,
            "embedding_dim": serving.embedding_dim if serving else None,
            "max_seq_length": serving.max_seq_length if serving else None,
            "pooling": serving.pooling if serving else None,
            "normalize_default": True,
            "synthetic_weights": serving.synthetic if serving else None,
            "threads": settings.threads,
            "workers": settings.workers,
            "processes": settings.processes,
            "batching": (
                {
                    "max_batch_size": batch_cfg.max_batch_size,
                    "max_wait_ms": batch_cfg.max_wait_ms,
                    "max_queue": batch_cfg.max_queue,
                }
                if batch_cfg
                else None
            ),
            "max_texts": settings.max_texts,
            "max_body_bytes": settings.max_body_bytes,
            "max_batch_tokens": settings.max_batch_tokens,
            "body_timeout_s": settings.body_timeout_s,
            "cpu_count": available_cpus(),
            "memory_rss_mb": round(rss_mb(), 1),
            "pid": os.getpid(),
        }
        if state.engine is not None:
            body.update(state.engine.info())
        return json_response(body)

    @app.get("/metrics")
    async def prometheus() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    @app.post("/embed")
    async def embed_route(request: Request) -> Response:
        with metrics.in_flight():
            response = await _embed(request)
        metrics.observe_request(response.status_code == 200)
        return response

    @app.post("/v1/embeddings")
    async def openai_route(request: Request) -> Response:
        with metrics.in_flight():
            response = await _openai_embeddings(request)
        metrics.observe_request(response.status_code == 200)
        return response

    async def _json_object(request: Request, shape: str) -> dict[str, Any]:
        try:
            raw = await read_body(request, settings.max_body_bytes, settings.body_timeout_s)
        except BodyTooLarge:
            raise Refused(413, f"body larger than {settings.max_body_bytes} bytes") from None
        except TimeoutError:
            # Closed after the answer: the rest of the body may still come, and is not a next request.
            message = f"request body not received within {settings.body_timeout_s:g} s"
            raise Refused(408, message, {"connection": "close"}) from None
        except ClientDisconnect:
            # Nobody is left to answer; one line instead of uvicorn's traceback of the exception.
            print(f"[{framework}] client disconnected before its body was complete", flush=True)
            raise Refused(400, "client disconnected before its body was complete") from None
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise Refused(400, f"body is not valid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise Refused(400, f"body must be a JSON object {shape}")
        return body

    def _texts(texts: object, field: str) -> list[str]:
        if not isinstance(texts, list) or len(texts) == 0:
            raise Refused(400, f"'{field}' must be a non-empty list of strings")
        if len(texts) > settings.max_texts:
            raise Refused(413, f"too many texts: {len(texts)} > {settings.max_texts}")
        if not all(isinstance(t, str) for t in texts):
            raise Refused(400, f"every item of '{field}' must be a string")
        return texts

    def _one_or_many(body: dict[str, Any], field: str) -> list[str]:
        """A field that takes one text or a list of them (OpenAI's input, TEI's inputs)."""
        value = body.get(field)
        return _texts([value] if isinstance(value, str) else value, field)

    def _normalize(body: dict[str, Any]) -> bool:
        normalize = body.get("normalize", True)
        if not isinstance(normalize, bool):
            raise Refused(400, "'normalize' must be a boolean")
        return normalize

    async def _run(texts: list[str], normalize: bool, count_tokens: bool = False) -> tuple[Outcome, int | None]:
        """The vectors of `texts`, and their token count when asked for (or counted for the budget anyway)."""
        if state.engine is None or state.serving is None or state.tokens is None:
            raise Refused(503, "model not loaded yet", {"retry-after": "1"})
        budget = settings.max_batch_tokens
        tokens: int | None = None
        if state.tokens.could_exceed(texts, budget):
            # Counted off the event loop (long texts take a while) and before the runner, so an
            # over-budget request never reaches the model.
            tokens = await asyncio.to_thread(state.tokens.count, texts)
            if tokens > budget:
                raise Refused(413, f"too many tokens: {tokens} > {budget} (MAX_BATCH_TOKENS)")
        elif count_tokens:
            tokens = state.tokens.count(texts)
        try:
            out = await runner.submit(texts, normalize)
        except QueueFull as exc:
            raise Refused(503, str(exc), {"retry-after": "1"}) from None
        metrics.observe_embedded(out.queue_ms, len(texts))
        return out, tokens

    def _timing_headers(out: Outcome) -> dict[str, str]:
        return {
            "x-inference-time": f"{out.inference_ms:.3f}",
            "x-queue-time": f"{out.queue_ms:.3f}",
            "x-batch-size": str(out.batch_texts),
        }

    async def _embed(request: Request) -> Response:
        try:
            body = await _json_object(request, '{"texts": [...]}')
            if "inputs" in body and "texts" not in body:
                return await _tei_embed(body)
            out, _ = await _run(_texts(body.get("texts"), "texts"), _normalize(body))
        except Refused as r:
            return error(r.status, r.message, r.headers)
        assert state.serving is not None
        return json_response(
            {
                "embeddings": out.vectors,
                "inference_time_ms": out.inference_ms,
                "model": state.serving.model_key,
                "dim": int(out.vectors.shape[1]),
                "num_embeddings": int(out.vectors.shape[0]),
            },
            headers=_timing_headers(out),
        )

    async def _tei_embed(body: dict[str, Any]) -> Response:
        """Hugging Face TEI's POST /embed {"inputs", "normalize"} answered with the bare list of vectors,
        so that the suite's tei adapter runs end to end against a real server (no TEI builds here)."""
        try:
            out, _ = await _run(_one_or_many(body, "inputs"), _normalize(body))
        except Refused as r:
            return tei_error(r.status, r.message, r.headers)
        return json_response(out.vectors, headers=_timing_headers(out))

    async def _openai_embeddings(request: Request) -> Response:
        try:
            body = await _json_object(request, '{"input": [...], "model": "..."}')
            texts = _one_or_many(body, "input")
            for field in ("model", "user"):
                if not isinstance(body.get(field, ""), str):
                    raise Refused(400, f"'{field}' must be a string")
            encoding = body.get("encoding_format", "float")
            if encoding not in ("float", "base64"):
                raise Refused(400, "'encoding_format' must be 'float' or 'base64'")
            dimensions = body.get("dimensions")
            dim = state.serving.embedding_dim if state.serving is not None else None
            wrong = isinstance(dimensions, bool) or not isinstance(dimensions, int) or dimensions != dim
            if dim is not None and dimensions is not None and wrong:
                raise Refused(400, f"'dimensions' must be {dim} (this model's) or absent: vectors are not shortened")
            # OpenAI's vectors are unit length; there is no parameter for it.
            out, tokens = await _run(texts, True, count_tokens=True)
        except Refused as r:
            return openai_error(r.status, r.message, r.headers)
        assert state.serving is not None and tokens is not None
        vectors = out.vectors
        return json_response(
            {
                "object": "list",
                "data": [
                    {"object": "embedding", "index": i, "embedding": base64_floats(v) if encoding == "base64" else v}
                    for i, v in enumerate(vectors)
                ],
                "model": state.serving.model_key,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
            headers=_timing_headers(out),
        )

    return app


def serve(import_string: str, app_dir: str) -> None:
    """Runs uvicorn; with several processes (PROCESSES) each loads its own copy of the model."""
    settings = Settings.from_env()
    ready_dir = tempfile.mkdtemp(prefix="embedserver-ready-") if settings.processes > 1 else ""
    os.environ[READY_DIR_ENV] = ready_dir
    # Every process writes its metrics here and any of them answers /metrics with the sum (metrics.py).
    # uvicorn spawns its processes fresh, so they import prometheus_client with this variable set.
    metrics_dir = tempfile.mkdtemp(prefix="embedserver-metrics-") if settings.processes > 1 else ""
    if metrics_dir:
        os.environ[MULTIPROC_DIR_ENV] = metrics_dir
    try:
        uvicorn.run(
            import_string,
            host=settings.host,
            port=settings.port,
            workers=settings.processes,
            app_dir=app_dir,
            log_level="warning",
            access_log=False,
            # uvicorn kills a worker that misses a 5 s ping; importing torch or compiling a model on busy
            # CPUs holds the GIL longer than that, which turned start-up into a restart loop.
            timeout_worker_healthcheck=120,
        )
    finally:
        for folder in (ready_dir, metrics_dir):
            if folder:
                shutil.rmtree(folder, ignore_errors=True)
