"""Quote finder matching: the quotes that contain a query's words (in any inflection)
or its exact phrase, how many there are in all, and where in each quote they matched.

Modes (``plan`` resolves ``auto``):

* ``words``: every word of the query occurs in the quote, in some form. A quote's
  word matches a query word when both have the same stem under the Danish or
  under the English Snowball stemmer (the query's language is not known), with
  the lexical index's own words and stemmers (knowledge/lexical.py), so
  "frivillig" finds "frivillige" and "frivilliges", "volunteer" finds "volunteers".
* ``phrase``: the phrase itself, case-insensitive, any whitespace between its
  words, whole words only ("kop kaffe" is not found in "kop kaffen").
* ``meaning``: the semantic search (``Casebase.search``); nothing here.
* ``auto``: a query in double quotes is a phrase, one or two words are words,
  anything longer is meaning.

Pure functions over the retrieval snapshot (``Corpus``: texts, metadata columns,
the filter mask). What makes them fast is a word index built once per snapshot
(on the first search, kept as long as the snapshot): the distinct lower-cased
words, their two stems, and for each word the rows it occurs in. A search then
reads only the postings of the words it wants; the quotes' texts are read again
only for the hits it returns (to find the spans).
"""
from __future__ import annotations

import re
import threading
import weakref
from array import array
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Sequence

import numpy as np

from knowledge.lexical import _WORD, _stemmer, query_tokens
from knowledge.types import Source

if TYPE_CHECKING:
    from knowledge.corpus import Corpus

MODES = ("auto", "words", "phrase", "meaning")
AUTO_WORDS = 2  # auto mode: a query of at most this many words is a words search
# opening and closing double quotes a phrase may be typed in ("…", “…”, „…“, »…«, «…»)
_OPEN = "\"“„”«»"
_CLOSE = "\"”“«»"

Span = tuple[int, int]


@dataclass(frozen=True)
class Plan:
    """What a query asks for: the resolved mode and what to match."""

    mode: str  # "words" | "phrase" | "meaning"
    text: str  # the query without its surrounding quotes, whitespace normalised (as typed for meaning)
    words: tuple[str, ...] = ()  # the query's words as typed (words and phrase mode)


def _unquote(query: str) -> tuple[str, bool]:
    q = query.strip()
    if len(q) >= 2 and q[0] in _OPEN and q[-1] in _CLOSE and q[1:-1].strip():
        return q[1:-1].strip(), True
    return q, False


