"""The shortcuts that make questions and the theme matrix cheap at scale, each checked to
change nothing a user sees: the store's change token (a question no longer asks Chroma
for the version), sentences only up to the quote window, and theme query vectors kept
in the store for the next process."""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest.sync import sync_paths
from knowledge import vectors
from knowledge.answer import trim_quote
from knowledge.embeddings import HashEmbeddings
from knowledge.sentences import sentence_spans
from knowledge.service import Casebase
from knowledge.settings import Settings
from knowledge.store import Store
from knowledge.types import Theme
from tests.conftest import interview_text


class CountingHash(HashEmbeddings):
    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []

    def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return super().embed_query(text)


def test_the_change_token_moves_with_every_write_and_only_then(casebase: Casebase, settings: Settings) -> None:
    store = Store(settings, casebase.store.embeddings)
    first = store.change_token()
    assert first is not None and store.change_token() == first  # reading changes nothing
    store.bump_version()
    assert store.change_token() != first


def test_a_sync_by_another_process_is_seen_at_the_next_question(casebase: Casebase, settings: Settings,
                                                               knowledge_folder: Path, hash_embeddings) -> None:
    before = casebase.corpus()
    assert casebase.corpus() is before  # the fast path: nothing was written
    (knowledge_folder / "ny.txt").write_text(
        interview_text(name="Ny Person", org="Nordby Kulturhus", qa={"Hvad med kaninerne?": ["Kaninerne flyttede ind i læsesalen."]}),
        encoding="utf-8")
    sync_paths([knowledge_folder], settings, embeddings=hash_embeddings)  # its own Store objects
    after = casebase.corpus()
    assert after is not before and after.version == before.version + 1
    assert any("Kaninerne" in s.quote for s in casebase.search("kaninerne i læsesalen", k=3))


def test_without_a_database_file_it_asks_the_store(settings: Settings, tmp_path: Path) -> None:
    store = Store(settings, HashEmbeddings())
    assert store.change_token() is not None
    (Path(settings.store) / "chroma.sqlite3").rename(tmp_path / "moved.sqlite3")
    assert store.change_token() is None


LONG = " ".join(
    f"Sætning nummer {i} handler om bl.a. biblioteket og partnerskabet med skolen i {2000 + i}. "
    f"Den næste siger noget andet, f.eks. om »frivillige« og ca. {i} timer om ugen!" for i in range(40))


@pytest.mark.parametrize("text", [LONG, "Kort første linje.\n" + LONG, LONG.replace("! ", "!\n")])
def test_sentences_until_are_the_first_of_all_the_sentences(text: str) -> None:
    whole = sentence_spans(text)
    for until in (0, 50, 420, 700, 1500, 5000, len(text) + 10):
        part = sentence_spans(text, until=until)
        assert part == whole[: len(part)]
        rest = whole[len(part):]
        assert (part and part[-1][1] > until) or not rest  # it stopped only past ``until``
        assert all(e <= until for _, e in part[:-1])


def test_a_quote_without_query_words_is_trimmed_as_before() -> None:
    from knowledge import answer

    for text in (LONG, "  \n" + LONG, LONG.replace(". ", ".\n")):
        spans = sentence_spans(text)
        a, b = trim_quote(text, set())
        # the first window of whole sentences, as the full search over all windows picks it
        assert a == spans[0][0]
        fits = [e for _, e in spans if e - a <= answer.MAX_QUOTE_CHARS]
        assert b == (fits[-1] if fits else b) and b - a <= answer.MAX_QUOTE_CHARS


def test_theme_vectors_are_kept_for_the_next_process(settings: Settings, knowledge_folder: Path) -> None:
    sync_paths([knowledge_folder], settings, embeddings=HashEmbeddings())
    themes = [Theme("Netværk", ["Hvad siger de om netværket?"]), Theme("Seeds", ["How many households borrowed seed packets?"])]
    # a fresh process: a vector an earlier test left in this process's cache would be a hit,
    # never embedded nor kept in the store, and the second "process" would then embed it
    vectors._LRU.clear()
    first = CountingHash()
    m1 = Casebase(settings, first).matrix(themes)
    assert first.queries  # embedded once ...
    vectors._LRU.clear()  # ... a new process has none in memory
    again = CountingHash()
    m2 = Casebase(settings, again).matrix(themes)
    assert again.queries == []  # ... and embeds none of them
    assert m2.to_dict() == m1.to_dict()
    vectors._LRU.clear()
    other = CountingHash()
    Casebase(settings, other).matrix([Theme("Ny", ["Hvad siger de om økonomien?"])])
    assert other.queries  # another theme's question is embedded


def test_a_query_process_uses_one_blas_thread(monkeypatch, settings: Settings) -> None:
    from knowledge import blas

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setattr(blas, "_done", False)
    if not blas.openblas_libraries():
        import numpy  # noqa: F401

        if not blas.openblas_libraries():
            pytest.skip("numpy without OpenBLAS")
    before = blas.threads()
    Casebase(settings, HashEmbeddings())
    assert blas.threads() and all(t == 1 for t in blas.threads())
    if before and max(before) > 1:  # put it back for the rest of the session
        blas._call("set_num_threads", max(before))


def test_matrix_quotes_are_kept_beside_the_snapshot(settings: Settings, knowledge_folder: Path, monkeypatch) -> None:
    from knowledge import whole_quotes

    long_answer = " ".join(f"Samarbejdet med skolen gav os {i} nye låneres erfaringer, og netværket voksede." for i in range(12))
    (knowledge_folder / "lang.txt").write_text(
        interview_text(name="Lang Svar", org="Sydby Bibliotek", qa={"Hvad gav netværket?": [long_answer]}), encoding="utf-8")
    sync_paths([knowledge_folder], settings, embeddings=HashEmbeddings())
    themes = [Theme("Netværk", ["Hvad gav netværket og samarbejdet med skolen?"])]
    first = Casebase(settings, HashEmbeddings())
    m1 = first.matrix(themes)
    folder = first.corpus().folder
    assert folder is not None and (folder / whole_quotes.FILE).is_file()  # the long quote's offsets
    assert any(len(c.source.quote) < len(long_answer) for c in m1.codings())  # it was cut to its first window

    def no_split(*a, **kw):
        raise AssertionError("the quote was split again")

    monkeypatch.setattr(whole_quotes, "trim_quote", lambda text, terms: (0, len(text)) if len(text) <= 420 else no_split())
    again = Casebase(settings, HashEmbeddings())
    assert again.corpus().from_cache
    assert again.matrix(themes).to_dict() == m1.to_dict()

    (folder / whole_quotes.FILE).write_text('{"max_chars": 420, "n": 1, "bounds": {"0": [5, 1]}}', encoding="utf-8")
    monkeypatch.undo()
    assert Casebase(settings, HashEmbeddings()).matrix(themes).to_dict() == m1.to_dict()  # a bad file is ignored
