"""The theme matrix and the export command: every interview a row, cells from the
calibrated relevance, the researcher's decisions on top, files a QDA tool reads."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from knowledge.__main__ import cli
from knowledge.types import Theme

ESPORT = Theme("E-sport", ["Hvorfor spiller de unge e-sport på biblioteket?"])
SEEDS = Theme("Seeds", ["Which seeds do the gardeners return every autumn?"])


def _row(m, doc_prefix: str):
    return next(r for r in m.rows if r.doc_id.startswith(doc_prefix))


def test_every_interview_is_a_row_and_silent_ones_are_empty(casebase):
    m = casebase.matrix([ESPORT])
    assert sorted(r.doc_id for r in m.rows) == sorted(i["doc_id"] for i in casebase.interviews())
    esport = _row(m, "havnestad").cells.get("E-sport", [])
    assert esport and "e-sport" in " ".join(c.source.quote.lower() for c in esport) + esport[0].source.question.lower()
    assert all(c.status == "proposed" and c.found_by == ESPORT.questions[0] for c in esport)
    assert not _row(m, "riverside").cells.get("E-sport")
    assert [r.doc_id for r in m.silent("E-sport")] == [r.doc_id for r in m.rows if not r.cells.get("E-sport")]
    # relevance decides a cell: every proposed quote reaches the answer threshold
    model = casebase.relevant(ESPORT.questions[0])[0].model
    assert all(c.source.relevance >= model.threshold for c in esport)


def test_a_theme_with_two_wordings_takes_what_either_finds(casebase):
    both = Theme("Both", ESPORT.questions + SEEDS.questions)
    m = casebase.matrix([both])
    assert _row(m, "havnestad").cells.get("Both") and _row(m, "riverside").cells.get("Both")
    found = {c.found_by for r in m.rows for c in r.cells.get("Both", [])}
    assert found == set(both.questions)


def test_accepted_quotes_lead_their_cell_and_rejected_ones_never_return(casebase):
    m = casebase.matrix([ESPORT])
    top = _row(m, "havnestad").cells["E-sport"][0]
    casebase.themes.add("E-sport", ESPORT.questions)
    casebase.themes.reject("E-sport", top.source)
    after = casebase.matrix([ESPORT])
    assert top.source.chunk_id not in {c.source.chunk_id for c in _row(after, "havnestad").cells.get("E-sport", [])}
    # an accepted quote stands in its cell whatever its relevance: the researcher decided
    seed_quote = casebase.find("seeds", mode="words").sources[0]
    casebase.themes.code("E-sport", seed_quote, found_by="by hand")
    cell = _row(casebase.matrix([ESPORT]), "riverside").cells["E-sport"]
    assert cell[0].status == "accepted" and cell[0].source.chunk_id == seed_quote.chunk_id


def test_filters_choose_the_rows(casebase):
    org = _row(casebase.matrix([ESPORT]), "havnestad").organisation
    m = casebase.matrix([ESPORT], filters={"organisation": [org]})
    assert [r.organisation for r in m.rows] == [org]


def test_resolve_themes_by_name_question_or_saved(casebase):
    casebase.themes.add("Frø", ["What did the seed library achieve?"])
    got = casebase.resolve_themes(["A=first wording", "A=second wording", "frø", "Hvad var svært?"])
    assert [(t.name, t.questions) for t in got] == [
        ("A", ["first wording", "second wording"]),
        ("Frø", ["What did the seed library achieve?"]),
        ("Hvad var svært?", ["Hvad var svært?"]),
    ]


def test_matrix_cli_json_contract(knowledge_cli, casebase):
    res = knowledge_cli("matrix", "E-sport=" + ESPORT.questions[0], "Seeds=" + SEEDS.questions[0], "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["themes"] == [{"name": "E-sport", "questions": ESPORT.questions}, {"name": "Seeds", "questions": SEEDS.questions}]
    assert len(out["interviews"]) == len(casebase.interviews())
    for iv in out["interviews"]:
        assert {"doc_id", "interviewee", "role", "organisation", "case", "cells"} <= set(iv)
        assert set(iv["cells"]) <= {"E-sport", "Seeds"}
    river = next(iv for iv in out["interviews"] if iv["doc_id"].startswith("riverside"))
    assert river["cells"].get("E-sport", []) == [] and river["cells"]["Seeds"][0]["quote"]
    assert {"quote", "doc_id", "chunk_id", "start", "end", "relevance", "status"} <= set(river["cells"]["Seeds"][0])


def test_matrix_cli_text_says_what_was_found(knowledge_cli, casebase):
    res = knowledge_cli("matrix", "E-sport=" + ESPORT.questions[0])
    assert res.exit_code == 0, res.output
    assert "## E-sport  (1 of 3 interviews)" in res.output
    assert "nothing on it" not in res.output
    m = casebase.matrix([ESPORT])
    # every interview without a quote is either a weaker match to review or "no match found"
    for row in m.silent("E-sport"):
        who = row.interviewee or row.doc_id
        if row.possible.get("E-sport"):
            assert who in res.output.split("weaker matches there")[1]
        else:
            assert who in res.output.split("no match found: ")[1].splitlines()[0]


def test_matrix_cli_writes_csv_and_xlsx(knowledge_cli, tmp_path: Path):
    out_csv, out_xlsx = tmp_path / "m.csv", tmp_path / "m.xlsx"
    res = knowledge_cli("matrix", "Seeds=" + SEEDS.questions[0], "--csv", str(out_csv), "--xlsx", str(out_xlsx))
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text(encoding="utf-8-sig"))))
    assert rows and all(r["theme"] == "Seeds" and r["quote"] and r["file"] for r in rows)
    from openpyxl import load_workbook

    wb = load_workbook(out_xlsx)
    assert wb.sheetnames == ["Matrix", "Quotes"]
    assert [c.value for c in wb["Matrix"][1]][-1] == "Seeds" and wb["Quotes"].max_row == len(rows) + 1


def test_export_cli_writes_every_format(knowledge_cli, casebase, tmp_path: Path):
    assert knowledge_cli("themes", "add", "Frø", "--question", SEEDS.questions[0], "--question", ESPORT.questions[0]).exit_code == 0
    quote = casebase.find("seeds", mode="words").sources[0]
    assert knowledge_cli("themes", "code", "Frø", quote.chunk_id).exit_code == 0
    outs = {ext: tmp_path / f"export.{ext}" for ext in ("qdpx", "qdc", "csv", "md", "xlsx")}
    res = knowledge_cli("export", "--qdpx", str(outs["qdpx"]), "--qdc", str(outs["qdc"]), "--csv", str(outs["csv"]),
                 "--markdown", str(outs["md"]), "--xlsx", str(outs["xlsx"]))
    assert res.exit_code == 0, res.output
    assert "1 theme(s), 1 coded quote(s)" in res.output
    with zipfile.ZipFile(outs["qdpx"]) as zf:
        assert "project.qde" in zf.namelist() and any(n.startswith("sources/") and n.endswith(".txt") for n in zf.namelist())
        assert "Frø" in zf.read("project.qde").decode("utf-8")
    assert "Frø" in outs["qdc"].read_text(encoding="utf-8")
    assert quote.quote in outs["md"].read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(outs["csv"].read_text(encoding="utf-8-sig"))))
    assert [(r["theme"], r["status"], r["quote"]) for r in rows] == [("Frø", "accepted", quote.quote)]
    # --proposed adds the matrix's unreviewed quotes, marked as such
    res = knowledge_cli("export", "--csv", str(outs["csv"]), "--proposed")
    rows = list(csv.DictReader(io.StringIO(outs["csv"].read_text(encoding="utf-8-sig"))))
    assert res.exit_code == 0 and {r["status"] for r in rows} == {"accepted", "proposed"}


def test_export_cli_errors(knowledge_cli, tmp_path: Path):
    res = knowledge_cli("export", "--csv", str(tmp_path / "x.csv"))
    assert res.exit_code == 1 and "no themes to export" in res.output
    assert knowledge_cli("export").exit_code == 2


@pytest.mark.parametrize("cmd", [["matrix"], ["export"]])
def test_help(cmd):
    res = CliRunner().invoke(cli, [*cmd, "--help"])
    assert res.exit_code == 0 and "Usage:" in res.output


def test_weaker_matches_are_offered_only_for_empty_cells(casebase):
    theme = Theme("Svært", ["Hvad var svært i samarbejdet?"])
    m = casebase.matrix([theme])
    model = casebase.relevant(theme.questions[0])[0].model
    offered = [(r, r.possible["Svært"][0]) for r in m.rows if r.possible.get("Svært")]
    for r, c in offered:
        assert not r.cells.get("Svært") and c.status == "possible"
        assert model.floor_bar <= c.source.relevance < model.threshold
    # an interview with neither a quote nor a weaker match is "no match found": its best is below the floor
    for r in m.unmatched("Svært"):
        assert casebase.relevant(theme.questions[0], filters={"doc_id": r.doc_id})[0].relevance < model.floor_bar
    as_json = m.to_dict()["interviews"]
    assert all(set(iv["possible"]) <= {"Svært"} for iv in as_json)
    assert all(not iv["cells"].get(name) for iv in as_json for name in iv["possible"])


def test_export_an_ad_hoc_theme(knowledge_cli, tmp_path: Path):
    out = tmp_path / "adhoc.csv"
    res = knowledge_cli("export", "--csv", str(out), "--theme", "Kost=" + SEEDS.questions[0], "--proposed")
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows and {r["theme"] for r in rows} == {"Kost"} and {r["status"] for r in rows} == {"proposed"}


def test_the_grid_marks_coded_and_proposed_quotes(casebase):
    m = casebase.matrix([ESPORT])
    top = _row(m, "havnestad").cells["E-sport"][0]
    casebase.themes.add("E-sport", ESPORT.questions)
    casebase.themes.code("E-sport", top.source)
    m = casebase.matrix([ESPORT])
    _, grid = m.table()
    cell = next(g for g in grid if g["file"].startswith("havnestad"))["E-sport"]
    assert cell.startswith("\u2713 \u201c" + top.source.quote)
    _, coded = m.table(coded_only=True)
    assert all("(proposed)" not in row["E-sport"] for row in coded)
    assert next(g for g in coded if g["file"].startswith("havnestad"))["E-sport"].startswith("\u2713")
