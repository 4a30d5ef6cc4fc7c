"""Themes: define themes (a name and the questions that find it), see the theme matrix
(one row per interview, one column per theme, each cell its best quote or nothing),
accept or reject the quotes it proposes, and export the coded quotes."""
from __future__ import annotations

import json
from typing import Any

import streamlit as st

from knowledge.matrix import NOT_YET
from knowledge.types import Coding, Theme
from ui import themes as ut
from ui.controls import sidebar_filters
from ui.page import has_interviews, open_page
from ui.render import show_error
from ui.state import AppError, call
from ui.text import escape_md
from ui.themes import MAYBE, NOTHING, WAITING

GRID = "themes-grid"
COLUMNS = "themes-columns"
SORTS = {"organisation": "Organisation", "case": "Case", "interviewee": "Interviewee"}
# what was seen, never a claim about the interview: "no match found" is not "says nothing"
QUOTE_CHARS = 120  # a cell shows its best quote shortened to this
THEME_WIDTH = 270  # px
ROW_HEIGHT = 76  # px: three wrapped lines
SHOWN_ROWS = 10  # more scroll inside the grid


def main() -> None:
    st.title("Themes", anchor=False)
    page = open_page("themes-retry", facets=True)
    if page is None:
        return
    settings, svc, stats = page.settings, page.svc, page.stats
    filters = sidebar_filters(stats, page.facets, key="themes")
    if not has_interviews(page, ": themes are found in interviews"):
        return
    try:
        themes = ut.read(lambda: svc.themes.list())
        counts = ut.read(lambda: svc.themes.counts())
    except AppError as err:
        show_error(err, retry_key="themes-retry")
        return
    ut.show_problem("themes-page")
    if not themes:
        intro()
        ut.add_form(svc, first=True)
        return
    try:
        ut.lost_codings(svc, counts)
    except AppError as err:
        show_error(err)
    matrix_tab, define_tab, export_tab = st.tabs(["Matrix", "Define themes", "Export"])
    with matrix_tab:
        show_matrix(svc, settings, stats, themes, counts, filters)
    with define_tab:
        ut.add_form(svc)
        st.subheader(f"Saved themes ({len(themes)})", anchor=False)
        ut.theme_list(svc, themes, counts)
    with export_tab:
        ut.export_section(svc, counts)


def intro() -> None:
    st.markdown(
        "A **theme** is a topic you follow across the interviews: a name and the questions that find it, "
        "in Danish or English. The **matrix** then shows every interview as a row and every theme as a column: "
        "each cell holds the interview's best quote on the theme, a *weaker match to review*, or *no match found*. "
        "Accept or reject the quotes it proposes, and export the coded quotes to ATLAS.ti, MAXQDA, NVivo, "
        "Excel or a report."
    )
    st.caption(f"For example: **{ut.EXAMPLE_NAME}**, asked as \u201c{escape_md(ut.EXAMPLE_QUESTION)}\u201d. "
               "You can also add a quote to a theme from any source card on the Ask and Quote finder pages.")


def _keep_columns(names: list[str]) -> None:
    """Default every theme to a column; a theme added (or renamed) since the last run
    joins the columns, one the user took out stays out."""
    known = st.session_state.get("themes-known")
    if known != names:
        before = st.session_state.get(COLUMNS)
        st.session_state[COLUMNS] = names if before is None else [n for n in names if n in before or n not in (known or [])]
        st.session_state["themes-known"] = names


def show_matrix(svc: Any, settings: Any, stats: dict[str, Any], themes: list[Theme],
                counts: dict[str, dict[str, int]], filters: dict[str, list[str]]) -> None:
    names = [t.name for t in themes]
    _keep_columns(names)
    c1, c2, c3 = st.columns([0.45, 0.2, 0.35], vertical_alignment="bottom")
    chosen = c1.multiselect("Themes (columns)", names, key=COLUMNS, placeholder="Choose themes")
    sort = c2.selectbox("Sort rows by", list(SORTS), format_func=SORTS.__getitem__, key="themes-sort")
    if st.session_state.get("themes-only", "") not in ["", *chosen]:
        st.session_state["themes-only"] = ""
    only = c3.selectbox("Show", ["", *chosen], key="themes-only",
                        format_func=lambda n: f"Only interviews with no quote on {n}" if n else "All interviews")
    if not chosen:
        st.info("Choose at least one theme to see the matrix.", icon=":material/view_column:")
        return
    picked = [t for t in themes if t.name in chosen]
    m = cached_matrix(svc, settings, stats, picked, counts, filters)
    if m is None:
        return
    if not m.rows:
        st.info("No interview matches the filters in the sidebar.", icon=":material/filter_alt_off:")
        return
    rows = sorted(m.rows, key=lambda r: (str(getattr(r, sort)).casefold(), r.interviewee.casefold(), r.doc_id))
    if only:
        rows = [r for r in rows if not r.cells.get(only)]
    silent = " · ".join(f"{escape_md(t.name)} {len(m.silent(t.name))} ({len(m.unmatched(t.name))} no match)" for t in picked)
    shown = f"showing {len(rows)} with no quote on {escape_md(only)} · " if only else ""
    waiting = m.not_yet_searchable()
    if waiting:
        st.warning(f"An ingest is still writing vectors: **{len(waiting)} of {len(m.rows)} interviews are not yet "
                   f"searchable by meaning**. Their cells without a quote say \u201c{NOT_YET}\u201d: unknown, not "
                   "\u201cno match found\u201d. The matrix fills them in when the ingest is done.",
                   icon=":material/hourglass_top:")
    st.caption(f"{len(m.rows)} interviews · {shown}matrix built in {m.seconds:.2f} s · "
               f"interviews without a quote per theme (of them, no match found): {silent}"
               + (f" · not yet searchable: {len(waiting)}" if waiting else ""))
    if not rows:
        st.success(f"Every interview says something on {escape_md(only)}.", icon=":material/check_circle:")
        return

    view = json.dumps([chosen, sort, only, filters], sort_keys=True)
    if st.session_state.get("themes-view") != view:  # a selection points into the rows as they were
        if GRID in st.session_state:
            st.session_state[GRID] = {"selection": {"rows": [], "columns": [], "cells": []}}
        st.session_state["themes-view"] = view
    event = st.dataframe(
        grid_rows(rows, picked), key=GRID, on_select="rerun", selection_mode="single-cell", hide_index=True,
        width="stretch", row_height=ROW_HEIGHT, height=38 + ROW_HEIGHT * min(len(rows), SHOWN_ROWS) + 2,
        column_config=grid_columns(picked),
    )
    cells = list(getattr(getattr(event, "selection", None), "cells", []) or [])
    if not cells or not (0 <= int(cells[0][0]) < len(rows)):
        st.caption(":material/touch_app: Select a cell to read its quotes and accept or reject them; "
                   "select a person to see all of their cells. \u2713 marks a quote you coded.")
        return
    row, column = rows[int(cells[0][0])], str(cells[0][1])
    wanted = [picked[int(column[1:])]] if column.startswith("t") and column[1:].isdigit() else picked
    ut.show_problem("themes-cell")
    for t in wanted:
        show_cell(svc, row, t)


