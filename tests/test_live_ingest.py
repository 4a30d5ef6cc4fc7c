"""Searchable while it ingests: a large first ingest writes every new interview's text
before its vectors, so word search, the browser and the file report work at once, and
meaning search and answers say which interviews they cannot see yet."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ingest.jobs import Job
from ingest.report import SyncProgress, describe_progress
from ingest.sync import sync_paths
from knowledge.service import Casebase
from knowledge.store import Store
from tests.conftest import ROOT
from tests.test_sync import chunk_state
from tests.test_sync_faults import run_ingest

PHRASE = "guldsmedens gamle værksted"
LATE = {  # the interviews a text-first sync adds; only they hold PHRASE
    "b.txt": {"name": "Bo Berg", "org": "Nordby Kulturhus",
              "qa": {"Hvad fik I ud af samarbejdet?": [f"Vi lånte {PHRASE} til fortælleaftener for børn."]}},
    "c.txt": {"name": "Cai Carl", "org": "Sydby Bibliotek",
              "qa": {"Hvad var svært?": [f"Nøglen til {PHRASE} var altid væk om lørdagen."]}},
}


def _late(write_interview) -> None:
    for name, kw in LATE.items():
        write_interview(name, **kw)


def _text_quotes(settings) -> dict[str, int]:
    """Where text-first quotes are held: per document, how many rows hold any (its body
    rows, knowledge/bodies.py, and an older store's ``__text`` rows)."""
    from knowledge.bodies import QUOTES

    store, out = Store(settings), {}
    for coll in (store.bodies._collection(), store.text_rows()):
        for meta in [] if coll is None else coll.get(include=["metadatas"])["metadatas"]:
            if meta and meta.get(QUOTES):
                out[meta["doc_id"]] = out.get(meta["doc_id"], 0) + 1
    return out


def _text_rows(settings) -> int:
    return sum(_text_quotes(settings).values())


@pytest.fixture
def parked(settings, write_interview, hash_embeddings, monkeypatch):
    """A text-first sync of b.txt and c.txt over a store that already holds a.txt,
    parked (in its own thread) right after its text pass; yields (job, release)."""
    write_interview("a.txt")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    _late(write_interview)
    write_interview("blank.txt", text="   \n")
    reached, release = threading.Event(), threading.Event()

    def park(name: str) -> None:
        if name == "texts" and not reached.is_set():
            reached.set()
            assert release.wait(60)

    monkeypatch.setattr("ingest.live._failpoint", park)
    live = settings.model_copy(update={"text_first_bytes": 1})
    job = Job("sync", sync_paths, paths=[settings.interviews_dir], settings=live, embeddings=hash_embeddings)
    assert reached.wait(60), "the sync never finished its text pass"
    yield job, release
    release.set()
    job.wait(60)


def test_parked_after_the_text_pass_words_find_and_meaning_says_not_yet(parked, settings, hash_embeddings):
    job, release = parked
    cb = Casebase(settings, embeddings=hash_embeddings)

    found = cb.find(f'"{PHRASE}"')  # phrase search sees the interviews without vectors
    assert found.mode == "phrase" and {s.doc_id for s in found.sources} == {"b.txt", "c.txt"}
    assert cb.find("guldsmedens værksted", mode="words").total == 2
    assert {d["doc_id"] for d in cb.interviews()} == {"a.txt", "b.txt", "c.txt"}  # the browser
    opened = cb.interview("b.txt")
    assert opened and PHRASE in opened["text"] and opened["n_chunks"] >= 1

    answer = cb.ask(f"Hvad skete der i {PHRASE}?")
    assert answer.not_yet_searchable == ["b.txt", "c.txt"]
    assert "2 interviews var endnu ikke søgbare på betydning" in answer.notice
    assert all(s.doc_id == "a.txt" for s in answer.sources + answer.weak)
    assert answer.to_dict()["not_yet_searchable"] == ["b.txt", "c.txt"]
    meaning = cb.find(f"Hvad skete der i {PHRASE}?", mode="meaning")
    assert meaning.not_yet_searchable == ("b.txt", "c.txt")
    assert meaning.sources and all(s.doc_id == "a.txt" for s in meaning.sources)
    assert cb.stats()["searchable"] == 1 and cb.stats()["documents"] == 3
    so_far = cb.store.last_report() or {}  # the file report, before any vector
    assert so_far["in_progress"] and sorted(so_far["added"]) == ["b.txt", "c.txt"]
    assert [Path(f["path"]).name for f in so_far["failed"]] == ["blank.txt"]

    assert job.progress.searchable == 1 and job.progress.interviews == 3
    assert "meaning search covers 1 of 3 interviews" in describe_progress(job.progress)

    release.set()
    report = job.follow()
    assert sorted(report.added) == ["b.txt", "c.txt"] and report.documents == 3
    answer = cb.ask(f"Hvad skete der i {PHRASE}?")
    assert answer.not_yet_searchable == [] and "søgbare" not in answer.notice
    assert {s.doc_id for s in answer.sources} & {"b.txt", "c.txt"}
    assert cb.find(f"Hvad skete der i {PHRASE}?", mode="meaning").not_yet_searchable == ()
    assert _text_rows(settings) == 0  # nothing left behind, in the quotes or the manifest
    assert not any(r.text_hash or "text_hash" in r.metadata for r in Store(settings).documents().values())


def test_a_small_sync_writes_no_text_first(settings, write_interview, hash_embeddings, monkeypatch):
    """The sample and a changed file: embedded as they are read, no text pass, no extra
    collection, the store's version moves once."""
    _late(write_interview)
    seen: list[SyncProgress] = []
    points: list[str] = []
    monkeypatch.setattr("ingest.sync._failpoint", points.append)
    monkeypatch.setattr("ingest.live._failpoint", points.append)
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings, progress=seen.append)
    assert "texts" not in points and not any(p.phase == "reading" or p.interviews for p in seen)
    assert Store(settings).text_rows() is None
    assert Store(settings).version() == 1


