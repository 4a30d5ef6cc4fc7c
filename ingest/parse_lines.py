"""Line-level structure of an interview text: which logical lines are
headings, questions, bullets, labels or prose, and the clean text of a
question.

Everything here works on offsets into the original text; nothing is
rewritten, so spans built from these lines stay verbatim.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .model import Span

_UP = "A-ZÀ-ÖØ-ÞÆØÅ"  # Latin uppercase; Python's re has no \p{Lu}
_EM = r"[*_]{0,2}"  # markdown emphasis that may wrap a label ("**Q1:**", "**Anna**:")
_NUM_LABEL_Q = re.compile(
    rf"(?i)^{_EM}(?:q|spørgsmål|spm\.?|sp\.|question|frage)\s*(\d{{1,3}})\s*{_EM}\s*[:.)\-–]{_EM}\s*"
)
_ASKER = re.compile(
    rf"(?i)^{_EM}(?:interviewer(?:en)?|int\.?|i|q|spørgsmål|spm\.?|spørger|journalist|moderator|question)"
    rf"{_EM}\s*:{_EM}\s*"
)
_LABEL = re.compile(
    r"^\W{0,3}(?P<key>navn|name|interviewee|interviewperson|informant|rolle|role|titel|title|stilling|"
    r"position|organisation|organization|arbejdsplads|institution|virksomhed|company|case|projekt|"
    r"project|dato|date|sted|place|interviewer)\s*:\W{0,3}\s*(?P<value>\S.*)$",
    re.IGNORECASE,
)
_ANSWER_LABEL = re.compile(rf"(?i)^{_EM}(?:svar|a|answer){_EM}\s*:{_EM}\s*")
_SPEAKER = re.compile(rf"^{_EM}([{_UP}][\w.\-]*(?:\s+[{_UP}][\w.\-]*){{0,2}}){_EM}\s*:{_EM}\s+(?=\S)")
_NUMBERED = re.compile(r"^(\d{1,2})\s*[.)]\s+(?=\S)")
_BULLET = re.compile(r"^(?:[•●▪◦‣∙·]\s*|[-–—*+]\s+|[a-z]\)\s+)(?=\S)")
# "## Heading"; "##Heading" too when a capital follows (sloppy markdown), never "#1"
_MD_HEADING = re.compile(rf"^(?:>\s*)?(#{{1,6}})(?:\s+|(?=[{_UP}]))")
_QUOTE = re.compile(r"^>\s*")
_RULE = re.compile(r"^\s*(?:([-*_=])\s*)(?:\1\s*){2,}$")
_GLYPHS = "•●▪◦‣∙·"
_DASHES = "-–—*+"
TERMINAL = ".!?…:;\"”’)"

# What may sit around a question's words: heading marks, emphasis, labels, numbers.
_Q_PREFIX = re.compile(
    rf"(?i)^(?:>\s*|#{{1,6}}\s*|\d{{1,3}}\s*[.)]\s+|{_EM}(?:q|spørgsmål|spm\.?|sp\.|question|frage|"
    rf"interviewer(?:en)?|int\.?|spørger|journalist|moderator)\s*\d{{0,3}}\s*{_EM}\s*[:.)\-–]{_EM}\s*)"
)
_Q_SUFFIX = re.compile(r"\s+#+$")
_INNER_EM = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1|(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])")


@dataclass
class Line:
    start: int  # first non-space character
    end: int  # one past the last non-space character
    kind: str = "text"  # blank rule heading question label bullet numbered text
    body: int = 0  # where answer text starts (after a glyph or speaker label)
    title: str = ""
    qnum: int | None = None
    qspan: tuple[int, int] = (0, 0)
    speaker: str = ""
    level: int = 0  # markdown heading level, 0 when not a # heading
    label: tuple[str, str] = ("", "")


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) past whitespace and leading bullet glyphs."""
    while True:
        while start < end and text[start].isspace():
            start += 1
        if start < end and text[start] in _GLYPHS:
            start += 1
        elif start + 1 < end and text[start] in _DASHES and text[start + 1].isspace():
            start += 1
        else:
            break
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def make_span(text: str, start: int, end: int) -> Span | None:
    start, end = trim(text, start, end)
    return Span(text[start:end], start, end) if end > start else None


