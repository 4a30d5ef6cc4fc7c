"""Sync: add, skip unchanged without embedding, update, remove, rebuild, model check."""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest.sync import sync_paths
from knowledge.chunk_rows import decode
from knowledge.embeddings import HashEmbeddings
from knowledge.store import ModelMismatch, Store


def chunk_state(settings) -> dict[str, tuple[str, str]]:
    """Every stored chunk id -> (doc_id, quote): the store's observable content."""
    store = Store(settings)
    got = store.chunks.get(include=["metadatas", "documents"])
    return {i: (m["doc_id"], decode(m, d)[1]) for i, m, d in zip(got["ids"], got["metadatas"], got["documents"])}


def test_first_sync_adds_every_file(settings, write_interview, hash_embeddings):
    write_interview("a.txt", name="Anna Holm")
    write_interview("b.md", name="Bo Berg", org="Søby Kulturhus")
    report = sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    assert sorted(report.added) == ["a.txt", "b.md"]
    assert report.failed == [] and report.updated == [] and report.removed == []
    assert report.documents == 2
    assert report.chunks == len(chunk_state(settings)) > 4
    docs = Store(settings).documents()
    assert docs["b.md"].metadata["organisation"] == "Søby Kulturhus"


def test_resync_unchanged_embeds_nothing(settings, write_interview):
    write_interview("a.txt")
    write_interview("b.txt", name="Bo Berg")
    sync_paths([settings.interviews_dir], settings, embeddings=HashEmbeddings())
    before = chunk_state(settings)
    emb = HashEmbeddings()
    report = sync_paths([settings.interviews_dir], settings, embeddings=emb)
    assert emb.calls == 0 and emb.texts_embedded == 0
    assert sorted(report.unchanged) == ["a.txt", "b.txt"]
    assert report.added == report.updated == report.removed == []
    assert chunk_state(settings) == before


def test_changed_file_replaces_its_chunks_and_reuses_unchanged_vectors(settings, write_interview):
    path = write_interview("a.txt")
    write_interview("b.txt", name="Bo Berg")
    sync_paths([settings.interviews_dir], settings, embeddings=HashEmbeddings())
    b_chunks = {k: v for k, v in chunk_state(settings).items() if v[0] == "b.txt"}

    new_bullet = "Biblioteket fik nye lånere fra foreningslivet."
    path.write_text(path.read_text(encoding="utf-8") + f"\n3) Hvad fik I ud af det?\n\n • {new_bullet}\n", encoding="utf-8")
    emb = HashEmbeddings()
    report = sync_paths([settings.interviews_dir], settings, embeddings=emb)

    assert report.updated == ["a.txt"] and report.unchanged == ["b.txt"]
    assert emb.texts_embedded == 1  # only the new bullet; the others kept their vectors
    state = chunk_state(settings)
    a_quotes = [q for d, q in state.values() if d == "a.txt"]
    assert new_bullet in a_quotes
    assert len(a_quotes) == len(set(a_quotes))  # the old version is gone, nothing doubled
    assert {k: v for k, v in state.items() if v[0] == "b.txt"} == b_chunks


def test_file_removed_from_folder_is_removed_from_store(settings, write_interview, hash_embeddings):
    write_interview("a.txt")
    gone = write_interview("b.txt", name="Bo Berg")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    gone.unlink()
    report = sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    assert report.removed == ["b.txt"]
    assert {d for d, _ in chunk_state(settings).values()} == {"a.txt"}
    assert report.documents == 1


def test_ingesting_one_file_never_removes_others(settings, write_interview, hash_embeddings, tmp_path):
    write_interview("a.txt")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    single = write_interview("c.txt", folder=tmp_path / "elsewhere", name="Cai Dahl")
    report = sync_paths([single], settings, embeddings=hash_embeddings)
    assert report.added == ["c.txt"] and report.removed == []
    assert {d for d, _ in chunk_state(settings).values()} == {"a.txt", "c.txt"}


def test_failed_change_keeps_the_stored_version(settings, write_interview, hash_embeddings):
    path = write_interview("a.txt")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    before = chunk_state(settings)
    path.write_bytes(b"\x00\x01\x02binary junk\xff\xfe" * 50)
    report = sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    assert [f["path"] for f in report.failed] == [str(path.resolve())]
    assert "a.txt" in report.failed[0]["error"]
    assert chunk_state(settings) == before


