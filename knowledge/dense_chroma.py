"""The dense leg through Chroma's own index instead of the in-memory matrix, for
snapshots that could not read the vectors (another process was writing: a ``partial``
corpus, see knowledge/corpus.py)."""
from __future__ import annotations

import numpy as np

from knowledge.corpus import Corpus


def chroma_scores(store, corpus: Corpus, qvec: np.ndarray, filters: dict | None, depth: int) -> np.ndarray:
    """Dense scores from Chroma's index for a snapshot without vectors: cosine for the
    top ``depth`` chunks, the lowest of those for the rest."""
    out = np.full(len(corpus), -1.0, np.float32)
    if store is None or not len(corpus):
        return out
    got = store.chunks.query(query_embeddings=[qvec.tolist()], n_results=min(depth, len(corpus)), where=chroma_where(filters), include=["distances"])
    rows = [(corpus.row_of.get(cid), 1.0 - d) for cid, d in zip(got["ids"][0], got["distances"][0])]
    rows = [(r, s) for r, s in rows if r is not None]
    if rows:
        out[:] = min(s for _, s in rows)
        for r, s in rows:
            out[r] = s
    return out


def chroma_where(filters: dict | None) -> dict | None:
    """Our filter dict as a Chroma ``where`` clause."""
    parts = []
    for key, want in (filters or {}).items():
        if want in (None, "", []):
            continue
        values = [want] if isinstance(want, str) else list(want)
        parts.append({key: values[0]} if len(values) == 1 else {key: {"$in": values}})
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}
