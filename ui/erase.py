"""The Interviews page's "Erase this interview": a confirmation that names the interview,
then knowledge.erase (the same as ``python -m knowledge erase``) and its report."""
from __future__ import annotations

from typing import Any

import streamlit as st

from knowledge.settings import Settings
from ui.auth import editor_unlock
from ui.render import show_error
from ui.state import AppError, call, refresh_after_sync
from ui.text import escape_md

ERASED = "iv-erased"  # session_state: the last erasure's report, shown once on the next run
UI_LOCK_TIMEOUT = 5.0  # seconds: the page must not hang while a sync holds the store


def erase_section(settings: Settings, doc_id: str, summary: dict[str, Any]) -> None:
    who = str(summary.get("interviewee") or "").strip()
    with st.expander("Erase this interview", icon=":material/delete_forever:"):
        st.markdown(
            f"Removes **{escape_md(doc_id)}**{' (' + escape_md(who) + ')' if who else ''} from the case base for good: "
            "its quotes, vectors and parsed text, its codings and rejections in your themes, the pseudonyms of people "
            "no other interview names, and Casebase's copy of an uploaded file. The store is then rewritten so "
            "nothing of it is left on disk. A file you keep in the interviews folder is not deleted."
        )
        # erasing is an editor's act, like upload, resync and rebuild (ui/auth.py)
        if not editor_unlock(f"iv-erase-{doc_id}"):
            return
        typed = st.text_input(f"Type the file name, {doc_id}, to confirm", key=f"iv-erase-confirm-{doc_id}")
        if st.button("Erase for good", type="primary", icon=":material/delete_forever:", key=f"iv-erase-{doc_id}",
                     disabled=typed.strip() != doc_id):
            _erase(settings, doc_id)


def _erase(settings: Settings, doc_id: str) -> None:
    from knowledge.erase import erase_interview

    ui_settings = settings.model_copy(update={"lock_timeout": min(settings.lock_timeout, UI_LOCK_TIMEOUT)})
    try:
        with st.spinner(f"Erasing {doc_id} and rewriting the store…"):
            report = call(erase_interview, ui_settings, doc_id, settings=settings)
    except AppError as err:
        show_error(err)
        return
    refresh_after_sync(settings)  # every cached view of the store (and of this interview) goes
    st.session_state[ERASED] = report.to_dict() | {"summary": report.summary(), "rewritten": report.rewritten()}
    st.session_state.pop(f"iv-erase-confirm-{doc_id}", None)
    st.query_params.clear()
    st.rerun()


def show_erased() -> None:
    report = st.session_state.pop(ERASED, None)
    if not report:
        return
    st.success(escape_md(report["summary"]), icon=":material/delete_forever:")
    if report.get("rewritten"):
        st.caption(escape_md(report["rewritten"]))
    for note in report.get("notices") or []:
        st.warning(escape_md(note), icon=":material/warning:")
