"""Sidebar controls shared by the chat and the quote finder: filters, answer mode, k."""
from __future__ import annotations

from typing import Any

import streamlit as st

from knowledge.llm import llm_enabled
from knowledge.settings import Settings
from ui.render import show_stats

FILTER_LABELS = {"organisation": "Organisation", "interviewee": "Interviewee", "case": "Case"}


def sidebar_filters(stats: dict[str, Any], facets: dict[str, list[str]], *, key: str) -> dict[str, list[str]]:
    """The searching pages' sidebar: what is in the store, then the filters."""
    show_stats(stats)
    st.sidebar.divider()
    if facets:
        st.sidebar.subheader("Filters", anchor=False)
    return filter_widgets(facets, key=key)


def filter_widgets(facets: dict[str, list[str]], *, key: str) -> dict[str, list[str]]:
    """Multiselects for organisation, interviewee and case; AND across, OR within."""
    chosen: dict[str, list[str]] = {}
    for field, label in FILTER_LABELS.items():
        values = facets.get(field) or facets.get(field + "s") or []  # the facade says "organisations"
        options = sorted({str(v) for v in values if str(v).strip()}, key=str.casefold)
        if not options:
            continue
        picked = st.sidebar.multiselect(label, options, key=f"{key}-{field}", placeholder=f"All {label.lower()}s")
        if picked:
            chosen[field] = picked
    return chosen


def llm_name(settings: Settings) -> str:
    """The configured chat model as "model (backend)", or "" when answers are extractive only."""
    if not llm_enabled(settings):
        return ""
    spec = settings.llm.strip()
    backend, _, model = spec.partition(":")
    return f"{model} ({backend})" if model else spec


def answer_controls(settings: Settings, *, key: str = "chat") -> tuple[str, int | None]:
    """Answer mode and the most quotes an answer may cite, in the sidebar."""
    side = st.sidebar
    model = llm_name(settings)
    if model:
        options = {"extractive": "Quotes only (extractive)", "llm": f"Written answer · {model}"}
        mode = side.radio(
            "Answer mode",
            list(options),
            format_func=options.__getitem__,
            key=f"{key}-mode",
            help="Extractive answers are built only from verbatim quotes. The LLM writes a summary; "
            "every citation it makes is checked against the quotes, and it falls back to quotes if unreachable.",
        )
    else:
        mode = "extractive"
        side.caption(
            ":material/format_quote: Answers are built from verbatim quotes. "
            "Set `CASEBASE_LLM` (e.g. `ollama:llama3.1`) for written answers."
        )
    k = side.number_input(
        "Most quotes per answer", min_value=1, max_value=100, value=None, step=1, key=f"{key}-k",
        placeholder="all relevant quotes",
        help="Empty: every interview with a relevant answer is quoted. A number caps the quotes.",
    )
    return str(mode), (int(k) if k else None)
