"""Which files in the interviews folder are copies Casebase made (uploads from the app),
as opposed to files the researcher put there.

An upload writes the browser's bytes into the folder, where they look like any other
file. Erasing an interview deletes Casebase's own copy but never a researcher's file, so
each upload is recorded in a hidden file in the folder: name and SHA-256 of what was
written. A file whose bytes changed since (the researcher replaced it) is theirs again.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

REGISTRY = ".casebase-uploads.json"


def _path(folder: Path) -> Path:
    return Path(folder) / REGISTRY


def _read(folder: Path) -> dict[str, str]:
    try:
        data = json.loads(_path(folder).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write(folder: Path, entries: dict[str, str]) -> None:
    path = _path(folder)
    if not entries:
        path.unlink(missing_ok=True)
        return
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(entries, fh, ensure_ascii=False, indent=0)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def record_uploads(folder: Path, files: dict[str, str]) -> None:
    """Remember ``{file name: sha256}`` as uploaded into ``folder`` (the caller holds the lock)."""
    if files:
        _write(folder, {**_read(folder), **files})


def is_upload(path: Path) -> bool:
    """Is the file at ``path`` exactly what an upload wrote there?"""
    path = Path(path)
    digest = _read(path.parent).get(path.name)
    if not digest or not path.is_file() or path.is_symlink():
        return False
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == digest
    except OSError:
        return False


def forget_upload(path: Path) -> None:
    entries = _read(Path(path).parent)
    if entries.pop(Path(path).name, None) is not None:
        _write(Path(path).parent, entries)


def leftovers(path: Path) -> list[Path]:
    """Hidden copies an upload keeps of ``path`` while it runs (the version it replaced),
    left behind by one that was killed."""
    path = Path(path)
    try:
        return sorted(path.parent.glob(f".{_glob_escape(path.name)}.*.before-upload"))
    except OSError:
        return []


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)
