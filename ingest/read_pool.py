"""Reading and chunking the changed files of a sync, on every core when it pays.

Sentence splitting (pysbd) is most of a sync's work outside the embedder and Chroma:
5.6 s CPU of 1,000 generated interviews' ~39 s. It is pure Python, so one process
uses one core. A large first ingest reads every file before it embeds anything
(ingest/live.py, the text pass), so the cores are otherwise idle then: the files are
read in worker processes, in order, while this process writes the quotes that are
ready. Small syncs, and syncs that embed as they read (the embedder wants both
cores), read in this process as before: a worker costs ~0.3 s to start.

Workers are spawned, not forked: the parent runs Chroma's and onnxruntime's threads,
which a fork would copy in whatever state they are in. If the pool cannot start or
breaks (a sandbox without process creation, a worker killed), the files not yet read
are read here: the result is the same, only slower.
"""
from __future__ import annotations

import logging
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Iterator, NamedTuple, Sequence

from ingest.body import body_json
from ingest.chunk import chunk_interview
from ingest.loaders import LoadError
from ingest.model import Chunk, Interview
from ingest.pipeline import read_interview
from knowledge import chunk_rows

log = logging.getLogger(__name__)


class Read(NamedTuple):
    """A changed file read and chunked, and what its writes store as text: made where it
    is read, so a large first ingest makes it in the worker processes, not in the one
    that writes (~0.5 s of its time at 1,000 interviews)."""

    iv: Interview
    chunks: list[Chunk]
    metas: list[dict]  # each chunk's metadata
    body: str  # the parsed body as knowledge/bodies.py stores it
    rows: list[dict]  # each chunk's row as the chunks collection stores it (knowledge/chunk_rows.py)

Job = tuple[Path, str, str, int, int]  # path, doc_id, content hash, max bytes, max chars
MIN_POOL_FILES = 32  # fewer files than this are read here: starting workers would cost more


def read_chunked(job: Job) -> Read | str:
    """One file read, parsed and chunked; or why it could not be (a message naming it)."""
    path, doc_id, digest, max_bytes, max_chars = job
    try:
        iv = read_interview(path, doc_id, max_bytes=max_bytes, digest=digest, max_chars=max_chars)
    except LoadError as exc:
        return str(exc)
    chunks = chunk_interview(iv)
    if not chunks:
        return f"{path.name}: no quotable text found"
    metas = [c.metadata() for c in chunks]
    return Read(iv, chunks, metas, body_json(iv), [chunk_rows.encode(m, c.text) for m, c in zip(metas, chunks)])


def read_all(jobs: Sequence[Job], parallel: bool) -> Iterator[Read | str]:
    """``read_chunked`` of each job, in order. ``parallel``: in worker processes, one per
    core, when there are enough files for it to pay."""
    workers = min(_cores(), 4)
    if not parallel or workers < 2 or len(jobs) < MIN_POOL_FILES or not _main_is_safe():
        yield from map(read_chunked, jobs)
        return
    done = 0
    try:
        with _pool(workers) as pool:
            # small slices keep the first results coming early and both workers busy to the end
            for out in pool.map(read_chunked, jobs, chunksize=4):
                yield out
                done += 1
    except (BrokenProcessPool, OSError, RuntimeError) as exc:
        log.warning("reading files in worker processes failed (%s); reading the rest here", exc)
        yield from map(read_chunked, jobs[done:])


def _cores() -> int:
    """The cores this process may run on (a container's or ``taskset``'s CPU set), not
    the machine's: workers beyond them only take turns."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def _main_is_safe() -> bool:
    """Can a spawned worker start here? It first runs this process's ``__main__`` again,
    as ``__mp_main__``: by its module name (``python -m``: skipped for a package's
    ``__main__``) or its path. Under Streamlit, ``__main__`` is the app's script (app.py,
    which has no main guard and cannot have one): every worker would run the app's page
    and die, so the files are read here."""
    import sys

    main = sys.modules.get("__main__")
    if getattr(getattr(main, "__spec__", None), "name", None):
        return True
    path = getattr(main, "__file__", None)
    # a script run as such (``python x.py``, a console script) is the interpreter's argv[0]
    return path is None or (bool(sys.argv) and os.path.abspath(path) == os.path.abspath(sys.argv[0]))


def _pool(workers: int) -> Executor:
    import multiprocessing

    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def jobs_of(todo: Sequence[tuple[Any, str, Any]], max_bytes: int, max_chars: int) -> list[Job]:
    """The read jobs for a sync's (target, digest, record) list."""
    return [(t.path, t.doc_id, digest, max_bytes, max_chars) for t, digest, _ in todo]
