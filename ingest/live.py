"""Text first: a large first ingest made searchable while it runs.

Embedding 1,000 interviews takes about 20 minutes on 2 cores, but word and phrase
search, the interview browser and the file report need only the text. So a sync with
at least ``Settings.text_first_bytes`` of new files reads and chunks them all first and
writes their quotes where readers find them before computing one vector:
  T1. each interview's quotes go into the row of its parsed body (knowledge/bodies.py: one
      row per version, a dummy vector, never a zero vector in the chunks' HNSW index,
      which would pollute every meaning search); a crash here leaves rows no manifest
      record names, which the next sync replaces or prunes, so no text is orphaned
  T2. the manifest records, pending at that version, name it in ``text_hash``
Then ingest/sync.py writes the vectors in its usual order, clearing a document's quotes
from its body row after its chunks are in and before its commit. Readers take a
``text_hash`` version's quotes from the body row or the chunks (knowledge/corpus.py), so
an interview is never missing, and every step is idempotent by ids and hashes: a sync
killed anywhere is repaired by running it again, nothing duplicated or lost.

Readers see the store move on (its version) after the text pass, then after a written
batch at most every ``LIVE_REFRESH_SECONDS``: each move makes every query process rebuild
its snapshot once, which at 1,000 interviews costs seconds, so not every 10 s batch.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Iterable

from ingest.discover import Target
from ingest.failpoints import failpoint as _failpoint
from ingest.model import Interview
from ingest.read_pool import Read
from ingest.report import ProgressTracker, SyncReport
from knowledge.store import Store

LIVE_REFRESH_SECONDS = 60.0  # readers see written vectors this often at most
TEXT_BATCH_CHUNKS = 4000  # quotes per write of the text pass



class TextFirst:
    """The text pass (T1-T2), then the store's version moved as vectors land, so readers
    refresh, and progress says how much meaning search covers. ``record`` makes a
    document's manifest metadata (ingest/sync.py's);
    ``embed_questions`` embeds the interviews' own questions ahead of the readers."""

    def __init__(self, store: Store, track: ProgressTracker, manifest: dict, report: SyncReport, *,
                 record: Callable[[Interview, Path, int], dict],
                 embed_questions: Callable[[set[str]], None]) -> None:
        self.store, self.track, self.report = store, track, report
        self.record, self.embed_questions = record, embed_questions
        self.texted: set[str] = set()  # documents whose text is readable, vectors pending
        self.pending: set[str] = set()  # of those, the ones the readers do not see embedded yet
        self.covered = sum(1 for r in manifest.values() if r.content_hash)  # embedded, as readers see it
        self.refreshed = 0.0

    def land_texts(self, items: Iterable[tuple[Target, Any, Read | None]], done: int, total: int) -> list:
        """Read every changed file and write the new interviews' quotes (T1-T2), in batches;
        returns what was read, for the embedding pass."""
        self.track.emit(phase="reading", files_done=done, files_total=total, current="")
        out: list[tuple[Target, Any, Read | None]] = []
        part: list[tuple[Read, Path]] = []
        for i, (t, rec, read) in enumerate(items):
            out.append((t, rec, read))
            if read is not None and not (rec and rec.content_hash):  # an update shows its old version until committed
                part.append((read, t.root))
                if sum(len(r.chunks) for r, _ in part) >= TEXT_BATCH_CHUNKS:
                    self._write(part)
                    part = []
            self.track.emit(files_done=done + i + 1, current=t.doc_id)
        self._write(part)
        self.pending = set(self.texted)
        # the file report (which files failed, were skipped, went in) is complete from here
        so_far = {**self.report.to_json(), "added": sorted(self.texted), "documents": self.covered + len(self.texted),
                  "at": time.time(), "in_progress": True}
        self.store.bump_version(so_far)
        self.refreshed = time.perf_counter()
        self.track.emit(searchable=self.covered, interviews=self.covered + len(self.pending), current="")
        for _ in self.texted:
            _failpoint("texts")
        return out

    def _write(self, part: list[tuple[Read, Path]]) -> None:
        if not part:
            return
        from knowledge.corpus import pack_texts  # the snapshot's columns; imported only on this path

        self.store.write_texts([
            (r.iv.doc_id, r.iv.content_hash, self.record(r.iv, root, len(r.chunks)), r.body,
             pack_texts([c.chunk_id for c in r.chunks], [c.text for c in r.chunks], r.metas))
            for r, root in part
        ])
        self.texted.update(r.iv.doc_id for r, _ in part)

    def landed(self, written: list[str], questions: set[str] | None) -> None:
        """The batch of documents ``written`` was committed: let readers see it, at most
        every LIVE_REFRESH_SECONDS (``questions`` None: the last batch, whose version the end
        of the sync moves itself). The sync holds the store's lock, so what it committed is
        all that was: no manifest read is needed to count it."""
        done = self.pending.intersection(written)
        self.covered += len(done)
        self.pending -= done
        if questions is not None:
            if time.perf_counter() - self.refreshed < LIVE_REFRESH_SECONDS:
                return
            if questions:  # embedded before the readers need them: else each query process would
                self.embed_questions(questions)
            self.store.bump_version()
            self.refreshed = time.perf_counter()
        self.track.emit(searchable=self.covered, interviews=self.covered + len(self.pending))
