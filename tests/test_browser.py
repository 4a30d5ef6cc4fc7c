"""A real browser against a real `streamlit run app.py`: the sample interviews ingested
with the default embedder, a question typed into the chat, cited sources checked,
screenshots saved under tests/artifacts/. (Timings of the same flow: `python -m bench.ui`.)"""
from __future__ import annotations

import ipaddress
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from bench.browser import CHAT_INPUT, CHROMIUM, Server, app_env, ask, chromium, scroll_top, settle
from tests.conftest import ROOT, SAMPLE_DIR, interview_text

ARTIFACTS = ROOT / "tests" / "artifacts"
QUESTION = "what are the barriers to library partnerships?"

MISSING = "Debian chromium is not installed (apt-get install chromium; `make browser` does it)"
# CI and `make test` install Chromium first (make browser), so there a missing browser is a
# failure; a bare `pytest` on a machine without it skips this module, and says so.
REQUIRED = os.environ.get("CI", "").lower() == "true" or os.environ.get("CASEBASE_REQUIRE_BROWSER") == "1"
if not Path(CHROMIUM).exists():
    if REQUIRED:
        pytest.fail(MISSING, pytrace=False)
    pytestmark = pytest.mark.skip(reason=MISSING)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def sample_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The bundled sample, ingested with the real default embedder (as `make run` does)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    store = tmp_path_factory.mktemp("browser") / "store"
    env = app_env(store)
    done = subprocess.run(
        [sys.executable, "-m", "ingest", str(SAMPLE_DIR), "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["documents"] >= 1
    server = Server(env, ARTIFACTS / "streamlit-sample.log")
    yield server
    server.stop()


def test_chat_in_a_real_browser(sample_server: Server, browser) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(sample_server.url, wait_until="domcontentloaded")
    page.locator(CHAT_INPUT).wait_for(timeout=120_000)
    ask(page, QUESTION)

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
    # each card also says how strongly its quote matches, as a badge of its own
    strength = [b for b in card_badges if "match" in b]
    assert len(strength) == n_sources and all(re.fullmatch(r"(strong|good|weak) match · \d+%", b) for b in strength)
    all_badges = [b for b in all_badges if b.isdigit()]
    card_badges = [b for b in card_badges if b.isdigit()]
    assert len(all_badges) > len(card_badges), "the answer text carries citations"
    assert sorted(card_badges, key=int) == [str(i) for i in range(1, n_sources + 1)]
    assert set(all_badges) <= set(card_badges)
    # each card: the quote highlighted in its passage, the file, and a way into the interview
    assert sources.locator("span.stMarkdownColoredBackground").count() >= n_sources
    sample_files = {p.name for p in SAMPLE_DIR.iterdir()}
    assert {f for f in sample_files if f in sources.inner_text()}, "the sources name their files"
    assert sources.get_by_role("link", name="Open in interview").count() == n_sources

    page.screenshot(path=str(ARTIFACTS / "chat-answer-sources.png"), full_page=True)
    scroll_top(page)
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "chat-answer.png"))

    # a Danish follow-up gets its own answer with sources
    ask(page, "Hvad får bibliotekerne ud af partnerskaber?")
    assert page.locator('[data-testid="stExpander"]', has_text="Sources (").count() >= 2

    # open the first source in its interview
    # older answers fold their sources away: open the newest answer's first source
    newest = page.locator('[data-testid="stExpander"]', has_text="Sources (").last
    newest.get_by_role("link", name="Open in interview").first.click()
    page.get_by_text("Opened at the cited passage").wait_for(timeout=60_000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "interview-at-quote.png"))
    assert not errors, errors
    page.close()


