"""Interviews: browse what is in the case base (metadata, case description, questions
and answers as parsed, raw text), open one at a cited quote, and see which files
could not be read and why."""
from __future__ import annotations

from typing import Any

import streamlit as st

from ui.erase import erase_section, show_erased
from ui.page import open_page
from ui.render import show_error, show_stats
from ui.state import AppError, call, format_when, last_report
from ui.text import escape_md, highlight_markdown, passage_for

SELECT = "iv-select"


def main() -> None:
    st.title("Interviews", anchor=False)
    page = open_page("iv-retry")
    if page is None:
        return
    settings, svc = page.settings, page.svc
    show_stats(page.stats)
    try:
        interviews = call(svc.interviews, settings=settings)
    except AppError as err:
        show_error(err, retry_key="iv-retry")
        return

    show_failures(last_report(svc))
    show_erased()
    if not interviews:
        st.info("No interviews yet. Ingest the sample on the Ask page, or upload files on the Ingest page.")
        return

    by_id = {str(iv.get("doc_id")): iv for iv in interviews}
    ids = sorted(by_id, key=lambda d: (_label(by_id[d]).casefold(), d))
    wanted = st.query_params.get("doc")
    if wanted in by_id and st.session_state.get(SELECT) != wanted and st.query_params.get("at"):
        st.session_state[SELECT] = wanted  # arrived from a source card's link
    elif st.session_state.get(SELECT) not in by_id:
        st.session_state[SELECT] = wanted if wanted in by_id else ids[0]
    doc_id = st.selectbox(
        f"Interview ({len(ids)})",
        ids,
        key=SELECT,
        format_func=lambda d: f"{_label(by_id[d])}  ·  {d}",
        on_change=_forget_focus,
    )
    with st.expander("All interviews", icon=":material/table_rows:"):
        st.dataframe(
            [
                {
                    "Interviewee": iv.get("interviewee", ""),
                    "Role": iv.get("role", ""),
                    "Organisation": iv.get("organisation", ""),
                    "Case": iv.get("case", ""),
                    "Questions": iv.get("n_questions", ""),
                    "Quotes": iv.get("n_chunks", ""),
                    "File": iv.get("doc_id", ""),
                }
                for iv in (by_id[d] for d in ids)
            ],
            hide_index=True,
            width="stretch",
        )
    try:
        body = call(svc.interview, doc_id, settings=settings)
    except AppError as err:
        show_error(err)
        return
    if not body:
        st.warning("This interview is no longer in the store; it may have been removed by a sync.")
        return
    show_interview(body, by_id[doc_id], focus=_focus(doc_id))
    erase_section(settings, doc_id, by_id[doc_id])


def show_interview(body: dict[str, Any], summary: dict[str, Any], focus: tuple[int, int] | None) -> None:
    meta = {**summary, **(body.get("metadata") or {})}
    text = str(body.get("text") or "")
    name = meta.get("interviewee") or "Unknown interviewee"
    st.header(escape_md(name), anchor=False)
    line = " · ".join(escape_md(str(p)) for p in (meta.get("role"), meta.get("organisation")) if p)
    if line:
        st.markdown(line)
    facts = [
        f":material/work: {escape_md(str(meta['case']))}" if meta.get("case") else "",
        f":material/description: {escape_md(str(meta.get('doc_id') or body.get('doc_id') or ''))}",
        f":material/translate: {escape_md(str(meta.get('language') or '?'))}",
        f":material/schedule: ingested {format_when(meta.get('ingested_at'))}",
    ]
    st.caption(" · ".join(f for f in facts if f))
    warnings = body.get("warnings") or [w for w in str(meta.get("warnings") or "").split("; ") if w]
    for w in warnings:
        st.warning(escape_md(str(w)), icon=":material/warning:")

    if focus and text:
        start, end = focus
        passage = passage_for(body, start, end, text[start:end] if 0 <= start < end <= len(text) else "")
        if passage.found:
            with st.container(border=True):
                st.caption(":material/my_location: Opened at the cited passage")
                question = _question_at(body, start)
                if question:
                    st.markdown(f"**{escape_md(question)}**")
                st.markdown(highlight_markdown(passage.before, passage.quote, passage.after))

    qa = body.get("qa") or []
    tabs = st.tabs(["Questions & answers", "Case", "Raw text", "Metadata"])
    with tabs[0]:
        if qa:
            show_qa(qa, text, focus)
        elif body.get("paragraphs"):
            st.caption("No questions were recognised; the interview was read as paragraphs.")
            for p in body["paragraphs"]:
                st.markdown(_span_md(p, text, focus))
        else:
            st.caption("No questions or paragraphs were recognised in this file.")
    with tabs[1]:
        intro = body.get("intro")
        if intro:
            st.caption("Introduction")
            st.markdown(_span_md(intro, text, focus))
        case = body.get("case_description") or []
        if case:
            st.caption("Case description")
            for span in case:
                st.markdown(_span_md(span, text, focus))
        if not intro and not case:
            st.caption("No case description was found in this file.")
    with tabs[2]:
        st.caption("The text as extracted from the file; every quote is a verbatim piece of it.")
        st.code(text, language=None, wrap_lines=True, height=560 if len(text) > 4000 else "content")
    with tabs[3]:
        st.json({k: v for k, v in meta.items() if k not in ("extra",)}, expanded=True)


