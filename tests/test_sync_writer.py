"""The sync's batched writes skip the stale-chunk delete of documents new to the store:
stale chunks of a known document still go, and a failed batch write is the sync's error
with nothing committed."""
from __future__ import annotations

import pytest

import ingest.sync as sync
from ingest.sync import sync_paths
from knowledge.store import Store, StoreError


def _spy_stale(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = Store.delete_stale_chunks

    def spy(self, doc_id, keep_hash):
        calls.append(doc_id)
        return real(self, doc_id, keep_hash)

    monkeypatch.setattr(Store, "delete_stale_chunks", spy)
    return calls


def test_a_first_ingest_deletes_no_stale_chunks_and_an_edit_does(settings, write_interview, hash_embeddings, monkeypatch):
    calls = _spy_stale(monkeypatch)
    path = write_interview("a.txt")
    write_interview("b.txt", name="Bo Berg")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    assert calls == []  # neither had a manifest record, so neither can have old chunks

    path.write_text(path.read_text(encoding="utf-8") + "\n3) Hvad nu?\n\n • Et nyt svar om samarbejdet.\n", encoding="utf-8")
    report = sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    assert report.updated == ["a.txt"] and calls == ["a.txt"]
    store = Store(settings)
    docs = store.documents()
    got = store.chunks.get(where={"doc_id": "a.txt"}, include=["metadatas"])
    assert {m["content_hash"] for m in got["metadatas"]} == {docs["a.txt"].content_hash}  # the old version is gone


def test_a_pending_first_ingest_still_has_its_stale_chunks_deleted(settings, write_interview, hash_embeddings, monkeypatch):
    """A first ingest killed after its upsert left a pending record and chunks of that
    version; the file then changed. The next sync must delete those chunks."""
    path = write_interview("a.txt")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    store = Store(settings)
    old_hash = store.documents()["a.txt"].content_hash
    store.begin_documents([("a.txt", old_hash, {})])  # as if the commit never happened
    store.docs.update(ids=["a.txt"], metadatas=[{"content_hash": ""}])
    path.write_text(path.read_text(encoding="utf-8") + "\nEn ny afsluttende sætning.\n", encoding="utf-8")
    calls = _spy_stale(monkeypatch)
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    assert calls == ["a.txt"]
    got = Store(settings).chunks.get(where={"doc_id": "a.txt"}, include=["metadatas"])
    assert old_hash not in {m["content_hash"] for m in got["metadatas"]}


def test_a_failed_batch_write_is_the_syncs_error_and_nothing_is_committed(settings, write_interview, hash_embeddings, monkeypatch):
    monkeypatch.setattr(sync, "WRITE_BATCH_CHUNKS", 1)
    for i in range(3):
        write_interview(f"i{i}.txt", name=f"Person {i} Holm")

    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Store, "upsert_chunks", broken)
    with pytest.raises(StoreError, match="disk full"):
        sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    assert not any(d.committed for d in Store(settings).documents().values())
