"""Hybrid retrieval over the interview chunks: one function per leg (dense,
question match, BM25), a linear fusion for the ranking, and a calibrated
relevance per chunk (knowledge/relevance.py) that decides what answers.

Why these legs (numbers from ``make eval`` are in eval/README.md):
* dense: multilingual e5 over the contextual header + quote. Cross-lingual,
  but on short bullets it confuses neighbouring answers.
* question match: the user's question against the *interviews'* questions
  (embedded once per distinct question). Interviews are answers to questions,
  and different interviews ask the same thing in other words; question-to-
  question similarity is far more reliable across languages than question-to-
  bullet similarity, so every interview's answer to a matching question is a
  candidate.
* BM25 (stemmed per language) catches names and rare words; on a question in
  another language than the chunk it is mostly noise, so it is down-weighted
  per chunk by language.

The fused score orders candidates; it is not comparable across questions. The
relevance (a probability that the chunk answers the question, fitted on labelled
questions) is, and it alone decides what an answer shows and when to refuse.

Everything per-store (matrices, BM25, question vectors) is built once per
``Store.version()`` by knowledge/corpus.py and cached, so a question costs one
query embedding plus a few vector products.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable

import numpy as np

from knowledge.corpus import FILTER_KEYS, Corpus, load_corpus  # noqa: F401  (re-exported)
from knowledge.dense_chroma import chroma_scores
from knowledge.lang import detect
from knowledge.lexical import query_tokens
from knowledge.query import canonical, core, question_vector, views
from knowledge.relevance import RelevanceModel, features, model_for
from knowledge.scoring import blend_siblings, center_by_language, group_mean, rescale
from knowledge.vectors import embed_queries, query_vector


@dataclass(frozen=True)
class RetrievalConfig:
    """The ranking's weights; the defaults are the measured winner (eval/README.md).
    Only what production sets lives here: the ablations of ``eval.run --variants`` that
    drop a leg or skip a step are composed in eval/ablation.py."""

    question_match: bool = True  # off for the hash embedder (EMBEDDER_PROFILES): its relevance model is fitted without it
    w_dense: float = 1.0
    w_question: float = 0.1
    w_lexical: float = 0.1
    # A query of one or two words that is not a question ("forventninger", a project's
    # name) is a keyword search: the exact word should lead, so BM25 gets full weight.
    keyword_words: int = 2
    w_lexical_keyword: float = 1.0
    cross_lang_lexical: float = 0.5  # BM25 weight on chunks in another language than the question
    # evidence shared by the answers to one question in one interview (measured:
    # R@5 0.82 -> 0.87, MRR 0.74 -> 0.75)
    sibling: float = 0.3  # dense: blend each answer toward the best answer to the same question
    q_evidence: float = 0.5  # question leg: blend the question's similarity with its answers' mean dense score
    depth: int = 100  # ranks of the Chroma dense leg (a partial snapshot, read without vectors)
    w_extra: float = 0.5  # legs of extra queries (an LLM translation) count this much of the user's own
    per_doc_cap: int = 3  # ranked search: at most this many quotes per interview before the others (0 = no cap)


# Fusion weights per embedder family. The hash embedder (tests, quick trials) is a bag
# of words that cannot ignore function words, so BM25 must lead there.
EMBEDDER_PROFILES: dict[str, dict[str, Any]] = {
    "hash": {"w_dense": 0.3, "w_lexical": 1.0, "cross_lang_lexical": 1.0, "w_question": 0.0, "question_match": False}
}


def config_for(emb_id: str, base: RetrievalConfig | None = None) -> RetrievalConfig:
    cfg = base or RetrievalConfig()
    for prefix, changes in EMBEDDER_PROFILES.items():
        if emb_id.startswith(prefix):
            return replace(cfg, **changes)
    return cfg


@dataclass
class Hit:
    row: int
    chunk_id: str
    text: str
    metadata: dict[str, Any]
    score: float  # fused score (orders the candidates of one question)
    relevance: float  # calibrated probability that the chunk answers the question


@dataclass
class Result:
    query: str
    language: str
    hits: list[Hit]
    relevance: float  # best relevance over all candidates
    refused: bool  # nothing reaches the model's threshold
    model: RelevanceModel  # its thresholds say what answers, what is a weaker match
    interviews: int = 0  # interviews searched (after filters)


@dataclass
class Legs:
    """Every leg's score for every chunk, for one question (and its extra variants)."""

    language: str
    mask: np.ndarray
    sims: np.ndarray  # raw cosine question~chunk (the user's own words)
    dense: list[np.ndarray]  # per variant: sibling-blended, language-centred
    question: list[np.ndarray]  # per variant: question evidence (NaN: chunk answers no question)
    question_floor: list[float]  # per variant: the question leg's median (its zero in the fusion)
    q_raw: np.ndarray  # raw cosine of the user's question with the chunk's interview question (NaN: none)
    lexical: list[np.ndarray]  # per variant: BM25, language-weighted
    keyword: list[bool]  # per variant: a one- or two-word keyword query
    weights: list[float] = field(default_factory=list)  # per variant: the user's own words count fully
    # the question without the case base's topic words (see LexicalIndex.focus): what it asks
    focus_sims: np.ndarray | None = None  # raw cosine focus~chunk
    focus_q: np.ndarray | None = None  # raw cosine focus~the chunk's interview question (NaN: none)
    lex_share: np.ndarray | None = None  # per chunk, the share of the question's content words it holds (by stem)


