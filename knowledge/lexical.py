"""BM25 over the chunks, with Snowball stemming per language (bm25s + PyStemmer).

Each chunk is stemmed with its own language's stemmer; a query is stemmed with
both (the union of stems), so a Danish question meets Danish chunks stemmed the
Danish way and still matches names and loan words in English chunks. The index
is built once per store version by the retriever and kept in memory.
"""
from __future__ import annotations

import json
import math
import re
import threading
from collections import Counter
from pathlib import Path
from typing import Sequence

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_DANISH, STOPWORDS_EN

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STEMMERS = {"da": "danish", "en": "english"}
# question words are stop words for retrieval: every interview question has them
_EXTRA_STOP = {"hvad", "hvilke", "hvilken", "hvordan", "hvorfor", "hvem", "hvornår", "what", "which", "how", "why", "who", "when", "did", "does", "do", "i", "you"}
STOPWORDS = {"da": set(STOPWORDS_DANISH) | _EXTRA_STOP, "en": set(STOPWORDS_EN) | _EXTRA_STOP}


_LOCAL = threading.local()


def _stemmer(lang: str) -> Stemmer.Stemmer:
    # one per thread: PyStemmer's Stemmer has internal state and "must not be called
    # concurrently", and Streamlit answers sessions from several threads
    cache: dict[str, Stemmer.Stemmer] | None = getattr(_LOCAL, "stemmers", None)
    if cache is None:
        cache = _LOCAL.stemmers = {}
    algo = _STEMMERS.get(lang, "english")
    if algo not in cache:
        cache[algo] = Stemmer.Stemmer(algo)
    return cache[algo]


def tokenize(text: str, lang: str) -> list[str]:
    """Lower-cased, stop-word-free, stemmed tokens of ``text`` in ``lang``."""
    stop = STOPWORDS.get(lang, STOPWORDS["en"])
    words = [w for w in _WORD.findall(text.lower()) if w not in stop and len(w) > 1]
    return _stemmer(lang).stemWords(words)


def query_tokens(text: str) -> list[str]:
    """Stems of a query under both languages (deduplicated, order kept)."""
    seen: dict[str, None] = {}
    for lang in ("da", "en"):
        for t in tokenize(text, lang):
            seen.setdefault(t, None)
    return list(seen)


def _idf(n: int, df: Counter[str]) -> dict[str, float]:
    return {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}


