"""Dialogue transcripts: speaker turns → questions, answers and who said them.

A transcript is a file where most paragraphs start with a speaker label
(``I:``/``R:``, ``Interviewer:``/``Q:``/``A:``, ``Mette:``, ``**Mette:**``),
with or without a timestamp before or after the label (``[00:12:31]``,
``00:12``, ``(00:12:31)``), at least two speakers and one of them the
interviewer: a label such as I, Q, Interviewer, Spørger, Journalist or
Moderator, the person an "Interviewer: NAME" line names, or else the speaker
whose turns mostly end with "?". The interviewer's turns are the questions;
everyone else's turns are answers, credited to their speaker.

Labels and timestamps are never part of a span: a turn's words start after
them, and a timestamp inside a turn splits it, so every quote is only what
its speaker said and still a verbatim slice of the text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import QA, Interview, Section, Span
from .parse_lines import EDITOR_SIGNED, TERMINAL, Line, clean_question, ends_question, make_span

_UP = "A-ZÀ-ÖØ-ÞÆØÅ"
_TS_CORE = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_TS = rf"(?:\[\s*{_TS_CORE}\s*\]|\(\s*{_TS_CORE}\s*\)|{_TS_CORE})"
# after a label, a bare time must have seconds: "R: 12:30 passede os" says a time of day
_TS_AFTER = rf"(?:\[\s*{_TS_CORE}\s*\]|\(\s*{_TS_CORE}\s*\)|\d{{1,2}}:\d{{2}}:\d{{2}}(?:[.,]\d{{1,3}})?)"
_TS_SEP = r"\s*(?:[-–—|]\s*)?"
# A label: one to four capitalised words ("Mette", "Mette Holm", "Mette H.", "MH",
# "Speaker 2"), or a lower-case interviewer/answer word ("interviewer", "svar").
_NAME_LABEL = rf"[{_UP}][\w.'’\-]*(?:[ \t]+[{_UP}][\w.'’\-]*){{0,3}}(?:[ \t]+\d{{1,2}}(?![\d:]))?"
_LOWER_LABEL = r"(?:interviewer(?:en)?|intervieweren|int\.?|spørger(?:en)?|journalist(?:en)?|moderator(?:en)?|svar|answer)"
_TURN = re.compile(
    rf"^(?:(?P<ts1>{_TS}){_TS_SEP})?(?P<em1>[*_]{{0,2}})(?P<label>{_NAME_LABEL}|{_LOWER_LABEL})"
    rf"(?:[ \t]*(?P<ts2>{_TS}))?[ \t]*(?P<em2>[*_]{{0,2}})[ \t]*:(?!\d)(?P<em3>[*_]{{0,2}})"
    rf"(?:[ \t]*(?P<ts3>{_TS_AFTER}){_TS_SEP})?[ \t]*"
)
# A label alone on its line without a colon needs a timestamp ("Mette Holm  00:12", an export's style).
_TURN_NO_COLON = re.compile(
    rf"^(?:(?P<ts1>{_TS})[ \t]+)?(?P<em1>[*_]{{0,2}})(?P<label>{_NAME_LABEL})(?P<em2>[*_]{{0,2}})"
    rf"(?:[ \t]+(?P<ts2>{_TS}))?[ \t]*$"
)
_TS_INSIDE = re.compile(rf"\[\s*{_TS_CORE}\s*\]|\(\s*{_TS_CORE}\s*\)")
_TS_LINE_START = re.compile(rf"^\d{{1,2}}:\d{{2}}:\d{{2}}(?:[.,]\d{{1,3}})?{_TS_SEP}(?=\S)")
# Bracketed, parenthesised or italic lines on their own are notes ("[pause]",
# "(griner)", "*Optagelsen slutter*"), no one's words.
_NOTE = re.compile(r"^(?:\[[^\[\]]*\]|\([^()]*\)|\*[^*]+\*|_[^_]+_)$")

ASKER_WORDS = frozenset(
    "i q int interviewer intervieweren interviewere spørger spørgeren journalist journalisten "
    "moderator moderatoren spm spørgsmål question interviewerin".split()
)
ANSWER_WORDS = frozenset(
    "r a svar answer respondent respondenten informant informanten interviewee interviewperson "
    "interviewpersonen ip".split()
)
# Label-looking words that open a metadata or prose line, not a turn.
_NOT_SPEAKER = frozenset(
    "navn name rolle role titel title stilling position organisation organization arbejdsplads "
    "institution virksomhed company case casen projekt projektet project dato date sted place "
    "tid time tidspunkt varighed duration sprog language emne tema topic subject note noter notes nb "
    "ps obs kilde source baggrund background formål purpose resultat resultater result results "
    "deltagere participants optaget recorded transskription transskriberet transcript transcribed "
    "interview interviewet lokation location link web email e-mail mail tlf telefon phone adresse "
    "address partner partnere partners målgruppe budget status periode period eksempel example "
    "tip tips fordele ulemper konklusion conclusion resumé summary citat quote læring lessons "
    "udfordringer challenges opsummering opfølgning keywords nøgleord tags fil file kl "
    "spørgsmålet svaret bemærk obs! advarsel warning husk".split()
)
_NUMBERED_ASKER = re.compile(r"(?i)^(?:q|spørgsmål|spm\.?|sp\.|question|frage)\s*\d")
_BACKCHANNEL = frozenset(
    "ja jo nej ok okay mm mhm mmm hmm aha nå nåh godt fint tak præcis rigtigt klart nemlig "
    "yes yeah yep no right sure i see great thanks thank you exactly uh-huh oh wow".split()
)


@dataclass
class Turn:
    label: str  # the label's words: emphasis, timestamps and colon removed
    start: int  # where the turn's line starts (its label included)
    pieces: list[Span] = field(default_factory=list)  # its words, one span per paragraph
    asker: bool = False
    section: str = ""


@dataclass
class Transcript:
    turns: list[Turn]
    first: int  # offset of the first turn: the preamble (title, intro) ends here
    sections: list[Section] = field(default_factory=list)  # headings among the turns
    interviewer: str = ""  # named by an "Interviewer: NAME" line in the preamble


def _norm(label: str) -> str:
    return re.sub(r"[\s.]*\d*$", "", label.strip().rstrip(".")).casefold()


def _is_label(label: str) -> bool:
    norm = _norm(label)
    if norm in ASKER_WORDS | ANSWER_WORDS:
        return True
    return bool(norm) and norm not in _NOT_SPEAKER | _BACKCHANNEL and not _NUMBERED_ASKER.match(label)


def _generic(label: str) -> bool:
    """R, A, Svar, Respondent: the answering side, unnamed (R1, R2 still tell people apart)."""
    return label.strip().rstrip(".").casefold() in ANSWER_WORDS


def _only_a_name(words: str) -> bool:
    """"Sofie Brandt", not "Mm." or "Okay": a name has no sentence punctuation."""
    words = words.strip(" *_")
    return bool(re.fullmatch(rf"[{_UP}][\w\-]*(?:\.?\s+[{_UP}][\w\-]*){{0,3}}", words))


def _match_turn(text: str, ln: Line) -> tuple[str, int, str] | None:
    """(label, where its words start, emphasis to drop at the end) for a turn's first line."""
    raw = text[ln.start:ln.end]
    m = _TURN.match(raw)
    if m is None:
        m = _TURN_NO_COLON.match(raw)
        if m is None or not (m.group("ts1") or m.group("ts2")):
            return None
    label = m.group("label").strip()
    if not _is_label(label) or EDITOR_SIGNED.match(raw):
        return None  # "Red.: …" is the editor's note, no one's turn
    em1 = m.group("em1")
    closed = bool(m.groupdict().get("em2") or m.groupdict().get("em3"))
    drop = em1 if em1 and not closed else ""  # "**Mette: words**": the closer ends the line
    return label, ln.start + m.end(), drop


