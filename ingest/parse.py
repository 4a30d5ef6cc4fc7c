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
from dataclasses import dataclass

from .model import QA, Interview, Section, Span

_UP = "A-ZÀ-ÖØ-ÞÆØÅ"  # Latin uppercase; Python's re has no \p{Lu}
_NAME = rf"[{_UP}][\w’'\-]+(?:\s+(?:(?:af|von|van|de|der|la|le)\s+)?[{_UP}][\w’'\-]+){{1,3}}"
_PREP = r"på|hos|ved|i|fra|at|with|of|for|from"
_VERBS = (
    r"har|have|has|svarer|svarede|answered|answers|fortæller|fortalte|talks|talked|tells|told|"
    r"explains|forklarer|deler|shares|shared|blev|was|er|is|om|about|giver|gives|reflekterer|"
    r"reflects|ser|looks|ved|kigger|sætter"
)
_END = rf"(?=[ \t]*(?:[,.;:()\n]|$)|\s+(?:{_VERBS})\b)"
_FIELD = r"[^,.;:()\n]{2,80}?"
_INTRO_PATTERNS = [
    # "NAME, ROLE på ORG har svaret" / "NAME, Programme Lead at ORG, answered"
    re.compile(rf"(?P<name>{_NAME}),\s+(?P<role>{_FIELD})\s+(?:{_PREP})\s+(?P<org>{_FIELD}){_END}"),
    # "Interview med NAME (ROLE, ORG)" and any "NAME (ROLE, ORG)"
    re.compile(rf"(?P<name>{_NAME})\s*\((?P<role>[^,()\n]{{2,80}}),\s*(?P<org>[^()\n]{{2,80}})\)"),
    # "NAME, der er ROLE i ORG" / "NAME, who is ROLE at ORG" / "NAME er ROLE af ORG"
    re.compile(
        rf"(?P<name>{_NAME}),?\s+(?:(?:der|som|who)\s+)?(?:er|is|arbejder som|works as)\s+"
        rf"(?P<role>{_FIELD})\s+(?:{_PREP}|af)\s+(?P<org>{_FIELD}){_END}"
    ),
    # "NAME, ROLE, ORG, fortæller"
    re.compile(rf"(?P<name>{_NAME}),\s+(?P<role>{_FIELD}),\s+(?P<org>{_FIELD}),?\s+(?:{_VERBS})\b"),
]
_LABEL = re.compile(
    r"^\W{0,3}(?P<key>navn|name|interviewee|interviewperson|informant|rolle|role|titel|title|stilling|"
    r"position|organisation|organization|arbejdsplads|institution|virksomhed|company|case|projekt|"
    r"project|dato|date|sted|place|interviewer)\s*:\W{0,3}\s*(?P<value>\S.*)$",
    re.IGNORECASE,
)
_LABEL_FIELDS = {
    "navn": "interviewee", "name": "interviewee", "interviewee": "interviewee",
    "interviewperson": "interviewee", "informant": "interviewee", "rolle": "role", "role": "role",
    "titel": "role", "title": "role", "stilling": "role", "position": "role",
    "organisation": "organisation", "organization": "organisation", "arbejdsplads": "organisation",
    "institution": "organisation", "virksomhed": "organisation", "company": "organisation",
    "case": "case", "projekt": "case", "project": "case",
}
_PROJECT = re.compile(
    r"\b(?:[Pp]rojekt(?:et)?|[Pp]roject|[Cc]asen?|[Ii]nitiativ(?:et)?|[Pp]rogram(?:met|me)?|"
    r"[Ff]estival(?:en)?|[Ss]amarbejdet)\s+(?:kaldet\s+|called\s+|named\s+)?"
    r"[’'‘“\"«»]([^’'”\"»“\n]{2,80}?)[’'”\"»“]"
)
_NUM_LABEL_Q = re.compile(
    r"(?i)^(?:q|spørgsmål|spm\.?|sp\.|question|frage)\s*(\d{1,3})\s*[:.)\-–]\s*"
)
_ASKER = re.compile(
    r"(?i)^(?:interviewer(?:en)?|int\.?|i|q|spørgsmål|spm\.?|spørger|journalist|moderator|question)\s*:\s*"
)
_COPULA = re.compile(r"^(?:(?:der|som|who)\s+)?(?:er|is|arbejder som|works as)\s+")
_ANSWER_LABEL = re.compile(r"(?i)^(?:svar|a|answer)\s*:\s*")
_SPEAKER = re.compile(rf"^([{_UP}][\w.\-]*(?:\s+[{_UP}][\w.\-]*){{0,2}})\s*:\s+(?=\S)")
_NUMBERED = re.compile(r"^(\d{1,2})\s*[.)]\s+(?=\S)")
_BULLET = re.compile(r"^(?:[•●▪◦‣∙·]\s*|[-–—*+]\s+|[a-z]\)\s+)(?=\S)")
_MD_HEADING = re.compile(r"^(#{1,6})\s+")
_RULE = re.compile(r"^\s*(?:([-*_=])\s*)(?:\1\s*){2,}$")
_GLYPHS = "•●▪◦‣∙·"
_DASHES = "-–—*+"
_TERMINAL = ".!?…:;\"”’)"


