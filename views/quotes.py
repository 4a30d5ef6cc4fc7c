"""Quote finder: quotes that contain a word (in any form) or an exact phrase, or that
are about the same thing (the chat's hybrid search), as a table to scan, copy with
their citation, and export."""
from __future__ import annotations

from functools import partial
from typing import Any

import streamlit as st

from ui.controls import sidebar_filters
from ui.export import quotes_csv
from ui.page import has_interviews, open_page
from ui.render import show_error, source_card
from ui.state import AppError, call, interview_lookup
from ui.text import MATCH_CLOSE, MATCH_OPEN, escape_md, match_snippet
from ui.themes import ThemeAdder

RESULTS = "quotes-results"
MODES = {"auto": "Auto", "words": "Words", "phrase": "Phrase", "meaning": "Meaning"}
MODE_HELP = (
    "**Words**: quotes that contain every word, in any form (*frivillig* also finds *frivillige*). "
    "**Phrase**: quotes that contain the exact phrase. "
    "**Meaning**: quotes about the same thing, in Danish or English, even in other words. "
    "**Auto**: one or two words search by Words, a \"quoted phrase\" by Phrase, anything longer by Meaning."
)


def main() -> None:
    st.title("Quote finder", anchor=False)
    page = open_page("quotes-retry", facets=True)
    if page is None:
        return
    settings, svc, stats = page.settings, page.svc, page.stats

    filters = sidebar_filters(stats, page.facets, key="quotes")
    if not has_interviews(page):
        return

    with st.form("quote-search", border=False):
        q_col, m_col, k_col, b_col = st.columns([0.55, 0.15, 0.15, 0.15], vertical_alignment="bottom")
        query = q_col.text_input("Search quotes", placeholder='e.g. frivillige, "kop kaffe", expectations between partners')
        mode = m_col.selectbox("Match", list(MODES), format_func=MODES.__getitem__, key="quotes-mode", help=MODE_HELP)
        k = k_col.number_input("Results", min_value=5, max_value=100, value=20, step=5)
        b_col.form_submit_button("Search", type="primary", icon=":material/search:", width="stretch")

    query = (query or "").strip()
    if not query:
        st.caption(
            "Search in Danish or English. One or two words find every quote that contains them, in any form; "
            "a \u201cquoted phrase\u201d finds that exact phrase; a longer query finds quotes by meaning. "
            "Matching quotes appear as a table; select a row to read it in context and copy its citation."
        )
        return
    wanted = (query, mode, repr(sorted(filters.items())), int(k))
    cached = st.session_state.get(RESULTS)
    if not cached or cached[0] != wanted:
        try:
            with st.spinner("Searching…"):
                found = call(svc.find, query, mode=mode, k=int(k), filters=filters or None, settings=settings)
        except AppError as err:
            show_error(err)
            return
        st.session_state[RESULTS] = (wanted, found)
    else:
        found = cached[1]

    if not found.sources:
        if found.mode == "meaning":
            st.info("No quotes match. Try other words, or remove filters.", icon=":material/search_off:")
        else:
            how = "in any form" if found.mode == "words" else "as an exact phrase"
            what = escape_md(found.what("\u201c\u201d"))
            st.info(
                f"No quotes match: none contains {what} {how}. "
                "Try another word, the Meaning mode, or remove filters.",
                icon=":material/search_off:",
            )
        return
    show_table(found, svc, settings, stats)


def count_caption(found: Any) -> str:
    """What the table shows: how many quotes contain the words (all of them, not only
    those shown), or how many quotes a meaning search found."""
    if found.mode == "meaning":
        weak = sum(1 for s in found.sources if s.weak)
        tail = (f" · {weak} of them weak matches, which may not answer it (a chat answer would not quote them)"
                if weak else "")
        waiting = len(getattr(found, "not_yet_searchable", ()))
        if waiting:
            tail += (f" · {waiting} interview{' was' if waiting == 1 else 's were'} not yet searchable by meaning "
                     "(ingest in progress): word search already finds their quotes")
        return f"{len(found.sources)} quotes for \u201c{found.query}\u201d: the ones that answer first, by relevance, then the closest in meaning{tail}"
    line = found.count_line("\u201c\u201d") + (" in any form" if found.mode == "words" else "")
    shown = len(found.sources)
    return line + (f" · showing the best {shown}" if found.total > shown else ", best first")


MATCH_WIDTH = 300  # px: the words in their immediate context, for scanning
QUOTE_WIDTH = 560  # px: the quote is what people scan; the other columns can scroll into view
ROW_HEIGHT = 96  # px: four wrapped lines (Streamlit wraps cell text once a row is taller than 4rem)


def show_table(found: Any, svc: Any, settings: Any, stats: dict[str, Any]) -> None:
    hits = found.sources
    marks = found.highlights
    matched = found.mode in ("words", "phrase")
    # The table's hover toolbar sits over its top-right corner, so nothing clickable goes there:
    # the count above on the left, Export CSV below the table.
    st.caption(escape_md(count_caption(found)))
    rows = [
        {
            **({"Match": match_snippet(s.quote, m)} if matched else {}),
            # finding is not deciding: a meaning search shows its best quotes, each with how
            # strongly it matches, the weak ones said to be weak
            **({"Relevance": ("weak · " if s.weak else "") + f"{int(round(100 * s.relevance))}%"} if found.mode == "meaning" else {}),
            "Quote": s.quote,
            "Person": ", ".join(p for p in (s.said_by or f"({s.kind}) {s.interviewee}", s.role) if p),
            "Organisation": s.organisation,
            "Case": s.case,
            "Question": s.question,
            "File": s.doc_id,
        }
        for s, m in zip(hits, marks)
    ]
    # st.dataframe shows cells as plain text: interview content cannot inject markup here
    event = st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        # header + up to five rows (more scroll inside), so a selected quote's card below peeks into view
        height=38 + ROW_HEIGHT * min(len(rows), 5) + 2,
        row_height=ROW_HEIGHT,
        on_select="rerun",
        selection_mode="single-row",
        key="quotes-table",
        column_config={
            "Match": st.column_config.TextColumn(
                width=MATCH_WIDTH, help=f"Where the quote matched, the matched words set {MATCH_OPEN}like this{MATCH_CLOSE}"
            ),
            "Relevance": st.column_config.TextColumn(
                width="small", help="The calibrated chance that a quote so rated answers the question; weak ones are below "
                "the bar a chat answer uses"),
            "Quote": st.column_config.TextColumn(width=QUOTE_WIDTH),
            "Person": st.column_config.TextColumn(width="medium"),
            "Organisation": st.column_config.TextColumn(width="medium"),
            "Case": st.column_config.TextColumn(width="medium"),
            "Question": st.column_config.TextColumn(width="large"),
            "File": st.column_config.TextColumn(width="medium"),
        },
    )
    dl, hint = st.columns([0.2, 0.8], vertical_alignment="center")
    dl.download_button(
        "Export CSV",
        data=quotes_csv(hits),
        file_name="casebase-quotes.csv",
        mime="text/csv",
        icon=":material/download:",
        width="stretch",
    )
    selected = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    if not selected:
        hint.caption(":material/touch_app: Select a row to read the whole quote in its passage and copy its citation.")
        return
    s = hits[selected[0]]
    st.subheader("Selected quote", anchor=False)
    source_card(s, interview_lookup(svc, settings, stats)(s.doc_id), key=f"quote-{s.chunk_id}", marks=marks[selected[0]],
                actions=partial(ThemeAdder(svc), question=found.query))
    st.caption("Citation (use the copy button on the right):")
    st.code(s.citation(), language=None, wrap_lines=True)


main()
