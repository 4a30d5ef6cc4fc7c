"""The retrieval snapshot persisted beside the store (knowledge/snapshot_cache.py): written
after a build, memory-mapped by the next process of the same store version, rebuilt when a
sync moves the version, and never a reason for a query to fail."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from ingest.sync import lock_for, sync_paths
from knowledge import corpus as corpus_mod
from knowledge.service import Casebase
from knowledge.settings import Settings
from knowledge.snapshot_cache import cache_root
from tests.conftest import interview_text

QUESTIONS = ["Hvad var svært ved netværket og det trådløse net?", "How many households borrowed seed packets?",
             "Hvorfor e-sport?", "What did the seed library achieve?"]


def versions(settings: Settings) -> list[str]:
    root = cache_root(settings)
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def no_store_reads(monkeypatch) -> None:
    """A snapshot must come from the cache: reading the chunks from Chroma fails the test."""
    def refuse(*a, **kw):
        raise AssertionError("the snapshot was read from the store, not the cache")

    monkeypatch.setattr(corpus_mod, "_read_corpus", refuse)


def same_snapshot(a, b) -> None:
    """Two snapshots hold the same rows, bit for bit, in the same order."""
    assert a.ids == b.ids and a.texts == b.texts
    assert np.array_equal(np.asarray(a.vectors), np.asarray(b.vectors))
    assert np.array_equal(np.asarray(a.q_vectors), np.asarray(b.q_vectors))
    for k in b.columns:
        assert list(a.columns[k]) == list(b.columns[k]), k
    for k in b.ints:
        assert np.array_equal(a.ints[k], b.ints[k]), k
    assert np.array_equal(a.q_index, b.q_index) and np.array_equal(a.group, b.group)
    assert a.lexical.vocab == b.lexical.vocab and a.lexical.idf == b.lexical.idf


def answers(cb: Casebase) -> list:
    out = []
    for q in QUESTIONS:
        out.append([(s.chunk_id, round(s.relevance, 6), s.weak) for s in cb.search(q, k=6)])
        a = cb.ask(q)
        out.append(a.to_dict())
        result, sources = cb.relevant(q)
        out.append([s.chunk_id for s in sources])
    out.append([s.chunk_id for s in cb.find("netværket", mode="words").sources])
    out.append(cb.find("seed library", mode="phrase").total)
    out.append([s.chunk_id for s in cb.search("e-sport", k=3, filters={"language": "da"})])
    return out


def test_written_after_a_build_and_reused_with_identical_results(casebase: Casebase, settings: Settings,
                                                                 hash_embeddings, monkeypatch) -> None:
    built = casebase.corpus()
    assert not built.from_cache
    assert versions(settings) and len(versions(settings)) == 1
    expected = answers(casebase)

    no_store_reads(monkeypatch)
    fresh = Casebase(settings, hash_embeddings)
    cached = fresh.corpus()
    assert cached.from_cache and cached.version == built.version
    assert isinstance(cached.vectors, np.memmap) and not cached.vectors.flags.writeable
    same_snapshot(cached, built)
    assert [cached.meta(i) for i in range(len(cached))] == [built.meta(i) for i in range(len(built))]
    assert answers(fresh) == expected


def test_a_sync_that_changes_the_version_rebuilds_it(casebase: Casebase, settings: Settings, hash_embeddings,
                                                     knowledge_folder: Path, monkeypatch) -> None:
    casebase.corpus()
    before = versions(settings)
    (knowledge_folder / "ny.txt").write_text(interview_text(name="Ny Person", org="Nordby Kulturhus"), encoding="utf-8")
    sync_paths([knowledge_folder], settings, embeddings=hash_embeddings)
    fresh = Casebase(settings, hash_embeddings)
    rebuilt = fresh.corpus()
    assert not rebuilt.from_cache and "ny.txt" in set(rebuilt.columns["doc_id"])
    after = versions(settings)
    assert len(after) == 1 and after != before  # the old version is removed
    no_store_reads(monkeypatch)
    again = Casebase(settings, hash_embeddings).corpus()
    assert again.from_cache and "ny.txt" in set(again.columns["doc_id"])
    # the first facade notices the new version too, from the cache
    assert casebase.corpus().from_cache and casebase.corpus().version == rebuilt.version


@pytest.mark.parametrize("damage", ["truncate-vectors", "garbage-texts", "manifest-count", "lexical", "no-bm25"])
def test_a_damaged_cache_falls_back_to_the_store(casebase: Casebase, settings: Settings, hash_embeddings,
                                                 damage: str, caplog) -> None:
    expected = answers(casebase)
    folder = cache_root(settings) / versions(settings)[0]
    if damage == "truncate-vectors":
        data = (folder / "vectors.npy").read_bytes()
        (folder / "vectors.npy").write_bytes(data[: len(data) // 2])
    elif damage == "garbage-texts":
        raw = (folder / "texts.json").read_bytes()
        (folder / "texts.json").write_bytes(b"\x00" * len(raw))  # same size: only the parse notices
    elif damage == "manifest-count":
        man = json.loads((folder / "manifest.json").read_text())
        man["n"] += 1
        (folder / "manifest.json").write_text(json.dumps(man))
    elif damage == "lexical":
        doc = json.loads((folder / "lexical" / "lexical.json").read_text())
        doc["lang_n"] = {k: v + 1 for k, v in doc["lang_n"].items()}
        (folder / "lexical" / "lexical.json").write_text(json.dumps(doc))
        man = json.loads((folder / "manifest.json").read_text())
        man["files"]["lexical/lexical.json"] = (folder / "lexical" / "lexical.json").stat().st_size
        (folder / "manifest.json").write_text(json.dumps(man))
    else:
        for p in (folder / "lexical" / "bm25").iterdir():
            p.unlink()
    fresh = Casebase(settings, hash_embeddings)
    with caplog.at_level(logging.WARNING, logger="knowledge.snapshot_cache"):
        corpus = fresh.corpus()
    assert not corpus.from_cache
    assert any("unusable" in r.getMessage() for r in caplog.records)
    assert answers(fresh) == expected
    # and it was written again, whole
    assert Casebase(settings, hash_embeddings).corpus().from_cache


def test_not_written_while_a_sync_holds_the_lock(casebase: Casebase, settings: Settings, hash_embeddings) -> None:
    lock = lock_for(settings)
    lock.acquire(timeout=5)
    try:
        assert not casebase.corpus().from_cache
        assert versions(settings) == []
    finally:
        lock.release()
    assert not Casebase(settings, hash_embeddings).corpus().from_cache
    assert len(versions(settings)) == 1
    assert Casebase(settings, hash_embeddings).corpus().from_cache


def test_a_rebuilt_store_of_the_same_version_number_is_not_mistaken(casebase: Casebase, settings: Settings,
                                                                    hash_embeddings, knowledge_folder: Path) -> None:
    old = casebase.corpus()
    (knowledge_folder / "havnestad-ungdomsskole.txt").unlink()
    sync_paths([knowledge_folder], settings, embeddings=hash_embeddings, rebuild=True)
    fresh = Casebase(settings, hash_embeddings).corpus()
    assert "havnestad-ungdomsskole.txt" not in set(fresh.columns["doc_id"])
    assert len(fresh) < len(old)


def test_a_new_version_drops_the_old_before_it_is_built(casebase: Casebase, settings: Settings, hash_embeddings,
                                                        knowledge_folder: Path) -> None:
    casebase.corpus()
    old = versions(settings)
    (knowledge_folder / "ny.txt").write_text(interview_text(name="Ny Person"), encoding="utf-8")
    sync_paths([knowledge_folder], settings, embeddings=hash_embeddings)
    lock = lock_for(settings)
    lock.acquire(timeout=5)  # a sync is writing again: the new version is not written
    try:
        assert not Casebase(settings, hash_embeddings).corpus().from_cache
    finally:
        lock.release()
    assert old and versions(settings) == []
