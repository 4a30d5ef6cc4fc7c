"""A snapshot after a sync, assembled from the previous snapshot and the interviews the
sync changed (knowledge/snapshot_delta.py): the same snapshot, array for array, as a
full read of the store, without reading the whole store."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ingest.sync import sync_paths
from knowledge import corpus as corpus_mod
from knowledge.corpus import load_corpus
from knowledge.service import Casebase
from knowledge.settings import Settings
from knowledge.snapshot_cache import drop, save
from knowledge.snapshot_delta import assemble, fingerprints
from knowledge.store import Store
from tests.conftest import interview_text
from tests.test_snapshot_cache import answers, same_snapshot, versions


def grown(casebase: Casebase, settings: Settings, hash_embeddings, folder: Path) -> None:
    """Four more interviews, then the cached snapshot of that version: a sync that changes
    three interviews changes well under half of them."""
    for i, org in enumerate(["Aby Bibliotek", "Bby Kulturhus", "Cby Skole", "Dby Museum"]):
        (folder / f"extra-{i}.txt").write_text(interview_text(name=f"Person {i}", org=org, case=f"Sag {i}"), encoding="utf-8")
    sync_paths([folder], settings, embeddings=hash_embeddings)
    casebase.corpus()


def count_full_reads(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = corpus_mod._read_corpus

    def counted(*a, **kw):
        calls.append(1)
        return real(*a, **kw)

    monkeypatch.setattr(corpus_mod, "_read_corpus", counted)
    return calls


def test_added_changed_and_removed_interviews_give_the_snapshot_a_full_read_gives(
        casebase: Casebase, settings: Settings, hash_embeddings, knowledge_folder: Path, monkeypatch) -> None:
    grown(casebase, settings, hash_embeddings, knowledge_folder)
    (knowledge_folder / "ny.txt").write_text(interview_text(name="Ny Person", org="Nordby Kulturhus"), encoding="utf-8")
    seed = knowledge_folder / "riverside-seed-library.md"
    seed.write_text(seed.read_text(encoding="utf-8") + "\nWe also lent out garden tools to 40 households.\n",
                    encoding="utf-8")
    (knowledge_folder / "skovby-borgerservice.txt").unlink()
    rep = sync_paths([knowledge_folder], settings, embeddings=hash_embeddings)
    assert rep.added and rep.updated and rep.removed

    full_reads = count_full_reads(monkeypatch)
    fresh = Casebase(settings, hash_embeddings)
    assembled = fresh.corpus()
    assert assembled.assembled and not assembled.from_cache and not full_reads
    docs = set(assembled.columns["doc_id"])
    assert "ny.txt" in docs and "skovby-borgerservice.txt" not in docs
    assert any("garden tools" in t for t in assembled.texts)
    same_snapshot(assembled, load_corpus(Store(settings, hash_embeddings), hash_embeddings))
    assert len(versions(settings)) == 1  # written for the next process; the old version gone

    # every answer is the one a process that read the whole store gives
    expected = answers(fresh)
    drop(settings)
    whole = Casebase(settings, hash_embeddings)
    assert not whole.corpus().assembled and full_reads
    assert answers(whole) == expected


def test_a_sidecar_edit_reaches_the_assembled_snapshot(casebase: Casebase, settings: Settings, hash_embeddings,
                                                       knowledge_folder: Path) -> None:
    grown(casebase, settings, hash_embeddings, knowledge_folder)
    (knowledge_folder / "havnestad-ungdomsskole.meta.yaml").write_text("role: Skoleleder\n", encoding="utf-8")
    sync_paths([knowledge_folder], settings, embeddings=hash_embeddings)
    corpus = Casebase(settings, hash_embeddings).corpus()
    assert corpus.assembled
    rows = corpus.rows_of("havnestad-ungdomsskole.txt")
    assert len(rows) and {corpus.columns["role"][i] for i in rows} == {"Skoleleder"}
    same_snapshot(corpus, load_corpus(Store(settings, hash_embeddings), hash_embeddings))


def test_a_rebuild_reads_the_whole_store(casebase: Casebase, settings: Settings, hash_embeddings,
                                         knowledge_folder: Path) -> None:
    grown(casebase, settings, hash_embeddings, knowledge_folder)
    sync_paths([knowledge_folder], settings, embeddings=hash_embeddings, rebuild=True)
    corpus = Casebase(settings, hash_embeddings).corpus()
    assert not corpus.assembled  # every interview was ingested again: nothing to keep


def test_an_unchanged_interview_whose_rows_do_not_add_up_is_read_from_the_store(
        casebase: Casebase, settings: Settings, hash_embeddings, knowledge_folder: Path) -> None:
    grown(casebase, settings, hash_embeddings, knowledge_folder)
    previous = casebase.corpus()
    (knowledge_folder / "ny.txt").write_text(interview_text(name="Ny Person"), encoding="utf-8")
    sync_paths([knowledge_folder], settings, embeddings=hash_embeddings)
    store = Store(settings, hash_embeddings)

    docs = fingerprints([r for r in store.documents().values() if r.doc_id != "ny.txt"])
    torn = {d: [*fp[:2], str(int(fp[2]) + 1), fp[3]] if d == "riverside-seed-library.md" else fp for d, fp in docs.items()}
    assert assemble(store, hash_embeddings, previous, docs) is not None
    assert assemble(store, hash_embeddings, previous, torn) is not None  # its fingerprint differs: read again
    # a previous snapshot missing rows of an interview it claims unchanged: not trusted
    short = previous.__class__.__new__(previous.__class__)
    short.__dict__.update(previous.__dict__)
    keep = np.flatnonzero(previous.columns["doc_id"] != "riverside-seed-library.md")
    keep = np.concatenate([keep, np.flatnonzero(previous.columns["doc_id"] == "riverside-seed-library.md")[1:]])
    keep.sort()
    short.ids = [previous.ids[i] for i in keep]
    short.texts = [previous.texts[i] for i in keep]
    short.columns = {k: v[keep] for k, v in previous.columns.items()}
    short.ints = {k: v[keep] for k, v in previous.ints.items()}
    short.vectors = previous.vectors[keep]
    assert assemble(store, hash_embeddings, short, docs) is None


def test_not_assembled_while_a_sync_is_writing(casebase: Casebase, settings: Settings, hash_embeddings,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    previous = casebase.corpus()
    store = Store(settings, hash_embeddings)

    docs = fingerprints(store.documents().values())
    records = store.documents()
    first = next(iter(records))
    records[first].pending_hash = "f" * 64  # a sync between writing its rows and committing them
    monkeypatch.setattr(Store, "documents", lambda self: records)
    assert assemble(store, hash_embeddings, previous, docs) is None


def test_an_interview_committed_after_the_snapshot_was_read_is_read_again(
        casebase: Casebase, settings: Settings, hash_embeddings, knowledge_folder: Path, monkeypatch) -> None:
    """With a Chroma server, another machine's sync commits interviews while this one reads
    its snapshot, and moves the version only at its end (its lock is not this machine's).
    The snapshot saved under the old version holds such an interview's old quotes: what
    the next version keeps of it must not be judged by its record at the time of saving."""
    grown(casebase, settings, hash_embeddings, knowledge_folder)
    drop(settings)
    store = Store(settings, hash_embeddings)
    meta = store.meta()
    before = load_corpus(store, hash_embeddings)  # this machine reads ...
    seed = knowledge_folder / "riverside-seed-library.md"
    old_n = store.documents()["riverside-seed-library.md"].n_chunks
    seed.write_text(seed.read_text(encoding="utf-8").replace("seed", "frø"), encoding="utf-8")
    with monkeypatch.context() as m:  # ... the other machine's sync commits, its version still to move
        m.setattr(Store, "bump_version", lambda self, report=None: self.version())
        sync_paths([knowledge_folder], settings, embeddings=hash_embeddings)
    assert Store(settings, hash_embeddings).documents()["riverside-seed-library.md"].n_chunks == old_n
    assert save(Store(settings, hash_embeddings), before, meta) is not None  # ... and saves what it read
    Store(settings, hash_embeddings).bump_version()  # the other sync ends

    corpus = Casebase(settings, hash_embeddings).corpus()
    assert corpus.assembled
    same_snapshot(corpus, load_corpus(Store(settings, hash_embeddings), hash_embeddings))


def test_an_interview_erased_elsewhere_leaves_no_snapshot_behind_when_the_read_fails(
        casebase: Casebase, settings: Settings, hash_embeddings, monkeypatch) -> None:
    """An erasure on another machine sharing a Chroma server cannot remove this machine's
    snapshots: the first read of the next version does, even when the read itself fails."""
    from knowledge import snapshot_cache

    casebase.corpus()
    assert versions(settings)
    store = Store(settings, hash_embeddings)
    store.remove_document("riverside-seed-library.md")  # erased on the other machine
    store.bump_version()

    def unreachable(*a, **kw):
        raise ConnectionError("the server went away mid-read")

    monkeypatch.setattr(snapshot_cache, "assemble", lambda *a, **kw: None)
    monkeypatch.setattr(snapshot_cache, "load_corpus", unreachable)
    with pytest.raises(ConnectionError):
        snapshot_cache.load_or_build(Store(settings, hash_embeddings), hash_embeddings)
    assert versions(settings) == []  # the old snapshot held the erased interview's quotes
