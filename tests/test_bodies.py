"""Interviews' parsed bodies live in their own rows (knowledge/bodies.py), one per version:
readers see the body of the version they see, edits and removals leave no old body, and
a store that kept bodies in the manifest still reads them."""
from __future__ import annotations

import pytest

from ingest.sync import sync_paths
from knowledge.bodies import row_id
from knowledge.store import Store


def _manifest_documents(store: Store) -> list[str]:
    got = store.docs.get(include=["documents"])
    return [d or "" for i, d in zip(got["ids"], got["documents"]) if not i.startswith("__")]


def _body_rows(store: Store) -> set[str]:
    coll = store.bodies._collection()
    return set(coll.get(include=[])["ids"]) if coll is not None else set()


@pytest.mark.parametrize("text_first", [False, True])
def test_each_interview_has_one_body_row_and_the_manifest_no_text(text_first, settings, write_interview, hash_embeddings):
    write_interview("a.txt", name="Anna Holm")
    write_interview("b.txt", name="Bo Berg", org="Søby Kulturhus")
    live = settings.model_copy(update={"text_first_bytes": 1 if text_first else 10**12})
    sync_paths([settings.interviews_dir], live, embeddings=hash_embeddings)
    store = Store(settings)
    docs = store.documents()
    assert _body_rows(store) == {row_id(d, r.content_hash) for d, r in docs.items()}
    assert all(d in ("", "{}") for d in _manifest_documents(store))  # no text in the manifest
    body = store.document_body("b.txt")
    assert body["interviewee"] == "Bo Berg" and "Søby Kulturhus" in body["text"]
    assert body["metadata"]["organisation"] == "Søby Kulturhus"


def test_an_edit_replaces_the_body_and_a_removal_drops_it(settings, write_interview, hash_embeddings):
    a = write_interview("a.txt", name="Anna Holm")
    write_interview("b.txt", name="Bo Berg")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    a.write_text(a.read_text(encoding="utf-8").replace("større netværk", "mindre netværk"), encoding="utf-8")
    (settings.interviews_dir / "b.txt").unlink()
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    store = Store(settings)
    assert _body_rows(store) == {row_id("a.txt", store.documents()["a.txt"].content_hash)}
    text = store.document_body("a.txt")["text"]
    assert "mindre netværk" in text and "større netværk" not in text
    assert store.document_body("b.txt") is None


def test_readers_see_the_committed_body_while_another_version_is_written(settings, write_interview, hash_embeddings):
    """A sync writes the next version's body before it commits it, and a killed one leaves
    that row behind: readers keep the committed body, and the next sync prunes the row."""
    write_interview("a.txt", name="Anna Holm")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    store = Store(settings)
    committed = store.documents()["a.txt"].content_hash
    store.bodies.write([("a.txt", "f" * 64, '{"text": "a version never committed"}', None)])
    assert "a version never committed" not in store.document_body("a.txt")["text"]

    report = sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    assert report.unchanged == ["a.txt"]
    assert _body_rows(Store(settings)) == {row_id("a.txt", committed)}


def test_a_store_with_bodies_in_the_manifest_reads_them_until_rewritten(settings, write_interview, hash_embeddings):
    """The layout before the bodies had rows: the parsed body was the manifest record's
    document, and there was no bodies collection."""
    a = write_interview("a.txt", name="Anna Holm")
    write_interview("b.txt", name="Bo Berg")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    store = Store(settings)
    bodies = {d: store.bodies.read(d, r.content_hash) for d, r in store.documents().items()}
    for doc_id, body in bodies.items():
        store.docs.update(ids=[doc_id], embeddings=[[1.0]], documents=[body])
    store.client.delete_collection(store.bodies.name)

    old = Store(settings)
    assert old.document_body("b.txt")["interviewee"] == "Bo Berg"
    assert "Anna Holm" in old.document_body("a.txt")["text"]

    a.write_text(a.read_text(encoding="utf-8").replace("Anna Holm", "Anne Holm"), encoding="utf-8")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    new = Store(settings)
    assert "Anne Holm" in new.document_body("a.txt")["text"]
    assert new.document_body("b.txt")["interviewee"] == "Bo Berg"  # untouched: still read from the manifest
    got = new.docs.get(ids=["a.txt", "b.txt"], include=["documents"])
    held = dict(zip(got["ids"], got["documents"]))
    assert held["a.txt"] == "" and "Bo Berg" in held["b.txt"]  # the rewritten record holds no text any more


def test_a_packed_body_gives_back_every_span_text_and_nothing_else():
    from knowledge.bodies import pack, unpack

    text = "Spørgsmål: Hvad skete der?\nSvar: Vi fik lokaler. «Det hjalp»."
    body = {
        "text": text,
        "qa": [{"question": "Hvad skete der?", "question_span": {"text": "Hvad skete der?", "start": 11, "end": 26},
                "answers": [{"text": "Vi fik lokaler.", "start": 33, "end": 48, "speaker": "Bo"},
                            {"text": "not the slice", "start": 0, "end": 4, "speaker": ""}]}],
        "sections": [{"title": "Svar", "start": 27, "end": len(text)}],  # no text of its own: none is added
        "intro": None, "extra": {"start": "1", "end": "2"}, "warnings": [],
    }
    raw = pack(body)
    assert "Vi fik lokaler." in raw and raw.count("Vi fik lokaler.") == 1  # the span's copy is left out
    assert "not the slice" in raw  # kept whole: it is not the slice its bounds name
    assert unpack(raw) == body
    assert unpack('{"text": "abc", "qa": [{"text": "ab", "start": 0, "end": 2}]}') == {
        "text": "abc", "qa": [{"text": "ab", "start": 0, "end": 2}]}  # a body stored whole


def test_quotes_a_killed_text_pass_left_without_a_record_are_pruned(settings, write_interview, hash_embeddings):
    """The text pass writes a new interview's body row (with its quotes) before its manifest
    record: killed in between, the row names no record; the next sync removes it, whether
    or not the file is still there (if it is, it is read again)."""
    from knowledge.corpus import pack_texts

    write_interview("a.txt", name="Anna Holm")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    store = Store(settings)
    packed = pack_texts(["gone.txt::h::0"], ["Et citat fra en fil, der er væk."], [{"doc_id": "gone.txt", "content_hash": "h"}])
    store.bodies.write([("gone.txt", "h", '{"text": "Et citat fra en fil, der er væk."}', packed)])
    assert store.bodies.quotes({"gone.txt": "h"}) == {"gone.txt": packed}
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    after = Store(settings)
    assert after.bodies.quotes_of("gone.txt") == [] and _body_rows(after) == {row_id("a.txt", after.documents()["a.txt"].content_hash)}
