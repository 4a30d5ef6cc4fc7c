"""Themes and coded quotes as files people open elsewhere: CSV, Excel, a Markdown report.

Plain functions returning text or bytes, so the Streamlit pages offer exactly what the
tests check. Rows are dicts and columns are named, so any table (the quotes of a theme,
the theme matrix) goes through the same CSV and Excel writers.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from knowledge.types import Coding, Source, Theme

QUOTE_COLUMNS = ["theme", "status", "quote", "said_by", "interviewee", "role", "organisation", "case",
                 "question", "found_by", "file", "start", "end", "relevance", "anchor"]
# spreadsheets run a cell starting with one of these as a formula (CSV injection)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_XLSX_CELL_MAX = 32767  # Excel refuses to open a workbook with a longer cell
_WIDE = 60  # a column whose values run longer is wrapped at this width
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


# -- rows ----------------------------------------------------------------------------------
def coding_row(c: Coding) -> dict[str, Any]:
    s = c.source
    return {
        "theme": c.theme, "status": c.status, "quote": s.quote, "said_by": s.said_by,
        "interviewee": s.interviewee, "role": s.role, "organisation": s.organisation, "case": s.case,
        "question": s.question, "found_by": c.found_by, "file": s.doc_id, "start": s.start, "end": s.end,
        "relevance": round(float(s.relevance), 3), "anchor": c.anchor,
    }


def quotes_csv(codings: Iterable[Coding]) -> str:
    """One row per coding, every status, with its full citation: the status column
    (and the spreadsheet's filter) lets the reader pick. Encode with ``csv_bytes``."""
    return rows_csv([coding_row(c) for c in codings], QUOTE_COLUMNS)


def quotes_xlsx(codings: Iterable[Coding]) -> bytes:
    return rows_xlsx([coding_row(c) for c in codings], QUOTE_COLUMNS, sheet="Quotes")


# -- CSV -------------------------------------------------------------------------------------
def rows_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Rows as CSV text (header first; keys not in ``columns`` are left out). A list in
    a cell (a matrix cell holding several quotes) becomes one cell, its items apart by
    blank lines. Cells that a spreadsheet would run as a formula get a leading "'"."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _defuse(_flat(row.get(k))) for k in columns})
    return buf.getvalue()


def csv_bytes(text: str) -> bytes:
    """CSV text as UTF-8 with a byte-order mark: Excel (what most people open a CSV in)
    then reads æøå as UTF-8 instead of guessing a code page; LibreOffice, pandas and
    Python's "utf-8-sig" skip the mark."""
    return text.encode("utf-8-sig")


def _defuse(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _flat(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "\n\n".join(str(_flat(v)) for v in value)
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


# -- Excel -------------------------------------------------------------------------------------
def rows_xlsx(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], sheet: str = "Matrix") -> bytes:
    return xlsx_bytes({sheet: (rows, columns)})


def write_xlsx(path: str | Path, sheets: Mapping[str, tuple[Iterable[Mapping[str, Any]], Sequence[str]]]) -> Path:
    """A workbook with one sheet per entry: name -> (rows, columns)."""
    path = Path(path)
    path.write_bytes(xlsx_bytes(sheets))
    return path


def xlsx_bytes(sheets: Mapping[str, tuple[Iterable[Mapping[str, Any]], Sequence[str]]]) -> bytes:
    """Each sheet with a bold, frozen header row and a filter on it, columns as wide as
    their content (up to a limit), and long text wrapped. Text is stored as text, never
    as a formula, so a quote is shown as said."""
    from openpyxl import Workbook  # only for Excel exports: keeps the app's start light
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for name, (rows, columns) in sheets.items():
        ws = wb.create_sheet(_sheet_name(name, used))
        columns = list(columns)
        ws.append(columns)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        longest = [len(str(c)) for c in columns]
        wrap = [False] * len(columns)
        for r, row in enumerate(rows, start=2):
            for i, key in enumerate(columns):
                value = _flat(row.get(key))
                if isinstance(value, str):
                    value = ILLEGAL_CHARACTERS_RE.sub("", value)
                    if len(value) > _XLSX_CELL_MAX:
                        value = value[: _XLSX_CELL_MAX - 1] + "\u2026"
                    lines = value.split("\n")
                    longest[i] = max(longest[i], *(len(line) for line in lines))
                    wrap[i] = wrap[i] or len(lines) > 1 or len(value) > _WIDE
                else:
                    longest[i] = max(longest[i], len(str(value)))
                cell = ws.cell(row=r, column=i + 1, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # openpyxl reads a leading "=" as a formula
        for i in range(len(columns)):
            letter = get_column_letter(i + 1)
            ws.column_dimensions[letter].width = min(max(longest[i], 6) + 2, _WIDE + 2)
            if wrap[i]:
                for (cell,) in ws.iter_rows(min_row=2, min_col=i + 1, max_col=i + 1):
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "A2"
        if columns:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(ws.max_row, 1)}"
    if not wb.worksheets:
        wb.create_sheet("Sheet")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sheet_name(name: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique regardless of case."""
    base = _SHEET_BAD.sub("_", str(name)).strip("'")[:31] or "Sheet"
    out, n = base, 1
    while out.lower() in used:
        n += 1
        out = f"{base[: 31 - len(str(n)) - 1]}_{n}"
    used.add(out.lower())
    return out


# -- Markdown ------------------------------------------------------------------------------------
def markdown_report(themes: Iterable[Theme], codings: Iterable[Coding], title: str = "Casebase themes",
                    proposed: bool = True, notice: str = "") -> str:
    """Per theme: the questions that find it, then its quotes grouped by interview, each
    with its citation. Rejected codings are left out; proposed ones (unless
    ``proposed`` is False) are marked as not reviewed; quotes whose text is gone from
    the interview are flagged, not hidden. ``notice``: said under the title (interviews
    not yet searchable, ``theme_export.pending_notice``)."""
    themes = list(themes)
    kept = [c for c in codings if c.status == "accepted" or (proposed and c.status == "proposed")]
    names = [t.name for t in themes]
    names += list(dict.fromkeys(c.theme for c in kept if c.theme not in names))
    questions = {t.name: t.questions for t in themes}
    n_docs = len({c.source.doc_id for c in kept})
    out = [f"# {_one_line(title)}", "",
           f"_{_n(len(names), 'theme')} \u00b7 {_n(len(kept), 'quote')} from {_n(n_docs, 'interview')}_", ""]
    if notice:
        out += [f"**\u26a0 {_one_line(notice)}**", ""]
    for name in dict.fromkeys(names):
        mine = [c for c in kept if c.theme == name]
        out += [f"## {_one_line(name)}", ""]
        if questions.get(name):
            out += ["Questions:", ""] + [f"- {_one_line(q)}" for q in questions[name]] + [""]
        if not mine:
            out += ["_No quotes yet._", ""]
            continue
        by_doc: dict[str, list[Coding]] = {}
        for c in mine:
            by_doc.setdefault(c.source.doc_id, []).append(c)
        for doc_id in sorted(by_doc, key=lambda d: (_interview(by_doc[d][0].source).lower(), d)):
            first = by_doc[doc_id][0].source
            out += [f"### {_interview(first)}", ""]
            facts = [f"Case: {first.case}" if first.case else "", f"File: {doc_id}"]
            out += ["  \n".join(f for f in facts if f), ""]
            for c in sorted(by_doc[doc_id], key=lambda c: (c.source.start, c.source.end)):
                out += _quote_block(c)
    return "\n".join(out).rstrip() + "\n"


def _quote_block(c: Coding) -> list[str]:
    s = c.source
    marks = []
    if c.anchor == "lost":
        marks.append("**\u26a0 Lost:** this text is no longer in the interview file")
    if c.status == "proposed":
        marks.append("_Proposed, not reviewed_")
    out = [" \u00b7 ".join(marks), ""] if marks else []
    out += [f"> {line}" if line.strip() else ">" for line in s.quote.strip().split("\n")]
    out.append("")
    said = f"\u2014 {_who(s)}" if s.said_by else f"From the interview with {_who(s)}"
    details = [said, f"Case: {s.case}" if s.case else "", f"Question: {_one_line(s.question)}" if s.question else "",
               f"File: {s.doc_id}", f"Found by: {_one_line(c.found_by)}" if c.found_by else ""]
    out += ["  \n".join(d for d in details if d), ""]
    return out


def _interview(s: Source) -> str:
    return ", ".join(p for p in (s.interviewee or s.doc_id, s.role, s.organisation) if p)


def _who(s: Source) -> str:
    return ", ".join(p for p in (s.said_by or s.interviewee, s.role, s.organisation) if p) or "Unknown speaker"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