def plan(query: str, mode: str = "auto") -> Plan:
    """Resolve ``mode`` for ``query``: ``auto`` → ``phrase`` for a query in double
    quotes, ``words`` for one or two words, else ``meaning``."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    text, quoted = _unquote(query)
    text = " ".join(text.split())
    words = tuple(_WORD.findall(text))
    if mode == "auto":
        if quoted:
            mode = "phrase"
        elif words and len(text.split()) <= AUTO_WORDS:
            mode = "words"
        else:
            mode = "meaning"
    if mode == "meaning":
        return Plan("meaning", query.strip())
    return Plan(mode, text, words)


@dataclass
class Match:
    row: int  # row in the corpus
    score: float  # BM25 of the query's words (0 when they are all stop words)
    spans: list[Span]  # what matched, as offsets into corpus.texts[row]
    terms: set[str] = field(default_factory=set)  # the matched words, lower-cased


@dataclass
class Found:
    plan: Plan
    total: int  # every quote (within the filters) that matches, not only those returned
    matches: list[Match]  # the best k, best first


class WordIndex:
    """The corpus's distinct lower-cased words (``lexical._WORD``), their Danish and
    English stems, and the rows each word occurs in (sorted, one entry per row)."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.n = len(texts)
        ids: dict[str, int] = {}
        flat, counts = array("q"), array("q")  # each row's distinct word ids; how many per row
        for text in texts:
            row_ids = dict.fromkeys(ids.setdefault(w.lower(), len(ids)) for w in _WORD.findall(text))
            flat.extend(row_ids)
            counts.append(len(row_ids))
        self.ids = ids
        words = np.frombuffer(flat, dtype=np.int64) if flat else np.zeros(0, np.int64)
        rows = np.repeat(np.arange(self.n, dtype=np.int32), np.frombuffer(counts, dtype=np.int64) if counts else np.zeros(0, np.int64))
        order = np.argsort(words, kind="stable")  # stable: each word's rows stay in row order
        self.rows = rows[order]  # postings, grouped by word id
        self.offsets = np.searchsorted(words[order], np.arange(len(ids) + 1)).astype(np.int64)
        del flat, counts, words, rows, order
        vocab = list(ids)
        self.by_stem: dict[str, dict[str, list[int]]] = {}
        for lang in ("da", "en"):
            table: dict[str, list[int]] = {}
            for i, stem in enumerate(_stemmer(lang).stemWords(vocab)):
                table.setdefault(stem, []).append(i)
            self.by_stem[lang] = table
        self.vocab = vocab

    def forms(self, word: str) -> list[int]:
        """Ids of the corpus words with ``word``'s Danish or its English stem."""
        w = word.lower()
        out = set(self.by_stem["da"].get(_stemmer("da").stemWord(w), ()))
        out.update(self.by_stem["en"].get(_stemmer("en").stemWord(w), ()))
        if w in self.ids:
            out.add(self.ids[w])
        return sorted(out)

    def rows_with(self, word_ids: Sequence[int]) -> np.ndarray:
        """Boolean mask of the rows that contain any of ``word_ids``."""
        m = np.zeros(self.n, dtype=bool)
        for i in word_ids:
            m[self.rows[self.offsets[i]: self.offsets[i + 1]]] = True
        return m


_INDEXES: weakref.WeakKeyDictionary[Corpus, WordIndex] = weakref.WeakKeyDictionary()
_INDEX_LOCK = threading.Lock()


def word_index(corpus: Corpus) -> WordIndex:
    """The snapshot's word index, built on first use and kept as long as the snapshot."""
    with _INDEX_LOCK:
        index = _INDEXES.get(corpus)
        if index is None:
            index = _INDEXES[corpus] = WordIndex(corpus.texts)
        return index


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """The phrase as a regex: case-insensitive, any whitespace between its parts, and
    not inside a longer word at either end."""
    parts = phrase.split()
    body = r"\s+".join(re.escape(p) for p in parts)
    if _WORD.match(parts[0][0]):
        body = r"(?<![^\W_])" + body
    if _WORD.match(parts[-1][-1]):
        body += r"(?![^\W_])"
    return re.compile(body, re.IGNORECASE)


def word_spans(text: str, accepted: set[str]) -> list[Span]:
    """Spans of the words of ``text`` whose lower-cased form is in ``accepted``."""
    return [m.span() for m in _WORD.finditer(text) if m.group().lower() in accepted]


