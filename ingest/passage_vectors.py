"""Passage vectors for a sync: each distinct embed text embedded at most once."""
from __future__ import annotations

from typing import Callable

import numpy as np

from ingest.model import Chunk
from ingest.report import SyncReport
from knowledge.embeddings import embed_array
from knowledge.store import Store

EMBED_BATCH = 64  # unique texts per embedder call: progress moves within a long file
_MEMO_LIMIT = 50_000  # vectors kept for reuse across the files of one sync (~75 MB at 384 dims)


class PassageVectors:
    """Vectors for chunks, each distinct embed text embedded at most once per sync:
    first from this sync's memo (the same passage in another file, or repeated in
    this one), then from the store (any chunk with the same embed text, e.g. the
    unchanged passages of an edited interview), and only then from the embedder."""

    def __init__(self, store: Store, report: SyncReport) -> None:
        self.store = store
        self.report = report
        self.memo: dict[str, np.ndarray] = {}
        # a store with no chunks when the sync began holds no vector the memo lacks,
        # for as long as the memo has kept every vector of this sync
        self.memo_is_complete = store.chunks.count() == 0

    def get(self, chunks: list[Chunk], hashes: list[str], on_batch: Callable[[int], None]) -> np.ndarray:
        found: dict[str, np.ndarray] = {h: self.memo[h] for h in hashes if h in self.memo}
        missing = [h for h in dict.fromkeys(hashes) if h not in found]
        if missing and not self.memo_is_complete:
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
            else:
                self.memo_is_complete = False
        return np.vstack([found[h] for h in hashes]).astype(np.float32)
