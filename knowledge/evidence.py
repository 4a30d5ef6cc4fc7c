"""Word evidence: does the case base hold the question's own distinctive words?

Meaning alone cannot tell "Hvad var formålet med Sansefortællingen?" (answerable: the
interview names the project) from a plausible off-topic question in the case base's
vocabulary: for the small multilingual embedder both are "about library partnerships".
Words can. Measured on the labelled questions (eval/README.md): every distinctive word
of a question, by stem, turns up in one interview for about half of the answerable
Danish questions and for none of the plausible off-topic ones. So a question whose
distinctive words are all in one interview, or that names something the interviews
name (a project, place, organisation, person), is answered with the passages that
carry them, even where the calibrated relevance is low.

What is *not* evidence: the case base's everyday vocabulary (a word in 15% or more of
a language's passages: "bibliotek", "partnerskab" in a case base about library
partnerships), stop words and the words that frame a question ("say", "fortæller").
Both are decided per store, from its own word counts, so the rule reads the same on
one interview as on a thousand: a topical word is frequent in any size of case base,
and "all words in one interview" does not get easier as interviews are added the way
"each word somewhere" would.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from knowledge.corpus import Corpus
from knowledge.lexical import STOPWORDS, tokenize
from knowledge.query import canonical, core

_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*", re.UNICODE)
# the words that frame a question rather than say what it is about: question words, modal and
# light verbs, and the verbs and nouns of asking about interviews (in every question, in no answer)
_FRAME = frozenset(
    """say says said think thinks thought tell told mention mentioned describe described interviewee interviewees
    interviewed respondents participants informants people according siger sagde mener fortæller fortalte nævner
    beskriver interviewede interviewpersonerne informanterne deltagerne ifølge
    what which who whom whose when where why how can could would should will shall may might must get got gets make
    made makes does did done have has had was were been being are anything something much many
    hvad hvilke hvilken hvilket hvem hvornår hvor hvorfor hvordan kan kunne skal skulle vil ville må måtte får fik
    fået gør gjorde gjort blev bliver været noget nogen meget mange""".split()
)


@dataclass
class Evidence:
    """What the question's words find in the case base."""

    words: list[str] = field(default_factory=list)  # the distinctive words of the question
    names: list[str] = field(default_factory=list)  # names in the question that the interviews also name
    # per chunk: it carries every distinctive word (or a name the question gives)
    carriers: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    # interviews holding every distinctive word between their passages (integer doc codes)
    docs: set[int] = field(default_factory=set)
    # the question has a word of Danish or English, or of the interviews: "zzq xqv wwqz"
    # embeds somewhere too, and across languages the model reads such a cosine as a match
    readable: bool = True

    @property
    def found(self) -> bool:
        """The case base holds what the question names: every distinctive word in one
        interview, or a name of the question's."""
        return bool(self.names) or bool(self.docs)


RARE = 3  # a single distinctive word is evidence in at most this many passages ...
RARE_SHARE = 0.01  # ... or this share of them, in a large case base


def _stems(word: str) -> set[str]:
    return {s for lang in ("da", "en") for s in tokenize(word, lang)}


def _stop(word: str) -> bool:
    return word in STOPWORDS["da"] or word in STOPWORDS["en"] or word in _FRAME


def distinctive(corpus: Corpus, question: str) -> list[str]:
    """The question's words that say what it asks about: not stop or frame words, and not
    the case base's everyday vocabulary."""
    text = core(canonical(question)) or question
    out: list[str] = []
    for w in _WORD.findall(text.lower()):
        if len(w) < 3 or _stop(w) or w in out or not _stems(w):
            continue
        if corpus.lexical.topical(w):
            continue
        out.append(w)
    return out


def name_spans(question: str) -> list[str]:
    """Names in the question: runs of capitalised words (or words with inner capitals or
    digits: "MitID", "COVID-19") after its first word, joined by the small words names
    contain ("Stories on the Stairs", "Slots- og Kulturstyrelsen")."""
    tokens = re.findall(r"[^\W_][\w\-’']*", " ".join(question.split()))
    spans: list[list[str]] = []
    run: list[str] = []
    for i, t in enumerate(tokens):
        capital = i > 0 and (t[:1].isupper() or any(c.isupper() for c in t[1:]) or any(c.isdigit() for c in t))
        if capital:
            run.append(t)
        elif run and (t.lower() in {"on", "the", "of", "i", "for", "de"}
                      or (t.lower() in {"og", "and"} and run[-1].endswith("-"))):  # "Slots- og Kulturstyrelsen"
            run.append(t)
            continue
        if not capital and run:
            while run and not (run[-1][:1].isupper() or any(c.isdigit() for c in run[-1])):
                run.pop()
            if run:
                spans.append(run)
            run = []
    while run and not run[-1][:1].isupper():
        run.pop()
    if run:
        spans.append(run)
    return [" ".join(s) for s in spans]


def evidence(corpus: Corpus, question: str, mask: np.ndarray | None = None) -> Evidence:
    """What the question's distinctive words and names find among the ``mask`` rows."""
    n = len(corpus)
    mask = np.ones(n, bool) if mask is None else mask
    ev = Evidence(carriers=np.zeros(n, bool))
    if n == 0:
        return ev
    ev.words = distinctive(corpus, question)
    tokens = _WORD.findall(question.lower())
    ev.readable = any(_stop(w) or any(s in corpus.lexical.vocab for s in _stems(w)) for w in tokens)
    codes = corpus.doc_codes
    rows = [corpus.lexical.containing(w) & mask for w in ev.words]
    # one everyday word ("formålet", "økonomien") in an interview is no sign that it answers:
    # a single word counts only when it is rare (a handful of passages, whatever the size)
    if len(rows) == 1 and rows[0].sum() > max(RARE, RARE_SHARE * mask.sum()):
        rows = []
    if rows:
        docs = set(np.unique(codes[rows[0]]).tolist())
        for r in rows[1:]:
            docs &= set(np.unique(codes[r]).tolist())
        ev.docs = {int(d) for d in docs}
        every = np.logical_and.reduce(rows)
        # in an interview that has them all, the passages with the most of them carry the answer
        if ev.docs:
            count = np.sum(rows, axis=0)
            in_docs = np.isin(codes, list(ev.docs))
            best = np.zeros(int(codes.max()) + 1, np.int64)
            np.maximum.at(best, codes[in_docs], count[in_docs])
            ev.carriers |= every | (in_docs & (count > 0) & (count == best[codes]))
    for name in name_spans(question):
        # a name counts even where it is the case base's own topic (a store of one project's
        # interviews names it everywhere): asking about it is asking about what is there
        parts = [w for w in _WORD.findall(name.lower()) if not _stop(w) and len(w) > 1]
        if not parts:
            continue
        rows = np.logical_and.reduce([corpus.lexical.containing(w) & mask for w in parts])
        if rows.any():
            ev.names.append(name)
            ev.carriers |= rows
    return ev
