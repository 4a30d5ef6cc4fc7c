"""Interview → chunks: verbatim quotes, stable ids, full metadata."""
from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.chunk import chunk_interview, split_span
from ingest.model import Span
from ingest.parse import parse_interview
from ingest.pipeline import read_interview

SEED = Path(__file__).resolve().parent.parent / "data" / "interviews" / "herning-bibliotekerne-sansefortaellingen.txt"


def parse(text: str, doc_id: str = "doc.txt", content_hash: str = "abcdef0123456789" * 4):
    return parse_interview(text, doc_id=doc_id, source_path=f"/x/{doc_id}", content_hash=content_hash)


def test_seed_chunks_are_verbatim_with_full_metadata() -> None:
    iv = read_interview(SEED, "herning.txt")
    chunks = chunk_interview(iv)
    kinds = [c.kind for c in chunks]
    assert kinds.count("intro") == 1 and kinds.count("case") == 3 and kinds.count("answer") == 13
    for ordinal, c in enumerate(chunks):
        assert iv.text[c.start:c.end] == c.text
        assert c.ordinal == ordinal
        assert c.chunk_id == f"herning.txt::{iv.content_hash[:12]}::{ordinal}"
        assert (c.interviewee, c.role, c.organisation) == ("Mikael Graaberg", "Kommunikationschef", "Herning Bibliotekerne")
        assert c.case == "Sansefortællingen" and c.language == "da"
        assert c.content_hash == iv.content_hash and c.source_path == iv.source_path
        assert c.embed_text.endswith("\n" + c.text)
    answer = next(c for c in chunks if c.text.startswith("Ting tager tid!"))
    assert answer.question_no == 2
    assert answer.question == "Hvad er de største udfordringer ved at arbejde med partnerskaber?"
    assert answer.section == "“5 HURTIGE” TIL PARTNERSKABET"
    assert answer.embed_text.split("\n")[0] == (
        "Mikael Graaberg, Kommunikationschef, Herning Bibliotekerne | Sansefortællingen | "
        "Spørgsmål: Hvad er de største udfordringer ved at arbejde med partnerskaber?"
    )
    case = next(c for c in chunks if c.kind == "case")
    assert case.question_no == 0 and case.section == "PARTNERSKABET – ET KORT OPRIDS"


def test_chunk_ids_are_stable_and_change_with_content() -> None:
    text = "1) Hvad lærte I?\n• Meget.\n• Endnu mere.\n"
    first = [c.chunk_id for c in chunk_interview(parse(text))]
    assert first == [c.chunk_id for c in chunk_interview(parse(text))]
    other = [c.chunk_id for c in chunk_interview(parse(text, content_hash="0" * 64))]
    assert set(first).isdisjoint(other)


def test_long_answers_split_at_sentence_boundaries() -> None:
    sentences = [f"Sætning nummer {i} handler om partnerskaber og tid." for i in range(30)]
    text = "1) Hvad tog tid?\n" + " ".join(sentences) + "\n"
    iv = parse(text)
    chunks = chunk_interview(iv, max_chars=200)
    assert len(chunks) > 1
    for c in chunks:
        assert len(c.text) <= 200
        assert c.text.startswith("Sætning") and c.text.endswith("tid.")
        assert c.question == "Hvad tog tid?"
    assert " ".join(c.text for c in chunks) == " ".join(sentences)


def test_sentence_longer_than_limit_is_cut_at_a_space() -> None:
    text = "ord " * 100
    pieces = split_span(text, Span(text.strip(), 0, len(text.strip())), 50)
    assert all(0 < e - s <= 50 and text[s:e] == text[s:e].strip() for s, e in pieces)
    assert all(text[s:e].endswith("ord") for s, e in pieces)


def test_paragraph_fallback_chunks() -> None:
    iv = parse("Første afsnit om samarbejdet.\n\nAndet afsnit om netværk.\n")
    chunks = chunk_interview(iv)
    assert [(c.kind, c.text) for c in chunks] == [
        ("paragraph", "Første afsnit om samarbejdet."),
        ("paragraph", "Andet afsnit om netværk."),
    ]
    assert all(c.question_no == 0 and c.question == "" for c in chunks)


