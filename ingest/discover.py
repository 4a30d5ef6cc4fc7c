"""Which files a sync reads: folders walked, and what is skipped with the reason why.

Only a folder's own files are read: a file whose real path (links resolved) lies
outside the folder being synced, and anything that is not a regular file (a FIFO,
a socket, a device), is reported as skipped, never opened. README files, hidden
files and metadata sidecars are not interviews and are passed over silently; a
file reached both directly and through a link is read once.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ingest.meta import SIDECAR_SUFFIXES, is_sidecar


@dataclass
class Target:
    path: Path  # the real path (links resolved): what is read
    doc_id: str
    root: Path
    size: int = 0
    linked: bool = False  # reached through a link inside the folder


class Discovery(NamedTuple):
    targets: list[Target]
    folders: list[Path]
    missing: list[dict[str, str]]  # {"path", "error"}
    skipped: list[dict[str, str]]  # {"path", "reason"}


def _is_candidate(path: Path) -> bool:
    name = path.name
    # README files document a folder of interviews; sidecars carry metadata for one
    return not (name.startswith(".") or name.lower().startswith("readme") or is_sidecar(path))


_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)


def _not_regular(mode: int) -> str:
    for test, what in _KINDS:
        if test(mode):
            return f"{what}, not a regular file; not opened"
    return "not a regular file; not opened"


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def check_file(path: Path, root: Path | None) -> tuple[Path | None, int, str]:
    """(real path, size, "") for a regular file whose real path is inside ``root``
    (any real path when ``root`` is None), else (None, 0, why it is skipped).
    Never opens the file: a FIFO would block."""
    try:
        lst = os.lstat(path)
    except FileNotFoundError:
        return None, 0, "gone since the folder was listed"
    except OSError as exc:
        return None, 0, f"cannot look at it ({exc.strerror or exc})"
    real = Path(path)
    if stat.S_ISLNK(lst.st_mode):
        try:
            real = Path(path).resolve(strict=True)
        except (OSError, RuntimeError):
            return None, 0, f"a link to {os.readlink(path) if os.path.islink(path) else '?'}, which does not exist"
        if root is not None and not _inside(real, root):
            return None, 0, f"a link to {real}, outside the folder {root}; only the folder's own files are read"
        try:
            lst = os.stat(real)
        except OSError as exc:
            return None, 0, f"cannot look at it ({exc.strerror or exc})"
    if not stat.S_ISREG(lst.st_mode):
        return None, 0, _not_regular(lst.st_mode)
    if root is not None:
        # a sidecar is read with its interview: it must be the folder's own file too
        for suffix in SIDECAR_SUFFIXES:
            side = Path(path).with_name(Path(path).stem + suffix)
            if os.path.islink(side):
                side_real = side.resolve()
                if not _inside(side_real, root):
                    return None, 0, f"its metadata sidecar {side.name} is a link to {side_real}, outside the folder {root}"
    return real, lst.st_size, ""


def discover(paths: list[Path]) -> Discovery:
    """Files to sync, the folders whose vanished files should be removed, paths that
    don't exist, and files skipped with the reason (links out of the folder, FIFOs...)."""
    targets: dict[str, Target] = {}
    by_real: dict[Path, str] = {}
    folders: list[Path] = []
    missing: list[dict[str, str]] = []
    skipped: list[dict[str, str]] = []

    def skip(path: Path | str, reason: str) -> None:
        skipped.append({"path": str(path), "reason": reason})

    def add(t: Target, shown: Path) -> None:
        other = by_real.get(t.path)
        if other is not None:
            kept = targets[other]
            if kept.linked and not t.linked:  # keep the file itself, skip the link to it
                del targets[other]
                skip(kept.root / other, f"the same file as {t.doc_id} (a link to it); read once")
            else:
                skip(shown, f"the same file as {other} (a link to it); read once")
                return
        targets[t.doc_id] = t
        by_real[t.path] = t.doc_id

    for raw in paths:
        given = Path(raw).expanduser()
        try:
            st = os.stat(given)
        except OSError:
            if os.path.islink(given):
                skip(raw, f"a link to {os.readlink(given)}, which does not exist")
            else:
                missing.append({"path": str(raw), "error": f"{raw}: no such file or folder"})
            continue
        if stat.S_ISDIR(st.st_mode):
            root = given.resolve()
            folders.append(root)
            for dirpath, dirnames, filenames in os.walk(root):
                here = Path(dirpath)
                keep = []
                for d in sorted(dirnames):
                    if d.startswith("."):
                        continue
                    if os.path.islink(here / d):  # os.walk does not follow them; say so
                        skip(here / d, f"a link to the folder {(here / d).resolve()}; links to folders are not followed")
                        continue
                    keep.append(d)
                dirnames[:] = keep
                for name in sorted(filenames):
                    f = here / name
                    if not _is_candidate(f):
                        continue
                    real, size, reason = check_file(f, root)
                    if real is None:
                        skip(f, reason)
                        continue
                    doc_id = f.relative_to(root).as_posix()
                    add(Target(real, doc_id, root, size, real != f), f)
        elif is_sidecar(given):
            continue
        else:
            # a file named itself: read it wherever its link leads
            real, size, reason = check_file(given, None)
            if real is None:
                skip(raw, reason)
                continue
            add(Target(real, real.name, real.parent, size), given)
    return Discovery(list(targets.values()), folders, missing, skipped)

