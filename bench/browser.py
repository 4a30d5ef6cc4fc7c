"""Driving the real app in a real browser, shared by tests/test_browser.py (checks)
and bench/ui.py (timings): a headless ``streamlit run app.py`` on a free local
port, Debian's chromium through Playwright (it never downloads a browser), and
the chat steps (ask a question, wait for the script run to settle)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
CHAT_INPUT = '[data-testid="stChatInput"] textarea'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(store: Path, **extra: str) -> dict[str, str]:
    """This environment without CASEBASE_*/CHROMA_* settings, pointed at ``store``, no LLM."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASEBASE_", "CHROMA_"))}
    env.update(CASEBASE_STORE=str(store), CASEBASE_LLM="none", PYTHONPATH=str(ROOT), **extra)
    return env


class Server:
    """``streamlit run app.py`` headless on ``address`` (None: whatever .streamlit/config.toml
    says, as a plain ``streamlit run app.py`` does); returns once /_stcore/health answers.
    The browser always goes to 127.0.0.1. ``started`` is the perf_counter() at launch,
    for cold-start timings."""

    def __init__(self, env: dict[str, str], log: Path, timeout: float = 90, address: str | None = "127.0.0.1") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = log.open("w")
        self.started = time.perf_counter()
        cmd = [
            sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
            "--server.headless", "true", "--server.port", str(self.port),
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
        ]
        if address is not None:
            cmd += ["--server.address", address]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                self.log.close()
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}; see {log}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        self.healthy = time.perf_counter()
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"streamlit did not come up on {self.url}; see {log}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian chromium (playwright ``Browser``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield b
        finally:
            b.close()


def settle(page: Any) -> None:
    """Wait for the script run to finish."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=60_000)
    page.wait_for_timeout(300)


def ask(page: Any, question: str, timeout_ms: int = 120_000) -> float:
    """Type a question, press Enter; seconds until its answer's sources are on screen
    (then waits for the run to settle, not counted)."""
    answers = page.locator('[data-testid="stExpander"]', has_text="Sources (")
    before = answers.count()
    box = page.locator(CHAT_INPUT)
    box.fill(question)
    t = time.perf_counter()
    box.press("Enter")
    answers.nth(before).wait_for(timeout=timeout_ms)
    elapsed = time.perf_counter() - t
    settle(page)
    return elapsed


def scroll_top(page: Any) -> None:
    page.evaluate(
        """() => { for (const el of document.querySelectorAll('*')) {
             if (el.scrollHeight > el.clientHeight + 5 && /auto|scroll/.test(getComputedStyle(el).overflowY)) el.scrollTop = 0; } }"""
    )
