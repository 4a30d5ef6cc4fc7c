"""One BLAS thread for query work.

A question is a few matrix-vector products over the snapshot (25,000 to 100,000 rows)
and a small logistic model. numpy's OpenBLAS splits each over every core and its threads
spin while they wait for each other; on a 2-core machine that is also running Streamlit,
the embedder and other users' work, they mostly wait. Measured on such a machine (load
~9): a 100,000 x 384 product took 84 ms p50 with two threads and 17 ms with one, the
relevance model's 100,000 x 13 product 78 ms and 9.5 ms. Idle, one thread costs about
0.7 ms more per product at 25,000 rows. The float32 cosines may differ in their last bit
(at most 6e-9 at 25,000 quotes: OpenBLAS sums in another order with another thread
count, as it does on a machine with more cores); no search, answer or matrix cell of the
25,000-quote benchmark changed, nor any figure of ``make eval``.

numpy reads ``OPENBLAS_NUM_THREADS`` when it is imported, usually before Casebase is (the
app imports Streamlit first), so the library is told at run time through its own
``*_set_num_threads`` call. A user who set ``OPENBLAS_NUM_THREADS`` keeps their choice.
"""
from __future__ import annotations

import ctypes
import os
import re
import threading

_NAMES = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads64_",
          "openblas_set_num_threads")
_done = False
_lock = threading.Lock()


def openblas_libraries() -> list[str]:
    """Paths of the OpenBLAS libraries loaded in this process (Linux; [] elsewhere)."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            maps = fh.read()
    except OSError:
        return []
    return sorted(set(re.findall(r"(/\S*openblas\S*\.so[\w.]*)", maps)))


def _call(name_prefix: str, *args: int) -> list[int]:
    out = []
    for path in openblas_libraries():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in _NAMES:
            fn = getattr(lib, name.replace("set_num_threads", name_prefix), None)
            if fn is not None:
                got = fn(*args)
                out.append(int(got) if got is not None else 0)
                break
    return out


def single_thread() -> None:
    """Limit numpy's OpenBLAS to one thread in this process, once (no-op when the user set
    ``OPENBLAS_NUM_THREADS``, or on a numpy without OpenBLAS)."""
    global _done
    if _done:
        return
    with _lock:
        if _done:
            return
        _done = True
        if os.environ.get("OPENBLAS_NUM_THREADS"):
            return
        import numpy  # noqa: F401  (loads the library whose threads are set)

        try:
            _call("set_num_threads", 1)
        except Exception:  # an unexpected build: leave it as it is
            pass


def threads() -> list[int]:
    """The thread count of each loaded OpenBLAS (for tests and the benchmark)."""
    try:
        return _call("get_num_threads")
    except Exception:
        return []