def find_transcript(text: str, lines: list[Line], interviewer: str = "") -> Transcript | None:
    """The turns of a dialogue transcript, or None when text is no transcript.
    ``interviewer``: the interviewer's name when the user's metadata gives it."""
    starts: dict[int, tuple[str, int, str]] = {}
    for i, ln in enumerate(lines):
        if ln.kind in ("blank", "rule"):
            continue
        found = _match_turn(text, ln)
        if found is None:
            continue
        label, body, _ = found
        words = text[body:ln.end]
        if not starts and _norm(label) in ASKER_WORDS and _only_a_name(words):
            interviewer = interviewer or words.strip(" *_")  # "Interviewer: Sofie Brandt" names, asks nothing
            continue
        starts[i] = found  # a label alone on its line too: its words follow, or it has none
    # A label said once, before anyone has spoken twice, is a title or a note
    # ("Shelf Help: a library and a health centre"), not a turn.
    counts: dict[str, int] = {}
    for label, _, _ in starts.values():
        counts[label] = counts.get(label, 0) + 1
    for i in sorted(starts):
        label = starts[i][0]
        if counts[label] > 1 or _norm(label) in ASKER_WORDS | ANSWER_WORDS:
            break
        del starts[i]
    if not starts:
        return None
    # Most paragraphs (split at blank lines, headings and turn labels) start with a label.
    paragraphs = labelled = 0
    prev_blank = True
    for i, ln in enumerate(lines):
        if ln.kind in ("blank", "rule"):
            prev_blank = True
            continue
        if prev_blank or i in starts or ln.kind == "heading":
            paragraphs += 1
            labelled += i in starts
        prev_blank = ln.kind == "heading"
    if labelled * 2 <= paragraphs:
        return None
    tr = _turns(text, lines, starts)
    tr.interviewer = interviewer
    if not _mark_askers(tr):
        return None
    return tr


