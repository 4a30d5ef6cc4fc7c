"""Content-hash sync of interview files with the store.

Order of writes for one document (each step idempotent, so a crash anywhere
is repaired by simply running the sync again):
  1. manifest record gets ``pending_hash`` = new hash (readers still see the old version)
  2. the new chunks are upserted; their ids contain the new hash, so old and new coexist
  3. chunks of any other version of the document are deleted
  4. the manifest record is committed: ``content_hash`` = new hash, ``pending_hash`` cleared
Readers only show chunks whose hash equals the committed one, so a question
asked mid-sync sees the old or the new version of an interview, never both.

Only a folder's own files are read: a file whose real path (links resolved) lies
outside the folder being synced, and anything that is not a regular file (a FIFO,
a socket, a device), is reported as skipped, never opened.
"""
from __future__ import annotations

import dataclasses
import json
import os
import signal
import stat
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple

import numpy as np
from filelock import FileLock, Timeout
from langchain_core.embeddings import Embeddings

from ingest.chunk import chunk_interview
from ingest.loaders import LoadError
from ingest.meta import SIDECAR_SUFFIXES, is_sidecar
from ingest.model import Chunk, Interview
from ingest.pipeline import content_hash, read_interview
from knowledge.embeddings import EmbedderUnavailable, embed_array
from knowledge.settings import Settings
from knowledge.store import Store, StoreError

EMBED_BATCH = 64  # unique texts per embedder call: progress moves within a long file
_MEMO_LIMIT = 50_000  # vectors kept for reuse across the files of one sync (~75 MB at 384 dims)


@dataclass
class SyncProgress:
    """Where a sync is: passed to the ``progress`` callback at every file and every
    embedder batch (a callback that draws should throttle itself)."""

    # "starting" (waiting for the lock), "saving" (an upload's files), "checking"
    # (hashing files), "indexing", "removing" (files gone from the folder), "done"
    phase: str = "checking"
    files_done: int = 0
    files_total: int = 0
    current: str = ""  # doc_id being read or indexed
    chunks_done: int = 0  # quotes written (or with their vectors ready) so far
    embedded: int = 0  # texts sent to the embedder so far
    elapsed: float = 0.0  # seconds since the sync started
    eta: float | None = None  # estimated seconds left (None until there is a basis)


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
    elif p.phase == "removing":
        head = f"removing deleted files ({p.files_total} checked)"
    else:
        head = f"{p.files_done}/{p.files_total} files"
    parts = [head, f"{p.chunks_done:,} quotes"]
    if p.phase == "indexing":
        parts.append(f"about {duration(p.eta)} left" if p.eta is not None else "estimating time left")
    if p.current:
        parts.append(p.current)
    return " · ".join(parts)


