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
# A line the editor signs ("Red.: …", "Redaktionen: …", "Editor's note: …"): nobody's quote.
EDITOR_SIGNED = re.compile(
    rf"(?i)^{_EM}(?:red\.?|redaktionen|redaktøren|redaktørens note|editor|editor['’]s note|ed\.)"
    rf"{_EM}\s*:{_EM}\s*"
)
_ANSWER_LABEL = re.compile(rf"(?i)^{_EM}(?:svar|a|answer){_EM}\s*:{_EM}\s*")
_SPEAKER = re.compile(rf"^{_EM}([{_UP}][\w.\-]*(?:\s+[{_UP}][\w.\-]*){{0,2}}){_EM}\s*:{_EM}\s+(?=\S)")
# "4. ", "4) ", "4 ) "; and, when a capital follows, "4.Hvad", "4)Hvad", "4:Hvad", "4: Hvad". A
# digit after the mark is a number ("3.5 mio", "12.30", "1.000 kr", "12:30"), never a question
# number; a lower-case word after no space is a date or an ordinal ("4.juni", "3.g").
_NUMBER_MARK = rf"\s*(?:[.)]\s+|(?P<tight>[.):]\s*(?=[{_UP}])))"
_NUMBERED = re.compile(rf"^(\d{{1,2}}){_NUMBER_MARK}(?=\S)")
_BULLET = re.compile(r"^(?:[•●▪◦‣∙·]\s*|[-–—*+]\s+|[a-z]\)\s+)(?=\S)")
# "## Heading"; "##Heading" too when a capital follows (sloppy markdown), never "#1"
_MD_HEADING = re.compile(rf"^(?:>\s*)?(#{{1,6}})(?:\s+|(?=[{_UP}]))")
_QUOTE = re.compile(r"^>\s*")
_RULE = re.compile(r"^\s*(?:([-*_=])\s*)(?:\1\s*){2,}$")
_GLYPHS = "•●▪◦‣∙·"
_DASHES = "-–—*+"
TERMINAL = ".!?…:;\"”’)"

_BARE_MARK = _NUMBER_MARK.replace("?P<tight>", "?:")  # a second use of the pattern: no group name twice
# What may sit around a question's words: heading marks, emphasis, labels, numbers.
_Q_PREFIX = re.compile(
    rf"^(?:>\s*|#{{1,6}}\s*|\d{{1,3}}{_BARE_MARK}|(?i:{_EM}(?:q|spørgsmål|spm\.?|sp\.|question|frage|"
    rf"interviewer(?:en)?|int\.?|spørger|journalist|moderator)\s*\d{{0,3}}\s*{_EM}\s*[:.)\-–]{_EM}\s*))"
)
_Q_SUFFIX = re.compile(r"\s+#+$")
_INNER_EM = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1|(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])")


@dataclass
class Line:
    start: int  # first non-space character
    end: int  # one past the last non-space character
    kind: str = "text"  # blank rule heading question continued label bullet numbered text
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
    # not isupper(): a lowercase letter, or no cased letter at all; either way not a caps heading
    if not s or len(s) > 100 or s.endswith("?") or not s.isupper():
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


# A question's first word: an interrogative, or the verb a yes/no question opens with.
_ASK_WORDS = frozenset(
    "hvad hvordan hvorfor hvilke hvilken hvilket hvem hvis hvor hvornår hvorledes hvorvidt "
    "er var har havde kan kunne vil ville skal skulle bør burde må måtte gør gjorde får fik "
    "what how why which who whom whose when where is are was were do does did have has had "
    "can could will would should shall may might".split()
)
_LEAD_IN = frozenset("og and men but så so".split())  # "Og hvad så med pengene?"


def asks(line: str) -> bool:
    """Is line one interrogative sentence: a capital and a question word first ("Hvad …",
    "Og hvordan …", "Did you …"), "?" at the end and no sentence ending before it?

    A single sentence is what an interviewer types as a question; a line holding
    a statement and then a question ("Vi tog den. Hvem ellers?") is someone talking.
    """
    line = line.strip(" *_")
    if not line[:1].isupper() or len(line) > 200 or not ends_question(line):
        return False
    if re.search(r"[.!?…]\s", line.rstrip(" *_:”\"’)")[:-1]):
        return False
    words = re.findall(r"\w+", line.casefold())[:2]
    return words[0] in _ASK_WORDS or (words[0] in _LEAD_IN and len(words) > 1 and words[1] in _ASK_WORDS)