def _overlap(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def test_quote_finder_in_a_real_browser(sample_server: Server, browser) -> None:
    """Quotes wrap in the table, the table's hover toolbar covers no button, a selected row opens its card."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(sample_server.url + "/quotes", wait_until="domcontentloaded")
    box = page.locator('input[aria-label="Search quotes"]')
    box.wait_for(timeout=120_000)
    settle(page)
    box.fill("forventninger")
    box.press("Enter")
    table = page.locator('[data-testid="stDataFrame"]')
    table.wait_for(timeout=120_000)
    settle(page)
    table.hover(position={"x": 300, "y": 60})
    toolbar = page.locator('[data-testid="stElementToolbar"]').first
    toolbar.wait_for(state="visible", timeout=10_000)
    export = page.get_by_role("button", name="Export CSV")
    assert not _overlap(toolbar.bounding_box(), export.bounding_box()), "the table's toolbar covers Export CSV"
    assert table.bounding_box()["height"] > 300  # tall rows: quotes wrap instead of being cut at one line
    page.screenshot(path=str(ARTIFACTS / "quote-finder.png"))

    # select the first row (its checkbox, left of the Quote column, below the header)
    table.click(position={"x": 15, "y": 38 + 48})
    page.get_by_text("Selected quote").wait_for(timeout=60_000)
    citation = page.get_by_text("Citation (use the copy button")
    citation.wait_for(timeout=60_000)
    settle(page)
    page.locator('[data-testid="stCode"]').first.wait_for(timeout=10_000)  # the citation to copy
    citation.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "quote-finder-selected.png"))
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
    env = app_env(tmp_path / "store", CASEBASE_EMBEDDER="hash", CASEBASE_INTERVIEWS_DIR=str(folder))
    done = subprocess.run([sys.executable, "-m", "ingest", str(folder), "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    server = Server(env, ARTIFACTS / "streamlit-hostile.log")
    try:
        page = browser.new_page(viewport={"width": 1300, "height": 1400})
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(server.url, wait_until="domcontentloaded")
        page.locator(CHAT_INPUT).wait_for(timeout=120_000)
        ask(page, "Hvad er de største udfordringer med sikkerhed?")
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


# -- privacy: where the server listens, and sign-in ------------------------------------------
def listening(port: int) -> set[str]:
    """The local addresses a socket listens on at ``port``, from the kernel's own tables."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(addr)
                # the kernel prints each 32-bit word in host (little-endian) order
                raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                found.add(str(ipaddress.ip_address(raw)) if width == 8 else str(ipaddress.IPv6Address(raw)))
    return found


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Two interviews ingested with the hash embedder (fast): the environment for the app."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = tmp_path_factory.mktemp("privacy")
    folder = base / "interviews"
    folder.mkdir()
    (folder / "anna.txt").write_text(interview_text(name="Anna Holm", org="Vejby Bibliotek"), encoding="utf-8")
    env = app_env(base / "store", CASEBASE_EMBEDDER="hash", CASEBASE_INTERVIEWS_DIR=str(folder))
    done = subprocess.run([sys.executable, "-m", "ingest", str(folder), "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return env


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads the kernel's socket tables (Linux)")
def test_plain_streamlit_run_listens_on_this_machine_only(small_store: dict[str, str], browser) -> None:
    """No --server.address: .streamlit/config.toml keeps the server on 127.0.0.1, and the
    log offers no network URL."""
    server = Server(small_store, ARTIFACTS / "streamlit-local.log", address=None)
    try:
        assert listening(server.port) == {"127.0.0.1"}
        page = browser.new_page()
        page.goto(server.url, wait_until="domcontentloaded")
        page.locator(CHAT_INPUT).wait_for(timeout=120_000)  # open without sign-in on localhost
        page.close()
    finally:
        server.stop()
    log = server.log_path.read_text()
    assert "Network URL" not in log and "External URL" not in log
    assert f"http://127.0.0.1:{server.port}" in log


def test_network_without_sign_in_is_refused_in_a_real_browser(small_store: dict[str, str], browser) -> None:
    server = Server(small_store, ARTIFACTS / "streamlit-refused.log", address="0.0.0.0")
    try:
        page = browser.new_page()
        page.goto(server.url, wait_until="domcontentloaded")
        page.get_by_text("no sign-in is configured").wait_for(timeout=120_000)
        settle(page)
        html = page.content()
        assert "Anna Holm" not in html and "Vejby" not in html
        assert page.locator(CHAT_INPUT).count() == 0 and page.locator('[data-testid="stSidebarNav"]').count() == 0
        assert "CASEBASE_PASSWORD_HASH" in page.locator('[data-testid="stMainBlockContainer"]').inner_text()
        page.screenshot(path=str(ARTIFACTS / "refused-on-network.png"))
        page.close()
    finally:
        server.stop()


def test_password_sign_in_in_a_real_browser(small_store: dict[str, str], browser) -> None:
    hashed = subprocess.run([sys.executable, "-m", "knowledge", "hash-password"], input="team secret\n", cwd=ROOT,
                            env=small_store, capture_output=True, text=True, timeout=60)
    assert hashed.returncode == 0, hashed.stderr
    env = {**small_store, "CASEBASE_PASSWORD_HASH": hashed.stdout.strip()}
    server = Server(env, ARTIFACTS / "streamlit-password.log", address="0.0.0.0")
    try:
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.goto(server.url, wait_until="domcontentloaded")
        box = page.locator('input[type="password"]')
        box.wait_for(timeout=120_000)
        box.fill("not it")
        box.press("Enter")
        page.get_by_text("Wrong password").wait_for(timeout=60_000)
        assert page.locator(CHAT_INPUT).count() == 0 and "Anna Holm" not in page.content()
        page.screenshot(path=str(ARTIFACTS / "sign-in-wrong.png"))

        box.fill("team secret")
        page.get_by_role("button", name="Sign in").click()
        page.locator(CHAT_INPUT).wait_for(timeout=120_000)
        ask(page, "Hvad er de største udfordringer?")
        assert "Anna Holm" in page.locator('[data-testid="stMainBlockContainer"]').inner_text()
        page.screenshot(path=str(ARTIFACTS / "signed-in-chat.png"))

        # a new tab is a new session: it must sign in again
        again = browser.new_page()
        again.goto(server.url, wait_until="domcontentloaded")
        again.locator('input[type="password"]').wait_for(timeout=120_000)
        assert again.locator(CHAT_INPUT).count() == 0
        again.close()
        page.close()
    finally:
        server.stop()