def _failpoint(name: str) -> None:
    """Crash-test hook: CASEBASE_FAILPOINT=NAME[:N] kills this process (SIGKILL) the Nth
    time NAME is reached, so tests can prove recovery from a kill at every step."""
    spec = os.environ.get("CASEBASE_FAILPOINT")
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point != name:
        return
    _FAIL_HITS[name] = _FAIL_HITS.get(name, 0) + 1
    if _FAIL_HITS[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


_FAIL_HITS: dict[str, int] = {}


class SyncBusy(RuntimeError):
    """Another sync holds the store's lock."""


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


@dataclass
class _Target:
    path: Path  # the real path (links resolved): what is read
    doc_id: str
    root: Path
    size: int = 0
    linked: bool = False  # reached through a link inside the folder


class Discovery(NamedTuple):
    targets: list[_Target]
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
    targets: dict[str, _Target] = {}
    by_real: dict[Path, str] = {}
    folders: list[Path] = []
    missing: list[dict[str, str]] = []
    skipped: list[dict[str, str]] = []

    def skip(path: Path | str, reason: str) -> None:
        skipped.append({"path": str(path), "reason": reason})

    def add(t: _Target, shown: Path) -> None:
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
                    add(_Target(real, doc_id, root, size, real != f), f)
        elif is_sidecar(given):
            continue
        else:
            # a file named itself: read it wherever its link leads
            real, size, reason = check_file(given, None)
            if real is None:
                skip(raw, reason)
                continue
            add(_Target(real, real.name, real.parent, size), given)
    return Discovery(list(targets.values()), folders, missing, skipped)


# -- the lock ---------------------------------------------------------------------------
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


def sync_paths(
    paths: list[Path],
    settings: Settings,
    *,
    embeddings: Embeddings | None = None,
    rebuild: bool = False,
    progress: Progress | None = None,
    forget: list[Path] = (),  # type: ignore[assignment]
) -> SyncReport:
    """Bring the store in line with ``paths`` (files and folders). Holds the store's lock.

    ``forget``: files that no longer exist whose documents should leave the store
    (a rolled-back upload); a document is only removed if it came from that very path."""
    with holding_lock(settings):
        return sync_locked(paths, settings, embeddings=embeddings, rebuild=rebuild, progress=progress, forget=forget)


def sync_locked(
    paths: list[Path],
    settings: Settings,
    *,
    embeddings: Embeddings | None = None,
    rebuild: bool = False,
    progress: Progress | None = None,
    forget: list[Path] = (),  # type: ignore[assignment]
) -> SyncReport:
    """sync_paths for a caller that already holds the lock (an upload)."""
    try:
        return _sync_locked(list(paths), settings, embeddings, rebuild, progress, list(forget))
    except (StoreError, EmbedderUnavailable):
        raise
    except Exception as exc:
        # Chroma surfaces disk-full, read-only and server faults as many exception types.
        # The write order keeps the store consistent, so the honest message is: fix and rerun.
        raise StoreError(
            f"Writing to {settings.describe_store()} failed ({type(exc).__name__}: {exc}). "
            "What was stored before is intact; check free disk space, write permission "
            "or the server, then run the sync again."
        ) from exc


class _Tracker:
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


def _sync_locked(paths, settings, embeddings, rebuild, progress, forget) -> SyncReport:
    started = time.perf_counter()
    track = _Tracker(progress)
    store = Store(settings, embeddings, fresh=True)
    if rebuild:
        store.reset()
    store.check_model()
    store.claim_model()

    report = SyncReport()
    for path in paths:  # uploads a killed process left half-done are rolled back first
        if Path(path).expanduser().is_dir():
            _recover_uploads(Path(path).expanduser().resolve())
    found = discover(paths)
    targets = found.targets
    report.failed.extend(found.missing)
    report.skipped.extend(found.skipped)
    manifest = store.documents()
    seen: set[str] = set()

    # 1. which files changed (hashing is cheap next to embedding)
    todo: list[tuple[_Target, str, Any]] = []
    track.emit(phase="checking", files_total=len(targets))
    for i, t in enumerate(targets):
        track.emit(files_done=i, current=t.doc_id)
        real, _, reason = check_file(t.path, t.root)  # swapped for a link or a FIFO since listed?
        if real is None or real != t.path:
            if reason.startswith("gone"):  # reported; removed from the store by the next sync
                seen.add(t.doc_id)
                report.failed.append({"path": str(t.path), "error": f"cannot load '{t.path}': file not found"})
            else:  # no longer the folder's own file: treated like one that is gone
                report.skipped.append({"path": str(t.path), "reason": reason or "changed into a link since listed"})
            continue
        seen.add(t.doc_id)
        try:
            digest = content_hash(t.path)
        except LoadError as exc:  # unreadable, or gone since the folder was listed
            report.failed.append({"path": str(t.path), "error": str(exc)})
            continue
        rec = manifest.get(t.doc_id)
        if rec and rec.committed and rec.content_hash == digest and rec.source_path == str(t.path):
            report.unchanged.append(t.doc_id)
            continue
        todo.append((t, digest, rec))

    # 2. read, chunk, embed (each distinct text once), write
    done = len(targets) - len(todo)
    track.work_total = sum(max(t.size, 1) for t, _, _ in todo)
    track.work_started = time.perf_counter()
    track.emit(phase="indexing", files_done=done, files_total=len(targets), current="")
    vectors = _Vectors(store, report)
    for t, digest, rec in todo:
        base_work, base_chunks, size = track.work_done, track.state.chunks_done, max(t.size, 1)
        track.emit(current=t.doc_id)
        try:
            iv = read_interview(
                t.path, t.doc_id, max_bytes=settings.max_file_bytes, digest=digest, max_chars=settings.max_file_chars
            )
        except LoadError as exc:
            report.failed.append({"path": str(t.path), "error": str(exc)})
        else:
            chunks = chunk_interview(iv)
            if not chunks:
                report.failed.append({"path": str(t.path), "error": f"{t.path.name}: no quotable text found"})
            else:

                def on_batch(ready: int, n: int = len(chunks), w: float = base_work, c: int = base_chunks, s: int = size) -> None:
                    track.work_done = w + s * ready / n
                    track.emit(chunks_done=c + ready, embedded=report.embedded)

                _write_document(store, iv, chunks, t.root, report, vectors, on_batch)
                (report.updated if rec and rec.content_hash else report.added).append(t.doc_id)
                track.state.chunks_done = base_chunks + len(chunks)
        done += 1
        track.work_done = base_work + size
        track.emit(files_done=done, embedded=report.embedded)

    # 3. files gone from a synced folder, first ingests that crashed before their file
    # vanished, and rolled-back uploads
    track.emit(phase="removing", current="")
    folder_roots = {str(f) for f in found.folders}
    forgotten = {str(Path(p).expanduser().absolute()) for p in forget if not os.path.lexists(p)}
    for doc_id, rec in manifest.items():
        if doc_id in seen:
            continue
        gone = (
            rec.root in folder_roots
            or (not rec.committed and not Path(rec.source_path).exists())
            or rec.source_path in forgotten
        )
        if gone:
            store.remove_document(doc_id)
            _failpoint("remove")
            report.removed.append(doc_id)

    docs = store.documents()
    report.documents = sum(1 for d in docs.values() if d.content_hash)
    report.chunks = sum(d.n_chunks for d in docs.values() if d.content_hash)
    report.seconds = time.perf_counter() - started
    if report.changed or report.failed or rebuild:
        store.bump_version({**report.to_json(), "at": time.time()})
    track.emit(phase="done", files_done=len(targets), current="")
    return report


class _Vectors:
    """Vectors for chunks, each distinct embed text embedded at most once per sync:
    first from this sync's memo (the same passage in another file, or repeated in
    this one), then from the store (any chunk with the same embed text, e.g. the
    unchanged passages of an edited interview), and only then from the embedder."""

    def __init__(self, store: Store, report: SyncReport) -> None:
        self.store = store
        self.report = report
        self.memo: dict[str, np.ndarray] = {}

    def get(self, chunks: list[Chunk], hashes: list[str], on_batch: Callable[[int], None]) -> np.ndarray:
        found: dict[str, np.ndarray] = {h: self.memo[h] for h in hashes if h in self.memo}
        missing = [h for h in dict.fromkeys(hashes) if h not in found]
        if missing:
            found.update(self.store.vectors_by_embed_hash(missing))
        # distinct texts still without a vector, in order of first appearance
        first: dict[str, int] = {}
        for i, h in enumerate(hashes):
            if h not in found and h not in first:
                first[h] = i
        count = {h: 0 for h in hashes}
        for h in hashes:
            count[h] += 1
        ready = sum(count[h] for h in count if h in found)
        on_batch(ready)
        todo = list(first.items())
        for b in range(0, len(todo), EMBED_BATCH):
            part = todo[b : b + EMBED_BATCH]
            fresh = embed_array(self.store.embeddings, [chunks[i].embed_text for _, i in part])
            for j, (h, _) in enumerate(part):
                found[h] = np.asarray(fresh[j], dtype=np.float32)
                ready += count[h]
            self.report.embedded += len(part)
            on_batch(ready)
        self.report.reused += len(hashes) - len(first)
        for h in first:
            if len(self.memo) < _MEMO_LIMIT:
                self.memo[h] = found[h]
        return np.vstack([found[h] for h in hashes]).astype(np.float32)


def _write_document(
    store: Store,
    iv: Interview,
    chunks: list[Chunk],
    root: Path,
    report: SyncReport,
    vectors: _Vectors,
    on_batch: Callable[[int], None] = lambda ready: None,
) -> None:
    meta = _doc_metadata(iv, root, len(chunks))
    store.begin_document(iv.doc_id, iv.content_hash, meta)
    _failpoint("begin")

    metas = [c.metadata() for c in chunks]
    matrix = vectors.get(chunks, [str(m["embed_hash"]) for m in metas], on_batch)

    store.upsert_chunks([c.chunk_id for c in chunks], matrix, [c.text for c in chunks], metas)
    _failpoint("upsert")
    store.delete_stale_chunks(iv.doc_id, iv.content_hash)
    _failpoint("stale")
    store.commit_document(iv.doc_id, iv.content_hash, meta, _doc_body(iv))
    _failpoint("commit")


def _doc_metadata(iv: Interview, root: Path, n_chunks: int) -> dict:
    return {
        "doc_id": iv.doc_id,
        "root": str(root),
        "source_path": iv.source_path,
        "n_chunks": n_chunks,
        "interviewee": iv.interviewee,
        "role": iv.role,
        "organisation": iv.organisation,
        "case": iv.case,
        "structure": iv.structure,
        "language": iv.language,
        "n_questions": len(iv.qa),
        "warnings": "; ".join(iv.warnings),
        "extra": json.dumps(iv.extra, ensure_ascii=False),
        "ingested_at": time.time(),
    }


def _doc_body(iv: Interview) -> str:
    """The parsed interview, for the interview browser and for opening a quote in context."""
    return json.dumps(dataclasses.asdict(iv), ensure_ascii=False)


def _recover_uploads(folder: Path) -> None:
    """Undo uploads into ``folder`` that a killed process left half-done (see uploads.py)."""
    from ingest.uploads import recover_uploads

    recover_uploads(folder)


# -- running a sync or an upload without tying it to the caller ------------------------
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


def start_sync(paths: list[Path], settings: Settings, **kwargs: Any) -> Job:
    """sync_paths in a Job."""
    return Job("sync", sync_paths, paths=list(paths), settings=settings, **kwargs)
