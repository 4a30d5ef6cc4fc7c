"""Score transforms the fusion and the relevance features rely on, each a few vector
operations over the snapshot: per-language centring, evidence shared between sibling
answers, and rescaling a score within one question."""
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


def rescale(s: np.ndarray, mask: np.ndarray, floor: float | None = None, low: float = -1.0) -> np.ndarray:
    """Scores rescaled so the query's median (or ``floor``) is 0 and its best is 1,
    clipped to [low, 1]; NaN becomes 0. All zeros when the leg has no signal."""
    sel = s[mask]
    valid = sel[~np.isnan(sel)]
    if valid.size == 0:
        return np.zeros(len(s), np.float64)
    top = float(valid.max())
    base = float(np.median(valid)) if floor is None else floor
    if top - base <= 1e-9:
        return np.zeros(len(s), np.float64)
    return np.nan_to_num(np.clip((s.astype(np.float64) - base) / (top - base), low, 1.0), nan=0.0)