def find(corpus: Corpus, p: Plan, filters: dict | None = None, k: int = 10) -> Found:
    """The quotes matching a words or phrase plan (within ``filters``): how many in all,
    and the best ``k`` with their spans, ordered by BM25 of the query's words, then by
    interview and position."""
    if p.mode not in ("words", "phrase"):
        raise ValueError(f"find matches words or a phrase, not {p.mode!r}")
    mask = corpus.mask(filters)
    if not p.text or not len(corpus):
        return Found(p, 0, [])
    index = word_index(corpus)
    pattern = None
    accepted: set[str] = set()
    if p.mode == "words":
        if not p.words:
            return Found(p, 0, [])
        for word in dict.fromkeys(w.lower() for w in p.words):
            forms = index.forms(word)
            mask &= index.rows_with(forms)
            accepted.update(index.vocab[i] for i in forms)
        rows = np.flatnonzero(mask)
    else:
        # candidates: the rows that have every word of the phrase; the regex decides
        for word in dict.fromkeys(w.lower() for w in p.words):
            wid = index.ids.get(word)
            mask &= index.rows_with([wid] if wid is not None else [])
        pattern = phrase_pattern(p.text)
        rows = np.asarray([r for r in np.flatnonzero(mask) if pattern.search(corpus.texts[r])], dtype=np.int64)
    if not len(rows):
        return Found(p, 0, [])
    bm25 = corpus.lexical.scores(query_tokens(p.text)) if corpus.lexical.n else np.zeros(len(corpus), np.float32)
    doc, start = corpus.columns["doc_id"], corpus.ints["start"]
    order = sorted((int(r) for r in rows), key=lambda r: (-float(bm25[r]), str(doc[r]), int(start[r])))
    matches = []
    for r in order[: max(k, 0)]:
        text = corpus.texts[r]
        if pattern is not None:
            spans = [m.span() for m in pattern.finditer(text)]
            terms = {w.lower() for w in p.words}
        else:
            spans = word_spans(text, accepted)
            terms = {text[a:b].lower() for a, b in spans}
        matches.append(Match(r, float(bm25[r]), spans, terms))
    return Found(p, len(order), matches)


def clip(spans: Sequence[Span], a: int, b: int) -> list[Span]:
    """``spans`` (offsets into a chunk) that lie inside its slice [a, b), as offsets
    into that slice."""
    return [(s - a, e - a) for s, e in spans if a <= s and e <= b]


def quoted(source: Source, text: str, chunk_start: int, spans: Sequence[Span]) -> tuple[Source, list[Span]]:
    """The source with its matches as offsets into ``source.quote``. ``source`` quotes
    a slice of the chunk ``text`` (a long chunk is trimmed around the matched words);
    if that slice lost every match, the whole chunk is quoted instead."""
    a = source.start - chunk_start
    inside = clip(spans, a, a + len(source.quote))
    if inside or not spans:
        return source, inside
    return replace(source, quote=text, start=chunk_start, end=chunk_start + len(text)), list(spans)


@dataclass
class FindResult:
    """A quote finder search: the resolved mode, how many quotes match in all
    (words and phrase mode; the number returned in meaning mode), the best ones,
    and per source the spans in its quote that matched (empty in meaning mode)."""

    query: str
    mode: str  # "words" | "phrase" | "meaning"
    total: int
    sources: list[Source]
    highlights: list[list[Span]]
    words: tuple[str, ...] = ()  # what was matched: the words, or the phrase as one item
    # meaning mode: interviews an ingest under way has not written vectors for yet (word
    # and phrase search already see them)
    not_yet_searchable: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "query": self.query,
            "mode": self.mode,
            "total": self.total,
            "hits": [{**s.to_dict(), "highlights": [list(span) for span in marks]} for s, marks in zip(self.sources, self.highlights)],
            "not_yet_searchable": list(self.not_yet_searchable),
        }

    def what(self, quotes: str = '""') -> str:
        """What was matched, in quotes: '"a" and "b"' (words), '"a b"' (phrase), the query (meaning)."""
        o, c = quotes[0], quotes[-1]
        return " and ".join(f"{o}{w}{c}" for w in (self.words or (self.query,)))

    def count_line(self, quotes: str = '""') -> str:
        """'7 quotes contain "frivillige"', '1 quote contains "a" and "b"'; meaning mode:
        '7 quotes for "query"'."""
        if self.mode == "meaning":
            return f"{self.total} {'quote' if self.total == 1 else 'quotes'} for {self.what(quotes)}"
        return f"{self.total} {'quote contains' if self.total == 1 else 'quotes contain'} {self.what(quotes)}"


def result(query: str, p: Plan, total: int, sources: list[Source], highlights: list[list[Span]]) -> FindResult:
    words = () if p.mode == "meaning" else ((p.text,) if p.mode == "phrase" else tuple(dict.fromkeys(p.words)))
    return FindResult(query, p.mode, total, sources, highlights, words)