# -- legs -------------------------------------------------------------------------------
def dense_leg(corpus: Corpus, qv: np.ndarray, mask: np.ndarray, cfg: RetrievalConfig, store=None, filters=None) -> tuple[np.ndarray, np.ndarray]:
    """(raw cosine, ranking score) of every chunk: the ranking score shares evidence
    among the answers to one question and is centred per language (e5 scores a passage
    in the query's own language higher regardless of meaning; subtracting each
    language's median score per query removes that offset). A partial snapshot has no
    vectors: Chroma's index scores its top ``cfg.depth``."""
    raw = chroma_scores(store, corpus, qv, filters, cfg.depth) if corpus.partial else corpus.vectors @ qv
    dense = blend_siblings(raw, corpus, cfg.sibling) if cfg.sibling else raw
    return raw, center_by_language(dense, corpus.lang_codes, len(corpus.lang_names), mask)


def question_leg(corpus: Corpus, qv: np.ndarray, raw_dense: np.ndarray | None, mask: np.ndarray, cfg: RetrievalConfig) -> tuple[np.ndarray, np.ndarray, float]:
    """(raw question~question cosine, question evidence, its median) per chunk; NaN for
    chunks that answer no interview question. The evidence is half the question's own
    similarity, half its answers' mean dense score: a short bullet ("Ting tager tid!")
    is understood through the question it answers."""
    has_q = corpus.q_index >= 0
    sel = mask & has_q
    qs = corpus.q_vectors @ qv
    raw = np.where(has_q, qs[np.maximum(corpus.q_index, 0)], np.nan).astype(np.float32)
    if not sel.any():
        return raw, raw, 0.0
    per_chunk: np.ndarray = raw
    if cfg.q_evidence and raw_dense is not None and not corpus.partial:
        d = center_by_language(raw_dense, corpus.lang_codes, len(corpus.lang_names), mask)
        per_chunk = center_by_language(np.nan_to_num(raw, nan=0.0), corpus.lang_codes, len(corpus.lang_names), sel)
        mean = group_mean(d, corpus)
        per_chunk = (1 - cfg.q_evidence) * per_chunk + cfg.q_evidence * mean[np.maximum(corpus.group, 0)]
        per_chunk = np.where(has_q, per_chunk, np.nan).astype(np.float32)
        return raw, per_chunk, float(np.nanmedian(per_chunk[sel]))
    # the median over distinct questions (not chunks: long answers would weigh more)
    return raw, per_chunk, float(np.median(qs[np.unique(corpus.q_index[sel])]))


