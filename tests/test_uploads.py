"""Uploads: hostile names, wrong types, size limit, atomic writes, and rollback so a
failed upload leaves both the interviews folder and the store as they were."""
from __future__ import annotations

import pytest

from ingest.sync import sync_paths
from ingest.uploads import UploadRejected, check_upload, ingest_uploads, sanitize_filename
from knowledge.copies import REGISTRY, is_upload
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
    # nothing stray left in the folder (temp files, backups); the upload is recorded as Casebase's copy
    assert sorted(p.name for p in settings.interviews_dir.iterdir()) == [REGISTRY, "Bo Berg.txt"]
    assert is_upload(settings.interviews_dir / "Bo Berg.txt")


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
    assert sorted(p.name for p in settings.interviews_dir.iterdir()) == [REGISTRY, "ok.txt"]
    assert "junk.txt" not in (settings.interviews_dir / REGISTRY).read_text(encoding="utf-8")
    assert set(Store(settings, hash_embeddings).documents()) == {"ok.txt"}


def test_failed_replacement_restores_the_previous_version(settings: Settings, hash_embeddings) -> None:
    old = interview_text(name="Anna Holm").encode()
    ingest_uploads([("anna.txt", old)], settings, embeddings=hash_embeddings)
    before = Store(settings, hash_embeddings).documents()["anna.txt"].content_hash
    result = ingest_uploads([("anna.txt", b"\x00\xff" * 1000)], settings, embeddings=hash_embeddings)
    assert result.saved == [] and result.rejected[0]["name"] == "anna.txt"
    assert (settings.interviews_dir / "anna.txt").read_bytes() == old
    assert Store(settings, hash_embeddings).documents()["anna.txt"].content_hash == before
    assert sorted(p.name for p in settings.interviews_dir.iterdir()) == [REGISTRY, "anna.txt"]


def test_store_failure_rolls_back_every_file(settings: Settings, hash_embeddings, monkeypatch) -> None:
    import ingest.uploads as uploads

    def boom(*a, **k):
        raise StoreError("Cannot reach the Chroma server")

    monkeypatch.setattr(uploads, "sync_locked", boom)
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


# -- uploads never lose a file ------------------------------------------------------------
import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402

from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException  # noqa: E402
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData  # noqa: E402

import ingest.sync as sync_mod  # noqa: E402
import ingest.uploads as uploads_mod  # noqa: E402
from ingest.sync import wait_for_jobs  # noqa: E402
from knowledge.embeddings import HashEmbeddings  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

# every point an upload passes: files written, the sync's four writes, synced, finished
STEPS = ["upload-written", "begin", "upsert", "stale", "commit", "upload-synced", "upload-finished"]
INTERRUPTS = {
    "stop": StopException,  # Streamlit: another page, a closed tab
    "rerun": lambda: RerunException(RerunData()),  # Streamlit: a click, a second upload
    "ctrl-c": KeyboardInterrupt,
}


def agreement(settings: Settings) -> dict[str, str]:
    """Assert the folder and the store agree, and return doc_id -> committed hash.

    Same doc ids on both sides; every stored document is committed at its file's
    content, with chunks, and no chunk belongs to anything else; no upload leftovers."""
    from ingest.pipeline import content_hash

    folder = settings.interviews_dir
    names = sorted(p.name for p in folder.iterdir())
    hidden = [n for n in names if n.startswith(".") and n != REGISTRY]
    names = [n for n in names if n != REGISTRY]
    assert hidden == [], f"leftovers in the folder: {hidden}"
    store = Store(settings, HashEmbeddings())
    docs = store.documents()
    assert sorted(docs) == names
    got = store.chunks.get(include=["metadatas"])
    per_doc: dict[str, set[str]] = {}
    for meta in got["metadatas"]:
        per_doc.setdefault(meta["doc_id"], set()).add(meta["content_hash"])
    assert set(per_doc) == set(docs), "chunks of a document that is not in the folder"
    for doc_id, rec in docs.items():
        assert rec.committed and rec.content_hash == content_hash(folder / doc_id)
        assert per_doc[doc_id] == {rec.content_hash}, f"{doc_id}: chunks of another version"
    return {d: r.content_hash for d, r in docs.items()}


def stop_at(step: str, monkeypatch) -> tuple[threading.Event, threading.Event]:
    """Park the upload's worker at ``step`` until released; returns (reached, release)."""
    reached, release = threading.Event(), threading.Event()

    def failpoint(name: str) -> None:
        if name == step and not reached.is_set():
            reached.set()
            assert release.wait(60)

    monkeypatch.setattr(sync_mod, "_failpoint", failpoint)
    monkeypatch.setattr(uploads_mod, "_failpoint", failpoint)
    return reached, release


