"""What the cheaper ingest writes keeps: the chunks collection's lighter HNSW index on new
stores only (and through a compaction), text-pass quotes in a metadata value (rows an older
sync wrote as documents still read), and a text-first commit that keeps the parsed body."""
from __future__ import annotations

import json

from ingest.sync import sync_paths
from knowledge import chunk_rows
from knowledge.chroma_client import make_client
from knowledge.compact import compact
from knowledge.corpus import pack_texts
from knowledge.erase import _text_quotes
from knowledge.store import CHUNK_INDEX, QUOTES, Store


def _hnsw(coll) -> dict:
    return dict((coll.configuration_json or {}).get("hnsw") or {})


def test_new_store_gets_the_light_index(settings):
    hnsw = _hnsw(Store(settings).chunks)
    assert (hnsw["max_neighbors"], hnsw["ef_construction"], hnsw["ef_search"]) == (
        CHUNK_INDEX["hnsw:M"], CHUNK_INDEX["hnsw:construction_ef"], CHUNK_INDEX["hnsw:search_ef"])
    assert hnsw["space"] == "cosine"


def test_existing_store_keeps_its_index(settings):
    client = make_client(settings, fresh=True)
    client.create_collection(settings.collection, embedding_function=None, metadata={"hnsw:space": "cosine"})
    hnsw = _hnsw(Store(settings).chunks)
    assert (hnsw["max_neighbors"], hnsw["ef_construction"], hnsw["ef_search"]) == (16, 100, 100)


def test_compaction_keeps_the_index(settings, write_interview, hash_embeddings):
    write_interview("a.txt")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    store = Store(settings)
    before = store.chunks.count()
    compact(store.client, settings.store, [settings.collection])
    after = Store(settings).chunks
    assert after.count() == before
    assert _hnsw(after)["max_neighbors"] == CHUNK_INDEX["hnsw:M"]
    assert _hnsw(after)["ef_search"] == CHUNK_INDEX["hnsw:search_ef"]


def test_text_first_quotes_read_from_body_rows_and_from_older_text_rows(settings):
    store = Store(settings)
    packed = pack_texts(["a::1::0"], ["Et citat."], [{"doc_id": "a.txt", "content_hash": "h1"}])
    store.write_texts([("a.txt", "h1", {"doc_id": "a.txt", "n_chunks": 1}, "{}", packed)])
    assert store.text_rows() is None  # no collection of their own any more
    assert store.text_quotes({"a.txt": "h1"}) == {"a.txt": packed}
    assert store.text_quotes({"a.txt": "another version"}) == {}
    # rows as syncs before wrote them, in a ``__text`` collection: quotes in a metadata value,
    # and earlier still as the row's document
    coll = store.text_rows(create=True)
    old = pack_texts(["b::2::0"], ["Et andet citat."], [{"doc_id": "b.txt", "content_hash": "h2"}])
    older = pack_texts(["c::3::0"], ["Et tredje."], [{"doc_id": "c.txt", "content_hash": "h3"}])
    coll.upsert(ids=["b.txt"], embeddings=[[1.0]], metadatas=[{"doc_id": "b.txt", "content_hash": "h2", QUOTES: old}])
    coll.upsert(ids=["c.txt"], embeddings=[[1.0]], metadatas=[{"doc_id": "c.txt", "content_hash": "h3"}], documents=[older])
    reader = Store(settings)
    assert reader.text_quotes({"a.txt": "h1", "b.txt": "h2", "c.txt": "h3"}) == {"a.txt": packed, "b.txt": old, "c.txt": older}
    for doc_id, cid in (("a.txt", "a::1::0"), ("b.txt", "b::2::0"), ("c.txt", "c::3::0")):
        assert set(_text_quotes(reader, doc_id)) == {cid}
    reader.drop_texts(["b.txt", "c.txt"], {"a.txt": "h1"})  # their vectors landed
    assert reader.text_quotes({"a.txt": "h1", "b.txt": "h2", "c.txt": "h3"}) == {}
    assert reader.document_body("a.txt")["metadata"]["text_hash"] == "h1"  # the record is the commit's to change


def _bodies(settings) -> dict[str, dict]:
    store = Store(settings)
    out = {}
    for doc_id in store.documents():
        body = store.document_body(doc_id)
        assert body is not None
        meta = body.pop("metadata")
        assert meta["content_hash"] and not meta["pending_hash"] and "text_hash" not in meta
        out[doc_id] = body
    return out


def test_text_first_commit_keeps_the_body(settings, write_interview, hash_embeddings, tmp_path):
    write_interview("a.txt")
    write_interview("b.txt", name="Bo Berg", org="Nordby Kulturhus")
    live = settings.model_copy(update={"text_first_bytes": 1})
    sync_paths([settings.interviews_dir], live, embeddings=hash_embeddings)
    plain = settings.model_copy(update={"store": tmp_path / "plain", "text_first_bytes": 10**9})
    sync_paths([settings.interviews_dir], plain, embeddings=hash_embeddings)
    texted, direct = _bodies(live), _bodies(plain)
    assert sorted(texted) == ["a.txt", "b.txt"]
    assert json.dumps(texted, sort_keys=True) == json.dumps(direct, sort_keys=True)
    assert texted["b.txt"]["interviewee"] == "Bo Berg" and texted["b.txt"]["qa"]


def test_chroma_index_finds_the_exact_top_100(settings):
    """Server mode's partial snapshot ranks by Chroma's index (knowledge/dense_chroma.py,
    its top 100): against exact cosine on clustered vectors its recall stays high (Chroma's
    default index, searching 100, found 0.90 of them here; the lighter one searching 400, 0.99)."""
    import numpy as np

    rng = np.random.default_rng(3)
    n, dim = 3000, 384
    centres = rng.normal(size=(30, dim))
    vecs = centres[rng.integers(0, 30, n)] + 0.6 * rng.normal(size=(n, dim))
    vecs = (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)
    ids = [f"c{i}" for i in range(n)]
    store = Store(settings)
    store.upsert_chunks(ids, vecs, [chunk_rows.encode({"doc_id": f"d{i % 50}"}, "x") for i in range(n)])
    recall = []
    for row in rng.choice(n, 20, replace=False):
        q = vecs[row] + 0.3 * rng.normal(size=dim).astype(np.float32)
        q /= np.linalg.norm(q)
        exact = {ids[i] for i in np.argsort(-(vecs @ q))[:100]}
        got = store.chunks.query(query_embeddings=[q.tolist()], n_results=100, include=["distances"])
        recall.append(len(exact & set(got["ids"][0])) / 100)
    assert np.mean(recall) >= 0.97 and min(recall) >= 0.9
