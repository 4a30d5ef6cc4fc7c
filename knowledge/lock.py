"""The store's write lock: one sync, upload or erase writes to a store at a time.

It lives in the core (not in ``ingest``) because erasing an interview and repairing a
half-compacted store take the same lock as a sync does.
"""
from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from filelock import FileLock, Timeout

from knowledge.settings import Settings


class SyncBusy(RuntimeError):
    """Another sync holds the store's lock."""


def lock_for(settings: Settings) -> FileLock:
    if settings.server_mode:
        # A file lock only guards one machine; a shared server wants one ingest host.
        key = f"casebase-{settings.chroma_host}-{settings.chroma_port}-{settings.collection}.lock"
        return FileLock(str(Path(tempfile.gettempdir()) / key))
    settings.store.mkdir(parents=True, exist_ok=True)
    return FileLock(str(settings.store / f".{settings.collection}.ingest.lock"))


@contextmanager
def holding_lock(settings: Settings) -> Iterator[None]:
    """The store's ingest lock, or SyncBusy after ``settings.lock_timeout`` seconds."""
    lock = lock_for(settings)
    try:
        lock.acquire(timeout=settings.lock_timeout)
    except Timeout as exc:
        raise SyncBusy(
            f"Another ingest is writing to {settings.describe_store()} (lock {lock.lock_file}); "
            "try again when it has finished."
        ) from exc
    try:
        yield
    finally:
        lock.release()
