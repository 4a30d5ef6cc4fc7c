"""A real browser against a real `streamlit run app.py`: the sample interviews ingested
with the default embedder, a question typed into the chat, cited sources checked,
screenshots and timings saved under tests/artifacts/."""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import ROOT, SAMPLE_DIR, interview_text

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"
QUESTION = "what are the barriers to library partnerships?"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Debian chromium is not installed (apt-get install chromium; `make browser` does it)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(store: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASEBASE_", "CHROMA_"))}
    env.update(CASEBASE_STORE=str(store), CASEBASE_LLM="none", PYTHONPATH=str(ROOT), **extra)
    return env


class Server:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log.open("w")
        self.started = time.perf_counter()
        cmd = [
            sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
            "--server.headless", "true", "--server.port", str(self.port), "--server.address", "127.0.0.1",
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
        ]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}; see {log}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"streamlit did not come up on {self.url}; see {log}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def sample_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The bundled sample, ingested with the real default embedder (as `make run` does)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    store = tmp_path_factory.mktemp("browser") / "store"
    env = _env(store)
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ingest", str(SAMPLE_DIR), "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["documents"] >= 1
    server = Server(env, ARTIFACTS / "streamlit-sample.log")
    server.ingest_seconds = time.perf_counter() - t0  # type: ignore[attr-defined]
    yield server
    server.stop()


def _scroll_top(page) -> None:
    page.evaluate(
        """() => { for (const el of document.querySelectorAll('*')) {
             if (el.scrollHeight > el.clientHeight + 5 && /auto|scroll/.test(getComputedStyle(el).overflowY)) el.scrollTop = 0; } }"""
    )


def _ask(page, question: str) -> float:
    """Type a question, press Enter; seconds until its answer's sources are on screen."""
    answers = page.locator('[data-testid="stExpander"]', has_text="Sources (")
    before = answers.count()
    box = page.locator('[data-testid="stChatInput"] textarea')
    box.fill(question)
    t = time.perf_counter()
    box.press("Enter")
    answers.nth(before).wait_for(timeout=120_000)
    elapsed = time.perf_counter() - t
    _settle(page)
    return elapsed


