"""What an answer shows, per interview: the one place that decides it.

The chat answer and every cell of the theme matrix go through ``decide``, so the
answer's "weaker matches in 3 more; no match found in 2" and the matrix's empty cells
mean the same thing. Three decisions, in this order:

1. **Does the case base hold anything on this?** (refusal) Meaning *or* words: the
   best calibrated relevance reaches the question language's acceptance bar, or the
   question's distinctive words or names are in the interviews (knowledge/evidence.py).
   Only when both fail is the question refused: a false "nothing" is believed and never
   checked, so it costs more than a weak quote.
2. **Which interviews answer, with what?** Each interview's best quote at or above the
   answer bar (fitted per question language for precision), its further quotes above
   the stricter bar. An accepted question where no quote clears the bar still gets an
   answer: the passages carrying its words, or else its single best quote (the ranking
   puts a right passage first for most specific questions).
3. **What is left is said as it is.** An interview without an answer offers its best
   weaker match when it has one above the floor (fitted so that almost no interview
   called "no match" answers the question); the rest are ``silent``: no match found,
   which is not the same as "says nothing on it".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

from knowledge.corpus import Corpus
from knowledge.evidence import Evidence

if TYPE_CHECKING:  # only the type; decide_question imports retrieve where it is used
    from knowledge.retrieve import Scored


@dataclass
class Bars:
    """The relevance bars of one question (or per chunk, for a theme of several questions)."""

    accept: float | np.ndarray  # the question is answerable by meaning when a quote reaches it
    answer: float | np.ndarray  # an interview's best quote answers from here
    extra: float | np.ndarray  # an interview's further quotes answer from here
    floor: float | np.ndarray  # an interview's best quote is a weaker match from here


@dataclass
class Decision:
    refused: bool
    by: str  # "meaning", "words" or "" (refused)
    answered: dict[str, list[int]] = field(default_factory=dict)  # per interview, its quotes' rows, best interview first
    weaker: dict[str, int] = field(default_factory=dict)  # per interview without an answer: its best weaker match
    silent: list[str] = field(default_factory=list)  # interviews with neither

    def rows(self, k: int | None = None) -> list[int]:
        """The answer's rows: every interview's first quote, then the second ones, ...; ``k`` caps."""
        groups = list(self.answered.values())
        out = [g[i] for i in range(max((len(g) for g in groups), default=0)) for g in groups if i < len(g)]
        return out if k is None else out[: max(k, 0)]


def _at(bar: float | np.ndarray, r: int) -> float:
    return float(bar[r]) if isinstance(bar, np.ndarray) else float(bar)


def decide(corpus: Corpus, mask: np.ndarray, rel: np.ndarray, fused: np.ndarray, bars: Bars,
           ev: Evidence | None = None, per_doc: int = 3, skip: Callable[[int], bool] | None = None) -> Decision:
    """Decide the answer of one question (or theme) over the ``mask`` rows. ``skip(row)``
    leaves out quotes the researcher rejected."""
    docs = corpus.columns["doc_id"]
    rows = np.flatnonzero(mask)
    codes = corpus.doc_codes
    # The answer reads rows in one order: relevance, then ranking score, then row, best first.
    # Sorting every quote (100,000 at 4,000 interviews: ~20 ms, most of a decision) is needed
    # only for the few rows that can be shown; each interview's best quote is found in linear time.
    heads = _heads(rows, codes, rel, fused)
    best: dict[str, int] = {str(docs[r]): int(r) for r in heads}
    if skip is not None:
        for doc, r in list(best.items()):
            if skip(r):
                rest = [int(x) for x in _ordered(rows[codes[rows] == codes[r]], rel, fused) if not skip(int(x))]
                if rest:
                    best[doc] = rest[0]
                else:
                    del best[doc]
    in_view = [str(d) for d in docs[heads]]  # one row per interview, best first
    accept = np.asarray(bars.accept) if isinstance(bars.accept, np.ndarray) else None
    by_meaning = bool(rows.size) and (ev is None or ev.readable) and (
        bool((rel[rows] >= accept[rows]).any()) if accept is not None else float(rel[heads[0]]) >= float(bars.accept))
    by_words = ev is not None and ev.found
    if not (by_meaning or by_words):
        return Decision(True, "", silent=in_view)
    out = Decision(False, "meaning" if by_meaning else "words")
    # only quotes at or above the lowest answer bar can be in an answer
    low = float(np.min(bars.answer[rows])) if isinstance(bars.answer, np.ndarray) else float(bars.answer)
    seen: set[tuple[str, str]] = set()
    for r in _ordered(rows[rel[rows] >= low], rel, fused):
        r = int(r)
        doc = str(docs[r])
        key = (doc, corpus.texts[r].strip())
        if key in seen or (skip is not None and skip(r)):
            continue
        seen.add(key)
        got = out.answered.get(doc)
        if got is None:
            if rel[r] >= _at(bars.answer, r) and best.get(doc) == r:
                out.answered[doc] = [r]
        elif len(got) < per_doc and rel[r] >= max(_at(bars.answer, r), _at(bars.extra, r)):
            got.append(r)
    if ev is not None and ev.found:
        # the passages that carry the question's words answer for their interviews
        carriers = [int(r) for r in _ordered(rows[ev.carriers[rows]], rel, fused) if not (skip is not None and skip(int(r)))]
        for r in carriers:
            doc = str(docs[r])
            if doc not in out.answered:
                out.answered[doc] = [r]
    if not out.answered and by_meaning:
        top = best.get(str(docs[heads[0]])) if rows.size else None
        if top is not None:
            out.answered[str(docs[top])] = [top]
    # interviews in the order of their best answer
    order = sorted(out.answered, key=lambda d: (-float(rel[out.answered[d][0]]), -float(fused[out.answered[d][0]])))
    out.answered = {d: out.answered[d] for d in order}
    for doc in in_view:
        if doc in out.answered:
            continue
        top = best.get(doc)
        if top is not None and rel[top] >= _at(bars.floor, top):
            out.weaker[doc] = top
        else:
            out.silent.append(doc)
    return out


def _ordered(rows: np.ndarray, rel: np.ndarray, fused: np.ndarray) -> np.ndarray:
    """``rows`` (ascending) in the answer's order: relevance, then ranking score, best first;
    ties keep the row order (a stable sort)."""
    return rows[np.lexsort((-fused[rows], -rel[rows]))]


def _heads(rows: np.ndarray, codes: np.ndarray, rel: np.ndarray, fused: np.ndarray) -> np.ndarray:
    """Each interview's first row in ``_ordered(rows)``, in that order: per interview the
    highest relevance, among those the highest ranking score, among those the lowest row."""
    if not rows.size:
        return rows
    r_rel, r_fused, rc = rel[rows], fused[rows], codes[rows]
    if not (np.isfinite(r_rel).all() and np.isfinite(r_fused).all()):
        first = np.unique(rc[np.lexsort((-r_fused, -r_rel))], return_index=True)[1]  # NaN sorts as the full sort does
        return _ordered(rows, rel, fused)[np.sort(first)]
    n = int(rc.max()) + 1
    top = np.full(n, -np.inf)
    np.maximum.at(top, rc, r_rel)
    tie = r_rel == top[rc]
    top_f = np.full(n, -np.inf)
    np.maximum.at(top_f, rc[tie], r_fused[tie])
    tie &= r_fused == top_f[rc]
    none = np.iinfo(np.int64).max
    first_row = np.full(n, none, np.int64)
    np.minimum.at(first_row, rc[tie], rows[tie])
    return _ordered(np.sort(first_row[first_row != none]), rel, fused)


def bars_of(model) -> Bars:
    """The bars of a ``RelevanceModel`` already set for the question's language."""
    return Bars(model.accept_bar, model.threshold, max(model.threshold, model.extra_threshold), model.floor_bar)


def decide_question(corpus: Corpus, query: str, filters: dict | None = None, cfg=None, store=None,
                    extra_queries=(), model=None, per_doc: int = 3):
    """(scores, decision) of one question: what ``ask`` shows, and what the eval measures."""
    from knowledge.retrieve import RetrievalConfig, score

    s = score(corpus, query, filters, cfg or RetrievalConfig(), store, extra_queries, model)
    return s, decide_scored(corpus, query, s, per_doc)


def decide_scored(corpus: Corpus, query: str, s: Scored, per_doc: int = 3) -> Decision:
    """The decision on one question's scores (``knowledge.retrieve.Scored``): what
    ``decide_question`` returns, for scores computed elsewhere (the eval's ablations)."""
    from knowledge.evidence import evidence

    if not s.mask.any():
        return Decision(True, "")
    return decide(corpus, s.mask, s.rel, s.fused, bars_of(s.model), evidence(corpus, query, s.mask), per_doc)
