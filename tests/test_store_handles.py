"""A fresh Store is a new object: reading a snapshot that has to reopen the store, and a
rebuild, never re-initialise a Store other threads may be using."""
from __future__ import annotations

import knowledge.corpus as corpus_mod
from knowledge.corpus import load_corpus
from knowledge.store import Store


def _failing_once(monkeypatch):
    """_read_corpus failing on its first read with vectors, as chromadb does when another
    process wrote the store since this process's Chroma system loaded it."""
    real = corpus_mod._read_corpus
    calls: list[Store] = []

    def flaky(store, emb, with_vectors):
        calls.append(store)
        if len(calls) == 1:
            raise RuntimeError("Error executing plan: Internal error: Error finding id")
        return real(store, emb, with_vectors)

    monkeypatch.setattr(corpus_mod, "_read_corpus", flaky)
    monkeypatch.setattr(corpus_mod.time, "sleep", lambda s: None)
    return calls


def test_a_snapshot_that_reopens_leaves_the_callers_store_alone(casebase, monkeypatch):
    store = casebase.store
    client, chunks = store.client, store.chunks
    calls = _failing_once(monkeypatch)
    corpus = load_corpus(store, store.embeddings)
    assert not corpus.partial and len(corpus) == store.chunks.count()
    # the retry read through a new Store, which the corpus carries; the caller's is as it was
    assert len(calls) == 2 and calls[1] is not store and corpus.store is calls[1]
    assert store.client is client and store.chunks is chunks


def test_the_facade_adopts_the_reopened_store(casebase, monkeypatch):
    casebase.store.version()
    before = casebase.store
    _failing_once(monkeypatch)
    corpus = casebase.corpus()
    assert casebase.store is corpus.store and casebase.store is not before
    assert casebase.ask("What did the seed library achieve?").sources  # and it works


def test_reset_returns_a_new_handle_on_empty_collections(casebase):
    store = casebase.store
    assert store.chunks.count() > 0
    fresh = store.reset()
    assert fresh is not store and fresh.chunks.count() == 0 and fresh.documents() == {}
