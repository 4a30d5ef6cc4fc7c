"""An answer's sources are drawn only while their expander is open, a page of cards at a
time: in an archive an answer can cite hundreds of interviews, and every rerun of the chat
drew every card of every answer (ui/render.py)."""
from __future__ import annotations

import re

import pytest

from knowledge.settings import Settings
from tests.test_app import app_env, ask, filled, run_app  # noqa: F401 (fixtures)
from ui import render

CHALLENGES = "Hvad er de største udfordringer ved partnerskaber?"


def cards(at, prefix: str) -> list[str]:
    """The keys of the theme fields of the source cards drawn under answer ``prefix``."""
    return sorted(w.key for w in at.text_input if w.key and w.key.startswith(prefix) and w.key.endswith("-theme-new"))


def test_older_answers_draw_no_cards_until_opened(filled: Settings) -> None:
    at = run_app()
    ask(at, CHALLENGES)
    first = at.session_state["messages"][1]["answer"]
    assert len(cards(at, "m1-")) == len(first.sources) > 0
    ask(at, "Hvordan startede samarbejdet?")
    assert cards(at, "m1-") == []  # folded: nothing drawn
    assert cards(at, "m3-")  # the newest answer's sources are open
    folded = next(e for e in at.expander if e.label.startswith("Sources (") and not e.proto.expanded)
    at.session_state[folded.key] = True  # the user opens it
    at.run()
    assert len(cards(at, "m1-")) == len(first.sources)


def test_many_sources_come_a_page_at_a_time(filled: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "SOURCES_PAGE", 1)
    at = run_app()
    ask(at, CHALLENGES)
    n = len(at.session_state["messages"][1]["answer"].sources)
    assert n > 1
    assert len(cards(at, "m1-")) == 1
    more = at.button(key="m1-more")
    assert f"({n - 1} not shown)" in more.label
    more.click().run()
    assert len(cards(at, "m1-")) == 2


def test_a_new_chat_starts_with_one_page_of_sources(filled: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """"Show more" on an answer of the last chat does not carry over to the answer that
    takes its place in a new chat."""
    monkeypatch.setattr(render, "SOURCES_PAGE", 1)
    at = run_app()
    ask(at, CHALLENGES)
    at.button(key="m1-more").click().run()
    assert len(cards(at, "m1-")) == 2
    next(b for b in at.sidebar.button if b.label == "New chat").click().run()
    ask(at, CHALLENGES)
    assert len(cards(at, "m1-")) == 1


def _long_answer(monkeypatch: pytest.MonkeyPatch, limit: str):
    """The app after one answer, with ``render.<limit>`` set to 10 characters: (app, the
    answer's head as cut there, the name of the last interview its rest quotes)."""
    monkeypatch.setattr(render, limit, 10)
    at = run_app()
    ask(at, CHALLENGES)
    answer = at.session_state["messages"][1]["answer"].answer
    head, rest = render.split_answer(answer, 10)
    assert head and rest and answer.startswith(head)  # a cut between paragraphs
    return at, head, re.findall(r"\*\*(.+?)\*\*", rest)[-1]


def test_a_long_older_answer_shows_its_head_and_the_rest_on_demand(filled: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    at, head, name = _long_answer(monkeypatch, "ANSWER_HEAD_CHARS")

    def drawn() -> str:  # the first answer's own text, as drawn
        return "\n".join(m.value for m in at.chat_message[1].markdown)

    assert name in drawn()  # the newest answer is drawn whole
    ask(at, "Hvordan startede samarbejdet?")
    assert head.split("\n")[0][:15] in drawn() and name not in drawn()
    rest_box = next(e for e in at.expander if e.label == "The rest of this answer")
    at.session_state[rest_box.key] = True
    at.run()
    assert name in drawn()


def test_a_very_long_newest_answer_shows_its_head_and_the_rest_on_demand(filled: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    at, head, name = _long_answer(monkeypatch, "NEWEST_HEAD_CHARS")
    text = at.chat_message[1].markdown[0].value  # the answer's text as drawn (its source cards follow)
    assert head.split("\n")[0][:15] in text and name not in text
    rest_box = next(e for e in at.expander if e.label == "The rest of this answer")
    assert not rest_box.markdown  # drawn only when opened
    at.session_state[rest_box.key] = True
    at.run()
    rest_box = next(e for e in at.expander if e.label == "The rest of this answer")
    assert any(name in m.value for m in rest_box.markdown)


def test_split_answer_cuts_between_paragraphs() -> None:
    text = "lead\n\n**A** — x\n- q [1]\n\n**B** — y\n- q [2]"
    assert render.split_answer(text, 1000) == (text, "")
    assert render.split_answer(text, 3) == ("lead", "**A** — x\n- q [1]\n\n**B** — y\n- q [2]")
    assert render.split_answer("one paragraph only", 3) == ("one paragraph only", "")
