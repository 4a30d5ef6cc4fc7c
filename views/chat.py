"""Ask: chat with the interviews. Every answer cites verbatim quotes; the sources sit
under it, each highlighted in its passage with a link into the full interview."""
from __future__ import annotations

from functools import partial
from typing import Any, Iterator

import streamlit as st

from knowledge.types import Answer
from ui.auth import EDIT_NOTE, can_edit
from ui.controls import answer_controls, sidebar_filters
from ui.export import conversation_markdown, describe_filters
from ui.page import open_page
from ui.render import render_answer, show_error
from ui.state import AppError, explain, interview_lookup, likely_has_interviews, messages, new_chat, remember_stats, warm_up
from ui.syncing import interview_files, sync_folder
from ui.text import escape_md
from ui.themes import ThemeAdder

EXAMPLES = [
    "What are the barriers to library partnerships?",
    "Hvad får bibliotekerne ud af partnerskaber?",
    "What should partners agree on before they start?",
]
PENDING = "chat-pending-question"  # a question picked from the examples, asked on this run
AVATARS = {"user": ":material/person:", "assistant": ":material/format_quote:"}


def main() -> None:
    # The chat box comes first when the store has interviews, as far as a cheap look can
    # tell: the user can type while the first visit loads the case base (seconds), and a
    # question sent meanwhile is answered as soon as it is loaded.
    early = likely_has_interviews()
    question = chat_box() if early else None
    page = open_page("chat-retry", facets=True, error_title="Casebase")
    if page is None:
        return
    settings, svc, stats = page.settings, page.svc, page.stats
    remember_stats(settings, stats)

    history = messages()
    with st.sidebar:
        # filled after this run's answer, so the export and "New chat" already include it
        # (no second run of the whole page just to update two buttons)
        conversation = st.container()
        filters = sidebar_filters(stats, page.facets, key="chat")
        mode, k = answer_controls(settings)

    if not stats.get("documents"):
        onboarding(settings)
        if question:
            st.info("The case base is empty: ingest the sample above, or upload interviews, then ask again.",
                    icon=":material/info:")
        return

    # read before the thread is drawn: with a question on its way, the previous answer
    # folds its sources at once (the chat box is pinned to the bottom wherever it is called)
    if not early:
        question = chat_box()
    question = (question or st.session_state.pop(PENDING, None) or "").strip()
    bodies = interview_lookup(svc, settings, stats)
    add_to_theme = ThemeAdder(svc)  # reads the theme names once per run, for every card
    if not history and not question:
        welcome(stats)
    for i, msg in enumerate(history):
        show_turn(msg, i, bodies, add_to_theme, last=i == len(history) - 1 and not question)
    if question:
        with st.chat_message("user", avatar=AVATARS["user"]):
            st.markdown(escape_md(question))
        with st.chat_message("assistant", avatar=AVATARS["assistant"]):
            answer = stream_answer(svc, settings, question, filters=filters, mode=mode, k=k, history=history)
            if answer is not None:
                # drawn in this same run, in place of the stream: the answer is complete in
                # the browser as soon as this run ends, not after a rerun of the whole page
                history += [{"role": "user", "content": question}, {"role": "assistant", "answer": answer, "filters": filters}]
                show_answer(history[-1], len(history) - 1, bodies, add_to_theme, last=True)
    conversation_controls(conversation, history)
    # last, with the page complete: the query model's first use costs a few hundred ms,
    # better spent now than on the first question
    warm_up(svc)


def chat_box() -> str | None:
    return st.chat_input("Ask about the interviews, in Danish or English")


def show_turn(msg: dict[str, Any], i: int, bodies: Any, add_to_theme: ThemeAdder, *, last: bool) -> None:
    with st.chat_message(msg["role"], avatar=AVATARS[msg["role"]]):
        if msg["role"] == "user":
            st.markdown(escape_md(msg["content"]))
        else:
            show_answer(msg, i, bodies, add_to_theme, last=last)


