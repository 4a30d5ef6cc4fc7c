"""What a question asks: the frame researchers put around it is not matched to passages."""
from __future__ import annotations

import numpy as np
import pytest

from knowledge.query import core, question_vector, views


@pytest.mark.parametrize("question, asked", [
    ("What do the interviewees say about the barriers in their partnerships?", "the barriers in their partnerships"),
    ("what does the librarian think of the volunteers", "the volunteers"),
    ("Hvad siger de interviewede om barrierer og udfordringer?", "barrierer og udfordringer"),
    ("Hvad fortæller interviewpersonerne om økonomien?", "økonomien"),
    ("Hvilke barrierer møder bibliotekerne?", "barrierer møder bibliotekerne"),
    ("What are the barriers to library partnerships?", "barriers to library partnerships"),
    ("Tell me about the reading boat.", "the reading boat"),
])
def test_frames_are_removed(question: str, asked: str) -> None:
    assert core(question) == asked


@pytest.mark.parametrize("question", ["How did the volunteers get involved?", "Hvorfor e-sport?", "Hvad er det?", "tavshedspligt", ""])
def test_no_frame_or_nothing_left_gives_no_core(question: str) -> None:
    assert core(question) == ""


def test_views_are_distinct_and_start_with_the_question() -> None:
    q = "What are the barriers?"
    assert views(q) == [q, "barriers"]
    assert views(q, focus="barriers") == [q, "barriers"]
    assert views("Hvorfor e-sport?", focus="e-sport") == ["Hvorfor e-sport?", "e-sport"]


def test_question_vector_is_the_unit_mean_of_its_views(hash_embeddings) -> None:
    texts = ["What are the barriers?", "barriers"]
    v = question_vector(hash_embeddings, texts)
    parts = [np.asarray(hash_embeddings.embed_query(t)) for t in texts]
    parts = [p / np.linalg.norm(p) for p in parts]
    expected = np.sum(parts, axis=0)
    assert np.allclose(v, expected / np.linalg.norm(expected), atol=1e-5)
    assert abs(np.linalg.norm(v) - 1.0) < 1e-5


@pytest.mark.parametrize("typed, canon", [
    ("what are the barriers to library partnerships", "What are the barriers to library partnerships?"),
    ("  hvilke   barrierer møder bibliotekerne ", "Hvilke barrierer møder bibliotekerne?"),
    ("What are the barriers?", "What are the barriers?"),
    ("frivillige", "Frivillige"),
    ("how come", "How come"),  # two words: a keyword search, not made a question
    ("barriers to library partnerships", "Barriers to library partnerships"),
    ("", ""),
])
def test_canonical_form(typed: str, canon: str) -> None:
    from knowledge.query import canonical

    assert canonical(typed) == canon


def test_the_model_sees_the_canonical_question(casebase) -> None:
    """Typed in lower case without a question mark, a question is embedded as the
    labelled questions the relevance model was fitted on were written."""
    from knowledge import vectors

    seen: list[str] = []
    emb = casebase.corpus().embeddings
    real = emb.embed_query

    def spy(text: str):
        seen.append(text)
        return real(text)

    emb.embed_query = spy
    vectors._LRU.clear()
    try:
        casebase.ask("hvad var svært i samarbejdet")
    finally:
        del emb.embed_query
    assert "Hvad var svært i samarbejdet?" in seen and "hvad var svært i samarbejdet" not in seen


@pytest.mark.parametrize("question, follow", [
    ("and the barriers?", True), ("Og frivillige?", True), ("hvad med økonomien?", True), ("What about money?", True),
    ("barriers?", True), ("How did the volunteers get involved?", False), ("Hvad fik partnerne ud af samarbejdet?", False),
])
def test_follow_ups_are_the_elliptical_ones(question: str, follow: bool) -> None:
    from knowledge.query import is_follow_up

    assert is_follow_up(question) is follow


def test_a_complete_question_after_another_stands_alone(casebase) -> None:
    first = "Hvorfor spiller de unge e-sport på biblioteket?"
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": "..."}]
    alone = casebase.ask("Hvad var svært i samarbejdet?")
    after = casebase.ask("Hvad var svært i samarbejdet?", history=history)
    assert [s.chunk_id for s in after.sources] == [s.chunk_id for s in alone.sources] and not after.notice
    elliptical = casebase.ask("og det svære?", history=history)
    assert first in elliptical.notice  # says what it searched for


def test_focus_is_what_the_question_asks_beyond_the_topic() -> None:
    from knowledge.lexical import LexicalIndex

    texts = [f"De frivillige på biblioteket hjalp med opgave {i}." for i in range(12)] + ["Budgettet var for lille."] * 3
    index = LexicalIndex(texts, ["da"] * len(texts))
    assert index.focus("Hvilke barrierer mødte de frivillige?") == "Hvilke barrierer mødte de"
    # when the topic word is all the question asks about, nothing is left worth embedding
    assert index.focus("de frivillige") is None
    assert index.focus("Budgettet") is None  # not topical: nothing removed
