"""Answers with verified citations.

Extractive mode quotes the retrieved passages verbatim, grouped by interview.
LLM mode lets a chat model write the answer, then checks it sentence by
sentence: every ``[n]`` must name a retrieved source, every quoted text must
appear verbatim in a source it cites, and every sentence must cite something.
Sentences that fail are removed and listed in ``Answer.flagged``. The check
runs on the stream too (a sentence is shown once it is complete and verified),
so what the user watches appear is exactly what the final answer says.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterator

from langchain_core.language_models.chat_models import BaseChatModel

from knowledge.llm import _text, load_prompt
from knowledge.sentences import sentence_spans
from knowledge.types import Answer, Source

MAX_QUOTE_CHARS = 420

# The lead says what was found, never what was not seen: an interview without a quote
# may have a weaker match (offered apart) or no match found, not "nothing on it".
LEAD = {
    "en": "{m} of the {total} interviews answer this{tail}. The best quote from each:",
    "da": "{m} af de {total} interview svarer på det{tail}. Det bedste citat fra hvert:",
}
LEAD_ALL = {
    "en": "All {total} interviews answer this. The best quote from each:",
    "da": "Alle {total} interview svarer på det. Det bedste citat fra hvert:",
}
LEAD_ONE = {
    "en": "One of the {total} interviews answers this{tail}:",
    "da": "Et af de {total} interview svarer på det{tail}:",
}
TAIL_WEAK = {"en": "; {w} more have weaker matches (below)", "da": "; {w} andre har svagere match (nedenfor)"}
TAIL_WEAK_ONE = {"en": "; 1 more has a weaker match (below)", "da": "; 1 andet har et svagere match (nedenfor)"}
TAIL_NONE = {"en": "; no match was found in {s}", "da": "; i {s} blev der ikke fundet noget match"}
MORE = {"en": "more from this interview", "da": "mere fra dette interview"}
REFUSAL = {
    "en": "I found nothing in the interviews that answers this question.",
    "da": "Jeg fandt intet i interviewene, der besvarer spørgsmålet.",
}
FOLLOW_UP_NOTICE = {
    "en": "Read as a follow-up to your previous question: \u201c{query}\u201d.",
    "da": "Læst som en opfølgning på dit forrige spørgsmål: \u201c{query}\u201d.",
}
WAITING_NOTICE = {  # a large first ingest shows text before vectors (ingest/sync.py)
    "en": "{n} {interviews} not yet searchable by meaning (ingest in progress).",
    "da": "{n} {interviews} endnu ikke søgbare på betydning (indlæsning i gang).",
}
FALLBACK_NOTICE = {
    "en": "The language model could not be used ({why}); showing the extractive answer instead.",
    "da": "Sprogmodellen kunne ikke bruges ({why}); viser i stedet det udtrukne svar.",
}
FLAG_NOTICE = {
    "en": "{k} unsupported sentence(s) were removed from the model's answer.",
    "da": "{k} sætning(er) uden belæg blev fjernet fra modellens svar.",
}


# -- quotes ----------------------------------------------------------------------------
def trim_quote(text: str, terms: set[str], max_chars: int = MAX_QUOTE_CHARS) -> tuple[int, int]:
    """(start, end) of the part of ``text`` to quote: the whole text when short,
    else the window of whole sentences with the most query words. Sentences are
    the ones chunking uses (``knowledge.sentences``), so "bl.a.", "e.g." or
    "d. 5. maj" never end a window. Always a verbatim slice, so offsets into the
    source stay valid."""
    if len(text) <= max_chars:
        return 0, len(text)
    # without query words the first window wins: only the sentences up to its end matter
    first = len(text) - len(text.lstrip())
    bounds = sentence_spans(text, until=None if terms else first + max_chars) or [(0, len(text))]

    def hits(a: int, b: int) -> int:
        words = set(re.findall(r"\w+", text[a:b].lower()))
        return len(words & terms)

    best, best_score = bounds[0], -1
    for i in range(len(bounds)):
        a, b = bounds[i]
        j = i
        while j + 1 < len(bounds) and bounds[j + 1][1] - a <= max_chars:
            j += 1
            b = bounds[j][1]
        score = hits(a, b)
        if score > best_score:
            best, best_score = (a, b), score
    a, b = best
    if b - a > max_chars:  # one sentence longer than the limit: cut at a word boundary
        cut = text.rfind(" ", a, a + max_chars)
        b = cut if cut > a else a + max_chars
    return a, b


def number_by_appearance(sources: list[Source]) -> list[Source]:
    """The sources in the order the extractive answer shows them (grouped by interview,
    interviews in order of their best quote), renumbered 1..n: so the [n] markers
    read in order in the answer text and the sources list matches it."""
    groups: dict[str, list[Source]] = {}
    for s in sources:
        groups.setdefault(s.doc_id, []).append(s)
    ordered = [s for items in groups.values() for s in items]
    return [s if s.n == i else replace(s, n=i) for i, s in enumerate(ordered, 1)]


def lead(language: str, m: int, total: int, weaker: int = 0, silent: int = 0) -> str:
    """How many interviews answer, how many more have weaker matches, and in how many no
    match was found (the rest, when the caller does not say)."""
    lang = language if language in LEAD else "en"
    if m >= total:
        return LEAD_ALL[lang].format(total=total) if total > 1 else ""
    weaker = min(weaker, total - m)
    silent = min(silent, total - m - weaker)
    tail = ""
    if weaker:
        tail += (TAIL_WEAK_ONE if weaker == 1 else TAIL_WEAK)[lang].format(w=weaker)
    if silent:
        tail += TAIL_NONE[lang].format(s=silent)
    return (LEAD_ONE if m == 1 else LEAD)[lang].format(m=m, total=total, tail=tail)


def extractive(question: str, language: str, sources: list[Source], refused: bool, interviews: int = 0,
               weaker: int = 0, silent: int = 0) -> str:
    """Lead sentence in the question's language (how many interviews answer, how many have
    weaker matches, in how many no match was found), then per interview its best quote,
    with the others cited."""
    if refused or not sources:
        return REFUSAL.get(language, REFUSAL["en"])
    lang = language if language in LEAD else "en"
    groups: dict[str, list[Source]] = {}
    for s in sources:
        groups.setdefault(s.doc_id, []).append(s)
    m = len(groups)
    total = max(interviews, m)
    opening = lead(lang, m, total, weaker, silent)
    lines = [opening, ""] if opening else []
    for items in groups.values():
        first = items[0]
        who = first.interviewee or first.doc_id
        extra = ", ".join(p for p in (first.role, first.organisation) if p and p != who)
        title = f"**{who}**" + (f" ({extra})" if extra else "") + (f" \u2014 {first.case}" if first.case else "")
        lines.append(title)
        lines.append(f"- \u201c{first.quote}\u201d [{first.n}]")
        if len(items) > 1:
            lines.append(f"- {MORE[lang]}: " + " ".join(f"[{s.n}]" for s in items[1:]))
        lines.append("")
    return "\n".join(lines).rstrip()


# -- validation of model output ------------------------------------------------------
CITE = re.compile(r"\[(\d+)\]")
_QUOTED = re.compile(r"\u201c([^\u201d]+)\u201d|\u201e([^\u201c\u201d]+)[\u201c\u201d]|\u00ab([^\u00bb]+)\u00bb|\"([^\"]+)\"")
_OPEN_CLOSE = {"\u201c": "\u201d", "\u201e": "\u201c", "\u00ab": "\u00bb", '"': '"'}


def _norm(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u00a0", " ")
    return " ".join(text.split())


def split_units(text: str) -> tuple[list[str], str]:
    """Split model text into complete units (sentences / lines, each with its trailing
    citations) and the unfinished rest. Never splits inside a quotation."""
    units, start, i, closer = [], 0, 0, None
    n = len(text)
    while i < n:
        ch = text[i]
        if closer:
            if ch == closer:
                closer = None
        elif ch in _OPEN_CLOSE:
            closer = _OPEN_CLOSE[ch]
        elif ch == "\n" or (ch in ".!?\u2026" and i + 1 < n and text[i + 1] in " \t\n"):
            j = i + 1
            # trailing citations belong to the sentence they close: "... end. [2][3]"
            while True:
                m = re.match(r"[ \t]*(\[\d+\])", text[j:])
                if not m:
                    break
                j += m.end()
            if j >= n and ch != "\n":
                break  # a citation may still be streaming in
            units.append(text[start:j])
            start = i = j
            continue
        i += 1
    return units, text[start:]


def validate_unit(unit: str, sources: list[Source]) -> tuple[str, str | None]:
    """(kept text, reason it was removed or None). Empty / heading-like units pass."""
    body = unit.strip()
    if not body or re.fullmatch(r"[#*\-\s]*", body):
        return unit, None
    by_n = {s.n: s for s in sources}
    cited = [int(x) for x in CITE.findall(body)]
    bad = [n for n in cited if n not in by_n]
    good = [n for n in cited if n in by_n]
    if bad:
        return "", f"cites a source that does not exist ({', '.join(f'[{n}]' for n in bad)}): {body}"
    if not good:
        # a line introducing a list ("They mention:") carries no claim of its own
        if body.endswith(":") and len(body) < 160 and not _QUOTED.search(body):
            return unit, None
        return "", f"no citation: {body}"
    for m in _QUOTED.finditer(body):
        quoted = next(g for g in m.groups() if g)
        if len(quoted.split()) < 3:
            continue  # a scare-quoted word or title, not a quotation
        # verbatim up to whitespace, typographic apostrophes and the case of the first letter
        q = _norm(quoted)
        variants = {q, q[:1].swapcase() + q[1:]}
        if not any(v in _norm(by_n[n].quote) for v in variants for n in good):
            return "", f"quote not found in its cited source: \u201c{quoted}\u201d"
    return unit, None


def validate(text: str, sources: list[Source]) -> tuple[str, list[str]]:
    """Whole-text validation: the kept text and the reasons for every removal."""
    units, rest = split_units(text + "\n")
    kept, flagged = [], []
    for u in units + ([rest] if rest.strip() else []):
        out, why = validate_unit(u, sources)
        kept.append(out)
        if why:
            flagged.append(why)
    return tidy("".join(kept)), flagged


def tidy(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# -- LLM mode --------------------------------------------------------------------------
def format_sources(sources: list[Source]) -> str:
    """Sources for the prompt, each inside its own tag so interview text stays data.
    Angle brackets (and double quotes in attributes) are escaped so neither a quote
    nor its metadata can close its tag."""
    parts = []
    for s in sources:
        who = _attr(", ".join(p for p in (s.interviewee, s.role, s.organisation) if p))
        quote = s.quote.replace("<", "&lt;").replace(">", "&gt;")
        q = f' question="{_attr(s.question)}"' if s.question else ""
        parts.append(f'<source n="{s.n}" who="{who}"{q}>\n{quote}\n</source>')
    return "\n".join(parts)


def _attr(value: str) -> str:
    return value.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def stream_llm(
    model: BaseChatModel, question: str, language_name: str, sources: list[Source], flagged: list[str]
) -> Iterator[str]:
    """Stream the model's answer, yielding only verified units; reasons for removed
    units are appended to ``flagged``. Raises whatever the model raises."""
    messages = load_prompt("answer").format_messages(
        language=language_name, sources=format_sources(sources), question=question
    )
    buf = ""
    for chunk in model.stream(messages):
        buf += _text(chunk.content)
        units, buf = split_units(buf)
        for u in units:
            out, why = validate_unit(u, sources)
            if why:
                flagged.append(why)
            if out:
                yield out
    if buf.strip():
        out, why = validate_unit(buf, sources)
        if why:
            flagged.append(why)
        if out:
            yield out


def fallback_answer(question: str, language: str, sources: list[Source], refused: bool, why: str, interviews: int = 0,
                    weak: list[Source] | None = None, silent: list[str] | None = None, weaker: int | None = None) -> Answer:
    notice = FALLBACK_NOTICE.get(language, FALLBACK_NOTICE["en"]).format(why=why)
    sources = number_by_appearance(sources)
    weak, silent = weak or [], silent or []
    n_weaker = len({s.doc_id for s in weak}) if weaker is None else weaker
    text = extractive(question, language, sources, refused, interviews, n_weaker, len(silent))
    return Answer(question, language, "extractive", text, sources, refused, notice, weak=weak, interviews=interviews,
                  silent=list(silent), weaker=n_weaker)


def flag_notice(language: str, k: int) -> str:
    return FLAG_NOTICE.get(language, FLAG_NOTICE["en"]).format(k=k) if k else ""


def waiting_notice(language: str, n: int) -> str:
    """"12 interviews were not yet searchable by meaning (ingest in progress)."; "" for none."""
    if not n:
        return ""
    words = {"en": ("interview was", "interviews were"), "da": ("interview var", "interviews var")}
    one, many = words.get(language, words["en"])
    return WAITING_NOTICE.get(language, WAITING_NOTICE["en"]).format(n=n, interviews=one if n == 1 else many)