def test_app_says_how_far_meaning_search_is(parked, settings, monkeypatch):
    from tests.test_app import all_text, app_env, run_app  # noqa: F401  (app_env: the fixture's code)

    for key, value in {"CASEBASE_STORE": str(settings.store), "CASEBASE_COLLECTION": settings.collection,
                       "CASEBASE_EMBEDDER": "hash", "CASEBASE_LLM": "none",
                       "CASEBASE_INTERVIEWS_DIR": str(settings.interviews_dir)}.items():
        monkeypatch.setenv(key, value)
    for key in ("CHROMA_HOST", "CHROMA_PORT", "CASEBASE_CHROMA_HOST"):
        monkeypatch.delenv(key, raising=False)
    at = run_app()
    assert "meaning search covers 1 of 3 interviews" in all_text(at)
    from ui.syncing import progress_text

    line = progress_text("Reading and indexing interviews…", SyncProgress(phase="indexing", files_done=4, files_total=9,
                                                                         searchable=412, interviews=1000))
    assert "meaning search covers 412 of 1,000 interviews" in line


def _state(settings) -> tuple[dict, int]:
    return chunk_state(settings), _text_rows(settings)


def _cli(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "knowledge", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("point", ["texts:1", "upsert:1", "stale:2", "commit:1"])
def test_killed_text_first_sync_then_rerun_repairs(point, settings, cli_env, write_interview, tmp_path):
    write_interview("a.txt")
    _late(write_interview)
    env = dict(cli_env, CASEBASE_TEXT_FIRST_BYTES="1")
    killed = run_ingest(env, str(settings.interviews_dir), failpoint=point)
    assert killed.returncode == -signal.SIGKILL
    if point == "texts:1":  # another process reads what the killed sync left: words yes, meaning not yet
        words = json.loads(_cli(env, "search", f'"{PHRASE}"', "--json").stdout)
        assert {h["doc_id"] for h in words["hits"]} == {"b.txt", "c.txt"}
        asked = json.loads(_cli(env, "ask", f"Hvad skete der i {PHRASE}?", "--json").stdout)
        assert asked["not_yet_searchable"] == ["a.txt", "b.txt", "c.txt"]
    again = run_ingest(env, str(settings.interviews_dir))
    assert again.returncode == 0, again.stderr
    clean_env = dict(cli_env, CASEBASE_STORE=str(tmp_path / "clean-store"))
    assert run_ingest(clean_env, str(settings.interviews_dir)).returncode == 0
    assert _state(settings) == (chunk_state(settings.model_copy(update={"store": tmp_path / "clean-store"})), 0)
    asked = json.loads(_cli(env, "ask", f"Hvad skete der i {PHRASE}?", "--json").stdout)
    assert asked["not_yet_searchable"] == []


def test_another_process_reads_while_the_ingest_is_stopped_mid_way(settings, cli_env, write_interview):
    """`python -m ingest` stopped (SIGSTOP) after its text pass, holding the lock: the CLI
    in another process searches its words, and the ingest then finishes."""
    write_interview("a.txt")
    _late(write_interview)
    env = dict(cli_env, CASEBASE_TEXT_FIRST_BYTES="1", CASEBASE_FAILPOINT="texts:1:stop")
    proc = subprocess.Popen([sys.executable, "-m", "ingest", str(settings.interviews_dir), "--json"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while Path(f"/proc/{proc.pid}/stat").read_text().split(") ")[1][0] != "T":
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.1)
        read_env = dict(cli_env)
        words = json.loads(_cli(read_env, "search", "guldsmedens værksted", "--mode", "words", "--json").stdout)
        assert {h["doc_id"] for h in words["hits"]} == {"b.txt", "c.txt"}
        meaning = json.loads(_cli(read_env, "search", PHRASE, "--mode", "meaning", "--json").stdout)
        assert meaning["not_yet_searchable"] == ["a.txt", "b.txt", "c.txt"] and meaning["hits"] == []
    finally:
        proc.send_signal(signal.SIGCONT)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert sorted(json.loads(out)["added"]) == ["a.txt", "b.txt", "c.txt"]
    meaning = json.loads(_cli(cli_env, "search", PHRASE, "--mode", "meaning", "--json").stdout)
    assert meaning["not_yet_searchable"] == [] and meaning["hits"]


def test_erasing_an_interview_a_stopped_sync_left_as_text_only(settings, write_interview, hash_embeddings, monkeypatch):
    from knowledge.erase import erase_interview
    from knowledge.store import StoreError

    _late(write_interview)

    def die(name: str) -> None:
        if name == "texts":
            raise RuntimeError("killed")

    monkeypatch.setattr("ingest.live._failpoint", die)
    with pytest.raises(StoreError):
        sync_paths([settings.interviews_dir], settings.model_copy(update={"text_first_bytes": 1}), embeddings=hash_embeddings)
    assert _text_rows(settings) > 0
    n = Store(settings).documents()["b.txt"].n_chunks
    assert n >= 1
    report = erase_interview(settings, "b.txt", embeddings=hash_embeddings)
    # its quotes are counted from the text row (it has no chunk and no vector yet)
    assert report.removed["chunks"] == n and report.removed["vectors"] == 0 and report.removed["documents"] == 1
    assert f"{n} quote chunk" in report.summary() and "vector" not in report.summary()
    assert set(_text_quotes(settings)) == {"c.txt"}
    found = Casebase(settings, embeddings=hash_embeddings).find(f'"{PHRASE}"')
    assert [s.doc_id for s in found.sources] == ["c.txt"]
