"""The Streamlit pages through streamlit.testing.v1.AppTest, on a real store in tmp_path
(filled by ingest.sync with the hash embedder, so a run takes seconds)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bench.browser import free_port
from ingest.sync import sync_paths
from knowledge.settings import Settings
from tests.conftest import ROOT, interview_text

APP = str(ROOT / "app.py")
TIMEOUT = 90

ANNA = {
    "name": "Anna Holm",
    "org": "Vejby Bibliotek",
    "case": "Læsecaféen",
    "qa": {
        "Hvad er de største udfordringer ved partnerskaber?": [
            "Det tager lang tid at afstemme forventninger med partneren.",
            "Økonomien er altid en barriere, når budgetterne er skåret.",
        ],
        "Hvad har I fået ud af partnerskabet?": ["Vi har fået et større netværk i kommunen."],
    },
}
BO = {
    "name": "Bo Berg",
    "role": "leder",
    "org": "Nordby Kulturhus",
    "case": "Musik i biblioteket",
    "qa": {
        "Hvad er de største udfordringer ved partnerskaber?": [
            "Forskellige arbejdsrutiner gør samarbejdet tungt i starten.",
        ],
        "Hvordan startede samarbejdet?": ["Vi mødtes til et frivilligmøde på rådhuset."],
    },
}
HOSTILE = {
    "name": "Eve Evil",
    "org": "Hackby Bibliotek",
    "case": "Sikkerhed",
    "qa": {
        "Hvad er de største udfordringer med sikkerhed?": [
            "Sikkerhed <script>alert('xss')</script> og [klik her](javascript:alert(1)) koster $5 :red[rødt]",
        ],
    },
}


@pytest.fixture
def app_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Point the app (which reads its settings from the environment) at the test store."""
    for key in ("CHROMA_HOST", "CHROMA_PORT", "CASEBASE_CHROMA_HOST", "CASEBASE_LLM_BASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("CASEBASE_STORE", str(settings.store))
    monkeypatch.setenv("CASEBASE_COLLECTION", settings.collection)
    monkeypatch.setenv("CASEBASE_EMBEDDER", "hash")
    monkeypatch.setenv("CASEBASE_LLM", "none")
    monkeypatch.setenv("CASEBASE_INTERVIEWS_DIR", str(settings.interviews_dir))
    settings.interviews_dir.mkdir(parents=True, exist_ok=True)
    return settings


@pytest.fixture
def filled(app_env: Settings, write_interview, hash_embeddings) -> Settings:
    write_interview("anna.txt", **ANNA)
    write_interview("bo.txt", **BO)
    write_interview("eve.txt", **HOSTILE)
    report = sync_paths([app_env.interviews_dir], app_env, embeddings=hash_embeddings)
    assert not report.failed, report.failed
    return app_env


def run_app(page: str | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def all_text(at: AppTest) -> str:
    """Everything shown as text, with Markdown escapes undone (what the user reads)."""
    return re.sub(r"\\(.)", r"\1", raw_text(at))


def raw_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for kind in ("info", "warning", "error", "success") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def expander_labels(at: AppTest) -> list[str]:
    return [e.label for e in at.expander]


# -- chat -------------------------------------------------------------------------------
def test_chat_answers_with_citations_and_sources(filled: Settings) -> None:
    at = run_app()
    assert any("Ask the interviews" in t.value for t in at.title)
    ask(at, "Hvad er de største udfordringer ved partnerskaber?")
    text = all_text(at)
    assert ":primary-badge[1]" in text  # the [n] citation markers, rendered as badges
    assert any(label.startswith("Sources (") for label in expander_labels(at))
    assert "Anna Holm" in text and "Vejby Bibliotek" in text
    assert "anna.txt" in text  # the file
    assert "Læsecaféen" in text  # the case
    assert "udfordringer" in text  # the question it answered
    assert ":orange-background[" in text  # the quote highlighted in its passage
    links = [p for p in at.get("page_link") if "Open in interview" in p.value]
    assert links, "each source offers the full interview"
    first = at.session_state["messages"][1]["answer"].sources[0]
    assert links[0].proto.query_string == f"doc={first.doc_id}&at={first.start}-{first.end}"
    assert len(at.chat_message) == 2
    assert at.session_state["messages"][1]["answer"].sources


def test_example_question_and_new_chat(filled: Settings) -> None:
    at = run_app()
    at.button(key="example-0").click().run()
    assert len(at.chat_message) == 2
    at.sidebar.button[0].click().run()  # "New chat"
    assert len(at.chat_message) == 0
    assert at.session_state["messages"] == []


def test_follow_up_keeps_history(filled: Settings) -> None:
    at = run_app()
    ask(at, "Hvad er de største udfordringer ved partnerskaber?")
    ask(at, "Hvordan startede samarbejdet?")
    assert len(at.chat_message) == 4
    # older answers fold their sources away, the newest stays open
    sources = [e for e in at.expander if e.label.startswith("Sources (")]
    assert len(sources) == 2 and sources[-1].proto.expanded and not sources[0].proto.expanded


def test_filters_restrict_sources(filled: Settings) -> None:
    at = run_app()
    at.sidebar.multiselect(key="chat-organisation").set_value(["Nordby Kulturhus"]).run()
    ask(at, "Hvad er de største udfordringer ved partnerskaber?")
    answer = at.session_state["messages"][1]["answer"]
    assert answer.sources and {s.organisation for s in answer.sources} == {"Nordby Kulturhus"}
    assert "Only organisation: Nordby Kulturhus" in all_text(at)  # the answer says it was filtered


def test_no_relevant_evidence(filled: Settings) -> None:
    at = run_app()
    ask(at, "Qwzx vbnmpl plokijuh?")  # no word in common with any interview
    answer = at.session_state["messages"][1]["answer"]
    assert answer.refused
    assert at.info, "a plain 'nothing found' message, not cited noise"
    assert not any(label.startswith("Sources (") for label in expander_labels(at))


def test_interview_content_is_escaped(filled: Settings) -> None:
    at = run_app()
    ask(at, "Hvad er de største udfordringer med sikkerhed?")
    text = raw_text(at)
    assert "Eve Evil" in text
    assert "<script>" not in text and "](javascript" not in text
    assert "\\<script\\>" in text and "\\$5" in text and "\\:red\\[" in text


def test_no_page_allows_raw_html() -> None:
    # any way of handing Streamlit raw HTML: the flag (however spelt), st.html, components
    raw_html = re.compile(r"unsafe_allow_html\s*=|\bst\.html\(|streamlit\.components|components\.v1")
    for path in [ROOT / "app.py", *(ROOT / "views").glob("*.py"), *(ROOT / "ui").glob("*.py")]:
        assert not raw_html.search(path.read_text(encoding="utf-8")), path


def test_llm_unreachable_falls_back_with_notice(filled: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEBASE_LLM", "openai:test-model")
    monkeypatch.setenv("CASEBASE_LLM_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    monkeypatch.setenv("CASEBASE_LLM_API_KEY", "sk-test")
    monkeypatch.setenv("CASEBASE_LLM_TIMEOUT", "2")
    at = run_app()
    radio = at.sidebar.radio(key="chat-mode")
    assert any("test-model" in str(o) for o in radio.options)  # the model's name is shown
    radio.set_value("llm").run()
    ask(at, "Hvad er de største udfordringer ved partnerskaber?")
    answer = at.session_state["messages"][1]["answer"]
    assert answer.notice and answer.sources
    assert at.warning and answer.notice.split()[0] in at.warning[0].value


# -- empty store and errors -------------------------------------------------------------
def test_empty_store_offers_the_sample_in_one_click(app_env: Settings, write_interview) -> None:
    write_interview("anna.txt", **ANNA)
    write_interview("bo.txt", **BO)
    at = run_app()
    assert any("Welcome" in t.value for t in at.title)
    assert not at.chat_input, "no chat box on an empty store"
    at.button(key="ingest-sample").click().run()
    assert not at.exception
    assert any("Ask the interviews" in t.value for t in at.title)
    assert at.sidebar.metric[0].value == "2"
    ask(at, "Hvordan startede samarbejdet?")
    assert at.session_state["messages"][1]["answer"].sources


def test_store_unreachable_explains_what_to_check(app_env: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", str(free_port()))
    for page in (None, "views/quotes.py", "views/interviews.py", "views/ingest.py"):
        at = run_app(page)
        text = all_text(at)
        assert "cannot be reached" in text, page
        assert "CHROMA_HOST" in text and "What to check" in text
        assert at.button(key=[b.key for b in at.button if b.key and b.key.endswith("retry")][0])


def test_unwritable_store_path_is_explained(app_env: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("CASEBASE_STORE", str(blocker / "store"))
    at = run_app()
    assert "cannot be reached" in all_text(at) and "writable" in all_text(at)


def test_bad_setting_is_explained(app_env: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEBASE_LLM_TIMEOUT", "soon")
    at = run_app()
    assert "configuration is invalid" in all_text(at)


# -- quote finder -----------------------------------------------------------------------
def test_quote_finder_table_filters_and_export(filled: Settings) -> None:
    at = run_app("views/quotes.py")
    at.text_input[0].set_value("udfordringer partnerskaber")
    at.selectbox(key="quotes-mode").set_value("meaning")  # two words would be a words search
    next(b for b in at.button if b.label == "Search").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.columns) == ["Relevance", "Quote", "Person", "Organisation", "Case", "Question", "File"]
    assert all(r.endswith("%") for r in table["Relevance"])
    assert len(table) >= 2 and {"Vejby Bibliotek", "Nordby Kulturhus"} <= set(table["Organisation"])
    assert any(b.label == "Export CSV" for b in at.get("download_button"))

    at.sidebar.multiselect(key="quotes-organisation").set_value(["Vejby Bibliotek"]).run()
    table = at.dataframe[0].value
    assert len(table) >= 1 and set(table["Organisation"]) == {"Vejby Bibliotek"}


def test_quote_finder_no_match(filled: Settings) -> None:
    at = run_app("views/quotes.py")
    at.sidebar.multiselect(key="quotes-interviewee").set_value(["Bo Berg"]).run()
    at.text_input[0].set_value("zzzxq qqqzx")
    next(b for b in at.button if b.label == "Search").click().run()
    assert not at.exception
    # two words are a words search: no quote contains them, and it says so
    assert not at.dataframe and at.info and "No quotes match" in at.info[0].value


def test_a_meaning_search_always_finds_and_marks_weak_quotes(filled: Settings) -> None:
    at = run_app("views/quotes.py")
    at.sidebar.multiselect(key="quotes-interviewee").set_value(["Bo Berg"]).run()
    quote_search(at, "zzzxq qqqzx wwwqz vvvxq", "meaning")
    # finding is not deciding: the best quotes of the filtered interviews, every one marked weak
    table = at.dataframe[0].value
    assert len(table) >= 1 and set(table["File"]) == {"bo.txt"}
    assert all(r.startswith("weak") for r in table["Relevance"])
    assert any("weak matches" in c.value for c in at.caption)


def quote_search(at: AppTest, query: str, mode: str | None = None) -> AppTest:
    at.text_input[0].set_value(query)
    if mode:
        at.selectbox(key="quotes-mode").set_value(mode)
    next(b for b in at.button if b.label == "Search").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_quote_finder_mode_selector(filled: Settings) -> None:
    at = run_app("views/quotes.py")
    mode = at.selectbox(key="quotes-mode")
    assert mode.label == "Match" and mode.options == ["Auto", "Words", "Phrase", "Meaning"] and mode.value == "auto"


def test_quote_finder_words_mode_counts_and_marks_the_words(filled: Settings) -> None:
    # every case description says "frivillige"; Bo's "frivilligmøde" is another word
    at = quote_search(run_app("views/quotes.py"), "frivillig")
    assert "3 quotes contain \u201cfrivillig\u201d in any form" in all_text(at)
    table = at.dataframe[0].value
    assert list(table.columns) == ["Match", "Quote", "Person", "Organisation", "Case", "Question", "File"]
    assert len(table) == 3 and all("\u27e6frivillige\u27e7" in cell for cell in table["Match"])
    assert all("frivillige" in q and "\u27e6" not in q for q in table["Quote"])  # the quote itself stays verbatim
    assert not any("frivilligmøde" in q for q in table["Quote"])

    at.sidebar.multiselect(key="quotes-organisation").set_value(["Vejby Bibliotek"]).run()
    assert "1 quote contains \u201cfrivillig\u201d in any form" in all_text(at)
    assert set(at.dataframe[0].value["Organisation"]) == {"Vejby Bibliotek"}

    # a selected row's card sets the matched word in bold inside the quote's highlight
    at.session_state["quotes-table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    card = raw_text(at)
    assert re.search(r":orange-background\[[^\]]*\*\*frivillige\*\*", card), card


def test_quote_finder_phrase_mode(filled: Settings) -> None:
    at = quote_search(run_app("views/quotes.py"), '"frivillige og biblioteket"')
    assert "3 quotes contain \u201cfrivillige og biblioteket\u201d" in all_text(at)
    assert all("\u27e6frivillige og biblioteket\u27e7" in cell for cell in at.dataframe[0].value["Match"])
    # the same words in another order are not the phrase
    at = quote_search(at, '"biblioteket og frivillige"')
    assert not at.dataframe
    assert at.info and "No quotes match" in at.info[0].value and "exact phrase" in at.info[0].value


# -- interviews -------------------------------------------------------------------------
def test_interviews_browse_and_open_at_quote(filled: Settings, write_interview, hash_embeddings) -> None:
    (filled.interviews_dir / "broken.txt").write_bytes(b"\x00\xff" * 300)
    sync_paths([filled.interviews_dir], filled, embeddings=hash_embeddings)
    at = run_app("views/interviews.py")
    assert "could not be read" in " ".join(expander_labels(at))
    assert "broken.txt" in all_text(at)
    # options show "name — organisation  ·  file"; the file that failed is not among them
    assert [o.rsplit("  ·  ", 1)[-1] for o in at.selectbox(key="iv-select").options] == ["anna.txt", "bo.txt", "eve.txt"]
    at.selectbox(key="iv-select").set_value("bo.txt").run()
    text = all_text(at)
    assert "Bo Berg" in text and "Hvordan startede samarbejdet" in text
    assert [t.label for t in at.tabs] == ["Questions & answers", "Case", "Raw text", "Metadata"]
    assert any("frivilligmøde" in c.value for c in at.code)  # raw text

    body = interview_text(**ANNA)
    quote = "Økonomien er altid en barriere, når budgetterne er skåret."
    start = body.index(quote)
    at = run_app("views/interviews.py", doc="anna.txt", at=f"{start}-{start + len(quote)}")
    assert at.selectbox(key="iv-select").value == "anna.txt"
    text = all_text(at)
    assert "Opened at the cited passage" in text
    assert ":orange-background[Økonomien er altid en barriere" in text


# -- ingest -----------------------------------------------------------------------------
def test_upload_is_reported_and_then_answerable(filled: Settings) -> None:
    at = run_app("views/ingest.py")
    data = interview_text(
        name="Carl Dahl",
        org="Sydby Bibliotek",
        case="Kajakklubben",
        qa={"Hvad lærte I af kajakklubben?": ["Kajakpadlerne lånte bøger om navigation hver uge."]},
    ).encode()
    at.file_uploader[0].set_value(("Carl Dahl – kajak.txt", data, "text/plain")).run()
    at.button(key="upload-go").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Added"] == "1" and metrics["Failed"] == "0"
    assert at.success
    assert (filled.interviews_dir / "Carl Dahl – kajak.txt").exists()

    at.switch_page("views/chat.py").run()
    ask(at, "Hvad lærte I af kajakklubben?")
    answer = at.session_state["messages"][1]["answer"]
    assert any(s.interviewee == "Carl Dahl" for s in answer.sources)


def test_bad_upload_is_reported_and_store_unchanged(filled: Settings) -> None:
    at = run_app("views/ingest.py")
    at.file_uploader[0].set_value(
        [("junk.txt", b"\x00\x01\xff" * 400, "text/plain"), ("../../evil.exe", b"MZ", "application/octet-stream")]
    ).run()
    at.button(key="upload-go").click().run()
    assert not at.exception
    assert at.error and "store was left as it was" in at.error[0].value
    text = all_text(at)
    assert "junk.txt" in text and "evil.exe" in text and "not supported" in text
    assert sorted(p.name for p in filled.interviews_dir.iterdir()) == ["anna.txt", "bo.txt", "eve.txt"]
    assert at.sidebar.metric[0].value == "3"


def test_resync_reports_changes(filled: Settings, write_interview) -> None:
    (filled.interviews_dir / "bo.txt").unlink()
    write_interview("dan.txt", name="Dan Due", org="Østby Bibliotek")
    at = run_app("views/ingest.py")
    at.button(key="resync").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Added"] == "1" and metrics["Removed"] == "1" and metrics["Unchanged"] == "2"
    assert at.sidebar.metric[0].value == "3"


def test_resync_while_another_ingest_runs_says_so(filled: Settings) -> None:
    from ingest.sync import lock_for

    lock = lock_for(filled)
    lock.acquire()
    try:
        at = run_app("views/ingest.py")
        at.button(key="resync").click().run()
        assert not at.exception
        assert "Another ingest is running" in all_text(at)
    finally:
        lock.release()


def test_retry_forgets_only_the_facade_of_its_own_settings(tmp_path, hash_embeddings) -> None:
    from knowledge.settings import Settings
    from ui import state

    a = Settings(store=tmp_path / "a", collection="a", embedder="hash", llm="none", chroma_host=None)
    b = Settings(store=tmp_path / "b", collection="b", embedder="hash", llm="none", chroma_host=None)
    fa, fb = state.get_casebase(a), state.get_casebase(b)
    assert state.get_casebase(a) is fa  # cached
    state.forget_casebase(a)
    assert state.get_casebase(a) is not fa  # a Retry rebuilds its own
    assert state.get_casebase(b) is fb  # and leaves the others alone
