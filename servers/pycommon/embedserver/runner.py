"""How requests reach the engine: at most WORKERS model calls at once, or a dynamic batcher.

SerialRunner runs the engine on WORKERS dedicated threads that take requests from one queue, so a
free worker always takes the next request whichever connection it came on (separate processes on a
shared socket could not: keep-alive connections stay with the process that accepted them, and at
low concurrency one process did most of the work). The engine's own thread pool (THREADS) is the
only parallelism inside a model call; requests beyond WORKERS wait in the queue, whose time is
reported (x-queue-time), instead of oversubscribing the CPUs. The batcher, too, runs at most
WORKERS model calls at once, each on a batch of requests.

Both report the requests waiting for their model call (on_queue: +n as they arrive, -n as their
call starts or they give up), the embed_queue_depth gauge; its time is embed_queue_ms.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from .pooling import l2_normalize
from .settings import BatchingSettings

EmbedFn = Callable[[list[str], bool], npt.NDArray[np.float32]]
QueueFn = Callable[[int], None]


def _no_queue_report(_: int) -> None:
    pass


class _Once:
    """Calls `fn` the first time it is called, from whichever thread, and never again."""

    def __init__(self, fn: Callable[[], None]) -> None:
        self._fn = fn
        self._lock = threading.Lock()
        self._done = False

    def __call__(self) -> None:
        with self._lock:
            if self._done:
                return
            self._done = True
        self._fn()


@dataclass(frozen=True)
class Outcome:
    vectors: npt.NDArray[np.float32]
    inference_ms: float
    """Duration of the model call that produced these vectors (the whole batch's, when batched)."""
    queue_ms: float
    """From arrival to the start of that model call."""
    batch_texts: int
    """Texts in that model call."""


class QueueFull(Exception):
    """The batcher's queue is at its bound; the request is refused (503 + Retry-After)."""


class SerialRunner:
    def __init__(
        self, embed: EmbedFn, on_call: Callable[[float, int], None], workers: int = 1, on_queue: QueueFn = _no_queue_report
    ) -> None:
        self._embed = embed
        self._on_call = on_call
        self._on_queue = on_queue
        # The engine must allow `workers` concurrent embed() calls (each engine says how it does).
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inference")

    def start(self) -> None:
        """Nothing to start: the executor's thread is created on first use."""

    async def submit(self, texts: list[str], normalize: bool) -> Outcome:
        arrived = time.perf_counter()
        self._on_queue(1)
        # Left the queue when its call starts, or when the request ends first (a cancelled request's
        # call never starts).
        dequeued = _Once(lambda: self._on_queue(-1))

        def call() -> Outcome:
            dequeued()
            started = time.perf_counter()
            vectors = self._embed(texts, normalize)
            ms = (time.perf_counter() - started) * 1000
            self._on_call(ms, len(texts))
            return Outcome(vectors, ms, (started - arrived) * 1000, len(texts))

        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, call)
        finally:
            dequeued()


@dataclass
class _Pending:
    texts: list[str]
    normalize: bool
    arrived: float
    future: asyncio.Future[Outcome] = field(repr=False)


class DynamicBatcher:
    """Collects requests into model calls of at most `max_batch_size` texts, `workers` calls at once.

    A batch is formed only when a worker is free to run it. The first waiting request opens it;
    others join until it is full or the first has waited `max_wait_ms`. While every worker runs a
    batch, new requests queue and form the next batch as soon as one finishes, so under load batches
    fill without waiting. A request with more texts than `max_batch_size` runs alone (never split:
    its vectors come from one call). At most `max_queue` requests wait.
    """

    def __init__(
        self,
        embed: EmbedFn,
        cfg: BatchingSettings,
        on_call: Callable[[float, int], None],
        workers: int = 1,
        on_queue: QueueFn = _no_queue_report,
    ) -> None:
        self._embed = embed
        self._cfg = cfg
        self._on_call = on_call
        self._on_queue = on_queue
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inference")
        self._free_workers = asyncio.Semaphore(workers)
        self._waiting: deque[_Pending] = deque()
        self._arrival = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._collect_forever(), name="dynamic-batcher")

    async def submit(self, texts: list[str], normalize: bool) -> Outcome:
        if len(self._waiting) >= self._cfg.max_queue:
            raise QueueFull(f"queue full ({self._cfg.max_queue} requests waiting)")
        pending = _Pending(texts, normalize, time.perf_counter(), asyncio.get_running_loop().create_future())
        self._waiting.append(pending)
        # Waiting until its batch's call starts (_run), while in the deque and while its batch forms.
        self._on_queue(1)
        self._arrival.set()
        return await pending.future

    async def _next_arrival(self, timeout_s: float | None) -> bool:
        """Waits until something is queued; False on timeout. A missed wake-up loses nothing: the deque holds the request."""
        while not self._waiting:
            self._arrival.clear()
            try:
                await asyncio.wait_for(self._arrival.wait(), timeout_s)
            except TimeoutError:
                return bool(self._waiting)
        return True

    async def _collect_forever(self) -> None:
        while True:
            await self._free_workers.acquire()
            await self._next_arrival(None)
            first = self._waiting.popleft()
            batch = [first]
            texts = len(first.texts)
            deadline = first.arrived + self._cfg.max_wait_ms / 1000
            while texts < self._cfg.max_batch_size:
                if not self._waiting:
                    remaining = deadline - time.perf_counter()
                    if remaining <= 0 or not await self._next_arrival(remaining):
                        break
                nxt = self._waiting[0]
                if texts + len(nxt.texts) > self._cfg.max_batch_size:
                    break
                batch.append(self._waiting.popleft())
                texts += len(nxt.texts)
            # Kept in a set until done: the event loop holds only weak references to its tasks.
            task = asyncio.get_running_loop().create_task(self._run(batch), name="batch")
            self._running.add(task)
            task.add_done_callback(self._worker_done)

    def _worker_done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._free_workers.release()

    async def _run(self, batch: list[_Pending]) -> None:
        self._on_queue(-len(batch))
        live = [p for p in batch if not p.future.done()]  # a client that hung up cancelled its future
        if not live:
            return
        texts = [t for p in live for t in p.texts]
        started = time.perf_counter()
        try:
            raw = await asyncio.get_running_loop().run_in_executor(self._executor, self._embed, texts, False)
        except Exception as exc:  # every request of the batch gets the error as its 500
            for p in live:
                if not p.future.done():
                    p.future.set_exception(exc)
            return
        ms = (time.perf_counter() - started) * 1000
        self._on_call(ms, len(texts))
        offset = 0
        for p in live:
            part = raw[offset : offset + len(p.texts)]
            offset += len(p.texts)
            if not p.future.done():
                vectors = l2_normalize(part) if p.normalize else part
                p.future.set_result(Outcome(vectors, ms, (started - p.arrived) * 1000, len(texts)))


Runner = SerialRunner | DynamicBatcher