@pytest.mark.parametrize("interrupt", sorted(INTERRUPTS))
@pytest.mark.parametrize("step", STEPS)
def test_interrupted_caller_never_loses_the_upload(step, interrupt, settings, hash_embeddings, monkeypatch) -> None:
    """Streamlit stops a script run by raising in its thread (another page, a rerun, a
    closed tab); Ctrl-C does the same in a CLI. The upload goes on to its end."""
    ingest_uploads([("old.txt", interview_text(name="Ole Olsen").encode())], settings, embeddings=hash_embeddings)
    reached, release = stop_at(step, monkeypatch)
    new = interview_text(name="Nina Nielsen", org="Nyby Bibliotek").encode()
    replaced = interview_text(name="Ole Olsen", org="Ændret Bibliotek").encode()

    def progress(p) -> None:
        if reached.is_set():
            raise INTERRUPTS[interrupt]()

    files = [("new.txt", new), ("old.txt", replaced)]
    with pytest.raises(BaseException) as caught:
        ingest_uploads(files, settings, progress=progress, embeddings=hash_embeddings)
    assert not isinstance(caught.value, Exception), caught.value  # the interrupt, not a failure
    assert sync_mod.running_jobs(), "the caller was interrupted while the upload was under way"
    release.set()
    assert wait_for_jobs(60)
    # completed, not rolled back: both files in the folder, at their new content, and in the store
    assert (settings.interviews_dir / "new.txt").read_bytes() == new
    assert (settings.interviews_dir / "old.txt").read_bytes() == replaced
    assert sorted(agreement(settings)) == ["new.txt", "old.txt"]


def test_a_second_upload_while_the_first_runs_waits_its_turn(settings, hash_embeddings, monkeypatch) -> None:
    reached, release = stop_at("upsert", monkeypatch)
    first = uploads_mod.start_uploads([("a.txt", interview_text(name="Anna Holm").encode())], settings, embeddings=hash_embeddings)
    assert reached.wait(30)
    second = uploads_mod.start_uploads([("b.txt", interview_text(name="Bo Berg").encode())], settings, embeddings=hash_embeddings)
    assert not second.wait(0.5)  # holds off while the first has the lock
    release.set()
    assert first.follow().saved == ["a.txt"] and second.follow().saved == ["b.txt"]
    assert sorted(agreement(settings)) == ["a.txt", "b.txt"]


class FailingOnce(HashEmbeddings):
    """An embedder that fails on its ``n``-th call (a model server dropping out mid-batch)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def embed_documents(self, texts):  # type: ignore[override]
        if self.calls + 1 == self.n:
            self.calls += 1
            raise RuntimeError("embedding server went away")
        return super().embed_documents(texts)


def test_failure_mid_batch_rolls_back_files_and_their_chunks(settings, hash_embeddings) -> None:
    """The first file is committed when the second fails: rolling the batch back must
    take the first one's chunks out too, and give a replaced file its old version back."""
    old = interview_text(name="Ole Olsen").encode()
    ingest_uploads([("old.txt", old)], settings, embeddings=hash_embeddings)
    before = agreement(settings)
    batch = [
        ("a.txt", interview_text(name="Anna Holm").encode()),
        ("old.txt", interview_text(name="Ole Olsen", org="Ændret Bibliotek").encode()),
        ("b.txt", interview_text(name="Bo Berg", org="Nordby Bibliotek").encode()),
    ]
    with pytest.raises(StoreError, match="embedding server went away"):
        ingest_uploads(batch, settings, embeddings=FailingOnce(3))
    assert (settings.interviews_dir / "old.txt").read_bytes() == old
    assert agreement(settings) == before


def test_upload_gets_the_folders_normal_permissions(settings, hash_embeddings) -> None:
    old = os.umask(0o022)
    try:
        ingest_uploads([("a.txt", interview_text().encode())], settings, embeddings=hash_embeddings)
        ingest_uploads([("a.txt", interview_text(name="Bo Berg").encode())], settings, embeddings=hash_embeddings)
    finally:
        os.umask(old)
    assert (settings.interviews_dir / "a.txt").stat().st_mode & 0o777 == 0o644


def test_upload_over_a_fifo_or_a_link_inside_is_refused(settings, hash_embeddings) -> None:
    folder = settings.interviews_dir
    folder.mkdir(parents=True)
    os.mkfifo(folder / "pipe.txt")
    (folder / "real.txt").write_text(interview_text(), encoding="utf-8")
    (folder / "alias.txt").symlink_to(folder / "real.txt")
    before = (folder / "real.txt").read_bytes()
    result = ingest_uploads(
        [("pipe.txt", b"hello there"), ("alias.txt", b"overwrite me")], settings, embeddings=hash_embeddings
    )
    assert result.saved == [] and sorted(r["name"] for r in result.rejected) == ["alias.txt", "pipe.txt"]
    assert (folder / "real.txt").read_bytes() == before


