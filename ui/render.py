"""Streamlit rendering shared by the pages: answers, source cards, errors.

Interview content only ever reaches the screen through ``ui.text`` (escaped
Markdown) or through elements that show plain text (st.code, st.text,
st.dataframe); never through ``unsafe_allow_html``.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Sequence

import streamlit as st

from knowledge.types import Answer, Source
from ui.state import SOURCE_PAGES, AppError, forget_casebase, format_when
from ui.text import answer_markdown, escape_md, highlight_markdown, passage_for

INTERVIEWS_PAGE = "views/interviews.py"

BodyLookup = Callable[[str], "dict[str, Any] | None"]
# extra controls in a card's bottom row, called with (source, card key): "Add to theme"
CardActions = Callable[[Source, str], None]


def show_error(err: AppError, *, retry_key: str | None = None) -> None:
    """A failure as the user should see it: what broke, the message, what to check."""
    with st.container(border=True):
        st.error(f"**{escape_md(err.title)}**  \n{_with_code(err.detail)}", icon=":material/error:")
        if err.hints:
            st.markdown("**What to check**\n\n" + "\n".join(f"- {_with_code(h)}" for h in err.hints))
        if retry_key and st.button("Retry", key=retry_key, icon=":material/refresh:"):
            forget_casebase()
            st.rerun()


def _with_code(text: str) -> str:
    """Escaped text in which `backticked` commands show as code (code spans render literally)."""
    return re.sub(r"\\`(.+?)\\`", lambda m: "`" + re.sub(r"\\(.)", r"\1", m.group(1)).replace("`", "") + "`", escape_md(text))


# under a refusal, in the language the refusal itself is in
REFUSAL_HINT = {
    "en": "Nothing in the interviews was close enough to cite. Try other words (Danish or English both work), "
          "remove filters, or look through the Quote finder.",
    "da": "Intet i interviewene var tæt nok på til at blive citeret. Prøv med andre ord (dansk og engelsk virker "
          "begge), fjern filtre, eller søg i Quote finder.",
}


def render_answer(answer: Answer, bodies: BodyLookup, *, key: str, expanded: bool = True,
                  actions: CardActions | None = None) -> None:
    """An assistant turn: the answer text with citation badges, its notices, then its sources."""
    if answer.notice:
        st.warning(escape_md(answer.notice), icon=":material/info:")
    if answer.refused:
        st.info(escape_md(answer.answer or "No passage in the interviews answers this."), icon=":material/search_off:")
        st.caption(REFUSAL_HINT.get(answer.language, REFUSAL_HINT["en"]))
        return
    head, rest = split_answer(answer.answer, NEWEST_HEAD_CHARS if expanded else ANSWER_HEAD_CHARS)
    st.markdown(answer_markdown(head))
    if rest:
        box = _lazy_expander("The rest of this answer", key=f"{key}-rest", expanded=False, icon=":material/unfold_more:")
        if box.open:
            with box:
                st.markdown(answer_markdown(rest))
    if answer.flagged:
        with st.expander(f"{len(answer.flagged)} statement(s) removed: no source supported them", icon=":material/flag:"):
            for item in answer.flagged:
                st.caption(escape_md(item))
    if answer.sources:
        render_sources(answer.sources, bodies, key=key, expanded=expanded, actions=actions)
    if answer.weak:
        # offered apart and labelled: these may not answer the question, so they are never in the answer
        shown = len(answer.weak)
        count = f"{shown} of {answer.weaker}, the strongest" if answer.weaker > shown else f"{shown}"
        box = _lazy_expander(f"Weaker matches ({count}): may not answer the question", key=f"{key}-weak",
                             expanded=False, icon=":material/help_outline:")
        if box.open:
            with box:
                _cards(answer.weak, bodies, key=f"{key}-weak", actions=actions)


SOURCES_PAGE = 20  # source cards drawn at first, and per "Show more"
# an older answer longer than this (about 20 interviews' quotes) shows its head, the rest on
# demand: in an archive an answer quoting 92 of 200 interviews is 30 kB of Markdown, and the
# chat draws every earlier answer again on every rerun. Answers on a small case base stay whole
ANSWER_HEAD_CHARS = 6000
# the newest answer too, past this: an answer quoting 133 of 200 interviews is 155 kB of
# Markdown, which took 1.1 s from Enter to its sources in the browser (`python -m bench.ui
# --store`, 200 generated interviews, real vectors) and grows with the archive. Its first
# line says how many interviews answer; the sample's longest answers (~5 kB) stay whole
NEWEST_HEAD_CHARS = 12000


def split_answer(text: str, limit: int) -> tuple[str, str]:
    """(head, rest) of an answer's text, cut between paragraphs once the head passes
    ``limit`` characters (an interview's block of quotes is one paragraph)."""
    paragraphs = str(text).split("\n\n")
    size = 0
    for i, p in enumerate(paragraphs):
        size += len(p) + 2
        if size > limit and i + 1 < len(paragraphs):
            return "\n\n".join(paragraphs[: i + 1]), "\n\n".join(paragraphs[i + 1:])
    return str(text), ""


def render_sources(sources: list[Source], bodies: BodyLookup, *, key: str, expanded: bool = True,
                   actions: CardActions | None = None) -> None:
    """The answer's sources as cards, in an expander that draws them only while it is open,
    ``SOURCES_PAGE`` at a time. In an archive of 1,000 interviews an answer can cite 237 of
    them: drawn whole, in every answer of the chat, on every rerun, that took 4 s in the
    browser for each new question."""
    box = _lazy_expander(f"Sources ({len(sources)})", key=f"{key}-sources", expanded=expanded,
                         icon=":material/format_quote:")
    if box.open:
        with box:
            _cards(sources, bodies, key=key, actions=actions)


def _lazy_expander(label: str, *, key: str, expanded: bool, icon: str) -> Any:
    # the key names the initial state too: an answer's open sources fold away when it is no
    # longer the newest (a new widget), and stay as the user left them after that
    return st.expander(label, expanded=expanded, icon=icon, key=f"{key}-{'open' if expanded else 'folded'}",
                       on_change="rerun")


def _cards(sources: Sequence[Source], bodies: BodyLookup, *, key: str, actions: CardActions | None) -> None:
    shown = st.session_state.get(SOURCE_PAGES, {}).get(key, SOURCES_PAGE)
    for i, s in enumerate(sources[:shown]):
        source_card(s, bodies(s.doc_id), key=f"{key}-{s.n or i}", actions=actions)  # a citation keeps its number
    rest = len(sources) - shown
    if rest > 0:
        st.button(f"Show {min(rest, SOURCES_PAGE)} more ({rest} not shown)", key=f"{key}-more", icon=":material/expand_more:",
                  on_click=_show_more, args=(key, shown + SOURCES_PAGE))


def _show_more(key: str, n: int) -> None:
    st.session_state.setdefault(SOURCE_PAGES, {})[key] = n


def source_card(s: Source, body: dict[str, Any] | None, *, key: str, marks: Sequence[tuple[int, int]] = (),
                actions: CardActions | None = None) -> None:
    """One cited quote: who said it, in answer to what, highlighted in its passage,
    with the way into the full interview and a copyable citation. ``marks``: spans of
    ``s.quote`` to set in bold (the words a quote finder search matched). ``actions``:
    more controls for the bottom row (``ui.themes.ThemeAdder``), given the card's key."""
    with st.container(border=True):
        # credit the speaker; text no interviewee said (an editor's case description) is
        # labelled as what it is, from whose interview
        if s.said_by:
            name = f"**{escape_md(s.said_by)}**"
        else:
            name = f"**{escape_md(_kind_label(s.kind))}**" + (f" · interview with {escape_md(s.interviewee)}" if s.interviewee else "")
        rest = " · ".join(escape_md(p) for p in (s.role, s.organisation) if p)
        badge = f"{_badge(s.n)} " if s.n else ""
        st.markdown(f"{badge}{name}" + (f" · {rest}" if rest else "") + (f" {match_badge(s.relevance)}" if s.relevance else ""))
        meta = []
        if s.case:
            meta.append(f":material/work: {escape_md(s.case)}")
        if s.question:
            number = f"Q{s.question_no}. " if s.question_no else ""
            meta.append(f":material/help: {number}{escape_md(s.question)}")
        elif s.kind and s.kind != "answer":
            meta.append(f":material/notes: {escape_md(_kind_label(s.kind))}")
        if meta:
            st.caption("  \n".join(meta))
        passage = passage_for(body, s.start, s.end, s.quote)
        if passage.found:
            # the marks are offsets into s.quote: only valid where the passage quotes it as is
            st.markdown(highlight_markdown(passage.before, passage.quote, passage.after, marks if passage.quote == s.quote else ()))
        else:
            st.markdown(highlight_markdown("", s.quote, "", marks))
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            st.caption(f":material/description: {escape_md(s.doc_id)}", width="stretch")
            open_link(st, s, key=key)
            with st.popover("Citation", icon=":material/content_copy:", type="tertiary", help="Copy the quote with who said it, where"):
                st.code(s.citation(), language=None, wrap_lines=True)
            if actions is not None:
                actions(s, key)


def open_link(container: Any, s: Source, *, key: str) -> None:
    """A link to the Interviews page at this quote. Query parameters (not session state)
    carry the target, so the link also works opened in a new tab or shared."""
    try:
        container.page_link(
            INTERVIEWS_PAGE,
            label="Open in interview",
            icon=":material/open_in_new:",
            query_params={"doc": s.doc_id, "at": f"{s.start}-{s.end}"},
        )
    except Exception:  # page not registered (e.g. a page rendered on its own in a test)
        container.caption("Open the Interviews page to read it in full.")


def _badge(n: int) -> str:
    return f":primary-badge[{int(n)}]"


def match_label(relevance: float) -> str:
    """How strongly a quote matches, in words a reader can weigh ("strong match · 86%")."""
    pct = int(round(100 * relevance))
    word = "strong" if relevance >= 0.75 else "good" if relevance >= 0.5 else "weak"
    return f"{word} match · {pct}%"


def match_badge(relevance: float) -> str:
    colour = "green" if relevance >= 0.75 else "blue" if relevance >= 0.5 else "gray"
    return f":{colour}-badge[{match_label(relevance)}]"


def _kind_label(kind: str) -> str:
    return {"case": "Case description", "intro": "Introduction", "paragraph": "Passage"}.get(kind, kind.title())


def show_stats(stats: dict[str, Any]) -> None:
    """What is in the store, in the sidebar: interviews, quotes, when it was last synced."""
    c1, c2 = st.sidebar.columns(2)
    c1.metric("Interviews", _int(stats.get("documents")))
    c2.metric("Quotes", _int(stats.get("chunks")), help="Quotable chunks: answer bullets, paragraphs, case descriptions.")
    st.sidebar.caption(f"Last sync: {format_when(stats.get('last_sync_ts') or stats.get('last_sync'))}")
    docs, searchable = stats.get("documents"), stats.get("searchable")
    if isinstance(docs, int) and isinstance(searchable, int) and searchable < docs:
        # a large first ingest writes text before vectors: say what chat can see so far
        from ingest.report import covers

        st.sidebar.info(f"Ingest in progress: {covers(searchable, docs)}; word and phrase search cover all.",
                        icon=":material/hourglass_top:")


def _int(value: Any) -> str:
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return "–"