class LexicalIndex:
    """BM25 scores for every chunk at once, so fusion and filters stay vectorised."""

    def __init__(self, texts: Sequence[str], languages: Sequence[str]) -> None:
        self.n = len(texts)
        # the texts are kept by reference only (the caller may make them lazily): the
        # token lists are needed once, for the index and document frequencies
        self._texts = texts
        self._langs = languages
        doc_tokens = [tokenize(t, lang or "da") for t, lang in zip(texts, languages)]
        self.bm25 = bm25s.BM25()
        if self.n:
            # bm25s refuses empty documents in its vocabulary maths: give them a token of their own
            self.bm25.index([toks or ["\x00empty"] for toks in doc_tokens], show_progress=False)
            self.vocab = self.bm25.vocab_dict
        else:
            self.vocab = {}
        df: Counter[str] = Counter()
        # per language too: which words every interview uses (the case base's topic)
        self._lang_df: dict[str, Counter[str]] = {}
        self._lang_n: Counter[str] = Counter()
        for toks, lang in zip(doc_tokens, languages):
            df.update(set(toks))
            self._lang_df.setdefault(lang or "da", Counter()).update(set(toks))
            self._lang_n[lang or "da"] += 1
        del doc_tokens
        self.idf = _idf(self.n, df)

    # -- persisted beside the store (knowledge/snapshot_cache.py) ------------------------
    def save(self, folder: Path) -> None:
        """The BM25 index (bm25s's own format: json + npy) and the per-language document
        frequencies, in ``folder``. Nothing pickled."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        if self.n:
            self.bm25.save(str(folder / "bm25"), show_progress=False)
        doc = {"n": self.n, "lang_n": dict(self._lang_n), "lang_df": {k: dict(v) for k, v in self._lang_df.items()}}
        (folder / "lexical.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, texts: Sequence[str], languages: Sequence[str]) -> LexicalIndex:
        """The index ``save`` wrote, its score matrix memory-mapped (read-only)."""
        folder = Path(folder)
        doc = json.loads((folder / "lexical.json").read_text(encoding="utf-8"))
        self = cls.__new__(cls)
        self.n = int(doc["n"])
        if self.n != len(texts) or self.n != len(languages):
            raise ValueError(f"lexical index of {self.n} chunks for {len(texts)} texts")
        self._texts = texts
        self._langs = languages
        if self.n:
            self.bm25 = bm25s.BM25.load(str(folder / "bm25"), mmap=True)
            if int(self.bm25.scores["num_docs"]) != self.n or len(self.bm25.scores["indptr"]) - 1 != len(set(self.bm25.vocab_dict.values()) - {self.bm25.vocab_dict.get("")}):
                raise ValueError("BM25 index does not match its chunks or vocabulary")
            self.vocab = self.bm25.vocab_dict
        else:
            self.bm25 = bm25s.BM25()
            self.vocab = {}
        self._lang_df = {k: Counter({t: int(c) for t, c in v.items()}) for k, v in doc["lang_df"].items()}
        self._lang_n = Counter({k: int(v) for k, v in doc["lang_n"].items()})
        if sum(self._lang_n.values()) != self.n:
            raise ValueError("per-language counts do not add up to the chunks")
        df: Counter[str] = Counter()
        for counts in self._lang_df.values():
            df.update(counts)  # every chunk has one language: the df is the sum over them
        self.idf = _idf(self.n, df)
        return self

    def topical(self, word: str, share: float = 0.15) -> bool:
        """Does ``word`` occur in at least ``share`` of the chunks of a language (stemmed
        that language's way)? Such words ("bibliotek", "partnership" in a case base about
        library partnerships) say what the case base is about, not what a question asks."""
        for lang, df in self._lang_df.items():
            stems = tokenize(word, lang)
            if stems and df.get(stems[0], 0) >= share * self._lang_n[lang] and self._lang_n[lang] >= 10:
                return True
        return False

    def focus(self, query: str, share: float = 0.15) -> str | None:
        """The query without its topical words ("what are the barriers to library
        partnerships?" -> "what are the barriers?"), or None when it has none or is
        nothing else: what the question asks, for matching the interviews' questions."""
        words = query.split()
        keep = [w for w in words if not (_WORD.search(w) and self.topical(_WORD.findall(w.lower())[0], share))]
        # what is left must say something in either language: "what do they say about the
        # volunteers" without "volunteers" is "de"/"the", which embeds as noise
        if len(keep) == len(words) or not any(tokenize(w, "da") and tokenize(w, "en") for w in keep):
            return None
        return " ".join(keep)

    def containing(self, word: str) -> np.ndarray:
        """Boolean per chunk: the chunk holds ``word`` in any inflection, by either language's
        stemmer; a hyphenated word ("covid-19") needs all its parts, not any chunk with a 19."""
        out = np.ones(self.n, bool)
        for part in word.split("-"):
            has = np.zeros(self.n, bool)
            for stem in {s for lang in ("da", "en") for s in tokenize(part, lang)}:
                if stem in self.vocab:
                    has |= self.scores([stem]) > 0
            out &= has
        return out

    def tokens(self, row: int) -> list[str]:
        """The stemmed tokens of one chunk (re-made on demand, not stored)."""
        return tokenize(self._texts[row], self._langs[row] or "da")

    def scores(self, tokens: Sequence[str], weights: dict[str, float] | None = None) -> np.ndarray:
        """BM25 score of every chunk for ``tokens`` (zeros when nothing matches).
        ``weights`` scales individual terms (for expansion terms worth less than the query's own)."""
        out = np.zeros(self.n, dtype=np.float32)
        known = [t for t in dict.fromkeys(tokens) if t in self.vocab]
        if not known:
            return out
        if not weights:
            return np.asarray(self.bm25.get_scores(known), dtype=np.float32)
        for t in known:
            out += weights.get(t, 1.0) * np.asarray(self.bm25.get_scores([t]), dtype=np.float32)
        return out

    def top_terms(self, rows: Sequence[int], n_terms: int = 8, exclude: Sequence[str] = ()) -> dict[str, float]:
        """The most characteristic stems of some chunks (tf-idf over those rows):
        pseudo-relevance feedback terms, in whatever language those chunks are in."""
        tf: Counter[str] = Counter()
        for r in rows:
            tf.update(set(self.tokens(r)))
        skip = set(exclude)
        # a term must recur in the feedback set, or be rare in the corpus, to be worth adding
        scored = {t: c * self.idf.get(t, 0.0) for t, c in tf.items() if t not in skip and len(t) > 2}
        best = sorted(scored.items(), key=lambda kv: -kv[1])[:n_terms]
        if not best:
            return {}
        top = best[0][1]
        return {t: s / top for t, s in best}
