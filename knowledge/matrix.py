"""The theme matrix: for every interview and every theme, that interview's most
relevant quotes for the theme, or nothing.

A cell is decided by the same calibrated relevance that decides what a chat answer
shows (knowledge/decide.py), so an empty cell, its weaker match and "no match found"
mean the same as in the answer. A theme asked in
several questions (a Danish and an English wording, or two angles on it) takes, per
quote, the best relevance over its questions: a quote answers the theme when it
answers any of them, and each wording catches interviews the other misses.

Everything here works on a ``Corpus`` snapshot, so the eval (eval/themes.py) scores
the very cells the app shows; ``Casebase.matrix`` adds the researcher's codings.
"""
from __future__ import annotations

import json
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from knowledge.corpus import Corpus
from knowledge.decide import Bars, Decision, decide
from knowledge.evidence import Evidence, evidence
from knowledge.relevance import RelevanceModel, model_for
from knowledge.retrieve import RetrievalConfig, query_texts, score
from knowledge.types import Coding, Source, Theme
from knowledge.vectors import prefetch_queries

PER_CELL = 2  # quotes per cell: the best, and a second only when it clears the stricter bar
# an empty cell of an interview whose vectors an ingest is still writing: unknown, never
# "no match found" (the matrix's words are English, as the Themes page is)
NOT_YET = "not yet searchable (ingest in progress)"
STATUSES = ("quotes", "weaker_match", "no_match", "not_yet_searchable")
# theme columns remembered per snapshot (each ~9 float arrays of one value per chunk:
# ~1.8 MB at 25k quotes): two 10-theme matrices, so reopening the Themes page, a rerun
# or a changed coding re-scores nothing, and one added theme scores only its own column
MEMO_THEMES = 20


@dataclass
class ThemeScores:
    """One theme over the snapshot: per chunk the best relevance over its questions, which
    question gave it, and that question's thresholds (fitted per question language)."""

    theme: Theme
    rel: np.ndarray
    fused: np.ndarray
    by: np.ndarray  # index into theme.questions of the question that scored best
    bar: np.ndarray  # the threshold an interview's best quote must reach
    weak: np.ndarray  # the threshold of a weaker match
    extra: np.ndarray  # the threshold of a second quote of the same interview
    accept: np.ndarray | None = None  # the bar at which a question is answerable by meaning
    floor: np.ndarray | None = None  # an interview's best quote is a weaker match from here
    evidence: Evidence | None = None  # what the theme's words find (any of its questions)

    def bars(self) -> Bars:
        return Bars(self.bar if self.accept is None else self.accept, self.bar, self.extra,
                    self.weak if self.floor is None else self.floor)


def theme_scores(corpus: Corpus, theme: Theme, filters: dict | None = None, cfg: RetrievalConfig = RetrievalConfig(),
                 store=None, model: RelevanceModel | None = None) -> ThemeScores:
    n = len(corpus)
    rel, fused, by = np.zeros(n), np.zeros(n), np.zeros(n, np.int64)
    bar, weak, extra = np.ones(n), np.ones(n), np.ones(n)
    accept, floor = np.ones(n), np.ones(n)
    margin = np.full(n, -np.inf)
    model = model or model_for(corpus.model)
    ev = Evidence(carriers=np.zeros(n, bool))
    for j, q in enumerate(q for q in theme.questions if q.strip()):
        s = score(corpus, q, filters, cfg, store, model=model)
        m = s.model  # with the thresholds of this question's language
        found = evidence(corpus, q, s.mask)
        if found.found:
            ev.names += found.names
            ev.docs |= found.docs
            ev.carriers |= found.carriers
        # questions in different languages have different bars: the best is the one it clears most
        better = (s.rel - m.threshold) > margin
        margin = np.where(better, s.rel - m.threshold, margin)
        rel = np.where(better, s.rel, rel)
        fused = np.where(better, s.fused, fused)
        by = np.where(better, j, by)
        bar = np.where(better, m.threshold, bar)
        weak = np.where(better, m.weak_threshold, weak)
        extra = np.where(better, max(m.threshold, m.extra_threshold), extra)
        accept = np.where(better, m.accept_bar, accept)
        floor = np.where(better, m.floor_bar, floor)
    return ThemeScores(theme, rel, fused, by, bar, weak, extra, accept, floor, ev)


_memo: weakref.WeakKeyDictionary[Corpus, OrderedDict[tuple, ThemeScores]] = weakref.WeakKeyDictionary()
_memo_lock = threading.Lock()


