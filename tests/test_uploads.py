"""Uploads: hostile names, wrong types, size limit, atomic writes, and rollback so a
failed upload leaves both the interviews folder and the store as they were."""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest.sync import sync_paths
from ingest.uploads import UploadRejected, check_upload, ingest_uploads, sanitize_filename
from knowledge.settings import Settings
from knowledge.store import Store, StoreError
from tests.conftest import interview_text


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("interview.txt", "interview.txt"),
        ("Læsecaféen på Århus Bibliotek.docx", "Læsecaféen på Århus Bibliotek.docx"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.ini.md", "win.ini.md"),
        ("C:\\Users\\anna\\Desktop\\Svar fra Anna.PDF", "Svar fra Anna.pdf"),
        ("/abs/path/x.html", "x.html"),
        (".hidden.txt", "hidden.txt"),
        ("a\x00b\u202e.txt", "ab.txt"),
        ("semi;colon<>|*?.txt", "semi_colon.txt"),
        ("  spaced   out  .txt", "spaced out.txt"),
        ("Carl Dahl – kajak’s.txt", "Carl Dahl – kajak’s.txt"),
    ],
)
def test_sanitize_filename(raw: str, expected: str) -> None:
    assert sanitize_filename(raw) == expected


@pytest.mark.parametrize("raw", ["..", ".", "", "../", "/", "CON.txt", "\x00\x01"])
def test_unusable_names_are_rejected(raw: str) -> None:
    with pytest.raises(UploadRejected):
        sanitize_filename(raw)


def test_long_names_keep_their_extension() -> None:
    name = sanitize_filename("ø" * 500 + ".docx")
    assert name.endswith(".docx") and len(name) <= 120


def test_type_and_size_checks(settings: Settings) -> None:
    limited = settings.model_copy(update={"max_file_bytes": 100})
    assert check_upload("a.MD", 10, limited) == "a.md"
    with pytest.raises(UploadRejected, match="not supported"):
        check_upload("evil.exe", 10, limited)
    with pytest.raises(UploadRejected, match="without an extension"):
        check_upload("README", 10, limited)
    with pytest.raises(UploadRejected):
        check_upload("....txt", 10, limited)  # dots stripped: no extension left
    with pytest.raises(UploadRejected, match="empty"):
        check_upload("a.txt", 0, limited)
    with pytest.raises(UploadRejected, match="over the limit"):
        check_upload("a.txt", 101, limited)


def test_upload_is_saved_and_synced(settings: Settings, hash_embeddings) -> None:
    data = interview_text(name="Bo Berg", org="Nordby Bibliotek").encode()
    result = ingest_uploads([("../Bo Berg.txt", data)], settings, embeddings=hash_embeddings)
    assert result.saved == ["Bo Berg.txt"] and not result.rejected
    assert (settings.interviews_dir / "Bo Berg.txt").read_bytes() == data
    assert result.report and result.report.added == ["Bo Berg.txt"]
    assert "Bo Berg.txt" in Store(settings, hash_embeddings).documents()
    # nothing stray left in the folder (temp files, backups)
    assert sorted(p.name for p in settings.interviews_dir.iterdir()) == ["Bo Berg.txt"]


def test_refused_and_unreadable_files_leave_folder_and_store_unchanged(settings: Settings, hash_embeddings) -> None:
    good = interview_text().encode()
    sync_paths([], settings, embeddings=hash_embeddings)  # an empty, initialised store
    result = ingest_uploads(
        [("ok.txt", good), ("junk.txt", b"\x00\x01\x02\xff" * 500), ("x.exe", b"MZ"), ("empty.md", b"")],
        settings,
        embeddings=hash_embeddings,
    )
    assert result.saved == ["ok.txt"]
    reasons = {r["name"]: r["error"] for r in result.rejected}
    assert set(reasons) == {"junk.txt", "x.exe", "empty.md"}
    assert all(reason and "\n" not in reason for reason in reasons.values())
    assert sorted(p.name for p in settings.interviews_dir.iterdir()) == ["ok.txt"]
    assert set(Store(settings, hash_embeddings).documents()) == {"ok.txt"}


def test_failed_replacement_restores_the_previous_version(settings: Settings, hash_embeddings) -> None:
    old = interview_text(name="Anna Holm").encode()
    ingest_uploads([("anna.txt", old)], settings, embeddings=hash_embeddings)
    before = Store(settings, hash_embeddings).documents()["anna.txt"].content_hash
    result = ingest_uploads([("anna.txt", b"\x00\xff" * 1000)], settings, embeddings=hash_embeddings)
    assert result.saved == [] and result.rejected[0]["name"] == "anna.txt"
    assert (settings.interviews_dir / "anna.txt").read_bytes() == old
    assert Store(settings, hash_embeddings).documents()["anna.txt"].content_hash == before
    assert sorted(p.name for p in settings.interviews_dir.iterdir()) == ["anna.txt"]


def test_store_failure_rolls_back_every_file(settings: Settings, hash_embeddings, monkeypatch) -> None:
    import ingest.uploads as uploads

    def boom(*a, **k):
        raise StoreError("Cannot reach the Chroma server")

    monkeypatch.setattr(uploads, "sync_paths", boom)
    with pytest.raises(StoreError):
        ingest_uploads([("a.txt", interview_text().encode())], settings, embeddings=hash_embeddings)
    assert list(settings.interviews_dir.iterdir()) == []


def test_same_name_twice_in_one_batch_keeps_both(settings: Settings, hash_embeddings) -> None:
    a = interview_text(name="Anna Holm").encode()
    b = interview_text(name="Bo Berg").encode()
    result = ingest_uploads([("dir1/x.txt", a), ("dir2/x.txt", b)], settings, embeddings=hash_embeddings)
    assert result.saved == ["x.txt", "x (2).txt"]
    assert (settings.interviews_dir / "x (2).txt").read_bytes() == b


def test_upload_over_a_symlink_out_of_the_folder_is_refused_alone(settings: Settings, hash_embeddings, tmp_path) -> None:
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("not ours to overwrite", encoding="utf-8")
    settings.interviews_dir.mkdir(parents=True)
    (settings.interviews_dir / "linked.txt").symlink_to(outside)
    good = interview_text(name="Bo Berg").encode()
    result = ingest_uploads([("linked.txt", b"new text"), ("bo.txt", good)], settings, embeddings=hash_embeddings)
    assert result.saved == ["bo.txt"]
    assert [r["name"] for r in result.rejected] == ["linked.txt"]
    assert "outside the interviews folder" in result.rejected[0]["error"]
    assert outside.read_text(encoding="utf-8") == "not ours to overwrite"
