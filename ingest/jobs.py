"""Running a sync or an upload without tying it to the caller.

A Streamlit script run, or a CLI's main thread, can be stopped at any moment;
the work it started must not be. Each sync or upload runs in a Job, a thread of
its own that the caller only follows; this process's jobs are tracked so a test
or a shutdown can wait for them all.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable

from ingest.report import Progress, SyncProgress


class Job:
    """A sync or an upload in its own thread. Whoever started it may stop waiting (a
    Streamlit rerun or page switch raises in the script's thread, Ctrl-C in the main
    thread) without stopping it: a file written into the folder is synced to the end,
    or rolled back, either way with the store in step. The thread is not a daemon, so
    the interpreter waits for it on exit."""

    def __init__(self, name: str, fn: Callable[..., Any], **kwargs: Any) -> None:
        self.name = name
        self.progress = SyncProgress(phase="starting")
        self.started = time.time()
        self._result: Any = None
        self._error: BaseException | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(fn, kwargs), name=f"casebase-{name}", daemon=False)
        with _JOBS_LOCK:
            _JOBS.add(self)
        self._thread.start()

    def _on_progress(self, p: SyncProgress) -> None:
        self.progress = p

    def _run(self, fn: Callable[..., Any], kwargs: dict[str, Any]) -> None:
        try:
            self._result = fn(progress=self._on_progress, **kwargs)
        except BaseException as exc:  # handed to whoever collects the outcome
            self._error = exc
        finally:
            self._done.set()
            with _JOBS_LOCK:
                _JOBS.discard(self)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def outcome(self) -> Any:
        """The function's result, or its exception raised again; only once done."""
        if not self.done:
            raise RuntimeError(f"{self.name} is still running")
        if self._error is not None:
            raise self._error
        return self._result

    def follow(self, progress: Progress | None = None, poll: float = 0.1) -> Any:
        """Wait for the outcome, handing the latest progress to ``progress`` every ``poll``
        seconds from the caller's own thread: a callback may draw, and may raise to stop
        waiting (Streamlit raises its rerun/stop exceptions from a widget update), which
        leaves the job running to its end."""
        while not self.wait(poll):
            if progress is not None:
                progress(self.progress)
        if progress is not None:
            progress(self.progress)
        return self.outcome()


_JOBS: set[Job] = set()
_JOBS_LOCK = threading.Lock()


def running_jobs() -> list[Job]:
    with _JOBS_LOCK:
        return [j for j in _JOBS if not j.done]


def wait_for_jobs(timeout: float | None = None) -> bool:
    """Wait until every sync and upload of this process has finished; False on timeout."""
    deadline = None if timeout is None else time.monotonic() + timeout
    for job in running_jobs():
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        if not job.wait(left):
            return False
    return True
