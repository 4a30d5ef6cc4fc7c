"""The upload journal: what an upload batch is about to touch, written before it touches
anything, so that a batch a killed process left half-done is rolled back by the next
upload or folder sync (``recover_uploads``). Both ``ingest.uploads`` (which writes it)
and ``ingest.sync`` (which recovers before a folder sync) build on this module.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Staged:
    target: Path
    backup: Path | None  # hidden hard link to the version it replaces; None for a new file
    digest: str  # sha256 of the uploaded bytes
    tmp: Path


JOURNAL_PREFIX = ".casebase-upload-"
_LIVE_JOURNALS: set[Path] = set()  # this process's uploads under way


class Journal:
    """A hidden file in the folder naming every file an upload batch is about to touch.
    Written (and flushed to disk) before the first one is; marked finished once the
    outcome stands; removed when the batch is done."""

    def __init__(self, folder: Path, token: str, staged: list[Staged]) -> None:
        self.path = folder / f"{JOURNAL_PREFIX}{token}.json"
        self.record: dict[str, Any] = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "created": time.time(),
            "finished": False,
            "files": [
                {"target": str(s.target), "backup": str(s.backup) if s.backup else None, "digest": s.digest, "tmp": str(s.tmp)}
                for s in staged
            ],
        }
        _LIVE_JOURNALS.add(self.path)
        self._write()

    def _write(self) -> None:
        tmp = self.path.with_suffix(".json.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(self.record, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        fsync_dir(self.path.parent)

    def finish(self) -> None:
        self.record["finished"] = True
        self._write()

    def close(self) -> None:
        self.path.unlink(missing_ok=True)
        _LIVE_JOURNALS.discard(self.path)


def recover_uploads(folder: Path) -> tuple[list[Path], list[Path]]:
    """Roll back upload batches a killed process left in ``folder``: the files restored
    to their previous version, and the new files removed. Call with the store's lock
    held; the caller then syncs those paths (a folder sync does so by itself)."""
    restored: list[Path] = []
    removed: list[Path] = []
    try:
        journals = sorted(Path(folder).glob(f"{JOURNAL_PREFIX}*.json"))
    except OSError:
        return restored, removed
    for path in journals:
        if path in _LIVE_JOURNALS:
            continue
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            path.unlink(missing_ok=True)
            continue
        if _alive(record):
            continue  # another process's upload under way (it holds another store's lock)
        for entry in record.get("files", []):
            target = Path(entry["target"])
            backup = Path(entry["backup"]) if entry.get("backup") else None
            Path(entry["tmp"]).unlink(missing_ok=True)
            if record.get("finished"):  # the outcome stood; only tidying was left
                if backup is not None:
                    backup.unlink(missing_ok=True)
                continue
            if backup is not None:
                if os.path.lexists(backup):
                    os.replace(backup, target)
                    restored.append(target)
                # else: killed before the old version was linked, so it was never replaced
            elif digest_of(target) == entry.get("digest"):
                target.unlink()
                removed.append(target)
        fsync_dir(Path(folder))
        path.unlink(missing_ok=True)
    for stray in Path(folder).glob(f"{JOURNAL_PREFIX}*.json.tmp"):
        stray.unlink(missing_ok=True)
    return restored, removed


def _alive(record: dict[str, Any]) -> bool:
    if record.get("host") != socket.gethostname():
        return time.time() - float(record.get("created", 0)) < 24 * 3600  # can't tell; give it a day
    pid = int(record.get("pid", 0))
    if pid <= 0 or pid == os.getpid():
        return False  # ours, and not among our live journals: left by a failure in this process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def digest_of(path: Path) -> str | None:
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
