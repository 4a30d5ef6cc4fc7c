"""Readers while a sync replaces an edited interview: Chroma pages a read by offset, and
the sync's delete of the old version's rows moves later rows back past the next page, so
an offset-paged read skips them; and between the sync's stale delete and its commit the
committed version has no rows left. A snapshot (knowledge/corpus.py) and Store.iter_chunks
must still hold every interview, whole, at one version."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from ingest.sync import sync_paths
from knowledge import corpus as corpus_mod
from knowledge.settings import Settings
from knowledge.store import Store

PAGE = 3  # rows per page: a handful of small interviews spans many pages
NAMES = ["Anna Holm", "Bo Berg", "Cai Carl", "Dea Dahl", "Eli Enge"]


class _Interrupting:
    """store.chunks, whose first offset-paged get runs ``between`` after reading its page:
    what another process's sync does while this one reads."""

    def __init__(self, inner, between) -> None:
        self._inner, self._between, self.fired = inner, between, False

    def get(self, *args, **kwargs):
        got = self._inner.get(*args, **kwargs)
        if not self.fired and kwargs.get("offset") == 0 and kwargs.get("limit"):
            self.fired = True
            self._between()
        return got

    def __getattr__(self, name):
        return getattr(self._inner, name)


@pytest.fixture
def five(settings: Settings, write_interview, hash_embeddings, monkeypatch: pytest.MonkeyPatch) -> tuple[Settings, Path]:
    """Five interviews embedded; returns the settings and the file of the one whose rows
    come first in Chroma's offset order (editing it moves every later row)."""
    paths = {f"{chr(97 + i)}.txt": write_interview(f"{chr(97 + i)}.txt", name=n) for i, n in enumerate(NAMES)}
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    monkeypatch.setattr(corpus_mod, "_PAGE", PAGE)
    monkeypatch.setattr("knowledge.store._PAGE", PAGE)
    first = Store(settings).chunks.get(limit=1, offset=0, include=["metadatas"])["metadatas"][0]["doc_id"]
    return settings, paths[first]


def _edit(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace("større netværk", "meget større netværk"), encoding="utf-8")


def _whole(ids, settings: Settings) -> None:
    """Every interview of the store at its committed version, every one of its quotes,
    once, and no quote of another version."""
    records = {d.doc_id: d for d in Store(settings).documents().values()}
    per_doc = Counter(cid.split("::")[0] for cid in ids)
    assert dict(per_doc) == {d: r.n_chunks for d, r in records.items()}
    assert len(ids) == len(set(ids))
    assert all(cid.split("::")[1] == records[cid.split("::")[0]].content_hash[:12] for cid in ids)


def test_a_snapshot_read_while_an_edited_interview_is_resynced_is_whole(five, hash_embeddings):
    settings, edited = five
    store = Store(settings, hash_embeddings)
    before = len(corpus_mod._read_corpus(store, hash_embeddings, with_vectors=True))

    def resync() -> None:  # the edited file is synced between this reader's first and second page
        _edit(edited)
        report = sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
        assert report.updated == [edited.name]

    store.chunks = _Interrupting(store.chunks, resync)  # type: ignore[assignment]
    # without vectors: reading them mid-write fails in chromadb ("Error finding id"), which
    # load_corpus answers by reopening the store (tests/test_store_handles.py)
    snap = corpus_mod._read_corpus(store, hash_embeddings, with_vectors=False)
    assert store.chunks.fired
    _whole(snap.ids, settings)
    assert len(snap) == before and snap.waiting is None


def test_iter_chunks_read_while_rows_move_misses_no_unchanged_interview(five, hash_embeddings):
    settings, edited = five
    store = Store(settings, hash_embeddings)
    old = Store(settings).documents()

    def resync() -> None:
        _edit(edited)
        sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)

    store.chunks = _Interrupting(store.chunks, resync)  # type: ignore[assignment]
    ids = [cid for cid, _meta, _doc in store.iter_chunks(include=("metadatas",))]
    assert store.chunks.fired
    per_doc = Counter(cid.split("::")[0] for cid in ids)
    # the edited one was read at the version the read began with, which the sync replaced:
    # what is left of it is the reader's business; every other interview is there whole
    assert {d: n for d, n in per_doc.items() if d != edited.name} == \
           {d: r.n_chunks for d, r in old.items() if d != edited.name}


def test_a_snapshot_between_the_stale_delete_and_the_commit_has_the_interview(five, hash_embeddings, monkeypatch):
    """A sync parked after deleting an edited interview's old rows, before its commit: a
    reader shows the new version (complete by then), not a store without that interview."""
    settings, edited = five
    seen: list[list[str]] = []

    def read_now(name: str) -> None:
        if name == "stale" and not seen:
            seen.append(corpus_mod._read_corpus(Store(settings, hash_embeddings), hash_embeddings, with_vectors=True).ids)

    monkeypatch.setattr("ingest.sync._failpoint", read_now)
    _edit(edited)
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    assert seen
    _whole(seen[0], settings)  # the committed store since has exactly what the reader saw
