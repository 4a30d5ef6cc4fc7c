"""Ablations of the ranking for ``python -m eval.run --variants``: the legs and steps the
product always runs (the BM25 leg, centring scores per language), dropped or skipped here.

The production ``RetrievalConfig`` carries only what production sets (weights, and the
question leg the hash embedder's profile turns off), so these switches live in eval code:
``score`` computes the production legs, takes out what the ablation drops, and fuses and
predicts as production does. What an answer shows and what the search ranks are then
decided by the production functions (``decide_scored``, ``ranking``) on these scores.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from knowledge.corpus import Corpus
from knowledge.query import canonical
from knowledge.relevance import RelevanceModel, features, model_for
from knowledge.retrieve import Legs, RetrievalConfig, Scored, compute_legs, fuse
from knowledge.scoring import blend_siblings, group_mean


@dataclass(frozen=True)
class Ablation:
    lexical: bool = True  # the BM25 leg: in the fusion, and as the relevance's "a query word occurs" feature
    lang_center: bool = True  # the dense and question legs centred per language


def score(corpus: Corpus, query: str, cfg: RetrievalConfig, ablation: Ablation, model: RelevanceModel | None = None) -> Scored:
    """``knowledge.retrieve.score`` over the whole corpus with ``ablation`` applied."""
    model = model or model_for(corpus.model)
    mask = corpus.mask(None)
    legs = compute_legs(corpus, [canonical(query)], mask, cfg)
    if not ablation.lexical:
        legs.lexical, legs.keyword = [], []
    if not ablation.lang_center:
        _uncentre(corpus, legs, cfg)
    feats = features(corpus, legs)
    rel = np.where(mask, model.predict(feats), 0.0)
    return Scored(query, legs.language, mask, fuse(legs, cfg), feats, rel, model.for_language(legs.language))


def _uncentre(corpus: Corpus, legs: Legs, cfg: RetrievalConfig) -> None:
    """The dense leg and the question evidence from the raw cosines, without the
    per-language centring of ``knowledge.retrieve.dense_leg`` and ``question_leg``."""
    raw = legs.sims
    legs.dense = [blend_siblings(raw, corpus, cfg.sibling) if cfg.sibling else raw]
    if not legs.question or not cfg.q_evidence:
        return  # the question leg's own cosine is never centred without the evidence blend
    has_q = corpus.q_index >= 0
    mean = group_mean(raw, corpus)
    ev = (1 - cfg.q_evidence) * legs.q_raw + cfg.q_evidence * mean[np.maximum(corpus.group, 0)]
    ev = np.where(has_q, ev, np.nan).astype(np.float32)
    sel = legs.mask & has_q
    legs.question = [ev]
    legs.question_floor = [float(np.nanmedian(ev[sel])) if sel.any() else 0.0]
