"""The chunk-row layout (knowledge/chunk_rows.py): quotes are written as a few filter
keys plus one packed value, without a full-text-indexed document, and stores written in
the older layout (a document and every key) read exactly as before."""
from __future__ import annotations

from ingest.sync import sync_paths
from knowledge.chunk_rows import KEYS, PACKED, decode, encode
from knowledge.corpus import load_corpus
from knowledge.erase import erase_interview
from knowledge.service import Casebase
from knowledge.store import Store
from tests.test_snapshot_cache import answers, same_snapshot


def test_encode_then_decode_gives_back_the_quote_and_every_key():
    meta = {"doc_id": "a.txt", "content_hash": "h", "embed_hash": "e", "organisation": "Vejby Bibliotek",
            "speaker": "Anna", "question": "Hvad?", "start": 3, "end": 9, "question_no": 2, "kind": "answer"}
    row = encode(meta, "Et citat med “anførselstegn” og æøå.")
    assert set(row) <= set(KEYS) | {PACKED}
    assert "speaker" not in row and "start" not in row  # packed, not keys
    assert decode(row) == (meta, "Et citat med “anførselstegn” og æøå.")
    # a row of the older layout: every key, the quote as the document
    assert decode(dict(meta), "gammelt citat") == (meta, "gammelt citat")


def test_a_sync_writes_no_documents_and_only_the_filter_keys(settings, write_interview, hash_embeddings):
    path = write_interview("a.txt")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    got = Store(settings).chunks.get(include=["metadatas", "documents"])
    assert got["ids"] and not any(got["documents"])
    text = path.read_text(encoding="utf-8")
    for row in got["metadatas"]:
        assert set(row) <= set(KEYS) | {PACKED}
        meta, quote = decode(row)
        assert meta["interviewee"] == "Anna Holm" and text[meta["start"]:meta["end"]] == quote


def _to_older_layout(settings) -> int:
    """Rewrite every chunk row as a store written before the packed layout held it."""
    store = Store(settings)
    got = store.chunks.get(include=["metadatas", "documents", "embeddings"])
    rows = [decode(m, d) for m, d in zip(got["metadatas"], got["documents"])]
    store.chunks.delete(ids=got["ids"])
    store.chunks.add(ids=got["ids"], embeddings=got["embeddings"], metadatas=[m for m, _ in rows], documents=[t for _, t in rows])
    return len(rows)


def test_a_store_in_the_older_layout_reads_and_answers_the_same(settings, knowledge_folder, hash_embeddings):
    sync_paths([knowledge_folder], settings, embeddings=hash_embeddings)
    new = load_corpus(Store(settings, hash_embeddings), hash_embeddings)
    before = answers(Casebase(settings, hash_embeddings))
    assert _to_older_layout(settings) == len(new)
    old = load_corpus(Store(settings, hash_embeddings), hash_embeddings)
    same_snapshot(new, old)
    assert answers(Casebase(settings, hash_embeddings)) == before


def test_erasing_from_an_older_layout_store_finds_the_speakers(settings, write_interview, hash_embeddings):
    write_interview("a.txt", name="Anna Holm")
    write_interview("b.txt", name="Bo Berg")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    _to_older_layout(settings)
    report = erase_interview(settings, "a.txt", embeddings=hash_embeddings)
    assert report.removed["chunks"] > 0
    left = [m for _, m, _ in Store(settings).iter_chunks()]
    assert left and {m["doc_id"] for m in left} == {"b.txt"}


def test_the_live_bench_compares_the_quotes_themselves(settings, write_interview, hash_embeddings, monkeypatch):
    """bench.live checks that a live ingest ends with the same chunks as a clean one: it
    must compare each row's quote, which the chunk-row layout keeps packed, not as a document."""
    import bench.live as live

    write_interview("a.txt")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    monkeypatch.setattr(live, "settings_for", lambda store: settings)
    got = live._chunks(str(settings.store))
    want = {cid: (meta["doc_id"], text) for cid, meta, text in Store(settings).iter_chunks()}
    assert got == want and all(text for _, text in got.values())


def test_an_edit_in_an_older_layout_store_leaves_only_the_new_version(settings, write_interview, hash_embeddings):
    """Older rows hold their version as a key, newer ones in the packed value: deleting a
    replaced version finds it in either."""
    path = write_interview("a.txt", name="Anna Holm")
    write_interview("b.txt", name="Bo Berg")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    n = _to_older_layout(settings)
    path.write_text(path.read_text(encoding="utf-8") + "\n3) Hvad nu?\n\n • Et nyt svar om samarbejdet.\n", encoding="utf-8")
    assert sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings).updated == ["a.txt"]
    store = Store(settings)
    now = store.documents()["a.txt"].content_hash
    got = store.chunks.get(where={"doc_id": "a.txt"}, include=["metadatas"])
    assert {decode(m)[0]["content_hash"] for m in got["metadatas"]} == {now}
    rows = list(store.iter_chunks())
    assert len(rows) == len({i for i, _, _ in rows}) == store.chunks.count() > n // 2
    assert any("Et nyt svar om samarbejdet." in quote for _, _, quote in rows)
