"""Score transforms the fusion relies on, each a few vector operations over the
snapshot: per-language centring and evidence shared between sibling answers."""
from __future__ import annotations

import numpy as np

from knowledge.corpus import Corpus


def blend_siblings(dense: np.ndarray, corpus: Corpus, share: float) -> np.ndarray:
    g = corpus.group
    has = g >= 0
    best = np.full(corpus.n_groups, -np.inf, np.float32)
    np.maximum.at(best, g[has], dense[has])
    out = dense.copy()
    out[has] = (1 - share) * dense[has] + share * best[g[has]]
    return out


def group_mean(d: np.ndarray, corpus: Corpus) -> np.ndarray:
    g = corpus.group
    has = g >= 0
    tot = np.bincount(g[has], weights=d[has], minlength=corpus.n_groups)
    cnt = np.bincount(g[has], minlength=corpus.n_groups)
    return (tot / np.maximum(cnt, 1)).astype(np.float32)


def center_by_language(scores: np.ndarray, codes: np.ndarray, n_langs: int, mask: np.ndarray) -> np.ndarray:
    """Scores minus the median score of the chunk's language (over the filtered rows)."""
    if n_langs < 2:
        return scores
    offsets = np.zeros(n_langs, np.float32)
    present = 0
    for code in range(n_langs):
        sel = scores[(codes == code) & mask]
        if sel.size:
            offsets[code] = np.median(sel)
            present += 1
    return scores - offsets[codes] if present > 1 else scores