def numbered(core: str) -> re.Match[str] | None:
    """A question number at the start of core: "4. ", "4) " always; the tight forms
    ("4.Hvad", "4)Hvad", "4:Hvad", "4: Hvad") only on a line that asks something, since
    without the space a capital after a number also opens "3.G'erne kom" or "4.Juni"."""
    m = _NUMBERED.match(core)
    return m if m and (not m.group("tight") or ends_question(core)) else None


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
        if (m := numbered(core)) or ends_question(core):
            num = int(m.group(1)) if m else None
            return _question(line, cs + (m.end() if m else 0), ce, num)
        line.kind, line.title = "heading", core
        return line
    if m := numbered(raw):
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
    elif (m := _SPEAKER.match(raw)) and not EDITOR_SIGNED.match(raw):  # "Red.:" is no speaker
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
        _continued_questions(text, lines)
        _unnumbered_questions(text, lines)
        return
    # No marked questions: fall back to short lines ending in "?" that open a block.
    prev = None
    for ln in lines:
        if ln.kind == "text" and ln.end - ln.start <= 300 and ends_question(text[ln.start:ln.end]):
            if prev is None or prev.kind in ("blank", "rule", "heading", "question") or ln.speaker:
                _question(ln, ln.body, ln.end, None)
        prev = ln


def _continued_questions(text: str, lines: list[Line]) -> None:
    """A question that leads in before it asks ("Interviewer: Det lyder dyrt." with
    "Hvordan fik I råd?" on the line under it) goes on to the question its next line
    asks: that line is the interviewer's, not the start of the answer."""
    for ln, nxt in zip(lines, lines[1:]):
        if (
            ln.kind == "question" and not ends_question(text[ln.qspan[0]:ln.qspan[1]])
            and nxt.kind == "text" and not nxt.speaker and nxt.body == nxt.start
            and asks(text[nxt.start:nxt.end])
        ):
            ln.qspan = (ln.qspan[0], nxt.end)
            nxt.kind = "continued"


def _unnumbered_questions(text: str, lines: list[Line]) -> None:
    """A question the interviewer typed without its number, among numbered ones.

    In a document whose questions are plain numbered lines (no emphasis or heading
    marks; an "Interviewer: …" follow-up may sit among them), most of them asking
    ("3) Hvilke barrierer …?"), a line of the same shape minus the number is a
    question too: one interrogative sentence (``asks``) on a line of its own,
    after the previous question's answer (the line above is blank, a rule or an
    answer bullet, so it is no line of a prose paragraph) and followed by answer
    lines. An interviewee's own "Hvem skulle ellers gøre det?" inside a paragraph,
    or directly under a line of it, stays in the answer; so does any such line in a
    document whose questions are bold, headings or labels (a plain line is not
    their shape). It takes the number the file skipped for it ("3", this, "5"),
    else 0: the file gave it none.
    """
    marked = [ln for ln in lines if ln.kind == "question"]
    numbered = [ln for ln in marked if ln.qnum]
    # bare numbers, no emphasis or heading marks (an "Interviewer: …" follow-up may sit among them)
    plain = all(not ln.level and text[ln.start] not in "*_#>" for ln in marked)
    plain = plain and all(text[ln.start].isdigit() for ln in numbered)
    asking = [ln for ln in marked if ends_question(text[ln.qspan[0]:ln.qspan[1]])]
    if len(numbered) < 2 or not plain or 2 * len(asking) <= len(marked):
        return
    used = {ln.qnum for ln in marked}
    last: Line | None = None
    answered = False  # the last question has answer lines
    for i, ln in enumerate(lines):
        if ln.kind == "question":
            last, answered = ln, False
        elif ln.kind == "heading":
            last = None  # a new section: the shape of what follows is not known
        elif (
            last is not None and answered and ln.kind == "text" and not ln.speaker
            and ln.body == ln.start and lines[i - 1].kind in ("blank", "rule", "bullet")
            and asks(text[ln.start:ln.end]) and _answer_follows(lines, i)
        ):
            num = last.qnum + 1 if last.qnum and last.qnum + 1 not in used else 0
            _question(ln, ln.start, ln.end, num)
            used.add(num)
            last, answered = ln, False
        elif ln.kind in ("text", "bullet"):
            answered = True


def _answer_follows(lines: list[Line], i: int) -> bool:
    nxt = next((ln for ln in lines[i + 1:] if ln.kind not in ("blank", "rule")), None)
    return nxt is not None and nxt.kind in ("text", "bullet")
