"""Content-hash sync of interview files with the store.

Order of writes for one document (each step idempotent, so a crash anywhere
is repaired by simply running the sync again):
  1. manifest record gets ``pending_hash`` = new hash (readers still see the old version)
  2. the new chunks are upserted; their ids contain the new hash, so old and new coexist
  3. chunks of any other version of the document are deleted
  4. the manifest record is committed: ``content_hash`` = new hash, ``pending_hash`` cleared
Readers only show chunks whose hash equals the committed one, so a question
asked mid-sync sees the old or the new version of an interview, never both.

A large first ingest writes every new interview's text before any vector, so word
search works long before meaning search does: ingest/live.py, which adds one step between
3 and 4 here (the document's quotes are cleared from its body row).

One sync at a time writes to a store (its ingest lock). Which files are read, and
which skipped, is ingest.discover's; progress and the report are ingest.report's;
running a sync in its own thread is ingest.jobs'. Their names are re-exported here,
where callers have always imported them from.
"""
from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any, Iterable, NamedTuple

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.discover import Discovery, Target, check_file, discover
from ingest.failpoints import failpoint as _failpoint
from ingest.jobs import Job, running_jobs, wait_for_jobs
from ingest.journal import recover_uploads
from ingest.live import Read, TextFirst
from ingest.loaders import LoadError
from ingest.model import Interview
from ingest.passage_vectors import EMBED_BATCH, PassageVectors
from ingest.pipeline import content_hash
from ingest.read_pool import jobs_of, read_all
from ingest.report import Progress, ProgressTracker, SyncProgress, SyncReport, describe_progress, duration
from knowledge.compact import recover_store
from knowledge.embeddings import EmbedderUnavailable
from knowledge.lock import SyncBusy, holding_lock, lock_for
from knowledge.settings import Settings
from knowledge.store import Store, StoreError
from knowledge.vectors import question_vectors

__all__ = [
    "EMBED_BATCH",
    "Discovery",
    "Job",
    "Progress",
    "SyncBusy",
    "SyncProgress",
    "SyncReport",
    "Target",
    "check_file",
    "describe_progress",
    "discover",
    "duration",
    "holding_lock",
    "lock_for",
    "running_jobs",
    "start_sync",
    "sync_locked",
    "sync_paths",
    "wait_for_jobs",
]

_log = logging.getLogger(__name__)
# Documents are written to the store in batches (each Chroma write has a fixed cost of tens
# of milliseconds, more as the store grows): a batch is written once it holds this many
# chunks, or this many seconds after its first document was ready, and at the end.
WRITE_BATCH_CHUNKS = 4000
WRITE_BATCH_SECONDS = 10.0


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


def _embed_questions(store: Store, embeddings: Embeddings | None, questions: set[str]) -> None:
    """Embed the new interviews' own questions now, with the rest of the embedding, and keep
    them in the store: else the first question after a sync pays for them (50 s for the
    ~1,100 questions of 1,000 interviews). Best effort: a failure only moves that cost back
    to the first question."""
    if not questions:
        return
    try:
        question_vectors(embeddings or store.embeddings, sorted(questions), store)
    except Exception:  # noqa: BLE001  (the sync itself succeeded)
        _log.warning("embedding the interviews' questions ahead of the first search failed", exc_info=True)


