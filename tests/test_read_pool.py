"""Reading a large first ingest in worker processes (ingest/read_pool.py) gives what
reading here gives, in the same order, failures included; a pool that cannot start or
breaks falls back to reading here."""
from __future__ import annotations

from pathlib import Path

import pytest

import ingest.read_pool as read_pool
from bench.generate import generate
from ingest.pipeline import content_hash
from ingest.sync import sync_paths
from knowledge.store import Store


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pool") / "corpus"
    generate(read_pool.MIN_POOL_FILES + 4, out, seed=3)
    (out / "00005-empty.txt").write_text("   \n\n", encoding="utf-8")  # no quotable text
    (out / "00009-broken.docx").write_bytes(b"not a zip file")
    return out


@pytest.fixture(autouse=True)
def plain_main(monkeypatch):
    """A ``__main__`` a worker need not run: tests that ran the app (Streamlit's AppTest)
    leave app.py's module as ``__main__``, under which the reads stay here."""
    import sys
    import types

    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))


def _jobs(folder: Path) -> list[read_pool.Job]:
    paths = sorted(p for p in folder.iterdir() if p.is_file())
    return [(p, p.name, content_hash(p), 2_000_000, 2_000_000) for p in paths]


def _plain(reads) -> list:
    out = []
    for r in reads:
        if isinstance(r, str):
            out.append(r)
        else:
            out.append((r.iv.doc_id, [(c.chunk_id, c.text, c.embed_text) for c in r.chunks], r.metas, r.body, r.rows))
    return out


def test_workers_read_what_this_process_reads_in_the_same_order(folder):
    jobs = _jobs(folder)
    serial = _plain(read_pool.read_all(jobs, parallel=False))
    pooled = _plain(read_pool.read_all(jobs, parallel=True))  # (on one core: here as well)
    assert pooled == serial
    failures = [r for r in serial if isinstance(r, str)]
    assert len(failures) == 2 and any("00005-empty.txt" in f for f in failures) and any("00009-broken.docx" in f for f in failures)


def test_a_pool_that_cannot_start_reads_here(folder, monkeypatch):
    def no_processes(workers):
        raise OSError("process creation not permitted")

    monkeypatch.setattr(read_pool, "_pool", no_processes)
    jobs = _jobs(folder)
    assert _plain(read_pool.read_all(jobs, parallel=True)) == _plain(read_pool.read_all(jobs, parallel=False))


def test_a_large_first_ingest_stores_the_same_whether_read_in_workers_or_here(folder, settings, tmp_path, monkeypatch, hash_embeddings):
    small = settings.model_copy(update={"text_first_bytes": 1})  # the text pass, whose reads use the workers
    monkeypatch.setattr(read_pool, "_cores", lambda: 2)  # a one-core machine would read here
    started, real_pool, n = [], read_pool._pool, read_pool.MIN_POOL_FILES + 4
    monkeypatch.setattr(read_pool, "_pool", lambda workers: started.append(workers) or real_pool(workers))
    pooled = sync_paths([folder], small, embeddings=hash_embeddings)
    assert started  # the reads went to worker processes
    monkeypatch.setattr(read_pool, "MIN_POOL_FILES", 1 << 30)
    serial_settings = small.model_copy(update={"store": tmp_path / "serial"})
    serial = sync_paths([folder], serial_settings, embeddings=hash_embeddings)
    assert pooled.added == serial.added and len(pooled.added) == n
    assert [f["error"] for f in pooled.failed] == [f["error"] for f in serial.failed]

    def rows(s) -> dict:
        return {cid: (meta, text) for cid, meta, text in Store(s).iter_chunks()}

    assert rows(small) == rows(serial_settings) != {}


def test_workers_do_not_run_the_apps_script(folder, tmp_path, monkeypatch):
    """Under Streamlit, ``__main__`` is the app's script (app.py, run without a main guard):
    a spawned worker would run it again before reading anything (and the app's would
    crash, breaking the pool). There the files are read here."""
    import sys
    import types

    marker = tmp_path / "ran"
    script = tmp_path / "app_like.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    fake = types.ModuleType("__main__")
    fake.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake)
    monkeypatch.setattr(read_pool, "_cores", lambda: 2)
    jobs = _jobs(folder)
    got = _plain(read_pool.read_all(jobs, parallel=True))
    assert not marker.exists()
    monkeypatch.undo()
    assert got == _plain(read_pool.read_all(jobs, parallel=False))



def test_one_allowed_core_reads_here(folder, monkeypatch):
    """A container or ``taskset`` that gives the process one core: no workers, whatever
    the machine has."""
    import os

    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("no CPU sets on this platform")
    monkeypatch.setattr(read_pool.os, "sched_getaffinity", lambda pid: {0})
    monkeypatch.setattr(read_pool.os, "cpu_count", lambda: 8)
    started: list[int] = []
    monkeypatch.setattr(read_pool, "_pool", lambda workers: started.append(workers))
    jobs = _jobs(folder)
    assert _plain(read_pool.read_all(jobs, parallel=True)) == _plain(read_pool.read_all(jobs, parallel=False))
    assert started == []
