"""What a sync tells its caller: progress while it runs, the report when it ends.

Time left is estimated from the bytes still to be indexed, not from file counts:
unchanged files are only hashed and would make a long sync look nearly done.

``SyncReport.to_json`` is the CLI's ``--json`` contract; ``describe_progress`` is the
one-line progress text shared by the CLI's bar and the app's.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class SyncProgress:
    """Where a sync is: passed to the ``progress`` callback at every file and every
    embedder batch (a callback that draws should throttle itself)."""

    # "starting" (waiting for the lock), "saving" (an upload's files), "checking"
    # (hashing files), "reading" (a large first ingest's text pass), "indexing", "removing"
    # (files gone from the folder), "done"
    phase: str = "checking"
    files_done: int = 0
    files_total: int = 0
    current: str = ""  # doc_id being read or indexed
    chunks_done: int = 0  # quotes written (or with their vectors ready) so far
    embedded: int = 0  # texts sent to the embedder so far
    elapsed: float = 0.0  # seconds since the sync started
    eta: float | None = None  # estimated seconds left (None until there is a basis)
    # a large first ingest, text first (ingest/sync.py): interviews meaning search covers, of
    # all readable ones (0 of 0: not that kind of sync)
    searchable: int = 0
    interviews: int = 0


Progress = Callable[[SyncProgress], None]


def duration(seconds: float) -> str:
    """A time left as a person says it: "40 s", "3 min", "1 h 05 min"."""
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{round(s / 60)} min"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def describe_progress(p: SyncProgress) -> str:
    """One line for a progress bar: files done of all, quotes, time left, the file at hand."""
    if p.phase == "starting":
        return "starting (waiting for any other ingest to finish)"
    if p.phase == "saving":
        return f"saving {p.files_total} file{'s' if p.files_total != 1 else ''} to the folder"
    if p.phase == "checking":
        head = f"checking {p.files_done}/{p.files_total} files"
    elif p.phase == "reading":
        head = f"reading {p.files_done}/{p.files_total} files"
    elif p.phase == "removing":
        head = f"removing deleted files ({p.files_total} checked)"
    else:
        head = f"{p.files_done}/{p.files_total} files"
    parts = [head, f"{p.chunks_done:,} quotes"]
    if p.phase == "indexing":
        parts.append(f"about {duration(p.eta)} left" if p.eta is not None else "estimating time left")
    if p.interviews:
        parts.append(covers(p.searchable, p.interviews))
    if p.current:
        parts.append(p.current)
    return " · ".join(parts)


def covers(searchable: int, interviews: int) -> str:
    """"meaning search covers 412 of 1,000 interviews" (word search covers them all)."""
    return f"meaning search covers {searchable:,} of {interviews:,} interview{'s' if interviews != 1 else ''}"


class ProgressTracker:
    """Progress and the time-left estimate: work is measured in bytes of the files that
    must be (re)indexed, so the fast unchanged files don't skew the estimate."""

    def __init__(self, callback: Progress | None) -> None:
        self.callback = callback
        self.state = SyncProgress()
        self.started = time.perf_counter()
        self.work_started: float | None = None
        self.work_total = 0
        self.work_done = 0.0

    def emit(self, **changes: Any) -> None:
        for k, v in changes.items():
            setattr(self.state, k, v)
        if self.callback is None:
            return
        now = time.perf_counter()
        self.state.elapsed = now - self.started
        self.state.eta = self._eta(now)
        self.callback(dataclasses.replace(self.state))

    def _eta(self, now: float) -> float | None:
        if self.state.phase == "done":
            return 0.0
        if self.work_started is None or self.work_done <= 0 or self.work_total <= 0:
            return None
        spent = now - self.work_started
        if spent < 0.5:
            return None
        return max(0.0, spent / self.work_done * (self.work_total - self.work_done))


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)  # {"path", "error"}
    skipped: list[dict[str, str]] = field(default_factory=list)  # {"path", "reason"}: links out, FIFOs...
    documents: int = 0
    chunks: int = 0
    # not part of the CLI's JSON contract; shown in summaries and benchmarks
    embedded: int = 0  # chunk texts sent to the embedder
    reused: int = 0  # chunk vectors reused (text unchanged, or the same text seen elsewhere)
    seconds: float = 0.0

    def to_json(self) -> dict:
        keys = ("added", "updated", "unchanged", "removed", "failed", "skipped", "documents", "chunks")
        return {k: getattr(self, k) for k in keys}

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