def _sync_locked(paths, settings, embeddings, rebuild, progress, forget) -> SyncReport:
    started = time.perf_counter()
    track = ProgressTracker(progress)
    recover_store(settings)  # an erasure killed half-way: finish (or undo) it first
    store = Store(settings, embeddings, fresh=True)
    if rebuild:
        store = store.reset()
    store.check_model()
    store.claim_model()

    report = SyncReport()
    for path in paths:  # uploads a killed process left half-done are rolled back first
        if Path(path).expanduser().is_dir():
            recover_uploads(Path(path).expanduser().resolve())
    found = discover(paths)
    targets = found.targets
    report.failed.extend(found.missing)
    report.skipped.extend(found.skipped)
    manifest = store.documents()
    seen: set[str] = set()

    # 1. which files changed (hashing is cheap next to embedding)
    todo: list[tuple[Target, str, Any]] = []
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

    # 2. read, chunk, embed (each distinct text once), write; a large first ingest writes
    # every new interview's text before embedding anything (module docstring)
    done = len(targets) - len(todo)
    unfinished = {d for d, r in manifest.items() if not r.content_hash}  # may have text-first quotes
    text_first = sum(max(t.size, 1) for t, _, rec in todo if not (rec and rec.content_hash)) >= max(settings.text_first_bytes, 1)
    # the text pass reads every file before embedding anything: the cores are free for it
    reads = read_all(jobs_of(todo, settings.max_file_bytes, settings.max_file_chars), parallel=text_first)
    items: Iterable[tuple[Target, Any, Read | None]] = (
        (t, rec, _kept(t, read, report)) for (t, _, rec), read in zip(todo, reads))
    live: TextFirst | None = None
    if text_first:
        live = TextFirst(store, track, manifest, report, record=_doc_metadata,
                         embed_questions=lambda qs: _embed_questions(store, embeddings, qs))
        items = live.land_texts(items, done, len(targets))
        unfinished |= live.texted
    track.work_total = sum(max(t.size, 1) for t, _, _ in todo)
    track.work_started = time.perf_counter()
    track.emit(phase="indexing", files_done=done, files_total=len(targets), current="")
    vectors = PassageVectors(store, report)
    batch = _WriteBatch(store, report, unfinished, recorded=set(manifest), bodied=live.texted if live is not None else set())
    questions: set[str] = set()  # the interviews' own questions, embedded once below
    for t, rec, read in items:
        base_work, base_chunks, size = track.work_done, track.state.chunks_done, max(t.size, 1)
        track.emit(current=t.doc_id)
        if read is not None:
            chunks, metas = read.chunks, read.metas

            def on_batch(ready: int, n: int = len(chunks), w: float = base_work, c: int = base_chunks, s: int = size) -> None:
                track.work_done = w + s * ready / n
                track.emit(chunks_done=c + ready, embedded=report.embedded)

            matrix = vectors.get(chunks, [str(m["embed_hash"]) for m in metas], on_batch)
            batch.add(read, matrix, t.root, updated=bool(rec and rec.content_hash))
            questions.update(q.strip() for q in (c.question for c in chunks) if q and q.strip())
            track.state.chunks_done = base_chunks + len(chunks)
        done += 1
        track.work_done = base_work + size
        if batch.full():
            written = batch.write()
            if live is not None:
                live.landed(written, questions)
        track.emit(files_done=done, embedded=report.embedded)
    written = batch.write()
    if live is not None:
        live.landed(written, None)
    _embed_questions(store, embeddings, questions)

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
    store.prune_bodies(docs)  # superseded versions' parsed texts (knowledge/bodies.py)
    report.documents = sum(1 for d in docs.values() if d.content_hash)
    report.chunks = sum(d.n_chunks for d in docs.values() if d.content_hash)
    report.seconds = time.perf_counter() - started
    if report.changed or report.failed or rebuild:
        store.bump_version({**report.to_json(), "at": time.time()})
    track.emit(phase="done", files_done=len(targets), current="")
    return report


def _kept(t: Target, read: Read | str, report: SyncReport) -> Read | None:
    """A file read and chunked, or None with the reason in the report."""
    if isinstance(read, str):
        report.failed.append({"path": str(t.path), "error": read})
        return None
    return read


