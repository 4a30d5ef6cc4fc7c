"""Uploaded interview files → the interviews folder → the store, all or nothing per file.

A browser hands us a name and some bytes; neither is trusted. Names are
reduced to a plain file name (no folders, no ``..``, no hidden files, no
control characters, but Danish letters kept), the type is checked against
what the loaders read, and the size against ``settings.max_file_bytes``.

An upload never loses a file, whatever happens to whoever asked for it:

- The write and the sync run in a worker thread (``ingest.jobs.Job``) that holds
  the store's ingest lock throughout. The caller only waits for it: a Streamlit
  rerun, a page switch, a closed tab or Ctrl-C stops the waiting, not the upload.
- Files are written atomically (a hidden temp file, then ``os.replace``; a replaced
  file is first kept as a hidden hard link), with the folder's normal permissions.
- A file the sync cannot read is rolled back: a new file is deleted, a replaced
  file gets its previous version back. If the sync itself fails, every file of the
  batch is rolled back and the store is synced again for them, so chunks of a
  rolled-back file do not outlive it.
- Before touching the folder the batch is written to a hidden journal
  (``.casebase-upload-*.json``). A process killed mid-upload leaves it behind; the
  next upload or folder sync rolls that batch back (under the same lock), and its
  sync brings the store in line. So folder and store always agree after the next sync.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from langchain_core.embeddings import Embeddings

from ingest.failpoints import failpoint as _failpoint
from ingest.jobs import Job
from ingest.journal import Journal as _Journal
from ingest.journal import Staged as _Staged
from ingest.journal import digest_of as _digest_of
from ingest.journal import fsync_dir as _fsync_dir
from ingest.journal import recover_uploads  # noqa: F401  (re-exported)
from ingest.loaders import SUPPORTED_EXTENSIONS, human_size
from ingest.report import Progress, SyncProgress, SyncReport
from ingest.sync import sync_locked
from knowledge.copies import record_uploads
from knowledge.lock import holding_lock
from knowledge.settings import Settings

MAX_NAME_CHARS = 120
# Names Windows refuses; a shared interviews folder may well live on one.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
# \w keeps æøå and other letters; typographic dashes and apostrophes are common in real names
_UNSAFE = re.compile(r"[^\w\s.,()'&+\-\u2013\u2014\u2019]", re.UNICODE)


class UploadRejected(ValueError):
    """An upload that is refused before it touches the folder; str() is one line for the user."""


@dataclass
class UploadResult:
    saved: list[str] = field(default_factory=list)  # doc_ids (file names) now in the store
    rejected: list[dict[str, str]] = field(default_factory=list)  # {"name", "error"}: refused or rolled back
    report: SyncReport | None = None


def sanitize_filename(name: str) -> str:
    """A safe, readable file name for ``name`` as given by a browser or user.

    Keeps letters of any script (æøå), digits, spaces and ordinary punctuation;
    drops any folder part (both slash kinds), leading dots, control characters.
    Raises UploadRejected when nothing usable remains.
    """
    name = unicodedata.normalize("NFC", str(name))
    name = re.split(r"[\\/]", name)[-1]  # browsers on Windows may send C:\...\file.txt
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")  # control, format chars
    name = _UNSAFE.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")  # no hidden files, no "..", no trailing dots
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = stem.strip(" ._") or ""
    if not stem or stem.lower() in _RESERVED:
        raise UploadRejected(f"'{_shown(name)}' is not a usable file name")
    ext = ext.lower()
    room = MAX_NAME_CHARS - (len(ext) + 1 if ext else 0)
    stem = stem[:room].rstrip(" .")
    return f"{stem}.{ext}" if ext else stem


def check_upload(name: str, size: int, settings: Settings) -> str:
    """The sanitised name, or UploadRejected saying why the file is refused."""
    safe = sanitize_filename(name)
    ext = Path(safe).suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        kinds = ", ".join(sorted(e.lstrip(".") for e in SUPPORTED_EXTENSIONS))
        what = f"'{ext}' files" if ext else "files without an extension"
        raise UploadRejected(f"{_shown(name)}: {what} are not supported (use {kinds})")
    if size <= 0:
        raise UploadRejected(f"{_shown(name)}: the file is empty")
    if size > settings.max_file_bytes:
        raise UploadRejected(
            f"{_shown(name)}: {human_size(size)} is over the limit of {human_size(settings.max_file_bytes)} "
            "(CASEBASE_MAX_FILE_BYTES)"
        )
    return safe


def ingest_uploads(
    files: Iterable[tuple[str, bytes]],
    settings: Settings,
    *,
    progress: Progress | None = None,
    embeddings: Embeddings | None = None,
) -> UploadResult:
    """Save ``(name, data)`` pairs into ``settings.interviews_dir`` and sync them.

    Refused files never reach the folder; files the sync cannot read are rolled
    back. Raises whatever the sync raises (StoreError, SyncBusy, EmbedderUnavailable)
    after rolling back every file of the batch. The work runs in a Job: if this call
    is interrupted (KeyboardInterrupt, Streamlit's StopException), the upload still
    runs to its end; ``progress`` is called from this thread."""
    return start_uploads(files, settings, embeddings=embeddings).follow(progress)


def start_uploads(files: Iterable[tuple[str, bytes]], settings: Settings, *, embeddings: Embeddings | None = None) -> Job:
    """ingest_uploads in a Job, for a caller that polls (the app's Ingest page)."""
    batch = [(str(name), bytes(data)) for name, data in files]  # taken now: the caller may go away
    return Job("upload", _upload, files=batch, settings=settings, embeddings=embeddings)


def _upload(
    files: list[tuple[str, bytes]],
    settings: Settings,
    *,
    progress: Progress | None = None,
    embeddings: Embeddings | None = None,
) -> UploadResult:
    result = UploadResult()
    folder = settings.interviews_dir.expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    with holding_lock(settings):
        _repair_after_recovery(recover_uploads(folder), settings, embeddings)
        plan: list[tuple[_Staged, bytes]] = []
        names_taken: set[str] = set()
        token = uuid.uuid4().hex[:10]
        for raw_name, data in files:
            try:
                target = _inside(folder, _unique(check_upload(raw_name, len(data), settings), names_taken))
            except UploadRejected as exc:
                result.rejected.append({"name": str(raw_name), "error": str(exc)})
                continue
            backup = target.with_name(f".{target.name}.{token}.before-upload") if os.path.lexists(target) else None
            tmp = target.with_name(f".upload-{token}-{len(plan)}.tmp")
            plan.append((_Staged(target, backup, hashlib.sha256(data).hexdigest(), tmp), data))
        if not plan:
            return result
        staged = [s for s, _ in plan]
        if progress is not None:
            progress(SyncProgress(phase="saving", files_total=len(staged)))
        journal = _Journal(folder, token, staged)
        try:
            for s, data in plan:
                _write_atomic(s, data)
            _fsync_dir(folder)
            _failpoint("upload-written")
            report = sync_locked([s.target for s in staged], settings, progress=progress, embeddings=embeddings)
            _failpoint("upload-synced")
        except BaseException:
            restored, removed = _roll_back_all(staged)
            # chunks of a file the sync wrote before it failed must not outlive the file
            _repair_after_recovery((restored, removed), settings, embeddings)
            journal.close()
            raise
        result.report = report
        failed = {Path(f.get("path", "")): f.get("error", "") for f in report.failed}
        failed.update({Path(f.get("path", "")): f.get("reason", "") for f in report.skipped})
        for s in staged:
            if s.target in failed:
                _roll_back(s)
                result.rejected.append({"name": s.target.name, "error": _one_line(failed[s.target])})
            else:
                result.saved.append(s.target.name)
        _fsync_dir(folder)
        # the folder's copies of uploads are Casebase's: erasing an interview deletes them
        record_uploads(folder, {s.target.name: s.digest for s in staged if s.target.name in result.saved})
        journal.finish()  # from here on the outcome stands; what is left is tidying
        _failpoint("upload-finished")
        for s in staged:
            if s.backup is not None:
                s.backup.unlink(missing_ok=True)
        journal.close()
    return result


def _repair_after_recovery(changed: tuple[list[Path], list[Path]], settings: Settings, embeddings: Embeddings | None) -> None:
    """Bring the store in line with files just rolled back (lock held)."""
    restored, removed = changed
    if not (restored or removed):
        return
    try:
        sync_locked([p for p in restored if p.exists()], settings, embeddings=embeddings, forget=removed)
    except Exception:
        # the store is failing (that may be why we are rolling back); the next folder
        # sync removes what is left, as the files are gone or restored by now
        pass


# -- helpers ---------------------------------------------------------------------------
def _inside(folder: Path, name: str) -> Path:
    """Defence in depth: the sanitiser already removed folders, but never trust one check."""
    plain = folder / name
    target = plain.resolve()
    if target.parent != folder:
        raise UploadRejected(f"'{_shown(name)}' would be written outside the interviews folder")
    if os.path.islink(plain):
        raise UploadRejected(f"'{_shown(name)}' in the interviews folder is a link; uploads never write through links")
    if os.path.lexists(target) and not stat.S_ISREG(os.lstat(target).st_mode):
        raise UploadRejected(f"'{_shown(name)}' in the interviews folder is not a regular file; not replaced")
    return target


def _write_atomic(s: _Staged, data: bytes) -> None:
    """Write ``data`` to ``s.target`` via a hidden temp file; a replaced file is first
    kept as the hidden hard link ``s.backup``, so the target always holds one whole
    version. The temp file is created like any new file (mode 0666 less the umask)."""
    fd = os.open(s.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if s.backup is not None:
            try:
                os.link(s.target, s.backup)
            except OSError:  # a file system without hard links
                shutil.copy2(s.target, s.backup)
        os.replace(s.tmp, s.target)
    except BaseException:
        s.tmp.unlink(missing_ok=True)
        raise


def _roll_back(s: _Staged) -> None:
    s.tmp.unlink(missing_ok=True)
    if s.backup is not None and os.path.lexists(s.backup):
        os.replace(s.backup, s.target)
    elif s.backup is None and _digest_of(s.target) == s.digest:
        s.target.unlink(missing_ok=True)


def _roll_back_all(staged: list[_Staged]) -> tuple[list[Path], list[Path]]:
    restored: list[Path] = []
    removed: list[Path] = []
    for s in staged:
        _roll_back(s)
        (removed if s.backup is None else restored).append(s.target)
    return restored, removed


def _unique(name: str, taken: set[str]) -> str:
    """Two uploads in one batch that sanitise to the same name must not overwrite each other."""
    stem, ext = Path(name).stem, Path(name).suffix
    candidate, i = name, 2
    while candidate.lower() in taken:
        candidate, i = f"{stem} ({i}){ext}", i + 1
    taken.add(candidate.lower())
    return candidate


def _shown(name: str) -> str:
    """A name as it may be echoed back in a message: one line, bounded."""
    flat = " ".join(str(name).split())
    return flat if len(flat) <= 80 else flat[:77] + "..."


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