def lexical_leg(corpus: Corpus, query: str, cfg: RetrievalConfig) -> tuple[np.ndarray, bool]:
    """(BM25 of every chunk, is this a keyword query). BM25 on chunks in another
    language than the question is mostly noise: down-weighted."""
    qlang = detect(query)
    w = np.where(corpus.in_language(qlang), 1.0, cfg.cross_lang_lexical).astype(np.float32)
    tokens = query_tokens(query)
    keyword = bool(tokens) and "?" not in query and len(query.split()) <= cfg.keyword_words
    return corpus.lexical.scores(tokens) * w, keyword


def compute_legs(corpus: Corpus, queries: list[str], mask: np.ndarray, cfg: RetrievalConfig, store=None, filters=None) -> Legs:
    n = len(corpus)
    legs = Legs(detect(queries[0]), mask, np.full(n, -1.0, np.float32), [], [], [], np.full(n, np.nan, np.float32), [], [])
    focus, own = _own_texts(corpus, queries[0])
    # every text this question embeds, in one forward pass where the embedder can
    embed_queries(corpus.embeddings, [own[0], *queries[1:], *own[1:]])
    for j, q in enumerate(queries):
        legs.weights.append(1.0 if j == 0 else cfg.w_extra)
        qv = query_vector(corpus.embeddings, q)
        # the user's question is matched to passages by what it asks (knowledge/query.py)
        pv = question_vector(corpus.embeddings, views(q, focus)) if j == 0 else qv
        raw, dense = dense_leg(corpus, pv, mask, cfg, store, filters)
        if j == 0:
            # relevance is calibrated on the user's own words: extra queries (an LLM's
            # translation) help the ranking, but would move the features off what was fitted
            legs.sims = raw
        legs.dense.append(dense)
        if cfg.question_match and len(corpus.q_vectors):
            q_raw, ev, floor = question_leg(corpus, qv, raw, mask, cfg)
            if j == 0:
                legs.q_raw = q_raw
            legs.question.append(ev)
            legs.question_floor.append(floor)
        lex, kw = lexical_leg(corpus, q, cfg)
        legs.lexical.append(lex)
        legs.keyword.append(kw)
    legs.lex_share = word_share(corpus, queries[0])
    if focus:
        fv = query_vector(corpus.embeddings, focus)
        legs.focus_sims = corpus.vectors @ fv
        if len(corpus.q_vectors):
            qs = corpus.q_vectors @ fv
            legs.focus_q = np.where(corpus.q_index >= 0, qs[np.maximum(corpus.q_index, 0)], np.nan).astype(np.float32)
    return legs


def _own_texts(corpus: Corpus, q: str) -> tuple[str | None, list[str]]:
    """The question's focus (None in a partial snapshot) and every text embedded for the
    user's own question ``q`` (canonical): itself, the views it is matched by, its focus."""
    focus = None if corpus.partial else corpus.lexical.focus(core(q) or q)
    return focus, [q, *views(q, focus), *([focus] if focus else [])]


def query_texts(corpus: Corpus, query: str) -> list[str]:
    """The texts ``compute_legs`` embeds for the user's own question (as queries)."""
    return _own_texts(corpus, canonical(query))[1]


def word_share(corpus: Corpus, query: str) -> np.ndarray:
    """Per chunk, the share of the question's content words (stop words aside) it holds, in
    any inflection and either language's stemming: the same number in any size of case base."""
    from knowledge.lexical import _WORD, STOPWORDS

    words = {w for w in _WORD.findall(query.lower()) if len(w) > 2 and w not in STOPWORDS["da"] and w not in STOPWORDS["en"]}
    out = np.zeros(len(corpus), np.float32)
    if not words:
        return out
    for w in words:
        out += corpus.lexical.containing(w)
    return out / len(words)


