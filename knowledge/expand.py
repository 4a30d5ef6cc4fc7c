"""Question pseudo-translation: the interview questions closest to the user's query,
used as extra (corpus-language) queries.

An English question over Danish interviews finds the right *interview questions*
reliably (question~question similarity holds across languages) while its English
words are noise to BM25. The texts of the best-matching interview questions are a
corpus-internal translation ("barriers to library partnerships?" -> "Hvilke
organisatoriske barrierer opstår der i arbejdet med partnerskaber?") whose words
hit the answers lexically. Measured in eval/README.md.
"""
from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from knowledge.corpus import Corpus
    from knowledge.retrieve import RetrievalConfig


def question_languages(corpus: Corpus) -> np.ndarray:
    """The language of each interview question (of the chunks answering it), cached."""
    got = getattr(corpus, "_q_langs", None)
    if got is None:
        got = np.full(len(corpus.q_vectors), "", dtype=object)
        has = corpus.q_index >= 0
        got[corpus.q_index[has]] = corpus.langs[has]
        corpus._q_langs = got
    return got


def pseudo_queries(corpus: Corpus, qv: np.ndarray, lang: str, mask: np.ndarray, cfg: RetrievalConfig) -> list[int]:
    """Rows of ``corpus.q_vectors`` to use as extra queries: the top ``cfg.q_prf``
    questions (among the filtered chunks') by cosine to the query, at least
    ``cfg.q_prf_margin`` above their median. ``cfg.q_prf_cross_only``: only when the
    query's language differs from the filtered corpus's majority language;
    ``cfg.q_prf_other_lang``: only questions in another language than the query's."""
    sel = mask & (corpus.q_index >= 0)
    if cfg.q_prf <= 0 or not sel.any() or not len(corpus.q_vectors):
        return []
    if cfg.q_prf_cross_only:
        majority = Counter(corpus.langs[mask].tolist()).most_common(1)[0][0]
        if lang == majority:
            return []
    rows = np.unique(corpus.q_index[sel])
    if cfg.q_prf_other_lang:  # a translation: only questions in another language than the query's
        rows = rows[question_languages(corpus)[rows] != lang]
        if not rows.size:
            return []
    sims = corpus.q_vectors[rows] @ qv
    floor = float(np.median(sims)) + cfg.q_prf_margin
    order = np.argsort(-sims, kind="stable")[: cfg.q_prf]
    return [int(rows[i]) for i in order if sims[i] >= floor]
