"""The snapshot of a store a sync has just changed, from the previous snapshot plus the
interviews the sync wrote.

Reading a whole snapshot from Chroma is most of a query process's first answer after a
sync: at 1,000 interviews (25,000 quotes) about 3 s of Chroma reads (mostly turning every
chunk's metadata into Python) and 1.5 s of indexing, where the cached snapshot of an
unchanged store maps in 0.6 s. A researcher who adds three interviews to a project
archive should not pay the whole archive again. So when the cache holds a snapshot of an
earlier version, the new one is assembled from it: the rows of every interview whose
manifest record is the same as when that snapshot was written, and, read from Chroma by
a filter, the rows of the interviews added or changed since. Interviews removed (or
erased) since have no record and are left out.

The record's fingerprint (``fingerprints``) is what a sync changes whenever it rewrites
an interview's quotes: its content hash (the file and its sidecar), its path, its quote
count and the time it was ingested (a rebuild re-ingests every interview). Rows are put
in ``knowledge.corpus.canonical_order``, as a read from the store puts them, and vectors
kept from the previous snapshot are not normalised twice: the snapshot assembled here
is the one a full read builds, array for array (tests/test_snapshot_delta.py).

Anything unexpected (a sync under way, an interview whose rows do not add up to its
record, the store moving on during the read, more than half the interviews changed)
returns None, and the caller reads the whole store as before.
"""
from __future__ import annotations

import logging
from collections import Counter

import numpy as np

from knowledge.chunk_rows import decode
from knowledge.corpus import Columns, Corpus, _normalise, canonical_order, fingerprints

log = logging.getLogger(__name__)

MAX_CHANGED_SHARE = 0.5  # above this share of interviews changed, a full read costs about the same
_BATCH = 100  # interviews per filtered Chroma read


def assemble(store, emb, previous: Corpus, previous_docs: dict[str, list[str]]) -> Corpus | None:
    """The snapshot of ``store`` now, from ``previous`` (a snapshot of an earlier version,
    whose records' fingerprints were ``previous_docs``) and the rows of what changed
    since; None when it cannot be assembled safely (then read the whole store)."""
    version = store.version()
    records = list(store.documents().values())
    if any(r.pending_hash or r.text_hash or not r.content_hash for r in records):
        return None  # a sync is writing (or was killed mid-way): its rows are not all there
    now = fingerprints(records)
    keep = {d for d, fp in now.items() if previous_docs.get(d) == fp}
    fetch = [r for r in records if r.doc_id not in keep]
    if len(fetch) > MAX_CHANGED_SHARE * len(records):
        return None
    expected = {r.doc_id: r.n_chunks for r in records}

    rows = np.flatnonzero(np.isin(previous.columns["doc_id"].astype(str), sorted(keep)))
    have = Counter(str(d) for d in previous.columns["doc_id"][rows])
    if any(have.get(d, 0) != expected[d] for d in keep):
        return None
    ids = [previous.ids[i] for i in rows]
    texts = [previous.texts[i] for i in rows]
    cols = Columns()
    for k in cols.str:
        cols.str[k] = previous.columns[k][rows].tolist()
    for k in cols.int:
        cols.int[k] = [int(v) for v in previous.ints[k][rows]]
    kept = np.asarray(previous.vectors[rows], dtype=np.float32)
    fresh: list[np.ndarray] = []
    for start in range(0, len(fetch), _BATCH):
        part = fetch[start:start + _BATCH]
        want = {r.doc_id: r.content_hash for r in part}
        where = {"doc_id": part[0].doc_id} if len(part) == 1 else {"doc_id": {"$in": list(want)}}
        got = store.chunks.get(where=where, include=["documents", "metadatas", "embeddings"])
        count: Counter[str] = Counter()
        take = []
        for i, cid in enumerate(got["ids"]):
            meta = got["metadatas"][i] or {}
            doc = str(meta.get("doc_id"))
            if want.get(doc) != meta.get("content_hash"):
                continue  # another version's row, deleted by the sync's next step
            take.append(i)
            count[doc] += 1
            ids.append(cid)
            meta, text = decode(meta, got["documents"][i])
            texts.append(text)
            cols.add(meta, text)
        if any(count.get(d, 0) != expected[d] for d in want):
            return None
        if take:
            # normalised here, once, as a full read normalises every row it reads
            fresh.append(_normalise(np.asarray(got["embeddings"], dtype=np.float32)[take]))
    if store.version() != version:
        return None  # a sync or erasure moved the store while it was read
    dim = kept.shape[1] if kept.ndim == 2 and kept.shape[1] else (fresh[0].shape[1] if fresh else 0)
    vectors = np.vstack([kept.reshape(-1, dim), *fresh]) if dim else np.zeros((0, 0), np.float32)
    order = canonical_order(ids, cols)
    corpus = Corpus([ids[i] for i in order], cols.take(order), [texts[i] for i in order], vectors[order], emb,
                    version=version, store=store, normalised=True)
    log.info("snapshot of version %s assembled from the previous one: %d interviews kept, %d read",
             version, len(keep), len(fetch))
    corpus.assembled = True
    corpus.record_fingerprints = now
    return corpus