# -- fusion -----------------------------------------------------------------------------
def fuse(legs: Legs, cfg: RetrievalConfig) -> np.ndarray:
    """One ranking score per chunk: each leg rescaled (median 0, best 1), weighted and
    summed. Measured against reciprocal-rank fusion, which lets a weak leg outvote a
    strong one and ranks the ties of "every bullet under one question" arbitrarily."""
    mask = legs.mask
    fused = np.zeros(len(mask), np.float64)
    for j, w in enumerate(legs.weights):
        if j < len(legs.dense):
            fused += cfg.w_dense * w * rescale(legs.dense[j], mask)
        if j < len(legs.question):
            # a boost for the answers to the best-matching questions, never a penalty
            fused += cfg.w_question * w * rescale(legs.question[j], mask, legs.question_floor[j], low=0.0)
        if j < len(legs.lexical):
            w_lex = cfg.w_lexical_keyword if legs.keyword[j] else cfg.w_lexical
            fused += w_lex * w * rescale(legs.lexical[j], mask, floor=0.0, low=0.0)
    if mask.any():
        fused = np.where(mask, fused - fused[mask].min() + 1e-6, 0.0)  # "> 0 means candidate"
    return fused


# -- search -----------------------------------------------------------------------------
@dataclass
class Scored:
    """Everything one question computes over the snapshot: legs, fused ranking score,
    relevance features and the calibrated relevance of every chunk."""

    query: str
    language: str
    mask: np.ndarray
    fused: np.ndarray
    feats: np.ndarray
    rel: np.ndarray
    model: RelevanceModel

    @property
    def best(self) -> float:
        return float(self.rel[self.mask].max()) if self.mask.any() else 0.0


def featurize(corpus: Corpus, query: str, mask: np.ndarray, cfg: RetrievalConfig, store=None,
              filters: dict | None = None, extra_queries: Iterable[str] = ()) -> tuple[Legs, np.ndarray, np.ndarray]:
    """(legs, fused ranking score, relevance features) of every chunk for one question:
    what ``score`` predicts from and what ``eval/fit.py`` fits on."""
    queries = [canonical(query), *[q for q in extra_queries if q and q.strip()]]
    legs = compute_legs(corpus, queries, mask, cfg, store, filters)
    # the relevance reads only the user's own words (legs.sims, q_raw, focus: see compute_legs)
    return legs, fuse(legs, cfg), features(corpus, legs)


def score(
    corpus: Corpus,
    query: str,
    filters: dict | None = None,
    cfg: RetrievalConfig = RetrievalConfig(),
    store=None,
    extra_queries: Iterable[str] = (),
    model: RelevanceModel | None = None,
) -> Scored:
    model = model or model_for(corpus.model)
    mask = corpus.meaning_mask(filters)  # rows still waiting for their vectors cannot be scored
    n = len(corpus)
    if n == 0 or not mask.any():
        z = np.zeros(n)
        language = detect(query)
        return Scored(query, language, mask, z, np.zeros((n, len(model.names))), z, model.for_language(language))
    legs, fused, feats = featurize(corpus, query, mask, cfg, store, filters, extra_queries)
    rel = np.where(mask, model.predict(feats), 0.0)
    # the thresholds fitted for questions in this language decide what answers
    return Scored(query, legs.language, mask, fused, feats, rel, model.for_language(legs.language))


