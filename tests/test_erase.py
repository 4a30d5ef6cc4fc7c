"""Erasing an interview: everything Casebase keeps of it goes, down to the bytes on disk,
and the other interviews stay as they were."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.sync import sync_paths
from ingest.uploads import ingest_uploads
from knowledge.compact import STAGING, _copy, _write_journal
from knowledge.erase import UnknownInterview, erase_interview
from knowledge.pseudonyms import PseudonymBook
from knowledge.service import Casebase
from knowledge.settings import Settings
from knowledge.snapshot_cache import cache_root
from knowledge.store import Store
from tests.conftest import interview_text

HAVNESTAD = "havnestad-ungdomsskole.txt"
GONE = "kommunens it-afdeling brugte et halvt år".encode()  # only in Havnestad
KEPT = b"Borgerservice kendte reglerne"  # only in Skovby


def files_under(settings: Settings) -> list[Path]:
    """Every file under the store folder, and the themes database with its journals."""
    db = settings.themes_path
    extra = [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm"), Path(f"{db}-journal")) if p.exists()]
    return [p for p in settings.store.rglob("*") if p.is_file()] + extra


def holding(settings: Settings, needle: bytes) -> list[str]:
    return [str(p) for p in files_under(settings) if needle in p.read_bytes()]


def test_erase_leaves_no_byte_of_the_interview(casebase: Casebase, settings: Settings, hash_embeddings,
                                               knowledge_folder: Path) -> None:
    svc = casebase
    svc.ask("Hvad var svært?")  # fills the question-vector cache collection too
    chunks = [c for c in svc.interview(HAVNESTAD)["chunks"]]
    book = svc.themes
    book.add("Netværk", ["Hvad var svært?"])
    book.code("Netværk", svc.source_of(chunks[0]["chunk_id"]))
    book.reject("Netværk", svc.source_of(chunks[1]["chunk_id"]))
    skovby = svc.interview("skovby-borgerservice.txt")["chunks"][0]["chunk_id"]
    book.code("Netværk", svc.source_of(skovby))
    PseudonymBook(settings.themes_path).codes("person", ["Rasmus Friis", "Lone Damgaard"])
    assert holding(settings, GONE) and holding(settings, KEPT)  # the test can see the bytes it looks for
    assert any(p.name == "texts.json" for p in cache_root(settings).rglob("*"))  # the snapshot cache holds quotes

    report = erase_interview(settings, HAVNESTAD, embeddings=hash_embeddings)

    assert report.removed["chunks"] == report.removed["vectors"] == len(chunks)
    assert report.removed["documents"] == 1
    assert (report.removed["codings"], report.removed["rejections"]) == (1, 1)
    assert report.removed["pseudonyms"] == 1  # Rasmus Friis; Lone Damgaard is in another interview
    assert report.removed["question_vectors"] >= 1
    assert report.compacted and "Erased havnestad-ungdomsskole.txt (Rasmus Friis)" in report.summary()
    assert report.rewritten().startswith("The store folder and the themes database were rewritten")
    for needle in (GONE, b"Rasmus Friis", HAVNESTAD.encode()):
        assert holding(settings, needle) == [], needle
    assert not cache_root(settings).exists()
    # the researcher's own file stays, and the report says what a resync would do
    assert report.kept_file == str(knowledge_folder / HAVNESTAD) and (knowledge_folder / HAVNESTAD).exists()
    assert any("resync" in n for n in report.notices)

    # the others are intact: stored, searchable, still coded, still pseudonymised
    assert holding(settings, KEPT)
    fresh = Casebase(settings, hash_embeddings)
    assert sorted(i["doc_id"] for i in fresh.interviews()) == ["riverside-seed-library.md", "skovby-borgerservice.txt"]
    assert fresh.find("Borgerservice kendte reglerne", mode="phrase").total == 1
    assert fresh.find("halvt år", mode="phrase").total == 0
    assert fresh.ask("What did the seed library achieve?").sources
    assert [c.source.doc_id for c in fresh.themes.codings("Netværk")] == ["skovby-borgerservice.txt"]
    assert PseudonymBook(settings.themes_path).known("person") == {"Lone Damgaard": "P02"}


def test_erase_through_the_cli(knowledge_cli, settings: Settings) -> None:
    help_ = knowledge_cli("erase", "--help")
    assert help_.exit_code == 0 and "DOC_ID" in help_.output
    result = knowledge_cli("erase", HAVNESTAD, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["doc_id"] == HAVNESTAD and out["removed"]["documents"] == 1 and out["removed"]["chunks"] > 0
    assert holding(settings, GONE) == [] and holding(settings, KEPT)
    listed = json.loads(knowledge_cli("list", "--json").stdout)
    assert HAVNESTAD not in {i["doc_id"] for i in listed["interviews"]}
    plain = knowledge_cli("erase", "riverside-seed-library.md")
    assert plain.exit_code == 0 and plain.stdout.startswith("Erased riverside-seed-library.md (Priya Raman): ")


def test_unknown_interview_is_one_line_and_changes_nothing(knowledge_cli, settings: Settings) -> None:
    before = sorted(p.name for p in settings.store.rglob("*"))
    result = knowledge_cli("erase", "nope.txt")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("error: no interview 'nope.txt'")
    assert sorted(p.name for p in settings.store.rglob("*")) == before
    assert len(json.loads(knowledge_cli("list", "--json").stdout)["interviews"]) == 3
    with pytest.raises(UnknownInterview):
        erase_interview(settings, "")


def test_an_uploaded_copy_is_deleted_a_replaced_one_is_kept(settings: Settings, hash_embeddings) -> None:
    bo = interview_text(name="Bo Berg", org="Nordby Kulturhus").encode()
    anna = interview_text(name="Anna Holm").encode()
    ingest_uploads([("Bo Berg.txt", bo), ("anna.txt", anna)], settings, embeddings=hash_embeddings)
    folder = settings.interviews_dir
    assert (folder / "Bo Berg.txt").exists()
    report = erase_interview(settings, "Bo Berg.txt", embeddings=hash_embeddings)
    assert not (folder / "Bo Berg.txt").exists() and report.removed["files"] == 1 and not report.kept_file
    assert "Bo Berg" not in (folder / ".casebase-uploads.json").read_text(encoding="utf-8")
    # the researcher wrote over the uploaded copy: the file is theirs now
    (folder / "anna.txt").write_text(interview_text(name="Anna Holm", case="Nyt"), encoding="utf-8")
    sync_paths([folder], settings, embeddings=hash_embeddings)
    report = erase_interview(settings, "anna.txt", embeddings=hash_embeddings)
    assert (folder / "anna.txt").exists() and report.kept_file.endswith("anna.txt") and report.removed["files"] == 0
    assert Store(settings, hash_embeddings).documents() == {}


@pytest.mark.parametrize("step", ["copying", "copied"])
def test_a_compaction_killed_half_way_is_finished_or_undone(casebase: Casebase, settings: Settings, hash_embeddings,
                                                            step: str) -> None:
    store = Store(settings, hash_embeddings, fresh=True)
    before = sorted(store.documents())
    name = settings.collection
    _copy(store.client, name, name + STAGING, None)
    _write_journal(settings.store, {name: step})
    if step == "copied":
        store.client.delete_collection(name)  # killed right after dropping the original
    reopened = Store(settings, hash_embeddings, fresh=True)  # a reader's open repairs it
    names = {c.name for c in reopened.client.list_collections()}
    assert name in names and name + STAGING not in names
    assert sorted(reopened.documents()) == before
    assert Casebase(settings, hash_embeddings).find("Borgerservice kendte reglerne", mode="phrase").total == 1