def _turns(text: str, lines: list[Line], starts: dict[int, tuple[str, int, str]]) -> Transcript:
    first = lines[min(starts)].start
    tr = Transcript([], first)
    turn: Turn | None = None
    piece: list[int] | None = None  # [start, end, last line length, longest line length]
    drop = ""
    section = ""

    def close_piece() -> None:
        nonlocal piece
        if turn is not None and piece is not None:
            end = piece[1]
            if drop and text[piece[0]:end].endswith(drop):
                end -= len(drop)
            turn.pieces += _words(text, piece[0], end)
        piece = None

    def close_turn() -> None:
        nonlocal turn
        close_piece()
        if turn is not None and turn.pieces:
            tr.turns.append(turn)
        turn = None

    for i, ln in enumerate(lines):
        if ln.start < first:
            continue
        if i in starts:
            close_turn()
            label, body, drop = starts[i]
            turn = Turn(label, ln.start, section=section)
            said = body < ln.end and not _NOTE.match(text[body:ln.end])  # "**Mette:** *[pause]*"
            piece = [body, ln.end, ln.end - ln.start, ln.end - ln.start] if said else None
            continue
        if ln.kind in ("blank", "rule"):
            close_piece()
            continue
        raw = text[ln.start:ln.end]
        if ln.kind == "heading" and not raw.endswith(tuple(TERMINAL)):
            close_turn()
            if tr.sections:
                tr.sections[-1].end = ln.start
            section = ln.title
            tr.sections.append(Section(section, ln.start, len(text)))
            continue
        if _NOTE.match(raw) or EDITOR_SIGNED.match(raw):
            close_piece()  # nobody's words
            continue
        if turn is None:
            continue  # after a heading, before the next turn: no one's words we can name, no quote
        listed = ln.kind in ("bullet", "numbered") or (ln.kind == "question" and ln.qnum is not None)
        body = ln.body if listed and ln.body > ln.start else ln.start
        if piece is None or listed or _breaks_paragraph(text, piece):
            close_piece()
            piece = [body, ln.end, ln.end - ln.start, ln.end - ln.start]
        else:
            piece[1], piece[2], piece[3] = ln.end, ln.end - ln.start, max(piece[3], ln.end - ln.start)
    close_turn()
    return tr


def _breaks_paragraph(text: str, piece: list[int]) -> bool:
    """A long line ending a sentence is a paragraph of its own (docx: one per line)."""
    if text[piece[1] - 1] not in TERMINAL:
        return False
    return piece[2] > 100 or piece[2] < 0.85 * piece[3]


def _words(text: str, start: int, end: int) -> list[Span]:
    """The spans of [start, end) with timestamps cut out (a timestamp inside splits it)."""
    cuts = [(m.start(), m.end()) for m in _TS_INSIDE.finditer(text, start, end)]
    out: list[Span] = []
    pos = start
    for a, b in cuts + [(end, end)]:
        s = pos
        while s < a and text[s].isspace():
            s += 1
        if m := _TS_LINE_START.match(text[s:a]):  # "00:12:31 words" at a piece's start
            s += m.end()
        if span := make_span(text, s, a):
            out.append(span)
        pos = b
    return out


def _text(turn: Turn) -> str:
    return " ".join(p.text for p in turn.pieces)