def search(
    corpus: Corpus,
    query: str,
    k: int = 10,
    filters: dict | None = None,
    cfg: RetrievalConfig = RetrievalConfig(),
    store=None,
    extra_queries: Iterable[str] = (),
    model: RelevanceModel | None = None,
) -> Result:
    """Rank the chunks for ``query``: ``hits`` are the top ``k`` by fused score (at most
    ``per_doc_cap`` per interview first), each with its calibrated relevance.
    ``extra_queries`` (e.g. an LLM translation) add legs of their own. ``store`` is
    only needed for a partial snapshot (its dense leg asks Chroma)."""
    return ranking(corpus, score(corpus, query, filters, cfg, store, extra_queries, model), k, cfg.per_doc_cap)


def ranking(corpus: Corpus, s: Scored, k: int, per_doc_cap: int) -> Result:
    """The top ``k`` of one question's scores, as ``search`` returns them."""
    picked = diversify(ranked(s.fused, s.mask), corpus, k, per_doc_cap)
    # the quotes the calibrated relevance says answer lead, most relevant first; the rest keep
    # the fused order. In a small case base the fused legs, each rescaled over a few passages,
    # can put a clear answer fourth (a seed's own bullet, relevance 0.8, under three weak ones)
    bar = s.model.threshold
    picked = sorted(picked, key=lambda r: (0, -float(s.rel[r])) if s.rel[r] >= bar else (1, 0.0))
    return _result(corpus, s, [hit(corpus, r, s) for r in picked])


def relevant(
    corpus: Corpus,
    query: str,
    filters: dict | None = None,
    cfg: RetrievalConfig = RetrievalConfig(),
    store=None,
    extra_queries: Iterable[str] = (),
    model: RelevanceModel | None = None,
    floor: float | None = None,
) -> Result:
    """Every chunk, in every searched interview, whose relevance reaches ``floor``
    (default: the model's weak threshold), most relevant first: what an answer chooses
    from. Not capped: the answer decides how many to show."""
    s = score(corpus, query, filters, cfg, store, extra_queries, model)
    lim = s.model.weak_threshold if floor is None else floor
    rows = np.flatnonzero(s.mask & (s.rel >= lim))
    rows = rows[np.lexsort((-s.fused[rows], -s.rel[rows]))]
    seen: set[str] = set()
    hits = []
    for r in rows:
        text = corpus.texts[r].strip()
        if text not in seen:
            seen.add(text)
            hits.append(hit(corpus, int(r), s))
    return _result(corpus, s, hits)


def _result(corpus: Corpus, s: Scored, hits: list[Hit]) -> Result:
    return Result(s.query, s.language, hits, s.best, not s.best >= s.model.threshold, s.model, corpus.interviews_in(s.mask))


def hit(corpus: Corpus, r: int, s: Scored) -> Hit:
    return Hit(r, corpus.ids[r], corpus.texts[r], corpus.meta(r), float(s.fused[r]), float(s.rel[r]))


def ranked(fused: np.ndarray, mask: np.ndarray, head: int = 400) -> list[int]:
    """Candidate rows best first (only the head of the ranking is ever used)."""
    cand = np.flatnonzero(mask & (fused > 0))
    if cand.size > head:
        cand = cand[np.argpartition(-fused[cand], head)[:head]]
    return [int(r) for r in cand[np.argsort(-fused[cand], kind="stable")]]


def diversify(order: list[int], corpus: Corpus, k: int, cap: int) -> list[int]:
    """Take the fused order, at most ``cap`` chunks per interview and no duplicate
    quotes; top up from the overflow when fewer interviews than needed match."""
    if k <= 0:
        return []
    picked: list[int] = []
    overflow: list[int] = []
    per_doc: dict[str, int] = {}
    seen: set[str] = set()
    for r in order:
        text = corpus.texts[r].strip()
        if text in seen:
            continue
        seen.add(text)
        doc = corpus.columns["doc_id"][r]
        if cap <= 0 or per_doc.get(doc, 0) < cap:
            per_doc[doc] = per_doc.get(doc, 0) + 1
            picked.append(r)
        else:
            overflow.append(r)
        if len(picked) >= k:
            break
    return (picked + overflow)[:k]

