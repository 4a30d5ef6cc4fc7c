"""Streamlit pieces for themes: "Add to theme" on a source card, the forms that define
themes, a matrix cell's quotes with Accept / Reject, lost codings, the export buttons.

Every decision goes to ``Casebase.themes`` (knowledge/themes.py); nothing here decides
what a cell holds. Buttons act in callbacks, which never raise: a bad input (empty
name, a duplicate) is kept as a message for the form it came from, any other failure
as an AppError, and both are shown on the next run by ``show_problem``.
"""
from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path
from typing import Any, Callable

import streamlit as st

from knowledge.matrix import NOT_YET
from knowledge.types import Coding, Source, Theme
from ui.render import match_badge, open_link, show_error
from ui.state import AppError, current_settings, explain
from ui.text import escape_md, highlight_markdown

# what a matrix cell without a quote says (views/themes.py); here so tests can import them
# without running a page
NOTHING = "\u2014 no match found"
MAYBE = "\u2014 weaker match to review"  # the cell has no quote that answers, but offers its best weaker match
WAITING = "\u23f3 " + NOT_YET  # an ingest has not written the interview's vectors: unknown, not "no match"

PROBLEM = "themes-problem-"  # + slot: a message (str) or AppError waiting to be shown
MATRIX = "themes-matrix"  # the page's cached (key, Matrix); dropped after every decision
EXAMPLE_NAME = "Barrierer"
EXAMPLE_QUESTION = "Hvilke barrierer møder bibliotekerne?"


# -- errors -------------------------------------------------------------------------------
def as_app_error(exc: BaseException) -> AppError:
    from knowledge.themes import ThemeBookError

    if isinstance(exc, AppError):
        return exc
    if isinstance(exc, ThemeBookError):
        return AppError("The themes database cannot be used", " ".join(str(exc).split()),
                        ["Check CASEBASE_THEMES_DB (or the folder beside the store) exists and is writable.",
                         "Another program may hold the file locked: try again in a moment."])
    try:
        settings = current_settings()
    except AppError as err:
        return err
    return explain(exc, settings)


