"""What an answer shows per interview (knowledge/decide.py) and the word evidence that
keeps an answerable question from being refused (knowledge/evidence.py)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from knowledge.decide import Bars, decide
from knowledge.evidence import Evidence, evidence, name_spans

BARS = Bars(accept=0.5, answer=0.5, extra=0.7, floor=0.05)


def _corpus(docs: list[str]):
    """What ``decide`` reads of a snapshot: each row's interview (and its code) and text."""
    return SimpleNamespace(columns={"doc_id": np.array(docs, dtype=object)},
                           doc_codes=np.unique(np.array(docs, dtype=str), return_inverse=True)[1],
                           texts=[f"quote {i} of {d}" for i, d in enumerate(docs)])


def _run(docs, rel, bars=BARS, ev=None, **kw):
    rel = np.asarray(rel, float)
    return decide(_corpus(docs), np.ones(len(docs), bool), rel, rel.copy(), bars, ev, **kw)


def test_each_interview_answers_with_its_best_quote_then_the_stricter_bar():
    docs = ["a", "a", "a", "a", "b", "c", "d", "e"]
    d = _run(docs, [0.95, 0.9, 0.8, 0.6, 0.85, 0.55, 0.3, 0.01])
    assert not d.refused and d.by == "meaning"
    # interviews in the order of their best quote; a's further quotes only above the stricter bar
    assert list(d.answered) == ["a", "b", "c"]
    assert d.answered["a"] == [0, 1, 2]
    # every interview's first quote, then the second ones: the answer goes through the interviews
    assert d.rows() == [0, 4, 5, 1, 2]
    assert d.rows(k=2) == [0, 4]
    # below the bar: a weaker match where one clears the floor, else no match found
    assert d.weaker == {"d": 6}
    assert d.silent == ["e"]


def test_refused_only_when_neither_meaning_nor_words_connect():
    docs = ["a", "b"]
    refused = _run(docs, [0.3, 0.2])
    assert refused.refused and refused.answered == {} and refused.weaker == {}
    assert refused.silent == ["a", "b"]
    # the same scores, but the question names something the interviews name: answered with it
    ev = Evidence(names=["Sansefortællingen"], carriers=np.array([False, True]))
    named = _run(docs, [0.3, 0.2], ev=ev)
    assert not named.refused and named.by == "words"
    assert named.answered == {"b": [1]} and named.weaker == {"a": 0}


def test_a_question_accepted_below_the_answer_bar_is_answered_by_its_best_quote():
    bars = Bars(accept=0.25, answer=0.4, extra=0.7, floor=0.03)
    d = _run(["a", "b", "c"], [0.3, 0.1, 0.01], bars)
    assert not d.refused and d.answered == {"a": [0]}
    assert d.weaker == {"b": 1} and d.silent == ["c"]
    assert _run(["a", "b"], [0.2, 0.1], bars).refused


def test_rejected_quotes_are_never_chosen():
    d = _run(["a", "a", "b"], [0.9, 0.8, 0.6], skip=lambda r: r == 0)
    assert d.answered == {"a": [1], "b": [2]}


def test_bars_may_differ_per_quote():
    # a theme asked in two languages: each quote is held to the bar of the question that found it
    bars = Bars(accept=np.array([0.5, 0.4]), answer=np.array([0.5, 0.4]), extra=np.array([0.7, 0.7]),
                floor=np.array([0.05, 0.03]))
    d = _run(["a", "b"], [0.45, 0.45], bars)
    assert d.answered == {"b": [1]} and d.weaker == {"a": 0}


def test_names_in_a_question():
    assert name_spans("Hvad var formålet med Sansefortællingen?") == ["Sansefortællingen"]
    assert name_spans("How much does the housing trust pay for Stories on the Stairs?") == ["Stories on the Stairs"]
    assert name_spans("What did Anders Kristoffersen say about COVID-19 and MitID?") == ["Anders Kristoffersen", "COVID-19", "MitID"]
    assert name_spans("What are the barriers?") == []


def test_word_evidence_on_a_store(casebase):
    corpus = casebase.corpus()
    # a rare word of the question's, in one interview: evidence, carried by the passages with it
    ev = evidence(corpus, "Hvorfor var parkeringspladserne altid optaget?")
    assert ev.found and ev.carriers.any()
    assert all("arkeringsplads" in corpus.texts[r] for r in np.flatnonzero(ev.carriers))
    # every distinctive word must be there: one the interviews lack breaks the evidence
    assert not evidence(corpus, "Hvorfor var parkeringspladserne oversvømmede?").found
    # a name is found only when all its words are in one passage
    assert not evidence(corpus, "Hvad siger Parkeringspladserne Kvantecomputersen om det?").found
    # words the interviews do not have are no evidence
    assert not evidence(corpus, "Hvad mener de om kvantecomputere og rumfart?").found


def test_a_single_everyday_word_is_no_evidence(casebase):
    corpus = casebase.corpus()
    common = max(((w, (corpus.lexical.scores([w]) > 0).sum()) for w in corpus.lexical.vocab if len(w) > 4 and w.isalpha()),
                 key=lambda kv: kv[1])[0]
    # a word in many passages, asked about alone, does not make a question answerable
    assert not evidence(corpus, f"Hvad med {common}?").found


def test_a_question_in_no_language_is_refused(casebase):
    corpus = casebase.corpus()
    assert not evidence(corpus, "zzq xqv wwqz pplk").readable
    assert evidence(corpus, "Hvad med frivillige?").readable
    # gibberish embeds somewhere too; it is never answered, and the finder says its quotes are weak
    assert casebase.ask("zzq xqv wwqz pplk").refused
    assert all(s.weak for s in casebase.search("zzq xqv wwqz pplk"))
    # the same rule in decide: no meaning acceptance without a readable word
    d = _run(["a"], [0.9], ev=Evidence(readable=False, carriers=np.zeros(1, bool)))
    assert d.refused
