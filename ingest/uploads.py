"""Uploaded interview files → the interviews folder → the store, all or nothing per file.

A browser hands us a name and some bytes; neither is trusted. Names are
reduced to a plain file name (no folders, no ``..``, no hidden files, no
control characters, but Danish letters kept), the type is checked against
what the loaders read, and the size against ``settings.max_file_bytes``.

Files are written atomically (temp file + ``os.replace``) and synced one
batch at a time. Any file the sync rejects is rolled back: a new file is
deleted, a replaced file gets its previous version back. So a failed upload
leaves both the folder and the store as they were.
"""
from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from langchain_core.embeddings import Embeddings

from ingest.loaders import SUPPORTED_EXTENSIONS, human_size
from ingest.sync import Progress, SyncReport, sync_paths
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
            f"{_shown(name)}: {human_size(size)} is over the limit of {human_size(settings.max_file_bytes)}"
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
    back. Raises whatever sync_paths raises (StoreError, SyncBusy) after rolling
    back every file of the batch.
    """
    result = UploadResult()
    folder = settings.interviews_dir.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    staged: dict[Path, Path | None] = {}  # final path -> backup of the file it replaced
    names_taken: set[str] = set()
    try:
        for raw_name, data in files:
            try:
                target = _inside(folder, _unique(check_upload(raw_name, len(data), settings), names_taken))
            except UploadRejected as exc:
                result.rejected.append({"name": str(raw_name), "error": str(exc)})
                continue
            staged[target] = _write_atomic(target, data)
        if not staged:
            return result
        report = sync_paths(list(staged), settings, progress=progress, embeddings=embeddings)
    except BaseException:
        for target, backup in staged.items():
            _roll_back(target, backup)
        raise
    result.report = report
    failed_paths = {Path(f.get("path", "")).resolve(): f.get("error", "") for f in report.failed}
    for target, backup in staged.items():
        if target in failed_paths:
            _roll_back(target, backup)
            result.rejected.append({"name": target.name, "error": _one_line(failed_paths[target])})
        else:
            if backup is not None:
                backup.unlink(missing_ok=True)
            result.saved.append(target.name)
    return result


# -- helpers ---------------------------------------------------------------------------
def _inside(folder: Path, name: str) -> Path:
    """Defence in depth: the sanitiser already removed folders, but never trust one check."""
    target = (folder / name).resolve()
    if target.parent != folder:
        raise UploadRejected(f"'{_shown(name)}' would be written outside the interviews folder")
    return target


def _write_atomic(target: Path, data: bytes) -> Path | None:
    """Write ``data`` to ``target`` via a hidden temp file; return a hidden backup of the
    file it replaced (or None). Hidden names are skipped by the folder sync."""
    backup: Path | None = None
    fd, tmp = tempfile.mkstemp(prefix=".upload-", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():
            backup = target.with_name(f".{target.name}.before-upload")
            os.replace(target, backup)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        if backup is not None and not target.exists():
            os.replace(backup, target)
        raise
    return backup


def _roll_back(target: Path, backup: Path | None) -> None:
    if backup is not None and backup.exists():
        os.replace(backup, target)
    else:
        target.unlink(missing_ok=True)


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
