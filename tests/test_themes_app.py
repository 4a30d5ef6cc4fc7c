"""The Themes page and "Add to theme" on source cards, through AppTest on a real store
(the `filled` fixture of tests/test_app.py: Anna, Bo and Eve, hash embedder) with the
themes database in tmp_path, checked through ThemeBook."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from knowledge.settings import Settings
from knowledge.themes import ThemeBook
from knowledge.types import Source
from tests import test_app
from tests.test_app import ANNA, BO, all_text, ask, quote_search, raw_text, run_app

# the store with Anna, Bo and Eve, and the app pointed at it (tests/test_app.py)
app_env = test_app.app_env
filled = test_app.filled

PAGE = "views/themes.py"
CHALLENGES = "Hvad er de største udfordringer ved partnerskaber?"
START = "Hvordan startede samarbejdet?"
ANNA_QUOTES = set(ANNA["qa"][CHALLENGES])
VOLUNTEERS = "Hvordan startede samarbejdet med de frivillige?"
NOTHING = "\u2014 no match found"
MAYBE = "\u2014 weaker match to review"
EMPTY = "\u2014"  # a cell without a quote: no match found, or a weaker match to review


@pytest.fixture
def db(filled: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "ui-themes.sqlite"
    monkeypatch.setenv("CASEBASE_THEMES_DB", str(path))
    filled.themes_db = path
    return path


@pytest.fixture
def two_themes(db: Path) -> ThemeBook:
    book = ThemeBook(db)
    book.add("Udfordringer", [CHALLENGES])
    book.add("Start", [START])
    return book


def themes_page() -> AppTest:
    return run_app(PAGE)


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def grid(at: AppTest):
    return at.dataframe[0].value


def select_cell(at: AppTest, row: int, column: str) -> AppTest:
    at.session_state["themes-grid"] = {"selection": {"rows": [], "columns": [], "cells": [[row, column]]}}
    return ok(at.run())


def row_of(at: AppTest, person: str) -> int:
    return list(grid(at)["who"]).index(person)


def subheaders(at: AppTest) -> set[str]:
    return {re.sub(r"\\(.)", r"\1", s.value) for s in at.subheader}


def buttons(at: AppTest, label: str) -> list:
    return [b for b in at.button if b.label == label]


# -- defining themes ------------------------------------------------------------------------
def test_no_themes_shows_the_form_with_an_example(db: Path) -> None:
    at = themes_page()
    assert [t.value for t in at.title] == ["Themes"]
    assert at.text_input(key="theme-add-name") and at.text_area(key="theme-add-questions")
    assert "Barrierer" in at.text_input(key="theme-add-name").placeholder
    assert "Hvilke barrierer møder bibliotekerne?" in at.text_area(key="theme-add-questions").placeholder
    assert not at.tabs and not at.dataframe  # no matrix before there is a theme
    assert "no match found" in all_text(at) and "nothing on it" not in all_text(at)  # what a matrix is, explained


def test_adding_a_theme_through_the_form_lists_it(db: Path) -> None:
    at = themes_page()
    at.text_input(key="theme-add-name").set_value("Udfordringer")
    at.text_area(key="theme-add-questions").set_value(f"{CHALLENGES}\n\n  What are the challenges?  \n")
    ok(at.button(key="theme-add-go").click().run())
    [theme] = ThemeBook(db).list()
    assert theme.name == "Udfordringer" and theme.questions == [CHALLENGES, "What are the challenges?"]
    assert [t.label for t in at.tabs] == ["Matrix", "Define themes", "Export"]
    assert any("Udfordringer" in e.label and "2 question(s)" in e.label for e in at.expander)
    assert at.text_input(key="theme-add-name").value == ""  # the form is ready for the next one
    assert len(grid(at)) == 3  # and the matrix is there


def test_bad_theme_input_is_a_message_not_an_exception(two_themes: ThemeBook) -> None:
    at = themes_page()
    at.text_input(key="theme-add-name").set_value("udfordringer")  # case-insensitive duplicate
    ok(at.button(key="theme-add-go").click().run())
    assert any("already exists" in e.value for e in at.error)
    assert at.text_input(key="theme-add-name").value == "udfordringer"  # kept, to correct it
    at.text_input(key="theme-add-name").set_value("   ")
    ok(at.button(key="theme-add-go").click().run())
    assert any("needs a name" in e.value for e in at.error)
    assert [t.name for t in two_themes.list()] == ["Udfordringer", "Start"]


def test_rename_edit_questions_and_remove(two_themes: ThemeBook) -> None:
    at = themes_page()
    at.text_input(key="theme-edit-Start-name").set_value("Begyndelsen")
    at.text_area(key="theme-edit-Start-questions").set_value(f"{START}\nHow did it begin?")
    ok(at.button(key="theme-edit-Start-go").click().run())
    assert two_themes.get("Begyndelsen").questions == [START, "How did it begin?"]
    assert two_themes.get("Start") is None
    assert "Begyndelsen" in at.multiselect(key="themes-columns").value  # the renamed theme stays a column
    # a rename onto another theme's name is refused with a message
    at.text_input(key="theme-edit-Begyndelsen-name").set_value("Udfordringer")
    ok(at.button(key="theme-edit-Begyndelsen-go").click().run())
    assert any("already exists" in e.value for e in at.error)
    ok(at.button(key="theme-edit-Begyndelsen-remove").click().run())
    assert [t.name for t in two_themes.list()] == ["Udfordringer"]
    assert at.multiselect(key="themes-columns").value == ["Udfordringer"]


def test_theme_names_are_escaped(db: Path) -> None:
    ThemeBook(db).add("**Fed** [klik](javascript:alert(1)) $x$", [CHALLENGES])
    at = themes_page()
    text = raw_text(at) + "\n".join(e.label for e in at.expander)
    assert "](javascript" not in text and "\\*\\*Fed\\*\\*" in text


# -- the matrix -----------------------------------------------------------------------------
def test_matrix_has_a_row_per_interview_and_a_column_per_theme(two_themes: ThemeBook) -> None:
    at = themes_page()
    table = grid(at)
    assert list(table.columns) == ["who", "role", "org", "case", "t0", "t1"]
    assert sorted(table["who"]) == ["Anna Holm", "Bo Berg", "Eve Evil"]
    assert list(table["org"]) == sorted(table["org"])  # by organisation, the default
    anna = table.iloc[row_of(at, "Anna Holm")]
    assert any(q.rstrip(".") in anna["t0"] for q in ANNA_QUOTES)
    assert anna["t1"].startswith(EMPTY)  # no quote of Anna's answers how it started
    assert "Vi mødtes til et frivilligmøde" in table.iloc[row_of(at, "Bo Berg")]["t1"]
    caption = all_text(at)
    assert re.search(r"matrix built in \d+\.\d\d s", caption)
    assert re.search(r"interviews without a quote per theme \(of them, no match found\): Udfordringer 0 \(0 no match\) · Start 2 \([0-2] no match\)", caption)

    # which interviews have no quote on Start, at one glance
    at.selectbox(key="themes-only").set_value("Start")
    ok(at.run())
    assert sorted(grid(at)["who"]) == ["Anna Holm", "Eve Evil"] and all(c.startswith(EMPTY) for c in grid(at)["t1"])
    at.selectbox(key="themes-only").set_value("")
    at.selectbox(key="themes-sort").set_value("interviewee")
    ok(at.run())
    assert list(grid(at)["who"]) == ["Anna Holm", "Bo Berg", "Eve Evil"]
    # the columns are the user's choice
    at.multiselect(key="themes-columns").set_value(["Start"])
    ok(at.run())
    assert list(grid(at).columns) == ["who", "role", "org", "case", "t0"] and grid(at)["t0"].str.startswith(EMPTY).sum() == 2


def test_sidebar_filters_restrict_the_rows(two_themes: ThemeBook) -> None:
    at = themes_page()
    at.sidebar.multiselect(key="themes-organisation").set_value(["Nordby Kulturhus"])
    ok(at.run())
    assert list(grid(at)["who"]) == ["Bo Berg"]


def test_matrix_is_cached_across_reruns(two_themes: ThemeBook) -> None:
    at = themes_page()
    first = at.session_state["themes-matrix"]
    at.selectbox(key="themes-sort").set_value("case")
    ok(at.run())
    assert at.session_state["themes-matrix"][1] is first[1]  # a sort reuses it


def cell_quotes(filled: Settings, hash_embeddings, theme: str, question: str, doc: str) -> list[str]:
    """What the service puts in a cell: the page must show exactly these."""
    from knowledge.service import Casebase
    from knowledge.types import Theme

    m = Casebase(filled, hash_embeddings).matrix([Theme(theme, [question])])
    row = next(r for r in m.rows if r.doc_id == doc)
    return [c.source.quote for c in row.cells.get(theme, [])]


def test_a_selected_cell_shows_its_quotes(two_themes: ThemeBook, filled: Settings, hash_embeddings) -> None:
    expected = cell_quotes(filled, hash_embeddings, "Udfordringer", CHALLENGES, "anna.txt")
    assert expected and set(expected) <= ANNA_QUOTES  # Anna's cell holds answers to the theme
    at = themes_page()
    at = select_cell(at, row_of(at, "Anna Holm"), "t0")
    assert "Udfordringer · Anna Holm, Vejby Bibliotek" in subheaders(at)
    text = all_text(at)
    for quote in expected:
        assert f":orange-background[{quote}]" in text
    n = len(expected)
    assert text.count(":gray-badge[proposed]") == n and "Q1. " + CHALLENGES in text
    assert re.search(r":(green|blue|gray)-badge\[(strong|good|weak) match", text)
    links = [p for p in at.get("page_link") if "Open in interview" in p.value]
    assert len(links) == n and all(p.proto.query_string.startswith("doc=anna.txt&at=") for p in links)
    assert len(buttons(at, "Accept")) == n and len(buttons(at, "Reject")) == n

    # a person's cell opens all of their cells, an empty one saying so
    at = select_cell(at, row_of(at, "Anna Holm"), "who")
    assert subheaders(at) >= {"Udfordringer · Anna Holm, Vejby Bibliotek", "Start · Anna Holm, Vejby Bibliotek"}
    assert any("relevant enough to answer Start" in i.value and "not proof" in i.value for i in at.info)


def test_accept_codes_the_quote_and_reject_removes_it(two_themes: ThemeBook, filled: Settings, hash_embeddings) -> None:
    at = themes_page()
    at = select_cell(at, row_of(at, "Anna Holm"), "t0")
    ok(buttons(at, "Accept")[0].click().run())
    [coded] = two_themes.codings("Udfordringer", "accepted")
    assert coded.source.doc_id == "anna.txt" and coded.source.quote in ANNA_QUOTES and coded.found_by == CHALLENGES
    assert "coded]" in all_text(at)
    assert grid(at).iloc[row_of(at, "Anna Holm")]["t0"].startswith("\u2713 \u201c" + coded.source.quote.rstrip(".")[:30])
    assert any("Coded under" in t.value for t in at.toast)

    # reject Bo's proposed quote on how it started: it leaves the cell, for good
    [bo_quote, *_] = cell_quotes(filled, hash_embeddings, "Start", START, "bo.txt")
    at = select_cell(at, row_of(at, "Bo Berg"), "t1")
    assert f":orange-background[{bo_quote}]" in all_text(at)
    ok(buttons(at, "Reject")[0].click().run())
    [rejected] = two_themes.codings("Start", "rejected")
    assert rejected.source.quote == bo_quote
    assert f":orange-background[{bo_quote}]" not in all_text(at)
    assert not grid(at).iloc[row_of(at, "Bo Berg")]["t1"].startswith("\u201c" + bo_quote[:30])
    # and it stays gone in a fresh session
    at = themes_page()
    at = select_cell(at, row_of(at, "Bo Berg"), "t1")
    assert f":orange-background[{bo_quote}]" not in all_text(at)


def test_an_empty_cell_offers_its_weaker_match_for_review(db: Path, filled: Settings, hash_embeddings) -> None:
    from knowledge.service import Casebase
    from knowledge.types import Theme

    book = ThemeBook(db)
    book.add("Frivillige", [VOLUNTEERS])
    m = Casebase(filled, hash_embeddings).matrix([Theme("Frivillige", [VOLUNTEERS])])
    offered = {r.interviewee: r.possible["Frivillige"][0] for r in m.rows if r.possible.get("Frivillige")}
    answered = {r.interviewee for r in m.rows if r.cells.get("Frivillige")}
    assert offered and answered  # one interview answers; the others offer their best weaker match
    at = themes_page()
    table = grid(at)
    for who, cell in zip(table["who"], table["t0"]):
        if who in answered:
            assert cell.startswith("\u201c")
        else:
            assert cell == (MAYBE if who in offered else NOTHING)
    assert f"(of them, no match found): Frivillige {3 - len(answered)} (" in all_text(at)  # not counted as answers
    who, match = sorted(offered.items())[0]
    at = select_cell(at, row_of(at, who), "t0")
    text = all_text(at)
    assert any("relevant enough to answer Frivillige" in i.value for i in at.info)
    assert ":orange-badge[weaker match]" in text and match.source.quote in text
    ok(buttons(at, "Accept")[0].click().run())
    [coded] = book.codings("Frivillige", "accepted")
    assert (coded.source.doc_id, coded.source.quote) == (match.source.doc_id, match.source.quote)
    assert grid(at).iloc[row_of(at, who)]["t0"].startswith("\u2713 ")  # now the cell's quote
    assert f"(of them, no match found): Frivillige {3 - len(answered) - 1} (" in all_text(at)  # one fewer without a quote


def test_lost_codings_are_listed_with_a_warning(two_themes: ThemeBook) -> None:
    gone = "Denne sætning stod engang i interviewet."
    two_themes.code("Udfordringer", Source(1, "anna.txt", "anna.txt::gone", gone, "Anna Holm", "bibliotekar",
                                           "Vejby Bibliotek", "Læsecaféen", CHALLENGES, "anna.txt", 5, 5 + len(gone), 0.0))
    at = themes_page()  # opening the store re-anchors the codings: this text is not in anna.txt
    assert [c.anchor for c in two_themes.codings()] == ["lost"]
    assert any("no longer in their interview file" in w.value for w in at.warning)
    assert gone in all_text(at)
    assert any("1 lost" in e.label for e in at.expander)
    ok(at.button(key="themes-lost-0").click().run())
    assert two_themes.codings() == [] and not any("no longer" in w.value for w in at.warning)


# -- exports --------------------------------------------------------------------------------
def test_export_buttons_and_their_files(two_themes: ThemeBook, filled: Settings, hash_embeddings) -> None:
    from knowledge.service import Casebase
    from ui.themes import export_bytes

    at = themes_page()
    at = select_cell(at, row_of(at, "Anna Holm"), "t0")
    ok(buttons(at, "Accept")[0].click().run())
    [coded] = two_themes.codings("Udfordringer", "accepted")
    downloads = {d.label: d for d in at.get("download_button")}
    assert set(downloads) == {"REFI-QDA project", "Codebook", "CSV", "Excel", "Markdown report"}
    assert all(d.proto.deferred_file_id for d in downloads.values())  # built when clicked
    assert at.checkbox(key="themes-export-proposed")

    svc = Casebase(filled, hash_embeddings)
    with zipfile.ZipFile(io.BytesIO(export_bytes(svc, "qdpx", False))) as zf:
        names = zf.namelist()
        qde = zf.read("project.qde").decode("utf-8")
    assert "project.qde" in names and any(n.startswith("sources/") and n.endswith(".txt") for n in names)
    assert 'name="Udfordringer"' in qde and 'name="Start"' in qde and qde.count("<PlainTextSelection") == 1
    assert b"Udfordringer" in export_bytes(svc, "qdc", False)
    csv_text = export_bytes(svc, "csv", False).decode("utf-8-sig")
    assert csv_text.count("\n") == 2 and coded.source.quote in csv_text  # header + the one coded quote
    assert csv_text.count("proposed") == 0
    assert export_bytes(svc, "csv", True).decode("utf-8-sig").count(",proposed,") >= 3
    with zipfile.ZipFile(io.BytesIO(export_bytes(svc, "xlsx", False))) as zf:
        sheets = zf.read("xl/workbook.xml").decode()
    assert 'name="Quotes"' in sheets and 'name="Matrix"' in sheets
    report = export_bytes(svc, "md", False).decode()
    assert "## Udfordringer" in report and coded.source.quote in report


# -- "Add to theme" on source cards ----------------------------------------------------------
def test_add_to_theme_from_a_chat_source_card(db: Path) -> None:
    at = run_app()
    ask(at, CHALLENGES)
    answer = at.session_state["messages"][1]["answer"]
    assert at.text_input(key="m1-1-theme-new")  # on every card
    assert all(at.text_input(key=f"m1-{s.n}-theme-new") for s in answer.sources)
    at.text_input(key="m1-1-theme-new").set_value("Udfordringer")
    ok(at.button(key="m1-1-theme-add").click().run())
    book = ThemeBook(db)
    assert book.get("Udfordringer").questions == [CHALLENGES]  # the chat question finds the new theme
    [coded] = book.codings("Udfordringer", "accepted")
    first = answer.sources[0]
    assert (coded.source.doc_id, coded.source.quote, coded.found_by) == (first.doc_id, first.quote, CHALLENGES)
    assert any("Added to" in t.value and "Udfordringer" in t.value for t in at.toast)

    # the next card offers the saved theme
    assert len(answer.sources) > 1  # Anna and Bo both name challenges
    pick = at.selectbox(key="m1-2-theme-pick")
    assert pick.options == ["Udfordringer"]
    pick.set_value("Udfordringer")
    ok(at.button(key="m1-2-theme-add").click().run())
    assert len(book.codings("Udfordringer", "accepted")) == 2
    # nothing chosen: a message, nothing coded
    ok(at.button(key="m1-1-theme-add").click().run())
    assert any("Choose a theme" in e.value for e in at.error)
    # a quote can be turned down for a theme from its card too
    last = answer.sources[-1]
    at.selectbox(key=f"m1-{last.n}-theme-pick").set_value("Udfordringer")
    ok(at.button(key=f"m1-{last.n}-theme-reject").click().run())
    [rejected] = book.codings("Udfordringer", "rejected")
    assert rejected.source.quote == last.quote and book.is_rejected("Udfordringer", last)


def test_chat_cards_do_not_create_the_themes_file(db: Path) -> None:
    at = run_app()
    ask(at, CHALLENGES)
    assert at.text_input(key="m1-1-theme-new") and not db.exists()


def test_add_to_theme_from_the_quote_finder(db: Path) -> None:
    ThemeBook(db).add("Start", [START])
    at = quote_search(run_app("views/quotes.py"), "frivilligmøde")
    at.session_state["quotes-table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    ok(at.run())
    key = next(t.key for t in at.selectbox if t.key and t.key.endswith("-theme-pick"))
    at.selectbox(key=key).set_value("Start")
    ok(at.button(key=key.replace("-pick", "-add")).click().run())
    [coded] = ThemeBook(db).codings("Start", "accepted")
    assert coded.source.interviewee == BO["name"] and "frivilligmøde" in coded.source.quote
    assert coded.found_by == "frivilligmøde"
