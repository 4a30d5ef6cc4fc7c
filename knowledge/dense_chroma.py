"""The dense leg through Chroma itself (LangChain's vector store or the raw
collection) instead of the in-memory matrix: for snapshots that could not read the
vectors (another process was writing) and for the ``dense_backend="chroma"`` variant."""
from __future__ import annotations

import numpy as np

from knowledge.corpus import Corpus


def chroma_rows(store, corpus: Corpus, qvec: np.ndarray, filters: dict | None, depth: int) -> np.ndarray | None:
    """The dense leg through LangChain's Chroma (HNSW, filter pushed down to Chroma)."""
    if store is None:
        return None
    where = chroma_where(filters)
    found = store.vectorstore().similarity_search_by_vector_with_relevance_scores(
        qvec.tolist(), k=min(depth, len(corpus)), filter=where
    )
    rows = [corpus.row_of.get(doc.id) for doc, _ in found]
    return np.array([r for r in rows if r is not None], dtype=np.int64)


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