def _mark_askers(tr: Transcript) -> bool:
    """Mark the interviewer's turns; False when there is no interviewer or no one else."""
    labels = {t.label for t in tr.turns}
    if len(labels) < 2:
        return False
    askers = {lab for lab in labels if _norm(lab) in ASKER_WORDS}
    if tr.interviewer:
        askers |= {lab for lab in labels if _names_match(lab, tr.interviewer)}
    if not askers:
        ratios: dict[str, float] = {}
        for lab in labels:
            own = [t for t in tr.turns if t.label == lab]
            if len(own) >= 2:
                ratios[lab] = sum(ends_question(t.pieces[-1].text) for t in own) / len(own)
        best = sorted(ratios.items(), key=lambda kv: -kv[1])
        if best and best[0][1] > 0.5 and (len(best) == 1 or best[1][1] < best[0][1]):
            askers = {best[0][0]}
    if not askers or not labels - askers:
        return False
    for t in tr.turns:
        t.asker = t.label in askers
    return True


def _is_backchannel(turn: Turn) -> bool:
    """"Mm.", "Okay.", "Ja, præcis.": the interviewer listening, not asking."""
    words = re.findall(r"[\w\-]+", _text(turn).casefold())
    if "?" in _text(turn):
        return False
    return len(words) <= 1 or (len(words) <= 3 and all(w in _BACKCHANNEL for w in words))


def fill_turns(iv: Interview, tr: Transcript) -> None:
    """The transcript's questions (interviewer turns) and answers (everyone else's turns,
    each span carrying its speaker's label until ``credit_turns`` names them)."""
    iv.sections += tr.sections
    qa: QA | None = None
    before: QA | None = None  # turns said before the first question
    for turn in tr.turns:
        if turn.asker:
            if _is_backchannel(turn):
                continue
            words = clean_question(_text(turn))
            span = turn.pieces[0] if len(turn.pieces) == 1 else _cover(iv.text, turn.pieces)
            if qa is not None and not qa.answers:  # a question asked in two turns
                qa.question, qa.question_span = clean_question(f"{qa.question} {words}"), span
                continue
            numbered = [q for q in iv.qa if q.number]
            qa = QA(len(numbered) + 1, words, span, section=turn.section)
            iv.qa.append(qa)
            continue
        for p in turn.pieces:
            p.speaker = turn.label
        if qa is None:
            if before is None:
                before = QA(0, "", None, section=turn.section)
                iv.qa.insert(0, before)
            before.answers += turn.pieces
        else:
            qa.answers += turn.pieces
    # the interviewer's closing words ("Tak for snakken.") are no unanswered question
    while iv.qa and iv.qa[-1].number and not iv.qa[-1].answers and "?" not in iv.qa[-1].question:
        iv.qa.pop()


def _cover(text: str, pieces: list[Span]) -> Span:
    return Span(text[pieces[0].start:pieces[-1].end], pieces[0].start, pieces[-1].end)


# --- who said it ---------------------------------------------------------------------------


def _split_names(value: str) -> list[str]:
    return [n.strip() for n in re.split(r",|;|\s+(?:og|and|&)\s+", value) if n.strip()]


def _initials(name: str) -> str:
    return "".join(w[0] for w in re.findall(r"[\w’'\-]+", name)).upper()


def _names_match(label: str, name: str) -> bool:
    return _resolve(label, [name]) == name


def _resolve(label: str, known: list[str]) -> str:
    """The full name a label stands for ("Jonas" → "Jonas Vestergaard", "MH" → "Mette
    Holm", "Mette H." → "Mette Holm"), when exactly one known name fits; else ""."""
    lab = label.strip().rstrip(":").strip()
    low = lab.casefold()
    words = lab.replace(".", ". ").split()
    tests = [
        lambda n: n.casefold() == low,
        lambda n: len(words) == 1 and n.split()[0].casefold() == low,
        lambda n: len(words) == 1 and len(n.split()) > 1 and n.split()[-1].casefold() == low,
        lambda n: re.fullmatch(r"(?:[A-ZÆØÅ]\.?){2,4}", lab) is not None and _initials(n) == lab.replace(".", ""),
        lambda n: len(words) == 2 and len(words[1].rstrip(".")) == 1 and n.split()[0].casefold() == words[0].casefold()
        and len(n.split()) > 1 and n.split()[-1][0].casefold() == words[1][0].casefold(),
    ]
    for test in tests:
        hits = list(dict.fromkeys(n for n in known if n and test(n)))
        if len(hits) == 1:
            return hits[0]
    return ""
