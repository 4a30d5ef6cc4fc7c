"""Text → Interview: who was interviewed, about which case, which questions
were asked and which verbatim passages answer them.

The parser never rewrites the text: it works on logical lines (offsets into
the text) and every Span it produces is a slice of the original, so a quote
can always be checked against the file. Rules are general (interview
conventions in Danish and English), never tuned to one document.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .model import QA, Interview, Section, Span
from .parse_lines import (
    EDITOR_SIGNED,
    TERMINAL,
    Line,
    classify,
    clean_question,
    logical_lines,
    make_span,
    question_bounds,
    resolve_questions,
    trim,
)
from .parse_people import LABEL_FIELDS, fill_people
from .parse_speakers import credit_turns
from .parse_turns import fill_turns, find_transcript

__all__ = ["detect_language", "make_span", "parse_interview", "trim"]

# A line wholly in brackets or parentheses among the answers ("(Interviewet er forkortet.)",
# "[Red.: …]") is an editor's note, as is a line the editor signs (``EDITOR_SIGNED``).
_BRACKETED = re.compile(r"^(?:\[[^\[\]]*\]|\([^()]*\))$")


def _editor_note(line: str) -> bool:
    return bool(_BRACKETED.match(line) or EDITOR_SIGNED.match(line))


def parse_interview(
    text: str, *, doc_id: str, source_path: str, content_hash: str, meta: dict | None = None
) -> Interview:
    """Parse extracted interview text into an Interview whose spans index into text."""
    meta = meta or {}
    iv = Interview(doc_id=doc_id, source_path=source_path, text=text, content_hash=content_hash)
    lines = [classify(text, s, e) for s, e in logical_lines(text)]
    resolve_questions(text, lines)
    transcript = find_transcript(text, lines, str(meta.get("interviewer") or "").strip())
    if transcript is not None:
        # a dialogue transcript: the lines before the first turn are its title and intro
        preamble = [ln for ln in lines if ln.end <= transcript.first]
        for ln in preamble:
            if ln.kind in ("question", "numbered", "continued"):
                ln.kind = "text"
        scan = _scan(iv, text, preamble, Counter())
        if iv.sections:  # a heading in the preamble does not hold the turns
            iv.sections[-1].end = min(iv.sections[-1].end, transcript.first)
        fill_people(iv, text, preamble, scan.labels, transcript.first, Counter(), scan.title_line)
        _describe(iv, scan)
        fill_turns(iv, transcript)
    else:
        speakers = Counter(ln.speaker for ln in lines if ln.speaker)
        scan = _scan(iv, text, lines, speakers)
        fill_people(iv, text, lines, scan.labels, scan.first_q, speakers, scan.title_line)
        _describe(iv, scan)
    if not any(q.answers for q in iv.qa):
        iv.structure = "paragraphs"
        # "?" lines with nothing under them are prose, not an interview's questions
        spans = [span for span, _ in scan.orphans] + [q.question_span for q in iv.qa if q.question_span]
        iv.paragraphs = sorted(spans, key=lambda s: s.start)
        iv.qa, iv.case_description = [], []
        iv.warnings.append(
            f"no question/answer structure found; indexed as {len(iv.paragraphs)} paragraphs"
        )
    iv.language = detect_language(text)
    _apply_meta(iv, meta)
    if transcript is not None and iv.structure == "qa":
        credit_turns(iv, transcript, meta)
    else:
        for qa in iv.qa:  # a Q&A interview's answers are its interviewee's words
            for a in qa.answers:
                a.speaker = a.speaker or iv.interviewee
    _warn(iv)
    return iv


@dataclass
class _Scan:
    labels: dict[str, str] = field(default_factory=dict)
    orphans: list[tuple[Span, bool]] = field(default_factory=list)  # (span, before the first question)
    first_q: int | None = None
    title_line: Line | None = None


def _scan(iv: Interview, text: str, lines: list[Line], speakers: Counter) -> _Scan:
    """Walk the lines: sections, questions with their answers, label lines, the title,
    and the blocks that answer no question (intro, case description)."""
    out = _Scan()
    labels, orphans = out.labels, out.orphans
    section, qa = "", None
    block: list[int] | None = None  # [start, end, last line length, longest line length]
    level = 0  # heading level of the current section
    numbers = {ln.qnum for ln in lines if ln.kind == "question" and ln.qnum}

    def close() -> None:
        nonlocal block
        if block and (span := make_span(text, block[0], block[1])):
            if qa is not None:
                qa.answers.append(span)
            else:
                orphans.append((span, out.first_q is None))
        block = None

    for idx, ln in enumerate(lines):
        body = ln.body if (not ln.speaker or speakers[ln.speaker] >= 2) else ln.start
        if ln.kind in ("blank", "rule"):
            close()
        elif ln.kind == "heading":
            close()
            qa = None
            if out.title_line is None and not iv.sections and out.first_q is None and not orphans:
                out.title_line = ln  # the document title names the case, it is no section
                continue
            if iv.sections:
                iv.sections[-1].end = ln.start
            iv.sections.append(Section(ln.title, ln.start, len(text)))
            section, level = ln.title, ln.level
        elif ln.kind == "question":
            close()
            if ln.level and level >= ln.level and iv.sections:
                # a "## question" ends a "## section": they are siblings
                iv.sections[-1].end, section, level = ln.start, "", 0
            out.first_q = ln.start if out.first_q is None else out.first_q
            q = make_span(text, *question_bounds(text, *ln.qspan))
            # unnumbered: its ordinal, unless a numbered question holds that number ("Interviewer:
            # Og pengene?" between "1." and "2." is no second 2): then 0, none given
            number = ln.qnum if ln.qnum is not None else len(iv.qa) + 1
            number = 0 if ln.qnum is None and number in numbers else number
            qa = QA(number, clean_question(q.text) if q else "", q, section=section)
            iv.qa.append(qa)
        elif qa is not None and ln.kind == "text" and _editor_note(text[ln.start:ln.end]):
            close()  # an editor's note among the answers is nobody's quote: it describes the case
            if span := make_span(text, ln.start, ln.end):
                orphans.append((span, False))
        elif ln.kind == "continued":
            continue  # the question above it goes on here
        elif ln.kind == "label" and out.first_q is None:
            close()
            labels.setdefault(LABEL_FIELDS.get(ln.label[0], ln.label[0]), ln.label[1])
        elif ln.kind == "bullet" or block is None or ln.speaker or _breaks_paragraph(text, block):
            close()
            block = [body, ln.end, ln.end - ln.start, ln.end - ln.start]
        else:
            block[1], block[2], block[3] = ln.end, ln.end - ln.start, max(block[3], ln.end - ln.start)
        if idx == 0 and ln.kind == "text" and ln.end - ln.start <= 100 and len(lines) > 1:
            if not text[ln.start:ln.end].endswith(tuple(TERMINAL + ",")):
                out.title_line = ln  # a short unpunctuated first line reads as a title
    close()
    return out


def _describe(iv: Interview, scan: _Scan) -> None:
    """Blocks before the first question, minus the intro and title, describe the case."""
    pre = [span for span, before in scan.orphans if before]
    if iv.intro is not None:
        pre = [s for s in pre if not (s.start <= iv.intro.start < s.end)]
    if scan.title_line is not None:
        pre = [s for s in pre if not (s.start <= scan.title_line.start < s.end)]
    iv.case_description = pre + [span for span, before in scan.orphans if not before]


def _breaks_paragraph(text: str, block: list[int]) -> bool:
    """Does the next line start a new paragraph although no blank line came between?

    One long line ending a sentence is a paragraph of its own (docx and
    many exports put one paragraph per line). In hard-wrapped text (PDF
    extraction drops blank lines) only a paragraph's last line is clearly
    shorter than its neighbours.
    """
    if text[block[1] - 1] not in TERMINAL:
        return False
    return block[2] > 100 or block[2] < 0.85 * block[3]


_DA_WORDS = frozenset(
    "og det at en den til er som på de med har af ikke der var vi jeg kan et men os vores meget "
    "også skal blev hvad hvordan hvilke når man eller fra sig så havde være mere deres hos".split()
)
_EN_WORDS = frozenset(
    "the and of to a in is that it we with was on are as our have be this what how which not "
    "they but you were has from their more or about at by".split()
)


def detect_language(text: str) -> str:
    """'da', 'en' or '' — stopword counts, with æøå as strong Danish evidence.

    A dependency-free heuristic is enough here: the case base is Danish or
    English, and the answer only steers labels and stemming, never retrieval.
    """
    sample = text[:20000].lower()
    words = re.findall(r"[^\W\d_]+", sample)
    da = sum(map(_DA_WORDS.__contains__, words)) + 2 * sum(sample.count(c) for c in "æøå")
    en = sum(map(_EN_WORDS.__contains__, words))
    if da + en < 3:
        return ""
    return "da" if da >= en else "en"


def _apply_meta(iv: Interview, meta: dict) -> None:
    for key, value in meta.items():
        value = "" if value is None else str(value).strip()
        if not value:
            continue
        if key in ("interviewee", "role", "organisation", "case", "language"):
            setattr(iv, key, value)
        else:
            iv.extra[str(key)] = value


def _warn(iv: Interview) -> None:
    for name, label in (("interviewee", "interviewee"), ("organisation", "organisation"), ("case", "case/project")):
        if not getattr(iv, name):
            iv.warnings.append(f"no {label} found; set it in front matter or a .meta.yaml sidecar")
    for q in iv.qa:
        if not q.answers:
            iv.warnings.append(f"question {q.number} has no answer")
