"""The dense leg through Chroma's own index instead of the in-memory matrix, for
snapshots that could not read the vectors (another process was writing: a ``partial``
corpus, see knowledge/corpus.py)."""
from __future__ import annotations

import numpy as np

from knowledge.chroma_client import StoreError
from knowledge.corpus import Corpus

_GET_IDS = 10_000  # ids per ``get``: SQLite refuses more variables than 32,766 in a statement


def chroma_scores(store, corpus: Corpus, qvec: np.ndarray, filters: dict | None, depth: int) -> np.ndarray:
    """Dense scores from Chroma's index for a snapshot without vectors: cosine for the
    top ``depth`` chunks, the lowest of those for the rest."""
    out = np.full(len(corpus), -1.0, np.float32)
    if store is None or not len(corpus):
        return out
    # the filters as the rows they select, not a ``where``: the snapshot knows every row's
    # metadata, and a quote's row in Chroma keeps only doc_id and hashes as keys (the rest
    # is packed, knowledge/chunk_rows.py), so this works on every layout
    inside = corpus.mask(filters)
    if not inside.any():
        return out
    ids = None if inside.all() else [corpus.ids[i] for i in np.flatnonzero(inside)]
    n = min(depth, int(inside.sum()))
    try:
        got = store.chunks.query(query_embeddings=[qvec.tolist()], ids=ids, n_results=n, include=["distances"])
    except StoreError:
        if ids is None:
            raise
        # Chroma refuses a query naming an id it does not hold ("Error finding id"): a
        # partial snapshot is read while a sync writes, which may since have deleted some
        # of its rows, and a text-first sync's quotes have no vector row yet
        ids = _held(store, ids)
        if not ids:
            return out
        got = store.chunks.query(query_embeddings=[qvec.tolist()], ids=ids, n_results=min(n, len(ids)), include=["distances"])
    rows = [(corpus.row_of.get(cid), 1.0 - d) for cid, d in zip(got["ids"][0], got["distances"][0])]
    rows = [(r, s) for r, s in rows if r is not None]
    if rows:
        out[:] = min(s for _, s in rows)
        for r, s in rows:
            out[r] = s
    return out


def _held(store, ids: list[str]) -> list[str]:
    """Those of ``ids`` the chunks collection holds, in order."""
    have: set[str] = set()
    for i in range(0, len(ids), _GET_IDS):
        have.update(store.chunks.get(ids=ids[i:i + _GET_IDS], include=[])["ids"])
    return [i for i in ids if i in have]
