"""What knowledge hands to its callers (CLI JSON, the Streamlit pages)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Source:
    n: int  # citation number, 1-based, as in "[n]"
    doc_id: str
    chunk_id: str
    quote: str  # verbatim text from the source file
    interviewee: str
    role: str
    organisation: str
    case: str
    question: str
    source_path: str
    start: int
    end: int
    score: float
    question_no: int = 0
    kind: str = "answer"
    language: str = ""
    speaker: str = ""  # who said the quote ("" for an intro or case description)
    relevance: float = 0.0  # calibrated: about this share of quotes so rated answer the question
    weak: bool = False  # a meaning search's quote below the answer threshold: shown, marked as weak

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def said_by(self) -> str:
        """Who said the quote: its speaker; "" for text no one in the interview said (an
        editor's intro or case description). An answer stored before "speaker" existed
        is its interviewee's."""
        return self.speaker or (self.interviewee if self.kind == "answer" else "")

    def citation(self) -> str:
        """One line naming who said it, where: for copying a quote with its source."""
        # credit the speaker; an intro or case description is only from the interview
        name = self.said_by
        who = ", ".join(p for p in (name or self.interviewee, self.role, self.organisation) if p)
        parts = [f"\u201c{self.quote}\u201d", (f"\u2014 {who}" if name else f"interview: {who}") if who else ""]
        if self.case:
            parts.append(f"case: {self.case}")
        if self.question:
            parts.append(f"question: {self.question}")
        parts.append(f"file: {self.doc_id}")
        return " | ".join(p for p in parts if p)


@dataclass
class Answer:
    question: str
    language: str  # "da" | "en"
    mode: str  # "extractive" | "llm"
    answer: str  # text with [n] markers
    sources: list[Source] = field(default_factory=list)
    refused: bool = False  # nothing relevant found
    notice: str = ""  # e.g. "LLM unreachable, showing extractive answer"
    flagged: list[str] = field(default_factory=list)  # removed/unsupported claims in LLM mode
    weak: list[Source] = field(default_factory=list)  # weaker matches: offered apart, never part of the answer
    interviews: int = 0  # interviews searched (after filters)
    # the interviews with neither a quote in the answer nor a weaker match: "no match found",
    # which is what was seen, not a claim that the interview says nothing on it
    silent: list[str] = field(default_factory=list)
    weaker: int = 0  # interviews with a weaker match (``weak`` lists the strongest of them)
    # interviews the filters select whose vectors an ingest under way has not written yet:
    # word search finds them, this answer could not
    not_yet_searchable: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "language": self.language,
            "mode": self.mode,
            "answer": self.answer,
            "sources": [s.to_dict() for s in self.sources],
            "refused": self.refused,
            "notice": self.notice,
            "flagged": self.flagged,
            "weak": [s.to_dict() for s in self.weak],
            "interviews": self.interviews,
            "silent": list(self.silent),
            "weaker": self.weaker,
            "not_yet_searchable": list(self.not_yet_searchable),
        }

    @property
    def answering(self) -> int:
        """How many interviews the answer quotes."""
        return len({s.doc_id for s in self.sources})


@dataclass
class Theme:
    """A theme: a name and the questions (or search phrases, Danish or English) that find it."""

    name: str
    questions: list[str] = field(default_factory=list)
    color: str = ""  # "#RRGGBB"; the QDA export's code colour

    def to_dict(self) -> dict:
        return {"name": self.name, "questions": list(self.questions), "color": self.color}


@dataclass
class Coding:
    """A quote's place in a theme: accepted by the researcher (a coded segment), rejected
    (never proposed again for that theme), or proposed by the matrix and not yet reviewed."""

    theme: str
    status: str  # "accepted" | "rejected" | "proposed"
    source: Source  # the quote with its citation; start/end index the interview's text
    found_by: str = ""  # the theme question (or user question) that found the quote
    anchor: str = "ok"  # "ok" | "moved" (re-anchored by its text after the file changed) | "lost" (text gone)

    def to_dict(self) -> dict:
        return {"theme": self.theme, "status": self.status, "found_by": self.found_by,
                "anchor": self.anchor, "source": self.source.to_dict()}
