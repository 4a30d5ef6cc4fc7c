"""Interview → quotable Chunks.

A chunk is one answer bullet/paragraph (or case/intro/fallback paragraph):
the unit a user wants quoted back. Long ones are cut at sentence boundaries
so every piece is still a verbatim slice of ``Interview.text``.
"""
from __future__ import annotations

from knowledge.sentences import sentence_spans

from .model import Chunk, ChunkKind, Interview, Span
from .parse import trim

_LABELS = {
    "da": {"question": "Spørgsmål", "case": "Om casen", "intro": "Introduktion"},
    "en": {"question": "Question", "case": "About the case", "intro": "Introduction"},
}


def split_span(text: str, span: Span, max_chars: int) -> list[tuple[int, int]]:
    """Cut a span into verbatim pieces of at most max_chars where possible.

    Sentences (``knowledge.sentences``: Danish and English abbreviations, numbers
    and dates never end one; a line break always does) are packed greedily; a
    single sentence longer than max_chars is cut after a clause or at the last
    space before the limit (or hard at the limit if it has none), so no piece
    ever exceeds max_chars.
    """
    start, end = trim(text, span.start, span.end)
    if end - start <= max_chars:
        return [(start, end)] if end > start else []
    units = [trim(text, a, b) for a, b in sentence_spans(text, start, end)]
    units = [u for u in units if u[1] > u[0]]

    pieces: list[tuple[int, int]] = []
    cur: tuple[int, int] | None = None
    for u in units:
        for part in _hard_split(text, u, max_chars):
            if cur is not None and part[1] - cur[0] <= max_chars:
                cur = (cur[0], part[1])
            else:
                if cur is not None:
                    pieces.append(cur)
                cur = part
    if cur is not None:
        pieces.append(cur)
    return [p for p in (trim(text, a, b) for a, b in pieces) if p[1] > p[0]]


def _hard_split(text: str, unit: tuple[int, int], max_chars: int) -> list[tuple[int, int]]:
    """Cut one sentence longer than max_chars: after the last comma, semicolon or
    colon in the second half of the limit, else at the last space, else hard."""
    start, end = unit
    out: list[tuple[int, int]] = []
    while end - start > max_chars:
        limit = start + max_chars
        clause = max(text.rfind(p, start + max_chars // 2, limit) for p in (", ", "; ", ": "))
        cut = clause + 1 if clause > start else text.rfind(" ", start + 1, limit + 1)
        cut = cut if cut > start else limit
        piece = trim(text, start, cut)
        if piece[1] > piece[0]:
            out.append(piece)
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        out.append(trim(text, start, end))
    return [p for p in out if p[1] > p[0]]


def _section_at(iv: Interview, offset: int) -> str:
    for section in iv.sections:
        if section.start <= offset < section.end:
            return section.title
    return ""


def embed_header(
    iv: Interview, kind: ChunkKind, question: str, who: tuple[str, str, str] | None = None
) -> str:
    """Context that helps retrieval: who (the speaker, for a transcript's turns), where,
    which case, which question."""
    labels = _LABELS.get(iv.language, _LABELS["da"])
    person = ", ".join(p for p in (who or (iv.interviewee, iv.role, iv.organisation)) if p)
    parts = [person, iv.case]
    if kind == "answer" and question:
        parts.append(f"{labels['question']}: {question}")
    elif kind in ("case", "intro"):
        parts.append(labels[kind])
    return " | ".join(p for p in parts if p)


def _who(iv: Interview, span: Span) -> tuple[str, str, str]:
    """(speaker, role, organisation) of an answer: a transcript speaker's own role and
    organisation when the interview names them, else the interview's."""
    person = next((p for p in iv.speakers if p.name == span.speaker and not p.interviewer), None)
    if person is None:
        return span.speaker, iv.role, iv.organisation
    return span.speaker, person.role, person.organisation


def chunk_interview(iv: Interview, max_chars: int = 600) -> list[Chunk]:
    """Cut an Interview into stable, verbatim, metadata-rich chunks.

    Only answers carry a speaker: an intro, a case description or a fallback
    paragraph is credited to no one (speaker ""), and a transcript's
    interviewer turns are the questions, never chunks."""
    # span, kind, question no, question, section, (speaker, role, organisation)
    items: list[tuple[Span, ChunkKind, int, str, str, tuple[str, str, str] | None]] = []
    if iv.structure == "paragraphs":
        items += [(s, "paragraph", 0, "", _section_at(iv, s.start), None) for s in iv.paragraphs]
    else:
        if iv.intro is not None:
            items.append((iv.intro, "intro", 0, "", _section_at(iv, iv.intro.start), None))
        items += [(s, "case", 0, "", _section_at(iv, s.start), None) for s in iv.case_description]
        for qa in iv.qa:
            kind: ChunkKind = "answer" if qa.question else "turn"
            items += [(a, kind, qa.number or 0, qa.question, qa.section, _who(iv, a)) for a in qa.answers]

    chunks: list[Chunk] = []
    for span, kind, q_no, question, section, who in items:
        header = embed_header(iv, kind, question, who if who and who[0] else None)
        speaker, role, organisation = who or ("", iv.role, iv.organisation)
        for start, end in split_span(iv.text, span, max_chars):
            quote = iv.text[start:end]
            ordinal = len(chunks)
            chunks.append(
                Chunk(
                    chunk_id=f"{iv.doc_id}::{iv.content_hash[:12]}::{ordinal}",
                    doc_id=iv.doc_id,
                    text=quote,
                    start=start,
                    end=end,
                    kind=kind,
                    ordinal=ordinal,
                    embed_text=f"{header}\n{quote}" if header else quote,
                    interviewee=iv.interviewee,
                    speaker=speaker,
                    role=role,
                    organisation=organisation,
                    case=iv.case,
                    question_no=q_no,
                    question=question,
                    section=section,
                    source_path=iv.source_path,
                    content_hash=iv.content_hash,
                    language=iv.language,
                )
            )
    return chunks
