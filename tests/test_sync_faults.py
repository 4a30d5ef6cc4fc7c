"""Crash and concurrency safety of the sync, through the real CLI in subprocesses."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT
from tests.test_sync import chunk_state


def run_ingest(env, *args, failpoint: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(env)
    if failpoint:
        env["CASEBASE_FAILPOINT"] = failpoint
    return subprocess.run(
        [sys.executable, "-m", "ingest", *args, "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )


def make_corpus(write_interview, n: int = 4) -> None:
    for i in range(n):
        write_interview(f"i{i}.txt", name=f"Person Nummer{i}", org=f"Organisation {i}")


def clean_state(tmp_path, write_interview, settings, cli_env):
    """The store a clean, uninterrupted ingest of the same files gives."""
    env = dict(cli_env, CASEBASE_STORE=str(tmp_path / "clean-store"))
    assert run_ingest(env, str(settings.interviews_dir)).returncode == 0
    return chunk_state(settings.model_copy(update={"store": tmp_path / "clean-store"}))


@pytest.mark.parametrize("point", ["begin:1", "upsert:2", "stale:3", "commit:1", "commit:4"])
def test_kill_during_first_ingest_then_rerun_repairs(point, settings, cli_env, write_interview, tmp_path):
    make_corpus(write_interview)
    killed = run_ingest(cli_env, str(settings.interviews_dir), failpoint=point)
    assert killed.returncode == -signal.SIGKILL
    again = run_ingest(cli_env, str(settings.interviews_dir))
    assert again.returncode == 0, again.stderr
    assert chunk_state(settings) == clean_state(tmp_path, write_interview, settings, cli_env)


@pytest.mark.parametrize("point", ["begin:1", "upsert:1", "stale:1", "remove:1"])
def test_kill_during_update_and_removal_then_rerun_repairs(point, settings, cli_env, write_interview, tmp_path):
    make_corpus(write_interview)
    assert run_ingest(cli_env, str(settings.interviews_dir)).returncode == 0
    changed = settings.interviews_dir / "i1.txt"
    changed.write_text(changed.read_text(encoding="utf-8").replace("større netværk", "mindre netværk"), encoding="utf-8")
    (settings.interviews_dir / "i2.txt").unlink()

    killed = run_ingest(cli_env, str(settings.interviews_dir), failpoint=point)
    assert killed.returncode == -signal.SIGKILL
    # mid-crash, a reader sees each interview exactly once: old or new version, never both
    from knowledge.store import Store

    visible = [m for _, m, _ in Store(settings).iter_chunks(include=["metadatas"])]
    per_doc_versions = {}
    for m in visible:
        per_doc_versions.setdefault(m["doc_id"], set()).add(m["content_hash"])
    assert all(len(v) == 1 for v in per_doc_versions.values())

    again = run_ingest(cli_env, str(settings.interviews_dir))
    assert again.returncode == 0, again.stderr
    assert chunk_state(settings) == clean_state(tmp_path, write_interview, settings, cli_env)


def test_random_kills_never_lose_or_double(settings, cli_env, write_interview, tmp_path):
    make_corpus(write_interview, n=12)
    for delay in (0.8, 1.2, 1.6):
        proc = subprocess.Popen(
            [sys.executable, "-m", "ingest", str(settings.interviews_dir), "--json"],
            cwd=ROOT, env=cli_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    final = run_ingest(cli_env, str(settings.interviews_dir))
    assert final.returncode == 0, final.stderr
    assert chunk_state(settings) == clean_state(tmp_path, write_interview, settings, cli_env)


def test_two_ingests_at_once_both_finish_and_agree(settings, cli_env, write_interview, tmp_path):
    make_corpus(write_interview, n=8)
    cmd = [sys.executable, "-m", "ingest", str(settings.interviews_dir), "--json"]
    procs = [
        subprocess.Popen(cmd, cwd=ROOT, env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    reports = [json.loads(o[0]) for o in outs]
    # one of them did the work, the other waited for the lock and found nothing to do
    assert sorted(len(r["added"]) for r in reports) == [0, 8]
    assert all(r["chunks"] == reports[0]["chunks"] for r in reports)
    assert chunk_state(settings) == clean_state(tmp_path, write_interview, settings, cli_env)


def test_second_ingest_gives_up_with_a_reason_when_lock_is_held(settings, cli_env, write_interview):
    from ingest.sync import lock_for

    make_corpus(write_interview, n=1)
    lock = lock_for(settings)
    with lock:
        res = run_ingest(dict(cli_env, CASEBASE_LOCK_TIMEOUT="0.5"), str(settings.interviews_dir))
    assert res.returncode == 1
    assert "Another ingest" in json.loads(res.stdout)["error"]


def largest_file(folder) -> int:
    return max(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _disk_full(limit_bytes: int):
    """preexec_fn: writes past limit_bytes fail with EFBIG, as on a full disk."""
    import resource

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return apply


def test_disk_full_is_a_clear_error_and_the_store_stays_intact(settings, cli_env, write_interview):
    write_interview("a.txt")
    assert run_ingest(cli_env, str(settings.interviews_dir)).returncode == 0
    before = chunk_state(settings)
    for i in range(30):
        write_interview(f"more{i}.txt", name=f"Ny Person{i}")
    res = subprocess.run(
        [sys.executable, "-m", "ingest", str(settings.interviews_dir), "--json"],
        cwd=ROOT, env=cli_env, capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL, preexec_fn=_disk_full(largest_file(settings.store)),
    )
    assert res.returncode == 1
    error = json.loads(res.stdout)["error"]
    assert "intact" in error and "disk space" in error
    assert "Traceback" not in res.stderr
    assert chunk_state(settings) == before
    # with space again, the next sync completes
    assert run_ingest(cli_env, str(settings.interviews_dir)).returncode == 0
    assert len(chunk_state(settings)) > len(before)


def test_queries_during_an_ingest_see_a_consistent_store(settings, cli_env, write_interview):
    """While another process syncs, every answer is built from committed interviews only."""
    from knowledge.embeddings import HashEmbeddings
    from knowledge.service import Casebase

    make_corpus(write_interview, n=3)
    assert run_ingest(cli_env, str(settings.interviews_dir)).returncode == 0
    make_corpus(write_interview, n=30)  # 27 new files to add while we ask
    for path in list(settings.interviews_dir.glob("i1*.txt")):
        path.write_text(path.read_text(encoding="utf-8") + "\n7) Ekstra?\n\n • Et nyt svar om netværk.\n", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ingest", str(settings.interviews_dir), "--json"],
        cwd=ROOT, env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
    )
    asked = 0
    try:
        while proc.poll() is None or asked == 0:
            cb = Casebase(settings, HashEmbeddings())
            before = {d: r.content_hash for d, r in cb.store.documents().items() if r.content_hash}
            hits = cb.search("netværk i kommunen", k=20)
            after = {d: r.content_hash for d, r in cb.store.documents().items() if r.content_hash}
            for src in hits:
                assert src.quote
                meta = cb.store.chunks.get(ids=[src.chunk_id], include=["metadatas"])["metadatas"]
                if not meta:
                    continue  # a hit may vanish after the search (its version was replaced)
                # ... but never be half-written: its version was committed when the search ran
                doc, version = meta[0]["doc_id"], meta[0]["content_hash"]
                assert version in (before.get(doc), after.get(doc)), (doc, version, before.get(doc), after.get(doc))
            ids = [s.chunk_id for s in cb.search("netværk", k=50)]
            assert len(ids) == len(set(ids))
            asked += 1
    finally:
        out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    assert asked >= 1
    assert len(json.loads(out)["added"]) == 27


# -- many sessions, one store ------------------------------------------------------------------
def test_two_sessions_ask_while_a_sync_runs_in_a_third_thread(settings, write_interview):
    """Two facades (two app sessions) keep answering from committed interviews while a
    sync writes in another thread of the same process; afterwards both see all of it."""
    import threading

    from ingest.sync import sync_paths
    from knowledge.embeddings import HashEmbeddings
    from knowledge.service import Casebase

    make_corpus(write_interview, n=3)
    sync_paths([settings.interviews_dir], settings, embeddings=HashEmbeddings())
    make_corpus(write_interview, n=24)
    sessions = [Casebase(settings, HashEmbeddings()), Casebase(settings, HashEmbeddings())]
    for cb in sessions:
        assert cb.search("netværk i kommunen", k=5)
    errors: list[BaseException] = []
    report = {}

    def sync() -> None:
        try:
            report["r"] = sync_paths([settings.interviews_dir], settings, embeddings=HashEmbeddings())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    writer = threading.Thread(target=sync)
    writer.start()
    asked = 0
    while writer.is_alive() or asked < 2:
        for cb in sessions:
            ids = [s.chunk_id for s in cb.search("netværk", k=50)]
            assert ids and len(ids) == len(set(ids))
            committed = {d: r.content_hash for d, r in cb.store.documents().items() if r.content_hash}
            assert all(i.split("::")[0] in committed for i in ids)
            asked += 1
    writer.join()
    assert not errors, errors
    assert len(report["r"].added) == 21
    for cb in sessions:
        assert cb.stats()["documents"] == 24


def test_a_rebuild_with_another_embedder_is_a_model_mismatch_not_unreachable(settings, write_interview):
    """A session open on the store, then another process rebuilds it with another model:
    the session must say so (and keep saying so), not that the store cannot be reached."""
    from knowledge.embeddings import HashEmbeddings
    from knowledge.service import Casebase
    from knowledge.store import ModelMismatch

    make_corpus(write_interview, n=2)
    from ingest.sync import sync_paths

    sync_paths([settings.interviews_dir], settings, embeddings=HashEmbeddings(256))
    session = Casebase(settings, HashEmbeddings(256))
    assert session.search("netværk")
    other = Casebase(settings, HashEmbeddings(256))
    assert other.stats()["documents"] == 2
    sync_paths([settings.interviews_dir], settings, embeddings=HashEmbeddings(128), rebuild=True)
    for cb in (session, other, session):
        with pytest.raises(ModelMismatch, match="hash:128"):
            cb.search("netværk")
    # and the app words it as such
    from ui.state import explain

    try:
        session.stats()
    except ModelMismatch as exc:
        assert "another embedding model" in explain(exc, settings).title
    else:  # pragma: no cover
        raise AssertionError("no model check")