def _settle(page) -> None:
    """Wait for the script run to finish (the app reruns once after each answer)."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=60_000)
    page.wait_for_timeout(300)


def test_chat_in_a_real_browser(sample_server: Server, browser) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    t0 = time.perf_counter()
    page.goto(sample_server.url, wait_until="domcontentloaded")
    page.locator('[data-testid="stChatInput"] textarea').wait_for(timeout=120_000)
    ready = time.perf_counter() - t0
    first = _ask(page, QUESTION)
    cold_to_answer = time.perf_counter() - sample_server.started

    main = page.locator('[data-testid="stMainBlockContainer"]')
    body = main.inner_text()
    assert "Traceback" not in body and "Error" not in body
    reply = page.locator('[data-testid="stChatMessage"]').last
    sources = reply.locator('[data-testid="stExpander"]', has_text="Sources (")
    m = re.search(r"Sources \((\d+)\)", sources.inner_text())
    assert m and int(m.group(1)) >= 1
    n_sources = int(m.group(1))
    # the answer cites [n] markers (badges), and every cited number has its source card
    all_badges = [b.strip() for b in reply.locator("span.stMarkdownBadge").all_inner_texts()]
    card_badges = [b.strip() for b in sources.locator("span.stMarkdownBadge").all_inner_texts()]
    assert len(all_badges) > len(card_badges), "the answer text carries citations"
    assert sorted(card_badges, key=int) == [str(i) for i in range(1, n_sources + 1)]
    assert set(all_badges) <= set(card_badges)
    # each card: the quote highlighted in its passage, the file, and a way into the interview
    assert sources.locator("span.stMarkdownColoredBackground").count() >= n_sources
    sample_files = {p.name for p in SAMPLE_DIR.iterdir()}
    assert {f for f in sample_files if f in sources.inner_text()}, "the sources name their files"
    assert sources.get_by_role("link", name="Open in interview").count() == n_sources

    page.screenshot(path=str(ARTIFACTS / "chat-answer-sources.png"), full_page=True)
    _scroll_top(page)
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "chat-answer.png"))

    second = _ask(page, "Hvad får bibliotekerne ud af partnerskaber?")
    timings = {
        "ingest_sample_seconds": round(sample_server.ingest_seconds, 2),  # type: ignore[attr-defined]
        "page_ready_seconds": round(ready, 2),
        "first_answer_seconds": round(first, 2),
        "server_start_to_first_answer_seconds": round(cold_to_answer, 2),
        "second_answer_seconds": round(second, 2),
    }
    (ARTIFACTS / "browser-timings.json").write_text(json.dumps(timings, indent=2))
    print("timings", timings)

    # open the first source in its interview
    # older answers fold their sources away: open the newest answer's first source
    newest = page.locator('[data-testid="stExpander"]', has_text="Sources (").last
    newest.get_by_role("link", name="Open in interview").first.click()
    page.get_by_text("Opened at the cited passage").wait_for(timeout=60_000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "interview-at-quote.png"))
    assert not errors, errors
    page.close()


def test_hostile_interview_is_shown_as_text(tmp_path: Path, browser) -> None:
    """HTML and script in an interview file stay text in the browser: no dialog, no injected element."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    folder = tmp_path / "interviews"
    folder.mkdir()
    evil = "Sikkerhed <script>alert('xss')</script> <img src=x onerror=alert(2)> og [klik](javascript:alert(3)) $x$ :red[rødt]"
    (folder / "evil.txt").write_text(
        interview_text(name="Eve Evil", org="Hackby Bibliotek", qa={"Hvad er de største udfordringer med sikkerhed?": [evil]}),
        encoding="utf-8",
    )
    env = _env(tmp_path / "store", CASEBASE_EMBEDDER="hash", CASEBASE_INTERVIEWS_DIR=str(folder))
    done = subprocess.run([sys.executable, "-m", "ingest", str(folder), "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    server = Server(env, ARTIFACTS / "streamlit-hostile.log")
    try:
        page = browser.new_page(viewport={"width": 1300, "height": 1400})
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(server.url, wait_until="domcontentloaded")
        page.locator('[data-testid="stChatInput"] textarea').wait_for(timeout=120_000)
        _ask(page, "Hvad er de største udfordringer med sikkerhed?")
        page.wait_for_timeout(1000)
        body = page.locator('[data-testid="stMainBlockContainer"]').inner_text()
        assert "<script>alert('xss')</script>" in body  # shown literally
        assert "[klik](javascript:alert(3))" in body and "$x$" in body
        assert page.locator('[data-testid="stMainBlockContainer"] script, [data-testid="stMainBlockContainer"] img[src="x"]').count() == 0
        assert page.locator('a[href^="javascript"]').count() == 0
        page.screenshot(path=str(ARTIFACTS / "hostile-interview.png"), full_page=True)
        assert not dialogs, dialogs
        page.close()
    finally:
        server.stop()


@pytest.mark.skipif(not os.environ.get("CASEBASE_UI_BENCH_STORE"), reason="set CASEBASE_UI_BENCH_STORE to time the UI on a big store")
def test_ui_timings_on_a_large_store(browser) -> None:
    """Opt-in measurement: the same flow on an existing (e.g. 1,000-interview) store.

        python -m bench.generate --n 1000 --out /tmp/c1000
        CASEBASE_STORE=/tmp/s1000 CASEBASE_EMBEDDER=hash python -m ingest /tmp/c1000
        CASEBASE_UI_BENCH_STORE=/tmp/s1000 CASEBASE_UI_BENCH_EMBEDDER=hash pytest -s tests/test_browser.py -k large
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    store = Path(os.environ["CASEBASE_UI_BENCH_STORE"])
    extra = {"CASEBASE_EMBEDDER": os.environ["CASEBASE_UI_BENCH_EMBEDDER"]} if os.environ.get("CASEBASE_UI_BENCH_EMBEDDER") else {}
    server = Server(_env(store, **extra), ARTIFACTS / "streamlit-large.log")
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        t0 = time.perf_counter()
        page.goto(server.url, wait_until="domcontentloaded")
        page.locator('[data-testid="stChatInput"] textarea').wait_for(timeout=600_000)
        _settle(page)
        ready = time.perf_counter() - t0
        answers = [_ask(page, q) for q in (QUESTION, "Hvad er de største udfordringer ved partnerskaber?", "Hvordan fordelte I ressourcerne?")]
        first_answer_from_start = time.perf_counter() - server.started
        page.screenshot(path=str(ARTIFACTS / "large-store-answer.png"))
        t = time.perf_counter()
        page.goto(server.url + "/interviews", wait_until="domcontentloaded")
        page.get_by_text("Questions & answers").first.wait_for(timeout=120_000)
        _settle(page)
        interviews_page = time.perf_counter() - t
        t = time.perf_counter()
        page.goto(server.url + "/quotes", wait_until="domcontentloaded")
        page.locator('input[aria-label="Search quotes"]').wait_for(timeout=120_000)
        page.locator('input[aria-label="Search quotes"]').fill("forventninger")
        page.keyboard.press("Enter")
        page.locator('[data-testid="stDataFrame"]').wait_for(timeout=120_000)
        _settle(page)
        quotes_page = time.perf_counter() - t
        stats = page.locator('[data-testid="stSidebar"] [data-testid="stMetricValue"]').all_inner_texts()
        timings = {
            "store": str(store),
            "sidebar_metrics": stats,
            "page_ready_seconds": round(ready, 2),
            "server_start_to_last_of_3_answers_seconds": round(first_answer_from_start, 2),
            "answer_seconds": [round(a, 2) for a in answers],
            "interviews_page_seconds": round(interviews_page, 2),
            "quote_search_page_seconds": round(quotes_page, 2),
        }
        (ARTIFACTS / "browser-timings-large.json").write_text(json.dumps(timings, indent=2))
        print("timings", timings)
        page.close()
    finally:
        server.stop()