def test_bad_files_are_reported_and_the_rest_go_in(settings, write_interview, hash_embeddings):
    write_interview("good.txt")
    folder = settings.interviews_dir
    (folder / "empty.txt").write_text("", encoding="utf-8")
    (folder / "picture.jpg").write_bytes(b"\xff\xd8\xff\xe0JFIF")
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    report = sync_paths([folder], settings, embeddings=hash_embeddings)
    assert report.added == ["good.txt"]
    failed = {Path(f["path"]).name: f["error"] for f in report.failed}
    assert set(failed) == {"empty.txt", "picture.jpg", "broken.docx"}
    for name, error in failed.items():
        assert name in error and "Traceback" not in error


def test_readme_and_sidecars_are_not_interviews(settings, write_interview, hash_embeddings):
    write_interview("a.txt")
    (settings.interviews_dir / "README.md").write_text("# About these interviews\n", encoding="utf-8")
    (settings.interviews_dir / "a.meta.yaml").write_text("organisation: Override Org\n", encoding="utf-8")
    report = sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    assert report.added == ["a.txt"] and report.failed == []
    assert Store(settings).documents()["a.txt"].metadata["organisation"] == "Override Org"


def test_editing_a_sidecar_counts_as_a_change(settings, write_interview, hash_embeddings):
    write_interview("a.txt")
    sidecar = settings.interviews_dir / "a.meta.yaml"
    sidecar.write_text("case: Første navn\n", encoding="utf-8")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    sidecar.write_text("case: Andet navn\n", encoding="utf-8")
    report = sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    assert report.updated == ["a.txt"]
    metas = Store(settings).chunks.get(include=["metadatas"])["metadatas"]
    assert {decode(m)[0]["case"] for m in metas} == {"Andet navn"}


def test_rebuild_gives_the_same_store(settings, write_interview, hash_embeddings):
    write_interview("a.txt")
    write_interview("b.txt", name="Bo Berg")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    before = chunk_state(settings)
    emb = HashEmbeddings()
    report = sync_paths([settings.interviews_dir], settings, embeddings=emb, rebuild=True)
    assert sorted(report.added) == ["a.txt", "b.txt"]
    assert emb.texts_embedded == len(before)
    assert chunk_state(settings) == before


def test_other_embedder_is_refused_until_rebuild(settings, write_interview):
    write_interview("a.txt")
    sync_paths([settings.interviews_dir], settings, embeddings=HashEmbeddings(256))
    with pytest.raises(ModelMismatch, match="--rebuild"):
        sync_paths([settings.interviews_dir], settings, embeddings=HashEmbeddings(128))
    report = sync_paths([settings.interviews_dir], settings, embeddings=HashEmbeddings(128), rebuild=True)
    assert report.added == ["a.txt"]
    assert Store(settings, HashEmbeddings(128)).recorded_model() == "hash:128"


def test_missing_path_is_reported(settings, hash_embeddings, tmp_path):
    report = sync_paths([tmp_path / "nope"], settings, embeddings=hash_embeddings)
    assert report.failed and "nope" in report.failed[0]["error"]


def test_odd_file_names(settings, write_interview, hash_embeddings):
    write_interview("møde med æøå og mellemrum.txt")
    write_interview("uden-endelse", name="Eva Lund")
    report = sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    assert sorted(report.added) == ["møde med æøå og mellemrum.txt", "uden-endelse"]
    assert report.failed == []


def test_chunks_carry_who_what_where(settings, write_interview, hash_embeddings):
    path = write_interview("a.txt")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    got = Store(settings).chunks.get(include=["metadatas", "documents"])
    text = path.read_text(encoding="utf-8")
    rows = [decode(m, d) for m, d in zip(got["metadatas"], got["documents"])]
    answers = [(m, d) for m, d in rows if m["kind"] == "answer"]
    assert answers
    for meta, quote in answers:
        assert meta["interviewee"] == "Anna Holm"
        assert meta["organisation"] == "Vejby Bibliotek"
        assert meta["question_no"] >= 1 and meta["question"].endswith("?")
        assert meta["source_path"] == str(path.resolve())
        assert quote in text
    assert any("Læsecaféen" in m["case"] for m, _ in answers)


def test_sample_folder_syncs_cleanly(settings, hash_embeddings):
    from tests.conftest import SAMPLE_DIR

    report = sync_paths([SAMPLE_DIR], settings, embeddings=hash_embeddings)
    assert report.failed == []
    assert len(report.added) >= 2
    assert "herning-bibliotekerne-sansefortaellingen.txt" in report.added



