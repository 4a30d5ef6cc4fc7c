"""Themes and codings (knowledge/themes.py), their re-anchoring after a re-ingest, and
`python -m knowledge themes`."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.sync import sync_paths
from knowledge.__main__ import cli
from knowledge.service import Casebase
from knowledge.settings import Settings
from knowledge.themes import PALETTE, SCHEMA_VERSION, ThemeBook, ThemeBookError, UnknownTheme
from knowledge.types import Source
from tests.conftest import interview_text

TEXT = "Intro.\n\nVi har fået et større netværk i kommunen.\n\nDet tager lang tid at afstemme forventninger."
QUOTE = "Vi har fået et større netværk i kommunen."


@pytest.fixture
def book(tmp_path: Path) -> ThemeBook:
    return ThemeBook(tmp_path / "themes.sqlite")


@pytest.fixture
def source():
    """Factory: source(quote, text=TEXT, doc_id="a.txt", chunk_id=None, start=None) -> a
    Source whose span indexes ``text`` (found there unless ``start`` is given)."""

    def make(quote: str = QUOTE, text: str = TEXT, doc_id: str = "a.txt", chunk_id: str | None = None,
             start: int | None = None) -> Source:
        a = text.index(quote) if start is None else start
        return Source(n=1, doc_id=doc_id, chunk_id=chunk_id or f"{doc_id}::h1::{a}", quote=quote,
                      interviewee="Anna Holm", role="bibliotekar", organisation="Vejby Bibliotek", case="Læsecaféen",
                      question="Hvad fik I ud af det?", source_path=f"/x/{doc_id}", start=a, end=a + len(quote),
                      score=0.5, speaker="Anna Holm")

    return make


# -- themes -----------------------------------------------------------------------------------
def test_add_list_get_with_palette_colours_in_order(book):
    a = book.add("Netværk", ["  Hvad gav partnerskabet?  ", "network", "network", ""])
    b = book.add("Barrierer", ["What was hardest?"])
    assert (a.color, b.color) == (PALETTE[0], PALETTE[1])
    assert a.questions == ["Hvad gav partnerskabet?", "network"]  # stripped, empties and repeats dropped
    assert [t.name for t in book.list()] == ["Netværk", "Barrierer"]
    assert book.get("NETVÆRK") == a and book.get("nope") is None
    assert book.add("Farve", ["q"], color="#aabbcc").color == "#AABBCC"
    book.remove("Netværk")
    assert book.add("Ny", ["q"]).color == PALETTE[0]  # the freed colour is handed out again


def test_theme_errors(book, source):
    book.add("Økonomi", ["Hvad kostede det?"])
    with pytest.raises(ValueError, match="'økonomi' already exists"):
        book.add("økonomi", ["x"])
    for name, qs in (("", ["q"]), ("   ", ["q"]), ("X", []), ("X", ["  ", ""])):
        with pytest.raises(ValueError):
            book.add(name, qs)
    with pytest.raises(ValueError, match="#RRGGBB"):
        book.add("X", ["q"], color="red")
    book.add("Andet", ["q"])
    with pytest.raises(ValueError, match="already exists"):
        book.rename("Andet", "ØKONOMI")
    for call in (lambda: book.remove("Ukendt"), lambda: book.rename("Ukendt", "Y"),
                 lambda: book.set_questions("Ukendt", ["q"]), lambda: book.code("Ukendt", source()),
                 lambda: book.codings("Ukendt"), lambda: book.require("Ukendt")):
        with pytest.raises(UnknownTheme, match="no theme named 'Ukendt'.*Økonomi, Andet"):
            call()
    with pytest.raises(ValueError, match="needs a quote"):
        book.code("Andet", Source(**{**source().to_dict(), "quote": "  "}))
    assert [t.name for t in book.list()] == ["Økonomi", "Andet"]  # nothing half-written


def test_rename_set_questions_remove(book, source):
    book.add("Net", ["q1"])
    book.code("Net", source())
    assert book.rename("Net", "Netværk").name == "Netværk"
    assert book.rename("netværk", "Netværk").name == "Netværk"  # its own name in another case is fine
    assert [c.theme for c in book.codings()] == ["Netværk"]
    assert book.set_questions("Netværk", ["a", "b"]).questions == ["a", "b"]
    assert book.remove("Netværk") == 1
    assert book.list() == [] and book.codings() == []
    book.add("Netværk", ["q"])
    assert book.codings() == []  # a new theme by the old name starts empty


def test_accept_reject_flip_and_counts(book, source):
    book.add("Net", ["q"])
    s = source()
    assert book.reject("Net", s, found_by="q").status == "rejected"
    assert book.code("Net", s, found_by="q2").status == "accepted"
    (only,) = book.codings()
    assert (only.status, only.found_by, only.anchor) == ("accepted", "q2", "ok")
    assert only.source.quote == QUOTE and only.source.interviewee == "Anna Holm" and only.source.speaker == "Anna Holm"
    book.reject("Net", s)
    assert [c.status for c in book.codings()] == ["rejected"]
    other = source("Det tager lang tid")
    book.code("Net", other)
    assert book.counts() == {"Net": {"accepted": 1, "rejected": 1, "lost": 0}}
    assert [c.source.quote for c in book.codings("net", "accepted")] == ["Det tager lang tid"]
    with pytest.raises(ValueError):
        book.codings(status="maybe")
    assert book.decisions() == [
        {"theme": "Net", "questions": ["q"], "doc_id": "a.txt", "chunk_id": s.chunk_id, "quote": QUOTE,
         "status": "rejected", "anchor": "ok"},
        {"theme": "Net", "questions": ["q"], "doc_id": "a.txt", "chunk_id": other.chunk_id, "quote": "Det tager lang tid",
         "status": "accepted", "anchor": "ok"},
    ]


def test_rejected_stays_rejected_under_a_new_chunk_id(book, source):
    book.add("Net", ["q"])
    book.add("Andet", ["q"])
    book.reject("Net", source(chunk_id="a.txt::old::1"))
    assert book.rejected("Net") == {"a.txt::old::1"} and book.rejected("Andet") == set()
    moved_text = "Ny indledning.\n" + TEXT.replace(QUOTE, QUOTE.replace(" ", "\n", 2))
    again = source(QUOTE.replace(" ", "\n", 2), text=moved_text, chunk_id="a.txt::new::1")
    test = book.rejection_test("Net")
    assert test(again) and book.is_rejected("Net", again)  # same interview, same words
    assert not test(source(chunk_id="b.txt::new::1", doc_id="b.txt"))  # same words, other interview
    assert not test(source("Det tager lang tid", chunk_id="a.txt::new::2"))
    assert not book.is_rejected("Andet", again)


def test_unmark_by_chunk_id_and_by_source(book, source):
    book.add("Net", ["q"])
    s, t = source(), source("Det tager lang tid")
    book.code("Net", s)
    book.reject("Net", t)
    assert book.unmark("Net", "no-such-chunk") == 0
    assert book.unmark("Net", s.chunk_id) == 1
    shifted = Source(**{**t.to_dict(), "start": t.start + 5, "end": t.end + 5, "chunk_id": "x"})
    assert book.unmark("Net", shifted) == 1  # not at that span: found by its text
    assert book.codings() == []


# -- re-anchoring -----------------------------------------------------------------------------
def test_reanchor_ok_moved_lost_and_back(book, source):
    book.add("Net", ["q"])
    book.code("Net", source())
    texts = {"a.txt": TEXT}
    r = book.reanchor(texts.get)
    assert (r.checked, r.ok, r.moved, r.lost) == (1, 1, 0, 0)

    texts["a.txt"] = "En ny første linje.\n" + TEXT  # text inserted before the quote
    r = book.reanchor(texts.get, lambda d, a, b: f"{d}::h2::{a}")
    (c,) = book.codings()
    assert (r.moved, c.anchor) == (1, "moved")
    assert texts["a.txt"][c.source.start:c.source.end] == QUOTE == c.source.quote
    assert c.source.chunk_id == f"a.txt::h2::{c.source.start}"
    r = book.reanchor(texts.get)  # idempotent
    assert (r.ok, r.moved) == (1, 0) and book.codings() == [c]

    texts["a.txt"] = TEXT.replace(QUOTE, "Noget helt andet.")
    r = book.reanchor(texts.get)
    assert (r.lost, r.lost_codings) == (1, [{"theme": "Net", "doc_id": "a.txt", "quote": QUOTE}])
    assert book.codings()[0].anchor == "lost" and book.counts()["Net"]["lost"] == 1
    assert book.codings()[0].source.quote == QUOTE  # kept, flagged, never dropped

    texts["a.txt"] = "X\n" + TEXT  # the text is back, elsewhere
    book.reanchor(texts.get)
    (c,) = book.codings()
    assert c.anchor == "moved" and texts["a.txt"][c.source.start:c.source.end] == QUOTE


def test_reanchor_whitespace_document_gone_and_lost_back_in_place(book, source):
    book.add("Net", ["q"])
    book.code("Net", source())
    reflowed = "Intro.\n\n" + QUOTE.replace(" større ", "\n  større ")
    book.reanchor({"a.txt": reflowed}.get)
    (c,) = book.codings()
    assert c.anchor == "moved" and c.source.quote == reflowed[c.source.start:c.source.end]
    assert " ".join(c.source.quote.split()) == QUOTE
    same_place = reflowed.replace("\n  større ", "\n\n større ")  # other whitespace, same offsets
    book.reanchor({"a.txt": same_place}.get)
    (c,) = book.codings()
    assert c.anchor == "moved" and c.source.quote == same_place[c.source.start:c.source.end]
    r = book.reanchor(lambda doc: None)  # the document left the store
    assert r.lost == 1 and book.codings()[0].anchor == "lost"
    book.reanchor({"a.txt": same_place}.get)
    assert book.codings()[0].anchor == "ok"  # back where it was


def test_reanchor_keeps_two_codings_of_repeated_text_apart(book, source):
    text = "Ja.\nNej.\nJa.\n"
    book.add("Net", ["q"])
    book.code("Net", source("Ja.", text=text, start=0))
    book.code("Net", source("Ja.", text=text, start=9))
    book.reanchor({"a.txt": "Hm.\n" + text}.get)
    spans = sorted((c.source.start, c.source.end) for c in book.codings())
    assert spans == [(4, 7), (13, 16)] and all(c.anchor == "moved" for c in book.codings())
    book.reanchor({"a.txt": "Nej.\nJa.\n"}.get)  # one "Ja." left: one coding has it, the other is lost
    assert sorted((c.anchor, c.source.start) for c in book.codings()) == [("lost", 13), ("moved", 5)]


# -- the file itself --------------------------------------------------------------------------
def test_schema_version_wal_and_persistence(tmp_path, source):
    path = tmp_path / "sub" / "themes.sqlite"
    ThemeBook(path).add("Æbler på Ålø", ["Hvad så I på øen?"])
    ThemeBook(path).code("æbler PÅ ålø", source("større netværk"))
    again = ThemeBook(path)
    (c,) = again.codings()
    assert (c.theme, c.source.quote, c.source.case) == ("Æbler på Ålø", "større netværk", "Læsecaféen")
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(ThemeBookError, match="newer Casebase"):
        ThemeBook(path)


def test_concurrent_use_from_two_threads(book, source):
    book.add("Fælles", ["q"])
    text = " ".join(f"ord{i}." for i in range(200))
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            book.add(f"Tråd {k}", ["q"])
            for i in range(k, 200, 2):
                s = source(f"ord{i}.", text=text)
                book.code("Fælles", s)
                book.reject(f"Tråd {k}", s)
                book.codings("Fælles")
        except BaseException as exc:  # noqa: BLE001 - reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    counts = book.counts()
    assert counts["Fælles"]["accepted"] == 200
    assert counts["Tråd 0"]["rejected"] == counts["Tråd 1"]["rejected"] == 100


def test_where_the_database_lives(tmp_path, monkeypatch):
    s = Settings(store=tmp_path / "store")
    assert s.themes_path == tmp_path / "themes.sqlite"
    assert Settings(store=tmp_path / "store", chroma_host="chroma.example").themes_path == tmp_path / "themes.sqlite"
    monkeypatch.setenv("CASEBASE_THEMES_DB", str(tmp_path / "elsewhere.db"))
    assert Settings(store=tmp_path / "store").themes_path == tmp_path / "elsewhere.db"


# -- through a real ingest --------------------------------------------------------------------
NETWORK = "Vi har fået et større netværk i kommunen."


def _sync(settings, emb):
    return sync_paths([settings.interviews_dir], settings, embeddings=emb)


def _chunk_with(cb: Casebase, words: str, doc_id: str = "a.txt") -> str:
    corpus = cb.corpus()
    return next(corpus.ids[r] for r in corpus.rows_of(doc_id) if words in corpus.texts[r])


def test_codings_follow_a_reingested_file(settings, write_interview, hash_embeddings):
    path = write_interview("a.txt")
    write_interview("b.txt", name="Bo Berg")
    _sync(settings, hash_embeddings)
    cb = Casebase(settings, hash_embeddings)
    old_id = _chunk_with(cb, NETWORK)
    source = cb.source_of(old_id)
    assert source is not None and cb.source_of("no::such::chunk") is None
    old_text = cb.store.document_body("a.txt")["text"]
    assert old_text[source.start:source.end] == source.quote and NETWORK in source.quote
    cb.themes.add("Netværk", ["Hvad gav partnerskabet?"])
    cb.themes.code("Netværk", source, found_by="Hvad gav partnerskabet?")
    cb.themes.reject("Netværk", cb.source_of(_chunk_with(cb, "forventninger")))
    assert cb.themes.path == settings.store.parent / "themes.sqlite"

    # a new first question: every offset after it shifts, every chunk id changes
    qa = {"Hvordan begyndte det?": ["Med en kop kaffe og en idé."],
          "Hvilke erfaringer har I fået ved at arbejde med partnerskaber?": [NETWORK, "Frivillige har bidraget med nye kompetencer."],
          "Hvad er de største udfordringer?": ["Det tager lang tid at afstemme forventninger med partneren."]}
    path.write_text(interview_text(qa=qa), encoding="utf-8")
    assert _sync(settings, hash_embeddings).updated == ["a.txt"]
    cb.corpus()  # a new store version: the codings are re-anchored
    new_text = cb.store.document_body("a.txt")["text"]
    accepted, rejected = cb.themes.codings("Netværk", "accepted"), cb.themes.codings("Netværk", "rejected")
    (c,) = accepted
    assert c.anchor == "moved" and c.source.start > source.start
    assert new_text[c.source.start:c.source.end] == c.source.quote == source.quote
    assert c.source.chunk_id != old_id and c.source.chunk_id == _chunk_with(cb, NETWORK)
    assert rejected[0].source.chunk_id == _chunk_with(cb, "forventninger")
    assert cb.themes.rejected("Netværk") == {_chunk_with(cb, "forventninger")}

    # the quote's words removed from the file: lost, kept
    qa["Hvilke erfaringer har I fået ved at arbejde med partnerskaber?"] = ["Frivillige har bidraget med nye kompetencer."]
    path.write_text(interview_text(qa=qa), encoding="utf-8")
    _sync(settings, hash_embeddings)
    cb.corpus()
    assert [c.anchor for c in cb.themes.codings("Netværk", "accepted")] == ["lost"]

    # the whole document leaves the store: everything of it lost, nothing dropped
    path.unlink()
    assert _sync(settings, hash_embeddings).removed == ["a.txt"]
    cb.corpus()
    assert [c.anchor for c in cb.themes.codings()] == ["lost", "lost"]

    # the original file comes back: found again where it first was
    write_interview("a.txt")
    _sync(settings, hash_embeddings)
    cb.corpus()
    c = cb.themes.codings("Netværk", "accepted")[0]
    assert c.anchor != "lost" and (c.source.start, c.source.end) == (source.start, source.end)
    assert c.source.chunk_id == _chunk_with(cb, NETWORK)


def test_no_themes_file_is_made_by_answering(casebase):
    casebase.corpus()
    assert not casebase.settings.themes_path.exists()


# -- the CLI ----------------------------------------------------------------------------------
@pytest.fixture
def run(casebase, cli_env):
    runner = CliRunner()

    def go(*args: str):
        return runner.invoke(cli, ["themes", *args], env=cli_env, catch_exceptions=False)

    return go


def _chunk_id(cli_env, word: str) -> str:
    res = CliRunner().invoke(cli, ["search", word, "--json"], env=cli_env, catch_exceptions=False)
    return json.loads(res.stdout)["hits"][0]["chunk_id"]


def test_cli_themes_round_trip(run, cli_env):
    assert run("list", "--json").stdout.strip() == json.dumps({"themes": []}, indent=2)
    res = run("add", "Frø og såsæd", "--question", "Hvad lærte I om frø?", "-q", "seeds")
    assert res.exit_code == 0 and "Added theme 'Frø og såsæd'" in res.stdout
    labels, parking = _chunk_id(cli_env, "Labelling"), _chunk_id(cli_env, "parkeringspladsen")
    res = run("code", "frø og såsæd", labels, "--found-by", "seeds")
    assert res.exit_code == 0 and "Coded into 'Frø og såsæd'" in res.stdout and "riverside-seed-library.md" in res.stdout
    assert run("reject", "Frø og såsæd", parking).exit_code == 0
    out = json.loads(run("list", "--json").stdout)
    assert out == {"themes": [{"name": "Frø og såsæd", "questions": ["Hvad lærte I om frø?", "seeds"], "color": PALETTE[0],
                               "accepted": 1, "rejected": 1, "lost": 0}]}
    (coded,) = json.loads(run("codings", "--json").stdout)["codings"]
    assert (coded["status"], coded["anchor"], coded["found_by"]) == ("accepted", "ok", "seeds")
    assert coded["source"]["chunk_id"] == labels and "Labelling" in coded["source"]["quote"]
    assert coded["source"]["interviewee"] == "Priya Raman"
    text = run("codings", "Frø og såsæd").stdout
    assert "Frø og såsæd:" in text and "Labelling" in text and "Parkeringspladserne" not in text
    assert run("rename", "Frø og såsæd", "Frø").exit_code == 0
    res = run("remove", "Frø")
    assert res.exit_code == 0 and "its 2 coding(s)" in res.stdout
    assert json.loads(run("list", "--json").stdout) == {"themes": []}


def test_cli_flags_lost_codings(run, cli_env, casebase, knowledge_folder):
    run("add", "Frø", "-q", "seeds")
    run("code", "Frø", _chunk_id(cli_env, "Labelling"))
    (knowledge_folder / "riverside-seed-library.md").unlink()
    sync_paths([knowledge_folder], casebase.settings, embeddings=casebase.store.embeddings)
    assert json.loads(run("list", "--json").stdout)["themes"][0]["lost"] == 1
    assert "[LOST" in run("codings").stdout
    assert json.loads(run("codings", "Frø", "--json").stdout)["codings"][0]["anchor"] == "lost"


@pytest.mark.parametrize("args, says", [
    (["code", "Ukendt", "x::y::1"], "no theme named 'Ukendt'"),
    (["reject", "Ukendt", "x::y::1"], "no theme named 'Ukendt'"),
    (["codings", "Ukendt"], "no theme named 'Ukendt'"),
    (["remove", "Ukendt"], "no theme named 'Ukendt'"),
    (["rename", "Ukendt", "Ny"], "no theme named 'Ukendt'"),
    (["code", "Frø", "no::such::chunk"], "no quote with chunk id 'no::such::chunk'"),
    (["add", "frø", "-q", "igen"], "'frø' already exists"),
    (["add", "  ", "-q", "q"], "needs a name"),
])
def test_cli_errors_are_one_line_exit_1(run, args, says):
    assert run("add", "Frø", "-q", "seeds").exit_code == 0
    res = run(*args)
    assert res.exit_code == 1
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], res.stderr


def test_cli_add_without_a_question_searches_for_the_name(run):
    res = run("add", "Frivillige")
    assert res.exit_code == 0, res.output
    out = json.loads(run("list", "--json").stdout)
    assert [(t["name"], t["questions"]) for t in out["themes"]] == [("Frivillige", ["Frivillige"])]


def test_cli_a_changed_decision_says_what_it_replaced(run, casebase):
    assert run("add", "Frø", "-q", "seeds").exit_code == 0
    chunk = casebase.find("seeds", mode="words").sources[0].chunk_id
    assert "it was" not in run("code", "Frø", chunk).output
    res = run("reject", "Frø", chunk)
    assert res.exit_code == 0 and "(it was accepted before)" in res.output


@pytest.mark.parametrize("cmd", [[], ["add"], ["list"], ["remove"], ["rename"], ["code"], ["reject"], ["unmark"], ["codings"]])
def test_cli_help(cmd):
    res = CliRunner().invoke(cli, ["themes", *cmd, "--help"])
    assert res.exit_code == 0 and "Usage:" in res.output and "Show this message" in res.output


def test_python_m_knowledge_themes_runs(cli_env):
    # `python -m knowledge` runs __main__.py as __main__: the themes group must still load
    proc = subprocess.run([sys.executable, "-m", "knowledge", "themes", "list", "--help"],
                          env=cli_env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "--json" in proc.stdout, proc.stderr