def question_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a question's span past markup around it: "## ", "**Q1:**", "1. ", "**…**".

    The result is still a slice of text; words inside are never touched.
    """
    start, end = trim(text, start, end)
    while end > start:
        s, e = start, end
        inner = text[s:e]
        if (m := _Q_PREFIX.match(inner)) and m.end() < len(inner):
            s += m.end()
        elif m := _Q_SUFFIX.search(inner):
            e = s + m.start()
        else:
            for mark in ("**", "__", "*", "_"):
                if len(inner) > 2 * len(mark) and inner.startswith(mark) and inner[len(mark)] != mark[0]:
                    closing = inner.endswith(mark) or inner.endswith(mark + ":")
                    if closing or mark not in inner[len(mark):]:  # wrapped, or a stray opener
                        s += len(mark)
                        e -= (len(mark) + (1 if inner.endswith(mark + ":") else 0)) if closing else 0
                        break
            else:
                if inner[-2:] in ("**", "__") and inner.count(inner[-2:]) == 1:
                    e -= 2  # a stray closer: "How did it begin?**"
        s, e = trim(text, s, e)
        if (s, e) == (start, end) or e <= s:
            break
        start, end = s, e
    return start, end


def clean_question(quote: str) -> str:
    """A question's words for display and headers: no inner emphasis, one line."""
    quote = _INNER_EM.sub(lambda m: m.group(2) or m.group(3) or "", quote)
    return " ".join(quote.split())


def _is_caps_heading(s: str, min_words: int) -> bool:
    s = s.strip()
    if not s or len(s) > 100 or s.endswith("?"):
        return False
    letters = [c for c in s if c.isalpha()]
    words = re.findall(r"[^\W\d_]{2,}", s)
    return (
        len(letters) >= 4
        and all(c.isupper() for c in letters)
        and len(words) >= min_words
        and any(len(w) >= 4 for w in words)
    )


def logical_lines(text: str) -> list[tuple[int, int]]:
    """Physical lines, with ALL-CAPS headings glued onto a sentence split off."""
    out: list[tuple[int, int]] = []
    pos = 0
    for raw in text.split("\n"):
        start, end = pos, pos + len(raw)
        pos = end + 1
        for m in re.finditer(r"[.!?…]", raw):
            head, tail = raw[: m.end()], raw[m.end():]
            if re.search(r"[a-zæøå]", head) and _is_caps_heading(tail, 2):
                out.append((start, start + m.end()))
                start += m.end()
                break
        out.append((start, end))
    return out


def _strip_markup(text: str, s: int, e: int) -> tuple[int, int, int, bool]:
    """Bounds inside markdown heading / bold markers: (s, e, heading level, is_bold)."""
    heading, bold = 0, False
    m = _MD_HEADING.match(text[s:e])  # match(text, pos) would not honour "^" at pos
    if m:
        s, heading = s + m.end(), len(m.group(1))
        while e > s and text[e - 1] in "# \t":
            e -= 1
    elif m := _QUOTE.match(text[s:e]):
        s += m.end()
    for mark in ("**", "__"):
        inner = text[s:e]
        if inner.startswith(mark) and (inner.endswith(mark) or inner.endswith(mark + ":")) and e - s > 4:
            s, e, bold = s + 2, e - (3 if inner.endswith(mark + ":") else 2), True
    s, e = trim(text, s, e)
    return s, e, heading, bold


def ends_question(core: str) -> bool:
    return core.rstrip(" *_:”\"’)").endswith("?")