def show_qa(qa: list[dict[str, Any]], text: str, focus: tuple[int, int] | None) -> None:
    section = None
    for i, item in enumerate(qa, 1):
        if item.get("section") and item.get("section") != section:
            section = item["section"]
            st.subheader(escape_md(str(section)), anchor=False)
        number = item.get("number") or i
        st.markdown(f"**{number}\\. {escape_md(str(item.get('question') or ''))}**")
        answers = item.get("answers") or []
        if not answers:
            st.caption("No answer found for this question.")
        st.markdown("\n".join(f"- {_span_md(a, text, focus)}" for a in answers))


def _span_md(span: dict[str, Any], text: str, focus: tuple[int, int] | None) -> str:
    """A parsed span as Markdown, highlighted where it overlaps the focused quote."""
    raw = str(span.get("text") or "")
    content = raw.strip().lstrip("•‣◦-* ").strip()
    if focus and _overlaps(span, focus):
        return highlight_markdown("", content, "")
    return escape_md(content)


def _question_at(body: dict[str, Any], pos: int) -> str:
    """The question whose answer holds ``pos`` ("3. Hvad ..."), or ""."""
    for i, item in enumerate(body.get("qa") or [], 1):
        for a in item.get("answers") or []:
            if _overlaps(a, (pos, pos + 1)):
                return f"{item.get('number') or i}. {item.get('question') or ''}".strip()
    return ""


def _overlaps(span: dict[str, Any], focus: tuple[int, int]) -> bool:
    try:
        return int(span["start"]) < focus[1] and focus[0] < int(span["end"])
    except (KeyError, TypeError, ValueError):
        return False


def _focus(doc_id: str) -> tuple[int, int] | None:
    if st.query_params.get("doc") != doc_id:
        return None
    try:
        start, end = (int(x) for x in str(st.query_params.get("at", "")).split("-", 1))
        return (start, end) if 0 <= start < end else None
    except ValueError:
        return None


def _forget_focus() -> None:
    """Picking another interview by hand drops the quote we arrived at."""
    st.query_params.clear()
    st.query_params["doc"] = st.session_state.get(SELECT, "")


def _label(iv: dict[str, Any]) -> str:
    parts = [str(iv.get("interviewee") or "").strip(), str(iv.get("organisation") or "").strip()]
    return " — ".join(p for p in parts if p) or str(iv.get("doc_id"))


def show_failures(report: dict[str, Any] | None) -> None:
    failed = (report or {}).get("failed") or []
    if not failed:
        return
    with st.expander(f"{len(failed)} file(s) could not be read in the last sync", icon=":material/error:"):
        for f in failed:
            name = str(f.get("path", "")).replace("\\", "/").rsplit("/", 1)[-1] or "?"
            st.markdown(f"**{escape_md(name)}**  \n{escape_md(str(f.get('error', '')))}")


main()