@dataclass
class _Line:
    start: int  # first non-space character
    end: int  # one past the last non-space character
    kind: str = "text"  # blank rule heading question label bullet text
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


def _logical_lines(text: str) -> list[tuple[int, int]]:
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
    for mark in ("**", "__"):
        inner = text[s:e]
        if inner.startswith(mark) and (inner.endswith(mark) or inner.endswith(mark + ":")) and e - s > 4:
            s, e, bold = s + 2, e - (3 if inner.endswith(mark + ":") else 2), True
    s, e = trim(text, s, e)
    return s, e, heading, bold


def _ends_question(core: str) -> bool:
    return core.rstrip(" *_:”\"’)").endswith("?")


def _classify(text: str, s: int, e: int) -> _Line:
    line = _Line(s, e, body=s)
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
    if (m := _LABEL.match(raw)) and not _ends_question(raw):
        line.kind, line.label = "label", (m.group("key").lower(), m.group("value").strip(" *_"))
        return line
    if heading or bold:
        if (m := _NUMBERED.match(core)) or _ends_question(core):
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


def _question(line: _Line, s: int, e: int, num: int | None) -> _Line:
    line.kind, line.qnum, line.qspan = "question", num, (s, e)
    return line


def _resolve_questions(text: str, lines: list[_Line]) -> None:
    """Decide which numbered and "?" lines are questions, given the whole document."""
    content = [ln for ln in lines if ln.kind not in ("blank", "rule")]
    runs: list[list[_Line]] = []  # numbered lines with no other content between them
    for i, ln in enumerate(content):
        if ln.kind == "numbered":
            if i and content[i - 1].kind == "numbered":
                runs[-1].append(ln)
            else:
                runs.append([ln])
    ask = lambda ln: _ends_question(text[ln.qspan[0]:ln.qspan[1]])  # noqa: E731
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
        if ln.kind == "text" and ln.end - ln.start <= 300 and _ends_question(text[ln.start:ln.end]):
            if prev is None or prev.kind in ("blank", "rule", "heading", "question") or ln.speaker:
                _question(ln, ln.body, ln.end, None)
        prev = ln


def parse_interview(
    text: str, *, doc_id: str, source_path: str, content_hash: str, meta: dict | None = None
) -> Interview:
    """Parse extracted interview text into an Interview whose spans index into text."""
    iv = Interview(doc_id=doc_id, source_path=source_path, text=text, content_hash=content_hash)
    lines = [_classify(text, s, e) for s, e in _logical_lines(text)]
    _resolve_questions(text, lines)
    speakers = Counter(ln.speaker for ln in lines if ln.speaker)

    labels: dict[str, str] = {}
    orphans: list[tuple[Span, bool]] = []  # (span, before the first question)
    first_q: int | None = None
    section, qa = "", None
    block: list[int] | None = None  # [start, end, last line length, longest line length]
    level = 0  # heading level of the current section
    title_line: _Line | None = None

    def close() -> None:
        nonlocal block
        if block and (span := make_span(text, block[0], block[1])):
            if qa is not None:
                qa.answers.append(span)
            else:
                orphans.append((span, first_q is None))
        block = None

    for idx, ln in enumerate(lines):
        body = ln.body if (not ln.speaker or speakers[ln.speaker] >= 2) else ln.start
        if ln.kind in ("blank", "rule"):
            close()
        elif ln.kind == "heading":
            close()
            qa = None
            if title_line is None and not iv.sections and first_q is None and not orphans:
                title_line = ln  # the document title names the case, it is no section
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
            first_q = ln.start if first_q is None else first_q
            q = make_span(text, *ln.qspan)
            qa = QA(ln.qnum if ln.qnum is not None else len(iv.qa) + 1, q.text if q else "", q, section=section)
            iv.qa.append(qa)
        elif ln.kind == "label" and first_q is None:
            close()
            labels.setdefault(_LABEL_FIELDS.get(ln.label[0], ln.label[0]), ln.label[1])
        elif ln.kind == "bullet" or block is None or ln.speaker or _breaks_paragraph(text, block):
            close()
            block = [body, ln.end, ln.end - ln.start, ln.end - ln.start]
        else:
            block[1], block[2], block[3] = ln.end, ln.end - ln.start, max(block[3], ln.end - ln.start)
        if idx == 0 and ln.kind == "text" and ln.end - ln.start <= 100 and len(lines) > 1:
            if not text[ln.start:ln.end].endswith(tuple(_TERMINAL + ",")):
                title_line = ln  # a short unpunctuated first line reads as a title
    close()

    _fill_people(iv, text, lines, labels, first_q, speakers, title_line)
    pre = [span for span, before in orphans if before]
    if iv.intro is not None:
        pre = [s for s in pre if not (s.start <= iv.intro.start < s.end)]
    if title_line is not None:
        pre = [s for s in pre if not (s.start <= title_line.start < s.end)]
    iv.case_description = pre + [span for span, before in orphans if not before]

    if not any(q.answers for q in iv.qa):
        iv.structure = "paragraphs"
        # "?" lines with nothing under them are prose, not an interview's questions
        spans = [span for span, _ in orphans] + [q.question_span for q in iv.qa if q.question_span]
        iv.paragraphs = sorted(spans, key=lambda s: s.start)
        iv.qa, iv.case_description = [], []
        iv.warnings.append(
            f"no question/answer structure found; indexed as {len(iv.paragraphs)} paragraphs"
        )
    iv.language = detect_language(text)
    _apply_meta(iv, meta or {})
    _warn(iv)
    return iv


