"""What every page starts with: the settings, the cached Casebase and what is in it,
or, when the case base cannot be opened, what broke and a Retry button."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from knowledge.settings import Settings
from ui.render import show_error
from ui.state import AppError, call, current_settings, get_casebase


@dataclass
class PageContext:
    settings: Settings
    svc: Any  # knowledge.service.Casebase
    stats: dict[str, Any]
    facets: dict[str, list[str]] = field(default_factory=dict)  # filter values; loaded on request


def open_page(retry_key: str, *, facets: bool = False, error_title: str | None = None) -> PageContext | None:
    """The page's context, or None after showing the error (under ``error_title``, for
    pages whose title depends on what loaded)."""
    try:
        settings = current_settings()
        svc = get_casebase(settings)
        with st.spinner("Loading the case base…"):  # the first visit to any page builds the search index
            stats = call(svc.stats, settings=settings)
            values = call(svc.facets, settings=settings) if facets and stats.get("documents") else {}
    except AppError as err:
        if error_title:
            st.title(error_title, anchor=False)
        show_error(err, retry_key=retry_key)
        return None
    return PageContext(settings, svc, stats, values)


def has_interviews(page: PageContext, why: str = "") -> bool:
    """False (after saying so, with a way to the Ingest page) when the case base is empty.
    ``why`` says what the page would need them for."""
    if page.stats.get("documents"):
        return True
    st.info(f"The case base is empty{why}. Ingest the sample on the Ask page, or upload interviews on the Ingest page.")
    st.page_link("views/ingest.py", label="Go to Ingest", icon=":material/upload_file:")
    return False