def read(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """A ThemeBook read for the page: any failure as an AppError to show."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        raise as_app_error(exc) from exc


def attempt(slot: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
    """Run a decision in a callback: (True, result), or (False, None) with the problem
    kept for ``show_problem(slot)``. A ValueError is the user's input: its message."""
    try:
        return True, fn(*args, **kwargs)
    except ValueError as exc:  # includes UnknownTheme
        text = " ".join(str(exc).split())
        st.session_state[PROBLEM + slot] = text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
    except Exception as exc:
        st.session_state[PROBLEM + slot] = as_app_error(exc)
    return False, None


def show_problem(slot: str) -> None:
    problem = st.session_state.pop(PROBLEM + slot, None)
    if isinstance(problem, AppError):
        show_error(problem)
    elif problem:
        st.error(escape_md(problem), icon=":material/error:")


def _changed() -> None:
    st.session_state.pop(MATRIX, None)


def lines(text: str | None) -> list[str]:
    return [line.strip() for line in str(text or "").splitlines() if line.strip()]


# -- "Add to theme" on a source card ------------------------------------------------------
class ThemeAdder:
    """The card control: a popover listing the saved themes (read once per page run,
    and only when the themes file exists, so showing cards never creates it) with a way
    to make a new theme whose question is the chat question or search query."""

    def __init__(self, svc: Any) -> None:
        self.svc = svc
        self._names: list[str] | None = None

    def names(self) -> list[str]:
        if self._names is None:
            try:
                self._names = [t.name for t in self.svc.saved_themes()]
            except Exception:  # a card must render even when the themes file cannot be read
                self._names = []
        return self._names

    def __call__(self, s: Source, key: str, question: str = "") -> None:
        with st.popover("Add to theme", icon=":material/new_label:", type="tertiary",
                        help="Code this quote under a theme (see the Themes page)"):
            names = self.names()
            with st.form(f"{key}-theme", border=False):
                if names:
                    st.selectbox("Theme", names, index=None, placeholder="Choose a theme", key=f"{key}-theme-pick")
                st.text_input("…or a new theme" if names else "New theme", key=f"{key}-theme-new",
                              placeholder=f"e.g. {EXAMPLE_NAME}")
                if question.strip():
                    st.caption(f"A new theme searches for \u201c{escape_md(question.strip())}\u201d.")
                with st.container(horizontal=True, gap="small"):
                    st.form_submit_button("Add", type="primary", icon=":material/add:", key=f"{key}-theme-add",
                                          on_click=self._add, args=(s, key, question.strip()))
                    if names:
                        # a decision too: the matrix never proposes it for that theme again
                        st.form_submit_button("Not this theme", icon=":material/block:", key=f"{key}-theme-reject",
                                              on_click=self._reject, args=(s, key, question.strip()),
                                              help="Reject the quote for the chosen theme")
            show_problem(key)

    def _reject(self, s: Source, key: str, question: str) -> None:
        pick = st.session_state.get(f"{key}-theme-pick")
        if not pick:
            st.session_state[PROBLEM + key] = "Choose the theme this quote does not belong to."
            return
        ok, _ = attempt(key, lambda: self.svc.themes.reject(pick, s, found_by=question))
        if ok:
            _changed()
            st.toast(f"Rejected for **{escape_md(pick)}**: not proposed for it again", icon=":material/block:")

    def _add(self, s: Source, key: str, question: str) -> None:
        pick = st.session_state.get(f"{key}-theme-pick")
        new = (st.session_state.get(f"{key}-theme-new") or "").strip()
        if not pick and not new:
            st.session_state[PROBLEM + key] = "Choose a theme, or type the name of a new one."
            return

        def go() -> tuple[str, bool]:
            book = self.svc.themes
            name, created = str(pick or ""), False
            if new:
                known = book.get(new)
                if known is None:
                    book.add(new, [question or new])
                name, created = (known.name if known else new), known is None
            book.code(name, s, found_by=question)
            return name, created

        ok, got = attempt(key, go)
        if ok:
            name, created = got
            st.session_state[f"{key}-theme-new"] = ""
            _changed()
            st.toast(f"Added to **{escape_md(name)}**" + (" (new theme)" if created else ""), icon=":material/label:")


# -- defining themes ----------------------------------------------------------------------
def add_form(svc: Any, *, first: bool = False) -> None:
    """Name + one question per line; on success the inputs clear and the theme is listed."""
    with st.form("theme-add", border=True):
        st.markdown("**New theme**" if not first else "**Your first theme**")
        st.text_input("Name", key="theme-add-name", placeholder=f"e.g. {EXAMPLE_NAME}")
        st.text_area("Questions or search phrases, one per line (Danish or English)", key="theme-add-questions",
                     placeholder=f"e.g. {EXAMPLE_QUESTION}\nWhat gets in the way of partnerships?", height=100,
                     help="Each line is searched like a question in the chat; a quote answers the theme when it "
                          "answers any of them. Ask it in Danish and in English, and in the words the interviews "
                          "use: each wording finds interviews the others miss. Leave empty to search for the name itself.")
        st.form_submit_button("Add theme", type="primary", icon=":material/add:", key="theme-add-go",
                              on_click=_add_theme, args=(svc,))
    show_problem("theme-add")


def _add_theme(svc: Any) -> None:
    name = str(st.session_state.get("theme-add-name") or "").strip()
    questions = lines(st.session_state.get("theme-add-questions"))
    ok, theme = attempt("theme-add", lambda: svc.themes.add(name, questions or [name]))
    if ok:
        st.session_state["theme-add-name"] = ""
        st.session_state["theme-add-questions"] = ""
        _changed()
        st.toast(f"Theme **{escape_md(theme.name)}** added", icon=":material/check_circle:")


def theme_list(svc: Any, themes: list[Theme], counts: dict[str, dict[str, int]]) -> None:
    """Each saved theme: its questions and counts, a form to rename it or edit its
    questions, and Remove behind a confirmation."""
    for theme in themes:
        n = counts.get(theme.name, {})
        tally = f"{n.get('accepted', 0)} coded · {n.get('rejected', 0)} rejected"
        if n.get("lost"):
            tally += f" · {n['lost']} lost"
        with st.expander(f"**{escape_md(theme.name)}** · {len(theme.questions)} question(s) · {tally}",
                         icon=":material/label:"):
            slot = f"theme-edit-{theme.name}"
            with st.form(f"{slot}-form", border=False):
                st.text_input("Name", value=theme.name, key=f"{slot}-name")
                st.text_area("Questions, one per line", value="\n".join(theme.questions), key=f"{slot}-questions")
                st.form_submit_button("Save changes", icon=":material/save:", key=f"{slot}-go",
                                      on_click=_edit_theme, args=(svc, theme))
            show_problem(slot)
            with st.popover("Remove…", icon=":material/delete:", type="tertiary"):
                coded = n.get("accepted", 0) + n.get("rejected", 0)
                st.warning(f"Remove **{escape_md(theme.name)}** and its {coded} decision(s) on quotes? This cannot be undone.")
                st.button(f"Remove {escape_md(theme.name)}", type="primary", key=f"{slot}-remove",
                          on_click=_remove_theme, args=(svc, theme.name))


def _edit_theme(svc: Any, theme: Theme) -> None:
    slot = f"theme-edit-{theme.name}"
    name = str(st.session_state.get(f"{slot}-name") or "").strip()
    questions = lines(st.session_state.get(f"{slot}-questions"))

    def go() -> Theme:
        if not questions:
            raise ValueError("a theme needs at least one question or search phrase")
        current = theme
        if name != theme.name:
            current = svc.themes.rename(theme.name, name)
        if questions != current.questions:
            current = svc.themes.set_questions(current.name, questions)
        return current

    ok, saved = attempt(slot, go)
    if ok:
        _changed()
        st.toast(f"Theme **{escape_md(saved.name)}** saved", icon=":material/check_circle:")


def _remove_theme(svc: Any, name: str) -> None:
    ok, n = attempt("themes-page", svc.themes.remove, name)
    if ok:
        _changed()
        st.toast(f"Removed **{escape_md(name)}**" + (f" and {n} decision(s)" if n else ""), icon=":material/delete:")


# -- a matrix cell's quotes ---------------------------------------------------------------
def who(s: Source) -> str:
    name = s.said_by or (f"From the interview with {s.interviewee}" if s.interviewee else s.doc_id)
    return ", ".join(p for p in (name, s.role, s.organisation) if p)


def quote_card(svc: Any, c: Coding, *, key: str) -> None:
    """A quote in a cell: status, who said it, the interview question, match, the quote,
    and Open in interview / Accept / Reject (Undo for a coded one)."""
    s = c.source
    with st.container(border=True):
        status = {"accepted": ":green-badge[:material/check: coded]",
                  "possible": ":orange-badge[weaker match]"}.get(c.status, ":gray-badge[proposed]")
        st.markdown(f"{status} **{escape_md(who(s))}**" + (f" {match_badge(s.relevance)}" if s.relevance else ""))
        meta = []
        if s.case:
            meta.append(f":material/work: {escape_md(s.case)}")
        if s.question:
            meta.append(f":material/help: {f'Q{s.question_no}. ' if s.question_no else ''}{escape_md(s.question)}")
        if c.found_by:
            meta.append(f":material/search: found by \u201c{escape_md(c.found_by)}\u201d")
        if meta:
            st.caption("  \n".join(meta))
        st.markdown(highlight_markdown("", s.quote, ""))
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            st.caption(f":material/description: {escape_md(s.doc_id)}", width="stretch")
            open_link(st, s, key=key)
            if c.status != "accepted":
                st.button("Accept", key=f"{key}-accept", icon=":material/check:", type="primary",
                          on_click=_decide, args=(svc, "code", c), help="Code this quote under the theme")
            else:
                st.button("Undo", key=f"{key}-undo", icon=":material/undo:",
                          on_click=_decide, args=(svc, "unmark", c), help="Forget the decision: the quote may be proposed again")
            st.button("Reject", key=f"{key}-reject", icon=":material/close:",
                      on_click=_decide, args=(svc, "reject", c), help="Not about this theme: never propose it here again")


def _decide(svc: Any, action: str, c: Coding) -> None:
    book = svc.themes
    if action == "unmark":
        ok, _ = attempt("themes-cell", book.unmark, c.theme, c.source)
    else:
        ok, _ = attempt("themes-cell", getattr(book, action), c.theme, c.source, found_by=c.found_by)
    if ok:
        _changed()
        said = {"code": "Coded under", "reject": "Rejected for", "unmark": "Decision undone for"}[action]
        st.toast(f"{said} **{escape_md(c.theme)}**", icon=":material/check_circle:")


# -- lost codings -------------------------------------------------------------------------
def lost_codings(svc: Any, counts: dict[str, dict[str, int]]) -> None:
    """Coded quotes whose text is gone from their file: listed with a warning, never hidden."""
    if not any(n.get("lost") for n in counts.values()):
        return
    lost = [c for c in read(svc.themes.codings) if c.anchor == "lost"]
    if not lost:
        return
    st.warning(f"**{len(lost)} coded quote(s) are no longer in their interview file** (the file changed or was "
               "removed). They are kept, listed below and in the exports, but not placed in the matrix.",
               icon=":material/warning:")
    with st.expander(f"Quotes whose text is gone ({len(lost)})", icon=":material/link_off:"):
        for i, c in enumerate(lost):
            s = c.source
            st.markdown(f":orange-badge[{escape_md(c.theme)}] :gray-badge[{c.status}] **{escape_md(who(s))}** · "
                        f"{escape_md(s.doc_id)}  \n{escape_md(s.quote)}")
            st.button("Forget it", key=f"themes-lost-{i}", icon=":material/delete:", type="tertiary",
                      on_click=_decide, args=(svc, "unmark", c))
    show_problem("themes-cell")


# -- exports ------------------------------------------------------------------------------
EXPORTS = [  # kind, label, file name, mime
    ("qdpx", "REFI-QDA project", "casebase-themes.qdpx", "application/zip"),
    ("qdc", "Codebook", "casebase-codebook.qdc", "application/xml"),
    ("csv", "CSV", "casebase-themes.csv", "text/csv"),
    ("xlsx", "Excel", "casebase-themes.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("md", "Markdown report", "casebase-themes.md", "text/markdown"),
]


def export_bytes(svc: Any, kind: str, proposed: bool, pseudonymise: bool = False, organisations: bool = False) -> bytes:
    """One export of every saved theme, as the CLI's ``export`` writes it (with
    ``pseudonymise``, as ``export --pseudonymise[-organisations]`` does; ``kind="key"``:
    that export's key, a file of its own)."""
    from knowledge import pseudonymise as pseudo
    from knowledge import refi
    from knowledge.exports import QUOTE_COLUMNS, coding_row, csv_bytes, markdown_report, quotes_csv, xlsx_bytes
    from knowledge.theme_export import documents, export_set, not_yet_searchable, pending_notice

    themes, codings = export_set(svc, [], proposed)
    asked, docs, p = themes, None, None
    if pseudonymise or organisations or kind == "key":
        themes, codings, docs, p = pseudo.export_set(svc.settings.themes_path, themes, codings, documents(svc), organisations)
        if kind == "key":
            return pseudo.key_csv(p)
    if kind == "qdc":
        return refi.codebook_xml(themes)
    if kind == "qdpx":
        with tempfile.TemporaryDirectory() as tmp:
            path = refi.write_qdpx(Path(tmp) / "casebase.qdpx", themes, codings, docs or documents(svc), proposed=proposed)
            return path.read_bytes()
    if kind == "csv":
        return csv_bytes(quotes_csv(codings))
    if kind == "xlsx":
        cols, grid = svc.matrix(asked).table(coded_only=not proposed)
        if p is not None:
            cols, grid = [p.text(c) for c in cols], pseudo.rows(p, grid)
        return xlsx_bytes({"Quotes": ([coding_row(c) for c in codings], QUOTE_COLUMNS), "Matrix": (grid, cols)})
    if kind == "md":
        notice = pending_notice(len(not_yet_searchable(svc))) if proposed else ""
        return markdown_report(themes, codings, notice=notice).encode("utf-8")
    raise ValueError(f"unknown export {kind!r}")


def export_section(svc: Any, counts: dict[str, dict[str, int]]) -> None:
    coded = sum(n.get("accepted", 0) for n in counts.values())
    st.markdown(f"Every saved theme ({len(counts)}) with its **{coded} coded quote(s)**, from all interviews "
                "(the sidebar filters and the matrix's columns do not apply).")
    proposed = st.checkbox("Include proposed quotes nobody has reviewed yet", key="themes-export-proposed",
                           help="The matrix's proposals, marked as proposed in every file")
    pseudo = st.checkbox("Pseudonymise: every person becomes P01, P02, … (the same code in every export)",
                         key="themes-export-pseudo",
                         help="In the quotes, citations, case variables and interview texts; interview files become I01, …")
    orgs = st.checkbox("…and every organisation O01, O02, …", key="themes-export-pseudo-orgs", disabled=not pseudo)
    orgs = pseudo and orgs
    if proposed:
        from knowledge.theme_export import not_yet_searchable, pending_notice

        notice = pending_notice(len(read(not_yet_searchable, svc)))
        if notice:
            st.warning(notice, icon=":material/hourglass_top:")
    with st.container(horizontal=True, gap="small"):
        for kind, label, name, mime in EXPORTS:
            if pseudo:
                name = name.replace("casebase-", "casebase-pseudonymised-")
            # built when clicked, not on every rerun of the page
            st.download_button(label, data=partial(export_bytes, svc, kind, proposed, pseudo, orgs), file_name=name,
                               mime=mime, icon=":material/download:", key=f"themes-export-{kind}", on_click="ignore")
        if pseudo:
            st.download_button("Key (code → name)", data=lambda: export_bytes(svc, "key", proposed, pseudo, orgs),
                               file_name="casebase-pseudonymised.key.csv", mime="text/csv", icon=":material/key:",
                               key="themes-export-key", on_click="ignore")
    if pseudo:
        st.caption("The key is never inside an export: keep it apart, and share the export without it.")
    st.caption("The REFI-QDA project (.qdpx) opens in ATLAS.ti, MAXQDA, NVivo and QualCoder: the interviews, "
               "their cases, the themes as codes and the coded quotes. The codebook (.qdc) holds the themes alone. "
               "CSV and Excel have one quote per row with its citation; the Excel also has the matrix.")
