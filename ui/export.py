"""Downloads: a conversation as Markdown, quotes as CSV. Pure functions (no Streamlit),
so the exact bytes a user gets are easy to test.

The Markdown file is a document the user owns and edits, not something we
render: quotes are kept verbatim, set as block quotes so they stay apart
from the answer prose, each with its full citation.
"""
from __future__ import annotations

import time
from typing import Any, Iterable

from knowledge.exports import csv_bytes, rows_csv
from knowledge.types import Answer, Source

CSV_COLUMNS = ["n", "quote", "speaker", "interviewee", "role", "organisation", "case", "question", "kind", "file", "citation", "relevance", "score"]


def who(source: Source) -> str:
    return ", ".join(p for p in (source.said_by or source.interviewee, source.role, source.organisation) if p) or "Unknown speaker"


def describe_filters(filters: dict[str, Any] | None) -> str:
    """"Only organisation: A, B · case: C" for the filters an answer was given under."""
    parts = []
    for key, values in (filters or {}).items():
        vals = [values] if isinstance(values, str) else list(values or [])
        if vals:
            parts.append(f"{key}: {', '.join(map(str, vals))}")
    return ("Only " + " · ".join(parts)) if parts else ""


def conversation_markdown(messages: Iterable[dict[str, Any]], title: str = "Casebase conversation") -> str:
    """The chat as Markdown: each question, its answer with [n] markers, then the sources."""
    out = [f"# {title}", "", f"_Exported {time.strftime('%Y-%m-%d %H:%M')}_", ""]
    turn = 0
    for msg in messages:
        if msg.get("role") == "user":
            turn += 1
            out += [f"## {turn}. {_one_line(msg.get('content', ''))}", ""]
            continue
        answer: Answer | None = msg.get("answer")
        if answer is None:
            if msg.get("content"):
                out += [str(msg["content"]), ""]
            continue
        if msg.get("filters"):
            out += [f"_{describe_filters(msg['filters'])}_", ""]
        if answer.notice:
            out += [f"> **Note:** {_one_line(answer.notice)}", ""]
        out += [answer.answer.strip(), ""]
        if answer.flagged:
            out += ["_Removed from the answer because no source supported it:_", ""]
            out += [f"- {_one_line(f)}" for f in answer.flagged] + [""]
        if answer.sources:
            out += ["### Sources", ""]
            for s in answer.sources:
                out.append(f"**[{s.n}]** {who(s)}")
                details = [f"Case: {s.case}" if s.case else "", f"Question: {s.question}" if s.question else "", f"File: {s.doc_id}"]
                out.append("  \n".join(d for d in details if d))
                out.append("")
                out += [f"> {line}" if line.strip() else ">" for line in s.quote.strip().split("\n")]
                out.append("")
    return "\n".join(out).rstrip() + "\n"


def quotes_rows(sources: Iterable[Source]) -> list[dict[str, Any]]:
    return [
        {
            "n": s.n,
            "quote": s.quote,
            "speaker": s.said_by,
            "interviewee": s.interviewee,
            "role": s.role,
            "organisation": s.organisation,
            "case": s.case,
            "question": s.question,
            "kind": s.kind,
            "file": s.doc_id,
            "citation": s.citation(),
            "relevance": round(float(s.relevance), 3),
            "score": round(float(s.score), 4),
        }
        for s in sources
    ]


def quotes_csv(sources: Iterable[Source]) -> bytes:
    """CSV in UTF-8 with a byte-order mark (see ``knowledge.exports.csv_bytes``); cells a
    spreadsheet would run as formulas are defused there too."""
    return csv_bytes(rows_csv(quotes_rows(sources), CSV_COLUMNS))


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