# -- a killed process: the next sync (or upload) puts folder and store back in step ----------
UPLOADER = """
import sys
from ingest.uploads import ingest_uploads
from knowledge.settings import Settings
files = [(a, open(b, "rb").read()) for a, b in zip(sys.argv[1::2], sys.argv[2::2])]
ingest_uploads(files, Settings())
"""


def upload_in_subprocess(cli_env, settings, tmp_path, files: dict[str, bytes], failpoint: str):
    args = []
    for i, (name, data) in enumerate(files.items()):
        src = tmp_path / f"src-{i}"
        src.write_bytes(data)
        args += [name, str(src)]
    env = dict(cli_env, CASEBASE_INTERVIEWS_DIR=str(settings.interviews_dir), CASEBASE_FAILPOINT=failpoint)
    return subprocess.run(
        [sys.executable, "-c", UPLOADER, *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    "point",
    ["upload-written:1", "begin:1", "upsert:2", "stale:1", "commit:2", "upload-synced:1", "upload-finished:1"],
)
def test_killed_upload_is_repaired_by_the_next_sync(point, settings, cli_env, tmp_path, hash_embeddings) -> None:
    old = interview_text(name="Ole Olsen").encode()
    ingest_uploads([("old.txt", old)], settings, embeddings=hash_embeddings)
    new = {
        "new.txt": interview_text(name="Nina Nielsen").encode(),
        "old.txt": interview_text(name="Ole Olsen", org="Ændret Bibliotek").encode(),
    }
    killed = upload_in_subprocess(cli_env, settings, tmp_path, new, point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    report = sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    assert report.failed == []
    docs = agreement(settings)
    old_now = (settings.interviews_dir / "old.txt").read_bytes()
    if point == "upload-finished:1":  # the outcome stood before the kill: the upload is in
        assert sorted(docs) == ["new.txt", "old.txt"] and old_now == new["old.txt"]
    else:  # rolled back: as before the upload
        assert sorted(docs) == ["old.txt"] and old_now == old


def test_killed_upload_is_repaired_by_the_next_upload(settings, cli_env, tmp_path, hash_embeddings) -> None:
    killed = upload_in_subprocess(cli_env, settings, tmp_path, {"a.txt": interview_text().encode()}, "commit:1")
    assert killed.returncode == -signal.SIGKILL
    assert any(p.name.startswith(".casebase-upload-") for p in settings.interviews_dir.iterdir())
    result = ingest_uploads([("b.txt", interview_text(name="Bo Berg").encode())], settings, embeddings=hash_embeddings)
    assert result.saved == ["b.txt"]
    assert sorted(agreement(settings)) == ["b.txt"]


def test_a_live_uploads_journal_is_left_alone(settings, hash_embeddings, tmp_path) -> None:
    """A folder sync into another store must not roll back an upload still under way
    in another process (it holds the other store's lock, not ours)."""
    folder = settings.interviews_dir
    folder.mkdir(parents=True)
    (folder / "a.txt").write_text(interview_text(), encoding="utf-8")
    digest = hashlib.sha256((folder / "a.txt").read_bytes()).hexdigest()
    journal = folder / ".casebase-upload-live.json"
    parent = os.getppid()  # alive, and not us
    journal.write_text(json.dumps({
        "pid": parent, "host": __import__("socket").gethostname(), "created": 0, "finished": False,
        "files": [{"target": str(folder / "a.txt"), "backup": None, "digest": digest, "tmp": str(folder / ".upload-x.tmp")}],
    }), encoding="utf-8")
    report = sync_paths([folder], settings, embeddings=hash_embeddings)
    assert report.added == ["a.txt"] and journal.exists()


# -- the Ingest page picks up an upload its session left running ---------------------------
from tests.test_app import app_env, filled  # noqa: E402,F401  (fixtures)


def test_ingest_page_follows_an_upload_left_running(filled: Settings, monkeypatch) -> None:
    """What the page does after a rerun or a visit to another page cut the following of an
    upload short: the next run of the Ingest page follows it to its end and reports it."""
    from streamlit.testing.v1 import AppTest

    from tests.test_app import APP, TIMEOUT
    from ui.syncing import JOB, _for_ui

    reached, release = stop_at("upsert", monkeypatch)
    data = interview_text(name="Carl Dahl", org="Sydby Bibliotek").encode()
    job = uploads_mod.start_uploads([("carl.txt", data)], _for_ui(filled))
    assert reached.wait(30)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[JOB] = {"kind": "upload", "job": job, "label": "Saving and indexing uploads…"}
    threading.Timer(1.0, release.set).start()  # the upload goes on while the page follows it
    at.switch_page("views/ingest.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert job.done and JOB not in at.session_state
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Added"] == "1" and metrics["Failed"] == "0"
    assert sorted(agreement(filled)) == ["anna.txt", "bo.txt", "carl.txt", "eve.txt"]