def test_file_that_vanishes_mid_sync_is_reported_and_the_rest_go_in(settings, write_interview, hash_embeddings):
    write_interview("a.txt")
    doomed = write_interview("b.txt", name="Bo Berg")
    write_interview("c.txt", name="Cia Carlsen")

    def progress(p) -> None:
        if p.current == "b.txt" and doomed.exists():
            doomed.unlink()  # deleted by its owner after the folder was listed

    report = sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings, progress=progress)
    assert report.added == ["a.txt", "c.txt"]
    assert [Path(f["path"]).name for f in report.failed] == ["b.txt"]
    assert "b.txt" in report.failed[0]["error"]


# -- only the folder's own files ---------------------------------------------------------------
def test_links_out_of_the_folder_and_fifos_are_skipped_with_a_reason(settings, write_interview, hash_embeddings, tmp_path):
    import os

    write_interview("good.txt")
    secret = write_interview("secret.txt", folder=tmp_path / "private", name="Hemmelig Person")
    folder = settings.interviews_dir
    (folder / "leak.txt").symlink_to(secret)
    (folder / "outdir").symlink_to(secret.parent, target_is_directory=True)
    (folder / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    os.mkfifo(folder / "pipe.txt")  # opening it would block the sync forever
    (folder / "sub").mkdir()
    (folder / "sub" / "alias.txt").symlink_to(folder / "good.txt")  # inside: the same file, read once
    report = sync_paths([folder], settings, embeddings=hash_embeddings)
    assert report.added == ["good.txt"] and report.failed == []
    reasons = {Path(s["path"]).name: s["reason"] for s in report.skipped}
    assert set(reasons) == {"leak.txt", "outdir", "dangling.txt", "pipe.txt", "alias.txt"}
    assert "outside the folder" in reasons["leak.txt"] and str(secret) in reasons["leak.txt"]
    assert "FIFO" in reasons["pipe.txt"] and "not opened" in reasons["pipe.txt"]
    assert "not followed" in reasons["outdir"]
    assert "does not exist" in reasons["dangling.txt"]
    assert "same file as good.txt" in reasons["alias.txt"]
    assert {d for d, _ in chunk_state(settings).values()} == {"good.txt"}
    assert report.to_json()["skipped"] == report.skipped


def test_a_link_inside_the_folder_is_read(settings, write_interview, hash_embeddings):
    folder = settings.interviews_dir
    real = write_interview("real.txt", folder=folder / "archive")
    (folder / "current.txt").symlink_to(real)
    (folder / "archive" / "real.txt").rename(folder / "archive" / "moved.txt")
    (folder / "current.txt").unlink()
    (folder / "current.txt").symlink_to(folder / "archive" / "moved.txt")
    report = sync_paths([folder], settings, embeddings=hash_embeddings)
    assert report.added == ["archive/moved.txt"] and report.failed == []
    assert [Path(s["path"]).name for s in report.skipped] == ["current.txt"]  # the same file, read once
    again = sync_paths([folder], settings, embeddings=hash_embeddings)
    assert again.unchanged == ["archive/moved.txt"] and not again.added


def test_a_file_named_itself_may_be_a_link(settings, write_interview, hash_embeddings, tmp_path):
    real = write_interview("real.txt", folder=tmp_path / "elsewhere")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    report = sync_paths([link], settings, embeddings=hash_embeddings)
    assert report.added == ["real.txt"] and not report.skipped


def test_a_fifo_named_itself_is_skipped(settings, hash_embeddings, tmp_path):
    import os

    os.mkfifo(tmp_path / "pipe.txt")
    report = sync_paths([tmp_path / "pipe.txt"], settings, embeddings=hash_embeddings)
    assert report.added == [] and "FIFO" in report.skipped[0]["reason"]


def test_a_sidecar_linking_out_of_the_folder_skips_its_interview(settings, write_interview, hash_embeddings, tmp_path):
    write_interview("a.txt")
    outside = tmp_path / "meta.yaml"
    outside.write_text("organisation: Fremmed\n", encoding="utf-8")
    (settings.interviews_dir / "a.meta.yaml").symlink_to(outside)
    report = sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    assert report.added == [] and "sidecar" in report.skipped[0]["reason"]


# -- large and repetitive files ----------------------------------------------------------------
def test_file_over_the_character_limit_is_refused_naming_the_setting(settings, write_interview, hash_embeddings):
    limited = settings.model_copy(update={"max_file_chars": 5_000})
    write_interview("short.txt")
    write_interview("long.txt", qa={"Hvad skete der?": ["Vi læste og læste, og så læste vi lidt mere. " * 200]})
    (settings.interviews_dir / "huge.txt").write_text("ord " * 6_000, encoding="utf-8")  # refused unread
    report = sync_paths([settings.interviews_dir], limited, embeddings=hash_embeddings)
    assert report.added == ["short.txt"]
    failed = {Path(f["path"]).name: f["error"] for f in report.failed}
    assert set(failed) == {"long.txt", "huge.txt"}
    for error in failed.values():
        assert "CASEBASE_MAX_FILE_CHARS" in error and "5,000" in error


def test_identical_passages_are_embedded_once(settings, write_interview, hash_embeddings):
    same = "Vi har fået et større netværk i kommunen."
    qa = {"Hvad fik I ud af det?": [same, "Noget andet.", same, same]}
    write_interview("a.txt", qa=qa)
    write_interview("b.txt", qa=qa)  # the same interview under another name
    emb = HashEmbeddings()
    report = sync_paths([settings.interviews_dir], settings, embeddings=emb)
    state = chunk_state(settings)
    distinct = {q for _, q in state.values()}
    assert report.chunks == len(state) and len(state) > len(distinct)
    # each distinct embed text once: 2 answers + intro + case (the header is the same in both files)
    assert emb.texts_embedded == report.embedded == 4
    assert report.reused == len(state) - 4
    # the repeated passages carry the same vector as the one embedded
    store = Store(settings)
    got = store.chunks.get(where={"doc_id": "b.txt"}, include=["embeddings", "documents", "metadatas"])
    vecs = [v for v, m, d in zip(got["embeddings"], got["metadatas"], got["documents"]) if decode(m, d)[1] == same]
    assert len(vecs) == 3 and all((v == vecs[0]).all() for v in vecs)


def test_a_copy_synced_later_reuses_stored_vectors(settings, write_interview, hash_embeddings):
    path = write_interview("a.txt")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    (settings.interviews_dir / "copy.txt").write_bytes(path.read_bytes())
    emb = HashEmbeddings()
    report = sync_paths([settings.interviews_dir], settings, embeddings=emb)
    assert report.added == ["copy.txt"] and emb.texts_embedded == 0


def test_progress_counts_files_quotes_and_time_left(settings, write_interview, hash_embeddings):
    for i in range(5):
        write_interview(f"i{i}.txt", name=f"Person Nummer{i}")
    seen = []
    report = sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings, progress=seen.append)
    phases = [p.phase for p in seen]
    assert phases[0] == "checking" and phases[-1] == "done" and "indexing" in phases
    indexing = [p for p in seen if p.phase == "indexing"]
    assert [p.files_done for p in indexing] == sorted(p.files_done for p in indexing)
    assert max(p.files_done for p in indexing) == 5 and all(p.files_total == 5 for p in indexing)
    assert max(p.chunks_done for p in seen) == report.chunks
    assert seen[-1].eta == 0.0
    from ingest.sync import describe_progress

    line = describe_progress(indexing[-1])
    assert "5/5 files" in line and "quotes" in line and "left" in line


def test_a_file_replaced_by_a_link_out_leaves_the_store(settings, write_interview, hash_embeddings, tmp_path):
    path = write_interview("a.txt")
    write_interview("b.txt", name="Bo Berg")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    secret = write_interview("secret.txt", folder=tmp_path / "private", name="Hemmelig Person")
    path.unlink()
    path.symlink_to(secret)
    report = sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    assert report.removed == ["a.txt"] and [Path(s["path"]).name for s in report.skipped] == ["a.txt"]
    assert {d for d, _ in chunk_state(settings).values()} == {"b.txt"}


def test_a_sync_embeds_the_interviews_questions_for_the_first_search(settings, write_interview, hash_embeddings):
    from knowledge.embeddings import model_id
    from knowledge.vectors import _read_persisted

    write_interview("anna.txt")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    store = Store(settings, hash_embeddings)
    questions = sorted({str(m.get("question", "")).strip() for _, m, _ in store.iter_chunks()} - {""})
    assert questions
    # stored with the sync: a fresh process's first search embeds none of them
    assert set(_read_persisted(store, model_id(hash_embeddings), questions)) == set(questions)