def test_english_header_and_metadata_are_chroma_safe() -> None:
    iv = parse("Ann Lee, Director at Maker Hub, answered.\n\n1. What did you gain?\n- New members.\n")
    chunk = chunk_interview(iv)[-1]
    assert chunk.embed_text == "Ann Lee, Director, Maker Hub | Question: What did you gain?\nNew members."
    meta = chunk.metadata()
    assert all(isinstance(v, (str, int)) for v in meta.values())


_INTERVIEWISH = st.lists(
    st.sampled_from([
        "1) Hvad lærte I?", "Q2: What now?", "• Et svar.", "- a bullet", "", " ", "\u00a0",
        "PARTNERSKABET – ET KORT OPRIDS", "sætning.OVERSKRIFT MED STORE", "**Fed?**", "## Overskrift",
        "Navn: Anna Berg", "Interviewer: Hvorfor?", "Karen: Fordi.", "2. Liste", "---", "a) under",
        "Lang tekst " * 30 + "slut.", "Anna Berg, leder på Huset har svaret.", "?", "•", "1)", "\t",
        "**Q1:** Hvad?", "## **Spørgsmål 2:** Hvorfor?", "Interview med **Anna Berg**, leder, Huset.",
        "> ## Citat?", "**Anna:** Ja.", "##Hvad nu?", "Case: Fælles scene.", "*", "**", "## **", "Q1: ** **",
    ]),
    max_size=25,
).map("\n".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(st.text(max_size=400), _INTERVIEWISH), max_chars=st.integers(min_value=1, max_value=700))
def test_any_text_parses_and_chunks_verbatim(text: str, max_chars: int) -> None:
    iv = parse(text)
    for chunk in chunk_interview(iv, max_chars=max_chars):
        assert chunk.text
        assert iv.text[chunk.start:chunk.end] == chunk.text
        assert chunk.text == chunk.text.strip()
        assert len(chunk.text) <= max_chars


CREDITS = """Sofie Lind fra Havby Bibliotek har svaret på de 5 hurtige om Læsehjørnet.

1) Hvad var formålet?
• At nå flere læsere.
2)Hvad var svært?
• Pengene.
Hvilke barrierer mødte I?
• Ingen havde tid.
Interviewer: Det lyder hårdt.
Hvordan kom I videre?
• Vi fik en frivillig.
(Svarene er forkortet af redaktionen.)
Red.: Den frivillige var pensionist.
"""


def test_only_the_interviewees_words_are_credited_to_her() -> None:
    iv = parse(CREDITS)
    chunks = chunk_interview(iv)
    said = [c for c in chunks if c.kind == "answer"]
    assert [(c.question_no, c.question, c.text) for c in said] == [
        (1, "Hvad var formålet?", "At nå flere læsere."),
        (2, "Hvad var svært?", "Pengene."),
        (3, "Hvilke barrierer mødte I?", "Ingen havde tid."),
        (4, "Det lyder hårdt. Hvordan kom I videre?", "Vi fik en frivillig."),
    ]
    assert {(c.interviewee, c.speaker, c.organisation) for c in said} == {("Sofie Lind", "Sofie Lind", "Havby Bibliotek")}
    others = [c for c in chunks if c.kind != "answer"]
    assert [c.text for c in others] == [
        CREDITS.splitlines()[0], "(Svarene er forkortet af redaktionen.)", "Red.: Den frivillige var pensionist.",
    ]
    assert all(c.speaker == "" for c in others)


def test_editors_line_in_a_transcript_is_no_ones_turn() -> None:
    text = (
        "I: Hvordan startede det?\nR: Med en kaffe.\nRed.: Kaffen var gratis.\n"
        "I: Og så?\nR: Så kom der flere.\n"
    )
    iv = parse_interview(text, doc_id="t.txt", source_path="/x/t.txt", content_hash="a" * 64, meta={"interviewee": "Per Å"})
    chunks = chunk_interview(iv)
    assert [(c.speaker, c.text) for c in chunks] == [("Per Å", "Med en kaffe."), ("Per Å", "Så kom der flere.")]