def _breaks_paragraph(text: str, block: list[int]) -> bool:
    """Does the next line start a new paragraph although no blank line came between?

    One long line ending a sentence is a paragraph of its own (docx and
    many exports put one paragraph per line). In hard-wrapped text (PDF
    extraction drops blank lines) only a paragraph's last line is clearly
    shorter than its neighbours.
    """
    if text[block[1] - 1] not in _TERMINAL:
        return False
    return block[2] > 100 or block[2] < 0.85 * block[3]


def _fill_people(
    iv: Interview, text: str, lines: list[_Line], labels: dict[str, str],
    first_q: int | None, speakers: Counter, title_line: _Line | None,
) -> None:
    region = text[: first_q] if first_q is not None else text[:4000]
    matches = [m for p in _INTRO_PATTERNS for m in [p.search(region)] if m]
    if matches:
        m = min(matches, key=lambda m: m.start())
        iv.interviewee, iv.role, iv.organisation = (m.group(g).strip(" ,") for g in ("name", "role", "org"))
        iv.role = _COPULA.sub("", iv.role)  # "som er skolebibliotekar" -> "skolebibliotekar"
        iv.intro = _intro_span(text, lines, m.start(), title_line)
    iv.interviewee = labels.get("interviewee", iv.interviewee)
    iv.role = labels.get("role", iv.role)
    iv.organisation = labels.get("organisation", iv.organisation)
    if not iv.interviewee and speakers:
        askers = {ln.speaker for ln in lines if ln.kind == "question" and ln.speaker}
        name, count = next(((n, c) for n, c in speakers.most_common() if n not in askers), ("", 0))
        if count >= 2:
            iv.interviewee = name
    project = _PROJECT.search(region) or _PROJECT.search(text)
    if "case" in labels:
        iv.case = labels["case"]
    elif project:
        iv.case = project.group(1).strip()
    elif title_line is not None and not (matches and title_line.start <= m.start() < title_line.end):
        iv.case = title_line.title or text[title_line.start:title_line.end]
    for key, value in labels.items():
        if key not in ("interviewee", "role", "organisation", "case"):
            iv.extra[key] = value


def _intro_span(text: str, lines: list[_Line], pos: int, title_line: _Line | None) -> Span | None:
    """The paragraph (run of non-blank text lines) holding the intro sentence."""
    idx = next((i for i, ln in enumerate(lines) if ln.start <= pos < max(ln.end, ln.start + 1)), None)
    if idx is None or lines[idx].kind != "text" or lines[idx] is title_line:
        return None
    lo = hi = idx
    while lo > 0 and lines[lo - 1].kind == "text" and lines[lo - 1] is not title_line:
        lo -= 1
    while hi + 1 < len(lines) and lines[hi + 1].kind == "text" and not lines[hi + 1].speaker:
        hi += 1
    return make_span(text, lines[lo].start, lines[hi].end)


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
    da = sum(w in _DA_WORDS for w in words) + 2 * sum(sample.count(c) for c in "æøå")
    en = sum(w in _EN_WORDS for w in words)
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
