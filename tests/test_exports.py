"""Theme exports: quotes as CSV and Excel with their citations, any table of dict rows
(the theme matrix) as CSV and Excel, and the Markdown report."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Callable

import pytest
from openpyxl import load_workbook

from knowledge.exports import QUOTE_COLUMNS, csv_bytes, markdown_report, quotes_csv, quotes_xlsx, rows_csv, rows_xlsx, write_xlsx
from knowledge.types import Coding, Source, Theme

PEOPLE = {
    "anna æøå.txt": ("Anna Holm", "bibliotekar", "Vejby Bibliotek", "Læsefællesskab"),
    "bo.txt": ("Bo Berg", "formand", "Nordby Kulturhus", "Frivillighed"),
    "bo igen.txt": ("Bo Berg", "formand", "Nordby Kulturhus", "Frivillighed"),
}


@pytest.fixture
def coding() -> Callable[..., Coding]:
    def make(theme: str, doc_id: str, quote: str, status: str = "accepted", anchor: str = "ok", start: int = 0,
             speaker: str = "", question: str = "Hvad er udfordringerne?", found_by: str = "Hvad er svært?") -> Coding:
        who, role, org, case = PEOPLE[doc_id]
        src = Source(n=1, doc_id=doc_id, chunk_id=f"{doc_id}#{start}", quote=quote, interviewee=who, role=role,
                     organisation=org, case=case, question=question, source_path=f"/data/{doc_id}", start=start,
                     end=start + len(quote), score=0.4, speaker=speaker, relevance=0.8125)
        return Coding(theme=theme, status=status, source=src, found_by=found_by, anchor=anchor)

    return make


@pytest.fixture
def codings(coding: Callable[..., Coding]) -> list[Coding]:
    return [
        coding("Økonomi", "anna æøå.txt", "Økonomien er svær,\n\"især\" nu \U0001f600.", start=120),
        coding("Økonomi", "bo.txt", "Vi mangler penge.", start=40),
        coding("Økonomi", "anna æøå.txt", "Det koster.", start=10, status="proposed"),
        coding("Økonomi", "bo.txt", "Kassen er tom.", start=90, status="rejected"),
        coding("Økonomi", "bo.txt", "Vi havde et tilskud.", start=200, anchor="lost"),
        coding("Tid", "bo.txt", "=SUM(A1:A3) timer", start=5, speaker="Mette Lind"),
    ]


THEMES = [Theme("Økonomi", ["Hvad koster det?", "Er økonomien svær?"]), Theme("Tid", ["Hvad tager tid?"]),
          Theme("Tomt tema", ["Findes det?"])]


# -- CSV -----------------------------------------------------------------------------------
def test_quotes_csv_roundtrips_with_full_citations(codings: list[Coding]) -> None:
    text = quotes_csv(codings)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == QUOTE_COLUMNS
    assert len(rows) == len(codings)  # every status: the status column says which
    first = rows[0]
    assert first["quote"] == "Økonomien er svær,\n\"især\" nu \U0001f600."
    assert (first["theme"], first["status"], first["interviewee"], first["role"], first["organisation"],
            first["case"], first["file"]) == ("Økonomi", "accepted", "Anna Holm", "bibliotekar", "Vejby Bibliotek",
                                              "Læsefællesskab", "anna æøå.txt")
    assert first["question"] == "Hvad er udfordringerne?" and first["found_by"] == "Hvad er svært?"
    assert (first["start"], first["end"], first["relevance"]) == ("120", str(120 + len(codings[0].source.quote)), "0.812")
    assert [r["status"] for r in rows] == ["accepted", "accepted", "proposed", "rejected", "accepted", "accepted"]
    assert rows[4]["anchor"] == "lost"
    assert rows[5]["said_by"] == "Mette Lind" and rows[5]["interviewee"] == "Bo Berg"
    assert rows[5]["quote"] == "'=SUM(A1:A3) timer"  # a spreadsheet would run it


def test_csv_bytes_carry_a_bom_for_excel(codings: list[Coding]) -> None:
    data = csv_bytes(quotes_csv(codings))
    assert data.startswith(b"\xef\xbb\xbf")
    assert next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[0] == "theme"


def test_rows_csv_is_generic_for_the_matrix() -> None:
    rows = [{"interviewee": "Anna Holm", "Økonomi": ["Det koster.", "+ mere"], "Tid": None, "extra": "skjult"},
            {"interviewee": "Bo Berg", "Økonomi": "Vi mangler penge.", "Tid": 3}]
    parsed = list(csv.DictReader(io.StringIO(rows_csv(rows, ["interviewee", "Økonomi", "Tid"]))))
    assert [list(r.values()) for r in parsed] == [["Anna Holm", "Det koster.\n\n+ mere", ""],
                                                  ["Bo Berg", "Vi mangler penge.", "3"]]
    assert "skjult" not in rows_csv(rows, ["interviewee"])
    assert rows_csv([], ["a", "b"]).splitlines() == ["a,b"]


def test_ui_quote_csv_goes_through_the_same_writer() -> None:
    from ui.export import quotes_csv as ui_quotes_csv

    src = Source(n=1, doc_id="bo.txt", chunk_id="c", quote="-5 kroner", interviewee="Bo Berg", role="", organisation="",
                 case="", question="", source_path="", start=0, end=9, score=0.1)
    rows = list(csv.DictReader(io.StringIO(ui_quotes_csv([src]).decode("utf-8-sig"))))
    assert rows[0]["quote"] == "'-5 kroner" and rows[0]["file"] == "bo.txt"


# -- Excel ---------------------------------------------------------------------------------
def test_quotes_xlsx_opens_with_header_filter_and_rows(codings: list[Coding]) -> None:
    wb = load_workbook(io.BytesIO(quotes_xlsx(codings)))
    ws = wb["Quotes"]
    header = [c.value for c in ws[1]]
    assert header == QUOTE_COLUMNS and all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:O{len(codings) + 1}"
    assert ws.max_row == len(codings) + 1
    col = {name: i + 1 for i, name in enumerate(header)}
    assert ws.cell(2, col["quote"]).value == codings[0].source.quote
    assert ws.cell(2, col["start"]).value == 120  # numbers stay numbers
    assert ws.cell(2, col["quote"]).alignment.wrap_text
    formula = ws.cell(7, col["quote"])
    assert formula.value == "=SUM(A1:A3) timer" and formula.data_type == "s"  # text, as said, never run
    widths = {name: ws.column_dimensions[ws.cell(1, i).column_letter].width for name, i in col.items()}
    assert widths["status"] < widths["quote"] <= 62 and widths["start"] >= 6


def test_rows_xlsx_and_write_xlsx_for_the_matrix(tmp_path: Path, codings: list[Coding]) -> None:
    rows = [{"interviewee": "Anna Holm", "Økonomi": ["Det koster.", "=mere"], "Tid": ""},
            {"interviewee": "Bo Berg", "Økonomi": "Vi mangler\x01 penge.", "Tid": "Det tager tid."}]
    ws = load_workbook(io.BytesIO(rows_xlsx(rows, ["interviewee", "Økonomi", "Tid"]))).active
    assert ws.title == "Matrix"
    assert [[c.value for c in r] for r in ws.iter_rows(min_row=2)] == [
        ["Anna Holm", "Det koster.\n\n=mere", None], ["Bo Berg", "Vi mangler penge.", "Det tager tid."]]
    path = write_xlsx(tmp_path / "temaer.xlsx", {"Matrix: æøå/1": (rows, ["interviewee", "Økonomi"]),
                                                 "matrix: æøå/1": (rows, ["interviewee"]),
                                                 "Quotes": ([], QUOTE_COLUMNS)})
    wb = load_workbook(path)
    assert wb.sheetnames == ["Matrix_ æøå_1", "matrix_ æøå_1_2", "Quotes"]
    assert wb["Quotes"].max_row == 1 and wb["Quotes"].freeze_panes == "A2"


# -- Markdown ------------------------------------------------------------------------------
def test_markdown_report_groups_quotes_by_interview(codings: list[Coding]) -> None:
    md = markdown_report(THEMES, codings, title="Temaer i biblioteksprojekterne")
    assert md.startswith("# Temaer i biblioteksprojekterne\n")
    sections = re.split(r"^## ", md, flags=re.M)[1:]
    assert [s.splitlines()[0] for s in sections] == ["Økonomi", "Tid", "Tomt tema"]
    economy = sections[0]
    assert "- Hvad koster det?" in economy and "- Er økonomien svær?" in economy
    # one heading per interview, each interview's quotes under it
    assert re.findall(r"^### (.+)$", economy, flags=re.M) == ["Anna Holm, bibliotekar, Vejby Bibliotek",
                                                              "Bo Berg, formand, Nordby Kulturhus"]
    anna, bo = re.split(r"^### ", economy, flags=re.M)[1:]
    assert "Det koster." in anna and "Økonomien er svær" in anna and "Vi mangler penge." not in anna
    assert anna.index("Det koster.") < anna.index("Økonomien er svær")  # in the interview's order
    assert "Vi mangler penge." in bo and "Case: Frivillighed" in bo and "File: bo.txt" in bo
    assert "> Økonomien er svær,\n> \"især\" nu" in anna  # multi-line quote stays one block quote
    assert "Question: Hvad er udfordringerne?" in anna and "Found by: Hvad er svært?" in anna
    assert "Kassen er tom." not in md  # rejected
    proposed_block = anna[: anna.index("Det koster.")]
    assert "Proposed, not reviewed" in proposed_block
    assert "Lost" in bo[: bo.index("Vi havde et tilskud.")] and "Lost" not in anna
    assert "\u2014 Mette Lind" in sections[1]  # credits who said it
    assert "_No quotes yet._" in sections[2]


def test_markdown_report_without_proposed_and_with_unlisted_theme(codings: list[Coding],
                                                                  coding: Callable[..., Coding]) -> None:
    md = markdown_report(THEMES[:1], codings + [coding("Andet", "bo.txt", "Noget andet.")], proposed=False)
    assert "Det koster." not in md and "Proposed" not in md
    assert "## Andet" in md and "Noget andet." in md


def test_markdown_report_keeps_two_interviews_with_one_person_apart(coding: Callable[..., Coding]) -> None:
    md = markdown_report([Theme("Tid")], [coding("Tid", "bo.txt", "Første gang."),
                                          coding("Tid", "bo igen.txt", "Anden gang.")])
    first, second = re.split(r"^### ", md, flags=re.M)[1:]
    assert "File: bo igen.txt" in first and "Anden gang." in first and "Første gang." not in first
    assert "File: bo.txt" in second and "Første gang." in second
