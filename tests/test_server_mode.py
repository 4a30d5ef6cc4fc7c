"""The same code against a real Chroma server (`chroma run`) on 127.0.0.1."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.browser import free_port
from ingest.sync import sync_paths
from knowledge.store import Store, StoreError
from tests.conftest import ROOT

CHROMA = Path(sys.executable).parent / "chroma"


class ChromaServer:
    def __init__(self, path: Path, port: int) -> None:
        self.path, self.port, self.proc = path, port, None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("chroma server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)


@pytest.fixture
def server(tmp_path):
    if not CHROMA.exists() and not shutil.which("chroma"):
        pytest.fail("the chroma CLI (installed with chromadb) is missing")
    srv = ChromaServer(tmp_path / "server-data", free_port())
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def server_settings(settings, server):
    return settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": server.port})


def test_ingest_and_resync_against_server(server_settings, write_interview, hash_embeddings):
    write_interview("a.txt")
    write_interview("b.txt", name="Bo Berg")
    report = sync_paths([server_settings.interviews_dir], server_settings, embeddings=hash_embeddings)
    assert sorted(report.added) == ["a.txt", "b.txt"] and report.chunks > 0
    again = sync_paths([server_settings.interviews_dir], server_settings, embeddings=hash_embeddings)
    assert sorted(again.unchanged) == ["a.txt", "b.txt"] and again.chunks == report.chunks
    # nothing was written to the local store folder
    assert not (server_settings.store / "chroma.sqlite3").exists()


def test_cli_uses_server_from_environment(server, cli_env, settings, write_interview):
    write_interview("a.txt")
    env = dict(cli_env, CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(server.port))
    res = subprocess.run(
        [sys.executable, "-m", "ingest", str(settings.interviews_dir), "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["added"] == ["a.txt"]
    assert not (settings.store / "chroma.sqlite3").exists()


def test_server_down_is_a_clear_error_and_recovery_works(server, server_settings, write_interview, hash_embeddings):
    write_interview("a.txt")
    sync_paths([server_settings.interviews_dir], server_settings, embeddings=hash_embeddings)
    server.stop()
    with pytest.raises(StoreError, match="Chroma server at 127.0.0.1"):
        Store(server_settings, hash_embeddings)
    server.start()
    assert "a.txt" in Store(server_settings, hash_embeddings).documents()


def test_search_and_ask_against_server(server_settings, write_interview, hash_embeddings):
    from knowledge.service import Casebase

    write_interview("a.txt")
    write_interview(
        "b.txt", name="Bo Berg", org="Søby Kulturhus",
        qa={"Hvad var svært?": ["Økonomien i kulturhuset var presset hele året."]},
    )
    sync_paths([server_settings.interviews_dir], server_settings, embeddings=hash_embeddings)
    cb = Casebase(server_settings, hash_embeddings)
    hits = cb.search("økonomien i kulturhuset", k=3)
    assert hits and hits[0].doc_id == "b.txt" and hits[0].organisation == "Søby Kulturhus"
    answer = cb.ask("Hvad siger de om økonomien i kulturhuset?")
    assert not answer.refused and any(s.doc_id == "b.txt" for s in answer.sources)


def test_knowledge_cli_reports_a_stopped_server(server, cli_env):
    server.stop()
    env = dict(cli_env, CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(server.port))
    res = subprocess.run(
        [sys.executable, "-m", "knowledge", "search", "noget", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )
    assert res.returncode != 0
    assert "Chroma server at 127.0.0.1" in res.stdout + res.stderr
    assert "Traceback" not in res.stderr


def test_app_survives_the_server_stopping_mid_session(server, server_settings, write_interview, hash_embeddings, monkeypatch):
    """Ask, stop the server, ask again (a clear message, no traceback), restart, Retry, ask."""
    from tests.test_app import all_text, run_app

    write_interview("a.txt")
    sync_paths([server_settings.interviews_dir], server_settings, embeddings=hash_embeddings)
    for key, value in {
        "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(server.port), "CASEBASE_COLLECTION": server_settings.collection,
        "CASEBASE_EMBEDDER": "hash", "CASEBASE_LLM": "none", "CASEBASE_STORE": str(server_settings.store),
        "CASEBASE_INTERVIEWS_DIR": str(server_settings.interviews_dir),
    }.items():
        monkeypatch.setenv(key, value)

    at = run_app()
    at.chat_input[0].set_value("Hvad er de største udfordringer?").run()
    assert not at.exception and at.session_state["messages"][1]["answer"].sources

    server.stop()
    at.run()  # any rerun (a click, a new question) now finds the server gone
    assert not at.exception
    text = all_text(at)
    assert "cannot be reached" in text and "127.0.0.1" in text

    server.start()
    retry = [b for b in at.button if b.key and b.key.endswith("retry")][0]
    retry.click().run()
    assert not at.exception
    at.chat_input[0].set_value("Hvad har I fået ud af partnerskaber?").run()
    assert not at.exception
    assert at.session_state["messages"][-1]["answer"].sources


def test_text_first_ingest_against_server(server_settings, write_interview, hash_embeddings, monkeypatch):
    """A large first ingest against a Chroma server: its text is searchable by words before
    any vector, meaning search and the matrix say which interviews are not yet searchable,
    and the finished ingest leaves no __text row."""
    from knowledge.service import Casebase
    from knowledge.types import Theme
    from tests.test_live_ingest import PHRASE, _late

    write_interview("a.txt")
    sync_paths([server_settings.interviews_dir], server_settings, embeddings=hash_embeddings)
    _late(write_interview)
    seen: dict = {}

    def read_now(name: str) -> None:  # what another client of the server sees after the text pass
        if name == "texts" and not seen:
            cb = Casebase(server_settings, embeddings=hash_embeddings)
            seen["words"] = {s.doc_id for s in cb.find(f'"{PHRASE}"').sources}
            seen["waiting"] = cb.ask(f"Hvad skete der i {PHRASE}?").not_yet_searchable
            seen["matrix"] = cb.matrix([Theme("V", [f"Hvad skete der i {PHRASE}?"])]).not_yet_searchable()

    monkeypatch.setattr("ingest.live._failpoint", read_now)
    live = server_settings.model_copy(update={"text_first_bytes": 1})
    report = sync_paths([server_settings.interviews_dir], live, embeddings=hash_embeddings)
    assert sorted(report.added) == ["b.txt", "c.txt"]
    assert seen == {"words": {"b.txt", "c.txt"}, "waiting": ["b.txt", "c.txt"], "matrix": ["b.txt", "c.txt"]}
    from tests.test_live_ingest import _text_rows

    assert _text_rows(server_settings) == 0
    cb = Casebase(server_settings, embeddings=hash_embeddings)
    assert cb.ask(f"Hvad skete der i {PHRASE}?").not_yet_searchable == []
    assert not (server_settings.store / "chroma.sqlite3").exists()
