"""One sentence splitter for Danish and English, with exact offsets.

Used where a text is cut into quotable pieces (``ingest.chunk.split_span``)
and where a quote window is chosen (``knowledge.answer.trim_quote``), so both
agree on what a sentence is.

Sentence boundaries come from pysbd (the Golden Rules segmenter, with Danish
and English abbreviation lists), run on one line at a time and at most
``_WINDOW`` characters per call (pysbd's cost grows faster than linearly with
its input). pysbd returns sentence strings, not offsets; they are mapped back
by their non-whitespace characters, which pysbd does not change, so every
span is an exact slice of the input. On top of pysbd, a few rules veto cuts a
reader would never make:

- never after the abbreviations in ``NEVER_END`` (bl.a., f.eks., ca., dvs.,
  e.g., i.e., etc., Mr., Dr., kl., d. ...) or after any dotted
  abbreviation such as "t.o.m." or initials like "H.C.";
- never before a lowercase letter ("3.000 kr. om året", "d. 5. maj");
- never before a digit after a single letter or a day/ordinal ("d. 5. 6. maj");
- never where the text before does not end in . ! ? or … (pysbd also cuts
  before inline list items such as "2." in "i det 2. år");
- a closing quote or bracket that pysbd leaves at the start of the next
  sentence ("»Det er godt.« Så ...") stays with the sentence it closes.

A line break always ends a sentence. If pysbd cannot be used on a piece of
text (it failed, or its output does not map back), a plain punctuation rule
with the same vetoes is used for that piece.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from itertools import accumulate

from knowledge.lang import detect

# Abbreviations (lowercase, without the final period) after which a sentence
# never ends, even before a capital letter.
NEVER_END = frozenset(
    """
    bl.a f.eks ca dvs jf jvf mht osv evt inkl ekskl nr pga ift ifm iflg mv m.m m.fl o.l o.a
    hhv vedr kl d pkt stk tlf ang t.o.m f.o.m p.t s.u a.h.t fhv
    e.g i.e etc mr mrs ms dr prof vs approx cf incl
    """.split()
)
# Closing quotes and brackets that belong to the sentence before them.
_CLOSERS = "\"'”’»«)]}"
# Opening punctuation to look past when checking how the next sentence starts.
_OPENERS = "\"'“”„‘’»«([{-–—•*"

# pysbd is run on at most this many characters at a time.
_WINDOW = 600

_DOTTED_ABBR = re.compile(r"[^\W\d_]{1,4}(?:\.[^\W\d_]{1,4})+", re.UNICODE)
_FALLBACK_END = re.compile(r"[.!?…]+(?=[\"'”’»«)\]}]*\s)")
_LINE = re.compile(r"[^\n]+")
_NON_SPACE = re.compile(r"\S+")


def sentence_spans(text: str, start: int = 0, end: int | None = None, language: str | None = None,
                   until: int | None = None) -> list[tuple[int, int]]:
    """The sentences of ``text[start:end]`` as (start, end) offsets into ``text``.

    Each span is trimmed of surrounding whitespace, spans are in order and do
    not overlap, and together they cover every non-whitespace character of
    the range. ``language`` is "da" or "en"; None guesses it from the text.
    ``until``: only the first spans, up to and including the first that ends
    after ``until`` (exactly as the whole list starts): pysbd stops at the
    window that settles it, which is most of the cost of quoting a long chunk.
    """
    end = len(text) if end is None else end
    if language not in ("da", "en"):
        language = detect(text[start:min(end, start + 3000)], default="da")
    spans: list[tuple[int, int]] = []
    for m in _LINE.finditer(text, start, end):
        a, b = _strip(text, m.start(), m.end())
        if a >= b:
            continue
        cuts = _cuts(text, a, b, language, until)
        bounds = [a, *cuts, b]
        for s, e in zip(bounds, bounds[1:]):
            s, e = _strip(text, s, e)
            if e > s:
                spans.append((s, e))
                if until is not None and e > until:
                    return spans
    return spans


def _strip(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


# -- candidate cuts --------------------------------------------------------------------


def _cuts(text: str, a: int, b: int, language: str, until: int | None = None) -> list[int]:
    """Offsets in (a, b) where a sentence starts, for one stripped line. ``until``: may
    stop early, once the cuts found settle a sentence ending after ``until`` (see
    ``sentence_spans``): every cut a window finds lies after the previous window's
    last one, and ``_vet`` decides each cut from the ones before it alone, so the cuts
    up to that point are exactly those of the whole line."""
    raw: list[int] = []
    pos = a
    while b - pos > _WINDOW:
        if until is not None and raw:
            kept = _vet(text, a, b, sorted(set(c for c in raw if a < c < b)))
            if _ends_after(text, a, kept, until):
                return kept
        # end the window at whitespace so no word is cut in two
        w_end = text.rfind(" ", pos + 1, pos + _WINDOW)
        w_end = w_end if w_end > pos else pos + _WINDOW
        local = [pos + c for c in _piece_cuts(text[pos:w_end], language)]
        if local:
            # the window's last sentence may go on past it: the next window starts there
            raw += local
            pos = local[-1]
        else:
            # one sentence longer than a window: cut it where the window ends
            pos = w_end
            while pos < b and text[pos].isspace():
                pos += 1
            raw.append(pos)
    raw += [pos + c for c in _piece_cuts(text[pos:b], language)]
    return _vet(text, a, b, sorted(set(c for c in raw if a < c < b)))


def _ends_after(text: str, a: int, cuts: list[int], until: int) -> bool:
    """Does a sentence between ``a`` and the cuts (not the open one after the last cut)
    end after ``until``, as ``sentence_spans`` trims it?"""
    for s, e in zip([a, *cuts], cuts):
        s, e = _strip(text, s, e)
        if e > s and e > until:
            return True
    return False


@lru_cache(maxsize=4096)
def _piece_cuts(piece: str, language: str) -> tuple[int, ...]:
    """Sentence starts inside ``piece`` (one line, at most one window long)."""
    try:
        sentences = _processor(language)(piece)
    except Exception:  # pysbd has corner cases of its own; the rule below always works
        sentences = None
    cuts = _map_back(piece, sentences) if sentences else None
    if cuts is None:
        cuts = [m.end() for m in _FALLBACK_END.finditer(piece)]
    return tuple(cuts)


@lru_cache(maxsize=2)
def _processor(language: str):  # type: ignore[no-untyped-def]
    import pysbd

    segmenter = pysbd.Segmenter(language=language, clean=False)
    _memoise_abbreviations(segmenter.language_module)

    # Segmenter.segment maps sentences back by searching the whole text for
    # each one (quadratic, and it drops sentences it cannot find); the
    # processor alone returns the sentences, which _map_back places exactly.
    def run(piece: str) -> list[str]:
        return segmenter.processor(piece).process() or []

    return run


def _memoise_abbreviations(lang) -> None:  # type: ignore[no-untyped-def]
    """Make pysbd's abbreviation pass skip work whose result it already has.

    For every abbreviation found in a line (Danish lists single letters such as "i",
    "s" and "t", so nearly every word is one), pysbd rewrites the whole line once per
    occurrence with ``scan_for_replacements``: a pure function of the line, the
    occurrence and whether the next word is capitalised, which mostly returns the
    line it was given. Remembering its results for the line being processed gives
    exactly pysbd's output (tests/test_sentences.py, tests/test_ingest_identity.py)
    at a fraction of the cost."""
    base = lang.AbbreviationReplacer
    if getattr(base, "_casebase_memo", False):
        return

    class Memoised(base):  # type: ignore[misc, valid-type]
        _casebase_memo = True

        def scan_for_replacements(self, txt, am, ind, char_array):  # type: ignore[no-untyped-def]
            try:
                char = char_array[ind]
            except IndexError:
                char = ""
            key = (txt, am.strip(), str(char).isupper())
            memo = self.__dict__.setdefault("_memo", {})
            out = memo.get(key)
            if out is None:
                out = memo[key] = super().scan_for_replacements(txt, am, ind, char_array)
            return out

        def search_for_abbreviations_in_string(self, text):  # type: ignore[no-untyped-def]
            # pysbd runs two regex searches for every listed abbreviation that occurs in
            # the line as a substring (nearly all single letters do), then a rewrite per
            # occurrence. A plain abbreviation (letters or digits only) can only have its
            # period replaced where the line has whitespace (or its start), the
            # abbreviation and a period, and replacing periods never makes a new such
            # place; so one scan for those places settles every plain abbreviation that
            # has none. Lines with characters whose case folding is not one-to-one
            # ("ſ", "ı", "µ", ...) take pysbd's own path, so IGNORECASE matching and
            # ``lower()`` agree on what "the abbreviation" is.
            if not _simple_case(text):
                return super().search_for_abbreviations_in_string(text)
            lowered = text.lower()
            plain, other = _abbreviation_index(tuple(self.lang.Abbreviation.ABBREVIATIONS))
            todo = [i for word in set(_WORD_BEFORE_DOT.findall(lowered)) for i in plain.get(word, ())]
            todo += [i for i, stripped in other if stripped in lowered]
            for i in sorted(todo):  # pysbd's own order: each rewrite sees the ones before
                stripped = self.lang.Abbreviation.ABBREVIATIONS[i].strip()
                abbrev_match = re.findall(rf"(?:^|\s|\r|\n){stripped}", text, flags=re.IGNORECASE)
                if not abbrev_match:
                    continue
                # pysbd looks behind for "{abbr} " with the braces literal: only a line
                # holding a brace can have a next-word character at all
                char_array = (re.findall(r"(?<={" + str(re.escape(stripped)) + "} ).{1}", text)
                              if "{" in text else [])
                for ind, match in enumerate(abbrev_match):
                    text = self.scan_for_replacements(text, match, ind, char_array)
            return text

    Memoised.__name__ = Memoised.__qualname__ = base.__name__
    lang.AbbreviationReplacer = Memoised


_WORD_BEFORE_DOT = re.compile(r"(?:^|(?<=\s))([^\s.]+)(?=\.)")


@lru_cache(maxsize=4)
def _abbreviation_index(abbreviations: tuple[str, ...]) -> tuple[dict[str, list[int]], list[tuple[int, str]]]:
    """A language's abbreviations by position: the plain ones (letters and digits only)
    by their text, and the others."""
    plain: dict[str, list[int]] = {}
    other: list[tuple[int, str]] = []
    for i, abbr in enumerate(abbreviations):
        stripped = abbr.strip()
        if stripped and re.escape(stripped) == stripped:
            plain.setdefault(stripped, []).append(i)
        else:
            other.append((i, stripped))
    return plain, other


def _simple_case(text: str) -> bool:
    """Does every character of ``text`` lowercase to one character that IGNORECASE
    matching also takes as its lowercase?"""
    return text.isascii() or all(_simple_char(c) for c in set(text) if not c.isascii())


@lru_cache(maxsize=4096)
def _simple_char(c: str) -> bool:
    low = c.lower()
    return len(low) == 1 and low == c.casefold() and c.upper().lower() == low


def _map_back(piece: str, sentences: list[str]) -> list[int] | None:
    """Where each sentence after the first starts in ``piece``, matching on
    non-whitespace characters; None if pysbd's output is not the input."""
    # the piece's words and where each ends in its non-whitespace characters, so a
    # position among those maps back to the piece by a bisection, not a per-character list
    words = [(m.start(), m.end()) for m in _NON_SPACE.finditer(piece)]
    dense = "".join(piece[a:b] for a, b in words)
    ends = list(accumulate(b - a for a, b in words))
    cuts: list[int] = []
    k = 0
    for sentence in sentences:
        key = "".join(sentence.split())
        if not key:
            continue
        if dense[k:k + len(key)] != key:
            return None
        if k:
            w = bisect_right(ends, k)
            cuts.append(words[w][0] + k - (ends[w - 1] if w else 0))
        k += len(key)
    if k != len(dense):
        return None
    return cuts


