"""The pure parts of the UI: Markdown escaping, citation badges, a quote's passage,
and the exported Markdown and CSV."""
from __future__ import annotations

import csv
import io
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.types import Answer, Source
from ui.export import conversation_markdown, quotes_csv
from ui.text import answer_markdown, escape_md, highlight_markdown, passage_for


def _unescape(md: str) -> str:
    return re.sub(r"\\(.)", r"\1", md.replace("  \n", "\n"))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_escape_leaves_no_markup(text: str) -> None:
    md = escape_md(text)
    # every ASCII punctuation mark that Markdown or Streamlit could interpret is escaped
    assert not re.search(r"(?<!\\)[<>\[\]()`*_$:!|~#]", md.replace("\\\\", ""))
    # and escaping loses nothing but leading indentation (which would make a code block)
    expected = "\n".join(line.lstrip(" \t\u00a0") for line in text.split("\n"))
    assert _unescape(md).replace("\n\n", "\n") == expected.replace("\n\n", "\n")


def test_answer_markdown_badges_lists_and_bold() -> None:
    md = answer_markdown("Here is what they say:\n\n**Anna** (Vejby)\n\n- \u201cIt takes time.\u201d [1]\n- Costs [2, 3]\n• Tid [4]")
    assert ":primary-badge[1]" in md and ":primary-badge[2,3]" in md and ":primary-badge[4]" in md
    assert "**Anna**" in md
    assert md.count("\n- ") == 3  # list items stay list items (• becomes -)


def test_answer_markdown_escapes_interview_markup() -> None:
    md = answer_markdown("\u201c<script>alert(1)</script> [x](javascript:alert(1)) $5\u201d [1]")
    assert "<script>" not in md and "](javascript" not in md and "\\$5" in md
    assert md.endswith(":primary-badge[1]")


def test_highlight_keeps_emphasis_tight_per_line() -> None:
    md = highlight_markdown("Before. ", " • first line \n second line", " after")
    assert ":orange-background[• first line]" in md
    assert ":orange-background[second line]" in md


BODY_TEXT = (
    "Anna Holm, bibliotekar, har svaret.\n\nCASEN\n\nProjektet samlede frivillige.\n\n"
    "1) Hvad er udfordringerne?\n\n • Det tager tid.\n • Økonomien er svær.\n • Forventninger skal afstemmes.\n\n"
    "2) Hvad fik I ud af det?\n\n • Et netværk.\n"
)


def _span(text: str) -> dict:
    start = BODY_TEXT.index(text)
    return {"text": text, "start": start, "end": start + len(text)}


BODY = {
    "text": BODY_TEXT,
    "intro": _span("Anna Holm, bibliotekar, har svaret."),
    "case_description": [_span("Projektet samlede frivillige.")],
    "qa": [
        {"number": 1, "question": "Hvad er udfordringerne?", "answers": [_span("Det tager tid."), _span("Økonomien er svær."), _span("Forventninger skal afstemmes.")]},
        {"number": 2, "question": "Hvad fik I ud af det?", "answers": [_span("Et netværk.")]},
    ],
}


def test_passage_is_the_surrounding_answer() -> None:
    s = _span("Økonomien er svær.")
    p = passage_for(BODY, s["start"], s["end"], s["text"])
    assert p.found and p.quote == "Økonomien er svær."
    assert "Det tager tid." in p.before and "Forventninger" in p.after
    assert "Et netværk" not in p.after and "Hvad fik" not in p.after  # stays within its answer
    assert p.before.lstrip().startswith("•")  # the first bullet keeps its marker


def test_passage_falls_back_when_spans_moved() -> None:
    p = passage_for(BODY, 0, 5, "Et netværk.")  # stale span: found by text instead
    assert p.found and p.quote == "Et netværk."
    assert passage_for(None, 0, 5, "x").found is False
    assert passage_for(BODY, 0, 5, "not in the text").quote == "not in the text"


def test_long_passages_are_trimmed_at_sentence_edges() -> None:
    sentences = " ".join(f"Sætning nummer {i} handler om noget." for i in range(200))
    text = f"1) Spørgsmål?\n\n{sentences}\n"
    quote = "Sætning nummer 100 handler om noget."
    start = text.index(quote)
    body = {"text": text, "qa": [{"question": "Spørgsmål?", "answers": [{"text": sentences, "start": text.index(sentences), "end": text.index(sentences) + len(sentences)}]}]}
    p = passage_for(body, start, start + len(quote), quote)
    assert p.before.startswith("…Sætning") and p.after.endswith("…")
    assert 300 < len(p.before) < 700 and 300 < len(p.after) < 700


def _source(n: int = 1, quote: str = "Det tager tid.") -> Source:
    return Source(
        n=n, doc_id="anna.txt", chunk_id="c1", quote=quote, interviewee="Anna Holm", role="bibliotekar",
        organisation="Vejby Bibliotek", case="Læsecaféen", question="Hvad er udfordringerne?",
        source_path="/x/anna.txt", start=0, end=len(quote), score=0.5,
    )


def test_conversation_markdown_has_questions_answers_citations_and_quotes() -> None:
    answer = Answer("Hvad er udfordringerne?", "da", "extractive", "\u201cDet tager tid.\u201d [1]", [_source()], notice="LLM unreachable")
    md = conversation_markdown([{"role": "user", "content": "Hvad er udfordringerne?"}, {"role": "assistant", "answer": answer}])
    assert "## 1. Hvad er udfordringerne?" in md
    assert "\u201cDet tager tid.\u201d [1]" in md
    assert "**[1]** Anna Holm, bibliotekar, Vejby Bibliotek" in md
    assert "Case: Læsecaféen" in md and "File: anna.txt" in md and "> Det tager tid." in md
    assert "LLM unreachable" in md


def test_quotes_csv_roundtrips_and_defuses_formulas() -> None:
    data = quotes_csv([_source(1, "Økonomi, \"tid\" og\nforventninger"), _source(2, "=HYPERLINK(\"http://x\")")])
    assert data.startswith("\ufeff".encode())  # Excel reads UTF-8 with a BOM
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0]["quote"] == "Økonomi, \"tid\" og\nforventninger"
    assert rows[0]["interviewee"] == "Anna Holm" and rows[0]["file"] == "anna.txt"
    assert "Anna Holm" in rows[0]["citation"]
    assert rows[1]["quote"].startswith("'=")


def test_exports_credit_the_speaker_and_never_an_editor_text_to_the_interviewee() -> None:
    from dataclasses import replace

    said = replace(_source(1, "Vi talte med Karsten."), speaker="Mette Lind", relevance=0.81)
    case = replace(_source(2, "Projektet samlede biblioteket og klubben."), kind="case", question="", speaker="")
    rows = list(csv.DictReader(io.StringIO(quotes_csv([said, case]).decode("utf-8-sig"))))
    assert rows[0]["speaker"] == "Mette Lind" and rows[0]["interviewee"] == "Anna Holm" and rows[0]["relevance"] == "0.81"
    assert rows[1]["speaker"] == "" and rows[1]["kind"] == "case"
    assert "\u2014 Mette Lind" in said.citation()
    assert "\u2014 Anna Holm" not in case.citation() and "interview: Anna Holm" in case.citation()