def show_answer(msg: dict[str, Any], i: int, bodies: Any, add_to_theme: ThemeAdder, *, last: bool) -> None:
    # the key follows the turn's place in the history, so its widgets keep their state
    # between the run that answered and the next; older answers fold their sources away
    render_answer(msg["answer"], bodies, key=f"m{i}", expanded=last,
                  actions=partial(add_to_theme, question=msg["answer"].question))
    if msg.get("filters"):
        st.caption(":material/filter_alt: " + escape_md(describe_filters(msg["filters"])))


def conversation_controls(where: Any, history: list[dict]) -> None:
    left, right = where.columns(2)
    left.button("New chat", icon=":material/add_comment:", on_click=new_chat, width="stretch", disabled=not history)
    right.download_button(
        "Export",
        data=conversation_markdown(history) if history else "",
        file_name="casebase-conversation.md",
        mime="text/markdown",
        icon=":material/download:",
        width="stretch",
        disabled=not history,
        help="The conversation as Markdown, with every citation and quote.",
    )


def stream_answer(svc: Any, settings: Any, question: str, **opts: Any) -> Answer | None:
    """Stream the answer's text as it is produced, then hand back the final Answer
    (which the caller renders with badges and sources in place of the raw stream)."""
    past = [
        {"role": m["role"], "content": m["content"] if m["role"] == "user" else m["answer"].answer}
        for m in opts.pop("history")
    ]
    final: list[Answer] = []

    def pieces() -> Iterator[str]:
        for piece in svc.ask_stream(question, history=past, **opts):
            if isinstance(piece, Answer):
                final.append(piece)
            elif piece:
                yield escape_md(str(piece))

    placeholder = st.empty()
    try:
        with st.spinner("Searching the interviews…", show_time=True):
            # not st.write_stream: it checks each piece for a dataframe, and that check
            # imports pandas (0.7 s) on the first answer of a server process
            text = ""
            for piece in pieces():
                text += piece
                placeholder.markdown(text)
    except AppError as err:
        placeholder.empty()
        show_error(err)
        return None
    except Exception as exc:
        placeholder.empty()
        show_error(explain(exc, settings))
        return None
    placeholder.empty()
    if not final:
        show_error(AppError("No answer came back", "The answer stream ended without a result.", ["Try asking again."]))
        return None
    return final[-1]


def welcome(stats: dict[str, Any]) -> None:
    st.title("Ask the interviews", anchor=False)
    n = stats.get("documents") or 0
    st.markdown(
        f"Questions in Danish or English are answered from **{n} interview{'s' if n != 1 else ''}**. "
        "Every claim cites a verbatim quote: who said it, in answer to which question, in which file."
    )
    st.caption("Try one of these:")
    for i, example in enumerate(EXAMPLES):
        # a callback, not `if st.button(...): st.rerun()`: the click's own run asks it
        st.button(example, key=f"example-{i}", icon=":material/arrow_forward:", type="tertiary",
                  on_click=st.session_state.__setitem__, args=(PENDING, example))


def onboarding(settings: Any) -> None:
    """An empty store: say so, and offer the bundled sample in one click."""
    st.title("Welcome to Casebase", anchor=False)
    st.markdown(
        "The case base is empty. Casebase answers questions from interview files "
        "(txt, md, docx, pdf, html) and cites the exact words of the people interviewed."
    )
    folder = settings.interviews_dir
    files = interview_files(folder)
    with st.container(border=True):
        st.markdown(f"**Start with the bundled interviews** ({len(files)} file{'s' if len(files) != 1 else ''})")
        st.caption(f"From {escape_md(str(folder))}")
        editing = can_edit()
        if st.button("Ingest the sample", type="primary", icon=":material/download:", disabled=not files or not editing,
                     key="ingest-sample", help=None if editing else EDIT_NOTE):
            try:
                report = sync_folder(settings)
            except AppError as err:
                show_error(err)
                return
            st.toast(f"Added {len(report.added)} interviews", icon=":material/check_circle:")
            st.rerun()
        if not files:
            st.caption("No interview files found there. Upload your own on the Ingest page.")
    st.page_link("views/ingest.py", label="Or upload your own interviews", icon=":material/upload_file:")


main()