def memo_scores(corpus: Corpus, theme: Theme, filters: dict | None = None, cfg: RetrievalConfig = RetrievalConfig(),
                store=None) -> ThemeScores:
    """``theme_scores``, remembered per (snapshot, the theme's questions, filters, config).
    A snapshot is one store version (a sync makes a new one, and its memo goes with it);
    the scores depend on nothing else, while the codings a cell shows are decided afresh
    on every matrix. The arrays are made read-only: they are shared by every matrix."""
    if corpus.partial:  # its dense leg asks Chroma and is replaced at the next question
        return theme_scores(corpus, theme, filters, cfg, store)
    key = (tuple(q for q in theme.questions if q.strip()), json.dumps(filters or {}, sort_keys=True, default=str), repr(cfg))
    with _memo_lock:
        seen = _memo.setdefault(corpus, OrderedDict())
        ts = seen.get(key)
        if ts is not None:
            seen.move_to_end(key)
            return replace(ts, theme=theme)
    ts = theme_scores(corpus, theme, filters, cfg, store)
    for a in (ts.rel, ts.fused, ts.by, ts.bar, ts.weak, ts.extra, ts.accept, ts.floor):
        if a is not None:
            a.flags.writeable = False
    with _memo_lock:
        seen = _memo.setdefault(corpus, OrderedDict())
        seen[key] = ts
        while len(seen) > MEMO_THEMES:
            seen.popitem(last=False)
    return ts


def prefetch(corpus: Corpus, themes: list[Theme], store=None) -> None:
    """Every query vector the themes' scoring will ask for (each question, its frameless
    core and focus: knowledge/retrieve.compute_legs), looked up or embedded up front and
    kept in the store, so reopening saved themes in a new process embeds nothing."""
    if corpus.partial or not len(corpus):
        return
    texts: list[str] = []
    for theme in themes:
        for q in theme.questions:
            if q.strip():
                texts += query_texts(corpus, q)
    prefetch_queries(corpus.embeddings, texts, store)


def decide_theme(corpus: Corpus, ts: ThemeScores, mask: np.ndarray, per_cell: int = PER_CELL,
                 skip: Callable[[int], bool] | None = None) -> Decision:
    """The theme's cells as a chat answer would decide them (knowledge/decide.py): per
    interview its quotes, or its best weaker match, or no match found."""
    return decide(corpus, mask, ts.rel, ts.fused, ts.bars(), ts.evidence, per_cell, skip)


@dataclass
class Row:
    """One interview of the matrix: who, and per theme the quotes in its cell (as
    Codings: accepted by the researcher, or proposed by relevance), best first."""

    doc_id: str
    interviewee: str
    role: str
    organisation: str
    case: str
    cells: dict[str, list[Coding]] = field(default_factory=dict)
    # per theme, for an empty cell: the interview's best weaker match, offered for review
    # (like the chat's weaker matches: labelled, never counted as the interview's answer)
    possible: dict[str, list[Coding]] = field(default_factory=dict)
    # an ingest has not written (all) its vectors yet: a cell without a quote is unknown
    waiting: bool = False

    def status(self, theme: str) -> str:
        """What the cell says (one of STATUSES): quotes, only a weaker match, no match
        found, or not yet searchable by meaning (whatever a weaker match there says)."""
        if self.cells.get(theme):
            return "quotes"
        if self.waiting:
            return "not_yet_searchable"
        return "weaker_match" if self.possible.get(theme) else "no_match"

    @classmethod
    def of(cls, doc_id: str, meta: dict) -> Row:
        """A row from an interview record or a chunk's metadata (who was interviewed)."""
        who, role, org, case = (str(meta.get(k, "")) for k in ("interviewee", "role", "organisation", "case"))
        return cls(doc_id, who, role, org, case)

    def to_dict(self, themes: list[str] | None = None) -> dict:
        """``themes``: every theme of the matrix, so an empty cell is listed as ``[]`` (no match
        found, or a weaker match) or, when the interview is not yet searchable, as ``null``:
        unknown, which no reader may take for an empty list. ``status`` names each cell's."""
        def dump(items: list[Coding]) -> list[dict]:
            return [{**c.source.to_dict(), "status": c.status, "found_by": c.found_by} for c in items]

        names = list(themes) if themes is not None else list(self.cells)
        status = {name: self.status(name) for name in names}
        return {"doc_id": self.doc_id, "interviewee": self.interviewee, "role": self.role,
                "organisation": self.organisation, "case": self.case, "not_yet_searchable": self.waiting,
                "cells": {name: None if status[name] == "not_yet_searchable" else dump(self.cells.get(name, []))
                          for name in names},
                "status": status,
                "possible": {name: dump(items) for name, items in self.possible.items() if items}}


