"""Content-hash sync of interview files with the store.

Order of writes for one document (each step idempotent, so a crash anywhere
is repaired by simply running the sync again):
  1. manifest record gets ``pending_hash`` = new hash (readers still see the old version)
  2. the new chunks are upserted; their ids contain the new hash, so old and new coexist
  3. chunks of any other version of the document are deleted
  4. the manifest record is committed: ``content_hash`` = new hash, ``pending_hash`` cleared
Readers only show chunks whose hash equals the committed one, so a question
asked mid-sync sees the old or the new version of an interview, never both.
"""
from __future__ import annotations

import dataclasses
import json
import os
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from filelock import FileLock, Timeout
from langchain_core.embeddings import Embeddings

from ingest.chunk import chunk_interview
from ingest.loaders import LoadError
from ingest.meta import is_sidecar
from ingest.model import Chunk, Interview
from ingest.pipeline import content_hash, read_interview
from knowledge.embeddings import EmbedderUnavailable, embed_array
from knowledge.settings import Settings
from knowledge.store import Store, StoreError

Progress = Callable[[int, int, str], None]


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
    failed: list[dict[str, str]] = field(default_factory=list)
    documents: int = 0
    chunks: int = 0
    # not part of the CLI's JSON contract; shown in summaries and benchmarks
    embedded: int = 0  # chunk texts sent to the embedder
    reused: int = 0  # chunk vectors reused from the store (text unchanged)
    seconds: float = 0.0

    def to_json(self) -> dict:
        keys = ("added", "updated", "unchanged", "removed", "failed", "documents", "chunks")
        return {k: getattr(self, k) for k in keys}

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass
class _Target:
    path: Path
    doc_id: str
    root: Path


def _is_candidate(path: Path) -> bool:
    name = path.name
    # README files document a folder of interviews; sidecars carry metadata for one
    return not (name.startswith(".") or name.lower().startswith("readme") or is_sidecar(path))


def discover(paths: list[Path]) -> tuple[list[_Target], list[Path], list[dict[str, str]]]:
    """Files to sync, the folders whose vanished files should be removed, and paths that don't exist."""
    targets: dict[str, _Target] = {}
    folders: list[Path] = []
    missing: list[dict[str, str]] = []
    for raw in paths:
        path = Path(raw).expanduser().resolve()
        if path.is_dir():
            folders.append(path)
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    f = Path(dirpath) / name
                    if _is_candidate(f) and f.is_file():
                        doc_id = f.relative_to(path).as_posix()
                        targets[doc_id] = _Target(f, doc_id, path)
        elif path.is_file():
            if is_sidecar(path):
                continue
            targets[path.name] = _Target(path, path.name, path.parent)
        else:
            missing.append({"path": str(raw), "error": f"{raw}: no such file or folder"})
    return list(targets.values()), folders, missing


def lock_for(settings: Settings) -> FileLock:
    if settings.server_mode:
        # A file lock only guards one machine; a shared server wants one ingest host.
        key = f"casebase-{settings.chroma_host}-{settings.chroma_port}-{settings.collection}.lock"
        return FileLock(str(Path(tempfile.gettempdir()) / key))
    settings.store.mkdir(parents=True, exist_ok=True)
    return FileLock(str(settings.store / f".{settings.collection}.ingest.lock"))


def sync_paths(
    paths: list[Path],
    settings: Settings,
    *,
    embeddings: Embeddings | None = None,
    rebuild: bool = False,
    progress: Progress | None = None,
) -> SyncReport:
    """Bring the store in line with ``paths`` (files and folders). Holds the store's lock."""
    lock = lock_for(settings)
    try:
        lock.acquire(timeout=settings.lock_timeout)
    except Timeout as exc:
        raise SyncBusy(
            f"Another ingest is writing to {settings.describe_store()} (lock {lock.lock_file}); "
            "try again when it has finished."
        ) from exc
    try:
        return _sync_locked(paths, settings, embeddings, rebuild, progress)
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
    finally:
        lock.release()


def _sync_locked(paths, settings, embeddings, rebuild, progress) -> SyncReport:
    started = time.perf_counter()
    store = Store(settings, embeddings, fresh=True)
    if rebuild:
        store.reset()
    store.check_model()
    store.claim_model()

    report = SyncReport()
    targets, folders, missing = discover(paths)
    report.failed.extend(missing)
    manifest = store.documents()
    seen: set[str] = set()

    for i, t in enumerate(targets):
        if progress:
            progress(i, len(targets), t.doc_id)
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
        try:
            iv = read_interview(t.path, t.doc_id, max_bytes=settings.max_file_bytes, digest=digest)
        except LoadError as exc:
            report.failed.append({"path": str(t.path), "error": str(exc)})
            continue
        chunks = chunk_interview(iv)
        if not chunks:
            report.failed.append({"path": str(t.path), "error": f"{t.path.name}: no quotable text found"})
            continue
        _write_document(store, iv, chunks, t.root, report)
        (report.updated if rec and rec.content_hash else report.added).append(t.doc_id)
    if progress:
        progress(len(targets), len(targets), "")

    # Files gone from a synced folder, and first ingests that crashed before their file vanished.
    folder_roots = {str(f) for f in folders}
    for doc_id, rec in manifest.items():
        if doc_id in seen:
            continue
        gone = rec.root in folder_roots or (not rec.committed and not Path(rec.source_path).exists())
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
    return report


def _write_document(store: Store, iv: Interview, chunks: list[Chunk], root: Path, report: SyncReport) -> None:
    meta = _doc_metadata(iv, root, len(chunks))
    store.begin_document(iv.doc_id, iv.content_hash, meta)
    _failpoint("begin")

    cached = store.cached_vectors(iv.doc_id)
    metas = [c.metadata() for c in chunks]
    todo = [i for i, m in enumerate(metas) if m["embed_hash"] not in cached]
    vectors: list[np.ndarray | None] = [cached.get(m["embed_hash"]) for m in metas]
    if todo:
        fresh = embed_array(store.embeddings, [chunks[i].embed_text for i in todo])
        for j, i in enumerate(todo):
            vectors[i] = fresh[j]
    report.embedded += len(todo)
    report.reused += len(chunks) - len(todo)

    store.upsert_chunks([c.chunk_id for c in chunks], np.vstack(vectors), [c.text for c in chunks], metas)
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