def cached_matrix(svc: Any, settings: Any, stats: dict[str, Any], picked: list[Theme],
                  counts: dict[str, dict[str, int]], filters: dict[str, list[str]]) -> Any:
    """The matrix, built once per (themes, filters, store version, decisions): reruns
    (a selection, a sort) reuse it; a decision or a sync rebuilds it."""
    key = json.dumps([[(t.name, t.questions) for t in picked], filters, stats.get("version"),
                      stats.get("last_sync"), counts], sort_keys=True, default=str)
    cached = st.session_state.get(ut.MATRIX)
    if cached and cached[0] == key:
        return cached[1]
    try:
        with st.spinner("Building the matrix…"):
            m = call(svc.matrix, picked, filters=filters or None, settings=settings)
    except AppError as err:
        show_error(err)
        return None
    st.session_state[ut.MATRIX] = (key, m)
    return m


def cell_text(codings: list[Coding], possible: list[Coding] | None = None, waiting: bool = False) -> str:
    """A cell as the grid shows it: its best quote, shortened, or that there is nothing
    (and whether a weaker match waits for review), or, for an interview meaning search
    cannot see yet, that it is not known."""
    if not codings:
        return WAITING if waiting else MAYBE if possible else NOTHING
    quote = " ".join(codings[0].source.quote.split())
    if len(quote) > QUOTE_CHARS:
        quote = quote[: QUOTE_CHARS - 1].rstrip() + "\u2026"
    mark = "\u2713 " if codings[0].status == "accepted" else ""
    more = f"  (+{len(codings) - 1})" if len(codings) > 1 else ""
    return f"{mark}\u201c{quote}\u201d{more}"


def grid_rows(rows: list[Any], picked: list[Theme]) -> list[dict[str, str]]:
    # theme columns are keyed by position: a theme may be named "Case" or "who"
    return [{"who": r.interviewee or r.doc_id, "role": r.role, "org": r.organisation, "case": r.case,
             **{f"t{i}": cell_text(r.cells.get(t.name, []), r.possible.get(t.name), r.waiting)
                for i, t in enumerate(picked)}}
            for r in rows]


def grid_columns(picked: list[Theme]) -> dict[str, Any]:
    tc = st.column_config.TextColumn
    # the themes are what is read: who is who stays narrow (and in view when many themes scroll)
    config: dict[str, Any] = {"who": tc("Person", width=140, pinned=len(picked) > 2), "role": tc("Role", width=100),
                              "org": tc("Organisation", width=130), "case": tc("Case", width=120)}
    for i, t in enumerate(picked):
        config[f"t{i}"] = tc(t.name, width=THEME_WIDTH, help="Asked as: " + " | ".join(escape_md(q) for q in t.questions))
    return config


def show_cell(svc: Any, row: Any, theme: Theme) -> None:
    person = ", ".join(p for p in (row.interviewee or row.doc_id, row.organisation) if p)
    st.subheader(f"{escape_md(theme.name)} · {escape_md(person)}", anchor=False)
    codings = row.cells.get(theme.name, [])
    if not codings and row.waiting:
        st.warning(f"{escape_md(person)} is {NOT_YET}: meaning search cannot see this interview until an ingest has "
                   "written its vectors, so the matrix cannot say yet whether it speaks to "
                   f"{escape_md(theme.name)}. Word search already finds its text.", icon=":material/hourglass_top:")
    elif not codings:
        st.info(f"No quote of {escape_md(person)} is relevant enough to answer {escape_md(theme.name)} "
                "(quotes you rejected are not proposed again). That is what the search saw, not proof that the "
                "interview is silent on it: read the weaker match, or open the interview.", icon=":material/search_off:")
        codings = row.possible.get(theme.name, [])
        if codings:
            st.caption(":material/help_outline: Its best weaker match, for you to judge: it may not be about the "
                       "theme and is not counted as the interview's answer unless you accept it.")
    for j, c in enumerate(codings):
        ut.quote_card(svc, c, key=f"cell-{theme.name}-{row.doc_id}-{c.source.start}-{c.source.end}-{j}")


main()