class _WriteBatch:
    """Documents read, chunked and embedded, waiting to be written together. The write
    keeps the per-document order of the module docstring for the whole batch: every
    document is marked pending, then all their chunks are upserted, then each one's
    stale chunks deleted, then all are committed. A crash anywhere leaves pending
    documents that the next sync writes again; readers see old or new, never both."""

    def __init__(self, store: Store, report: SyncReport, unfinished: set[str], recorded: set[str],
                 bodied: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.store = store
        self.report = report
        self.unfinished = unfinished  # documents never committed: they may have text-first quotes to clear
        self.bodied = bodied  # documents whose record got this version's body in this sync's text pass
        self.items: list[tuple[_Doc, bool]] = []
        self.chunks = 0
        self.opened = 0.0
        self.recorded = recorded  # documents with a manifest record when the sync began

    def add(self, read: Read, matrix: np.ndarray, root: Path, updated: bool) -> None:
        if not self.items:
            self.opened = time.perf_counter()
        self.items.append((_Doc(read, matrix, root), updated))
        self.chunks += len(read.chunks)

    def full(self) -> bool:
        return bool(self.items) and (
            self.chunks >= WRITE_BATCH_CHUNKS or time.perf_counter() - self.opened >= WRITE_BATCH_SECONDS
        )

    def write(self) -> list[str]:
        """Write the batch; returns its documents' ids."""
        if not self.items:
            return []
        items, self.items, self.chunks = self.items, [], 0
        docs = [doc for doc, _ in items]
        ids = [doc.read.iv.doc_id for doc in docs]
        _write_documents(self.store, docs, [d for d in ids if d in self.unfinished],
                         no_stale={d for d in ids if d not in self.recorded}, bodied=self.bodied)
        for doc, updated in items:
            (self.report.updated if updated else self.report.added).append(doc.read.iv.doc_id)
        return ids


class _Doc(NamedTuple):
    read: Read
    matrix: np.ndarray  # its chunks' vectors
    root: Path  # the folder it was synced from


def _write_documents(
    store: Store, docs: list[_Doc],
    texted: list[str] = (), no_stale: set[str] = frozenset(),  # type: ignore[assignment]
    bodied: set[str] = frozenset(),  # type: ignore[assignment]
) -> None:
    """Write documents whose chunks are embedded, in the crash-safe order.

    ``texted``: those that may have text-first quotes (never committed), cleared once
    their chunks are in. ``no_stale``: documents that had no manifest record when the sync
    began. A chunk is only ever written after its document's record (step 1; a text-first
    record holds no chunks), and a removal deletes the chunks before the record, so such a
    document has no chunks of another version: step 3 is skipped for it (one Chroma delete
    per document, ~4 s of a first ingest of 1,000 interviews). ``bodied``: documents whose
    body row this version already has (this sync's text pass wrote it, T1 of
    ingest/live.py): the commit writes their metadata only."""
    ivs = [d.read.iv for d in docs]
    doc_meta = {d.read.iv.doc_id: _doc_metadata(d.read.iv, d.root, len(d.read.chunks)) for d in docs}
    # the text pass wrote the ``bodied`` ones' records pending at this very version
    store.begin_documents([(iv.doc_id, iv.content_hash, doc_meta[iv.doc_id]) for iv in ivs if iv.doc_id not in bodied])
    for _ in docs:  # each document of the batch has passed this step
        _failpoint("begin")

    store.upsert_chunks(
        [c.chunk_id for d in docs for c in d.read.chunks],
        np.vstack([d.matrix for d in docs]),
        [r for d in docs for r in d.read.rows],
    )
    for _ in docs:  # each document of the batch has passed this step
        _failpoint("upsert")
    for iv in ivs:
        if iv.doc_id not in no_stale:
            store.delete_stale_chunks(iv.doc_id, iv.content_hash)
        _failpoint("stale")
    versions = {iv.doc_id: iv.content_hash for iv in ivs}
    store.drop_texts(list(texted), {d: versions[d] for d in texted})
    store.commit_documents([(d.read.iv.doc_id, d.read.iv.content_hash, doc_meta[d.read.iv.doc_id],
                             "" if d.read.iv.doc_id in bodied else d.read.body) for d in docs], bodied=bodied)
    for _ in docs:  # each document of the batch has passed this step
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


def start_sync(paths: list[Path], settings: Settings, **kwargs: Any) -> Job:
    """sync_paths in a Job."""
    return Job("sync", sync_paths, paths=list(paths), settings=settings, **kwargs)
