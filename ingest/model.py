"""The shapes that flow through ingest: an Interview parsed from a file, and
the quotable Chunks cut from it.

Every span (start, end) indexes into ``Interview.text``, the text the loader
extracted from the file, so ``interview.text[start:end] == span.text`` always
holds: that is what makes a quote verifiable.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

# answer: an interviewee's words answering a question; turn: an interviewee's turn in a
# transcript that answers no question (said before the first one); case, intro: an
# editor's description; paragraph: fallback when no question/answer structure was found
ChunkKind = Literal["answer", "turn", "case", "intro", "paragraph"]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Span:
    text: str  # verbatim: == Interview.text[start:end]
    start: int
    end: int
    speaker: str = ""  # who said these words ("" for an editor's text, or when unknown)


@dataclass
class Person:
    """Someone who speaks in a transcript, as resolved from its labels and intro."""

    name: str  # full name when the intro, labels or metadata give it, else the label ("" for "I", "R" unnamed)
    label: str  # as labelled in the transcript ("Jonas", "I", "**Mette:**" → "Mette")
    interviewer: bool = False
    role: str = ""
    organisation: str = ""
    turns: int = 0


@dataclass
class QA:
    number: int | None  # as numbered in the file, else the ordinal (1-based); 0: unnumbered among numbered ones
    question: str
    question_span: Span | None
    answers: list[Span] = field(default_factory=list)  # bullets or paragraphs
    section: str = ""


@dataclass
class Section:
    title: str
    start: int
    end: int


@dataclass
class Interview:
    doc_id: str  # path relative to the folder it was ingested from
    source_path: str  # absolute path of the file
    text: str  # extracted text (front matter removed); all spans index into it
    content_hash: str  # sha256 of the file's bytes plus its sidecar, if any
    interviewee: str = ""
    role: str = ""
    organisation: str = ""
    case: str = ""  # the case/project name
    intro: Span | None = None
    case_description: list[Span] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    qa: list[QA] = field(default_factory=list)
    speakers: list[Person] = field(default_factory=list)  # a transcript's speakers, in order of appearance
    paragraphs: list[Span] = field(default_factory=list)  # fallback when no Q&A found
    structure: Literal["qa", "paragraphs"] = "qa"
    language: str = ""  # "da" / "en" / "" when unknown
    extra: dict[str, str] = field(default_factory=dict)  # front matter / sidecar extras
    warnings: list[str] = field(default_factory=list)  # what the parser could not find


@dataclass
class Chunk:
    chunk_id: str  # stable: doc_id + content hash + ordinal
    doc_id: str
    text: str  # the verbatim quote
    start: int
    end: int
    kind: ChunkKind
    ordinal: int
    embed_text: str  # text + a contextual header; what gets embedded, never shown as a quote
    interviewee: str = ""  # the interview's (main) interviewee
    speaker: str = ""  # who said this quote; "" for text no one in the interview said (intro, case)
    role: str = ""  # the speaker's role and organisation (the interviewee's when no speaker)
    organisation: str = ""
    case: str = ""
    question_no: int = 0  # 0: not an answer to a question
    question: str = ""
    section: str = ""
    source_path: str = ""
    content_hash: str = ""  # the document's content hash (which version it belongs to)
    language: str = ""

    def metadata(self) -> dict[str, str | int]:
        """Chroma-safe metadata (no None values)."""
        return {
            "doc_id": self.doc_id,
            "kind": self.kind,
            "ordinal": self.ordinal,
            "start": self.start,
            "end": self.end,
            "interviewee": self.interviewee,
            "speaker": self.speaker,
            "role": self.role,
            "organisation": self.organisation,
            "case": self.case,
            "question_no": self.question_no,
            "question": self.question,
            "section": self.section,
            "source_path": self.source_path,
            "content_hash": self.content_hash,
            "language": self.language,
            "embed_hash": sha256(self.embed_text),
        }