def classify(text: str, s: int, e: int) -> Line:
    line = Line(s, e, body=s)
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    line.start, line.end, line.body = s, e, s
    if s >= e:
        line.kind = "blank"
        return line
    raw = text[s:e]
    if _RULE.match(raw):
        line.kind = "rule"
        return line
    cs, ce, heading, bold = _strip_markup(text, s, e)
    core, line.level = text[cs:ce], heading
    if (m := _NUM_LABEL_Q.match(core)) and ce > cs + m.end():
        return _question(line, cs + m.end(), ce, int(m.group(1)))
    if (m := _ASKER.match(core)) and ce > cs + m.end():
        rest = core[m.end():]
        # "Interviewer: Karen Holm" names the interviewer; anything else is asked
        if not re.fullmatch(rf"[{_UP}][\w.\-]*(?:\s+[{_UP}][\w.\-]*){{0,3}}", rest.strip(" *_")):
            return _question(line, cs + m.end(), ce, None)
    if (m := _LABEL.match(raw)) and not ends_question(raw):
        line.kind, line.label = "label", (m.group("key").lower(), m.group("value").strip(" *_"))
        return line
    if heading or bold:
        if (m := _NUMBERED.match(core)) or ends_question(core):
            num = int(m.group(1)) if m else None
            return _question(line, cs + (m.end() if m else 0), ce, num)
        line.kind, line.title = "heading", core
        return line
    if m := _NUMBERED.match(raw):
        line.kind, line.qnum, line.body = "numbered", int(m.group(1)), s + m.end()
        line.qspan = trim(text, s + m.end(), e)
        return line
    if m := _BULLET.match(raw):
        line.kind, line.body = "bullet", s + m.end()
        return line
    if _is_caps_heading(raw, 1) and not raw.endswith((".", ",")):
        line.kind, line.title = "heading", raw
        return line
    if m := _ANSWER_LABEL.match(raw):
        line.body = s + m.end()
    elif m := _SPEAKER.match(raw):
        line.speaker, line.body = m.group(1), s + m.end()
    return line


def _question(line: Line, s: int, e: int, num: int | None) -> Line:
    line.kind, line.qnum, line.qspan = "question", num, (s, e)
    return line


def resolve_questions(text: str, lines: list[Line]) -> None:
    """Decide which numbered and "?" lines are questions, given the whole document."""
    content = [ln for ln in lines if ln.kind not in ("blank", "rule")]
    runs: list[list[Line]] = []  # numbered lines with no other content between them
    for i, ln in enumerate(content):
        if ln.kind == "numbered":
            if i and content[i - 1].kind == "numbered":
                runs[-1].append(ln)
            else:
                runs.append([ln])
    ask = lambda ln: ends_question(text[ln.qspan[0]:ln.qspan[1]])  # noqa: E731
    singles = [r[0] for r in runs if len(r) == 1]
    # Once numbered questions stand alone (each followed by its answer), a run
    # of numbered lines is a list inside an answer, unless it simply carries
    # on the question numbering (unanswered questions in a row).
    standalone = any(ask(ln) for ln in singles)
    last_q = 0
    for run in runs:
        as_list = (
            len(run) > 1 and standalone
            and not (run[0].qnum == last_q + 1 and all(ask(ln) for ln in run))
        )
        for ln in run:
            short_single = len(run) == 1 and len(singles) >= 2 and ln.qspan[1] - ln.qspan[0] <= 200
            if not as_list and (ask(ln) or short_single):
                _question(ln, ln.qspan[0], ln.qspan[1], ln.qnum)
                last_q = ln.qnum or last_q
            else:
                ln.kind = "bullet"  # numbered sub-points of an answer
    if any(ln.kind == "question" for ln in lines):
        return
    # No marked questions: fall back to short lines ending in "?" that open a block.
    prev = None
    for ln in lines:
        if ln.kind == "text" and ln.end - ln.start <= 300 and ends_question(text[ln.start:ln.end]):
            if prev is None or prev.kind in ("blank", "rule", "heading", "question") or ln.speaker:
                _question(ln, ln.body, ln.end, None)
        prev = ln