# -- vetoes ------------------------------------------------------------------------------


def _vet(text: str, a: int, b: int, cuts: list[int]) -> list[int]:
    kept: list[int] = []
    for cut in cuts:
        while cut < b and text[cut].isspace():
            cut += 1
        closed = _keep_closers(text, cut, b)
        if closed is None or closed <= (kept[-1] if kept else a):
            continue
        cut = closed
        if _is_real_end(text, kept[-1] if kept else a, cut):
            kept.append(cut)
    return kept


def _keep_closers(text: str, cut: int, b: int) -> int | None:
    """Move a closing quote/bracket at the start of a sentence back to the one before."""
    i = cut
    while i < b and text[i] in _CLOSERS:
        i += 1
    if i == cut:
        return cut
    if i < b and not text[i].isspace():
        return cut  # an opening quote of the next sentence ("»Hej«, sagde hun")
    while i < b and text[i].isspace():
        i += 1
    return i if i < b else None


def _is_real_end(text: str, prev: int, cut: int) -> bool:
    """Whether a sentence may end before ``cut`` (the start of the next one)."""
    end = cut
    while end > prev and text[end - 1].isspace():
        end -= 1
    if end == cut:
        return False  # no whitespace between the two: not a boundary we keep
    head = text[prev:end]
    nxt = cut
    while nxt < len(text) and text[nxt] in _OPENERS:
        nxt += 1
    first = text[nxt] if nxt < len(text) else ""
    if first.islower():
        return False
    token = head.rsplit(None, 1)[-1] if head.split() else ""
    token = token.rstrip(_CLOSERS)
    if not token or token[-1] not in ".!?…":
        return False  # pysbd also cuts before inline list items ("i det 2. år"): not a sentence end
    if not token.endswith("."):
        return True
    word = token.rstrip(".").lstrip(_OPENERS)
    core = word.lower()
    if core in NEVER_END or _DOTTED_ABBR.fullmatch(core):
        return False
    if first.isdigit() and ((core.isdigit() and len(core) <= 2) or (len(core) == 1 and core.isalpha())):
        return False  # a day or an ordinal before a number: "d. 5. 6. maj", "den 3. 4 gange"
    if len(word) == 1 and word.isupper() and word != "I":
        return False  # an initial: "Anders B. Hansen"
    return True
