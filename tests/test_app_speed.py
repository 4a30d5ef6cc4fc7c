"""What the browser waits for on the Ask page: an answer is drawn in the run that asked
it (no second run of the whole page), and the chat box may come before the case base
is loaded only when the store looks non-empty."""
from __future__ import annotations

import pytest
import streamlit

from knowledge.settings import Settings
from tests.test_app import app_env, ask, expander_labels, filled, run_app  # noqa: F401 (fixtures)
from ui import state


def test_an_answer_is_drawn_in_the_run_that_asked_it(filled: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app()
    reruns: list[object] = []
    monkeypatch.setattr(streamlit, "rerun", lambda *a, **k: reruns.append(a))
    ask(at, "Hvad er de største udfordringer ved partnerskaber?")
    assert not reruns, "the page asked for a second run"
    assert any(label.startswith("Sources (") for label in expander_labels(at))
    # the sidebar's conversation controls already include this turn
    assert not at.sidebar.button[0].disabled  # "New chat"
    export = next(b for b in at.get("download_button") if b.proto.label == "Export")
    assert not export.proto.disabled


def test_an_example_question_is_answered_in_the_clicks_own_run(filled: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app()
    reruns: list[object] = []
    monkeypatch.setattr(streamlit, "rerun", lambda *a, **k: reruns.append(a))
    at.button(key="example-0").click().run()
    assert not reruns and len(at.chat_message) == 2


def test_the_early_chat_box_is_offered_only_for_a_store_that_looks_filled(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state, "_known_documents", {})
    settings = Settings(store=tmp_path / "store", chroma_host=None)
    assert not state.likely_has_interviews(settings)  # no database yet: onboarding, no chat box
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "chroma.sqlite3").write_bytes(b"")
    assert state.likely_has_interviews(settings)
    state.remember_stats(settings, {"documents": 0})  # loaded once and found empty
    assert not state.likely_has_interviews(settings)
    state.remember_stats(settings, {"documents": 3})
    assert state.likely_has_interviews(settings)