@dataclass
class Matrix:
    themes: list[Theme]
    rows: list[Row]
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {"themes": [{"name": t.name, "questions": list(t.questions)} for t in self.themes],
                "interviews": [r.to_dict([t.name for t in self.themes]) for r in self.rows],
                "not_yet_searchable": self.not_yet_searchable()}

    def not_yet_searchable(self) -> list[str]:
        """The interviews whose vectors an ingest is still writing (their empty cells are unknown)."""
        return sorted(r.doc_id for r in self.rows if r.waiting)

    def silent(self, theme: str) -> list[Row]:
        """The interviews with no quote for ``theme``: a weaker match or no match found
        (not those not yet searchable: ``pending``)."""
        return [r for r in self.rows if r.status(theme) in ("weaker_match", "no_match")]

    def unmatched(self, theme: str) -> list[Row]:
        """The interviews with neither a quote nor a weaker match for ``theme``: no match found."""
        return [r for r in self.rows if r.status(theme) == "no_match"]

    def pending(self, theme: str) -> list[Row]:
        """The interviews with no quote for ``theme`` that meaning search cannot see yet."""
        return [r for r in self.rows if r.status(theme) == "not_yet_searchable"]

    def codings(self) -> list[Coding]:
        """Every quote in every cell, theme by theme (for the exports)."""
        return [c for t in self.themes for r in self.rows for c in r.cells.get(t.name, [])]

    def table(self, max_chars: int = 0, coded_only: bool = False) -> tuple[list[str], list[dict[str, str]]]:
        """(columns, rows) for CSV/Excel: who, then per theme its quotes, each marked
        "✓" when the researcher coded it and "(proposed)" when nobody has reviewed it,
        or "" for nothing; an interview not yet searchable says so (NOT_YET) in its
        cells without a quote. ``coded_only``: the coded quotes alone."""
        cols = ["interviewee", "role", "organisation", "case", "file", *[t.name for t in self.themes]]
        out = []
        for r in self.rows:
            row = {"interviewee": r.interviewee, "role": r.role, "organisation": r.organisation, "case": r.case, "file": r.doc_id}
            for t in self.themes:
                cells = [c for c in r.cells.get(t.name, []) if c.status == "accepted" or not coded_only]
                row[t.name] = "\n\n".join(
                    f"\u2713 \u201c{_clip(c.source.quote, max_chars)}\u201d" if c.status == "accepted"
                    else f"\u201c{_clip(c.source.quote, max_chars)}\u201d (proposed)" for c in cells)
                if r.waiting and not r.cells.get(t.name):
                    row[t.name] = "\n\n".join(p for p in (row[t.name], f"({NOT_YET})") if p)
            out.append(row)
        return cols, out


def _clip(text: str, n: int) -> str:
    return text if not n or len(text) <= n else text[: n - 1].rstrip() + "\u2026"


def build(corpus: Corpus, themes: list[Theme], source_of: Callable[[int], Source], filters: dict | None = None,
          cfg: RetrievalConfig = RetrievalConfig(), store=None, per_cell: int = PER_CELL,
          decided: Callable[[str], tuple[list[Coding], Callable[[Source], bool]]] | None = None,
          interviews: list[dict] | None = None) -> Matrix:
    """The matrix of ``themes`` over the interviews ``filters`` select. ``source_of(row)``
    makes a chunk's Source. ``decided(theme)`` gives the researcher's accepted codings
    for the theme (shown first in their cells, whatever their relevance) and a test for
    rejected quotes (never proposed again). ``interviews``: the store's interview records
    (metadata), so that an interview with no chunk in any cell is still a row."""
    t0 = time.perf_counter()
    mask = corpus.mask(filters)
    searchable = corpus.meaning_mask(filters)  # an interview still waiting for its vectors: a row, no cells yet
    docs = corpus.columns["doc_id"]
    in_view = {str(d) for d in docs[mask]}
    rows = {rec["doc_id"]: Row.of(rec["doc_id"], rec) for rec in interviews or [] if rec.get("doc_id") in in_view}
    for d in sorted(in_view - rows.keys()):
        rows[d] = Row.of(d, corpus.meta(int(corpus.rows_of(d)[0])))
    for d in corpus.waiting_interviews(filters):  # some quote has no vector yet: silence there is not known
        if d in rows:
            rows[d].waiting = True
    for theme in themes:
        accepted, rejected = decided(theme.name) if decided else ([], None)
        for c in accepted:
            if c.source.doc_id in rows:
                rows[c.source.doc_id].cells.setdefault(theme.name, []).append(c)
        ts = memo_scores(corpus, theme, filters, cfg, store)
        skip = (lambda r: rejected(source_of(r))) if rejected else None
        questions = [q for q in theme.questions if q.strip()]
        def coding(r: int, status: str) -> Coding:
            s = replace(source_of(r), relevance=round(float(ts.rel[r]), 3))
            return Coding(theme.name, status, s, questions[int(ts.by[r])] if questions else "")

        decision = decide_theme(corpus, ts, searchable, per_cell, skip)
        for doc, picked in decision.answered.items():
            cell = rows[doc].cells.setdefault(theme.name, [])
            have = {c.source.quote.strip() for c in cell}
            for r in picked:
                c = coding(r, "proposed")
                if corpus.texts[r].strip() not in have and c.source.quote.strip() not in have:
                    cell.append(c)
        for doc, r in decision.weaker.items():
            if not rows[doc].cells.get(theme.name):
                rows[doc].possible[theme.name] = [coding(r, "possible")]
    ordered = sorted(rows.values(), key=lambda row: (row.organisation.lower(), row.interviewee.lower(), row.doc_id))
    return Matrix(list(themes), ordered, time.perf_counter() - t0)
